//! The axum side: the routes and portcullis-tower's layers around them.
//!
//! Outermost first: the request span and outcome event (`telemetry.rs`), the
//! refusal audit (below), then the stack's security
//! headers, CORS and rate limit over every route, then CSRF and authentication
//! on the routes that need a user. The handlers only parse and call the app.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use portcullis::token::MemoryRevocationStore;
use portcullis_tower::{AuthLayer, Authenticated, CsrfLayer, SecurityStack};
use serde_json::{Value, json};

use crate::app::{App, Reply, RequestInfo, Scope, client_key};
use crate::backend::Backend;
use crate::telemetry::{Metrics, observe_request, record_user};

/// Largest request body read (a JSON login is a few hundred bytes).
const MAX_BODY: usize = 16 * 1024;

/// Every rate-limited route and its scope (the rate-limit layer's table).
pub(crate) const LIMITED_ROUTES: [(&str, Scope); 9] = [
    ("/api/token/", Scope::Login),
    ("/api/session/", Scope::Login),
    ("/api/token/refresh/", Scope::Api),
    ("/api/token/verify/", Scope::Api),
    ("/api/token/blacklist/", Scope::Api),
    ("/api/logout-everywhere/", Scope::Api),
    ("/api/me/", Scope::Api),
    ("/api/me/note/", Scope::Api),
    ("/api/audit/", Scope::Api),
];

/// The layers, configured by `main.rs`.
pub(crate) struct Layers {
    /// Security headers, CORS and the rate limit (authentication is per route).
    pub(crate) stack: SecurityStack<MemoryRevocationStore, Arc<Backend>>,
    /// CSRF for the cookie flow.
    pub(crate) csrf: CsrfLayer,
    /// Authentication for the routes that need a user.
    pub(crate) auth: AuthLayer<Backend>,
    /// The recorder `GET /metrics` renders.
    pub(crate) metrics: Arc<Metrics>,
}

/// Marks an answer the app made, so the refusal audit tells the lockout's 429
/// (audited by the app) from the rate-limit layer's.
#[derive(Clone, Copy, Debug)]
struct FromApp;

/// The service's routes, with the layers in place.
pub(crate) fn router(app: Arc<App>, layers: Layers) -> Router {
    let with_user = Router::new()
        .route("/api/logout-everywhere/", post(logout_everywhere))
        .route("/api/me/", get(me))
        .route("/api/me/note/", post(set_note))
        .route("/api/audit/", get(audit))
        .route_layer(middleware::from_fn(record_user))
        .route_layer(layers.auth)
        .route_layer(layers.csrf);
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/api/token/",
            json_route(|app, body, info| async move { app.obtain_pair(&body, &info).await }),
        )
        .route(
            "/api/session/",
            json_route(|app, body, info| async move { app.session_login(&body, &info).await }),
        )
        .route(
            "/api/token/refresh/",
            json_route(|app, body, info| async move { app.refresh(&body, &info).await }),
        )
        .route(
            "/api/token/verify/",
            json_route(|app, body, _| async move { app.verify(&body).await }),
        )
        .route(
            "/api/token/blacklist/",
            json_route(|app, body, info| async move { app.logout(&body, &info).await }),
        )
        .merge(with_user)
        .merge(layers.metrics.route())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(layers.stack)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            audit_refusals,
        ))
        .layer(middleware::from_fn(observe_request))
        .with_state(app)
}

fn request_info(headers: &HeaderMap, peer: SocketAddr) -> RequestInfo {
    RequestInfo {
        peer: Some(peer.ip()),
        user_agent: headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(reply.body)).into_response();
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response.extensions_mut().insert(FromApp);
    response
}

/// The JSON body, or DRF's 400 for one that is not JSON.
fn parse_json(body: &Bytes) -> Result<Value, Reply> {
    serde_json::from_slice(body).map_err(|_| Reply {
        status: 400,
        headers: Vec::new(),
        body: json!({"detail": "JSON parse error.", "code": "parse_error"}),
    })
}

/// The rate-limit layer's 429s go to the audit trail, aggregated per client
/// and window by the app.
async fn audit_refusals(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let scope = LIMITED_ROUTES
        .iter()
        .find(|(path, _)| *path == request.uri().path())
        .map(|(_, scope)| *scope);
    let response = next.run(request).await;
    if let Some(scope) = scope
        && response.status() == StatusCode::TOO_MANY_REQUESTS
        && response.extensions().get::<FromApp>().is_none()
    {
        app.audit_refusal(&client_key(Some(peer.ip())), scope, Some(peer.ip()));
    }
    response
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "instance": app.instance,
        "backend": app.backend.name(),
        "audit": app.audit_health(),
        "login_failure_entries": app.backend.failure_entries(),
    }))
    .into_response()
}

/// A route whose flow reads a JSON body and the request's audit fields.
fn json_route<F, Fut>(flow: F) -> MethodRouter<Arc<App>>
where
    F: Fn(Arc<App>, Value, RequestInfo) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    post(
        move |State(app): State<Arc<App>>,
              ConnectInfo(peer): ConnectInfo<SocketAddr>,
              headers: HeaderMap,
              body: Bytes| async move {
            match parse_json(&body) {
                Ok(body) => into_response(flow(app, body, request_info(&headers, peer)).await),
                Err(refusal) => into_response(refusal),
            }
        },
    )
}

async fn logout_everywhere(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(user): Extension<Authenticated>,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&headers, peer);
    into_response(app.logout_everywhere(user.user_id(), &info).await)
}

async fn me(State(app): State<Arc<App>>, Extension(user): Extension<Authenticated>) -> Response {
    into_response(app.me(user.user_id()))
}

async fn set_note(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(user): Extension<Authenticated>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match parse_json(&body) {
        Ok(body) => {
            into_response(app.set_note(user.user_id(), &body, &request_info(&headers, peer)))
        }
        Err(refusal) => into_response(refusal),
    }
}

/// The chain's verification reads every record: on the blocking pool.
async fn audit(State(app): State<Arc<App>>, _: Extension<Authenticated>) -> Response {
    let summary = tokio::task::spawn_blocking(move || app.audit_summary()).await;
    into_response(summary.unwrap_or_else(|_| Reply::internal()))
}
