//! GCRA with redis-cell's semantics, keyed on absolute Unix time.

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision, nanos_until, units_needed};
use super::codec;
use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// The generic cell rate algorithm, as redis-cell's `CL.THROTTLE` runs it.
///
/// A rate of `N/period` is redis-cell's `max_burst = N - 1`, `count = N`: up to `N`
/// requests at once, then one every `period / N`. In any interval of length `L` it
/// admits at most `N + L / (period / N)` units. The state is one time, the
/// theoretical arrival time (TAT), in absolute Unix nanoseconds: unlike governor's
/// process-relative instant it means the same on every host.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Algorithm, Gcra, Rate};
///
/// let rate: Rate = "2/s".parse()?;
/// let now = UnixTime::from_secs(1_700_000_000).unwrap();
/// let (first, state) = Gcra::decide(&rate, None, now, 1)?;
/// let (second, state) = Gcra::decide(&rate, Some(&state), now, 1)?;
/// let (third, _) = Gcra::decide(&rate, Some(&state), now, 1)?;
/// assert!(first.allowed && second.allowed && !third.allowed);
/// assert_eq!(third.retry_after.as_millis(), 500);
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gcra;

/// GCRA state: the theoretical arrival time. 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GcraState {
    /// Theoretical arrival time, Unix nanoseconds.
    tat: u64,
}

impl GcraState {
    /// The size of [`GcraState::to_bytes`].
    pub const BYTES: usize = 8;

    /// The state whose theoretical arrival time is `tat`.
    pub const fn new(tat: UnixTime) -> Self {
        Self {
            tat: tat.as_nanos(),
        }
    }

    /// The theoretical arrival time: also the time the state expires.
    pub const fn theoretical_arrival(&self) -> UnixTime {
        UnixTime::from_nanos(self.tat)
    }

    /// The fixed-size byte form: the TAT as big-endian nanoseconds (redis-cell
    /// stores the same number as a decimal string).
    pub const fn to_bytes(&self) -> [u8; Self::BYTES] {
        self.tat.to_be_bytes()
    }

    /// Reads [`GcraState::to_bytes`]; every 8-byte value is a valid state.
    pub const fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        Self {
            tat: u64::from_be_bytes(bytes),
        }
    }
}

impl Algorithm for Gcra {
    type State = GcraState;

    fn fresh(_rate: &Rate, now: UnixTime) -> GcraState {
        GcraState::new(now)
    }

    #[inline]
    fn apply(
        rate: &Rate,
        state: &mut GcraState,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let units = units_needed(rate, cost)?;
        let now = now.as_nanos();
        let emission = rate.emission_ns();
        let tolerance = rate.tolerance_ns();
        let tat = state.tat.max(now);
        // units <= limit, so the increment is at most the tolerance.
        let new_tat = tat.saturating_add(emission.saturating_mul(u64::from(units)));
        let allow_at = new_tat.saturating_sub(tolerance);
        let allowed = now >= allow_at;
        if allowed && cost > 0 {
            state.tat = new_tat;
        }
        let ttl = state.tat.max(now) - now;
        let remaining = tolerance.saturating_sub(ttl) / emission;
        Ok(Decision {
            allowed,
            limit: rate.limit(),
            remaining: u32::try_from(remaining).unwrap_or(rate.limit()),
            retry_after: if allowed {
                std::time::Duration::ZERO
            } else {
                nanos_until(now, allow_at)
            },
            reset_after: std::time::Duration::from_nanos(ttl),
        })
    }

    fn encode(state: &GcraState) -> Vec<u8> {
        state.to_bytes().to_vec()
    }

    fn decode(_rate: &Rate, bytes: &[u8]) -> Result<GcraState, RateLimitError> {
        codec::fixed(bytes, "Gcra").map(GcraState::from_bytes)
    }

    fn expires_at(_rate: &Rate, state: &GcraState) -> UnixTime {
        state.theoretical_arrival()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;
    use std::time::Duration;

    const T0: u64 = 1_700_000_000_000_000_000;

    #[test]
    fn matches_redis_cell_readme_walkthrough() {
        // CL.THROTTLE user123 15 30 60 -> limit 16 (max_burst + 1): here 16 per
        // 32 s is the same emission interval (2 s) and burst.
        let rate = Rate::new(nz(16), nz(32));
        let now = UnixTime::from_nanos(T0);
        let (d, state) = Gcra::decide(&rate, None, now, 1).unwrap();
        assert!(d.allowed);
        assert_eq!((d.limit, d.remaining), (16, 15));
        assert_eq!(d.retry_after, Duration::ZERO);
        assert_eq!(d.reset_after, Duration::from_secs(2));
        let (peek, same) = Gcra::decide(&rate, Some(&state), now, 0).unwrap();
        assert_eq!(same, state);
        assert_eq!(peek.remaining, 15);
    }

    #[test]
    fn refusal_waits_exactly_one_emission_interval() {
        let rate = Rate::per_minute(nz(5));
        let mut state = Gcra::fresh(&rate, UnixTime::from_nanos(T0));
        for _ in 0..5 {
            assert!(
                Gcra::apply(&rate, &mut state, UnixTime::from_nanos(T0), 1)
                    .unwrap()
                    .allowed
            );
        }
        let refused = Gcra::apply(&rate, &mut state, UnixTime::from_nanos(T0), 1).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(12));
        assert_eq!(refused.reset_after, Duration::from_secs(60));
        let later = UnixTime::from_nanos(T0 + 12_000_000_000 - 1);
        assert!(!Gcra::apply(&rate, &mut state, later, 1).unwrap().allowed);
        let at = UnixTime::from_nanos(T0 + 12_000_000_000);
        assert!(Gcra::apply(&rate, &mut state, at, 1).unwrap().allowed);
    }

    #[test]
    fn cost_above_limit_is_an_error_and_leaves_state() {
        let rate = Rate::per_minute(nz(5));
        let mut state = GcraState::new(UnixTime::from_nanos(T0));
        let before = state;
        assert!(Gcra::apply(&rate, &mut state, UnixTime::from_nanos(T0), 6).is_err());
        assert_eq!(state, before);
    }

    #[test]
    fn extreme_state_and_time_do_not_panic() {
        let rate = Rate::new(nz(u32::MAX), nz(1));
        for tat in [0, u64::MAX] {
            for now in [0, u64::MAX] {
                let mut state = GcraState { tat };
                let _ = Gcra::apply(&rate, &mut state, UnixTime::from_nanos(now), u32::MAX);
            }
        }
    }
}
