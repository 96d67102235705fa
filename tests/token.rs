//! Strict verification (every RFC 8725 rejection), flows, revocation, rotation,
//! reuse detection under concurrency, and the sans-I/O path.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Invalid, Keyring, MemoryRevocationStore, RevocationStore, SigningKey, Status,
    StoreAnswer, StoreStep, TokenConfig, TokenError, TokenKind, TokenService, Tokens, VerifyingKey,
    inspect,
};
use proptest::prelude::*;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use serde_json::{Value, json};

const SECRET: &[u8] = b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";
const NOW: u64 = 1_800_000_000;

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn hs256() -> SigningKey {
    SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap()
}

fn service(config: TokenConfig) -> TokenService {
    TokenService::in_memory(config, Keyring::new(hs256())).unwrap()
}

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

/// A token with any header and payload, correctly HMAC-signed with SECRET.
fn forge(header: &Value, payload: &Value) -> String {
    forge_raw(
        header.to_string().as_bytes(),
        payload.to_string().as_bytes(),
    )
}

fn forge_raw(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let sig = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(sig.as_ref()))
}

fn claims(kind: &str) -> Value {
    json!({"token_type": kind, "exp": NOW + 300, "iat": NOW, "jti": "0123456789abcdef0123456789abcdef", "user_id": "7"})
}

fn hs_header() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

fn verify(token: &str) -> Result<(), TokenError> {
    service(TokenConfig::simplejwt_defaults())
        .verify_access(token, at(NOW))
        .map(|_| ())
}

#[test]
fn a_forged_helper_token_is_valid_so_the_rejections_below_mean_something() {
    verify(&forge(&hs_header(), &claims("access"))).unwrap();
}

#[test]
fn alg_none_in_any_spelling_is_rejected() {
    for alg in [
        "none", "None", "NONE", "nOnE", "hs256", "HS512", "ES256", "",
    ] {
        let mut header = hs_header();
        header["alg"] = json!(alg);
        let signed = forge(&header, &claims("access"));
        assert_eq!(
            verify(&signed),
            Err(TokenError::Invalid(Invalid::Algorithm)),
            "{alg}"
        );
        let unsigned = format!(
            "{}.{}.",
            b64(header.to_string().as_bytes()),
            b64(claims("access").to_string().as_bytes())
        );
        assert!(verify(&unsigned).is_err(), "{alg} unsigned");
    }
}

#[test]
fn hs_rs_confusion_is_rejected() {
    // An ES256 keyring; the attacker HMACs with the public key bytes.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = SigningKey::from_pkcs8_der(Algorithm::ES256, pkcs8.as_ref()).unwrap();
    let jwk = key.verifying_key().to_public_jwk().unwrap();
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![Algorithm::ES256];
    let svc = TokenService::in_memory(config, Keyring::new(key)).unwrap();
    let good = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    svc.verify_access(&good.access, at(NOW)).unwrap();

    let public = serde_json::to_vec(&jwk).unwrap();
    let input = format!(
        "{}.{}",
        b64(hs_header().to_string().as_bytes()),
        b64(claims("access").to_string().as_bytes())
    );
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public),
        input.as_bytes(),
    );
    let forged = format!("{input}.{}", b64(mac.as_ref()));
    assert_eq!(
        svc.verify_access(&forged, at(NOW)),
        Err(TokenError::Invalid(Invalid::Algorithm))
    );
    // And a config cannot make an HMAC key accept an ES256 header.
    let hs_only = service(TokenConfig::simplejwt_defaults());
    assert_eq!(
        hs_only.verify_access(&good.access, at(NOW)),
        Err(TokenError::Invalid(Invalid::Algorithm))
    );
}

