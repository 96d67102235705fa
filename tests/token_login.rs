//! `token::login`: the login and refresh bodies in SimpleJWT's shape and the
//! replaced services' shape, the user fields, and the `UPDATE_LAST_LOGIN` hook.

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, LoginResponse, RefreshResponse, SigningKey, TokenConfig, TokenError,
    TokenService, TokenType, UserFields,
};
use serde_json::json;

fn service(config: TokenConfig) -> TokenService {
    let secret = SecretBytes::from_slice(b"a signing key of at least 32 bytes!!");
    let keyring = Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret).unwrap());
    TokenService::in_memory(config, keyring).unwrap()
}

fn now() -> UnixTime {
    UnixTime::from_secs(1_800_000_000).unwrap()
}

/// The body's keys, in the order they are written.
fn keys(body: &impl serde::Serialize) -> Vec<String> {
    let text = serde_json::to_string(body).unwrap();
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    // A serde_json map sorts its keys: read the order from the text.
    let mut found: Vec<(usize, String)> = value
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn the_simplejwt_login_body_is_the_pair_only() {
    let tokens = service(TokenConfig::simplejwt_defaults());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let body = LoginResponse::simplejwt(&pair);
    assert_eq!(keys(&body), ["refresh", "access"]);
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"refresh": pair.refresh, "access": pair.access})
    );
}

#[test]
fn the_bearer_login_body_adds_type_lifetime_and_user_fields() {
    let config = TokenConfig::hardened();
    let tokens = service(config.clone());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let user = json!({"id": 42, "username": "ada", "email": "ada@example.com", "is_staff": false});
    let fields = UserFields::new(["id", "email"]).unwrap();
    let body = LoginResponse::bearer(&pair, &config)
        .with_user(&user, &fields)
        .unwrap();
    assert_eq!(
        keys(&body),
        ["refresh", "access", "token_type", "expires_in", "user"]
    );
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 900);
    assert_eq!(json["user"], json!({"id": 42, "email": "ada@example.com"}));
    // A client reads the same body back.
    let back: LoginResponse = serde_json::from_value(json).unwrap();
    assert_eq!(back, body);
    assert_eq!(back.token_type, Some(TokenType::Bearer));
}

#[test]
fn user_fields_never_show_a_password_and_must_exist() {
    for bad in ["password", "Password_hash", ""] {
        assert!(
            matches!(UserFields::new([bad]), Err(TokenError::Config { .. })),
            "{bad:?}"
        );
    }
    let tokens = service(TokenConfig::hardened());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let fields = UserFields::new(["id", "email"]).unwrap();
    let body = LoginResponse::simplejwt(&pair);
    let missing = body.clone().with_user(&json!({"id": 1}), &fields);
    assert!(
        matches!(&missing, Err(TokenError::Config { reason, .. }) if reason.contains("`email`")),
        "{missing:?}"
    );
    assert!(body.with_user(&json!([1, 2]), &fields).is_err());
}

#[test]
fn refresh_bodies_follow_rotation() {
    let rotating = TokenConfig::hardened();
    let tokens = service(rotating.clone());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let refreshed = tokens.refresh(&pair.refresh, now()).unwrap();
    let body = RefreshResponse::simplejwt(&refreshed);
    assert_eq!(keys(&body), ["access", "refresh"]);
    let bearer = RefreshResponse::bearer(&refreshed, &rotating);
    assert_eq!(
        keys(&bearer),
        ["access", "refresh", "token_type", "expires_in"]
    );
    assert_eq!(serde_json::to_value(&bearer).unwrap()["expires_in"], 900);

    let plain = TokenConfig::simplejwt_defaults();
    let tokens = service(plain.clone());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let refreshed = tokens.refresh(&pair.refresh, now()).unwrap();
    let body = RefreshResponse::bearer(&refreshed, &plain);
    assert_eq!(keys(&body), ["access", "token_type", "expires_in"]);
    assert_eq!(serde_json::to_value(&body).unwrap()["expires_in"], 300);
}

#[test]
fn debug_hides_the_tokens() {
    let tokens = service(TokenConfig::hardened());
    let pair = tokens.issue_pair("42", &(), now()).unwrap();
    let refreshed = tokens.refresh(&pair.refresh, now()).unwrap();
    let shown = format!(
        "{:?} {:?}",
        LoginResponse::simplejwt(&pair),
        RefreshResponse::simplejwt(&refreshed)
    );
    for token in [&pair.access, &pair.refresh, &refreshed.access] {
        assert!(!shown.contains(token.as_str()), "{shown}");
    }
    assert!(shown.contains("[REDACTED]"));
}

#[test]
fn a_login_asks_for_the_last_login_update_only_when_configured() {
    let off = service(TokenConfig::hardened());
    assert!(off.login("42", &(), now()).unwrap().last_login.is_none());
    let mut config = TokenConfig::hardened();
    config.update_last_login = true;
    let on = service(config);
    let login = on.login("42", &(), now()).unwrap();
    let update = login.last_login.unwrap();
    assert_eq!((update.user_id.as_str(), update.at), ("42", now()));
    assert!(on.verify_access(&login.pair.access, now()).is_ok());
    // The setting loads under SimpleJWT's name in lower case.
    let loaded: TokenConfig = serde_json::from_value(json!({"update_last_login": true})).unwrap();
    assert!(loaded.update_last_login);
}
