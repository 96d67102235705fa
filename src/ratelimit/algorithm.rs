//! What every algorithm shares: the decision, the trait, the runtime choice.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// The answer to "may this request go ahead?", with what HTTP headers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is admitted (for a peek: whether a cost-1 request would be).
    pub allowed: bool,
    /// The quota's limit, as `RateLimit-Policy: q=` reports it.
    pub limit: u32,
    /// Units still available after this decision.
    pub remaining: u32,
    /// How long to wait before the same request would be admitted; zero when allowed.
    /// Never early (waiting it out succeeds) and never needlessly late (one
    /// nanosecond less would still be refused).
    pub retry_after: Duration,
    /// How long until the quota is fully restored.
    pub reset_after: Duration,
}

/// A rate-limit algorithm as a pure function over a portable state.
///
/// State holds absolute Unix time (nanoseconds), so it can be stored anywhere
/// (memory, Redis, a database row) and read by another process. `apply` never
/// allocates, except [`SlidingLog`](super::SlidingLog), whose state grows with the
/// number of admitted requests in the period (bounded by the limit).
///
/// A `cost` of 0 peeks: it answers for a cost-1 request and changes nothing.
/// A cost above the limit can never be admitted and is an error.
pub trait Algorithm {
    /// The state stored between decisions.
    type State: Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned + Send + 'static;

    /// The state of a key never seen before: a full quota.
    fn fresh(rate: &Rate, now: UnixTime) -> Self::State;

    /// Decides on a request of `cost` units at `now`, updating `state` in place.
    ///
    /// `state` is only changed when the request is admitted or when old entries
    /// are dropped, so a refused request is never counted.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::CostExceedsLimit`] when `cost > rate.limit()`; the state
    /// is untouched.
    fn apply(
        rate: &Rate,
        state: &mut Self::State,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError>;

    /// The time from which `state` is equivalent to a fresh one and can be dropped.
    fn expires_at(rate: &Rate, state: &Self::State) -> UnixTime;

    /// The state's byte form, for stores that keep bytes (Redis, a BLOB column):
    /// big-endian fields in absolute Unix nanoseconds, the same on every host.
    fn encode(state: &Self::State) -> Vec<u8>;

    /// Reads [`Algorithm::encode`]'s bytes back (a value from a store, so untrusted).
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidState`] when the bytes are not a state of this
    /// algorithm under `rate` (a wrong length; for the sliding log, entries out
    /// of order or over the limit).
    fn decode(rate: &Rate, bytes: &[u8]) -> Result<Self::State, RateLimitError>;

    /// The pure form: previous state (or none) in, decision and state to store out.
    ///
    /// # Errors
    ///
    /// As [`Algorithm::apply`].
    fn decide(
        rate: &Rate,
        previous: Option<&Self::State>,
        now: UnixTime,
        cost: u32,
    ) -> Result<(Decision, Self::State), RateLimitError> {
        let mut state = match previous {
            Some(state) => state.clone(),
            None => Self::fresh(rate, now),
        };
        let decision = Self::apply(rate, &mut state, now, cost)?;
        Ok((decision, state))
    }
}

/// The units a request needs: `cost`, or 1 for a peek; refused above the limit.
///
/// Inlined so a host crate's decision path makes no call for it.
#[inline]
pub(crate) fn units_needed(rate: &Rate, cost: u32) -> Result<u32, RateLimitError> {
    if cost > rate.limit() {
        return Err(RateLimitError::CostExceedsLimit {
            cost,
            limit: rate.limit(),
        });
    }
    Ok(cost.max(1))
}

/// `to - from` as a duration, zero when `to` is not later.
#[inline]
pub(crate) const fn nanos_until(from: u64, to: u64) -> Duration {
    Duration::from_nanos(to.saturating_sub(from))
}
