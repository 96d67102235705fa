//! The rate-limit layer in a real axum router: keys, scopes, algorithms,
//! headers, both bodies, proxies and the store fault.

mod support;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use portcullis::clock::{Clock, UnixTime};
use portcullis::ratelimit::http::ErrorBody;
use portcullis::ratelimit::{
    Algorithm, Decision, FixedWindow, Gcra, KeyedLimiterConfig, RateTable, ResolvedLimit,
    SlidingLog, SlidingWindow, TokenBucket,
};
use portcullis::store::{StoreError, StoreErrorKind};
use portcullis_tower::{MemoryRateLimits, RateLimitStore, RateLimiter};
use serde_json::json;
use support::{access, authenticator, request, send, tokens};

fn table() -> RateTable {
    RateTable::from_pairs([("oauth:start", "5/m")])
        .and_then(|t| Ok(t.with_anonymous("2/m".parse()?).with_user("3/m".parse()?)))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn memory<A: Algorithm>(table: &RateTable) -> MemoryRateLimits<A> {
    MemoryRateLimits::new(table, KeyedLimiterConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn limiter<L: RateLimitStore>(table: RateTable, store: L) -> RateLimiter<L> {
    RateLimiter::new(table, store)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(support::clock() as Arc<dyn Clock>)
}

fn app<L: RateLimitStore>(limiter: RateLimiter<L>) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/oauth/start", get(|| async { "ok" }))
        .layer(limiter.layer())
}

fn from(peer: [u8; 4], headers: &[(&str, &str)]) -> http::Request<axum::body::Body> {
    let mut request = request("GET", "/", headers);
    request
        .extensions_mut()
        .insert(portcullis_tower::PeerAddr(std::net::SocketAddr::from((
            peer, 1234,
        ))));
    request
}

#[tokio::test]
async fn anonymous_clients_are_counted_by_address_and_refused_with_429() {
    let table = table();
    let app = app(limiter(table.clone(), memory::<Gcra>(&table)));
    let first = send(&app, from([192, 0, 2, 1], &[])).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("ratelimit-policy"), Some("\"anon\";q=2;w=60"));
    assert_eq!(first.header("ratelimit"), Some("\"anon\";r=1;t=30"));
    assert_eq!(first.header("retry-after"), None);
    assert_eq!(send(&app, from([192, 0, 2, 1], &[])).await.status, 200);
    let refused = send(&app, from([192, 0, 2, 1], &[])).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(refused.header("ratelimit"), Some("\"anon\";r=0;t=30"));
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert_eq!(
        refused.body,
        json!({"error": "rate_limit_exceeded", "message": "Too many requests. Please try again later.", "retry_after": 30})
    );
    // Another address has its own quota.
    assert_eq!(send(&app, from([192, 0, 2, 2], &[])).await.status, 200);
}

#[tokio::test]
async fn a_scoped_route_uses_its_own_rate() {
    let table = table();
    let limiter = limiter(table.clone(), memory::<Gcra>(&table))
        .with_route("/oauth/start", "oauth:start")
        .unwrap_or_else(|e| panic!("{e}"));
    let app = app(limiter);
    for _ in 0..5 {
        let answer = send(&app, request("GET", "/oauth/start", &[])).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header("ratelimit-policy"),
            Some("\"oauth:start\";q=5;w=60")
        );
    }
    assert_eq!(
        send(&app, request("GET", "/oauth/start", &[])).await.status,
        429
    );
    // The default quota is untouched by the scoped route.
    assert_eq!(send(&app, request("GET", "/", &[])).await.status, 200);
    let unknown = RateLimiter::new(table.clone(), memory::<Gcra>(&table))
        .and_then(|l| l.with_route("/x", "posts:create"))
        .err()
        .map(|e| e.to_string());
    assert!(unknown.is_some_and(|e| e.contains("posts:create")));
}

#[tokio::test]
async fn authenticated_users_are_counted_by_user_id_across_addresses() {
    let table = table();
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let limiter = limiter(table.clone(), memory::<Gcra>(&table)).identify_users(&auth);
    let app = app(limiter);
    let alice = format!("Bearer {}", access(&tokens, "alice"));
    let bob = format!("Bearer {}", access(&tokens, "bob"));
    for peer in [[198, 51, 100, 1], [198, 51, 100, 2], [198, 51, 100, 3]] {
        let answer = send(&app, from(peer, &[("authorization", &alice)])).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-policy"), Some("\"user\";q=3;w=60"));
    }
    let refused = send(&app, from([198, 51, 100, 4], &[("authorization", &alice)])).await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        send(&app, from([198, 51, 100, 1], &[("authorization", &bob)]))
            .await
            .status,
        200
    );
    // A token that does not verify counts against its address, as anonymous.
    let forged = send(
        &app,
        from([198, 51, 100, 9], &[("authorization", "Bearer a.b.c")]),
    )
    .await;
    assert_eq!(forged.header("ratelimit-policy"), Some("\"anon\";q=2;w=60"));
}

#[tokio::test]
async fn drf_bodies_and_legacy_headers_on_request() {
    let table = table();
    let limiter = limiter(table.clone(), memory::<SlidingLog>(&table))
        .with_body(&ErrorBody::drf())
        .with_legacy(true);
    let app = app(limiter);
    let first = send(&app, request("GET", "/", &[])).await;
    assert_eq!(first.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(
        first.header("x-ratelimit-reset"),
        Some((support::NOW + 60).to_string().as_str())
    );
    send(&app, request("GET", "/", &[])).await;
    let refused = send(&app, request("GET", "/", &[])).await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.body,
        json!({"detail": "Request was throttled. Expected available in 60 seconds."})
    );
}

