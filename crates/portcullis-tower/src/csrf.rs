//! CSRF for cookie-authenticated unsafe requests: Django's
//! `CsrfViewMiddleware` rules and reasons, as DRF's `SessionAuthentication`
//! enforces them.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, ORIGIN, REFERER};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use portcullis::token::TokenConfig;
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest};

use crate::ConfigError;
use crate::auth::{cookie, has_bearer};
use crate::guard::{Guard, Guarded, guard_layer};
use crate::response::{bad_cookie_header, header_str, json};
use crate::secure::{SecureRequest, request_host, request_port};

#[derive(Clone, Debug)]
struct Config {
    policy: CsrfPolicy,
    secure: SecureRequest,
    header_types: Vec<String>,
    access_cookie: String,
    csrf_cookie: String,
    csrf_header: HeaderName,
}

/// Refuses unsafe requests (not GET, HEAD, OPTIONS, TRACE) authenticated by the
/// access cookie unless they pass Django's Origin/Referer and token checks:
/// 403 with `{"detail": "CSRF Failed: <Django's reason>", "code": "csrf_..."}`.
///
/// A request with a bearer token (of a configured type) is not
/// cookie-authenticated, so CSRF does not apply, as in DRF. The check runs
/// before the token is verified: a forged cross-site request is refused
/// without any cryptography. The token is read from the header (Django's
/// `X-CSRFToken` by default), not from a form body: the layer does not buffer
/// bodies.
#[derive(Clone, Debug)]
pub struct CsrfLayer {
    config: Arc<Config>,
}

impl CsrfLayer {
    /// Protects requests carrying `tokens`' access cookie with `policy`
    /// (`CSRF_TRUSTED_ORIGINS`); the secret is read from the `csrftoken` cookie
    /// and the token from `X-CSRFToken` unless changed.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] naming `access_cookie_name` when `tokens` sets
    /// no access cookie (nothing would be protected).
    pub fn new(
        policy: CsrfPolicy,
        tokens: &TokenConfig,
        secure: SecureRequest,
    ) -> Result<Self, ConfigError> {
        let access_cookie = tokens.access_cookie_name.clone().ok_or_else(|| {
            ConfigError::setting(
                "access_cookie_name",
                "is not set, so no request is cookie-authenticated and CSRF would protect nothing",
            )
        })?;
        Ok(Self {
            config: Arc::new(Config {
                policy,
                secure,
                header_types: tokens.auth_header_types.clone(),
                access_cookie,
                csrf_cookie: "csrftoken".to_owned(),
                csrf_header: HeaderName::from_static("x-csrftoken"),
            }),
        })
    }

    /// `CSRF_COOKIE_NAME` (Django's `csrftoken`) and `CSRF_HEADER_NAME` as an
    /// HTTP header name (Django's `HTTP_X_CSRFTOKEN` is `X-CSRFToken`).
    ///
    /// # Errors
    /// [`ConfigError::Setting`] naming `CSRF_HEADER_NAME` for an invalid name.
    pub fn with_names(mut self, cookie: &str, header: &str) -> Result<Self, ConfigError> {
        let header = HeaderName::try_from(header)
            .map_err(|_| ConfigError::setting("CSRF_HEADER_NAME", "not a valid header name"))?;
        let config = Arc::make_mut(&mut self.config);
        config.csrf_cookie = cookie.to_owned();
        config.csrf_header = header;
        Ok(self)
    }
}

/// The service [`CsrfLayer`] makes.
pub type Csrf<S> = Guarded<S, CsrfLayer>;

guard_layer!(CsrfLayer);

impl Config {
    /// `None` to let the request through, or the refusal.
    fn refusal<B: From<Bytes>, T>(&self, request: &Request<T>) -> Option<Response<B>> {
        let method = request.method();
        let safe = [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE];
        let headers = request.headers();
        if safe.contains(method) || has_bearer(headers, &self.header_types) {
            return None;
        }
        match cookie(headers, &self.access_cookie) {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(_) => return Some(bad_cookie_header()),
        }
        let csrf_cookie = match cookie(headers, &self.csrf_cookie) {
            Ok(found) => found,
            Err(_) => return Some(bad_cookie_header()),
        };
        let secure = self.secure.is_secure(request.uri(), headers);
        let host = request_host(request.uri(), headers);
        let verdict = self.policy.check(&CsrfRequest {
            method: method.as_str(),
            secure,
            host,
            port: request_port(host, secure),
            origin: header_str(headers, &ORIGIN),
            referer: header_str(headers, &REFERER),
            cookie: csrf_cookie.as_deref(),
            form_token: None,
            header_token: header_str(headers, &self.csrf_header),
        });
        let rejection = verdict.err()?;
        let body = serde_json::json!({
            "detail": format!("CSRF Failed: {}", rejection.reason),
            "code": rejection.failure.code(),
        });
        Some(json(StatusCode::FORBIDDEN, body.to_string()))
    }
}

impl Guard for CsrfLayer {
    type Pass = ();

    fn check<T, B: From<Bytes>>(&self, request: &Request<T>) -> Result<(), Response<B>> {
        self.config.refusal(request).map_or(Ok(()), Err)
    }

    fn finish(&self, (): (), _: &mut HeaderMap) {}
}
