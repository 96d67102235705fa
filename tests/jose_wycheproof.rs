//! Wycheproof's `json_web_encryption_test.json`: every case with a key and
//! algorithms in scope must give Wycheproof's verdict; the rest are skipped for a
//! stated reason (tests/data/jose/README.md lists them).

use portcullis::jose::jwe::{JweDecryptor, JweError, JweKey};
use serde_json::Value;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Why a case cannot run here, if it cannot.
fn skip_reason(
    group: &Value,
    test: &Value,
    key: &Result<JweKey, JweError>,
) -> Option<&'static str> {
    let flags: Vec<&str> = test["flags"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if group["private"]["kty"] == "RSA" {
        return Some("RSA key transport is not implemented");
    }
    if group["private"]["crv"] == "P-384" {
        return Some("only P-256 and X25519 are implemented");
    }
    if !test["jwe"].is_string() {
        return Some("JSON serialization is not implemented");
    }
    if matches!(key, Err(JweError::UnsupportedAlgorithm { .. })) {
        return Some("the key is pinned to an algorithm that is not implemented");
    }
    if test["result"] == "valid" && flags.contains(&"CompressedPlaintext") {
        return Some("`zip` is refused by design");
    }
    None
}

#[test]
fn wycheproof_json_web_encryption() {
    let path = format!(
        "{}/tests/data/jose/wycheproof_json_web_encryption_test.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut ran, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for group in suite["testGroups"].as_array().unwrap() {
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let key = JweKey::from_jwk(&group["private"].to_string());
            if let Some(reason) = skip_reason(group, test, &key) {
                skipped.push((id, reason));
                continue;
            }
            let result =
                key.and_then(|k| JweDecryptor::new(k).decrypt(test["jwe"].as_str().unwrap()));
            let valid = test["result"] == "valid";
            match (valid, result) {
                (true, Ok(opened)) if opened.plaintext() == hex(test["pt"].as_str().unwrap()) => {
                    ran += 1;
                }
                (true, Err(JweError::UnsupportedAlgorithm { name })) => {
                    skipped.push((
                        id,
                        if name.contains("192") {
                            "192-bit variants are not implemented"
                        } else {
                            "AES-GCM key wrap is not implemented"
                        },
                    ));
                }
                (false, Err(_)) => ran += 1,
                (valid, outcome) => failures.push(format!(
                    "tcId {id} ({}): expected {}, got {:?}",
                    test["comment"],
                    if valid { "valid" } else { "invalid" },
                    outcome.map(|o| o.plaintext().to_vec())
                )),
            }
        }
    }
    eprintln!("ran {ran}, skipped {}: {skipped:?}", skipped.len());
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        ran + skipped.len(),
        suite["numberOfTests"].as_u64().unwrap() as usize
    );
    assert!(ran >= 60, "only {ran} cases ran");
}
