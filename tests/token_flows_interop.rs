//! The token flows against what SimpleJWT itself produced (tests/data/token/
//! generate_flows.py): fractional NumericDates, this crate's millisecond `iat`, a
//! token without a user, `CHECK_REVOKE_TOKEN`, and logout of a SimpleJWT-made chain.

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, SigningKey, TokenConfig, TokenError, TokenKind, TokenService,
    password_hash_claim,
};
use serde_json::{Value, json};

fn flows() -> Value {
    let path = format!(
        "{}/tests/data/token/simplejwt_flows.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn service(data: &Value, config: TokenConfig) -> TokenService {
    let secret = SecretBytes::from_slice(data["secret_key"].as_str().unwrap().as_bytes());
    let key = SigningKey::hmac(Algorithm::HS256, &secret).unwrap();
    TokenService::in_memory(config, Keyring::new(key)).unwrap()
}

/// A NumericDate of the fixture as nanoseconds (the fixtures use at most milliseconds).
fn nanos(value: &Value) -> u64 {
    let text = value.to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = format!("{frac:0<9}");
    whole.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap()
}

#[test]
fn fractional_numeric_dates_simplejwt_accepted_verify_here_to_the_instant() {
    let data = flows();
    let svc = service(&data, TokenConfig::simplejwt_defaults());
    for case in data["fractional"].as_array().unwrap() {
        assert_eq!(case["simplejwt"], "accepted");
        let token = case["token"].as_str().unwrap();
        let claims = &case["claims"];
        let exp = nanos(&claims["exp"]);
        let start = claims.get("nbf").map_or(nanos(&claims["iat"]), nanos);
        let got = svc
            .verify_access(token, UnixTime::from_nanos(start))
            .unwrap();
        assert_eq!(got.exp().as_nanos(), exp, "{claims}");
        assert_eq!(got.iat().unwrap().as_nanos(), nanos(&claims["iat"]));
        svc.verify_access(token, UnixTime::from_nanos(exp - 1))
            .unwrap();
        assert_eq!(
            svc.verify_access(token, UnixTime::from_nanos(exp)),
            Err(TokenError::Expired)
        );
        if claims.get("nbf").is_some() {
            assert!(
                svc.verify_access(token, UnixTime::from_nanos(start - 1))
                    .is_err()
            );
        }
    }
}

#[test]
fn simplejwt_accepts_the_millisecond_iat_this_crate_issues() {
    let data = flows();
    let case = &data["rust_millisecond_iat"];
    assert_eq!(case["simplejwt_access"], "accepted");
    assert_eq!(case["simplejwt_untyped"], "accepted");
    let iat = &case["claims"]["iat"];
    assert!(iat.is_f64(), "the crate wrote milliseconds: {iat}");
    let at = UnixTime::from_nanos(nanos(iat));
    let svc = service(&data, TokenConfig::simplejwt_defaults());
    let claims = svc
        .verify_access(case["token"].as_str().unwrap(), at)
        .unwrap();
    assert_eq!(claims.iat(), Some(at));
}

#[test]
fn a_token_without_a_user_gets_simplejwt_s_body() {
    let data = flows();
    let case = &data["no_user"];
    let token = case["token"].as_str().unwrap();
    let at = UnixTime::from_secs(case["claims"]["iat"].as_u64().unwrap()).unwrap();
    let svc = service(&data, TokenConfig::simplejwt_defaults());
    let err = svc.verify_access(token, at).unwrap_err();
    assert_eq!(err, TokenError::NoUserId);
    assert_eq!(err.authentication_body(), case["body"]);
    assert_eq!(err.response_body(), case["body"]);
    assert_eq!(case["simplejwt_untyped"], "accepted");
    svc.verify_any(token, at).unwrap();
}

#[test]
fn check_revoke_token_matches_simplejwt_s_claim_and_refuses_after_a_password_change() {
    let data = flows();
    let spec = &data["revoke_token_claim"];
    let mut config = TokenConfig::simplejwt_defaults();
    config.check_revoke_token = true;
    assert_eq!(spec["claim"], config.revoke_token_claim);
    let svc = service(&data, config);
    for case in spec["cases"].as_array().unwrap() {
        let password = case["password_hash"].as_str().unwrap();
        assert_eq!(password_hash_claim(password), case["md5"], "{password}");
        let at = UnixTime::from_secs(case["claims"]["iat"].as_u64().unwrap()).unwrap();
        let claims = svc
            .verify(case["token"].as_str().unwrap(), TokenKind::Refresh, at)
            .unwrap();
        svc.tokens().check_password(&claims, password).unwrap();
        let changed = svc
            .tokens()
            .check_password(&claims, "pbkdf2_sha256$1000000$new$hash")
            .unwrap_err();
        assert_eq!(changed, TokenError::PasswordChanged);
        assert_eq!(changed.to_string(), spec["message"]);
        assert_eq!(changed.code(), spec["code"]);
        // Access tokens minted from it carry the claim, as SimpleJWT's do.
        let out = svc.refresh(case["token"].as_str().unwrap(), at).unwrap();
        let access = svc.verify_access(&out.access, at).unwrap();
        svc.tokens().check_password(&access, password).unwrap();
    }
    // Issuing here: the host passes the claim; forgetting it is a configuration error.
    let at = UnixTime::from_secs(1_800_000_000).unwrap();
    let forgot = svc.issue_pair("42", &json!({}), at).unwrap_err();
    assert!(matches!(
        forgot,
        TokenError::Config {
            setting: "check_revoke_token",
            ..
        }
    ));
    let hash = "argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    let pair = svc
        .issue_pair(
            "42",
            &json!({"hash_password": password_hash_claim(hash)}),
            at,
        )
        .unwrap();
    let claims = svc.verify_access(&pair.access, at).unwrap();
    svc.tokens().check_password(&claims, hash).unwrap();
    // Off, the check passes whatever the claim.
    let plain = service(&data, TokenConfig::simplejwt_defaults());
    plain.tokens().check_password(&claims, "other").unwrap();
}

#[test]
fn logout_of_a_simplejwt_refresh_token_revokes_the_access_tokens_minted_from_it() {
    let data = flows();
    let token = data["refresh"]["token"].as_str().unwrap();
    let at = UnixTime::from_secs(data["refresh"]["claims"]["iat"].as_u64().unwrap() + 60).unwrap();
    // No rotation: the SimpleJWT token keeps minting access tokens.
    let svc = service(&data, TokenConfig::simplejwt_defaults());
    let first = svc.refresh(token, at).unwrap();
    let second = svc.refresh(token, at).unwrap();
    svc.logout(token, at).unwrap();
    for access in [&first.access, &second.access] {
        assert_eq!(svc.verify_access(access, at), Err(TokenError::Blacklisted));
    }
    assert_eq!(svc.refresh(token, at), Err(TokenError::Blacklisted));
}
