//! The sliding window counter (Cloudflare's approximation).

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision, nanos_until, units_needed};
use super::codec::{self, BeReader, BeWriter};
use super::fixed_window::window_of;
use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// Two fixed-window counters weighted into a sliding estimate.
///
/// `estimate = floor(previous * (1 - elapsed / period)) + current`, where
/// `elapsed` is the time since the current epoch-aligned window began; a request
/// of `cost` is admitted when `estimate + cost <= limit`. The previous window's
/// weight is rounded *down* to whole units: a unit of it stops counting as soon
/// as less than one whole unit of weight is left, so under steady overload each
/// window's last slot opens inside the window and the long-run admission is the
/// rate itself (`5/m` admits 5 a minute; comparing the unrounded estimate left
/// the last slot open only at the window's very end, about 4.1 a minute). The
/// comparison is exact integer arithmetic (no floating point), so `retry_after`
/// is exact to the nanosecond. The state is three numbers, and smooths the fixed
/// window's boundary burst without a log's memory.
///
/// **Bounds kept.** At most `limit` units are admitted within one epoch-aligned
/// window, so a burst at one instant is exactly `limit`, and the long-run rate
/// never exceeds the quota. Any interval of one `period` (not aligned) holds at
/// most `2 * limit` units, and that bound is reached: `limit` units at the very
/// end of one window, then `limit` more once the previous window weighs less
/// than one unit (in the last `period / limit` of the next window). Use
/// [`SlidingLog`](super::SlidingLog) or [`Gcra`](super::Gcra) where every rolling
/// window must hold the limit exactly.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Algorithm, Rate, SlidingWindow};
///
/// let rate: Rate = "10/m".parse()?;
/// let t = |s| UnixTime::from_secs(s).unwrap();
/// let (_, state) = SlidingWindow::decide(&rate, None, t(1_800_000_000), 10)?; // a full window
/// // 15 s into the next window, 10 * 45/60 = 7.5 of the 10 weigh: 7 whole units.
/// let (d, _) = SlidingWindow::decide(&rate, Some(&state), t(1_800_000_075), 0)?;
/// assert_eq!(d.remaining, 3);
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlidingWindow;

/// Sliding window state: the current window's start and both counts. 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlidingWindowState {
    /// Start of the current window, Unix nanoseconds.
    window_start: u64,
    /// Units admitted in the window before it.
    previous: u32,
    /// Units admitted in the current window.
    current: u32,
}

impl SlidingWindowState {
    /// The size of [`SlidingWindowState::to_bytes`].
    pub const BYTES: usize = 16;

    /// The start of the current window.
    pub const fn window_start(&self) -> UnixTime {
        UnixTime::from_nanos(self.window_start)
    }

    /// Units admitted in the previous and the current window.
    pub const fn counts(&self) -> (u32, u32) {
        (self.previous, self.current)
    }

    /// The fixed-size byte form: start (big-endian nanoseconds), previous, current.
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        BeWriter::new()
            .u64(self.window_start)
            .u32(self.previous)
            .u32(self.current)
            .finish()
    }

    /// Reads [`SlidingWindowState::to_bytes`]; every value is a valid state.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let mut reader = BeReader::new(&bytes);
        Self {
            window_start: reader.u64().unwrap_or_default(),
            previous: reader.u32().unwrap_or_default(),
            current: reader.u32().unwrap_or_default(),
        }
    }
}

impl Algorithm for SlidingWindow {
    type State = SlidingWindowState;

    fn fresh(rate: &Rate, now: UnixTime) -> SlidingWindowState {
        SlidingWindowState {
            window_start: window_of(now.as_nanos(), rate.period_ns()),
            previous: 0,
            current: 0,
        }
    }

    fn apply(
        rate: &Rate,
        state: &mut SlidingWindowState,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let units = units_needed(rate, cost)?;
        let now = now.as_nanos();
        let period = rate.period_ns();
        let current_start = window_of(now, period);
        if current_start > state.window_start {
            state.previous = if Some(current_start) == state.window_start.checked_add(period) {
                state.current
            } else {
                0
            };
            state.current = 0;
            state.window_start = current_start;
        }
        let start = state.window_start;
        // A clock that went back counts as the start of the stored window.
        let elapsed = now.saturating_sub(start).min(period);
        let limit = rate.limit();
        let units_in = |previous: u32, current: u32| -> u32 {
            // floor(previous * (period - elapsed) / period): at most `previous`.
            let weight = u128::from(previous) * u128::from(period - elapsed) / u128::from(period);
            u32::try_from(weight)
                .unwrap_or(previous)
                .saturating_add(current)
        };
        let allowed = u64::from(units_in(state.previous, state.current)) + u64::from(units)
            <= u64::from(limit);
        let (previous, current) = (state.previous, state.current);
        if allowed && cost > 0 {
            state.current = state.current.saturating_add(cost);
        }
        let retry_at = if allowed {
            now
        } else {
            retry_time(start, period, limit, previous, current, units)
        };
        let remaining = limit.saturating_sub(units_in(state.previous, state.current));
        let reset_at = if state.current > 0 {
            start.saturating_add(period.saturating_mul(2))
        } else if state.previous > 0 {
            start.saturating_add(period)
        } else {
            now
        };
        Ok(Decision {
            allowed,
            limit: rate.limit(),
            remaining,
            retry_after: nanos_until(now, retry_at),
            reset_after: nanos_until(now, reset_at),
        })
    }

