//! API key text of any shape must parse or fail cleanly; a parsed key exposes a
//! prefix and a 12-character lookup id that are slices of its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::apikey::{ApiKey, ApiKeyDigest, LOOKUP_ID_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(key) = ApiKey::parse(text) {
        assert!(text.starts_with(key.prefix()));
        assert_eq!(key.lookup_id().len(), LOOKUP_ID_LEN);
        assert!(text.contains(key.lookup_id()));
    }
    if let Ok(digest) = ApiKeyDigest::from_hex(text) {
        assert_eq!(digest.to_string(), text.to_ascii_lowercase());
    }
});
