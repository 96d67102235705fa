//! The authentication and CSRF layers in a real axum router: each happy path
//! and each refusal, with the bad inputs and the store fault.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::{Extension, Router};
use portcullis::clock::Clock;
use portcullis::store::{StoreError, StoreErrorKind};
use portcullis::token::{Lookup, RevocationStore, Status, TokenKind};
use portcullis::web::csrf::{CsrfPolicy, CsrfSecret};
use portcullis_tower::{
    AuthLayer, Authenticated, Authenticator, CredentialSource, CsrfLayer, RevocationCheck,
    SecureRequest,
};
use serde_json::json;
use support::{ACCESS_COOKIE, access, authenticator, now, request, send, tokens};

async fn whoami(user: Option<Extension<Authenticated>>) -> axum::Json<serde_json::Value> {
    axum::Json(match user {
        Some(Extension(user)) => json!({
            "user": user.user_id(),
            "cookie": user.source() == CredentialSource::Cookie,
        }),
        None => json!({"user": null}),
    })
}

fn router<R: RevocationCheck>(layer: AuthLayer<R>) -> Router {
    Router::new()
        .route("/me", get(whoami).post(whoami))
        .layer(layer)
}

#[tokio::test]
async fn bearer_jwt_and_cookie_tokens_reach_the_handler() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.required());
    let token = access(&tokens, "42");
    for header in [format!("Bearer {token}"), format!("JWT {token}")] {
        let answer = send(&app, request("GET", "/me", &[("authorization", &header)])).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.body, json!({"user": "42", "cookie": false}));
    }
    let cookie = format!("theme=dark; {ACCESS_COOKIE}={token}");
    let answer = send(&app, request("GET", "/me", &[("cookie", &cookie)])).await;
    assert_eq!(answer.body, json!({"user": "42", "cookie": true}));
}

#[tokio::test]
async fn a_required_route_without_credentials_gets_drf_not_authenticated() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.required());
    // No header, and a scheme that is not a configured type (ignored, as SimpleJWT does).
    for headers in [vec![], vec![("authorization", "Basic Zm9vOmJhcg==")]] {
        let answer = send(&app, request("GET", "/me", &headers)).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.body,
            json!({"detail": "Authentication credentials were not provided.", "code": "not_authenticated"})
        );
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Bearer realm=\"api\"")
        );
    }
}

#[tokio::test]
async fn an_optional_route_lets_anonymous_requests_through_but_refuses_bad_tokens() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.optional());
    let answer = send(&app, request("GET", "/me", &[])).await;
    assert_eq!(
        (answer.status.as_u16(), answer.body.clone()),
        (200, json!({"user": null}))
    );
    let token = access(&tokens, "7");
    let bearer = format!("Bearer {token}");
    let answer = send(&app, request("GET", "/me", &[("authorization", &bearer)])).await;
    assert_eq!(answer.body["user"], "7");
    let answer = send(
        &app,
        request("GET", "/me", &[("authorization", "Bearer a.b.c")]),
    )
    .await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn bad_tokens_get_simplejwt_bodies_and_www_authenticate() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.required());
    let good = access(&tokens, "42");
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    let refresh = tokens
        .issue(TokenKind::Refresh, "42", &(), now())
        .unwrap_or_else(|e| panic!("{e}"));
    for (token, message) in [
        (tampered.as_str(), "Token is invalid"),
        (refresh.as_str(), "Token has wrong type"),
        ("not-a-token", "Token is invalid"),
    ] {
        let bearer = format!("Bearer {token}");
        let answer = send(&app, request("GET", "/me", &[("authorization", &bearer)])).await;
        assert_eq!(answer.status, 401, "{token}");
        assert_eq!(
            answer.body["detail"],
            "Given token not valid for any token type"
        );
        assert_eq!(answer.body["code"], "token_not_valid");
        assert_eq!(answer.body["messages"][0]["message"], message);
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Bearer realm=\"api\"")
        );
        assert!(!answer.text.contains(token));
    }
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let tokens = tokens();
    let clock = support::clock();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.with_clock(clock.clone() as Arc<dyn Clock>).required());
    let bearer = format!("Bearer {}", access(&tokens, "42"));
    assert_eq!(
        send(&app, request("GET", "/me", &[("authorization", &bearer)]))
            .await
            .status,
        200
    );
    clock.advance(Duration::from_secs(3600));
    let answer = send(&app, request("GET", "/me", &[("authorization", &bearer)])).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["messages"][0]["message"], "Token is expired");
}