    fn encode(state: &SlidingWindowState) -> Vec<u8> {
        state.to_bytes().to_vec()
    }

    fn decode(_rate: &Rate, bytes: &[u8]) -> Result<SlidingWindowState, RateLimitError> {
        codec::fixed(bytes, "SlidingWindow").map(SlidingWindowState::from_bytes)
    }

    fn expires_at(rate: &Rate, state: &SlidingWindowState) -> UnixTime {
        UnixTime::from_nanos(
            state
                .window_start
                .saturating_add(rate.period_ns().saturating_mul(2)),
        )
    }
}

/// The earliest time a refused request of `units` fits: within the current
/// window once the previous window's weight has decayed enough, else in the
/// next window once the current one's has.
fn retry_time(start: u64, period: u64, limit: u32, previous: u32, current: u32, units: u32) -> u64 {
    let p = u128::from(period);
    // The smallest offset e with floor(count * (period - e) / period) <= room:
    // count * (period - e) < (room + 1) * period, so the largest weight kept is
    // ceil((room + 1) * period / count) - 1.
    let offset = |count: u32, room: u32| -> u64 {
        let need = (u128::from(room) + 1) * p;
        let keep = match u128::from(count) {
            0 => p,
            count => need.div_ceil(count).saturating_sub(1).min(p),
        };
        u64::try_from(p - keep).unwrap_or(period)
    };
    match limit.checked_sub(current.saturating_add(units)) {
        Some(room) => start.saturating_add(offset(previous, room)),
        None => start
            .saturating_add(period)
            .saturating_add(offset(current, limit.saturating_sub(units))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;
    use std::time::Duration;

    #[test]
    fn byte_form_round_trips() {
        let state = SlidingWindowState {
            window_start: 9,
            previous: 1,
            current: u32::MAX,
        };
        assert_eq!(SlidingWindowState::from_bytes(state.to_bytes()), state);
    }

    #[test]
    fn previous_window_weighs_in_whole_units() {
        let rate = Rate::per_minute(nz(10));
        let t = |ms: u64, ns: u64| UnixTime::from_nanos(ms * 1_000_000 + ns);
        let mut state = SlidingWindow::fresh(&rate, t(0, 0));
        assert!(
            SlidingWindow::apply(&rate, &mut state, t(0, 0), 10)
                .unwrap()
                .allowed
        );
        // At 60 s the previous 10 all weigh; a nanosecond later only 9 whole units.
        let refused = SlidingWindow::apply(&rate, &mut state, t(60_000, 0), 1).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_nanos(1));
        assert!(
            SlidingWindow::apply(&rate, &mut state, t(60_000, 1), 1)
                .unwrap()
                .allowed
        );
        // 1 + floor(10 * (60 - e) / 60) <= 9 once e > 6 s.
        let refused = SlidingWindow::apply(&rate, &mut state, t(66_000, 0), 1).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_nanos(1));
        assert!(
            SlidingWindow::apply(&rate, &mut state, t(66_000, 1), 1)
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn a_full_current_window_waits_into_the_next() {
        let rate = Rate::per_minute(nz(4));
        let t = |s: u64| UnixTime::from_secs(s).unwrap();
        let mut state = SlidingWindow::fresh(&rate, t(0));
        assert!(
            SlidingWindow::apply(&rate, &mut state, t(30), 4)
                .unwrap()
                .allowed
        );
        let refused = SlidingWindow::apply(&rate, &mut state, t(30), 4).unwrap();
        // Needs the previous 4 to weigh under one unit: 4 * (60 - e) < 60 once e > 45 s.
        assert_eq!(
            refused.retry_after,
            Duration::from_secs(75) + Duration::from_nanos(1)
        );
        let refused = SlidingWindow::apply(&rate, &mut state, t(30), 1).unwrap();
        // floor(4 * (60 - e) / 60) <= 3 from the first nanosecond of the next window.
        assert_eq!(
            refused.retry_after,
            Duration::from_secs(30) + Duration::from_nanos(1)
        );
    }
}
