//! Rate limits for the core's five algorithms, kept in Redis.
//!
//! A decision reads the key, runs the core's sans-I/O step
//! ([`rate_limit_step`]) on the stored bytes and writes the new state with the
//! compare-and-swap script, redoing both on a concurrent change: sixteen
//! instances on one key admit exactly the quota. The stored value is one tag
//! byte naming the algorithm, then the core's byte form; its TTL is the
//! state's `expires_at`, so a key lives exactly as long as it matters. One key
//! per decision: `ratelimit:{client}:endpoint_hash` (see [`crate::keys`]).

use portcullis::clock::UnixTime;
use portcullis::ratelimit::state::{Write, rate_limit_step};
use portcullis::ratelimit::{
    Algorithm, Decision, FixedWindow, Gcra, Rate, RateLimitError, SlidingLog, SlidingWindow,
    TokenBucket,
};

use crate::error::Error;
use crate::stores::RedisStores;

/// An algorithm whose state this crate stores: its name (the CLI's) and the
/// tag byte in front of its state, so a key read by the wrong algorithm is
/// reported corrupt instead of misread.
pub trait StoredAlgorithm: Algorithm {
    /// The algorithm's name, as `portcullis ratelimit simulate --algorithm` spells it.
    const NAME: &'static str;
    /// The first byte of every stored value.
    const TAG: u8;
}

impl StoredAlgorithm for Gcra {
    const NAME: &'static str = "gcra";
    const TAG: u8 = 1;
}

impl StoredAlgorithm for TokenBucket {
    const NAME: &'static str = "token-bucket";
    const TAG: u8 = 2;
}

impl StoredAlgorithm for FixedWindow {
    const NAME: &'static str = "fixed-window";
    const TAG: u8 = 3;
}

impl StoredAlgorithm for SlidingLog {
    const NAME: &'static str = "sliding-log";
    const TAG: u8 = 4;
}

impl StoredAlgorithm for SlidingWindow {
    const NAME: &'static str = "sliding-window";
    const TAG: u8 = 5;
}

/// The name of the algorithm whose tag starts `value`, if any.
pub fn algorithm_of(value: &[u8]) -> Option<&'static str> {
    let tag = *value.first()?;
    [
        (Gcra::TAG, Gcra::NAME),
        (TokenBucket::TAG, TokenBucket::NAME),
        (FixedWindow::TAG, FixedWindow::NAME),
        (SlidingLog::TAG, SlidingLog::NAME),
        (SlidingWindow::TAG, SlidingWindow::NAME),
    ]
    .into_iter()
    .find(|(t, _)| *t == tag)
    .map(|(_, name)| name)
}

/// The core's bytes in a stored value of `A`.
fn untag<A: StoredAlgorithm>(value: &[u8]) -> Result<&[u8], Error> {
    match value.split_first() {
        Some((&tag, state)) if tag == A::TAG => Ok(state),
        _ => Err(Error::Corrupt(RateLimitError::InvalidState {
            algorithm: A::NAME,
            reason: "stored by another algorithm or another writer",
        })),
    }
}

/// A stored value of `A`: the tag, then the core's bytes.
fn tag<A: StoredAlgorithm>(state: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(state.len() + 1);
    value.push(A::TAG);
    value.extend_from_slice(state);
    value
}

/// The core's step on a stored value: the decision and the value to write.
fn step<A: StoredAlgorithm>(
    rate: &Rate,
    stored: Option<&[u8]>,
    now: UnixTime,
    cost: u32,
) -> Result<(Decision, Write), Error> {
    let state = stored.map(untag::<A>).transpose()?;
    let (decision, write) = rate_limit_step::<A>(rate, state, now, cost).map_err(|e| match e {
        RateLimitError::InvalidState { .. } => Error::Corrupt(e),
        other => Error::Refused(other),
    })?;
    Ok((decision, retag::<A>(write)))
}

/// `write` with the algorithm's tag in front of its bytes.
fn retag<A: StoredAlgorithm>(write: Write) -> Write {
    match write {
        Write::Put { bytes, expires_at } => Write::Put {
            bytes: tag::<A>(&bytes),
            expires_at,
        },
        other => other,
    }
}

/// The decision a rate limit set to fail open gives when Redis fails: admitted,
/// with the full quota reported.
fn unchecked(rate: &Rate) -> Decision {
    Decision {
        allowed: true,
        limit: rate.limit(),
        remaining: rate.limit(),
        retry_after: std::time::Duration::ZERO,
        reset_after: std::time::Duration::ZERO,
    }
}

impl RedisStores {
    /// Decides on a request of `cost` (0 peeks) by `client` on `endpoint` under
    /// `rate` with algorithm `A`, and stores the new state; a Redis failure takes
    /// the rate limits' failure mode.
    ///
    /// # Errors
    /// [`Error::Refused`] for a cost above the limit (whatever the mode); with
    /// [`FailureMode::Closed`](crate::FailureMode::Closed), the Redis failure
    /// (the host refuses the request).
    pub async fn rate_limit<A: StoredAlgorithm>(
        &self,
        client: &str,
        endpoint: &str,
        rate: &Rate,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, Error> {
        match self
            .try_rate_limit::<A>(client, endpoint, rate, now, cost)
            .await
        {
            Err(e @ Error::Refused(_)) => Err(e),
            Err(e) => self.fail(self.options().rate_limit_failure(), e, unchecked(rate)),
            ok => ok,
        }
    }

    /// [`RedisStores::rate_limit`] without the failure mode: every failure is
    /// returned.
    ///
    /// # Errors
    /// [`Error::Refused`], [`Error::Corrupt`], or the Redis failure.
    pub async fn try_rate_limit<A: StoredAlgorithm>(
        &self,
        client: &str,
        endpoint: &str,
        rate: &Rate,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, Error> {
        if cost > rate.limit() {
            return Err(Error::Refused(RateLimitError::CostExceedsLimit {
                cost,
                limit: rate.limit(),
            }));
        }
        let key = self.options().layout().rate_limit(client, endpoint);
        self.update(&key, now, |stored| step::<A>(rate, stored, now, cost))
            .await
    }

    /// The core's `KeyedStore` operation on the state of `A` at `key` (a full
    /// key, from [`KeyLayout::rate_limit`](crate::KeyLayout::rate_limit)):
    /// `update` sees the live state (or none) and returns the answer and the
    /// state to keep (`None` deletes).
    ///
    /// # Errors
    /// [`Error::Corrupt`] or the Redis failure.
    pub async fn update_state<A: StoredAlgorithm, T>(
        &self,
        key: &str,
        rate: &Rate,
        now: UnixTime,
        mut update: impl FnMut(Option<&A::State>) -> (T, Option<A::State>),
    ) -> Result<T, Error> {
        self.update(key, now, |stored| {
            let previous = stored
                .map(|value| A::decode(rate, untag::<A>(value)?).map_err(Error::Corrupt))
                .transpose()?;
            let live = previous
                .as_ref()
                .filter(|state| A::expires_at(rate, state) > now);
            let (answer, next) = update(live);
            let write = match next {
                Some(next) if previous.as_ref() == Some(&next) => Write::Keep,
                Some(next) => Write::Put {
                    bytes: tag::<A>(&A::encode(&next)),
                    expires_at: A::expires_at(rate, &next),
                },
                None => Write::Delete,
            };
            Ok((answer, write))
        })
        .await
    }
}
