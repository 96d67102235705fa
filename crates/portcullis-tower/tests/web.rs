//! Security headers, the HTTPS redirect, CORS and the whole stack in a real
//! axum router.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use portcullis::clock::Clock;
use portcullis::ratelimit::{Gcra, KeyedLimiterConfig, RateTable};
use portcullis::web::cors::CorsPolicy;
use portcullis::web::headers::{SecurityConfig, SecurityHeaders};
use portcullis_tower::{
    CorsLayer, HttpsRedirectLayer, MemoryRateLimits, RateLimiter, SecureRequest,
    SecurityHeadersLayer, SecurityStack,
};
use support::{access, authenticator, request, send, tokens};

fn proxy() -> SecureRequest {
    SecureRequest::proxy_header("HTTP_X_FORWARDED_PROTO", "https").unwrap_or_else(|e| panic!("{e}"))
}

fn security(change: impl FnOnce(&mut SecurityConfig)) -> SecurityHeaders {
    let mut config = SecurityConfig::default();
    change(&mut config);
    config.build().unwrap_or_else(|e| panic!("{e}"))
}

async fn framed() -> impl IntoResponse {
    let mut response = "framed".into_response();
    response
        .headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    response
        .headers_mut()
        .insert("vary", HeaderValue::from_static("Cookie"));
    response
}

fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "ok" }).options(|| async { StatusCode::IM_A_TEAPOT }),
        )
        .route("/framed", get(framed).post(framed))
}

