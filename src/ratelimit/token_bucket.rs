//! The token bucket, in exact integer arithmetic.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision, units_needed};
use super::codec::{self, BeReader, BeWriter};
use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// A bucket of `limit` tokens that refills continuously at `limit` per period.
///
/// Tokens are counted in fixed point: one token is one emission interval
/// (`period / limit`) of nanosecond credit, so refill is exact and the bucket
/// makes the same decisions as [`Gcra`](super::Gcra) on a clock that does not go
/// backwards. The difference is the state: the credit and the time it was
/// measured, which some stores find easier to inspect.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Algorithm, Rate, TokenBucket};
///
/// let rate: Rate = "10/m".parse()?;
/// let now = UnixTime::from_secs(1_700_000_000).unwrap();
/// let (decision, state) = TokenBucket::decide(&rate, None, now, 4)?;
/// assert!(decision.allowed);
/// assert_eq!(decision.remaining, 6);
/// assert_eq!(state.to_bytes().len(), 16);
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenBucket;

/// Token bucket state: credit in nanoseconds and when it was measured. 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenBucketState {
    /// Credit in nanoseconds; one token is one emission interval.
    credit_ns: u64,
    /// When the credit was measured, Unix nanoseconds.
    updated: u64,
}

impl TokenBucketState {
    /// The size of [`TokenBucketState::to_bytes`].
    pub const BYTES: usize = 16;

    /// Whole tokens in the bucket when it was last measured.
    pub fn tokens(&self, rate: &Rate) -> u64 {
        self.credit_ns.min(rate.tolerance_ns()) / rate.emission_ns()
    }

    /// When the bucket was last measured.
    pub const fn updated(&self) -> UnixTime {
        UnixTime::from_nanos(self.updated)
    }

    /// The fixed-size byte form: credit then time, big-endian nanoseconds.
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        BeWriter::new()
            .u64(self.credit_ns)
            .u64(self.updated)
            .finish()
    }

    /// Reads [`TokenBucketState::to_bytes`]; every value is a valid state
    /// (excess credit is capped at the bucket size when used).
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let mut reader = BeReader::new(&bytes);
        Self {
            credit_ns: reader.u64().unwrap_or_default(),
            updated: reader.u64().unwrap_or_default(),
        }
    }
}

impl Algorithm for TokenBucket {
    type State = TokenBucketState;

    fn fresh(rate: &Rate, now: UnixTime) -> TokenBucketState {
        TokenBucketState {
            credit_ns: rate.tolerance_ns(),
            updated: now.as_nanos(),
        }
    }

    #[inline]
    fn apply(
        rate: &Rate,
        state: &mut TokenBucketState,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let units = units_needed(rate, cost)?;
        let now = now.as_nanos();
        let capacity = rate.tolerance_ns();
        let emission = rate.emission_ns();
        let mut credit = state.credit_ns.min(capacity);
        if now > state.updated {
            credit = credit.saturating_add(now - state.updated).min(capacity);
            state.updated = now;
        }
        let price = emission.saturating_mul(u64::from(units));
        let allowed = credit >= price;
        let retry_after = Duration::from_nanos(price.saturating_sub(credit));
        if allowed && cost > 0 {
            credit -= price;
        }
        state.credit_ns = credit;
        Ok(Decision {
            allowed,
            limit: rate.limit(),
            remaining: u32::try_from(credit / emission).unwrap_or(rate.limit()),
            retry_after,
            reset_after: Duration::from_nanos(capacity - credit),
        })
    }

    fn encode(state: &TokenBucketState) -> Vec<u8> {
        state.to_bytes().to_vec()
    }

    fn decode(_rate: &Rate, bytes: &[u8]) -> Result<TokenBucketState, RateLimitError> {
        codec::fixed(bytes, "TokenBucket").map(TokenBucketState::from_bytes)
    }

    fn expires_at(rate: &Rate, state: &TokenBucketState) -> UnixTime {
        let missing = rate.tolerance_ns().saturating_sub(state.credit_ns);
        UnixTime::from_nanos(state.updated.saturating_add(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    #[test]
    fn byte_form_round_trips() {
        let state = TokenBucketState {
            credit_ns: 0x0102_0304_0506_0708,
            updated: u64::MAX,
        };
        assert_eq!(TokenBucketState::from_bytes(state.to_bytes()), state);
    }

    #[test]
    fn refills_continuously_and_caps_at_the_limit() {
        let rate = Rate::per_second(nz(4));
        let t0 = UnixTime::from_secs(1_000).unwrap();
        let mut state = TokenBucket::fresh(&rate, t0);
        let d = TokenBucket::apply(&rate, &mut state, t0, 4).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        let refused = TokenBucket::apply(&rate, &mut state, t0, 1).unwrap();
        assert_eq!(refused.retry_after, Duration::from_millis(250));
        let later = UnixTime::from_secs(2_000).unwrap();
        let d = TokenBucket::apply(&rate, &mut state, later, 0).unwrap();
        assert_eq!(d.remaining, 4);
        assert_eq!(state.tokens(&rate), 4);
    }
}
