//! The sliding log, with DRF's `SimpleRateThrottle` semantics.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision, nanos_until, units_needed};
use super::codec::{BeReader, BeWriter};
use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// The exact limit: a log of admitted requests over the last period.
///
/// This is DRF's `SimpleRateThrottle`: entries at or before `now - period` are
/// dropped; a request is refused when the log already holds `limit` entries, and
/// **refused requests are not recorded**. For a cost of 1, `retry_after` is
/// DRF's `wait()` exactly (`period - (now - oldest)` when the log is full); for
/// larger costs it is the time until enough entries have expired. Unlike DRF's
/// read-modify-write on a cache, the keyed limiter applies it under a lock, so
/// it does not race.
///
/// The state is the only one that allocates: one entry per distinct admission
/// time (equal times are merged into a count), never more than `limit` units.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Algorithm, Rate, SlidingLog};
///
/// let rate: Rate = "3/m".parse()?;
/// let t = |s| UnixTime::from_secs(s).unwrap();
/// let mut state = SlidingLog::fresh(&rate, t(1_000));
/// for s in [1_000, 1_010, 1_020] {
///     assert!(SlidingLog::apply(&rate, &mut state, t(s), 1)?.allowed);
/// }
/// let refused = SlidingLog::apply(&rate, &mut state, t(1_030), 1)?;
/// assert_eq!(refused.retry_after.as_secs(), 30); // DRF: 60 - (1030 - 1000)
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlidingLog;

/// Sliding log state: admission times (oldest first) with how many units each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlidingLogState {
    /// `(Unix nanoseconds, units)`, times strictly increasing, units at least 1.
    entries: VecDeque<(u64, u32)>,
}

impl SlidingLogState {
    /// Bytes per entry in [`SlidingLogState::to_bytes`].
    pub const ENTRY_BYTES: usize = 12;

    /// Units currently logged (before dropping expired entries).
    pub fn units(&self) -> u64 {
        self.entries.iter().map(|(_, n)| u64::from(*n)).sum()
    }

    /// Number of distinct admission times logged.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The byte form: per entry, the time (big-endian nanoseconds) then the units
    /// (big-endian `u32`); its length is `12 * len()`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * Self::ENTRY_BYTES);
        for (at, units) in &self.entries {
            out.extend_from_slice(
                &BeWriter::<{ Self::ENTRY_BYTES }>::new()
                    .u64(*at)
                    .u32(*units)
                    .finish(),
            );
        }
        out
    }

    /// Reads [`SlidingLogState::to_bytes`], holding at most `rate.limit()` units.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidState`] for a length that is not a multiple of 12,
    /// times out of order, an entry of 0 units, or more units than the limit.
    pub fn from_bytes(bytes: &[u8], rate: &Rate) -> Result<Self, RateLimitError> {
        let invalid = |reason| RateLimitError::InvalidState {
            algorithm: "SlidingLog",
            reason,
        };
        let chunks = bytes.chunks_exact(Self::ENTRY_BYTES);
        if !chunks.remainder().is_empty() {
            return Err(invalid("length is not a multiple of 12 bytes"));
        }
        let mut entries = VecDeque::with_capacity(chunks.len().min(rate.limit() as usize));
        let mut total = 0u64;
        for chunk in chunks {
            let mut reader = BeReader::new(chunk);
            let (at, units) = (
                reader.u64().unwrap_or_default(),
                reader.u32().unwrap_or_default(),
            );
            if units == 0 {
                return Err(invalid("an entry has 0 units"));
            }
            if entries.back().is_some_and(|(last, _)| *last >= at) {
                return Err(invalid("times are not strictly increasing"));
            }
            total += u64::from(units);
            if total > u64::from(rate.limit()) {
                return Err(invalid("more units than the rate's limit"));
            }
            entries.push_back((at, units));
        }
        Ok(Self { entries })
    }
}

impl Algorithm for SlidingLog {
    type State = SlidingLogState;

    fn fresh(_rate: &Rate, _now: UnixTime) -> SlidingLogState {
        SlidingLogState::default()
    }