#[test]
fn dangerous_header_members_are_rejected() {
    for (name, value, why) in [
        (
            "jwk",
            json!({"kty": "oct", "k": "AAAA"}),
            Invalid::ForbiddenHeader,
        ),
        (
            "jku",
            json!("https://attacker.example/jwks.json"),
            Invalid::ForbiddenHeader,
        ),
        (
            "x5u",
            json!("https://attacker.example/cert.pem"),
            Invalid::ForbiddenHeader,
        ),
        ("x5c", json!(["MIIB"]), Invalid::ForbiddenHeader),
        ("cty", json!("JWT"), Invalid::ForbiddenHeader),
        ("typ", json!("refresh+jwt"), Invalid::ForbiddenHeader),
        ("crit", json!(["exp"]), Invalid::Critical),
        ("crit", json!([]), Invalid::Critical),
        ("kid", json!("../../../../dev/null"), Invalid::UnknownKey),
        ("kid", json!(7), Invalid::Malformed),
        ("alg", json!(["HS256"]), Invalid::Malformed),
    ] {
        let mut header = hs_header();
        header[name] = value;
        assert_eq!(
            verify(&forge(&header, &claims("access"))),
            Err(TokenError::Invalid(why)),
            "{name}"
        );
    }
    // typ is compared case-insensitively (RFC 7515 section 4.1.9) and may be absent.
    verify(&forge(
        &json!({"alg": "HS256", "typ": "jwt"}),
        &claims("access"),
    ))
    .unwrap();
    verify(&forge(&json!({"alg": "HS256"}), &claims("access"))).unwrap();
    // A duplicated header member is refused.
    let dup = forge_raw(
        br#"{"alg":"HS256","alg":"none"}"#,
        claims("access").to_string().as_bytes(),
    );
    assert_eq!(verify(&dup), Err(TokenError::Invalid(Invalid::Malformed)));
}

#[test]
fn size_cap_applies_before_decoding() {
    let mut payload = claims("access");
    payload["pad"] = json!("x".repeat(9000));
    let big = forge(&hs_header(), &payload);
    assert_eq!(verify(&big), Err(TokenError::Invalid(Invalid::TooLarge)));
    assert_eq!(
        verify(&"a".repeat(1 << 20)),
        Err(TokenError::Invalid(Invalid::TooLarge))
    );
    let mut config = TokenConfig::simplejwt_defaults();
    config.max_token_bytes = 64 * 1024;
    service(config).verify_access(&big, at(NOW)).unwrap();
}

#[test]
fn header_or_payload_that_is_not_utf8_is_rejected_even_in_ignored_members() {
    // Found by the token_verify fuzz target: serde skips an unknown member without
    // checking its bytes, so UTF-8 is checked before parsing (RFC 8725 3.7).
    let bad_header = b"{\"alg\": \"HS256\", \"x-note\": \"\xc2J\"}";
    let payload = claims("access").to_string();
    assert!(verify(&forge_raw(bad_header, payload.as_bytes())).is_err());
    let good_header = hs_header().to_string();
    let mut bad_payload = payload.into_bytes();
    bad_payload.pop();
    bad_payload.extend_from_slice(b", \"x-note\": \"\xff\"}");
    assert!(verify(&forge_raw(good_header.as_bytes(), &bad_payload)).is_err());
    // The same members with valid UTF-8 verify, so the rejection is about the bytes.
    let ok_header = b"{\"alg\": \"HS256\", \"x-note\": \"\xc3\xa9\"}";
    verify(&forge_raw(
        ok_header,
        claims("access").to_string().as_bytes(),
    ))
    .unwrap();
}

#[test]
fn duplicate_header_members_are_rejected_even_unknown_ones() {
    // Found by the token_verify fuzz target; `inspect` already refused these.
    let payload = claims("access").to_string();
    for header in [
        r#"{"alg": "HS256", "x-note": "a", "x-note": "b"}"#,
        r#"{"alg": "HS256", "alg": "HS256"}"#,
    ] {
        assert!(
            verify(&forge_raw(header.as_bytes(), payload.as_bytes())).is_err(),
            "{header}"
        );
    }
    verify(&forge_raw(
        br#"{"alg": "HS256", "x-note": "a"}"#,
        payload.as_bytes(),
    ))
    .unwrap();
}

#[test]
fn malformed_framing_is_rejected() {
    let good = forge(&hs_header(), &claims("access"));
    for bad in [
        String::new(),
        "a.b".to_owned(),
        format!("{good}.x"),
        format!("{good}="),
        good.replacen('.', "..", 1),
        format!(" {good}"),
        "..".to_owned(),
    ] {
        assert!(verify(&bad).is_err(), "{bad}");
    }
}

