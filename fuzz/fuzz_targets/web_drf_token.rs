//! An `Authorization` header of any bytes must parse or be refused cleanly; a
//! credential found is one word of the header, and a key that parses is DRF's form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::web::drf_token::{DrfToken, KEY_LEN, parse_presented_key, parse_token_header};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(credential)) = parse_token_header(data, "Token") {
        assert!(!credential.is_empty());
        assert!(!credential.contains(' '));
        if let Ok(key) = DrfToken::parse(credential) {
            assert_eq!(key.expose_secret().len(), KEY_LEN);
        }
        let _ = parse_presented_key(credential);
    }
});
