//! The one error of every store in this crate.

use std::time::Duration;

use portcullis::ratelimit::RateLimitError;
use portcullis::store::{StoreError, StoreErrorKind};

/// Why a Redis store call failed.
///
/// The Redis error is kept as the [`source`](std::error::Error::source); the
/// message never quotes a key, a value or the server's URL (which may hold a
/// password). At a core seam it becomes a [`StoreError`] of the matching kind,
/// with this error as its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Redis could not be reached or answered with an error.
    #[error("redis failed")]
    Redis(#[source] redis::RedisError),
    /// Redis did not answer within the store's per-call bound.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// A stored value is not a state this store writes (another writer, or a
    /// key shared by two algorithms).
    #[error("a stored value is not readable")]
    Corrupt(#[source] RateLimitError),
    /// The request itself was refused by the pure step (a cost above the limit).
    #[error("the request was refused before any store call")]
    Refused(#[source] RateLimitError),
    /// A compare-and-swap lost every one of its attempts to concurrent writers.
    #[error("the key changed on every one of {0} attempts")]
    Contended(usize),
    /// A blocking call was made from inside an async runtime, where it would
    /// stall the runtime's thread: use the async store there.
    #[error("a blocking store call was made on an async runtime thread")]
    InsideRuntime,
    /// The blocking flavour's background runtime could not be started.
    #[error("the blocking store's runtime did not start")]
    Runtime(#[source] std::io::Error),
    /// The store's configuration is not usable (named setting, accepted range).
    #[error("invalid setting {setting}: expected {expected}")]
    Config {
        /// The setting's name.
        setting: &'static str,
        /// What it accepts.
        expected: &'static str,
    },
}

impl Error {
    /// The core's kind for this failure: what the seams decide on.
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            Self::Timeout(_) => StoreErrorKind::Timeout,
            Self::Redis(e) if e.is_timeout() => StoreErrorKind::Timeout,
            Self::Corrupt(_) => StoreErrorKind::Corrupt,
            _ => StoreErrorKind::Unavailable,
        }
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        StoreError::with_source(e.kind(), e)
    }
}