#[test]
fn claim_rules_follow_pyjwt_and_simplejwt() {
    let cases: Vec<(Value, TokenError)> = vec![
        (
            json!({"token_type": "access", "jti": "x", "iat": NOW}),
            TokenError::NoExpiry,
        ),
        (
            json!({"token_type": "access", "exp": "9999999999", "jti": "x"}),
            TokenError::Invalid(Invalid::ClaimType),
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10, "nbf": "0", "jti": "x"}),
            TokenError::Invalid(Invalid::ClaimType),
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10, "nbf": NOW + 5, "jti": "x"}),
            TokenError::Invalid(Invalid::NotYetValid),
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10, "iat": NOW + 5, "jti": "x"}),
            TokenError::Invalid(Invalid::IssuedInFuture),
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10}),
            TokenError::NoId,
        ),
        (json!({"exp": NOW + 10, "jti": "x"}), TokenError::NoType),
        (
            json!({"token_type": "refresh", "exp": NOW + 10, "jti": "x"}),
            TokenError::WrongType,
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10, "jti": "x", "aud": "other"}),
            TokenError::Invalid(Invalid::Audience),
        ),
        (
            json!({"token_type": "access", "exp": NOW + 10, "jti": 5}),
            TokenError::Invalid(Invalid::ClaimType),
        ),
    ];
    for (payload, expected) in cases {
        assert_eq!(
            verify(&forge(&hs_header(), &payload)),
            Err(expected),
            "{payload}"
        );
    }
    let dup = forge_raw(
        &serde_json::to_vec(&hs_header()).unwrap(),
        format!(
            r#"{{"token_type":"access","exp":{},"jti":"x","user_id":"1","user_id":"2"}}"#,
            NOW + 10
        )
        .as_bytes(),
    );
    assert_eq!(verify(&dup), Err(TokenError::Invalid(Invalid::ClaimType)));
}

#[test]
fn time_boundaries_are_exact() {
    let token = forge(&hs_header(), &claims("access"));
    let svc = service(TokenConfig::simplejwt_defaults());
    let exp = NOW + 300;
    svc.verify_access(&token, UnixTime::from_nanos(exp * 1_000_000_000 - 1))
        .unwrap();
    assert_eq!(svc.verify_access(&token, at(exp)), Err(TokenError::Expired));
    let mut config = TokenConfig::simplejwt_defaults();
    config.leeway = Duration::from_secs(10);
    let lenient = service(config);
    lenient.verify_access(&token, at(exp + 9)).unwrap();
    assert_eq!(
        lenient.verify_access(&token, at(exp + 10)),
        Err(TokenError::Expired)
    );

    let mut payload = claims("access");
    payload["nbf"] = json!(NOW + 10);
    let nbf = forge(&hs_header(), &payload);
    svc.verify_access(&nbf, at(NOW + 10)).unwrap();
    assert!(
        svc.verify_access(&nbf, UnixTime::from_nanos((NOW + 10) * 1_000_000_000 - 1))
            .is_err()
    );
    lenient.verify_access(&nbf, at(NOW)).unwrap();

    let mut config = TokenConfig::simplejwt_defaults();
    config.max_token_age = Some(Duration::from_secs(60));
    let aged = service(config);
    aged.verify_access(&token, at(NOW + 59)).unwrap();
    assert_eq!(
        aged.verify_access(&token, at(NOW + 60)),
        Err(TokenError::Invalid(Invalid::TooOld))
    );
}

#[test]
fn audience_and_issuer_are_required_when_configured() {
    let mut config = TokenConfig::simplejwt_defaults();
    config.audience = Some("api".into());
    config.issuer = Some("auth".into());
    let svc = service(config);
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let claims_ = svc.verify_access(&pair.access, at(NOW)).unwrap();
    assert!(claims_.has_audience("api"));
    assert_eq!(claims_.issuer(), Some("auth"));
    // A token without them (SimpleJWT defaults) is refused.
    let plain = forge(&hs_header(), &claims("access"));
    assert_eq!(
        svc.verify_access(&plain, at(NOW)),
        Err(TokenError::Invalid(Invalid::Audience))
    );
    let mut wrong_iss = claims("access");
    wrong_iss["aud"] = json!(["x", "api"]);
    wrong_iss["iss"] = json!("evil");
    assert_eq!(
        svc.verify_access(&forge(&hs_header(), &wrong_iss), at(NOW)),
        Err(TokenError::Invalid(Invalid::Issuer))
    );
}

#[test]
fn a_tampered_signature_is_one_opaque_error() {
    let token = forge(&hs_header(), &claims("access"));
    let (rest, sig) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
    raw[0] ^= 1;
    let tampered = format!("{rest}.{}", b64(&raw));
    let err = verify(&tampered).unwrap_err();
    assert_eq!(err, TokenError::Invalid(Invalid::Signature));
    assert_eq!(err.to_string(), "Token is invalid");
    assert_eq!(
        verify(&format!("{rest}.")),
        Err(TokenError::Invalid(Invalid::Signature))
    );
}

