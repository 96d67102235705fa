//! Fernet, MultiFernet and sealed-key text of any shape must load or fail
//! cleanly: never panic, never echo key material in an error, and a loaded
//! keyset must work (what it seals or encrypts, it opens).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::crypto::{Context, Fernet, MultiFernet, SealedKey, SealedKeyset};

/// Key-like parts of the input (16+ base64url characters) must not appear in an
/// error. (Prose is not key material: an input may quote the error's own words.)
fn assert_not_echoed(message: &str, text: &str) {
    for entry in text.split(',') {
        let key = entry.split_once(':').map_or(entry, |(_, key)| key).trim_ascii();
        let key_like = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b));
        if key.len() >= 16 && key_like {
            assert!(!message.contains(key), "error echoes key text: {message}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    match Fernet::from_key_text(text) {
        Ok(fernet) => {
            let token = fernet.encrypt(b"probe");
            assert!(token.is_ok_and(|t| fernet.decrypt(&t, None).is_ok()));
        }
        Err(e) => assert_not_echoed(&e.to_string(), text),
    }

    match MultiFernet::from_keys_text(text) {
        Ok(multi) => {
            assert_eq!(multi.len(), text.split(',').count());
            let token = multi.encrypt(b"probe");
            assert!(token.is_ok_and(|t| multi.decrypt(&t, None).is_ok()));
        }
        Err(e) => assert_not_echoed(&e.to_string(), text),
    }

    match SealedKey::from_text(text) {
        Ok(key) => {
            let again = SealedKey::from_text(key.to_text().expose_secret());
            assert!(again.is_ok_and(|k| k.kid() == key.kid()));
        }
        Err(e) => assert_not_echoed(&e.to_string(), text),
    }

    match SealedKeyset::from_text(text) {
        Ok(keys) => {
            let ctx = Context::row("t", "c", "1");
            let sealed = keys.seal(b"probe", &ctx);
            assert!(sealed.is_ok_and(|s| keys.open(&s, &ctx).is_ok()));
        }
        Err(e) => assert_not_echoed(&e.to_string(), text),
    }
});
