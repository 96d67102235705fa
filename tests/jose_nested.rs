//! Nested tokens (sign, then encrypt) through the token engine: issue, verify,
//! refresh with rotation, revocation and logout work on them; their claims are not
//! readable; a plain JWS is refused unless the layer accepts it; and tokens made
//! by jwcrypto 1.6.1 verify here while tokens made here decrypt there.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::clock::UnixTime;
use portcullis::jose::jwe::{self, ContentEncryption, JweError, JweKey, KeyManagement};
use portcullis::jose::nested::{NestedJwe, PlainJws};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Invalid, Keyring, SigningKey, TokenConfig, TokenError, TokenKind, TokenService,
    Tokens, inspect,
};
use serde_json::{Value, json};

const SIGNING_SECRET: &[u8] = b"nested-token-fixture-signing-secret-0123456789";
const DIR_KEY: &str =
    r#"{"kty":"oct","kid":"enc-1","k":"qC57l_uxcm7Nm3K-ct4GFjx8tM1U8CZ0NLBvdQstiS8"}"#;
const X25519_KEY: &str = r#"{"crv":"X25519","d":"-Pjwf_bCGlm30GgarDPrKhz1Ksf_bpWFnGcAj-heynQ","kid":"enc-x","kty":"OKP","x":"lUeX3_FVl-YyT3VsQnK3w4VzGEoU7lQQXhNwJ0Nu23M"}"#;

fn now() -> UnixTime {
    UnixTime::from_secs(1_795_512_418).unwrap()
}

fn signing_key() -> SigningKey {
    SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SIGNING_SECRET)).unwrap()
}

fn layer(jwk: &str, alg: KeyManagement, enc: ContentEncryption) -> NestedJwe {
    NestedJwe::new(JweKey::from_jwk(jwk).unwrap(), alg, enc).unwrap()
}

fn config_with(layer: Option<NestedJwe>) -> TokenConfig {
    let mut config = TokenConfig::hardened();
    config.nesting = layer.map(Into::into);
    config
}

fn service_with(layer: NestedJwe) -> TokenService {
    TokenService::in_memory(config_with(Some(layer)), Keyring::new(signing_key())).unwrap()
}

fn dir_service() -> TokenService {
    service_with(layer(
        DIR_KEY,
        KeyManagement::Dir,
        ContentEncryption::A256Gcm,
    ))
}

fn plain_tokens() -> Tokens {
    Tokens::new(config_with(None), Keyring::new(signing_key())).unwrap()
}

/// The protected header of a compact JWE.
fn jwe_header(token: &str) -> Value {
    let first = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}

#[test]
fn issued_tokens_are_nested_jwes_that_verify() {
    let layers = [
        layer(DIR_KEY, KeyManagement::Dir, ContentEncryption::A256Gcm),
        layer(
            DIR_KEY,
            KeyManagement::A256Kw,
            ContentEncryption::A128CbcHs256,
        ),
        layer(
            X25519_KEY,
            KeyManagement::EcdhEsA256Kw,
            ContentEncryption::A256Gcm,
        ),
    ];
    for layer in layers {
        let service = service_with(layer);
        let pair = service
            .issue_pair("42", &json!({"role": "staff"}), now())
            .unwrap();
        for token in [&pair.access, &pair.refresh] {
            assert_eq!(token.split('.').count(), 5, "{token}");
            assert_eq!(jwe_header(token)["cty"], "JWT");
        }
        let claims = service.verify_access(&pair.access, now()).unwrap();
        assert_eq!(claims.user_id(), Some("42"));
        assert_eq!(claims.get("role"), Some(&json!("staff")));
        assert_eq!(
            service.verify_access(&pair.refresh, now()).unwrap_err(),
            TokenError::WrongType
        );
    }
}

#[test]
fn a_nested_tokens_claims_are_not_readable() {
    let service = dir_service();
    let pair = service
        .issue_pair("42", &json!({"role": "staff"}), now())
        .unwrap();
    assert!(
        inspect(&pair.access, 8192).is_err(),
        "inspect reads JWS only"
    );
    for part in pair.access.split('.') {
        let bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["staff", "user_id", "42", "token_type", "eyJ"] {
            assert!(!text.contains(secret), "{secret:?} readable in {text:?}");
        }
    }
}

#[test]
fn refresh_with_rotation_and_reuse_detection_work_on_nested_tokens() {
    let service = dir_service();
    let pair = service.issue_pair("42", &(), now()).unwrap();
    let next = service.refresh(&pair.refresh, now()).unwrap();
    let rotated = next.refresh.clone().expect("hardened rotates");
    assert_eq!(next.access.split('.').count(), 5);
    assert_eq!(rotated.split('.').count(), 5);
    assert_eq!(
        service
            .verify_access(&next.access, now())
            .unwrap()
            .user_id(),
        Some("42")
    );
    assert_eq!(
        service.refresh(&pair.refresh, now()).unwrap_err(),
        TokenError::Reused
    );
    for token in [&next.access, &rotated] {
        assert_eq!(
            service.verify_any(token, now()).unwrap_err(),
            TokenError::Blacklisted
        );
    }
}