#[test]
fn kind_is_enforced_both_ways() {
    let svc = service(TokenConfig::hardened());
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    assert_eq!(
        svc.verify_access(&pair.refresh, at(NOW)),
        Err(TokenError::WrongType)
    );
    assert_eq!(
        svc.refresh(&pair.access, at(NOW)),
        Err(TokenError::WrongType)
    );
    assert_eq!(
        svc.verify(&pair.access, TokenKind::Sliding, at(NOW)),
        Err(TokenError::WrongType)
    );
    // SimpleJWT's verify endpoint takes either.
    svc.verify_any(&pair.access, at(NOW)).unwrap();
    svc.verify_any(&pair.refresh, at(NOW)).unwrap();
}

#[test]
fn issued_tokens_carry_simplejwt_claims() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let pair = svc
        .issue_pair("42", &json!({"role": "staff"}), at(NOW))
        .unwrap();
    let seen = inspect(&pair.access, 8192).unwrap();
    assert_eq!(
        seen.header,
        json!({"alg": "HS256", "typ": "JWT"})
            .as_object()
            .unwrap()
            .clone()
    );
    let c = svc.verify_access(&pair.access, at(NOW)).unwrap();
    assert_eq!(c.token_type(), Some("access"));
    assert_eq!(c.exp(), at(NOW + 300));
    assert_eq!(c.iat(), Some(at(NOW)));
    assert_eq!(c.user_id(), Some("42"));
    assert_eq!(c.get("role"), Some(&json!("staff")));
    let jti = c.jti().unwrap();
    assert_eq!(jti.len(), 32);
    assert!(
        jti.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(jti.as_bytes()[12], b'4', "UUID version 4");
    let r = svc
        .verify(&pair.refresh, TokenKind::Refresh, at(NOW))
        .unwrap();
    assert_eq!(r.exp(), at(NOW + 86_400));
    assert_ne!(r.jti(), c.jti());
    assert_eq!(r.family(), c.family());

    #[derive(serde::Deserialize)]
    struct Mine {
        role: String,
        user_id: String,
    }
    let mine: Mine = c.custom().unwrap();
    assert_eq!((mine.role.as_str(), mine.user_id.as_str()), ("staff", "42"));
    // Claims the crate manages cannot be supplied.
    assert!(matches!(
        svc.issue_pair("42", &json!({"exp": 1}), at(NOW)),
        Err(TokenError::Config { .. })
    ));
    assert!(matches!(
        svc.issue_pair("42", &json!([1]), at(NOW)),
        Err(TokenError::Config { .. })
    ));
}

#[test]
fn claim_names_are_configurable_as_in_simplejwt() {
    let mut config = TokenConfig::hardened();
    config.user_id_claim = "uid".into();
    config.token_type_claim = "kind".into();
    config.jti_claim = "token_id".into();
    let svc = service(config);
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let raw = inspect(&pair.access, 8192).unwrap().claims;
    assert_eq!(raw["uid"], "7");
    assert_eq!(raw["kind"], "access");
    assert!(raw["token_id"].is_string());
    assert!(
        !raw.contains_key("user_id") && !raw.contains_key("token_type") && !raw.contains_key("jti")
    );
    let c = svc.verify_access(&pair.access, at(NOW)).unwrap();
    assert_eq!(c.user_id(), Some("7"));
    let next = svc.refresh(&pair.refresh, at(NOW)).unwrap();
    assert_eq!(svc.refresh(&pair.refresh, at(NOW)), Err(TokenError::Reused));
    assert_eq!(
        svc.verify_access(&next.access, at(NOW)),
        Err(TokenError::Blacklisted)
    );
    // A default-named SimpleJWT token has no type under these names.
    assert_eq!(
        verify_with(&svc, &forge(&hs_header(), &claims("access"))),
        Err(TokenError::NoId)
    );
}

fn verify_with(svc: &TokenService, token: &str) -> Result<(), TokenError> {
    svc.verify_access(token, at(NOW)).map(|_| ())
}

