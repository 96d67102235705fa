//! Security headers and the HTTPS redirect, from the core's
//! [`SecurityHeaders`](portcullis::web::headers::SecurityHeaders).

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, LOCATION};
use http::{Request, Response, StatusCode};
use portcullis::web::headers::SecurityHeaders;
use tower::{Layer, Service};

use crate::ConfigError;
use crate::response::{BoxFuture, header_name, json};
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

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeadersService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeadersService {
            inner,
            rendered: Arc::clone(&self.rendered),
        }
    }
}

/// The service [`SecurityHeadersLayer`] makes.
#[derive(Clone, Debug)]
pub struct SecurityHeadersService<S> {
    inner: S,
    rendered: Arc<Rendered>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SecurityHeadersService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let secure = self
            .rendered
            .secure
            .is_secure(request.uri(), request.headers());
        let rendered = Arc::clone(&self.rendered);
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?;
            let headers = response.headers_mut();
            let hsts = rendered.hsts.iter().filter(|_| secure);
            for (name, value) in hsts.chain(&rendered.always) {
                if !headers.contains_key(name) {
                    headers.insert(name.clone(), value.clone());
                }
            }
            Ok(response)
        })
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

impl HttpsRedirectLayer {
    /// Redirects as `headers` says (nothing when its `ssl_redirect` is off).
    pub fn new(headers: SecurityHeaders, secure: SecureRequest) -> Self {
        Self {
            config: Arc::new((headers, secure)),
        }
    }
}

impl<S> Layer<S> for HttpsRedirectLayer {
    type Service = HttpsRedirect<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpsRedirect {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`HttpsRedirectLayer`] makes.
#[derive(Clone, Debug)]
pub struct HttpsRedirect<S> {
    inner: S,
    config: Arc<(SecurityHeaders, SecureRequest)>,
}

/// The body of a 400 for a Host that cannot be redirected.
const BAD_HOST: &str =
    r#"{"detail":"Bad Request: the Host header is missing or invalid.","code":"bad_host"}"#;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HttpsRedirect<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: From<Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let (headers, rule) = &*self.config;
        let secure = rule.is_secure(request.uri(), request.headers());
        let host = request_host(request.uri(), request.headers()).unwrap_or_default();
        let full_path = request
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let answer = match headers.redirect(secure, host, full_path) {
            Ok(None) => None,
            Ok(Some(location)) => Some(match HeaderValue::try_from(location) {
                Ok(location) => {
                    let mut response = crate::response::empty(StatusCode::MOVED_PERMANENTLY);
                    response.headers_mut().insert(LOCATION, location);
                    response
                }
                Err(_) => json(
                    StatusCode::BAD_REQUEST,
                    Bytes::from_static(BAD_HOST.as_bytes()),
                ),
            }),
            Err(_) => Some(json(
                StatusCode::BAD_REQUEST,
                Bytes::from_static(BAD_HOST.as_bytes()),
            )),
        };
        match answer {
            Some(response) => Box::pin(std::future::ready(Ok(response))),
            None => Box::pin(self.inner.call(request)),
        }
    }
}
