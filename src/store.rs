//! Failures of the storage behind the crate's state seams.
//!
//! Revocation, rate-limit, lockout, replay and audit state live wherever the host
//! keeps them (memory, Redis, a database). When that backend fails, the seam returns
//! one [`StoreError`]: a small [`StoreErrorKind`] the crate decides on (refuse with
//! 503, fail open or closed) and, when there is one, the backend's own error as its
//! [`source`](std::error::Error::source), so logs keep the cause (the shape of
//! rustls's `OtherError`). The message names the kind only: a backend error may
//! quote the command or key it failed on, so it is reachable through `source()` for
//! the host's logs and never part of the crate's own text.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// What went wrong with a store, as far as the crate's decisions care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The backend could not be reached or answered with an error.
    Unavailable,
    /// The backend did not answer within the configured bound.
    Timeout,
    /// A bounded store has no room for the entry.
    Full,
    /// Stored state could not be decoded (it was written by something else, or damaged).
    Corrupt,
}

impl StoreErrorKind {
    const fn describe(self) -> &'static str {
        match self {
            Self::Unavailable => "the store is unavailable",
            Self::Timeout => "the store did not answer in time",
            Self::Full => "the store is full",
            Self::Corrupt => "the stored state is not readable",
        }
    }
}

/// A failure of the storage behind a state seam, keeping the backend's error.
///
/// ```
/// use portcullis::store::{StoreError, StoreErrorKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let err = StoreError::with_source(StoreErrorKind::Unavailable, io);
/// assert_eq!(err.kind(), StoreErrorKind::Unavailable);
/// assert_eq!(err.to_string(), "the store is unavailable");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Clone)]
pub struct StoreError {
    kind: StoreErrorKind,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl StoreError {
    /// A failure with no underlying error (a bounded in-memory store that is full).
    pub const fn new(kind: StoreErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// A failure caused by the backend's `source` error.
    pub fn with_source(
        kind: StoreErrorKind,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            source: Some(Arc::new(source)),
        }
    }

    /// A full bounded store.
    pub const fn full() -> Self {
        Self::new(StoreErrorKind::Full)
    }

    /// What kind of failure this is.
    pub const fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The source's Debug may quote keys or commands: only say whether there is one.
        f.debug_struct("StoreError")
            .field("kind", &self.kind)
            .field("has_source", &self.source.is_some())
            .finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Equal when the kinds are equal: the backend's error is context, not identity.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for StoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind_and_never_the_backend_text() {
        let backend = std::io::Error::other("AUTH hunter2 failed");
        let err = StoreError::with_source(StoreErrorKind::Unavailable, backend);
        assert!(!err.to_string().contains("hunter2"));
        assert!(!format!("{err:?}").contains("hunter2"));
        let source = StdError::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("AUTH hunter2 failed"));
    }

    #[test]
    fn equality_is_by_kind() {
        assert_eq!(StoreError::full(), StoreError::new(StoreErrorKind::Full));
        assert_ne!(StoreError::full(), StoreError::new(StoreErrorKind::Timeout));
        assert!(StdError::source(&StoreError::full()).is_none());
    }
}
