//! The crate's error types.
//!
//! Each domain has a small, precise error enum; [`Error`] is the one
//! `#[non_exhaustive]` type that wraps them all, for callers who just want `?`.
//! Messages are written for the person who must fix the problem: they name the
//! setting, variable or input and what was expected. Failures at a cryptographic
//! boundary (a bad MAC or signature) are deliberately opaque so they cannot serve
//! as an oracle; secrets never appear in any message.

use crate::secret::{Encoding, KeyLength, KeyOrigin};

/// Any error the crate returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key or secret could not be loaded or generated.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Web hardening (headers, CORS, CSRF, cookies), API keys or the audit trail.
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    /// A field could not be encrypted or decrypted.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A rate, a rate-limit setting or stored rate-limit state was refused.
    #[error(transparent)]
    RateLimit(#[from] crate::ratelimit::RateLimitError),
    /// A password could not be hashed or verified, or a policy setting is wrong.
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    /// A token was rejected, or token configuration, keys or storage failed.
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
}

/// A key or secret could not be loaded or generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The environment variable that should hold a key is not set.
    #[error("environment variable {var} is not set; it must hold the key")]
    EnvVarMissing {
        /// The variable's name.
        var: String,
    },
    /// The environment variable holds bytes that are not UTF-8.
    #[error("environment variable {var} is not valid UTF-8; keys are ASCII text")]
    EnvVarNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// The key text is not in the expected encoding.
    #[error("{origin} is not valid {encoding}")]
    InvalidEncoding {
        /// Where the key came from.
        origin: KeyOrigin,
        /// The encoding that was expected.
        encoding: Encoding,
    },
    /// The key decodes to the wrong number of bytes.
    #[error("{origin} decodes to {actual} bytes; expected {expected}")]
    WrongLength {
        /// Where the key came from.
        origin: KeyOrigin,
        /// The length rule the key must meet.
        expected: KeyLength,
        /// The decoded length (a length is not secret).
        actual: usize,
    },
    /// The operating system's secure random generator failed.
    #[error("the system's secure random number generator is unavailable")]
    RandomUnavailable,
}
