//! Bearer and cookie authentication: SimpleJWT's header rule, the core's
//! token engine, revocation through an async seam, SimpleJWT's and DRF's 401s.

mod credential;
#[cfg(feature = "jwks")]
mod remote;
mod revocation;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{HeaderMap, Request, Response, StatusCode};
use portcullis::clock::{Clock, SystemClock};
use portcullis::token::{
    Claims, MemoryRevocationStore, TokenError, TokenKind, Tokens, Verified, www_authenticate,
};
use tower::{Layer, Service};

pub use credential::CredentialSource;
pub(crate) use credential::{cookie, has_bearer};
#[cfg(feature = "jwks")]
pub use remote::{FetchedJwks, JwksFetch, RemoteIssuer};
pub use revocation::RevocationCheck;

use crate::ConfigError;
#[cfg(feature = "jwks")]
use crate::response::jwks_unavailable;
use crate::response::{BoxFuture, bad_cookie_header, json, store_unavailable, take_ready};
use credential::HeaderFault;

/// DRF's answer when a required route gets no credentials.
const NOT_AUTHENTICATED: &str =
    r#"{"detail":"Authentication credentials were not provided.","code":"not_authenticated"}"#;

/// The body of a 500 for a fault that is the server's (a key or configuration error).
const INTERNAL: &str = r#"{"detail":"Internal error.","code":"internal"}"#;

/// A verified, unrevoked access token: put in the request's extensions by the
/// authentication layer for handlers (and the layers inside it) to read.
#[derive(Clone, Debug)]
pub struct Authenticated {
    claims: Claims,
    source: CredentialSource,
}

impl Authenticated {
    /// The token's claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The user id (`USER_ID_CLAIM`; the engine refuses access tokens without one).
    pub fn user_id(&self) -> &str {
        self.claims.user_id().unwrap_or_default()
    }

    /// Whether the token came from the `Authorization` header or the access cookie.
    pub fn source(&self) -> CredentialSource {
        self.source
    }
}

/// What a request presents, after the pure verify step.
// `Verified` (the core's, with its claims read in place) is the common
// variant: boxing it would cost an allocation on every authenticated request.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub(crate) enum Presented {
    /// No credentials.
    Nothing,
    /// A token whose signature and claims passed; revocation not yet checked.
    Verified(Verified, CredentialSource),
    /// A token that failed verification.
    Rejected(TokenError),
    /// Unreadable credential headers.
    Fault(HeaderFault),
    /// A remote issuer's token that needs its JWKS fetched first.
    #[cfg(feature = "jwks")]
    Pending(Box<Pending>),
    /// A remote issuer's token, and no key set fetched yet.
    #[cfg(feature = "jwks")]
    NoKeys,
}

/// A remote issuer's token waiting for a fetch.
#[cfg(feature = "jwks")]
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    remote: Arc<RemoteIssuer>,
    token: String,
    kid: Option<String>,
    source: CredentialSource,
}

#[cfg(feature = "jwks")]
impl Presented {
    fn from_remote(
        outcome: Result<Verified, remote::RemoteRefusal>,
        source: CredentialSource,
    ) -> Self {
        match outcome {
            Ok(verified) => Self::Verified(verified, source),
            Err(remote::RemoteRefusal::Token(error)) => Self::Rejected(error),
            Err(remote::RemoteRefusal::NoKeys) => Self::NoKeys,
        }
    }
}

impl Presented {
    /// The user id of a verified token (for rate-limit keys).
    pub(crate) fn user_id(&self) -> Option<&str> {
        match self {
            Self::Verified(verified, _) => verified.claims().user_id(),
            _ => None,
        }
    }
}

/// The verify step's result, cached in the request's extensions by an outer
/// layer (the rate limit) so the authentication layer does not verify twice.
/// Crate-private: nothing outside the crate can insert one.
#[derive(Clone, Debug)]
pub(crate) struct Identified {
    /// The address of the engine that verified it.
    engine: usize,
    presented: Presented,
}

impl Identified {
    /// The user id of a verified token.
    pub(crate) fn user_id(&self) -> Option<&str> {
        self.presented.user_id()
    }
}

/// Verifies the tokens requests present: the core's engine, a revocation
/// seam, a clock, and the `WWW-Authenticate` value rendered once.
///
/// Make the layers with [`Authenticator::required`] and
/// [`Authenticator::optional`]; share one authenticator between them and the
/// rate-limit layer ([`RateLimiter::identify_users`](crate::RateLimiter::identify_users)).
pub struct Authenticator<R = MemoryRevocationStore> {
    /// One `Arc`, so each request's clone is one reference count.
    inner: Arc<Inner<R>>,
}

struct Inner<R> {
    tokens: Arc<Tokens>,
    revocation: Arc<R>,
    clock: Arc<dyn Clock>,
    www_authenticate: HeaderValue,
    #[cfg(feature = "jwks")]
    remote: Option<Arc<RemoteIssuer>>,
}

