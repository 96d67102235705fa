//! Rate limits per route from the core's [`RateTable`], keyed by user or
//! client address, answered with the core's 429 and headers.

mod store;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Extensions, HeaderMap, Request, Response, StatusCode};
use portcullis::clock::{Clock, CoarseClock};
use portcullis::ratelimit::http::{ErrorBody, HeaderOptions, RateLimitResponse};
use portcullis::ratelimit::{ClientKey, RateTable, client_ip};
use tower::{Layer, Service};

pub(crate) use store::client_of;
pub use store::{MemoryRateLimits, RateLimitStore};

use crate::ConfigError;
use crate::auth::{Authenticated, Authenticator, Identified, RevocationCheck};
use crate::response::{BoxFuture, add_missing, json, store_unavailable, take_ready};

/// The peer address of the connection, for hosts to put in the request's
/// extensions (axum users read `ConnectInfo` instead, see
/// [`RateLimiter::with_peer_address`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

type PeerFn = dyn Fn(&Extensions) -> Option<IpAddr> + Send + Sync;
type IdentifyFn = dyn Fn(&HeaderMap) -> Identified + Send + Sync;

/// The rate-limit configuration: the table, the store, which routes use which
/// scope, how clients are told apart, and the 429's shape. Build it, then make
/// the layer with [`RateLimiter::layer`].
///
/// Keys: the user id when the request is authenticated (an [`Authenticated`]
/// from an outer layer, or a token verified by the authenticator given to
/// [`RateLimiter::identify_users`]), else the client address (the core's
/// [`ClientKey`]: IPv6 by /56, `X-Forwarded-For` read through
/// `NUM_PROXIES` trusted proxies only). A request whose peer address is not
/// known counts against one shared anonymous quota, so a host that forgot to
/// provide the address fails closed rather than unlimited.
///
/// Rates: a route mapped to a scope ([`RateLimiter::with_route`]) uses the
/// scope's rate (DRF's `ScopedRateThrottle`); every other request uses the
/// user or anonymous default (DRF's `UserRateThrottle`/`AnonRateThrottle`);
/// nothing set means not limited. The headers (`RateLimit`,
/// `RateLimit-Policy`, optionally `X-RateLimit-*`) go on admitted answers too.
pub struct RateLimiter<L> {
    table: RateTable,
    store: L,
    options: BTreeMap<String, HeaderOptions>,
    routes: HashMap<String, String>,
    trusted_proxies: usize,
    peer: Arc<PeerFn>,
    identify: Option<Arc<IdentifyFn>>,
    clock: Arc<dyn Clock>,
}

impl<L> fmt::Debug for RateLimiter<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("table", &self.table)
            .field("routes", &self.routes)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("identifies_users", &self.identify.is_some())
            .finish_non_exhaustive()
    }
}

fn peer_from_extension(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<PeerAddr>().map(|peer| peer.0.ip())
}

impl<L: RateLimitStore> RateLimiter<L> {
    /// Enforces `table` through `store` (built from the same table).
    ///
    /// # Errors
    /// [`ConfigError::RateLimit`] for a scope name that cannot be a
    /// `RateLimit` policy name (1 to 64 printable ASCII bytes).
    pub fn new(table: RateTable, store: L) -> Result<Self, ConfigError> {
        let defaults = [("user", table.user()), ("anon", table.anonymous())];
        let names = table.scopes().map(|(scope, _)| scope).chain(
            defaults
                .into_iter()
                .filter_map(|(scope, rate)| rate.map(|_| scope)),
        );
        let options = names
            .map(|scope| Ok((scope.to_owned(), HeaderOptions::new(scope)?)))
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self {
            table,
            store,
            options,
            routes: HashMap::new(),
            trusted_proxies: 0,
            peer: Arc::new(peer_from_extension),
            identify: None,
            clock: Arc::new(CoarseClock),
        })
    }

    /// Requests to exactly `path` use `scope`'s rate.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] when the table does not list `scope`.
    pub fn with_route(mut self, path: &str, scope: &str) -> Result<Self, ConfigError> {
        if !self.table.scopes().any(|(listed, _)| listed == scope) {
            return Err(ConfigError::setting(
                "DEFAULT_THROTTLE_RATES",
                format!(
                    "the route {path:?} names scope {scope:?}, which the rate table does not list"
                ),
            ));
        }
        self.routes.insert(path.to_owned(), scope.to_owned());
        Ok(self)
    }

    /// The 429 body ([`ErrorBody::rate_limit_exceeded`] by default, or DRF's).
    #[must_use]
    pub fn with_body(mut self, body: &ErrorBody) -> Self {
        self.each(|options| options.with_body(body.clone()));
        self
    }

    /// Also send `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
    #[must_use]
    pub fn with_legacy(mut self, legacy: bool) -> Self {
        self.each(|options| options.with_legacy(legacy));
        self
    }

    fn each(&mut self, change: impl Fn(HeaderOptions) -> HeaderOptions) {
        for options in self.options.values_mut() {
            *options = change(std::mem::take(options));
        }
    }

    /// DRF's `NUM_PROXIES`: how many proxies in front append to
    /// `X-Forwarded-For` (0, the default, never reads it).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: usize) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Where the connection's peer address is (default: a [`PeerAddr`] extension).
    /// With axum: `|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())`.
    #[must_use]
    pub fn with_peer_address(
        mut self,
        peer: impl Fn(&Extensions) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.peer = Arc::new(peer);
        self
    }

    /// Key requests that carry a valid token by its user, as `authenticator`
    /// verifies it. The verified token is handed on to the authentication
    /// layer inside (the same authenticator), so it is verified once.
    #[must_use]
    pub fn identify_users<R: RevocationCheck>(mut self, authenticator: &Authenticator<R>) -> Self {
        let authenticator = authenticator.clone();
        self.identify = Some(Arc::new(move |headers| authenticator.identify(headers)));
        self
    }

    /// The same limiter reading time from `clock` (tests pin it). The default is
    /// the core's [`CoarseClock`]: the system time to within a millisecond for one
    /// atomic load, so a decision's time read costs less than the decision.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The layer enforcing this configuration.
    pub fn layer(self) -> RateLimitLayer<L> {
        RateLimitLayer {
            limiter: Arc::new(self),
        }
    }

    /// Who the request counts against; caches the verify step for the
    /// authentication layer.
    fn client(&self, request: &mut Request<impl Sized>) -> ClientKey {
        if let Some(user) = request.extensions().get::<Authenticated>() {
            return ClientKey::user(user.user_id());
        }
        if let Some(identify) = &self.identify {
            let identified = identify(request.headers());
            let user = identified.user_id().map(str::to_owned);
            request.extensions_mut().insert(identified);
            if let Some(user) = user {
                return ClientKey::user(user);
            }
        }
        let peer = (self.peer)(request.extensions()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = forwarded_for(request.headers());
        ClientKey::ip(client_ip(peer, forwarded.as_deref(), self.trusted_proxies))
    }
}