#[test]
fn revocation_and_logout_work_on_nested_tokens() {
    let service = dir_service();
    let pair = service.issue_pair("42", &(), now()).unwrap();
    service.revoke_token(&pair.access, now()).unwrap();
    assert_eq!(
        service.verify_access(&pair.access, now()).unwrap_err(),
        TokenError::Blacklisted
    );
    let other = service.issue_pair("7", &(), now()).unwrap();
    service.logout(&other.refresh, now()).unwrap();
    assert_eq!(
        service.refresh(&other.refresh, now()).unwrap_err(),
        TokenError::Blacklisted
    );
    let later = service.issue_pair("9", &(), now()).unwrap();
    service.revoke_user_before("9", now()).unwrap();
    assert_eq!(
        service.verify_access(&later.access, now()).unwrap_err(),
        TokenError::Blacklisted
    );
}

#[test]
fn a_plain_jws_is_refused_when_nesting_is_required() {
    let plain = plain_tokens()
        .issue(TokenKind::Access, "42", &(), now())
        .unwrap();
    let service = dir_service();
    assert_eq!(
        service.verify_access(&plain, now()).unwrap_err(),
        TokenError::Invalid(Invalid::NotEncrypted)
    );
}

#[test]
fn a_plain_jws_verifies_when_the_layer_accepts_it_and_new_tokens_stay_nested() {
    let lenient = layer(DIR_KEY, KeyManagement::Dir, ContentEncryption::A256Gcm).accept_plain_jws();
    assert_eq!(lenient.plain_jws(), PlainJws::Accepted);
    let service = service_with(lenient);
    let plain = plain_tokens()
        .issue(TokenKind::Access, "42", &(), now())
        .unwrap();
    assert_eq!(
        service.verify_access(&plain, now()).unwrap().user_id(),
        Some("42")
    );
    let issued = service.issue_pair("42", &(), now()).unwrap();
    assert_eq!(issued.access.split('.').count(), 5);
    // The signature still counts on a plain token.
    let forged = format!("{}x", &plain[..plain.len() - 1]);
    assert!(service.verify_access(&forged, now()).is_err());
}

#[test]
fn a_tampered_nested_token_is_one_opaque_signature_error() {
    let service = dir_service();
    let access = service.issue_pair("42", &(), now()).unwrap().access;
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut ciphertext = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
    ciphertext[0] ^= 1;
    parts[3] = URL_SAFE_NO_PAD.encode(ciphertext);
    assert_eq!(
        service.verify_access(&parts.join("."), now()).unwrap_err(),
        TokenError::Invalid(Invalid::Signature)
    );
}

#[test]
fn the_outer_jwe_needs_cty_jwt_the_configured_alg_and_enc() {
    let key = JweKey::from_jwk(DIR_KEY).unwrap();
    let jws = plain_tokens()
        .issue(TokenKind::Access, "42", &(), now())
        .unwrap();
    let service = dir_service();
    let without_cty = jwe::encrypt(
        &key,
        KeyManagement::Dir,
        ContentEncryption::A256Gcm,
        jws.as_bytes(),
    )
    .unwrap();
    let other_alg = jwe::encrypt_jwt(
        &key,
        KeyManagement::A256Kw,
        ContentEncryption::A256Gcm,
        &jws,
    )
    .unwrap();
    let other_enc = jwe::encrypt_jwt(
        &key,
        KeyManagement::Dir,
        ContentEncryption::A128CbcHs256,
        &jws,
    )
    .unwrap();
    let expected = [
        (without_cty, Invalid::ForbiddenHeader),
        (other_alg, Invalid::Algorithm),
        (other_enc, Invalid::Algorithm),
    ];
    for (token, why) in expected {
        assert_eq!(
            service.verify_access(&token, now()).unwrap_err(),
            TokenError::Invalid(why)
        );
    }
    let good =
        jwe::encrypt_jwt(&key, KeyManagement::Dir, ContentEncryption::A256Gcm, &jws).unwrap();
    assert!(service.verify_access(&good, now()).is_ok());
}

#[test]
fn the_size_cap_applies_to_the_outer_token() {
    let service = dir_service();
    let long = format!("{}.a.b.c.d", "a".repeat(9000));
    assert_eq!(
        service.verify_access(&long, now()).unwrap_err(),
        TokenError::Invalid(Invalid::TooLarge)
    );
    assert_eq!(
        service.verify_access("a.b.c.d.e.f", now()).unwrap_err(),
        TokenError::Invalid(Invalid::Malformed)
    );
}

