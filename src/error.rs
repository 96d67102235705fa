//! The crate's error types.
//!
//! Each room has a small, precise error enum; [`Error`] is the one
//! `#[non_exhaustive]` type that wraps them all, one variant per room, for callers
//! who just want `?`. Conversions point one way: every room's error converts into
//! [`Error`], no room's error converts through another room's, and this module is
//! the only one that names them all. Key errors ([`KeyError`]) live with the
//! secrets in [`crate::secret`] and are re-exported here.
//!
//! Messages are written for the person who must fix the problem: they name the
//! setting, variable or input and what was expected. Failures at a cryptographic
//! boundary (a bad MAC or signature) are deliberately opaque so they cannot serve
//! as an oracle; secrets never appear in any message.

pub use crate::secret::KeyError;

/// Any error the crate returns: one variant per room, each present with its feature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key or secret could not be loaded or generated.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A token was rejected, or token configuration, keys or storage failed.
    #[cfg(feature = "token")]
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
    /// Token settings could not be read from the environment: the error names the
    /// variable (prefix included), never the key's value.
    #[cfg(feature = "token")]
    #[error(transparent)]
    Env(#[from] crate::token::EnvError),
    /// A field could not be encrypted or decrypted.
    #[cfg(feature = "crypto")]
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A password could not be hashed or verified, or a policy setting is wrong.
    #[cfg(feature = "password")]
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    /// A rate, a rate-limit setting or stored rate-limit state was refused.
    #[cfg(feature = "ratelimit")]
    #[error(transparent)]
    RateLimit(#[from] crate::ratelimit::RateLimitError),
    /// Web hardening: security headers, CORS, CSRF or cookies.
    #[cfg(feature = "web")]
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    /// An API key could not be generated, parsed or verified.
    #[cfg(feature = "web")]
    #[error(transparent)]
    ApiKey(#[from] crate::apikey::ApiKeyError),
    /// An audit record could not be signed, parsed or verified.
    #[cfg(feature = "web")]
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// A JWE or a DPoP proof was refused, or a JOSE object could not be made.
    #[cfg(feature = "jose")]
    #[error(transparent)]
    Jose(#[from] crate::jose::JoseError),
}

#[cfg(feature = "jose")]
impl From<crate::jose::jwe::JweError> for Error {
    fn from(err: crate::jose::jwe::JweError) -> Self {
        Self::Jose(err.into())
    }
}

#[cfg(feature = "jose")]
impl From<crate::jose::jwks::JwksError> for Error {
    fn from(err: crate::jose::jwks::JwksError) -> Self {
        Self::Jose(err.into())
    }
}

#[cfg(feature = "jose")]
impl From<crate::jose::dpop::DpopError> for Error {
    fn from(err: crate::jose::dpop::DpopError) -> Self {
        Self::Jose(err.into())
    }
}