#[test]
fn refresh_without_rotation_copies_claims_and_keeps_the_token_usable() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let pair = svc
        .issue_pair("7", &json!({"tenant": "acme"}), at(NOW))
        .unwrap();
    let later = at(NOW + 100);
    let out = svc.refresh(&pair.refresh, later).unwrap();
    assert!(out.refresh.is_none());
    let access = svc.verify_access(&out.access, later).unwrap();
    let refresh = svc
        .verify(&pair.refresh, TokenKind::Refresh, later)
        .unwrap();
    // Every claim but token_type, exp, jti and iat is copied.
    for (name, value) in refresh.as_map() {
        if !["token_type", "exp", "jti", "iat"].contains(&name.as_str()) {
            assert_eq!(access.get(name), Some(value), "{name}");
        }
    }
    assert_eq!(access.iat(), Some(at(NOW + 100)));
    assert_eq!(access.exp(), at(NOW + 400));
    svc.refresh(&pair.refresh, later).unwrap();
}

#[test]
fn rotation_is_single_use_and_reuse_revokes_the_family() {
    let svc = service(TokenConfig::hardened());
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let first = svc.refresh(&pair.refresh, at(NOW + 10)).unwrap();
    let rotated = first.refresh.clone().unwrap();
    let second = svc.refresh(&rotated, at(NOW + 20)).unwrap();
    svc.verify_access(&second.access, at(NOW + 20)).unwrap();
    // Like SimpleJWT with BLACKLIST_AFTER_ROTATION, the verify endpoint calls a
    // rotated-out refresh token blacklisted.
    assert_eq!(
        svc.verify_any(&pair.refresh, at(NOW + 20)),
        Err(TokenError::Blacklisted)
    );
    svc.verify_any(&rotated, at(NOW + 20)).unwrap_err();
    svc.verify_any(second.refresh.as_ref().unwrap(), at(NOW + 20))
        .unwrap();
    // The attacker replays the first refresh token.
    assert_eq!(
        svc.refresh(&pair.refresh, at(NOW + 30)),
        Err(TokenError::Reused)
    );
    assert_eq!(TokenError::Reused.to_string(), "Token is blacklisted");
    // The whole family is dead: the legitimate holder's tokens too.
    let latest = second.refresh.unwrap();
    assert_eq!(
        svc.refresh(&latest, at(NOW + 40)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&second.access, at(NOW + 40)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&pair.access, at(NOW + 40)),
        Err(TokenError::Blacklisted)
    );
    // Another login (another family) is unaffected.
    let other = svc.issue_pair("7", &json!({}), at(NOW + 50)).unwrap();
    svc.refresh(&other.refresh, at(NOW + 50)).unwrap();
}

#[test]
fn concurrent_refreshes_of_one_token_have_exactly_one_winner() {
    let svc = Arc::new(service(TokenConfig::hardened()));
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let svc = Arc::clone(&svc);
            let barrier = Arc::clone(&barrier);
            let token = pair.refresh.clone();
            std::thread::spawn(move || {
                barrier.wait();
                svc.refresh(&token, at(NOW + 1))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(e, TokenError::Reused | TokenError::Blacklisted),
                "{e:?}"
            );
        }
    }
    // The losers' replays revoked the family, so even the winner's tokens are dead.
    let won = winners[0];
    assert_eq!(
        svc.verify_access(&won.access, at(NOW + 2)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.refresh(won.refresh.as_ref().unwrap(), at(NOW + 2)),
        Err(TokenError::Blacklisted)
    );
}

#[test]
fn logout_revokes_the_session() {
    let svc = service(TokenConfig::hardened());
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let other = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    svc.logout(&pair.refresh, at(NOW + 1)).unwrap();
    assert_eq!(
        svc.refresh(&pair.refresh, at(NOW + 2)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&pair.access, at(NOW + 2)),
        Err(TokenError::Blacklisted)
    );
    svc.verify_access(&other.access, at(NOW + 2)).unwrap();
    assert_eq!(
        svc.logout(&pair.access, at(NOW + 2)),
        Err(TokenError::WrongType)
    );
}

