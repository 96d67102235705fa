//! Store options: the key prefix, the per-call time bound and each store's
//! failure mode.

use std::future::Future;
use std::time::Duration;

use crate::error::Error;
use crate::keys::KeyLayout;

/// What a store answers when Redis fails (down, erroring, or past the time bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureMode {
    /// Refuse: the call returns the error, so the host answers 503 (revocation,
    /// lockout, DPoP replay) or refuses the request (rate limits). Nothing is
    /// accepted unchecked.
    Closed,
    /// Let the request through as if the store had no entry (a rate limit
    /// admits, a token counts as not revoked and a refresh token as unused, so
    /// it is not single-use while Redis is down; a login as not locked, a proof
    /// as first seen). Each such answer is counted
    /// ([`RedisStores::failures_absorbed`](crate::RedisStores::failures_absorbed)).
    Open,
}

/// The settings every store shares.
///
/// Defaults: no prefix, a 250 ms bound per call, revocation, lockout and DPoP
/// replay fail closed, rate limits fail closed.
///
/// ```
/// use std::time::Duration;
/// use portcullis_redis::{FailureMode, Options};
///
/// let options = Options::new()
///     .with_prefix("myapp:")?
///     .with_timeout(Duration::from_millis(100))?
///     .with_rate_limit_failure(FailureMode::Open);
/// assert_eq!(options.layout().prefix(), "myapp:");
/// # Ok::<(), portcullis_redis::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    layout: KeyLayout,
    timeout: Duration,
    revocation: FailureMode,
    lockout: FailureMode,
    rate_limit: FailureMode,
    replay: FailureMode,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// The longest accepted per-call bound.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self {
            layout: KeyLayout::default(),
            timeout: Duration::from_millis(250),
            revocation: FailureMode::Closed,
            lockout: FailureMode::Closed,
            rate_limit: FailureMode::Closed,
            replay: FailureMode::Closed,
        }
    }

    /// Every key starts with `prefix` (several services can share one Redis).
    ///
    /// # Errors
    /// [`Error::Config`] when the prefix holds `{`, `}`, `*`, `?`, `[`, `]`,
    /// `\` or a control character: braces would move keys between cluster slots,
    /// the others would break the operator's key listing.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self, Error> {
        self.layout = KeyLayout::new(prefix)?;
        Ok(self)
    }

    /// Each store call (including its compare-and-swap retries) fails with
    /// [`Error::Timeout`] after `timeout`, then takes the store's failure mode.
    ///
    /// # Errors
    /// [`Error::Config`] for zero or more than [`Options::MAX_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        if timeout.is_zero() || timeout > Self::MAX_TIMEOUT {
            return Err(Error::Config {
                setting: "timeout",
                expected: "more than zero and at most 60 s",
            });
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// The revocation store's failure mode (default [`FailureMode::Closed`]).
    pub const fn with_revocation_failure(mut self, mode: FailureMode) -> Self {
        self.revocation = mode;
        self
    }

    /// The lockout store's failure mode (default [`FailureMode::Closed`]).
    pub const fn with_lockout_failure(mut self, mode: FailureMode) -> Self {
        self.lockout = mode;
        self
    }

    /// The rate limits' failure mode (default [`FailureMode::Closed`]).
    pub const fn with_rate_limit_failure(mut self, mode: FailureMode) -> Self {
        self.rate_limit = mode;
        self
    }

    /// The DPoP replay store's failure mode (default [`FailureMode::Closed`]).
    pub const fn with_replay_failure(mut self, mode: FailureMode) -> Self {
        self.replay = mode;
        self
    }

    /// The key layout (prefix and key names).
    pub const fn layout(&self) -> &KeyLayout {
        &self.layout
    }

    /// The per-call bound.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The revocation store's failure mode.
    pub const fn revocation_failure(&self) -> FailureMode {
        self.revocation
    }

    /// The lockout store's failure mode.
    pub const fn lockout_failure(&self) -> FailureMode {
        self.lockout
    }

    /// The rate limits' failure mode.
    pub const fn rate_limit_failure(&self) -> FailureMode {
        self.rate_limit
    }

    /// The DPoP replay store's failure mode.
    pub const fn replay_failure(&self) -> FailureMode {
        self.replay
    }

    /// Runs `future` within the per-call bound.
    pub(crate) async fn bounded<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        tokio::time::timeout(self.timeout, future)
            .await
            .map_err(|_| Error::Timeout(self.timeout))
    }
}