impl<R> Clone for Inner<R> {
    fn clone(&self) -> Self {
        Self {
            tokens: Arc::clone(&self.tokens),
            revocation: Arc::clone(&self.revocation),
            clock: Arc::clone(&self.clock),
            www_authenticate: self.www_authenticate.clone(),
            #[cfg(feature = "jwks")]
            remote: self.remote.clone(),
        }
    }
}

impl<R> Clone for Authenticator<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R> fmt::Debug for Authenticator<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Authenticator");
        f.field("tokens", &self.inner.tokens)
            .field("www_authenticate", &self.inner.www_authenticate);
        #[cfg(feature = "jwks")]
        f.field("remote", &self.inner.remote);
        f.finish_non_exhaustive()
    }
}

impl<R: RevocationCheck> Authenticator<R> {
    /// Verifies with `tokens` (its `auth_header_types` and `access_cookie_name`
    /// say where tokens are read) and asks `revocation` about each one.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] naming `auth_header_types` when the first type
    /// cannot make a `WWW-Authenticate` value.
    pub fn new(tokens: Arc<Tokens>, revocation: Arc<R>) -> Result<Self, ConfigError> {
        let value = www_authenticate(&tokens.config().auth_header_types);
        let www_authenticate = HeaderValue::try_from(value).map_err(|_| {
            ConfigError::setting("auth_header_types", "not a valid WWW-Authenticate scheme")
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                tokens,
                revocation,
                clock: Arc::new(SystemClock),
                www_authenticate,
                #[cfg(feature = "jwks")]
                remote: None,
            }),
        })
    }

    /// The same authenticator reading time from `clock` (tests pin it).
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let mut inner = (*self.inner).clone();
        inner.clock = clock;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The same authenticator also accepting `remote`'s tokens: those whose
    /// `iss` claim names it are verified with its keys and rules only (see
    /// [`RemoteIssuer`]); every other token as before, with the local engine.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] naming `issuer` when the local engine's issuer
    /// is the remote's: a token must belong to exactly one of them.
    #[cfg(feature = "jwks")]
    pub fn with_remote_issuer(self, remote: RemoteIssuer) -> Result<Self, ConfigError> {
        if self.inner.tokens.config().issuer.as_deref() == Some(remote.issuer()) {
            return Err(ConfigError::setting(
                "issuer",
                "the remote issuer is the local engine's own issuer",
            ));
        }
        let mut inner = (*self.inner).clone();
        inner.remote = Some(Arc::new(remote));
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The remote issuer, if one is set (for health checks: its key count and
    /// last fetch failure).
    #[cfg(feature = "jwks")]
    pub fn remote_issuer(&self) -> Option<&RemoteIssuer> {
        self.inner.remote.as_deref()
    }

    /// The token engine.
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// The layer for routes that need a user: no credentials get DRF's 401.
    pub fn required(&self) -> AuthLayer<R> {
        AuthLayer {
            authenticator: self.clone(),
            required: true,
        }
    }

    /// The layer for routes open to anyone that use the user when there is one:
    /// no credentials pass through; bad credentials are still refused (as DRF's
    /// authentication runs before the permission check).
    pub fn optional(&self) -> AuthLayer<R> {
        AuthLayer {
            authenticator: self.clone(),
            required: false,
        }
    }

    fn engine(&self) -> usize {
        Arc::as_ptr(&self.inner.tokens).addr()
    }

    /// The pure step: find the token and verify signature and claims.
    pub(crate) fn present(&self, headers: &HeaderMap) -> Presented {
        let config = self.inner.tokens.config();
        let found = credential::find(
            headers,
            &config.auth_header_types,
            config.access_cookie_name.as_deref(),
        );
        match found {
            Ok(None) => Presented::Nothing,
            Ok(Some((token, source))) => {
                let now = self.inner.clock.now();
                #[cfg(feature = "jwks")]
                if let Some(remote) = &self.inner.remote
                    && let Some(kid) = remote.claims_token(&token)
                {
                    return match remote.verify_cached(&token, kid.as_deref(), now) {
                        Some(outcome) => Presented::from_remote(outcome, source),
                        None => Presented::Pending(Box::new(Pending {
                            remote: Arc::clone(remote),
                            token: token.into_owned(),
                            kid,
                            source,
                        })),
                    };
                }
                match self
                    .inner
                    .tokens
                    .verify(&token, Some(TokenKind::Access), now)
                {
                    Ok(verified) => Presented::Verified(verified, source),
                    Err(e) => Presented::Rejected(e),
                }
            }
            Err(fault) => Presented::Fault(fault),
        }
    }

    /// The pure step's result, cached for the authentication layer.
    pub(crate) fn identify(&self, headers: &HeaderMap) -> Identified {
        Identified {
            engine: self.engine(),
            presented: self.present(headers),
        }
    }

    fn refuse<B: From<Bytes>>(&self, error: &TokenError) -> Response<B> {
        if matches!(error, TokenError::Store(_)) {
            return store_unavailable();
        }
        if !error.is_rejection() {
            return json(
                StatusCode::INTERNAL_SERVER_ERROR,
                Bytes::from_static(INTERNAL.as_bytes()),
            );
        }
        let mut response = json(
            StatusCode::UNAUTHORIZED,
            error.authentication_body().to_string(),
        );
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, self.inner.www_authenticate.clone());
        response
    }

    fn not_authenticated<B: From<Bytes>>(&self) -> Response<B> {
        let mut response = json(
            StatusCode::UNAUTHORIZED,
            Bytes::from_static(NOT_AUTHENTICATED.as_bytes()),
        );
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, self.inner.www_authenticate.clone());
        response
    }

    /// The async step: the revocation lookup and the verdict.
    async fn finish<B: From<Bytes>>(
        &self,
        presented: Presented,
        required: bool,
    ) -> Result<Option<Authenticated>, Response<B>> {
        match presented {
            Presented::Nothing if required => Err(self.not_authenticated()),
            Presented::Nothing => Ok(None),
            Presented::Fault(fault) => Err(match fault.token_error() {
                Some(error) => self.refuse(&error),
                None => bad_cookie_header(),
            }),
            Presented::Rejected(error) => Err(self.refuse(&error)),
            #[cfg(feature = "jwks")]
            Presented::NoKeys => Err(jwks_unavailable()),
            #[cfg(feature = "jwks")]
            Presented::Pending(pending) => {
                let clock = &self.inner.clock;
                let outcome = pending
                    .remote
                    .verify_fetching(&pending.token, pending.kid.as_deref(), || clock.now())
                    .await;
                match outcome {
                    Ok(verified) => self.check_revocation(verified, pending.source).await,
                    Err(remote::RemoteRefusal::Token(error)) => Err(self.refuse(&error)),
                    Err(remote::RemoteRefusal::NoKeys) => Err(jwks_unavailable()),
                }
            }
            Presented::Verified(verified, source) => self.check_revocation(verified, source).await,
        }
    }

    /// The revocation lookup of a verified token, and the verdict.
    async fn check_revocation<B: From<Bytes>>(
        &self,
        verified: Verified,
        source: CredentialSource,
    ) -> Result<Option<Authenticated>, Response<B>> {
        let status = match self.inner.revocation.status(&verified.lookup()).await {
            Ok(status) => status,
            Err(_) => return Err(store_unavailable()),
        };
        match verified.finish(status) {
            Ok(claims) => Ok(Some(Authenticated { claims, source })),
            Err(error) => Err(self.refuse(&error)),
        }
    }
}

