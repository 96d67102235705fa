//! What the layer tests share: an HS256 engine at a pinned time, a request
//! builder and a one-shot call through a real axum router.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use http::{HeaderMap, Request, StatusCode};
use portcullis::clock::{FixedClock, UnixTime};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, MemoryRevocationStore, SigningKey, TokenConfig, TokenKind, Tokens,
};
use portcullis_tower::{Authenticator, PeerAddr};
use serde_json::Value;
use tower::ServiceExt;

pub const SECRET: &[u8] = b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";
pub const NOW: u64 = 1_800_000_000;
pub const ACCESS_COOKIE: &str = "access";

pub fn now() -> UnixTime {
    UnixTime::from_secs(NOW).unwrap_or_else(|| panic!("a valid time"))
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(now()))
}

/// SimpleJWT's defaults, `Bearer` and `JWT` header types, an access cookie.
pub fn config() -> TokenConfig {
    let mut config = TokenConfig::simplejwt_defaults();
    config.auth_header_types = vec!["Bearer".into(), "JWT".into()];
    config.access_cookie_name = Some(ACCESS_COOKIE.into());
    config
}

pub fn tokens() -> Arc<Tokens> {
    let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET))
        .unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Tokens::new(config(), Keyring::new(key)).unwrap_or_else(|e| panic!("{e}")))
}

pub fn access(tokens: &Tokens, user: &str) -> String {
    tokens
        .issue(TokenKind::Access, user, &(), now())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An Ed25519 key from a fixed seed (PKCS#8 v1, RFC 8410), with `kid`: a
/// remote issuer's signing key.
pub fn ed25519(seed: u8, kid: &str) -> SigningKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend([seed; 32]);
    SigningKey::from_pkcs8_der(Algorithm::EdDSA, &der)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_kid(kid)
}

/// The public JWKS document of `keys` (what a remote issuer publishes).
pub fn jwks(keys: &[&SigningKey]) -> String {
    let mut ring = Keyring::verify_only(keys[0].verifying_key().clone());
    for key in &keys[1..] {
        ring.add_verifier(key.verifying_key().clone())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    serde_json::to_string(&ring.jwks()).unwrap_or_else(|e| panic!("{e}"))
}

/// An authenticator over `tokens` and a fresh memory store, at the pinned time.
pub fn authenticator(tokens: &Arc<Tokens>) -> (Authenticator, Arc<MemoryRevocationStore>) {
    let store = Arc::new(MemoryRevocationStore::default());
    let auth = Authenticator::new(Arc::clone(tokens), Arc::clone(&store))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(clock());
    (auth, store)
}

/// A request from the peer 192.0.2.10.
pub fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    request
        .extensions_mut()
        .insert(PeerAddr(SocketAddr::from(([192, 0, 2, 10], 40_000))));
    request
}

/// The answer: status, headers and the body as JSON (`Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}
