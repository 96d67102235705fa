//! Login brute-force protection: failure counters with exponential backoff.
//!
//! Failures are counted under three keys, each with its own [`LockoutPolicy`]:
//!
//! - per (username, IP): [`LockoutPolicy::login`], the seed profile: 5 failures,
//!   then locked for a minute (the `5/m` login rate DRF projects use), doubling
//!   with each further failure up to an hour;
//! - per IP, across usernames (password spraying): [`LockoutPolicy::per_ip`],
//!   100 failures, then the same backoff;
//! - per account, across IPs: [`LockoutPolicy::per_account`], NIST SP 800-63B's
//!   ceiling: after 100 consecutive failures the account stays locked until a
//!   success is recorded (an administrator's or recovery flow's reset).
//!
//! Everything is a pure function of a [`FailureState`] (serde, 16-byte form, in
//! absolute Unix time) and `now`, so the host keeps the three states wherever it
//! keeps rate-limit state. [`LoginGuard`] bundles the three policies.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::lockout::{LockoutPolicy, LockoutStatus};
//!
//! let policy = LockoutPolicy::login();
//! let now = UnixTime::from_secs(1_700_000_000).unwrap();
//! let mut state = None;
//! for _ in 0..5 {
//!     assert_eq!(policy.status(state.as_ref(), now), LockoutStatus::Open);
//!     state = Some(policy.record_failure(state.as_ref(), now));
//! }
//! assert_eq!(
//!     policy.status(state.as_ref(), now),
//!     LockoutStatus::Locked { retry_after: Some(std::time::Duration::from_secs(60)) }
//! );
//! # Ok::<(), portcullis::ratelimit::RateLimitError>(())
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::RateLimitError;
use crate::clock::UnixTime;

/// NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
pub const NIST_MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// When a key gets locked, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    free_failures: u32,
    base_lockout: Duration,
    max_lockout: Duration,
    forget_after: Duration,
    hard_limit: Option<u32>,
    reset_on_success: bool,
}

impl LockoutPolicy {
    /// A policy: `free_failures` consecutive failures are allowed, then the key is
    /// locked for `base_lockout * 2^(failures - free_failures)`, at most
    /// `max_lockout`; a key with no failure for `forget_after` starts over.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when `free_failures` is 0, `base_lockout`
    /// is zero or above `max_lockout`, or `forget_after` is shorter than `max_lockout`.
    pub fn new(
        free_failures: u32,
        base_lockout: Duration,
        max_lockout: Duration,
        forget_after: Duration,
    ) -> Result<Self, RateLimitError> {
        if free_failures == 0 {
            return Err(RateLimitError::InvalidConfig {
                setting: "free_failures",
                expected: "at least 1",
            });
        }
        if base_lockout.is_zero() || base_lockout > max_lockout {
            return Err(RateLimitError::InvalidConfig {
                setting: "base_lockout",
                expected: "more than zero and at most max_lockout",
            });
        }
        if forget_after < max_lockout {
            return Err(RateLimitError::InvalidConfig {
                setting: "forget_after",
                expected: "at least max_lockout",
            });
        }
        Ok(Self {
            free_failures,
            base_lockout,
            max_lockout,
            forget_after,
            hard_limit: None,
            reset_on_success: true,
        })
    }

    /// Also lock the key for good (until a success is recorded) after `limit`
    /// consecutive failures.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when `limit` is 0.
    pub fn with_hard_limit(mut self, limit: u32) -> Result<Self, RateLimitError> {
        if limit == 0 {
            return Err(RateLimitError::InvalidConfig {
                setting: "hard_limit",
                expected: "at least 1",
            });
        }
        self.hard_limit = Some(limit);
        Ok(self)
    }

    /// The seed profile per (username, IP): 5 failures, then locked for 1 minute,
    /// doubling with each further failure to 1 hour; forgotten after a day.
    pub const fn login() -> Self {
        Self {
            free_failures: 5,
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(3600),
            forget_after: Duration::from_secs(86_400),
            hard_limit: None,
            reset_on_success: true,
        }
    }