#[tokio::test]
async fn forwarded_for_is_read_only_through_trusted_proxies() {
    let table = table();
    let xff = [("x-forwarded-for", "203.0.113.9, 198.51.100.7")];
    let trusting = app(limiter(table.clone(), memory::<Gcra>(&table)).with_trusted_proxies(1));
    // Two proxies' connections, one client behind them: one quota.
    send(&trusting, from([10, 0, 0, 1], &xff)).await;
    send(&trusting, from([10, 0, 0, 2], &xff)).await;
    assert_eq!(send(&trusting, from([10, 0, 0, 3], &xff)).await.status, 429);
    // Not trusted: the header is ignored and each connection counts for itself.
    let direct = app(limiter(table.clone(), memory::<Gcra>(&table)));
    send(&direct, from([10, 0, 0, 1], &xff)).await;
    send(&direct, from([10, 0, 0, 2], &xff)).await;
    assert_eq!(send(&direct, from([10, 0, 0, 3], &xff)).await.status, 200);
}

async fn admits_the_limit_then_refuses<A: Algorithm + Send + Sync + 'static>() {
    let table = table();
    let app = app(limiter(table.clone(), memory::<A>(&table)));
    assert_eq!(send(&app, request("GET", "/", &[])).await.status, 200);
    assert_eq!(send(&app, request("GET", "/", &[])).await.status, 200);
    let refused = send(&app, request("GET", "/", &[])).await;
    assert_eq!(refused.status, 429, "{}", std::any::type_name::<A>());
    assert!(refused.header("retry-after").is_some());
}

#[tokio::test]
async fn every_algorithm_plugs_in() {
    admits_the_limit_then_refuses::<Gcra>().await;
    admits_the_limit_then_refuses::<TokenBucket>().await;
    admits_the_limit_then_refuses::<FixedWindow>().await;
    admits_the_limit_then_refuses::<SlidingLog>().await;
    admits_the_limit_then_refuses::<SlidingWindow>().await;
}

#[tokio::test]
async fn requests_without_a_peer_address_share_one_quota() {
    let table = table();
    let app = app(limiter(table.clone(), memory::<Gcra>(&table)));
    let anonymous = || {
        let mut request = request("GET", "/", &[]);
        request.extensions_mut().clear();
        request
    };
    send(&app, anonymous()).await;
    send(&app, anonymous()).await;
    assert_eq!(send(&app, anonymous()).await.status, 429);
}

/// A store that is down.
struct Down;

impl RateLimitStore for Down {
    fn hit(
        &self,
        _: &ResolvedLimit,
        _: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        let cause = std::io::Error::other("redis at 10.0.0.5:6379: NOAUTH");
        std::future::ready(Err(StoreError::with_source(StoreErrorKind::Timeout, cause)))
    }
}

#[tokio::test]
async fn a_failed_store_is_a_503_with_no_detail() {
    let app = app(limiter(table(), Down));
    let answer = send(&app, request("GET", "/", &[])).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["code"], "store_unavailable");
    assert!(!answer.text.contains("NOAUTH"));
    // A memory store built from another table fails closed too.
    let other = RateTable::new().with_anonymous("9/m".parse().unwrap_or_else(|e| panic!("{e}")));
    let app = self::app(limiter(table(), memory::<Gcra>(&other)));
    assert_eq!(send(&app, request("GET", "/", &[])).await.status, 503);
}

#[tokio::test]
async fn an_outer_authentication_layer_keys_by_its_user() {
    let table = table();
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    // Authentication outside the limit: the limiter reads the `Authenticated` extension.
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(limiter(table.clone(), memory::<Gcra>(&table)).layer())
        .layer(auth.required());
    let bearer = format!("Bearer {}", access(&tokens, "carol"));
    let answer = send(&app, request("GET", "/", &[("authorization", &bearer)])).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("ratelimit-policy"), Some("\"user\";q=3;w=60"));
}

#[tokio::test]
async fn a_token_verified_by_another_engine_is_verified_again() {
    let table = table();
    let tokens = tokens();
    let (identifying, _) = authenticator(&tokens);
    // The authentication layer uses another key: what the limiter's engine
    // accepted must not be taken on trust.
    let other_key = portcullis::token::SigningKey::hmac(
        portcullis::token::Algorithm::HS256,
        &portcullis::secret::SecretBytes::from_slice(b"another-secret-0123456789abcdefghijklmnop"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let other = Arc::new(
        portcullis::token::Tokens::new(
            support::config(),
            portcullis::token::Keyring::new(other_key),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let (strict, _) = authenticator(&other);
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(strict.required())
        .layer(
            limiter(table.clone(), memory::<Gcra>(&table))
                .identify_users(&identifying)
                .layer(),
        );
    let bearer = format!("Bearer {}", access(&tokens, "mallory"));
    let answer = send(&app, request("GET", "/", &[("authorization", &bearer)])).await;
    assert_eq!(answer.header("ratelimit-policy"), Some("\"user\";q=3;w=60"));
    assert_eq!(answer.status, 401, "the inner engine refuses the token");
}

/// A store whose answers are not ready at once, as a network store's are.
struct Yielding(MemoryRateLimits<Gcra>);

impl RateLimitStore for Yielding {
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        let decision = self.0.hit(limit, now);
        async move {
            tokio::task::yield_now().await;
            decision.await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_through_an_async_store_admit_exactly_the_quota() {
    let table = table();
    let app = app(limiter(table.clone(), Yielding(memory::<Gcra>(&table))));
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { send(&app, from([192, 0, 2, 77], &[])).await.status })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap_or_else(|e| panic!("{e}")) == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 2, "the anonymous quota is 2/m");
}