#[tokio::test]
async fn security_headers_go_on_every_answer_and_hsts_only_on_secure_ones() {
    let headers = security(|c| c.hsts_seconds = 3600);
    let layer = SecurityHeadersLayer::new(&headers, proxy()).unwrap_or_else(|e| panic!("{e}"));
    let app = routes().layer(layer);
    let plain = send(&app, request("GET", "/", &[])).await;
    assert_eq!(plain.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(plain.header("x-frame-options"), Some("DENY"));
    assert_eq!(plain.header("referrer-policy"), Some("same-origin"));
    assert_eq!(
        plain.header("cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(plain.header("strict-transport-security"), None);
    let secure = send(&app, request("GET", "/", &[("x-forwarded-proto", "https")])).await;
    assert_eq!(
        secure.header("strict-transport-security"),
        Some("max-age=3600")
    );
    // The handler's own value stays; a 404 from the router gets them too.
    let framed = send(&app, request("GET", "/framed", &[])).await;
    assert_eq!(framed.header("x-frame-options"), Some("SAMEORIGIN"));
    let missing = send(&app, request("GET", "/nowhere", &[])).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn plain_http_is_redirected_unless_secure_or_exempt() {
    let headers = security(|c| {
        c.ssl_redirect = true;
        c.redirect_exempt = vec!["healthz".into()];
    });
    let app = Router::new()
        .route("/a", get(|| async { "ok" }))
        .route("/healthz", get(|| async { "ok" }))
        .layer(HttpsRedirectLayer::new(headers, proxy()));
    let answer = send(
        &app,
        request("GET", "/a?b=1", &[("host", "example.com:8080")]),
    )
    .await;
    assert_eq!(answer.status, 301);
    assert_eq!(
        answer.header("location"),
        Some("https://example.com:8080/a?b=1")
    );
    let secure = [("host", "example.com"), ("x-forwarded-proto", "https")];
    assert_eq!(send(&app, request("GET", "/a", &secure)).await.status, 200);
    assert_eq!(
        send(&app, request("GET", "/healthz", &[("host", "example.com")]))
            .await
            .status,
        200
    );
    // No Host, or one that cannot make a safe Location: the client's fault.
    for headers in [vec![], vec![("host", "evil.example/path")]] {
        let answer = send(&app, request("GET", "/a", &headers)).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["code"], "bad_host");
    }
    // SECURE_SSL_HOST needs no Host from the request.
    let fixed = security(|c| {
        c.ssl_redirect = true;
        c.ssl_host = Some("secure.example.com".into());
    });
    let app = Router::new()
        .route("/a", get(|| async { "ok" }))
        .layer(HttpsRedirectLayer::new(fixed, SecureRequest::direct()));
    let answer = send(&app, request("GET", "/a", &[])).await;
    assert_eq!(
        answer.header("location"),
        Some("https://secure.example.com/a")
    );
}

fn cors() -> CorsLayer {
    let policy = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_methods(&["GET", "POST", "DELETE"])
        .allow_headers(&["Authorization", "Content-Type"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    CorsLayer::new(policy, SecureRequest::direct())
}

#[tokio::test]
async fn allowed_preflights_are_answered_by_the_layer() {
    let app = routes().layer(cors());
    let preflight = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "DELETE"),
        ("access-control-request-headers", "authorization"),
    ];
    let answer = send(&app, request("OPTIONS", "/", &preflight)).await;
    assert_eq!(answer.status, 204, "the handler's 418 is never reached");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("DELETE")
    );
    assert_eq!(
        answer.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    let refused = [
        ("origin", "https://evil.example"),
        ("access-control-request-method", "DELETE"),
    ];
    let answer = send(&app, request("OPTIONS", "/", &refused)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.body["code"], "cors_origin_not_allowed");
    assert_eq!(answer.header("access-control-allow-origin"), None);
    let bad_method = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "PATCH"),
    ];
    let answer = send(&app, request("OPTIONS", "/", &bad_method)).await;
    assert_eq!(answer.body["code"], "cors_method_not_allowed");
}

#[tokio::test]
async fn actual_requests_get_the_policy_headers_or_a_403() {
    let app = routes().layer(cors());
    let answer = send(
        &app,
        request("GET", "/framed", &[("origin", "https://app.example.com")]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let vary: Vec<_> = answer.headers.get_all("vary").iter().collect();
    assert_eq!(
        vary,
        ["Cookie", "Origin"],
        "the handler's Vary is kept and merged"
    );
    let answer = send(
        &app,
        request("GET", "/", &[("origin", "https://evil.example")]),
    )
    .await;
    assert_eq!(answer.status, 403);
    let answer = send(&app, request("GET", "/", &[("origin", "not an origin")])).await;
    assert_eq!(answer.body["code"], "cors_malformed_origin");
    // Browsers send Origin on same-origin POSTs: not CORS.
    let same = [
        ("origin", "http://api.example.com"),
        ("host", "api.example.com"),
    ];
    let answer = send(&app, request("POST", "/framed", &same)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), None);
    // No Origin: the handler runs, with Vary.
    let answer = send(&app, request("GET", "/", &[])).await;
    assert_eq!(
        (answer.status.as_u16(), answer.header("vary")),
        (200, Some("Origin"))
    );
}

fn stack_app() -> (Router, Arc<portcullis::token::Tokens>) {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let table = RateTable::new()
        .with_anonymous("2/m".parse().unwrap_or_else(|e| panic!("{e}")))
        .with_user("100/m".parse().unwrap_or_else(|e| panic!("{e}")));
    let store: MemoryRateLimits<Gcra> =
        MemoryRateLimits::new(&table, KeyedLimiterConfig::default())
            .unwrap_or_else(|e| panic!("{e}"));
    let limiter = RateLimiter::new(table, store)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(support::clock() as Arc<dyn Clock>)
        .identify_users(&auth);
    let stack = SecurityStack::new(security(|_| {}), SecureRequest::direct())
        .unwrap_or_else(|e| panic!("{e}"))
        .cors(cors())
        .rate_limit(limiter.layer())
        .auth(auth.required());
    let app = Router::new()
        .route(
            "/me",
            get(|axum::Extension(user): axum::Extension<portcullis_tower::Authenticated>| async move {
                user.user_id().to_owned()
            }),
        )
        .layer(stack);
    (app, tokens)
}

#[tokio::test]
async fn the_stack_puts_every_header_on_every_refusal() {
    let (app, tokens) = stack_app();
    let origin = ("origin", "https://app.example.com");
    // Preflights are answered before the limit: they are not counted.
    for _ in 0..5 {
        let preflight = [origin, ("access-control-request-method", "GET")];
        let answer = send(&app, request("OPTIONS", "/me", &preflight)).await;
        assert_eq!(answer.status, 204);
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
    }
    let unauthorized = send(&app, request("GET", "/me", &[origin])).await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.body["code"], "not_authenticated");
    assert_eq!(
        unauthorized.header("x-content-type-options"),
        Some("nosniff")
    );
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(unauthorized.header("ratelimit"), Some("\"anon\";r=1;t=30"));
    send(&app, request("GET", "/me", &[origin])).await;
    let limited = send(&app, request("GET", "/me", &[origin])).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(limited.header("x-frame-options"), Some("DENY"));
    // The same address with a token is a user, with the user's quota.
    let bearer = format!("Bearer {}", access(&tokens, "alice"));
    let answer = send(
        &app,
        request("GET", "/me", &[origin, ("authorization", &bearer)]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text, "alice");
    assert_eq!(
        answer.header("ratelimit-policy"),
        Some("\"user\";q=100;w=60")
    );
}

#[tokio::test]
async fn the_redirect_comes_first_and_csrf_refusals_carry_the_headers() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let csrf = portcullis::web::csrf::CsrfPolicy::new(&[], None).unwrap_or_else(|e| panic!("{e}"));
    let csrf = portcullis_tower::CsrfLayer::new(csrf, tokens.config(), proxy())
        .unwrap_or_else(|e| panic!("{e}"));
    let headers = security(|c| {
        c.ssl_redirect = true;
        c.hsts_seconds = 60;
    });
    let stack = SecurityStack::new(headers, proxy())
        .unwrap_or_else(|e| panic!("{e}"))
        .cors(cors())
        .csrf(csrf)
        .auth(auth.required());
    let app = Router::new()
        .route("/me", get(|| async { "me" }).post(|| async { "posted" }))
        .layer(stack);
    // Plain HTTP: redirected before CORS could refuse the origin.
    let plain = [
        ("host", "api.example.com"),
        ("origin", "https://evil.example"),
    ];
    let answer = send(&app, request("POST", "/me", &plain)).await;
    assert_eq!(answer.status, 301);
    assert_eq!(
        answer.header("location"),
        Some("https://api.example.com/me")
    );
    let cookie = format!("{}={}", support::ACCESS_COOKIE, access(&tokens, "42"));
    let secure = [
        ("host", "api.example.com"),
        ("x-forwarded-proto", "https"),
        ("cookie", cookie.as_str()),
    ];
    let answer = send(&app, request("POST", "/me", &secure)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.body["code"], "csrf_no_referer");
    assert_eq!(
        answer.header("strict-transport-security"),
        Some("max-age=60")
    );
    assert_eq!(send(&app, request("GET", "/me", &secure)).await.text, "me");
}
