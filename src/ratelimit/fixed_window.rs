//! The fixed window counter.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision, nanos_until, units_needed};
use super::codec::{self, BeReader, BeWriter};
use super::{Rate, RateLimitError};
use crate::clock::UnixTime;

/// At most `limit` units in each period-long window aligned to the Unix epoch.
///
/// The cheapest algorithm and the one most stores implement natively (an
/// `INCR` with a TTL), at the price of bursts: up to twice the limit can pass
/// around a window boundary. Every host agrees on the windows because they are
/// aligned to the epoch (django-ratelimit adds a per-key offset; this does not).
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Algorithm, FixedWindow, Rate};
///
/// let rate: Rate = "1/m".parse()?;
/// let now = UnixTime::from_secs(1_800_000_010).unwrap(); // 50 s before a window ends
/// let (_, state) = FixedWindow::decide(&rate, None, now, 1)?;
/// let (refused, _) = FixedWindow::decide(&rate, Some(&state), now, 1)?;
/// assert_eq!(refused.retry_after.as_secs(), 50);
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixedWindow;

/// Fixed window state: the window's start and the units counted in it. 12 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FixedWindowState {
    /// Start of the window, Unix nanoseconds.
    window_start: u64,
    /// Units admitted in the window.
    count: u32,
}

impl FixedWindowState {
    /// The size of [`FixedWindowState::to_bytes`].
    pub const BYTES: usize = 12;

    /// The start of the counted window.
    pub const fn window_start(&self) -> UnixTime {
        UnixTime::from_nanos(self.window_start)
    }

    /// Units admitted in that window.
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// The fixed-size byte form: start (big-endian nanoseconds) then count.
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        BeWriter::new()
            .u64(self.window_start)
            .u32(self.count)
            .finish()
    }

    /// Reads [`FixedWindowState::to_bytes`]; every value is a valid state.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let mut reader = BeReader::new(&bytes);
        Self {
            window_start: reader.u64().unwrap_or_default(),
            count: reader.u32().unwrap_or_default(),
        }
    }
}

/// The start of the epoch-aligned window holding `now`.
pub(crate) const fn window_of(now: u64, period: u64) -> u64 {
    now - now % period
}

impl Algorithm for FixedWindow {
    type State = FixedWindowState;

    fn fresh(rate: &Rate, now: UnixTime) -> FixedWindowState {
        FixedWindowState {
            window_start: window_of(now.as_nanos(), rate.period_ns()),
            count: 0,
        }
    }

    #[inline]
    fn apply(
        rate: &Rate,
        state: &mut FixedWindowState,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let units = units_needed(rate, cost)?;
        let now = now.as_nanos();
        let period = rate.period_ns();
        let current = window_of(now, period);
        // A clock that went back stays in the stored (later) window.
        if current > state.window_start {
            state.window_start = current;
            state.count = 0;
        }
        let end = state.window_start.saturating_add(period);
        let allowed = u64::from(state.count) + u64::from(units) <= u64::from(rate.limit());
        if allowed && cost > 0 {
            state.count += cost;
        }
        Ok(Decision {
            allowed,
            limit: rate.limit(),
            remaining: rate.limit().saturating_sub(state.count),
            retry_after: if allowed {
                Duration::ZERO
            } else {
                nanos_until(now, end)
            },
            reset_after: if state.count > 0 {
                nanos_until(now, end)
            } else {
                Duration::ZERO
            },
        })
    }

    fn encode(state: &FixedWindowState) -> Vec<u8> {
        state.to_bytes().to_vec()
    }

    fn decode(_rate: &Rate, bytes: &[u8]) -> Result<FixedWindowState, RateLimitError> {
        codec::fixed(bytes, "FixedWindow").map(FixedWindowState::from_bytes)
    }

    fn expires_at(rate: &Rate, state: &FixedWindowState) -> UnixTime {
        UnixTime::from_nanos(state.window_start.saturating_add(rate.period_ns()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    #[test]
    fn byte_form_round_trips() {
        let state = FixedWindowState {
            window_start: 42,
            count: 7,
        };
        assert_eq!(FixedWindowState::from_bytes(state.to_bytes()), state);
    }

    #[test]
    fn counts_reset_at_the_window_boundary() {
        let rate = Rate::per_minute(nz(2));
        let t = |s: u64| UnixTime::from_secs(s).unwrap();
        let mut state = FixedWindow::fresh(&rate, t(60));
        assert!(
            FixedWindow::apply(&rate, &mut state, t(60), 2)
                .unwrap()
                .allowed
        );
        let refused = FixedWindow::apply(&rate, &mut state, t(119), 1).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert!(
            FixedWindow::apply(&rate, &mut state, t(120), 2)
                .unwrap()
                .allowed
        );
        // The clock going back does not reopen the earlier window.
        assert!(
            !FixedWindow::apply(&rate, &mut state, t(61), 1)
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn a_saturated_count_does_not_overflow() {
        let rate = Rate::new(nz(u32::MAX), nz(1));
        let mut state = FixedWindowState {
            window_start: 0,
            count: u32::MAX,
        };
        let d = FixedWindow::apply(&rate, &mut state, UnixTime::EPOCH, u32::MAX).unwrap();
        assert!(!d.allowed);
    }
}
