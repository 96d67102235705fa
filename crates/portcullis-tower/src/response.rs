//! What every layer shares: the answers it sends itself, the header conversions
//! and the boxed future type.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};

/// The future of a layer's service: boxed, so layers compose without naming
/// each other's futures.
pub(crate) type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// The service that was driven ready, for a future that calls it after async
/// work; a clone takes its place (tower's rule for services called later).
pub(crate) fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

/// The body of a store failure: a fixed text, never the backend's error.
pub(crate) const STORE_UNAVAILABLE: &str =
    r#"{"detail":"Service unavailable","code":"store_unavailable"}"#;

/// The body when a remote issuer's token arrives before any of its key sets
/// could be fetched: the issuer is unreachable, not the token bad.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_UNAVAILABLE: &str =
    r#"{"detail":"Service unavailable","code":"jwks_unavailable"}"#;

/// The body for a `Cookie` header the parser refuses (over its caps, empty).
pub(crate) const BAD_COOKIE_HEADER: &str =
    r#"{"detail":"Malformed Cookie header.","code":"bad_cookie_header"}"#;

/// A response the layer answers itself, with a JSON body.
pub(crate) fn json<B: From<Bytes>>(status: StatusCode, body: impl Into<Bytes>) -> Response<B> {
    let mut response = Response::new(B::from(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A response with no body.
pub(crate) fn empty<B: From<Bytes>>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::from(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// 503 for a failed store: the status and a fixed body, nothing of the cause.
pub(crate) fn store_unavailable<B: From<Bytes>>() -> Response<B> {
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        Bytes::from_static(STORE_UNAVAILABLE.as_bytes()),
    )
}

/// 503 for a remote issuer's token with no key set fetched yet.
#[cfg(feature = "jwks")]
pub(crate) fn jwks_unavailable<B: From<Bytes>>() -> Response<B> {
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        Bytes::from_static(JWKS_UNAVAILABLE.as_bytes()),
    )
}

/// 400 for a `Cookie` header over the parser's caps.
pub(crate) fn bad_cookie_header<B: From<Bytes>>() -> Response<B> {
    json(
        StatusCode::BAD_REQUEST,
        Bytes::from_static(BAD_COOKIE_HEADER.as_bytes()),
    )
}

/// The header name for one of the core's `&'static str` names (mixed case).
/// The names the rate-limit and CORS layers send on every answer are
/// constants, so naming them allocates nothing.
pub(crate) fn header_name(name: &'static str) -> Option<HeaderName> {
    const KNOWN: [(&str, HeaderName); 10] = [
        ("RateLimit", HeaderName::from_static("ratelimit")),
        (
            "RateLimit-Policy",
            HeaderName::from_static("ratelimit-policy"),
        ),
        ("Retry-After", http::header::RETRY_AFTER),
        (
            "X-RateLimit-Limit",
            HeaderName::from_static("x-ratelimit-limit"),
        ),
        (
            "X-RateLimit-Remaining",
            HeaderName::from_static("x-ratelimit-remaining"),
        ),
        (
            "X-RateLimit-Reset",
            HeaderName::from_static("x-ratelimit-reset"),
        ),
        ("Vary", http::header::VARY),
        (
            "Access-Control-Allow-Origin",
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        ),
        (
            "Access-Control-Allow-Credentials",
            http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        ),
        (
            "Access-Control-Allow-Methods",
            http::header::ACCESS_CONTROL_ALLOW_METHODS,
        ),
    ];
    match KNOWN.iter().find(|(known, _)| *known == name) {
        Some((_, header)) => Some(header.clone()),
        None => HeaderName::from_bytes(name.as_bytes()).ok(),
    }
}

/// Adds the core's `(name, value)` headers to `headers`, leaving any name the
/// response already carries alone; `Vary` is appended instead (its members merge).
pub(crate) fn add_missing(headers: &mut HeaderMap, extra: Vec<(&'static str, String)>) {
    for (name, value) in extra {
        let (Some(name), Ok(value)) = (header_name(name), HeaderValue::try_from(value)) else {
            continue;
        };
        if name == http::header::VARY {
            headers.append(name, value);
        } else if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
}

/// The text of the first `name` header, when it is visible ASCII.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
