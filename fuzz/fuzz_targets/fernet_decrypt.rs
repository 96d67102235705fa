//! Fernet tokens of any shape must decrypt or fail cleanly: never panic (debug
//! builds, overflow checks on), whatever the timestamp, TTL and clock; and a
//! genuine token must follow Python's TTL/skew rule exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::crypto::{Fernet, MultiFernet};

const KEY_A: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const KEY_B: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, byte) in data.iter().skip(at).take(8).enumerate() {
        b[i] = *byte;
    }
    u64::from_be_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    let Ok(f) = Fernet::from_key_text(KEY_A) else {
        return;
    };
    let Ok(keys) = MultiFernet::from_keys_text(&format!("{KEY_B},{KEY_A}")) else {
        return;
    };
    // Any nanosecond count is a time; the checks compare whole seconds.
    let (ttl, now) = (u64_at(data, 0), UnixTime::from_nanos(u64_at(data, 8)));

    // Arbitrary text (and arbitrary bytes, lossily as text) through every entry point.
    let text = String::from_utf8_lossy(data);
    let _ = f.decrypt(&text, None);
    let _ = f.decrypt_at_time(&text, ttl, now);
    let _ = f.extract_timestamp(&text);
    let _ = keys.decrypt_at_time(&text, ttl, now);
    let _ = keys.extract_timestamp(&text);
    let _ = keys.rotate(&text);

    // A genuine token dated by the input: Python's rule, in exact arithmetic.
    let dated = UnixTime::from_nanos(u64_at(data, 16));
    let timestamp = dated.as_secs();
    let plaintext = data.get(24..).unwrap_or_default();
    let Ok(token) = f.encrypt_at_time(plaintext, dated) else {
        return;
    };
    let now_secs = u128::from(now.as_secs());
    let python_ok = u128::from(timestamp) + u128::from(ttl) >= now_secs
        && now_secs + 60 >= u128::from(timestamp);
    let got = f.decrypt_at_time(&token, ttl, now);
    assert_eq!(got.is_ok(), python_ok);
    if let Ok(p) = got {
        assert_eq!(p.expose_secret(), plaintext);
    }
    assert!(f.decrypt(&token, None).is_ok());
    assert_eq!(keys.extract_timestamp(&token).ok(), Some(timestamp));
    let rotated = keys.rotate(&token).ok();
    assert_eq!(
        rotated.as_deref().and_then(|t| f.extract_timestamp(t).ok()),
        None
    );
    assert_eq!(
        rotated.and_then(|t| keys.extract_timestamp(&t).ok()),
        Some(timestamp)
    );
});