#[test]
fn a_layer_needs_a_key_that_decrypts_and_allows_alg_and_enc() {
    let public = r#"{"crv":"X25519","kid":"enc-x","kty":"OKP","x":"lUeX3_FVl-YyT3VsQnK3w4VzGEoU7lQQXhNwJ0Nu23M"}"#;
    let public = JweKey::from_jwk(public).unwrap();
    assert!(matches!(
        NestedJwe::new(public, KeyManagement::EcdhEs, ContentEncryption::A256Gcm),
        Err(JweError::InvalidKey { .. })
    ));
    let dir = JweKey::from_jwk(DIR_KEY).unwrap();
    assert!(matches!(
        NestedJwe::new(dir, KeyManagement::Dir, ContentEncryption::A128Gcm),
        Err(JweError::InvalidKey { .. })
    ));
    let oct = JweKey::from_jwk(DIR_KEY).unwrap();
    assert!(matches!(
        NestedJwe::new(oct, KeyManagement::EcdhEs, ContentEncryption::A256Gcm),
        Err(JweError::AlgorithmNotAllowed { .. })
    ));
}

/// The layers the jwcrypto fixture covers: (JWE key as a JWK, alg, enc).
const INTEROP_LAYERS: [(&str, KeyManagement, ContentEncryption); 3] = [
    (DIR_KEY, KeyManagement::Dir, ContentEncryption::A256Gcm),
    (
        DIR_KEY,
        KeyManagement::A256Kw,
        ContentEncryption::A128CbcHs256,
    ),
    (
        X25519_KEY,
        KeyManagement::EcdhEsA256Kw,
        ContentEncryption::A256Gcm,
    ),
];

fn interop_fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/jose/nested_jwcrypto.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn interop_service(case: &Value) -> TokenService {
    let alg = KeyManagement::from_name(case["alg"].as_str().unwrap()).unwrap();
    let enc = ContentEncryption::from_name(case["enc"].as_str().unwrap()).unwrap();
    service_with(layer(&case["jwe_key"].to_string(), alg, enc))
}

/// Verifies here every token of the fixture's `direction`, handing each case and
/// the claims found to `check`.
fn verify_interop_cases(direction: &str, check: impl Fn(&Value, &portcullis::token::Claims)) {
    let fixture = interop_fixture();
    let now = UnixTime::from_secs(fixture["now"].as_u64().unwrap()).unwrap();
    let cases = fixture[direction].as_array().unwrap();
    assert_eq!(cases.len(), INTEROP_LAYERS.len());
    for case in cases {
        let token = case["token"].as_str().unwrap();
        assert_eq!(jwe_header(token)["cty"], "JWT");
        let claims = interop_service(case)
            .verify_access(token, now)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case["alg"]));
        check(case, &claims);
    }
}

#[test]
fn nested_tokens_made_by_jwcrypto_verify_here() {
    verify_interop_cases("from_jwcrypto", |case, claims| {
        assert_eq!(claims.user_id(), Some("42"), "{}", case["alg"]);
        assert_eq!(claims.get("role"), Some(&json!("staff")));
    });
}

#[test]
fn nested_tokens_made_here_decrypt_and_verify_in_jwcrypto() {
    // Made here (so they verify here) and read by jwcrypto: decrypted, the inner
    // HS256 signature checked, and the claims it found.
    verify_interop_cases("from_portcullis", |case, claims| {
        assert_eq!(case["jwcrypto_cty"], "JWT", "{}", case["alg"]);
        let read = &case["jwcrypto_claims"];
        assert_eq!(read["user_id"], "42", "{}", case["alg"]);
        assert_eq!(read["token_type"], "access");
        assert_eq!(read["role"], "staff");
        assert_eq!(read["jti"].as_str(), claims.jti());
    });
}

/// Prints nested access tokens for `tests/data/jose/generate_nested.py`, which
/// has jwcrypto read them and writes the fixture the two tests above check.
#[test]
#[ignore = "run by tests/data/jose/generate_nested.py"]
fn emit_nested_tokens_for_jwcrypto() {
    let at = UnixTime::from_secs(now().as_secs()).unwrap();
    let cases: Vec<Value> = INTEROP_LAYERS
        .iter()
        .map(|(jwk, alg, enc)| {
            let service = service_with(layer(jwk, *alg, *enc));
            let pair = service
                .issue_pair("42", &json!({"role": "staff"}), at)
                .unwrap();
            json!({
                "jwe_key": serde_json::from_str::<Value>(jwk).unwrap(),
                "alg": alg.name(),
                "enc": enc.name(),
                "token": pair.access,
            })
        })
        .collect();
    let out = json!({
        "now": at.as_secs(),
        "signing_secret_b64": URL_SAFE_NO_PAD.encode(SIGNING_SECRET),
        "cases": cases,
    });
    println!("NESTED_TOKENS {out}");
}
