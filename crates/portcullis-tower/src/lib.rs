#![doc = include_str!("../README.md")]

mod auth;
mod cors;
mod csrf;
mod guard;
mod headers;
mod ratelimit;
#[cfg(feature = "redis")]
mod redis;
mod response;
mod secure;
pub mod stack;

pub use auth::{Auth, AuthLayer, Authenticated, Authenticator, CredentialSource, RevocationCheck};
#[cfg(feature = "jwks")]
pub use auth::{FetchedJwks, JwksFetch, RemoteIssuer};
pub use cors::{Cors, CorsLayer};
pub use csrf::{Csrf, CsrfLayer};
pub use guard::{Guarded, GuardedFuture};
pub use headers::{
    HttpsRedirect, HttpsRedirectLayer, SecurityHeadersLayer, SecurityHeadersService,
};
pub use ratelimit::{
    MemoryRateLimits, PeerAddr, RateLimit, RateLimitLayer, RateLimitStore, RateLimiter,
};
#[cfg(feature = "redis")]
pub use redis::RedisRateLimits;
pub use secure::SecureRequest;
pub use stack::SecurityStack;

/// A layer's configuration was refused; the message names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting is out of range.
    #[error("{setting}: {reason}")]
    Setting {
        /// The setting's name (Django's or SimpleJWT's where there is one).
        setting: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// The rate-limit configuration was refused by the core.
    #[error(transparent)]
    RateLimit(#[from] portcullis::ratelimit::RateLimitError),
}

impl ConfigError {
    pub(crate) fn setting(setting: &'static str, reason: impl Into<String>) -> Self {
        Self::Setting {
            setting,
            reason: reason.into(),
        }
    }
}
