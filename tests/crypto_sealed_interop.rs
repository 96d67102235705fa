//! The sealed format rebuilt on libsodium (PyNaCl) by tests/data/crypto/generate.py:
//! values it sealed open here, and values sealed here were opened by libsodium
//! (verdicts in tests/data/crypto/sealed_libsodium.json). This pins the format
//! (`s1.<kid>.<payload>` and the associated-data layout) to its documentation.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis::crypto::{Context, CryptoError, SealedKeyset};
use serde_json::Value;

fn fixture() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crypto/sealed_libsodium.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn values_sealed_by_libsodium_open_here_only_in_their_context() {
    let doc = fixture();
    let keys = SealedKeyset::from_text(doc["key"].as_str().unwrap()).unwrap();
    let cases = doc["from_libsodium"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let parts: Vec<Vec<u8>> = case["context_b64"]
            .as_array()
            .unwrap()
            .iter()
            .map(b64)
            .collect();
        let sealed = case["sealed"].as_str().unwrap();
        let plain = keys.open(sealed, &Context::from_parts(&parts)).unwrap();
        assert_eq!(
            plain.expose_secret(),
            b64(&case["plaintext_b64"]),
            "{}",
            case["name"]
        );
        let mut other = parts.clone();
        other.push(b"extra".to_vec());
        assert_eq!(
            keys.open(sealed, &Context::from_parts(&other)).unwrap_err(),
            CryptoError::InvalidToken
        );
    }
}

#[test]
fn libsodium_opened_every_value_sealed_here() {
    let doc = fixture();
    let keys = SealedKeyset::from_text(doc["key"].as_str().unwrap()).unwrap();
    let made = doc["from_portcullis"].as_array().unwrap();
    assert_eq!(made.len(), 3);
    for m in made {
        assert_eq!(m["libsodium_opens"], true);
        assert_eq!(m["libsodium_rejects_other_row"], true);
        let ctx = Context::row("accounts", "access_token", "42");
        let plain = keys.open(m["sealed"].as_str().unwrap(), &ctx).unwrap();
        assert_eq!(plain.expose_secret(), b64(&m["plaintext_b64"]));
    }
}
