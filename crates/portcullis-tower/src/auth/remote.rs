//! A remote issuer: tokens another service signs, verified with the public keys
//! of its JWKS, which the host fetches when the core's [`JwksCache`] says so.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use portcullis::clock::UnixTime;
use portcullis::jose::jwks::{Decision, JwksCache, JwksKeys, JwksPolicy};
use portcullis::token::{
    KeyFamily, Keyring, TokenConfig, TokenError, TokenKind, Tokens, Verified, inspect,
};

use crate::ConfigError;

/// One fetched JWKS document: the response body and its `Cache-Control` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchedJwks {
    /// The response body (the JWKS JSON).
    pub body: String,
    /// The response's `Cache-Control` value, if it had one: its `max-age`
    /// (within the policy's bounds) says how long the set stays fresh.
    pub cache_control: Option<String>,
}

/// How the host fetches the remote issuer's `jwks_uri`: the crate decides when,
/// the host does the I/O (any HTTP client, any runtime).
///
/// A fetch should answer `Err` for a non-2xx status, and give up after a
/// timeout of its own: requests needing the keys wait for it. The error's
/// text is kept for [`RemoteIssuer::last_failure`]; keep secrets out of it.
///
/// ```
/// use std::future::Future;
/// use portcullis_tower::{FetchedJwks, JwksFetch};
///
/// /// A key set the host already holds (from a file, a config service, ...).
/// struct Pinned(String);
///
/// impl JwksFetch for Pinned {
///     type Error = std::convert::Infallible;
///
///     fn fetch(&self) -> impl Future<Output = Result<FetchedJwks, Self::Error>> + Send {
///         std::future::ready(Ok(FetchedJwks { body: self.0.clone(), cache_control: None }))
///     }
/// }
/// ```
pub trait JwksFetch: Send + Sync + 'static {
    /// Why a fetch failed (network, status, timeout).
    type Error: fmt::Display + Send;

    /// Fetches the JWKS document.
    ///
    /// # Errors
    /// [`Self::Error`] when no document came back; the last good set stays in use.
    fn fetch(&self) -> impl Future<Output = Result<FetchedJwks, Self::Error>> + Send;
}

type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<FetchedJwks, String>> + Send + 'a>>;

/// [`JwksFetch`] behind a pointer, so the authenticator's type does not name it.
trait ErasedFetch: Send + Sync {
    fn fetch_boxed(&self) -> FetchFuture<'_>;
}

impl<F: JwksFetch> ErasedFetch for F {
    fn fetch_boxed(&self) -> FetchFuture<'_> {
        Box::pin(async move { self.fetch().await.map_err(|e| e.to_string()) })
    }
}

/// A token issuer whose public keys come from its JWKS, for
/// [`Authenticator::with_remote_issuer`](crate::Authenticator::with_remote_issuer).
///
/// A token whose (unverified) `iss` claim names this issuer is verified with
/// this issuer's keys and configuration only, never the local keyring;
/// every other token goes to the local engine as before. The configuration's
/// rules all apply (issuer, audience, lifetimes, the `access` token type, a
/// `jti`, a user id), and it may list only asymmetric algorithms, so a JWKS can
/// never bring in an HMAC key (and [`parse_jwks`] refuses a set with `oct` keys
/// or private members whole).
///
/// Fetching follows the [`JwksPolicy`]: on a `kid` the set does not hold and
/// when the set goes stale, never more often than its floor; concurrent
/// requests share one fetch (the others wait for it, then use its result);
/// a failed fetch keeps the last good set. Until a first fetch succeeds,
/// the issuer's tokens get 503 (`jwks_unavailable`); a `kid` the set does not
/// hold gets SimpleJWT's 401.
///
/// [`parse_jwks`]: portcullis::jose::jwks::parse_jwks
pub struct RemoteIssuer {
    issuer: String,
    config: TokenConfig,
    fetcher: Box<dyn ErasedFetch>,
    state: Mutex<State>,
    /// Held across a fetch: concurrent requests share one.
    fetching: tokio::sync::Mutex<()>,
}

struct State {
    cache: JwksCache,
    /// The engine over the last good set's usable keys.
    engine: Option<Arc<Tokens>>,
    last_failure: Option<String>,
}

impl fmt::Debug for RemoteIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Why a remote token did not verify.
#[derive(Debug)]
pub(crate) enum RemoteRefusal {
    /// The token broke a rule (or names a `kid` the set does not hold).
    Token(TokenError),
    /// No fetch has succeeded yet: nothing to verify with.
    NoKeys,
}

