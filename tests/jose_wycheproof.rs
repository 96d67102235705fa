//! Wycheproof's `json_web_encryption_test.json`: every case with a key and
//! algorithms in scope must give Wycheproof's verdict; the rest are skipped for a
//! stated reason (tests/data/jose/README.md lists them). And its
//! `json_web_key_test.json`: every case runs, two with a stated divergence.

use portcullis::jose::jwe::{JweDecryptor, JweError, JweKey};
use portcullis::jose::jwks;
use portcullis::token::jwk::Jwk;
use portcullis::token::{Algorithm, Keyring, VerifyingKey};
use serde_json::Value;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A Wycheproof suite committed under tests/data/jose.
fn suite(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/jose/wycheproof_{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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
    let suite = suite("json_web_encryption_test.json");
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

/// Wycheproof's verdict for one JWS against a public JWKS, as a remote issuer
/// publishes it: the set goes through `jose::jwks::parse_jwks`.
fn verify_with_public_set(set: &Value, jws: &str) -> bool {
    jwks::parse_jwks(&set.to_string()).is_ok_and(|keys| keys.verify_jws(jws, 8192).is_ok())
}

/// The same against a set of one's own keys (symmetric ones included), loaded one
/// by one into a keyring, as a service loads its configured keys.
fn verify_with_own_keys(set: &Value, jws: &str) -> bool {
    let mut keyring: Option<Keyring> = None;
    for jwk in set["keys"].as_array().unwrap() {
        let key = jwk["alg"]
            .as_str()
            .and_then(|alg| alg.parse::<Algorithm>().ok())
            .and_then(|alg| {
                let parsed: Jwk = serde_json::from_value(jwk.clone()).ok()?;
                VerifyingKey::from_jwk(alg, &parsed).ok()
            });
        let Some(key) = key else { return false };
        match &mut keyring {
            Some(ring) => {
                if ring.add_verifier(key).is_err() {
                    return false;
                }
            }
            None => keyring = Some(Keyring::verify_only(key)),
        }
    }
    keyring.is_some_and(|ring| ring.verify_jws(jws, 8192).is_ok())
}

/// The cases whose verdict here differs from Wycheproof's, with why; asserted,
/// so a change in either direction shows.
const JWK_DIVERGENCES: [(u64, &str); 2] = [
    (
        1,
        "a keyring mixing an HMAC key and a public EC key is accepted by design: the \
         move to asymmetric keys holds exactly that (Wycheproof flags it Ambiguous); \
         parse_jwks refuses the set, since a published set carries no secret",
    ),
    (
        7,
        "a ROCA-vulnerable RSA modulus is not detected: ring loads any 2048-bit or \
         larger modulus and has no ROCA fingerprint test",
    ),
];

#[test]
fn wycheproof_json_web_key() {
    let suite = suite("json_web_key_test.json");
    let (mut ran, mut failures) = (0, Vec::new());
    for group in suite["testGroups"].as_array().unwrap() {
        let public = group.get("public");
        let private = &group["private"];
        if public.is_some() {
            // The private half never passes as a published set.
            assert!(
                jwks::parse_jwks(&private.to_string()).is_err(),
                "{}",
                group["comment"]
            );
        }
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let jws = test["jws"].as_str().unwrap();
            let accepted = match public {
                Some(set) => verify_with_public_set(set, jws),
                None => verify_with_own_keys(private, jws),
            };
            let expected = test["result"] == "valid";
            let diverges = JWK_DIVERGENCES.iter().any(|(d, _)| *d == id);
            if accepted != (expected != diverges) {
                failures.push((id, test["comment"].clone(), accepted));
            }
            ran += 1;
        }
    }
    assert!(failures.is_empty(), "verdicts differ: {failures:?}");
    assert_eq!(ran, 26, "every case runs");
}