#[test]
fn revoke_all_before_a_time_spares_newer_tokens() {
    let svc = service(TokenConfig::hardened());
    let old = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let bystander = svc.issue_pair("8", &json!({}), at(NOW)).unwrap();
    svc.revoke_user_before("7", at(NOW + 60)).unwrap();
    // The cutoff is the call's millisecond: the next login is a millisecond later.
    let next_ms = at(NOW + 60).checked_add(Duration::from_millis(1)).unwrap();
    let new = svc.issue_pair("7", &json!({}), next_ms).unwrap();
    assert_eq!(
        svc.verify_access(&old.access, at(NOW + 61)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.refresh(&old.refresh, at(NOW + 61)),
        Err(TokenError::Blacklisted)
    );
    svc.verify_access(&new.access, at(NOW + 61)).unwrap();
    svc.verify_access(&bystander.access, at(NOW + 61)).unwrap();
}

#[test]
fn sliding_tokens_renew_until_refresh_exp() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let token = svc.issue_sliding("7", &json!({}), at(NOW)).unwrap();
    let c = svc.verify(&token, TokenKind::Sliding, at(NOW)).unwrap();
    assert_eq!(c.refresh_exp(), Some(at(NOW + 86_400)));
    let renewed = svc.refresh_sliding(&token, at(NOW + 200)).unwrap();
    let r = svc
        .verify(&renewed, TokenKind::Sliding, at(NOW + 200))
        .unwrap();
    assert_eq!(r.exp(), at(NOW + 500));
    assert_eq!(r.jti(), c.jti(), "SimpleJWT keeps the jti");
    assert_eq!(r.refresh_exp(), c.refresh_exp());
    // An expired sliding token cannot be renewed even inside refresh_exp (SimpleJWT).
    assert_eq!(
        svc.refresh_sliding(&token, at(NOW + 300)),
        Err(TokenError::Expired)
    );
    // Keep renewing until refresh_exp passes.
    let mut current = renewed;
    let mut t = NOW + 200;
    let last_ok = loop {
        t += 250;
        match svc.refresh_sliding(&current, at(t)) {
            Ok(next) => current = next,
            Err(e) => break (t, e),
        }
    };
    assert_eq!(last_ok.1, TokenError::RefreshExpired);
    assert!(last_ok.0 >= NOW + 86_400);
}

#[test]
fn purging_never_revives_a_token_still_inside_its_leeway() {
    let mut config = TokenConfig::hardened();
    config.leeway = Duration::from_secs(30);
    let svc = service(config);
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    svc.refresh(&pair.refresh, at(NOW)).unwrap();
    let exp = NOW + 7 * 86_400;
    // At exp the token is still valid thanks to the leeway: its consumed entry must stay.
    assert_eq!(svc.purge_expired(at(exp)).unwrap(), 0);
    assert_eq!(svc.refresh(&pair.refresh, at(exp)), Err(TokenError::Reused));
    assert_eq!(svc.purge_expired(at(exp + 30 + 7 * 86_400)).unwrap(), 2);
    assert_eq!(
        svc.refresh(&pair.refresh, at(exp + 30)),
        Err(TokenError::Expired)
    );
}

#[test]
fn purge_drops_only_moot_entries() {
    let svc = service(TokenConfig::hardened());
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    svc.refresh(&pair.refresh, at(NOW)).unwrap();
    svc.revoke_user_before("9", at(NOW)).unwrap();
    assert_eq!(svc.store().len(), 2);
    assert_eq!(svc.purge_expired(at(NOW + 3600)).unwrap(), 0);
    assert_eq!(svc.purge_expired(at(NOW + 8 * 86_400 + 60)).unwrap(), 2);
    assert!(svc.store().is_empty());
}

#[test]
fn key_rotation_keeps_old_tokens_valid_until_the_key_is_dropped() {
    let first = hs256().with_kid("2026-01");
    let mut config = TokenConfig::hardened();
    config.algorithms = vec![Algorithm::HS256, Algorithm::EdDSA];
    let mut svc = TokenService::in_memory(config, Keyring::new(first)).unwrap();
    let old = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    assert_eq!(inspect(&old.access, 8192).unwrap().header["kid"], "2026-01");

    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let next = SigningKey::from_pkcs8_der(Algorithm::EdDSA, pkcs8.as_ref())
        .unwrap()
        .with_kid("2026-02");
    svc.tokens_mut().rotate_signing_key(next).unwrap();
    let new = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    assert_eq!(inspect(&new.access, 8192).unwrap().header["alg"], "EdDSA");
    svc.verify_access(&old.access, at(NOW)).unwrap();
    svc.verify_access(&new.access, at(NOW)).unwrap();
    let jwks = svc.tokens().keyring().jwks();
    assert_eq!(
        jwks.keys.len(),
        1,
        "only the public Ed25519 key is published"
    );

    assert!(svc.tokens_mut().remove_key("2026-01"));
    assert_eq!(
        svc.verify_access(&old.access, at(NOW)),
        Err(TokenError::Invalid(Invalid::UnknownKey))
    );
    // Kid-less tokens (SimpleJWT) need an explicit default key.
    let kidless = forge(&hs_header(), &claims("access"));
    assert_eq!(
        svc.verify_access(&kidless, at(NOW)),
        Err(TokenError::Invalid(Invalid::UnknownKey))
    );
    // A key whose algorithm is not configured is refused.
    let es = EcdsaKeyPair::generate_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let es_key = SigningKey::from_pkcs8_der(Algorithm::ES256, es.as_ref())
        .unwrap()
        .with_kid("es");
    assert!(matches!(
        svc.tokens_mut().rotate_signing_key(es_key),
        Err(TokenError::Config {
            setting: "algorithms",
            ..
        })
    ));
    let hs_verify = VerifyingKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap();
    assert!(
        svc.tokens_mut().add_verifying_key(hs_verify).is_err(),
        "needs a kid"
    );
}