    /// Per IP across usernames: 100 failures, then 1 minute doubling to 1 hour;
    /// forgotten after a day. A success does not reset it, so one valid account
    /// cannot launder a password-spraying address.
    pub const fn per_ip() -> Self {
        Self {
            free_failures: NIST_MAX_CONSECUTIVE_FAILURES,
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(3600),
            forget_after: Duration::from_secs(86_400),
            hard_limit: None,
            reset_on_success: false,
        }
    }

    /// Per account across IPs: NIST's ceiling. Locked until reset after 100
    /// consecutive failures; the count is kept for 30 days.
    pub const fn per_account() -> Self {
        Self {
            free_failures: NIST_MAX_CONSECUTIVE_FAILURES,
            base_lockout: Duration::from_secs(3600),
            max_lockout: Duration::from_secs(3600),
            forget_after: Duration::from_secs(30 * 86_400),
            hard_limit: Some(NIST_MAX_CONSECUTIVE_FAILURES),
            reset_on_success: true,
        }
    }

    /// Whether a success clears the count (the default for [`LockoutPolicy::new`],
    /// as django-axes's `AXES_RESET_ON_SUCCESS` and NIST's "consecutive" failures
    /// ask) or leaves it to expire.
    #[must_use]
    pub const fn with_reset_on_success(mut self, reset: bool) -> Self {
        self.reset_on_success = reset;
        self
    }

    /// Whether a login attempt may be made now.
    pub fn status(&self, state: Option<&FailureState>, now: UnixTime) -> LockoutStatus {
        let Some(state) = state.map(|s| self.current(s, now)) else {
            return LockoutStatus::Open;
        };
        if state.locked_until == u64::MAX {
            return LockoutStatus::Locked { retry_after: None };
        }
        if state.locked_until > now.as_nanos() {
            return LockoutStatus::Locked {
                retry_after: Some(Duration::from_nanos(state.locked_until - now.as_nanos())),
            };
        }
        LockoutStatus::Open
    }

    /// The state after a failed attempt at `now`.
    pub fn record_failure(&self, state: Option<&FailureState>, now: UnixTime) -> FailureState {
        let now_ns = now.as_nanos();
        let previous = state.map(|s| self.current(s, now)).unwrap_or_default();
        let failures = previous.failures.saturating_add(1);
        let locked_until = if self.hard_limit.is_some_and(|limit| failures >= limit) {
            u64::MAX
        } else if failures >= self.free_failures {
            let doublings = failures - self.free_failures;
            let lockout = self.lockout_for(doublings);
            let lockout = u64::try_from(lockout.as_nanos()).unwrap_or(u64::MAX);
            now_ns.saturating_add(lockout).max(previous.locked_until)
        } else {
            previous.locked_until
        };
        FailureState {
            failures,
            last_failure: now_ns.max(previous.last_failure),
            locked_until,
        }
    }

    /// The state after a successful login: cleared (`None`) when the policy
    /// resets on success, else unchanged.
    pub fn record_success(&self, state: Option<&FailureState>) -> Option<FailureState> {
        if self.reset_on_success {
            None
        } else {
            state.copied()
        }
    }

    /// The time from which `state` no longer matters and can be deleted.
    pub fn expires_at(&self, state: &FailureState) -> UnixTime {
        let forget = u64::try_from(self.forget_after.as_nanos()).unwrap_or(u64::MAX);
        UnixTime::from_nanos(
            state
                .last_failure
                .saturating_add(forget)
                .max(state.locked_until),
        )
    }

    fn lockout_for(&self, doublings: u32) -> Duration {
        let factor = 1u32.checked_shl(doublings).unwrap_or(u32::MAX);
        self.base_lockout
            .checked_mul(factor)
            .unwrap_or(self.max_lockout)
            .min(self.max_lockout)
    }

    /// `state`, or a fresh one if it has been forgotten by `now`.
    fn current(&self, state: &FailureState, now: UnixTime) -> FailureState {
        if self.expires_at(state) <= now {
            FailureState::default()
        } else {
            *state
        }
    }
}

