//! The layers in their documented order, as one `tower::Layer`.

use portcullis::ratelimit::Gcra;
use portcullis::token::MemoryRevocationStore;
use portcullis::web::headers::SecurityHeaders;
use tower::Layer;
use tower::util::Either;

use crate::ConfigError;
use crate::auth::{Auth, AuthLayer};
use crate::cors::{Cors, CorsLayer};
use crate::csrf::{Csrf, CsrfLayer};
use crate::headers::{
    HttpsRedirect, HttpsRedirectLayer, SecurityHeadersLayer, SecurityHeadersService,
};
use crate::ratelimit::{MemoryRateLimits, RateLimit, RateLimitLayer};
use crate::secure::SecureRequest;

/// The inner service with authentication, if configured.
pub type Authenticated<S, R> = Either<Auth<S, R>, S>;
/// ... with CSRF, if configured.
pub type CsrfChecked<S, R> = Either<Csrf<Authenticated<S, R>>, Authenticated<S, R>>;
/// ... with the rate limit, if configured.
pub type Limited<S, R, L> = Either<RateLimit<CsrfChecked<S, R>, L>, CsrfChecked<S, R>>;
/// ... with CORS, if configured.
pub type CorsChecked<S, R, L> = Either<Cors<Limited<S, R, L>>, Limited<S, R, L>>;
/// The whole stack around `S`: what [`SecurityStack`] makes.
pub type Secured<S, R, L> = HttpsRedirect<SecurityHeadersService<CorsChecked<S, R, L>>>;

/// Every layer in one, outermost first:
///
/// 1. **HTTPS redirect**: a plain-HTTP request that will be redirected needs
///    no other work.
/// 2. **Security headers**: outside everything that answers by itself, so
///    every refusal (403, 429, 401, 503) carries them too.
/// 3. **CORS**: preflights carry no credentials and must not be counted,
///    refused or authenticated; its headers must reach the browser on the
///    refusals inside it (a 401 or 429 the page's script can read).
/// 4. **Rate limit**: before the revocation lookup (store I/O) and CSRF, so a
///    flood is refused at the cost of one decision; it keys users by the
///    token the authenticator verifies, handing that work on.
/// 5. **CSRF**: a forged cross-site request is refused before its cookie's
///    token costs a revocation lookup.
/// 6. **Authentication**: innermost, so the verified claims it puts in the
///    request reach the handler.
///
/// CORS, the rate limit, CSRF and authentication are each optional.
///
/// ```
/// use portcullis::web::headers::SecurityConfig;
/// use portcullis_tower::{SecureRequest, SecurityStack};
///
/// let stack = SecurityStack::new(SecurityConfig::default().build()?, SecureRequest::direct())?;
/// let service = tower::ServiceBuilder::new()
///     .layer(stack)
///     .service_fn(|_req: http::Request<()>| async {
///         Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hi")))
///     });
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SecurityStack<R = MemoryRevocationStore, L = MemoryRateLimits<Gcra>> {
    redirect: HttpsRedirectLayer,
    headers: SecurityHeadersLayer,
    cors: Option<CorsLayer>,
    rate_limit: Option<RateLimitLayer<L>>,
    csrf: Option<CsrfLayer>,
    auth: Option<AuthLayer<R>>,
}

impl<R, L> Clone for SecurityStack<R, L> {
    fn clone(&self) -> Self {
        Self {
            redirect: self.redirect.clone(),
            headers: self.headers.clone(),
            cors: self.cors.clone(),
            rate_limit: self.rate_limit.clone(),
            csrf: self.csrf.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl SecurityStack {
    /// The redirect and the headers from `security`, requests judged secure by
    /// `secure`; nothing else yet.
    ///
    /// # Errors
    /// As [`SecurityHeadersLayer::new`].
    pub fn new(security: SecurityHeaders, secure: SecureRequest) -> Result<Self, ConfigError> {
        Ok(Self {
            headers: SecurityHeadersLayer::new(&security, secure.clone())?,
            redirect: HttpsRedirectLayer::new(security, secure),
            cors: None,
            rate_limit: None,
            csrf: None,
            auth: None,
        })
    }
}

impl<R, L> SecurityStack<R, L> {
    /// Adds CORS.
    #[must_use]
    pub fn cors(mut self, cors: CorsLayer) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Adds the rate limit.
    #[must_use]
    pub fn rate_limit<L2>(self, rate_limit: RateLimitLayer<L2>) -> SecurityStack<R, L2> {
        SecurityStack {
            redirect: self.redirect,
            headers: self.headers,
            cors: self.cors,
            rate_limit: Some(rate_limit),
            csrf: self.csrf,
            auth: self.auth,
        }
    }

    /// Adds CSRF.
    #[must_use]
    pub fn csrf(mut self, csrf: CsrfLayer) -> Self {
        self.csrf = Some(csrf);
        self
    }

    /// Adds authentication.
    #[must_use]
    pub fn auth<R2>(self, auth: AuthLayer<R2>) -> SecurityStack<R2, L> {
        SecurityStack {
            redirect: self.redirect,
            headers: self.headers,
            cors: self.cors,
            rate_limit: self.rate_limit,
            csrf: self.csrf,
            auth: Some(auth),
        }
    }
}

impl<S, R, L> Layer<S> for SecurityStack<R, L> {
    type Service = Secured<S, R, L>;

    fn layer(&self, inner: S) -> Self::Service {
        let service = optional(self.auth.as_ref(), inner);
        let service = optional(self.csrf.as_ref(), service);
        let service = optional(self.rate_limit.as_ref(), service);
        let service = optional(self.cors.as_ref(), service);
        let service = self.headers.layer(service);
        self.redirect.layer(service)
    }
}

/// `inner` wrapped by `layer` when there is one.
fn optional<L: Layer<S>, S>(layer: Option<&L>, inner: S) -> Either<L::Service, S> {
    match layer {
        Some(layer) => Either::Left(layer.layer(inner)),
        None => Either::Right(inner),
    }
}