#[test]
fn the_sans_io_path_gives_the_same_answers() {
    let tokens = Tokens::new(TokenConfig::hardened(), Keyring::new(hs256())).unwrap();
    let store = MemoryRevocationStore::default();
    let svc = TokenService::new(
        Tokens::new(TokenConfig::hardened(), Keyring::new(hs256())).unwrap(),
        MemoryRevocationStore::default(),
    );
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();

    // Verify: pure step, the host's lookup, finish.
    let verified = tokens
        .verify(&pair.access, Some(TokenKind::Access), at(NOW))
        .unwrap();
    let lookup = verified.lookup();
    assert_eq!(lookup.user, Some("7"));
    let status = store.status(&lookup).unwrap();
    let claims = verified.finish(status).unwrap();
    assert_eq!(claims.user_id(), Some("7"));

    // Refresh: the plan asks for a consume; replaying it reports reuse and the revocation.
    let plan = tokens.begin_refresh(&pair.refresh, at(NOW)).unwrap();
    let StoreStep::Consume(l) = plan.store_step() else {
        panic!("rotation consumes")
    };
    let out = plan
        .finish(StoreAnswer::Consumed(store.consume(&l).unwrap()))
        .unwrap();
    assert!(out.refresh.is_some());
    let replay = tokens.begin_refresh(&pair.refresh, at(NOW)).unwrap();
    let StoreStep::Consume(l) = replay.store_step() else {
        panic!()
    };
    let answer = StoreAnswer::Consumed(store.consume(&l).unwrap());
    assert_eq!(replay.finish(answer), Err(TokenError::Reused));
    store.revoke(replay.reuse_revocation()).unwrap();
    let again = tokens
        .verify(&out.access, Some(TokenKind::Access), at(NOW))
        .unwrap();
    assert_eq!(store.status(&again.lookup()).unwrap(), Status::Revoked);
}

#[test]
fn a_full_store_fails_closed() {
    // Two entries: one for consumption records, one kept for revocations.
    let svc = TokenService::new(
        Tokens::new(TokenConfig::hardened(), Keyring::new(hs256())).unwrap(),
        MemoryRevocationStore::with_capacity(2),
    );
    let a = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let b = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    svc.refresh(&a.refresh, at(NOW)).unwrap();
    assert!(matches!(
        svc.refresh(&b.refresh, at(NOW)),
        Err(TokenError::Store(_))
    ));
}

#[test]
fn into_crate_error_keeps_the_message() {
    let err: portcullis::Error = TokenError::Expired.into();
    assert_eq!(err.to_string(), "Token is expired");
}

#[test]
fn config_loads_from_toml_with_human_durations() {
    let config: TokenConfig = toml::from_str(
        r#"
        access_token_lifetime = "15m"
        refresh_token_lifetime = "7d"
        rotate_refresh_tokens = true
        blacklist_after_rotation = true
        leeway = 30
        algorithms = ["HS256", "EdDSA"]
        auth_header_types = ["Bearer", "JWT"]
        refresh_cookie_name = "refresh"
        "#,
    )
    .unwrap();
    config.validate().unwrap();
    assert_eq!(config.access_token_lifetime, Duration::from_secs(900));
    assert_eq!(config.refresh_token_lifetime, Duration::from_secs(604_800));
    assert_eq!(config.leeway, Duration::from_secs(30));
    assert_eq!(config.refresh_cookie_name.as_deref(), Some("refresh"));
    let short: TokenConfig = toml::from_str("access_token_lifetime = \"2d\"").unwrap();
    let err = short.validate().unwrap_err().to_string();
    assert!(err.contains("refresh_token_lifetime"), "{err}");
}

