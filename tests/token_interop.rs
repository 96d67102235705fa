//! Interoperability with djangorestframework-simplejwt, proven with fixtures that the
//! real SimpleJWT and PyJWT produced (tests/data/token/generate.py):
//! tokens SimpleJWT issued verify here, and tokens issued here were accepted by SimpleJWT,
//! which rejected them as the wrong kind with the very message this crate gives.

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, KeyFamily, Keyring, SigningKey, TokenConfig, TokenError, TokenKind, TokenService,
    VerifyingKey,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/token/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn config(alg: Algorithm, case: &Value) -> TokenConfig {
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![alg];
    config.audience = case["audience"].as_str().map(str::to_owned);
    config.issuer = case["issuer"].as_str().map(str::to_owned);
    config
}

/// A verify-only service for `alg` from the fixture's keys (the public PEM, or the
/// secret text for HMAC), as a resource server would hold them.
fn verifier(data: &Value, alg: Algorithm, case: &Value, from_private: bool) -> TokenService {
    let keys = &data["keys"][alg.as_str()];
    let key = match alg.family() {
        KeyFamily::Hmac => VerifyingKey::hmac(
            alg,
            &SecretBytes::from_slice(data["secret_key"].as_str().unwrap().as_bytes()),
        ),
        _ => VerifyingKey::from_pem(
            alg,
            keys[if from_private { "private" } else { "public" }]
                .as_str()
                .unwrap(),
        ),
    }
    .unwrap();
    TokenService::in_memory(config(alg, case), Keyring::verify_only(key)).unwrap()
}

fn signer(data: &Value, alg: Algorithm, case: &Value) -> TokenService {
    let key = match alg.family() {
        KeyFamily::Hmac => SigningKey::hmac(
            alg,
            &SecretBytes::from_slice(data["secret_key"].as_str().unwrap().as_bytes()),
        ),
        _ => SigningKey::from_pem(alg, data["keys"][alg.as_str()]["private"].as_str().unwrap()),
    }
    .unwrap();
    TokenService::in_memory(config(alg, case), Keyring::new(key)).unwrap()
}

fn kind(case: &Value) -> TokenKind {
    TokenKind::from_claim(case["kind"].as_str().unwrap()).unwrap()
}

fn wrong(kind: TokenKind) -> TokenKind {
    match kind {
        TokenKind::Access => TokenKind::Refresh,
        _ => TokenKind::Access,
    }
}

#[test]
fn tokens_simplejwt_issued_verify_here_with_the_same_keys() {
    let data = fixture("simplejwt_tokens.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 16,
        "every algorithm, kind and option is covered"
    );
    for case in cases {
        let alg: Algorithm = case["alg"].as_str().unwrap().parse().unwrap();
        let token = case["token"].as_str().unwrap();
        let expected = case["claims"].as_object().unwrap();
        let iat = expected["iat"].as_u64().unwrap();
        let exp = expected["exp"].as_u64().unwrap();
        let what = format!("{alg} {} aud={}", case["kind"], case["audience"]);
        for from_private in [false, true] {
            let svc = verifier(&data, alg, case, from_private);
            let claims = svc.verify(token, kind(case), at(iat)).expect(&what);
            let mut got = claims.as_map().clone();
            if let Some(Value::Number(n)) = expected.get("user_id") {
                // The legacy integer id is kept as sent and read as a string.
                assert_eq!(claims.user_id(), Some(n.to_string().as_str()), "{what}");
                got.insert("user_id".into(), json!(n));
            }
            assert_eq!(&got, expected, "{what}");
            assert_eq!(
                svc.verify(token, kind(case), at(exp)),
                Err(TokenError::Expired),
                "{what}"
            );
            assert_eq!(
                svc.verify(token, wrong(kind(case)), at(iat))
                    .unwrap_err()
                    .to_string(),
                "Token has wrong type",
                "{what}"
            );
        }
        assert_eq!(
            claims_header(case),
            json!({"alg": alg.as_str(), "typ": "JWT"}),
            "{what}"
        );
    }
}

