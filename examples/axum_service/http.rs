//! The axum layer: routes, security headers, CORS, rate limits, and the hand-off
//! of each flow to the blocking pool.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portcullis::web::cors::{CorsDecision, CorsPolicy, CorsRequest};
use portcullis::web::headers::SecurityHeaders;
use serde_json::{Value, json};

use crate::app::{App, Reply, RequestInfo, Scope};

/// The app and the response policies the middleware applies.
#[derive(Clone)]
pub(crate) struct Shared {
    /// The service.
    pub(crate) app: Arc<App>,
    /// Security headers.
    pub(crate) security: Arc<SecurityHeaders>,
    /// CORS policy.
    pub(crate) cors: Arc<CorsPolicy>,
}

/// Largest request body read (a JSON login is a few hundred bytes).
const MAX_BODY: usize = 16 * 1024;

/// The service's routes, with the middleware in place.
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/token/", post(obtain_pair))
        .route("/api/session/", post(session_login))
        .route("/api/token/refresh/", post(refresh))
        .route("/api/token/verify/", post(verify))
        .route("/api/token/blacklist/", post(logout))
        .route("/api/logout-everywhere/", post(logout_everywhere))
        .route("/api/me/", get(me))
        .route("/api/me/note/", post(set_note))
        .route("/api/audit/", get(audit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            cors_and_headers,
        ))
        .with_state(shared)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn request_info(headers: &HeaderMap, peer: SocketAddr) -> RequestInfo {
    RequestInfo {
        peer: Some(peer.ip()),
        authorization: header(headers, "authorization"),
        cookie: header(headers, "cookie"),
        origin: header(headers, "origin"),
        referer: header(headers, "referer"),
        host: header(headers, "host"),
        csrf_header: header(headers, "x-csrftoken"),
        user_agent: header(headers, "user-agent"),
    }
}

fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
}

fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(reply.body)).into_response();
    add_headers(&mut response, &reply.headers);
    response
}

/// Runs `flow` on the blocking pool (password hashing, Redis round trips).
async fn blocking(app: &Arc<App>, flow: impl FnOnce(&App) -> Reply + Send + 'static) -> Response {
    let app = Arc::clone(app);
    match tokio::task::spawn_blocking(move || flow(&app)).await {
        Ok(reply) => into_response(reply),
        Err(_) => into_response(Reply {
            status: 500,
            headers: Vec::new(),
            body: json!({"detail": "Internal error.", "code": "internal"}),
        }),
    }
}

fn parse_json(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|_| {
        Box::new(into_response(Reply {
            status: 400,
            headers: Vec::new(),
            body: json!({"detail": "JSON parse error.", "code": "parse_error"}),
        }))
    })
}

/// A rate-limited flow: the limit first, then the flow; the headers go on either answer.
async fn limited(
    shared: &Shared,
    scope: Scope,
    info: RequestInfo,
    flow: impl FnOnce(&App, &RequestInfo) -> Reply + Send + 'static,
) -> Response {
    blocking(&shared.app, move |app| match app.limit(scope, &info) {
        Ok(headers) => {
            let mut reply = flow(app, &info);
            reply.headers.extend(headers);
            reply
        }
        Err(refused) => refused,
    })
    .await
}

/// A rate-limited flow on a JSON body; a body that is not JSON is refused (400)
/// before the limit is consulted.
async fn limited_json(
    shared: &Shared,
    scope: Scope,
    info: RequestInfo,
    body: &Bytes,
    flow: impl FnOnce(&App, &Value, &RequestInfo) -> Reply + Send + 'static,
) -> Response {
    let body = match parse_json(body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    limited(shared, scope, info, move |app, info| flow(app, &body, info)).await
}

async fn healthz(State(shared): State<Shared>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "instance": shared.app.instance,
        "backend": shared.app.backend,
        "audit": shared.app.audit_health(),
        "login_failure_entries": shared.app.failure_entries(),
    }))
    .into_response()
}

async fn obtain_pair(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Login, info, &body, |app, body, info| {
        app.obtain_pair(body, info)
    })
    .await
}

async fn session_login(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Login, info, &body, |app, body, info| {
        app.session_login(body, info)
    })
    .await
}

async fn refresh(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Api, info, &body, |app, body, info| {
        app.refresh(body, info)
    })
    .await
}

async fn verify(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Api, info, &body, |app, body, _| {
        app.verify(body)
    })
    .await
}

async fn logout(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Api, info, &body, |app, body, info| {
        app.logout(body, info)
    })
    .await
}

/// Authenticates (bearer or cookie); cookie-authenticated unsafe methods need CSRF.
fn authenticated(
    app: &App,
    method: &str,
    info: &RequestInfo,
    flow: impl FnOnce(&App, &str) -> Reply,
) -> Reply {
    let (user, from_cookie) = match app.authenticate_request(info) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let safe = matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE");
    if from_cookie
        && !safe
        && let Err(reply) = app.check_csrf(method, info)
    {
        return reply;
    }
    flow(app, &user)
}

async fn logout_everywhere(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&headers, peer);
    limited(&shared, Scope::Api, info, |app, info| {
        authenticated(app, "POST", info, |app, user| {
            app.logout_everywhere(user, info)
        })
    })
    .await
}

async fn me(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&headers, peer);
    limited(&shared, Scope::Api, info, |app, info| {
        authenticated(app, "GET", info, |app, user| app.me(user))
    })
    .await
}

async fn set_note(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&headers, peer);
    limited_json(&shared, Scope::Api, info, &body, |app, body, info| {
        authenticated(app, "POST", info, |app, user| {
            app.set_note(user, body, info)
        })
    })
    .await
}

async fn audit(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&headers, peer);
    limited(&shared, Scope::Api, info, |app, info| {
        authenticated(app, "GET", info, |app, _| app.audit_summary())
    })
    .await
}

/// CORS (preflights answered here, refused origins get 403) and the security
/// headers on every response.
async fn cors_and_headers(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let method = request.method().clone();
    let origin = header(headers, "origin");
    let request_method = header(headers, "access-control-request-method");
    let request_headers = header(headers, "access-control-request-headers");
    // Browsers send `Origin` on same-origin POSTs too: those are not CORS.
    let host = header(headers, "host");
    let same_origin = match (&origin, &host) {
        (Some(o), Some(h)) => {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                == Some(h.as_str())
        }
        _ => false,
    };
    let decision = shared.cors.evaluate(&CorsRequest {
        method: method.as_str(),
        origin: origin.as_deref().filter(|_| !same_origin),
        request_method: request_method.as_deref(),
        request_headers: request_headers.as_deref(),
    });
    let mut response = match &decision {
        CorsDecision::PreflightAllowed { .. } => StatusCode::NO_CONTENT.into_response(),
        CorsDecision::Rejected { reason, .. } => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"detail": "Cross-origin request refused.", "code": reason.code()})),
        )
            .into_response(),
        CorsDecision::NotCors { .. } | CorsDecision::ActualAllowed { .. } => {
            if method == Method::OPTIONS {
                StatusCode::NO_CONTENT.into_response()
            } else {
                next.run(request).await
            }
        }
    };
    let cors_headers: Vec<(String, String)> = decision
        .headers()
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    add_headers(&mut response, &cors_headers);
    let present: Vec<String> = response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .collect();
    let present: Vec<&str> = present.iter().map(String::as_str).collect();
    // Plain HTTP on loopback: no HSTS (it is only sent over HTTPS).
    let security: Vec<(String, String)> = shared
        .security
        .headers_for(false, &present)
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    add_headers(&mut response, &security);
    response
}
