//! Operations: JSON-line logs on stderr (tracing-subscriber, filtered like
//! `RUST_LOG`), `GET /metrics` in Prometheus text, and the span each request
//! runs in (portcullis's `request_span`: every event inside carries the
//! client's address, and the user id once authenticated).
//!
//! What reaches a line or a metric: the core's events and counters (kinds,
//! codes, reasons, scopes, user ids, client keys: never a token, key or
//! password), the deployment findings, and one outcome per request (method,
//! the matched route pattern, status, duration). Metric labels come from fixed
//! sets and configured scope names only.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use portcullis::secret::SecretString;
use portcullis_tower::Authenticated;
use subtle::ConstantTimeEq;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::BoxError;

/// The filter when `RUST_LOG` is unset: the service's and the core's events
/// at INFO and above (token issues, refusals, rate limiting, lockouts, the
/// outcome of refused requests other than 429s; admitted requests are DEBUG).
pub(crate) const DEFAULT_LOG_FILTER: &str = "info";

/// How often the recorder's histograms are drained (the exporter's upkeep).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the JSON-line logger on stderr with `RUST_LOG`'s filter, else
/// [`DEFAULT_LOG_FILTER`].
///
/// # Errors
/// A `RUST_LOG` that does not parse, or a logger already installed.
pub(crate) fn init_logs() -> Result<(), BoxError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => {
            EnvFilter::try_new(&directives).map_err(|e| format!("RUST_LOG: {e}"))?
        }
        _ => EnvFilter::new(DEFAULT_LOG_FILTER),
    };
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
}

/// The Prometheus recorder and who may read it.
pub(crate) struct Metrics {
    handle: PrometheusHandle,
    token: Option<SecretString>,
}

impl Metrics {
    /// Installs the process's recorder (once) and registers the core's help texts.
    ///
    /// # Errors
    /// A recorder already installed.
    pub(crate) fn install(token: Option<String>) -> Result<Arc<Self>, BoxError> {
        let handle = PrometheusBuilder::new()
            .install_recorder()
            .map_err(|e| format!("metrics recorder: {e}"))?;
        portcullis::observe::describe_metrics();
        Ok(Arc::new(Self {
            handle,
            token: token.map(SecretString::new),
        }))
    }

    /// The `/metrics` route, for merging into the app's router.
    pub(crate) fn route<S>(self: &Arc<Self>) -> Router<S> {
        Router::new()
            .route("/metrics", get(metrics))
            .with_state(Arc::clone(self))
    }

    /// Drains the histograms every [`UPKEEP_EVERY`] (the exporter's own
    /// listener would; this service renders in its route instead).
    pub(crate) async fn upkeep(self: Arc<Self>) {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            self.handle.run_upkeep();
        }
    }
}

/// Who may read `/metrics`.
#[derive(Debug, PartialEq, Eq)]
enum Access {
    Granted,
    /// No token configured and the peer is not on this machine.
    NotLoopback,
    /// A token is configured and the request does not present it.
    BadToken,
}

/// With `metrics_token`, the request must present it as a bearer token (any
/// peer); without, only loopback peers are answered. The counters hold no user
/// data, but their rates tell an outsider how the service is being probed.
fn access(token: Option<&SecretString>, peer: IpAddr, headers: &HeaderMap) -> Access {
    let Some(token) = token else {
        return if peer.is_loopback() {
            Access::Granted
        } else {
            Access::NotLoopback
        };
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    match presented {
        Some(presented) if bool::from(presented.ct_eq(token.expose_secret().as_bytes())) => {
            Access::Granted
        }
        _ => Access::BadToken,
    }
}

async fn metrics(
    State(metrics): State<Arc<Metrics>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match access(metrics.token.as_ref(), peer.ip(), &headers) {
        Access::Granted => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            )],
            metrics.handle.render(),
        )
            .into_response(),
        Access::NotLoopback => (
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({
                "detail": "Metrics are served to loopback clients only; configure metrics_token.",
                "code": "metrics_forbidden",
            })),
        )
            .into_response(),
        Access::BadToken => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            axum::Json(serde_json::json!({
                "detail": "Authentication credentials were not provided.",
                "code": "not_authenticated",
            })),
        )
            .into_response(),
    }
}

/// The outermost layer: the request runs inside portcullis's request span
/// (with the peer's address), and its outcome is one event: DEBUG when
/// admitted, INFO when refused or failed. A 429 is DEBUG too: the rate limit's
/// already has its `portcullis.ratelimit.limited` line and the lockout's its
/// audit line, so a flood writes one line a request, not two.
pub(crate) async fn observe_request(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let ip = peer.ip().to_string();
    let span = portcullis::observe::request_span(Some(&ip), None);
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        if status < 400 || status == 429 {
            tracing::debug!(method = method.as_str(), route, status, micros, "request");
        } else {
            tracing::info!(method = method.as_str(), route, status, micros, "request");
        }
    });
    response
}

/// Inside authentication: records the user id on the request span.
pub(crate) async fn record_user(
    user: Option<Extension<Authenticated>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(Extension(user)) = user {
        tracing::Span::current().record("user.id", user.user_id());
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_need_the_token_when_one_is_set_else_a_loopback_peer() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        let none = HeaderMap::new();
        assert_eq!(access(None, loopback, &none), Access::Granted);
        assert_eq!(access(None, "::1".parse().unwrap(), &none), Access::Granted);
        assert_eq!(access(None, remote, &none), Access::NotLoopback);

        let token = SecretString::new("scrape-token-0123456789".into());
        let mut good = HeaderMap::new();
        good.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer scrape-token-0123456789"),
        );
        let mut bad = HeaderMap::new();
        bad.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer scrape-token-012345678"),
        );
        assert_eq!(access(Some(&token), remote, &good), Access::Granted);
        assert_eq!(access(Some(&token), remote, &bad), Access::BadToken);
        assert_eq!(access(Some(&token), loopback, &none), Access::BadToken);
    }
}