impl RemoteIssuer {
    /// The issuer `config.issuer` names, its tokens checked by `config` (a
    /// SimpleJWT-style configuration: claim names, audience, leeway, the
    /// algorithms its keys may use), its JWKS fetched by `fetch` under `policy`.
    ///
    /// # Errors
    /// [`ConfigError::Setting`] when `issuer` is unset or empty, `algorithms` is
    /// empty or lists an HMAC algorithm, `nesting` is set (the remote's tokens
    /// are plain JWS), or the configuration is otherwise refused by the core.
    pub fn new(
        config: TokenConfig,
        policy: JwksPolicy,
        fetch: impl JwksFetch,
    ) -> Result<Self, ConfigError> {
        config
            .validate()
            .map_err(|e| ConfigError::setting("remote issuer", e.to_string()))?;
        let issuer = match config.issuer.as_deref() {
            Some(issuer) if !issuer.is_empty() => issuer.to_owned(),
            _ => return Err(ConfigError::setting("issuer", "a remote issuer needs one")),
        };
        if config.algorithms.is_empty()
            || config
                .algorithms
                .iter()
                .any(|alg| alg.family() == KeyFamily::Hmac)
        {
            return Err(ConfigError::setting(
                "algorithms",
                "a remote issuer takes asymmetric algorithms only (RS*, PS*, ES*, EdDSA)",
            ));
        }
        if config.nesting.is_some() {
            return Err(ConfigError::setting(
                "nesting",
                "a remote issuer's tokens are plain JWS; unset it",
            ));
        }
        Ok(Self {
            issuer,
            config,
            fetcher: Box::new(fetch),
            state: Mutex::new(State {
                cache: JwksCache::new(policy),
                engine: None,
                last_failure: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The issuer (`iss`) whose tokens this verifies.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Why the last fetch failed (the fetcher's error or the refused JWKS), or
    /// `None` when it succeeded or none was tried: for the host's health checks.
    #[must_use]
    pub fn last_failure(&self) -> Option<String> {
        self.lock().last_failure.clone()
    }

    /// How many keys of the last good set verify tokens (0 before a fetch).
    #[must_use]
    pub fn key_count(&self) -> usize {
        self.lock()
            .engine
            .as_ref()
            .map_or(0, |engine| engine.keyring().verifying_keys().count())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a consistent state
        // (every update is one assignment), so a poisoned lock is used as is.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token's `kid` (`Some(None)` without one) when its `iss` claim names
    /// this issuer; `None` when the token is not this issuer's (or unreadable:
    /// the local engine refuses it then).
    pub(crate) fn claims_token(&self, token: &str) -> Option<Option<String>> {
        let unverified = inspect(token, self.config.max_token_bytes).ok()?;
        let iss = unverified.claims.get("iss")?.as_str()?;
        (iss == self.issuer).then(|| {
            let kid = unverified.header.get("kid");
            kid.and_then(|kid| kid.as_str()).map(str::to_owned)
        })
    }

    /// Verifies with the cached set, or `None` when the policy says to fetch first.
    pub(crate) fn verify_cached(
        &self,
        token: &str,
        kid: Option<&str>,
        now: UnixTime,
    ) -> Option<Result<Verified, RemoteRefusal>> {
        let engine = {
            let state = self.lock();
            if state.cache.decide(kid, now) == Decision::Fetch {
                return None;
            }
            state.engine.clone()
        };
        Some(Self::verify_with(engine.as_deref(), token, now))
    }

    /// Fetches if the policy still says so once this request's turn comes (a
    /// concurrent request may have fetched meanwhile), then verifies.
    pub(crate) async fn verify_fetching(
        &self,
        token: &str,
        kid: Option<&str>,
        now: impl Fn() -> UnixTime,
    ) -> Result<Verified, RemoteRefusal> {
        let _turn = self.fetching.lock().await;
        let decision = self.lock().cache.decide(kid, now());
        if decision == Decision::Fetch {
            let fetched = self.fetcher.fetch_boxed().await;
            self.record(fetched, now());
        }
        let engine = self.lock().engine.clone();
        Self::verify_with(engine.as_deref(), token, now())
    }

    fn verify_with(
        engine: Option<&Tokens>,
        token: &str,
        now: UnixTime,
    ) -> Result<Verified, RemoteRefusal> {
        engine
            .ok_or(RemoteRefusal::NoKeys)?
            .verify(token, Some(TokenKind::Access), now)
            .map_err(RemoteRefusal::Token)
    }

    /// Records a fetch's outcome: a good set replaces the engine; a failure (or
    /// a refused document) keeps the last good one.
    fn record(&self, fetched: Result<FetchedJwks, String>, now: UnixTime) {
        let mut state = self.lock();
        let state = &mut *state;
        let outcome = match fetched {
            Ok(doc) => match state
                .cache
                .fetched(&doc.body, doc.cache_control.as_deref(), now)
            {
                Ok(keys) => {
                    // A good set replaces the last one even when none of its keys
                    // is usable: its tokens are then refused, never accepted.
                    let engine = self.engine_for(keys);
                    state.engine = engine.as_ref().ok().cloned();
                    engine.map(drop)
                }
                Err(e) => Err(format!("the JWKS was refused: {e}")),
            },
            Err(e) => {
                state.cache.fetch_failed(now);
                Err(format!("the JWKS fetch failed: {e}"))
            }
        };
        state.last_failure = outcome.err();
    }

    /// An engine over the keys of `keys` whose algorithm the configuration lists.
    fn engine_for(&self, keys: &JwksKeys) -> Result<Arc<Tokens>, String> {
        let mut usable = keys
            .keys()
            .filter(|key| self.config.algorithms.contains(&key.algorithm()));
        let Some(first) = usable.next() else {
            return Err("the JWKS holds no key for the configured algorithms".to_owned());
        };
        let mut keyring = Keyring::verify_only(first.clone());
        for key in usable {
            keyring
                .add_verifier(key.clone())
                .map_err(|e| e.to_string())?;
        }
        Tokens::new(self.config.clone(), keyring)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }
}
