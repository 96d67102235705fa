//! Importing a JWKS: a published set is public, so only public signature keys are
//! trusted from it. Each refusal names the key (kid and position) and the rule.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::token::{Algorithm, Jwk, SigningKey, TokenError, VerifyingKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

/// A valid public ES256 JWK (kid `ec-1`) as JSON.
fn ec_jwk() -> Value {
    let rng = SystemRandom::new();
    let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = SigningKey::from_pkcs8_der(Algorithm::ES256, der.as_ref())
        .unwrap()
        .with_kid("ec-1");
    serde_json::to_value(key.verifying_key().to_public_jwk().unwrap()).unwrap()
}

/// `ec_jwk()` with `member` set to `value`.
fn ec_jwk_with(member: &str, value: Value) -> Value {
    let mut jwk = ec_jwk();
    jwk[member] = value;
    jwk
}

/// The import error for a set of `keys` (the first key always valid, so the
/// refused one is at position 1).
fn refusal(bad: Value) -> String {
    let set = json!({"keys": [ec_jwk_with("kid", json!("good")), bad]});
    match VerifyingKey::from_jwks_json(&set.to_string()) {
        Err(TokenError::Key(message)) => message,
        other => panic!("expected a key error, got {other:?}"),
    }
}

fn assert_names(message: &str, kid: &str, rule: &str) {
    assert!(message.contains("key 1"), "no position in: {message}");
    assert!(
        message.contains(&format!("`{kid}`")),
        "no kid in: {message}"
    );
    assert!(message.contains(rule), "no `{rule}` in: {message}");
}

#[test]
fn a_valid_public_set_imports() {
    let set = json!({"keys": [ec_jwk(), ec_jwk_with("kid", json!("ec-2"))]});
    let keys = VerifyingKey::from_jwks_json(&set.to_string()).unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.algorithm() == Algorithm::ES256));
    // `use: sig` and `key_ops` containing `verify` are accepted.
    let set = json!({"keys": [ec_jwk_with("key_ops", json!(["verify"]))]});
    assert_eq!(
        VerifyingKey::from_jwks_json(&set.to_string())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn jwks_refuses_symmetric_oct_keys() {
    let oct = json!({
        "kty": "oct",
        "kid": "shared",
        "alg": "HS256",
        "k": "ZGphbmdvLWluc2VjdXJlLTAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9w"
    });
    let message = refusal(oct);
    assert_names(&message, "shared", "oct");
    assert!(
        !message.contains("ZGphbmdv"),
        "the secret leaked: {message}"
    );
}

#[test]
fn jwks_refuses_private_members() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
        let value = if member == "oth" {
            json!([{"r": "AQAB", "d": "AQAB", "t": "AQAB"}])
        } else {
            json!("c2VjcmV0LXZhbHVlLWJ5dGVz")
        };
        let bad = ec_jwk_with(member, value).to_string();
        let message = refusal(serde_json::from_str(&bad).unwrap());
        assert_names(&message, "ec-1", &format!("private member `{member}`"));
        assert!(
            !message.contains("c2VjcmV0"),
            "a private value leaked: {message}"
        );
    }
}

#[test]
fn jwks_refuses_any_use_but_sig() {
    let message = refusal(ec_jwk_with("use", json!("enc")));
    assert_names(&message, "ec-1", "`use`");
    // An unregistered use is refused as well, not skipped.
    let message = refusal(ec_jwk_with("use", json!("wrap")));
    assert_names(&message, "ec-1", "`use`");
}

#[test]
fn jwks_refuses_key_ops_without_verify() {
    for ops in [json!(["sign"]), json!(["encrypt", "wrapKey"]), json!([])] {
        let message = refusal(ec_jwk_with("key_ops", ops.clone()));
        assert_names(&message, "ec-1", "`key_ops`");
    }
}

#[test]
fn jwks_refusals_without_a_kid_name_the_position() {
    let mut bad = ec_jwk_with("use", json!("enc"));
    bad.as_object_mut().unwrap().remove("kid");
    let set = json!({"keys": [bad]});
    let err = VerifyingKey::from_jwks_json(&set.to_string()).unwrap_err();
    assert!(err.to_string().contains("key 0"), "{err}");
}

#[test]
fn not_a_jwks_document_is_a_clear_error() {
    for text in ["", "[]", "{\"keys\": 5}", "{\"keys\": [{\"kty\": \"EC\"}]}"] {
        assert!(
            matches!(VerifyingKey::from_jwks_json(text), Err(TokenError::Key(_))),
            "{text}"
        );
    }
}

/// A fuzzing find (`token_jwk`): an EC JWK whose `x` and `y` had the wrong lengths
/// but a valid total loaded as the point `x || y` split elsewhere, a key the JWK
/// does not describe. Each coordinate must be exactly the curve's field size.
#[test]
fn ec_jwk_coordinates_must_each_be_the_field_size() {
    let jwk = ec_jwk();
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    assert_eq!((x.len(), y.len()), (32, 32));
    let point: Vec<u8> = x.iter().chain(&y).copied().collect();
    for split in [31, 33, 0, 64] {
        let (sx, sy) = point.split_at(split);
        let mut shifted = jwk.clone();
        shifted["x"] = json!(URL_SAFE_NO_PAD.encode(sx));
        shifted["y"] = json!(URL_SAFE_NO_PAD.encode(sy));
        let parsed: Jwk = serde_json::from_value(shifted).unwrap();
        let err = VerifyingKey::from_jwk(Algorithm::ES256, &parsed).unwrap_err();
        assert!(
            matches!(err, TokenError::Key(_)),
            "split at {split}: {err:?}"
        );
    }
    // The well-formed JWK still loads.
    let parsed: Jwk = serde_json::from_value(jwk).unwrap();
    VerifyingKey::from_jwk(Algorithm::ES256, &parsed).unwrap();
}
