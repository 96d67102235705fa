//! Security headers and the HTTPS redirect, from the core's
//! [`SecurityHeaders`](portcullis::web::headers::SecurityHeaders).

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, LOCATION};
use http::{HeaderMap, Request, Response, StatusCode};
use portcullis::web::headers::SecurityHeaders;

use crate::ConfigError;
use crate::guard::{Guard, Guarded, guard_layer};
use crate::response::{empty, header_name, json};
use crate::secure::{SecureRequest, request_host};

/// The rendered headers: converted to `http` values once, cloned (a reference
/// count, no allocation) onto each response.
#[derive(Debug)]
struct Rendered {
    hsts: Option<(HeaderName, HeaderValue)>,
    always: Vec<(HeaderName, HeaderValue)>,
    secure: SecureRequest,
}

fn render(
    pairs: Vec<(&'static str, String)>,
) -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
    pairs
        .into_iter()
        .map(|(name, value)| {
            let bad = || ConfigError::setting(name, "not a valid header value");
            let name = header_name(name).ok_or_else(bad)?;
            let value = HeaderValue::try_from(value).map_err(|_| bad())?;
            Ok((name, value))
        })
        .collect()
}

/// Adds Django's `SecurityMiddleware` headers (and X-Frame-Options, CSP,
/// Permissions-Policy as configured) to every response; HSTS only on secure
/// requests. A header the handler set is never replaced.
#[derive(Clone, Debug)]
pub struct SecurityHeadersLayer {
    rendered: Arc<Rendered>,
}

/// The service [`SecurityHeadersLayer`] makes.
pub type SecurityHeadersService<S> = Guarded<S, SecurityHeadersLayer>;

impl SecurityHeadersLayer {
    /// Renders `headers` once; `secure` decides where HSTS goes.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] when a rendered value is not a header value
    /// (the core's build already refuses those, so this does not occur).
    pub fn new(headers: &SecurityHeaders, secure: SecureRequest) -> Result<Self, ConfigError> {
        let always = render(headers.headers_for(false, &[]))?;
        let hsts = render(headers.headers_for(true, &[]))?
            .into_iter()
            .find(|(name, _)| *name == http::header::STRICT_TRANSPORT_SECURITY);
        Ok(Self {
            rendered: Arc::new(Rendered {
                hsts,
                always,
                secure,
            }),
        })
    }
}

guard_layer!(SecurityHeadersLayer);

impl Guard for SecurityHeadersLayer {
    /// Whether the request was secure (HSTS).
    type Pass = bool;

    fn check<T, B: From<Bytes>>(&self, request: &Request<T>) -> Result<bool, Response<B>> {
        Ok(self
            .rendered
            .secure
            .is_secure(request.uri(), request.headers()))
    }

    fn finish(&self, secure: bool, headers: &mut HeaderMap) {
        let hsts = self.rendered.hsts.iter().filter(|_| secure);
        for (name, value) in hsts.chain(&self.rendered.always) {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}

/// `SECURE_SSL_REDIRECT`: answers a plain-HTTP request with a 301 to its HTTPS
/// address (`SECURE_SSL_HOST`, `SECURE_REDIRECT_EXEMPT` as configured), before
/// any other work. A request whose Host cannot make a safe `Location` (missing,
/// malformed) gets a 400.
#[derive(Clone, Debug)]
pub struct HttpsRedirectLayer {
    config: Arc<(SecurityHeaders, SecureRequest)>,
}

/// The service [`HttpsRedirectLayer`] makes.
pub type HttpsRedirect<S> = Guarded<S, HttpsRedirectLayer>;

impl HttpsRedirectLayer {
    /// Redirects as `headers` says (nothing when its `ssl_redirect` is off).
    pub fn new(headers: SecurityHeaders, secure: SecureRequest) -> Self {
        Self {
            config: Arc::new((headers, secure)),
        }
    }
}

guard_layer!(HttpsRedirectLayer);

/// The body of a 400 for a Host that cannot be redirected.
const BAD_HOST: &str =
    r#"{"detail":"Bad Request: the Host header is missing or invalid.","code":"bad_host"}"#;

impl Guard for HttpsRedirectLayer {
    type Pass = ();

    fn check<T, B: From<Bytes>>(&self, request: &Request<T>) -> Result<(), Response<B>> {
        let (headers, rule) = &*self.config;
        let secure = rule.is_secure(request.uri(), request.headers());
        let host = request_host(request.uri(), request.headers()).unwrap_or_default();
        let full_path = request
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let bad_host = || {
            json(
                StatusCode::BAD_REQUEST,
                Bytes::from_static(BAD_HOST.as_bytes()),
            )
        };
        match headers.redirect(secure, host, full_path) {
            Ok(None) => Ok(()),
            Ok(Some(location)) => Err(match HeaderValue::try_from(location) {
                Ok(location) => {
                    let mut response = empty(StatusCode::MOVED_PERMANENTLY);
                    response.headers_mut().insert(LOCATION, location);
                    response
                }
                Err(_) => bad_host(),
            }),
            Err(_) => Err(bad_host()),
        }
    }

    fn finish(&self, (): (), _: &mut HeaderMap) {}
}
