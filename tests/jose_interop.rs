//! Interop with Python's jwcrypto 1.6.1, both ways, for every alg/enc pair
//! (tests/data/jose/generate_jwcrypto.py makes the fixture).

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis::jose::jwe::{ContentEncryption, JweDecryptor, JweKey, KeyManagement};
use serde_json::Value;

fn fixture() -> Value {
    let path = format!(
        "{}/tests/data/jose/jwcrypto_interop.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every pair the crate implements; ECDH-ES on both curves.
fn every_pair() -> BTreeSet<(String, String, String)> {
    let mut pairs = BTreeSet::new();
    for alg in KeyManagement::ALL {
        for enc in ContentEncryption::ALL {
            let curves: &[&str] = if alg.name().starts_with("ECDH-ES") {
                &["P-256", "X25519"]
            } else {
                &[""]
            };
            for crv in curves {
                pairs.insert((
                    alg.name().to_owned(),
                    enc.name().to_owned(),
                    (*crv).to_owned(),
                ));
            }
        }
    }
    pairs
}

fn pair(record: &Value, crv: Option<&str>) -> (String, String, String) {
    (
        record["alg"].as_str().unwrap().to_owned(),
        record["enc"].as_str().unwrap().to_owned(),
        crv.unwrap_or("").to_owned(),
    )
}

#[test]
fn tokens_made_by_jwcrypto_decrypt_here() {
    let fixture = fixture();
    let mut seen = BTreeSet::new();
    for record in fixture["from_jwcrypto"].as_array().unwrap() {
        let key = JweKey::from_jwk(&record["key"].to_string()).unwrap();
        let alg = KeyManagement::from_name(record["alg"].as_str().unwrap()).unwrap();
        let opened = JweDecryptor::new(key)
            .expect_alg(alg)
            .decrypt(record["jwe"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{} {}: {e}", record["alg"], record["enc"]));
        assert_eq!(
            STANDARD.encode(opened.plaintext()),
            record["plaintext_b64"].as_str().unwrap()
        );
        assert_eq!(opened.header()["enc"], record["enc"]);
        seen.insert(pair(record, record["key"]["crv"].as_str()));
    }
    assert_eq!(seen, every_pair());
}

#[test]
fn tokens_made_here_decrypted_in_jwcrypto() {
    let fixture = fixture();
    assert_eq!(fixture["jwcrypto"], "1.6.1");
    let mut seen = BTreeSet::new();
    for record in fixture["from_portcullis"].as_array().unwrap() {
        assert_eq!(
            record["jwcrypto_decrypted"], true,
            "{} {}",
            record["alg"], record["enc"]
        );
        seen.insert(pair(record, record["crv"].as_str()));
    }
    assert_eq!(seen, every_pair());
}
