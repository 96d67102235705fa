//! The axum service with a remote issuer: a second local axum server publishes
//! the issuer's JWKS (an Ed25519 public key, `Cache-Control: max-age`); the
//! service accepts a token that key signed on a bearer-protected route and
//! refuses one with an unknown `kid`, fetching the set once.

mod service_support;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use portcullis::clock::{Clock, SystemClock};
use portcullis::token::{Algorithm, Keyring, TokenConfig, TokenKind, Tokens};
use service_support::Service;
use support::{ed25519, jwks};

const ISSUER: &str = "https://id.example";

/// The issuer's JWKS endpoint on an ephemeral loopback port, counting GETs.
struct JwksServer {
    url: String,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl JwksServer {
    fn start(document: String) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let app = Router::new().route(
            "/.well-known/jwks.json",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let body = document.clone();
                async move { ([("cache-control", "public, max-age=300")], body) }
            }),
        );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/.well-known/jwks.json"),
            hits,
            _runtime: runtime,
        }
    }
}

/// An access token for `user` from the remote issuer, signed by `kid`'s key.
fn remote_token(seed: u8, kid: &str, user: &str) -> String {
    remote_token_for(None, seed, kid, user)
}

/// The same, for `audience`.
fn remote_token_for(audience: Option<&str>, seed: u8, kid: &str, user: &str) -> String {
    let mut config = TokenConfig::simplejwt_defaults();
    config.issuer = Some(ISSUER.to_owned());
    config.audience = audience.map(str::to_owned);
    config.algorithms = vec![Algorithm::EdDSA];
    let issuer = Tokens::new(config, Keyring::new(ed25519(seed, kid))).unwrap();
    issuer
        .issue(TokenKind::Access, user, &(), SystemClock.now())
        .unwrap()
}

#[test]
fn a_token_signed_by_the_remote_issuers_published_key_is_accepted() {
    let server = JwksServer::start(jwks(&[&ed25519(1, "id-1")]));
    let service = Service::start(&[
        ("PORTCULLIS_JWKS_URL", &server.url),
        ("PORTCULLIS_REMOTE_ISSUER", ISSUER),
    ]);
    let r = service.get_with_bearer("/api/me/", &remote_token(1, "id-1", "alice"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["user"], "alice");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    // A kid the set lacks: refused, and within the floor no second fetch.
    let r = service.get_with_bearer("/api/me/", &remote_token(2, "id-2", "alice"));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["code"], "token_not_valid");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    // The service's own tokens still work beside the remote's.
    let (access, _) = service.login("bob");
    assert_eq!(service.get_with_bearer("/api/me/", &access).status, 200);
    let r = service.get_with_bearer("/api/me/", &remote_token(1, "id-1", "bob"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(server.hits.load(Ordering::SeqCst), 1, "the set is cached");
}

#[test]
fn the_configuration_files_remote_issuer_and_its_audience_apply() {
    let server = JwksServer::start(jwks(&[&ed25519(1, "id-1")]));
    let dir = std::env::temp_dir().join(format!("portcullis-remote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("service.json");
    let remote =
        serde_json::json!({"jwks_url": server.url, "issuer": ISSUER, "audience": "orders"});
    std::fs::write(
        &path,
        serde_json::json!({"remote_issuer": remote}).to_string(),
    )
    .unwrap();
    let service = Service::start(&[("PORTCULLIS_CONFIG", path.to_str().unwrap())]);
    let r = service.get_with_bearer("/api/me/", &remote_token(1, "id-1", "alice"));
    assert_eq!(r.status, 401, "no aud: {}", r.body);
    let token = remote_token_for(Some("orders"), 1, "id-1", "alice");
    let r = service.get_with_bearer("/api/me/", &token);
    assert_eq!(r.status, 200, "{}", r.body);
    let token = remote_token_for(Some("billing"), 1, "id-1", "alice");
    assert_eq!(service.get_with_bearer("/api/me/", &token).status, 401);
    drop(service);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_remote_issuer_half_configured_is_refused_at_startup() {
    for env in [
        ("PORTCULLIS_JWKS_URL", "http://127.0.0.1:1/jwks.json"),
        ("PORTCULLIS_REMOTE_ISSUER", ISSUER),
    ] {
        let stderr = service_support::refused_at_start(&[env]);
        assert!(
            stderr.contains("PORTCULLIS_JWKS_URL and PORTCULLIS_REMOTE_ISSUER: set both"),
            "{stderr}"
        );
    }
}
