//! A JWKS document on hostile input, as `VerifyingKey::from_jwks_json` imports it.
//! Never a panic; and what it accepts obeys the import rules: every key has a
//! `kid`, is asymmetric, its entry carries no private member, no `use` but `sig`
//! and a `key_ops` (when present) with `verify`; and each key's public JWK loads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::{KeyFamily, VerifyingKey};
use serde_json::Value;

const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(keys) = VerifyingKey::from_jwks_json(text) else {
        return;
    };
    let doc: Value = serde_json::from_str(text).expect("an accepted set is JSON");
    let entries = doc["keys"].as_array().expect("an accepted set has keys");
    assert_eq!(entries.len(), keys.len());
    for (entry, key) in entries.iter().zip(&keys) {
        assert_ne!(key.algorithm().family(), KeyFamily::Hmac);
        assert_eq!(key.kid(), entry["kid"].as_str());
        for member in PRIVATE {
            assert!(entry.get(member).is_none(), "private `{member}` accepted");
        }
        if let Some(usage) = entry.get("use") {
            assert_eq!(usage, "sig");
        }
        if let Some(ops) = entry.get("key_ops") {
            let ops = ops.as_array().expect("key_ops is an array");
            assert!(ops.iter().any(|op| op == "verify"));
        }
        let jwk = key.to_public_jwk().expect("an asymmetric key");
        let back = VerifyingKey::from_jwk(key.algorithm(), &jwk).expect("our own JWK loads");
        assert_eq!(back.to_public_jwk(), Some(jwk));
    }
});