/// Every `X-Forwarded-For` value, comma-joined; `None` when absent or not text.
fn forwarded_for(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    let mut values = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().ok());
    let first = values.next()??;
    let mut joined: Option<String> = None;
    for value in values {
        let text = joined.get_or_insert_with(|| first.to_owned());
        text.push_str(", ");
        text.push_str(value?);
    }
    Some(joined.map_or(Cow::Borrowed(first), Cow::Owned))
}

/// The rate-limit layer; see [`RateLimiter`].
pub struct RateLimitLayer<L> {
    limiter: Arc<RateLimiter<L>>,
}

impl<L> Clone for RateLimitLayer<L> {
    fn clone(&self) -> Self {
        Self {
            limiter: Arc::clone(&self.limiter),
        }
    }
}

impl<L> fmt::Debug for RateLimitLayer<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RateLimitLayer")
            .field(&self.limiter)
            .finish()
    }
}

impl<S, L> Layer<S> for RateLimitLayer<L> {
    type Service = RateLimit<S, L>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            inner,
            limiter: Arc::clone(&self.limiter),
        }
    }
}

/// The service [`RateLimitLayer`] makes.
pub struct RateLimit<S, L> {
    inner: S,
    limiter: Arc<RateLimiter<L>>,
}

impl<S: Clone, L> Clone for RateLimit<S, L> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            limiter: Arc::clone(&self.limiter),
        }
    }
}

impl<S: fmt::Debug, L> fmt::Debug for RateLimit<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .field("limiter", &self.limiter)
            .finish()
    }
}

impl<S, L, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimit<S, L>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    L: RateLimitStore,
    ReqBody: Send + 'static,
    ResBody: From<Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let limiter = Arc::clone(&self.limiter);
        let client = limiter.client(&mut request);
        let scope = limiter
            .routes
            .get(request.uri().path())
            .map_or("", String::as_str);
        let Some(limit) = limiter.table.resolve(scope, &client) else {
            return Box::pin(self.inner.call(request));
        };
        let mut inner = take_ready(&mut self.inner);
        Box::pin(async move {
            let now = limiter.clock.now();
            let decision = match limiter.store.hit(&limit, now).await {
                Ok(decision) => decision,
                Err(_) => return Ok(store_unavailable()),
            };
            // The core's event and counter (with its features `tracing`,
            // `metrics`): the scope is a label, the client goes to the event only.
            portcullis::observe::rate_limit_decision(
                &limit.scope,
                client_of(&limit),
                decision.allowed,
                decision.retry_after,
            );
            let options = limiter.options.get(&limit.scope);
            let answer = RateLimitResponse::new(
                &decision,
                &limit.rate,
                options.unwrap_or(&HeaderOptions::default()),
                now,
            );
            let mut response = match answer.body {
                Some(body) => json(StatusCode::TOO_MANY_REQUESTS, body),
                None => inner.call(request).await?,
            };
            add_missing(response.headers_mut(), answer.headers);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_joins_every_value() {
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_for(&headers), None);
        headers.append(
            "x-forwarded-for",
            http::HeaderValue::from_static("203.0.113.9"),
        );
        assert_eq!(forwarded_for(&headers).as_deref(), Some("203.0.113.9"));
        headers.append(
            "x-forwarded-for",
            http::HeaderValue::from_static("10.0.0.1"),
        );
        assert_eq!(
            forwarded_for(&headers).as_deref(),
            Some("203.0.113.9, 10.0.0.1")
        );
    }
}
