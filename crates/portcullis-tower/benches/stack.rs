//! The full layer stack beside a bare router and beside the core's own
//! per-request work, in one run, in process (`ServiceExt::oneshot`, no sockets).
//!
//! - `bare_router`: a trivial axum handler.
//! - `full_stack`: the same router behind `SecurityStack` with security headers,
//!   CORS (a cross-origin request from an allowed origin), the in-memory rate
//!   limit keyed by user, HS256 bearer authentication and in-memory revocation.
//! - `core_work`: what the core does for that request, called directly: the
//!   `Authorization` parse, HS256 verify, revocation status and finish, the
//!   rate table's resolution and decision, the rate-limit, security and CORS
//!   header rendering, with the clock read as a host reads it.
//!
//! The stack's overhead is `full_stack - bare_router`; the README reports it
//! as a ratio to `core_work`. `layer/*` runs each layer alone around the bare
//! router, for the breakdown.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::Request;
use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::ratelimit::http::{HeaderOptions, RateLimitResponse};
use portcullis::ratelimit::{ClientKey, Gcra, KeyedLimiter, KeyedLimiterConfig, Rate, RateTable};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, MemoryRevocationStore, RevocationStore, SigningKey, TokenConfig, TokenKind,
    Tokens, parse_authorization_header,
};
use portcullis::web::cors::{CorsPolicy, CorsRequest};
use portcullis::web::headers::SecurityConfig;
use portcullis_tower::{
    Authenticator, CorsLayer, MemoryRateLimits, PeerAddr, RateLimiter, SecureRequest,
    SecurityHeadersLayer, SecurityStack,
};
use tower::ServiceExt;

const SECRET: &[u8] = b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";
const ORIGIN: &str = "https://app.example.com";

fn tokens() -> Arc<Tokens> {
    let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap();
    Arc::new(Tokens::new(TokenConfig::simplejwt_defaults(), Keyring::new(key)).unwrap())
}

fn cors_policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origin(ORIGIN)
        .allow_methods(&["GET", "POST"])
        .allow_headers(&["authorization"])
        .build()
        .unwrap()
}

/// A rate no benchmark run can exhaust.
fn huge_rate() -> Rate {
    Rate::per_second(NonZeroU32::MAX)
}

fn request(bearer: &str) -> Request<Body> {
    let mut request = Request::builder()
        .uri("/hello")
        .header("host", "api.example.com")
        .header("origin", ORIGIN)
        .header("authorization", bearer)
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(PeerAddr(([192, 0, 2, 10], 40_000).into()));
    request
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let tokens = tokens();
    let now = SystemClock.now();
    let token = tokens.issue(TokenKind::Access, "42", &(), now).unwrap();
    let bearer = format!("Bearer {token}");

    let bare = Router::new().route("/hello", get(|| async { "hello" }));

    let revocation = Arc::new(MemoryRevocationStore::default());
    let auth = Authenticator::new(Arc::clone(&tokens), Arc::clone(&revocation)).unwrap();
    let table = RateTable::new()
        .with_user(huge_rate())
        .with_anonymous(huge_rate());
    let store: MemoryRateLimits<Gcra> =
        MemoryRateLimits::new(&table, KeyedLimiterConfig::default()).unwrap();
    let limiter = RateLimiter::new(table, store)
        .unwrap()
        .identify_users(&auth);
    let security = SecurityConfig::default().build().unwrap();
    let headers_layer = SecurityHeadersLayer::new(&security, SecureRequest::direct()).unwrap();
    let cors_layer = CorsLayer::new(cors_policy(), SecureRequest::direct());
    let rate_limit_layer = limiter.layer();
    let stack = SecurityStack::new(security.clone(), SecureRequest::direct())
        .unwrap()
        .cors(cors_layer.clone())
        .rate_limit(rate_limit_layer.clone())
        .auth(auth.required());
    let full = bare.clone().layer(stack);
    let alone = [
        ("layer/security_headers", bare.clone().layer(headers_layer)),
        ("layer/cors", bare.clone().layer(cors_layer)),
        ("layer/rate_limit", bare.clone().layer(rate_limit_layer)),
        ("layer/auth", bare.clone().layer(auth.required())),
    ];

    // The core's work for the same request, called directly.
    let cors = cors_policy();
    let keyed: KeyedLimiter<String, Gcra> =
        KeyedLimiter::new(huge_rate(), KeyedLimiterConfig::default()).unwrap();
    let options = HeaderOptions::new("user").unwrap();
    let rate_table = RateTable::new().with_user(huge_rate());
    let header_types = tokens.config().auth_header_types.clone();
    let core_work = || {
        let now = SystemClock.now();
        let token = parse_authorization_header(black_box(&bearer), &header_types)
            .unwrap()
            .unwrap();
        let verified = tokens.verify(token, Some(TokenKind::Access), now).unwrap();
        let status = revocation.status(&verified.lookup()).unwrap();
        let claims = verified.finish(status).unwrap();
        let client = ClientKey::user(claims.user_id().unwrap_or_default());
        let limit = rate_table.resolve("", &client).unwrap();
        let decision = keyed.check(limit.key.as_str(), now, 1).unwrap();
        let limit = RateLimitResponse::new(&decision, keyed.rate(), &options, now);
        let cors = cors.evaluate(&CorsRequest {
            method: "GET",
            origin: Some(ORIGIN),
            request_method: None,
            request_headers: None,
        });
        let headers = security.headers_for(false, &[]);
        (claims, limit, cors, headers)
    };
    assert!(matches!(
        runtime.block_on(full.clone().oneshot(request(&bearer))),
        Ok(response) if response.status() == 200
    ));

    let mut group = c.benchmark_group("tower_stack");
    group.bench_function("bare_router", |b| {
        b.iter_batched(
            || (bare.clone(), request(&bearer)),
            |(router, request)| runtime.block_on(router.oneshot(request)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("full_stack", |b| {
        b.iter_batched(
            || (full.clone(), request(&bearer)),
            |(router, request)| runtime.block_on(router.oneshot(request)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("core_work", |b| b.iter(core_work));
    for (name, router) in alone {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (router.clone(), request(&bearer)),
                |(router, request)| runtime.block_on(router.oneshot(request)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
    // Keep the clock import honest: the core path reads it as a host would.
    black_box(UnixTime::from_secs(0));
}

criterion_group!(benches, bench);
criterion_main!(benches);
