//! The axum service's login and refresh bodies: exactly SimpleJWT's by default,
//! the Bearer shape (`token_type`, `expires_in`, `user`) when configured, the
//! configuration refused at start when it cannot work, and the login's
//! `last_login` update written to the user table.

mod service_support;

use serde_json::{Value, json};
use service_support::{PASSWORD, Service};

/// The keys of a JSON object, sorted.
fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// `exp - iat` of a token in whole seconds, the lifetime the engine signs with
/// (`iat` is to the millisecond, `exp` whole seconds: round up).
fn lifetime(token: &Value) -> u64 {
    let claims = portcullis::token::inspect(token.as_str().unwrap(), 8192)
        .unwrap()
        .claims;
    let seconds = claims["exp"].as_f64().unwrap() - claims["iat"].as_f64().unwrap();
    seconds.ceil() as u64
}

fn login(service: &Service) -> Value {
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn refresh(service: &Service, refresh: &Value) -> Value {
    let r = service.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn the_default_shape_is_exactly_simplejwts() {
    let service = Service::start(&[]);
    let pair = login(&service);
    assert_eq!(keys(&pair), ["access", "refresh"]);
    // Rotation is on: SimpleJWT's refresh view answers both tokens.
    let next = refresh(&service, &pair["refresh"]);
    assert_eq!(keys(&next), ["access", "refresh"]);
    // Named explicitly, the same.
    let service = Service::start(&[("PORTCULLIS_RESPONSE_SHAPE", "simplejwt")]);
    assert_eq!(keys(&login(&service)), ["access", "refresh"]);
}

#[test]
fn the_bearer_shape_adds_token_type_expires_in_and_the_configured_user_fields() {
    let service = Service::start(&[
        ("PORTCULLIS_RESPONSE_SHAPE", "bearer"),
        ("PORTCULLIS_USER_FIELDS", "id,username"),
    ]);
    let body = login(&service);
    assert_eq!(
        keys(&body),
        ["access", "expires_in", "refresh", "token_type", "user"]
    );
    assert_eq!(body["token_type"], "Bearer");
    // The configured access lifetime (TokenConfig::hardened: 15 minutes), as signed.
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["expires_in"].as_u64(), Some(lifetime(&body["access"])));
    assert_eq!(body["user"], json!({"id": 1, "username": "alice"}));

    let next = refresh(&service, &body["refresh"]);
    assert_eq!(
        keys(&next),
        ["access", "expires_in", "refresh", "token_type"]
    );
    assert_eq!(next["token_type"], "Bearer");
    assert_eq!(next["expires_in"].as_u64(), Some(lifetime(&next["access"])));

    // The default fields: id, username, email.
    let service = Service::start(&[("PORTCULLIS_RESPONSE_SHAPE", "bearer")]);
    assert_eq!(
        login(&service)["user"],
        json!({"id": 1, "username": "alice", "email": "alice@example.com"})
    );
}

#[test]
fn a_shape_that_cannot_work_is_refused_at_start() {
    let refused = service_support::refused_at_start;
    let stderr = refused(&[("PORTCULLIS_RESPONSE_SHAPE", "xml")]);
    assert!(stderr.contains("response_shape \"xml\""), "{stderr}");
    // A password hash is never shown, even when asked for.
    let stderr = refused(&[
        ("PORTCULLIS_RESPONSE_SHAPE", "bearer"),
        ("PORTCULLIS_USER_FIELDS", "id,password_hash"),
    ]);
    assert!(
        stderr.contains("user_fields") && stderr.contains("password_hash"),
        "{stderr}"
    );
    // A field a user lacks would fail every login: refused, naming it and the user.
    let stderr = refused(&[
        ("PORTCULLIS_RESPONSE_SHAPE", "bearer"),
        ("PORTCULLIS_USER_FIELDS", "id,phone"),
    ]);
    assert!(
        stderr.contains("`phone`") && stderr.contains("\"alice\""),
        "{stderr}"
    );
}

#[test]
fn a_login_writes_last_login_to_the_user_table() {
    let service = Service::start(&[]);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let pair = login(&service);
    let me = service.get_with_bearer("/api/me/", pair["access"].as_str().unwrap());
    assert_eq!(me.status, 200, "{}", me.body);
    let last_login = me.json()["last_login"].as_f64().unwrap();
    assert!(
        (before - 1.0..before + 60.0).contains(&last_login),
        "{last_login} vs {before}"
    );
    // Each user's own login sets their own record.
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "bob", "password": PASSWORD}),
    );
    let bob = r.json();
    let me = service.get_with_bearer("/api/me/", bob["access"].as_str().unwrap());
    assert!(me.json()["last_login"].as_f64().unwrap() >= last_login);
}