/// Whether a login attempt may be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockoutStatus {
    /// Attempts are allowed.
    Open,
    /// Locked: try again after `retry_after`, or (`None`) only after a reset.
    Locked {
        /// How long until the lockout ends; `None` until reset.
        retry_after: Option<Duration>,
    },
}

impl LockoutStatus {
    /// The stricter of two statuses.
    #[must_use]
    pub fn max(self, other: Self) -> Self {
        match (self, other) {
            (Self::Open, s) | (s, Self::Open) => s,
            (Self::Locked { retry_after: a }, Self::Locked { retry_after: b }) => Self::Locked {
                retry_after: a.zip(b).map(|(a, b)| a.max(b)),
            },
        }
    }

    /// Whether attempts are allowed.
    pub const fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
}

/// A key's failure record: 16 bytes, absolute Unix time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FailureState {
    /// Consecutive failures.
    failures: u32,
    /// Last failure, Unix nanoseconds.
    last_failure: u64,
    /// Locked until, Unix nanoseconds; `u64::MAX` means until reset.
    locked_until: u64,
}

impl FailureState {
    /// The size of [`FailureState::to_bytes`].
    pub const BYTES: usize = 20;

    /// Consecutive failures counted.
    pub const fn failures(&self) -> u32 {
        self.failures
    }

    /// The fixed-size byte form: failures, last failure, locked until (big-endian).
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        let mut out = [0u8; Self::BYTES];
        let (failures, times) = out.split_at_mut(4);
        let (last, locked) = times.split_at_mut(8);
        failures.copy_from_slice(&self.failures.to_be_bytes());
        last.copy_from_slice(&self.last_failure.to_be_bytes());
        locked.copy_from_slice(&self.locked_until.to_be_bytes());
        out
    }

    /// Reads [`FailureState::to_bytes`]; every value is a valid state.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let (failures, times) = bytes.split_at(4);
        let (last, locked) = times.split_at(8);
        let mut f = [0u8; 4];
        f.copy_from_slice(failures);
        let mut l = [0u8; 8];
        l.copy_from_slice(last);
        let mut u = [0u8; 8];
        u.copy_from_slice(locked);
        Self {
            failures: u32::from_be_bytes(f),
            last_failure: u64::from_be_bytes(l),
            locked_until: u64::from_be_bytes(u),
        }
    }
}

/// The three policies of a login endpoint, and the keys their states live under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginGuard {
    /// Per (username, IP).
    pub pair: LockoutPolicy,
    /// Per IP.
    pub ip: LockoutPolicy,
    /// Per account.
    pub account: LockoutPolicy,
}

/// The three failure states of one login attempt, as loaded from storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginStates {
    /// The (username, IP) state, if any.
    pub pair: Option<FailureState>,
    /// The IP's state, if any.
    pub ip: Option<FailureState>,
    /// The account's state, if any.
    pub account: Option<FailureState>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        Self {
            pair: LockoutPolicy::login(),
            ip: LockoutPolicy::per_ip(),
            account: LockoutPolicy::per_account(),
        }
    }
}

impl LoginGuard {
    /// The storage keys for `username` from `ip` (a [`ClientKey`](super::ClientKey)
    /// string, so IPv6 is grouped): `(pair, ip, account)`.
    pub fn keys(username: &str, ip: &str) -> (String, String, String) {
        (
            format!("login:pair:{ip}:{username}"),
            format!("login:ip:{ip}"),
            format!("login:account:{username}"),
        )
    }

    /// Whether an attempt may be made: the strictest of the three.
    pub fn status(&self, states: &LoginStates, now: UnixTime) -> LockoutStatus {
        self.pair
            .status(states.pair.as_ref(), now)
            .max(self.ip.status(states.ip.as_ref(), now))
            .max(self.account.status(states.account.as_ref(), now))
    }

    /// The states to store after a failed attempt.
    pub fn record_failure(&self, states: &LoginStates, now: UnixTime) -> LoginStates {
        LoginStates {
            pair: Some(self.pair.record_failure(states.pair.as_ref(), now)),
            ip: Some(self.ip.record_failure(states.ip.as_ref(), now)),
            account: Some(self.account.record_failure(states.account.as_ref(), now)),
        }
    }