#[tokio::test]
async fn revoked_tokens_and_users_are_refused_through_the_seam() {
    let tokens = tokens();
    let (auth, store) = authenticator(&tokens);
    let app = router(auth.required());
    let first = access(&tokens, "42");
    let second = access(&tokens, "43");
    let verified = tokens
        .verify(&first, Some(TokenKind::Access), now())
        .unwrap_or_else(|e| panic!("{e}"));
    let jti = verified.claims().jti().unwrap_or_default();
    store
        .revoke(tokens.revoke_jti(jti, verified.dead_after()))
        .unwrap_or_else(|e| panic!("{e}"));
    let bearer = format!("Bearer {first}");
    let answer = send(&app, request("GET", "/me", &[("authorization", &bearer)])).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body["messages"][0]["message"],
        "Token is blacklisted"
    );
    let bearer = format!("Bearer {second}");
    assert_eq!(
        send(&app, request("GET", "/me", &[("authorization", &bearer)]))
            .await
            .status,
        200
    );
    store
        .revoke(tokens.revoke_user_before("43", now()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        send(&app, request("GET", "/me", &[("authorization", &bearer)]))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn malformed_and_oversized_credentials_are_the_clients_fault() {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let app = router(auth.required());
    for header in ["Bearer", "Bearer a b", "JWT  x y z"] {
        let answer = send(&app, request("GET", "/me", &[("authorization", header)])).await;
        assert_eq!(answer.status, 401, "{header}");
        assert_eq!(answer.body["code"], "bad_authorization_header");
    }
    let mut binary = request("GET", "/me", &[]);
    binary.headers_mut().insert(
        "authorization",
        http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        send(&app, binary).await.body["code"],
        "bad_authorization_header"
    );
    let huge = format!("Bearer {}", "a".repeat(64 * 1024));
    let answer = send(&app, request("GET", "/me", &[("authorization", &huge)])).await;
    assert_eq!(answer.status, 401);
    assert!(answer.text.len() < 1024, "the body does not echo the token");
    let flood = format!("{}{ACCESS_COOKIE}=x", "c=1; ".repeat(300));
    let answer = send(&app, request("GET", "/me", &[("cookie", &flood)])).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["code"], "bad_cookie_header");
}

/// A store that is down: its error text must never reach a body.
struct Down;

impl RevocationCheck for Down {
    fn status(&self, _: &Lookup<'_>) -> impl Future<Output = Result<Status, StoreError>> + Send {
        let cause = std::io::Error::other("redis://:hunter2@10.0.0.5 refused");
        std::future::ready(Err(StoreError::with_source(
            StoreErrorKind::Unavailable,
            cause,
        )))
    }
}

#[tokio::test]
async fn a_failed_store_is_a_503_with_no_detail() {
    let tokens = tokens();
    let auth = Authenticator::new(Arc::clone(&tokens), Arc::new(Down))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(support::clock());
    let app = router(auth.required());
    let bearer = format!("Bearer {}", access(&tokens, "42"));
    let answer = send(&app, request("GET", "/me", &[("authorization", &bearer)])).await;
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.body,
        json!({"detail": "Service unavailable", "code": "store_unavailable"})
    );
    assert!(!answer.text.contains("hunter2"));
}

fn csrf_app() -> (Router, Arc<portcullis::token::Tokens>) {
    let tokens = tokens();
    let (auth, _) = authenticator(&tokens);
    let policy =
        CsrfPolicy::new(&["https://app.example.com"], None).unwrap_or_else(|e| panic!("{e}"));
    let secure =
        SecureRequest::proxy_header("X-Forwarded-Proto", "https").unwrap_or_else(|e| panic!("{e}"));
    let csrf = CsrfLayer::new(policy, tokens.config(), secure).unwrap_or_else(|e| panic!("{e}"));
    let app = Router::new()
        .route("/note", post(whoami).get(whoami))
        .layer(auth.required())
        .layer(csrf);
    (app, tokens)
}