#[test]
fn every_algorithm_signs_and_verifies_and_refuses_the_others() {
    let rng = ring::rand::SystemRandom::new();
    let fixtures: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/token/simplejwt_tokens.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let rsa_pem = fixtures["keys"]["RS256"]["private"].as_str().unwrap();
    let es384 =
        EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .unwrap();
    let es256 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let mut issued = Vec::new();
    for alg in Algorithm::ALL {
        let key = match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                SigningKey::hmac(alg, &SecretBytes::from_slice(SECRET)).unwrap()
            }
            Algorithm::ES256 => SigningKey::from_pkcs8_der(alg, es256.as_ref()).unwrap(),
            Algorithm::ES384 => SigningKey::from_pkcs8_der(alg, es384.as_ref()).unwrap(),
            Algorithm::EdDSA => SigningKey::from_pkcs8_der(alg, ed.as_ref()).unwrap(),
            _ => SigningKey::from_pem(alg, rsa_pem).unwrap(),
        };
        let mut config = TokenConfig::simplejwt_defaults();
        config.algorithms = vec![alg];
        let svc = TokenService::in_memory(config, Keyring::new(key)).unwrap();
        let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
        assert_eq!(
            inspect(&pair.access, 8192).unwrap().header["alg"],
            alg.as_str()
        );
        svc.verify_access(&pair.access, at(NOW)).unwrap();
        issued.push((alg, svc, pair.access));
    }
    for (alg, svc, _) in &issued {
        for (other, _, token) in &issued {
            if alg != other {
                assert!(
                    svc.verify_access(token, at(NOW)).is_err(),
                    "{alg} accepted {other}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// exp is exclusive and leeway extends it exactly; nbf is inclusive.
    #[test]
    fn time_boundaries_hold_for_any_lifetime_and_leeway(lifetime in 1u64..100_000, leeway in 0u64..3600) {
        let mut config = TokenConfig::simplejwt_defaults();
        config.access_token_lifetime = Duration::from_secs(lifetime);
        config.refresh_token_lifetime = Duration::from_secs(lifetime.max(86_400));
        config.leeway = Duration::from_secs(leeway);
        let svc = service(config);
        let token = svc.tokens().issue(TokenKind::Access, "7", &json!({}), at(NOW)).unwrap();
        let limit = (NOW + lifetime + leeway) * 1_000_000_000;
        prop_assert!(svc.verify_access(&token, UnixTime::from_nanos(limit - 1)).is_ok());
        prop_assert_eq!(svc.verify_access(&token, UnixTime::from_nanos(limit)), Err(TokenError::Expired));
        let early = (NOW - leeway) * 1_000_000_000;
        prop_assert!(svc.verify_access(&token, UnixTime::from_nanos(early)).is_ok());
        prop_assert_eq!(
            svc.verify_access(&token, UnixTime::from_nanos(early - 1)),
            Err(TokenError::Invalid(Invalid::IssuedInFuture))
        );
    }

    /// Changing any one character of a valid token (to another base64url character,
    /// or a dot) makes it fail.
    #[test]
    fn any_single_character_change_is_rejected(index in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.-]") {
        let svc = service(TokenConfig::simplejwt_defaults());
        let pair = svc.issue_pair("7", &json!({"scope": "read"}), at(NOW)).unwrap();
        let token = pair.access;
        let i = index.index(token.len());
        let original = &token[i..=i];
        prop_assume!(original != replacement);
        let changed = format!("{}{}{}", &token[..i], replacement, &token[i + 1..]);
        prop_assert!(svc.verify_access(&changed, at(NOW)).is_err());
    }

    /// Never a panic on arbitrary text.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = verify(&text);
        let _ = inspect(&text, 8192);
    }
}

#[test]
fn the_storage_free_engine_issues_pairs_for_async_hosts() {
    let tokens = Tokens::new(TokenConfig::simplejwt_defaults(), Keyring::new(hs256())).unwrap();
    let pair = tokens
        .issue_pair("7", &json!({"role": "staff"}), at(NOW))
        .unwrap();
    let access = tokens
        .verify(&pair.access, Some(TokenKind::Access), at(NOW))
        .unwrap();
    let refresh = tokens
        .verify(&pair.refresh, Some(TokenKind::Refresh), at(NOW))
        .unwrap();
    assert_eq!(access.claims().user_id(), Some("7"));
    assert_eq!(access.claims().get("role"), Some(&json!("staff")));
    assert_eq!(
        access.claims().get("family"),
        refresh.claims().get("family")
    );
    assert!(access.claims().get("family").is_some());
}