    fn apply(
        rate: &Rate,
        state: &mut SlidingLogState,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let units = u64::from(units_needed(rate, cost)?);
        let now = now.as_nanos();
        let period = rate.period_ns();
        let limit = u64::from(rate.limit());
        // DRF: `while history and history[-1] <= now - duration: history.pop()`.
        if let Some(cutoff) = now.checked_sub(period) {
            while state.entries.front().is_some_and(|(at, _)| *at <= cutoff) {
                state.entries.pop_front();
            }
        }
        let logged = state.units();
        let allowed = logged + units <= limit;
        let mut retry_at = now;
        if allowed {
            if cost > 0 {
                // A clock that went back logs at the newest time, keeping order.
                match state.entries.back_mut() {
                    Some((at, n)) if *at >= now => *n = n.saturating_add(cost),
                    _ => state.entries.push_back((now, cost)),
                }
            }
        } else {
            // The time the (logged + units - limit)-th oldest unit expires.
            let mut to_expire = logged + units - limit;
            for (at, n) in &state.entries {
                to_expire = to_expire.saturating_sub(u64::from(*n));
                if to_expire == 0 {
                    retry_at = at.saturating_add(period);
                    break;
                }
            }
        }
        let remaining = limit.saturating_sub(state.units());
        let reset_at = state
            .entries
            .back()
            .map_or(now, |(at, _)| at.saturating_add(period));
        Ok(Decision {
            allowed,
            limit: rate.limit(),
            remaining: u32::try_from(remaining).unwrap_or(rate.limit()),
            retry_after: if allowed {
                Duration::ZERO
            } else {
                nanos_until(now, retry_at)
            },
            reset_after: nanos_until(now, reset_at),
        })
    }

    fn encode(state: &SlidingLogState) -> Vec<u8> {
        state.to_bytes()
    }

    fn decode(rate: &Rate, bytes: &[u8]) -> Result<SlidingLogState, RateLimitError> {
        SlidingLogState::from_bytes(bytes, rate)
    }

    fn expires_at(rate: &Rate, state: &SlidingLogState) -> UnixTime {
        UnixTime::from_nanos(
            state
                .entries
                .back()
                .map_or(0, |(at, _)| at.saturating_add(rate.period_ns())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    #[test]
    fn byte_form_round_trips_and_rejects_bad_input() {
        let rate = Rate::per_minute(nz(10));
        let mut state = SlidingLogState::default();
        for s in [1, 2, 2, 3] {
            SlidingLog::apply(&rate, &mut state, UnixTime::from_secs(s).unwrap(), 2).unwrap();
        }
        assert_eq!(state.len(), 3);
        assert_eq!(state.units(), 8);
        let bytes = state.to_bytes();
        assert_eq!(SlidingLogState::from_bytes(&bytes, &rate).unwrap(), state);
        assert!(SlidingLogState::from_bytes(&bytes[..11], &rate).is_err());
        let small = Rate::per_minute(nz(7));
        assert!(SlidingLogState::from_bytes(&bytes, &small).is_err());
        let mut swapped = bytes[12..24].to_vec();
        swapped.extend_from_slice(&bytes[..12]);
        assert!(SlidingLogState::from_bytes(&swapped, &rate).is_err());
        assert!(SlidingLogState::from_bytes(&[0; 12], &rate).is_err());
    }

    #[test]
    fn expired_entries_are_dropped_at_exactly_one_period() {
        let rate = Rate::per_minute(nz(1));
        let t = |s: u64| UnixTime::from_secs(s).unwrap();
        let mut state = SlidingLogState::default();
        assert!(
            SlidingLog::apply(&rate, &mut state, t(100), 1)
                .unwrap()
                .allowed
        );
        let refused = SlidingLog::apply(&rate, &mut state, t(159), 1).unwrap();
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert_eq!(state.len(), 1, "a refused request is not recorded");
        assert!(
            SlidingLog::apply(&rate, &mut state, t(160), 1)
                .unwrap()
                .allowed
        );
        assert_eq!(state.len(), 1);
    }
}
