//! Sealed values of any shape must open or fail cleanly, never panic; nothing
//! but a value sealed here opens; and a sealed value opens only in its context.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::crypto::{Context, SealedKey, SealedKeyset};
use portcullis::secret::{Encoding, SecretBytes};

fuzz_target!(|data: &[u8]| {
    let Ok(k1) = SealedKey::new("k1", &SecretBytes::from_slice(&[1; 32])) else {
        return;
    };
    let Ok(k2) = SealedKey::new("k2", &SecretBytes::from_slice(&[2; 32])) else {
        return;
    };
    let Ok(keys) = SealedKeyset::new(k1).with_key(k2) else {
        return;
    };
    let ctx = Context::row("t", "c", "1");

    // Arbitrary text, and arbitrary bytes framed so they reach the AEAD.
    let text = String::from_utf8_lossy(data);
    let _ = keys.open(&text, &ctx);
    let _ = keys.needs_reseal(&text);
    let payload = SecretBytes::from_slice(data).encode(Encoding::Base64Url);
    let framed = format!("s1.k2.{}", payload.expose_secret().trim_end_matches('='));
    assert!(keys.open(&framed, &ctx).is_err());
    assert!(keys.open(&framed, &Context::none()).is_err());

    // Round trip, and context binding.
    let Ok(sealed) = keys.seal(data, &ctx) else {
        return;
    };
    assert_eq!(
        keys.open(&sealed, &ctx)
            .ok()
            .map(|p| p.expose_secret().to_vec()),
        Some(data.to_vec())
    );
    assert!(keys.open(&sealed, &Context::row("t", "c", "2")).is_err());
    assert!(keys.open(&sealed, &Context::from_parts([data])).is_err());
});