    /// The states to store after a success, each per its policy's
    /// reset-on-success setting (by default the pair and the account are
    /// cleared and the IP's count is kept).
    pub fn record_success(&self, states: &LoginStates) -> LoginStates {
        LoginStates {
            pair: self.pair.record_success(states.pair.as_ref()),
            ip: self.ip.record_success(states.ip.as_ref()),
            account: self.account.record_success(states.account.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> UnixTime {
        UnixTime::from_secs(1_700_000_000 + secs).unwrap()
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let policy = LockoutPolicy::login();
        let mut state = None;
        for _ in 0..5 {
            state = Some(policy.record_failure(state.as_ref(), at(0)));
        }
        let mut lockouts = Vec::new();
        let mut t = 0;
        for _ in 0..9 {
            let LockoutStatus::Locked {
                retry_after: Some(wait),
            } = policy.status(state.as_ref(), at(t))
            else {
                panic!("locked expected");
            };
            lockouts.push(wait.as_secs());
            t += wait.as_secs();
            assert!(policy.status(state.as_ref(), at(t)).is_open());
            state = Some(policy.record_failure(state.as_ref(), at(t)));
        }
        assert_eq!(lockouts, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }

    #[test]
    fn success_resets_and_old_failures_are_forgotten() {
        let policy = LockoutPolicy::login();
        let mut state = None;
        for _ in 0..6 {
            state = Some(policy.record_failure(state.as_ref(), at(0)));
        }
        assert!(!policy.status(state.as_ref(), at(0)).is_open());
        assert_eq!(policy.record_success(state.as_ref()), None);
        let kept = policy.with_reset_on_success(false);
        assert_eq!(kept.record_success(state.as_ref()), state);
        let forgotten = policy.record_failure(state.as_ref(), at(86_400 + 1));
        assert_eq!(forgotten.failures(), 1);
    }

    #[test]
    fn nist_ceiling_locks_the_account_until_reset() {
        let guard = LoginGuard::default();
        let mut states = LoginStates::default();
        // 100 failures spread over many IPs: only the account state is shared.
        for i in 0..NIST_MAX_CONSECUTIVE_FAILURES {
            assert!(
                guard
                    .account
                    .status(states.account.as_ref(), at(u64::from(i) * 600))
                    .is_open()
            );
            let fresh_ip = LoginStates {
                account: states.account,
                ..LoginStates::default()
            };
            states = guard.record_failure(&fresh_ip, at(u64::from(i) * 600));
        }
        let later = at(29 * 86_400);
        assert_eq!(
            guard.status(&states, later),
            LockoutStatus::Locked { retry_after: None }
        );
        let reset = guard.record_success(&states);
        assert!(guard.status(&reset, later).is_open());
    }

    #[test]
    fn byte_form_round_trips_and_config_is_checked() {
        let state = FailureState {
            failures: 3,
            last_failure: 7,
            locked_until: u64::MAX,
        };
        assert_eq!(FailureState::from_bytes(state.to_bytes()), state);
        let minute = Duration::from_secs(60);
        assert!(LockoutPolicy::new(0, minute, minute, minute).is_err());
        assert!(LockoutPolicy::new(1, Duration::ZERO, minute, minute).is_err());
        assert!(LockoutPolicy::new(1, minute * 2, minute, minute).is_err());
        assert!(LockoutPolicy::new(1, minute, minute * 2, minute).is_err());
        assert!(
            LockoutPolicy::new(1, minute, minute, minute)
                .unwrap()
                .with_hard_limit(0)
                .is_err()
        );
        let huge =
            LockoutPolicy::new(1, Duration::from_secs(1), Duration::MAX, Duration::MAX).unwrap();
        let mut state = None;
        for _ in 0..200 {
            state = Some(huge.record_failure(state.as_ref(), UnixTime::from_nanos(u64::MAX - 1)));
        }
    }
}