/// The authentication layer: [`Authenticator::required`] or
/// [`Authenticator::optional`].
///
/// On success the request reaches the inner service with [`Authenticated`] in
/// its extensions. Refusals: a bad or revoked token, or a malformed
/// `Authorization`, gets 401 with SimpleJWT's body and `WWW-Authenticate`; no
/// credentials on a required route gets DRF's `not_authenticated` 401; a
/// `Cookie` header over the parser's caps gets 400; a failed revocation store
/// gets 503 with a fixed body.
#[derive(Debug)]
pub struct AuthLayer<R = MemoryRevocationStore> {
    authenticator: Authenticator<R>,
    required: bool,
}

impl<R> Clone for AuthLayer<R> {
    fn clone(&self) -> Self {
        Self {
            authenticator: self.authenticator.clone(),
            required: self.required,
        }
    }
}

impl<S, R> Layer<S> for AuthLayer<R> {
    type Service = Auth<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            authenticator: self.authenticator.clone(),
            required: self.required,
        }
    }
}

/// The service [`AuthLayer`] makes.
#[derive(Debug)]
pub struct Auth<S, R = MemoryRevocationStore> {
    inner: S,
    authenticator: Authenticator<R>,
    required: bool,
}

impl<S: Clone, R> Clone for Auth<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            authenticator: self.authenticator.clone(),
            required: self.required,
        }
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: RevocationCheck,
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
        let authenticator = self.authenticator.clone();
        let engine = authenticator.engine();
        let presented = match request.extensions_mut().remove::<Identified>() {
            Some(cached) if cached.engine == engine => cached.presented,
            _ => authenticator.present(request.headers()),
        };
        let required = self.required;
        let mut inner = take_ready(&mut self.inner);
        Box::pin(async move {
            match authenticator.finish(presented, required).await {
                Ok(found) => {
                    if let Some(found) = found {
                        request.extensions_mut().insert(found);
                    }
                    inner.call(request).await
                }
                Err(refusal) => Ok(refusal),
            }
        })
    }
}