fn claims_header(case: &Value) -> Value {
    case["header"].clone()
}

#[test]
fn simplejwt_refresh_tokens_refresh_here_copying_their_claims() {
    let data = fixture("simplejwt_tokens.json");
    for case in data["cases"].as_array().unwrap() {
        if case["kind"] != "refresh" {
            continue;
        }
        let alg: Algorithm = case["alg"].as_str().unwrap().parse().unwrap();
        let iat = case["claims"]["iat"].as_u64().unwrap();
        let svc = signer(&data, alg, case);
        let out = svc
            .refresh(case["token"].as_str().unwrap(), at(iat + 60))
            .unwrap();
        let access = svc.verify_access(&out.access, at(iat + 60)).unwrap();
        assert_eq!(access.get("role"), Some(&json!("staff")));
        assert_eq!(access.user_id(), Some("42"));
        assert_eq!(access.exp(), at(iat + 60 + 300));
    }
}

#[test]
fn tokens_issued_here_were_accepted_by_simplejwt() {
    let data = fixture("rust_issued.json");
    let checked_at = at(data["checked_at"].as_u64().unwrap());
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let alg: Algorithm = case["alg"].as_str().unwrap().parse().unwrap();
        let token = case["token"].as_str().unwrap();
        let what = format!("{alg} {} via {}", case["kind"], case["how"]);
        let svc = verifier(&data, alg, &json!({}), false);
        let ours = svc.verify(token, kind(case), checked_at);
        let simplejwt = case["simplejwt_as_kind"].as_str().unwrap();
        match &ours {
            Ok(_) => assert_eq!(simplejwt, "accepted", "{what}"),
            Err(e) => assert_eq!(simplejwt, e.to_string(), "{what}"),
        }
        if case["how"].as_str().unwrap().starts_with("issue --now") {
            assert_eq!(ours, Err(TokenError::Expired));
        } else {
            assert_eq!(simplejwt, "accepted", "{what}");
            let as_wrong = TokenKind::from_claim(case["wrong_kind"].as_str().unwrap()).unwrap();
            let err = svc.verify(token, as_wrong, checked_at).unwrap_err();
            assert_eq!(case["simplejwt_as_wrong_kind"], err.to_string(), "{what}");
            assert_eq!(case["simplejwt_untyped"], "accepted", "{what}");
        }
    }
}

#[test]
fn simplejwt_sliding_tokens_renew_here_keeping_their_jti() {
    let data = fixture("simplejwt_tokens.json");
    for case in data["cases"].as_array().unwrap() {
        if case["kind"] != "sliding" {
            continue;
        }
        let alg: Algorithm = case["alg"].as_str().unwrap().parse().unwrap();
        let iat = case["claims"]["iat"].as_u64().unwrap();
        let svc = signer(&data, alg, case);
        let renewed = svc
            .refresh_sliding(case["token"].as_str().unwrap(), at(iat + 60))
            .unwrap();
        let claims = svc
            .verify(&renewed, TokenKind::Sliding, at(iat + 60))
            .unwrap();
        assert_eq!(claims.jti(), case["claims"]["jti"].as_str());
        assert_eq!(
            claims.refresh_exp(),
            case["claims"]["refresh_exp"].as_u64().map(at)
        );
        assert_eq!(claims.exp(), at(iat + 60 + 300));
    }
}

#[test]
fn an_audience_simplejwt_would_ignore_is_refused_here_unless_configured() {
    let data = fixture("simplejwt_tokens.json");
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["audience"].is_string())
        .unwrap();
    let iat = case["claims"]["iat"].as_u64().unwrap();
    let token = case["token"].as_str().unwrap();
    let plain = verifier(&data, Algorithm::HS256, &json!({}), false);
    assert_eq!(
        plain.verify(token, kind(case), at(iat)),
        Err(TokenError::Invalid(portcullis::token::Invalid::Audience))
    );
    verifier(&data, Algorithm::HS256, case, false)
        .verify(token, kind(case), at(iat))
        .unwrap();
}