#[tokio::test]
async fn csrf_lets_matching_tokens_bearer_requests_and_safe_methods_through() {
    let (app, tokens) = csrf_app();
    let token = access(&tokens, "42");
    let secret = CsrfSecret::generate().unwrap_or_else(|e| panic!("{e}"));
    let masked = secret.mask().unwrap_or_else(|e| panic!("{e}"));
    let cookies = format!(
        "{ACCESS_COOKIE}={token}; csrftoken={}",
        secret.expose_secret()
    );
    let same_origin = [
        ("host", "api.example.com"),
        ("origin", "http://api.example.com"),
        ("cookie", cookies.as_str()),
        ("x-csrftoken", masked.as_str()),
    ];
    let answer = send(&app, request("POST", "/note", &same_origin)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["cookie"], true);
    // A trusted origin over HTTPS, the unmasked secret as the token.
    let trusted = [
        ("host", "api.example.com"),
        ("x-forwarded-proto", "https"),
        ("origin", "https://app.example.com"),
        ("cookie", cookies.as_str()),
        ("x-csrftoken", secret.expose_secret()),
    ];
    assert_eq!(
        send(&app, request("POST", "/note", &trusted)).await.status,
        200
    );
    let bearer = format!("Bearer {token}");
    let cross_site_bearer = [
        ("origin", "https://evil.example"),
        ("authorization", bearer.as_str()),
    ];
    assert_eq!(
        send(&app, request("POST", "/note", &cross_site_bearer))
            .await
            .status,
        200
    );
    let safe = [
        ("origin", "https://evil.example"),
        ("cookie", cookies.as_str()),
    ];
    assert_eq!(send(&app, request("GET", "/note", &safe)).await.status, 200);
}

/// Request headers as name and value pairs.
type Headers<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn csrf_refusals_carry_djangos_reasons() {
    let (app, tokens) = csrf_app();
    let token = access(&tokens, "42");
    let secret = CsrfSecret::generate().unwrap_or_else(|e| panic!("{e}"));
    let other = CsrfSecret::generate().unwrap_or_else(|e| panic!("{e}"));
    let with_secret = format!(
        "{ACCESS_COOKIE}={token}; csrftoken={}",
        secret.expose_secret()
    );
    let without_secret = format!("{ACCESS_COOKIE}={token}");
    let cases: [(Headers<'_>, &str, &str); 4] = [
        (
            vec![("host", "api.example.com"), ("cookie", &without_secret)],
            "csrf_no_cookie",
            "CSRF Failed: CSRF cookie not set.",
        ),
        (
            vec![
                ("host", "api.example.com"),
                ("origin", "https://evil.example"),
                ("cookie", &with_secret),
            ],
            "csrf_bad_origin",
            "CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.",
        ),
        (
            vec![
                ("host", "api.example.com"),
                ("x-forwarded-proto", "https"),
                ("cookie", &with_secret),
            ],
            "csrf_no_referer",
            "CSRF Failed: Referer checking failed - no Referer.",
        ),
        (
            vec![
                ("host", "api.example.com"),
                ("cookie", &with_secret),
                ("x-csrftoken", other.expose_secret()),
            ],
            "csrf_token_incorrect",
            "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
        ),
    ];
    for (headers, code, detail) in cases {
        let answer = send(&app, request("POST", "/note", &headers)).await;
        assert_eq!(answer.status, 403, "{code}: {}", answer.text);
        assert_eq!(answer.body, json!({"detail": detail, "code": code}));
    }
    let flood = format!("{}{without_secret}", "c=1; ".repeat(300));
    let answer = send(&app, request("POST", "/note", &[("cookie", &flood)])).await;
    assert_eq!(answer.status, 400);
}

#[test]
fn csrf_without_an_access_cookie_is_a_configuration_error() {
    let mut config = support::config();
    config.access_cookie_name = None;
    let policy = CsrfPolicy::new(&[], None).unwrap_or_else(|e| panic!("{e}"));
    let err = CsrfLayer::new(policy, &config, SecureRequest::direct())
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.starts_with("access_cookie_name")));
}

/// The memory store behind a lookup that is not ready at once.
struct Yielding(Arc<portcullis::token::MemoryRevocationStore>);

impl RevocationCheck for Yielding {
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send {
        let answer = RevocationStore::status(&*self.0, lookup);
        async move {
            tokio::task::yield_now().await;
            answer
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_through_an_async_revocation_seam() {
    let tokens = tokens();
    let store = Arc::new(portcullis::token::MemoryRevocationStore::default());
    let auth = Authenticator::new(Arc::clone(&tokens), Arc::new(Yielding(Arc::clone(&store))))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(support::clock());
    let app = router(auth.required());
    let token = access(&tokens, "42");
    let statuses = |app: Router, token: String| async move {
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (app, bearer) = (app.clone(), format!("Bearer {token}"));
                tokio::spawn(async move {
                    send(&app, request("GET", "/me", &[("authorization", &bearer)]))
                        .await
                        .status
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap_or_else(|e| panic!("{e}")).as_u16());
        }
        out
    };
    assert!(
        statuses(app.clone(), token.clone())
            .await
            .iter()
            .all(|s| *s == 200)
    );
    store
        .revoke(tokens.revoke_user_before("42", now()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(statuses(app, token).await.iter().all(|s| *s == 401));
}
