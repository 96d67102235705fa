//! The state seam for keyed rate-limit and lockout state.
//!
//! A store holds one state per key and offers one operation, shaped like
//! governor's `StateStore`: read the key's state, run a pure closure
//! `Option<&State> -> (answer, new state)`, store the new state, atomically per
//! key. The closure may run more than once (a compare-and-swap store redoes it
//! on a concurrent change), so it must be a pure function of its input. The
//! store knows how long each state matters and drops it after that.
//!
//! - [`KeyedLimiter`](super::KeyedLimiter) is the bounded in-memory store.
//! - A Redis store runs the closure between a `GET` and a compare-and-swap
//!   script (the `axum_service` example of portcullis-tower).
//! - Async hosts, whose I/O the crate cannot drive, use the sans-I/O steps
//!   [`rate_limit_step`] and [`lockout_step`]: the host reads the stored bytes,
//!   the step decides and says what to write ([`Write`]), the host writes it
//!   (conditionally on the value it read, to stay atomic).
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::state::{Write, rate_limit_step};
//! use portcullis::ratelimit::{Gcra, Rate};
//!
//! let rate: Rate = "1/m".parse()?;
//! let now = UnixTime::from_secs(1_800_000_000).unwrap();
//! let (first, write) = rate_limit_step::<Gcra>(&rate, None, now, 1)?;
//! let Write::Put { bytes, expires_at } = write else { unreachable!() };
//! assert!(first.allowed && expires_at > now);
//! // ... the host stores `bytes` until `expires_at`, and reads them back next time:
//! let (second, _) = rate_limit_step::<Gcra>(&rate, Some(&bytes), now, 1)?;
//! assert!(!second.allowed);
//! # Ok::<(), portcullis::ratelimit::RateLimitError>(())
//! ```

use super::lockout::{FailureState, LockoutPolicy};
use super::{Algorithm, Decision, Rate, RateLimitError};
use crate::clock::UnixTime;
use crate::store::StoreError;

/// Keyed state behind one atomic read-modify-write.
pub trait KeyedStore {
    /// The key type (borrowed form).
    type Key: ?Sized;
    /// The state held per key.
    type State;

    /// Runs `update` on the state held for `key` at `now` (`None` when there is
    /// none, or it no longer matters), stores the state it returns (`None`
    /// deletes), and returns its answer; atomic per key.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails or a bounded store is full
    /// ([`StoreErrorKind::Full`](crate::store::StoreErrorKind::Full)); nothing
    /// is stored then.
    fn update<T>(
        &self,
        key: &Self::Key,
        now: UnixTime,
        update: impl FnMut(Option<&Self::State>) -> (T, Option<Self::State>),
    ) -> Result<T, StoreError>;
}

/// What a sans-I/O step asks the host to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Leave the stored value as it is.
    Keep,
    /// Store `bytes`, which may be dropped from `expires_at` (a Redis TTL).
    Put {
        /// The state's byte form.
        bytes: Vec<u8>,
        /// When the state stops mattering.
        expires_at: UnixTime,
    },
    /// Delete the key.
    Delete,
}

/// The sans-I/O rate-limit step: the stored bytes (or none) in, the decision and
/// the write out.
///
/// # Errors
///
/// [`RateLimitError::InvalidState`] when `stored` is not a state of `A`, and
/// [`RateLimitError::CostExceedsLimit`] as [`Algorithm::decide`].
pub fn rate_limit_step<A: Algorithm>(
    rate: &Rate,
    stored: Option<&[u8]>,
    now: UnixTime,
    cost: u32,
) -> Result<(Decision, Write), RateLimitError> {
    let previous = stored.map(|bytes| A::decode(rate, bytes)).transpose()?;
    let (decision, next) = A::decide(rate, previous.as_ref(), now, cost)?;
    let write = if previous.as_ref() == Some(&next) || (previous.is_none() && cost == 0) {
        Write::Keep
    } else {
        Write::Put {
            bytes: A::encode(&next),
            expires_at: A::expires_at(rate, &next),
        }
    };
    Ok((decision, write))
}

/// The sans-I/O lockout step for one key: the stored bytes (or none) in, the
/// write for a failed (`failed`) or successful attempt out.
///
/// # Errors
///
/// [`RateLimitError::InvalidState`] when `stored` is not a [`FailureState`].
pub fn lockout_step(
    policy: &LockoutPolicy,
    stored: Option<&[u8]>,
    now: UnixTime,
    failed: bool,
) -> Result<Write, RateLimitError> {
    let previous = stored.map(FailureState::decode).transpose()?;
    let next = if failed {
        Some(policy.record_failure(previous.as_ref(), now))
    } else {
        policy.record_success(previous.as_ref())
    };
    Ok(match next {
        None if previous.is_some() => Write::Delete,
        None => Write::Keep,
        Some(next) if Some(next) == previous => Write::Keep,
        Some(next) => Write::Put {
            bytes: next.to_bytes().to_vec(),
            expires_at: policy.expires_at(&next),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::{KeyedLimiter, KeyedLimiterConfig, SlidingWindow};

    #[test]
    fn lockout_step_writes_and_clears() {
        let policy = LockoutPolicy::login();
        let now = UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::from_nanos(0));
        let Ok(Write::Put { bytes, expires_at }) = lockout_step(&policy, None, now, true) else {
            panic!("a failure is written");
        };
        assert!(expires_at > now);
        assert_eq!(
            lockout_step(&policy, Some(&bytes), now, false),
            Ok(Write::Delete)
        );
        assert_eq!(lockout_step(&policy, None, now, false), Ok(Write::Keep));
        assert!(lockout_step(&policy, Some(&[1, 2, 3]), now, true).is_err());
    }

    #[test]
    fn the_in_memory_limiter_is_a_keyed_store() {
        let rate: Rate = "2/m"
            .parse()
            .unwrap_or(Rate::per_second(crate::ratelimit::nz(1)));
        let store: KeyedLimiter<String, SlidingWindow> =
            KeyedLimiter::new(rate, KeyedLimiterConfig::default())
                .unwrap_or_else(|e| panic!("{e}"));
        let now = UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::from_nanos(0));
        let key = "k".to_owned();
        let step = |state: Option<&_>| match SlidingWindow::decide(&rate, state, now, 1) {
            Ok((decision, next)) => (decision.allowed, Some(next)),
            Err(_) => (false, state.copied()),
        };
        assert_eq!(store.update(&key, now, step), Ok(true));
        assert_eq!(store.update(&key, now, step), Ok(true));
        assert_eq!(store.update(&key, now, step), Ok(false));
        // None deletes.
        assert_eq!(store.update(&key, now, |_| ((), None)), Ok(()));
        assert!(store.is_empty());
    }
}
