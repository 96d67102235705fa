//! The async rate-limit state seam and its in-memory implementation.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{
    Algorithm, Decision, KeyedLimiter, KeyedLimiterConfig, RateLimitError, RateTable, ResolvedLimit,
};
use portcullis::store::{StoreError, StoreErrorKind};

/// Where the rate-limit layer counts requests: one atomic decision per request
/// for a resolved limit (its scope, rate and storage key).
///
/// The in-memory default is [`MemoryRateLimits`]; a shared store (Redis) runs
/// the core's sans-I/O step
/// ([`rate_limit_step`](portcullis::ratelimit::state::rate_limit_step)) between
/// its read and its conditional write, and returns the future of that round trip.
pub trait RateLimitStore: Send + Sync + 'static {
    /// Decides one request (cost 1) against `limit` at `now`, recording it if admitted.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails; the request is refused with 503.
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send;
}

impl<T: RateLimitStore> RateLimitStore for Arc<T> {
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        T::hit(self, limit, now)
    }
}

/// The client part of a resolved limit's key (`<scope>:<client>`): what a
/// store keyed by client apart from scope, and the rate-limit event, name.
pub(crate) fn client_of(limit: &ResolvedLimit) -> &str {
    limit
        .key
        .strip_prefix(limit.scope.as_str())
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(&limit.key)
}

/// A [`RateTable`] counted in memory, one bounded [`KeyedLimiter`] per rate
/// (each scope, the user default, the anonymous default), with any of the
/// core's five algorithms (`A`: `Gcra`, `TokenBucket`, `FixedWindow`,
/// `SlidingLog`, `SlidingWindow`).
///
/// ```
/// use portcullis::ratelimit::{Gcra, KeyedLimiterConfig, RateTable};
/// use portcullis_tower::MemoryRateLimits;
///
/// let table = RateTable::from_pairs([("oauth:start", "5/m")])?
///     .with_anonymous("100/hour".parse()?)
///     .with_user("1000/hour".parse()?);
/// let store: MemoryRateLimits<Gcra> = MemoryRateLimits::new(&table, KeyedLimiterConfig::default())?;
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
pub struct MemoryRateLimits<A: Algorithm> {
    limiters: BTreeMap<String, KeyedLimiter<String, A>>,
}

impl<A: Algorithm> fmt::Debug for MemoryRateLimits<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRateLimits")
            .field("scopes", &self.limiters.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<A: Algorithm> MemoryRateLimits<A> {
    /// A limiter for every rate of `table`, each bounded by `config`.
    ///
    /// # Errors
    /// [`RateLimitError::InvalidConfig`] for a bad `config`.
    pub fn new(table: &RateTable, config: KeyedLimiterConfig) -> Result<Self, RateLimitError> {
        let defaults = [("user", table.user()), ("anon", table.anonymous())];
        let defaults = defaults
            .into_iter()
            .filter_map(|(scope, rate)| rate.map(|rate| (scope, rate)));
        let limiters = table
            .scopes()
            .chain(defaults)
            .map(|(scope, rate)| Ok((scope.to_owned(), KeyedLimiter::new(rate, config)?)))
            .collect::<Result<_, RateLimitError>>()?;
        Ok(Self { limiters })
    }

    /// Evicts expired state from every limiter; returns how many keys.
    pub fn sweep(&self, now: UnixTime) -> usize {
        self.limiters.values().map(|l| l.sweep(now)).sum()
    }
}

impl<A> RateLimitStore for MemoryRateLimits<A>
where
    A: Algorithm + Send + Sync + 'static,
    KeyedLimiter<String, A>: Send + Sync,
{
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        // A scope this store was not built for (a store from another table) is a
        // fault of the deployment: fail closed.
        let decision = match self.limiters.get(&limit.scope) {
            Some(limiter) if *limiter.rate() == limit.rate => limiter
                .check(limit.key.as_str(), now, 1)
                .map_err(|_| StoreError::new(StoreErrorKind::Corrupt)),
            _ => Err(StoreError::new(StoreErrorKind::Unavailable)),
        };
        std::future::ready(decision)
    }
}
