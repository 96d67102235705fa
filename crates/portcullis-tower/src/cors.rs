//! CORS from the core's [`CorsPolicy`]: preflights answered here, refused
//! origins refused here, the policy's headers on every other answer.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};
use http::{HeaderMap, Request, Response, StatusCode};
use portcullis::web::Header;
use portcullis::web::cors::{CorsDecision, CorsPolicy, CorsRequest};

use crate::guard::{Guard, Guarded, guard_layer};
use crate::response::{add_missing, empty, header_str, json};
use crate::secure::{SecureRequest, request_host};

/// Evaluates each request against a [`CorsPolicy`].
///
/// - An allowed preflight is answered `204` with the policy's headers; the
///   inner service never sees it.
/// - A refused origin (preflight or not) is answered `403` with
///   `{"detail": "Cross-origin request refused.", "code": "cors_..."}`.
/// - Everything else runs the inner service and gets the policy's headers
///   (`Vary: Origin` merged with the handler's `Vary`).
///
/// A request whose `Origin` is its own scheme and Host (browsers send `Origin`
/// on same-origin POSTs) is not a CORS request.
#[derive(Clone, Debug)]
pub struct CorsLayer {
    config: Arc<(CorsPolicy, SecureRequest)>,
}

impl CorsLayer {
    /// The layer for `policy`; `secure` tells a same-origin request's scheme.
    pub fn new(policy: CorsPolicy, secure: SecureRequest) -> Self {
        Self {
            config: Arc::new((policy, secure)),
        }
    }
}

/// The service [`CorsLayer`] makes.
pub type Cors<S> = Guarded<S, CorsLayer>;

guard_layer!(CorsLayer);

/// Whether `origin` is the request's own `scheme://host`.
fn same_origin(origin: &str, secure: bool, host: Option<&str>) -> bool {
    let scheme = if secure { "https://" } else { "http://" };
    host.is_some_and(|host| origin.strip_prefix(scheme) == Some(host))
}

impl Guard for CorsLayer {
    /// The policy's headers for the answer.
    type Pass = Vec<Header>;

    fn check<T, B: From<Bytes>>(&self, request: &Request<T>) -> Result<Vec<Header>, Response<B>> {
        let (policy, rule) = &*self.config;
        let headers = request.headers();
        let secure = rule.is_secure(request.uri(), headers);
        let host = request_host(request.uri(), headers);
        // An `Origin` that is not visible ASCII is a malformed origin, not an absent one.
        let origin = headers
            .get(ORIGIN)
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .filter(|origin| !same_origin(origin, secure, host));
        let decision = policy.evaluate(&CorsRequest {
            method: request.method().as_str(),
            origin,
            request_method: header_str(headers, &ACCESS_CONTROL_REQUEST_METHOD),
            request_headers: header_str(headers, &ACCESS_CONTROL_REQUEST_HEADERS),
        });
        let (mut answer, cors_headers) = match decision {
            CorsDecision::PreflightAllowed { headers } => (empty(StatusCode::NO_CONTENT), headers),
            CorsDecision::Rejected { reason, headers } => {
                let body = serde_json::json!({
                    "detail": "Cross-origin request refused.",
                    "code": reason.code(),
                });
                (json(StatusCode::FORBIDDEN, body.to_string()), headers)
            }
            CorsDecision::NotCors { headers } | CorsDecision::ActualAllowed { headers } => {
                return Ok(headers);
            }
        };
        add_missing(answer.headers_mut(), cors_headers);
        Err(answer)
    }

    fn finish(&self, cors_headers: Vec<Header>, headers: &mut HeaderMap) {
        add_missing(headers, cors_headers);
    }
}
