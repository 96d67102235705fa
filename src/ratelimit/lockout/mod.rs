//! Login brute-force protection: failure counters with capped exponential backoff.
//!
//! Failures are counted under three keys, each with its own [`LockoutPolicy`]:
//!
//! - per (username, client network): [`LockoutPolicy::login`], the seed profile:
//!   5 failures, then locked for a minute (the `5/m` login rate DRF projects use),
//!   doubling with each further failure up to an hour;
//! - per client network, across usernames (password spraying):
//!   [`LockoutPolicy::per_ip`], 100 failures, then the same backoff;
//! - per account, across networks: [`LockoutPolicy::per_account`], NIST SP
//!   800-63B-4's ceiling of 100 consecutive failures, then a timed lock of one
//!   minute doubling to at most 15 minutes.
//!
//! **No lock lasts without end.** Every lock is timed and capped by its policy's
//! `max_lockout` (at most [`MAX_LOCKOUT`]), also when read back from stored
//! state, so no state an attacker can drive locks the rightful user out for
//! good. The account counter is weighted by distinct source networks: a
//! network's failures count against the account only up to
//! [`LoginGuard::per_network_failures`] (10 by default), so reaching the ceiling
//! takes failures from many networks, not many failures from a few (a single
//! network is held back by its own pair and network locks).
//!
//! **Reset paths.** [`LoginGuard::unlock`] is the host's "unlock" call (an
//! administrator, or a support flow): it clears the account and the pair and
//! keeps the network's count. A success through a stronger factor (a passkey,
//! an emailed recovery link) is recorded with [`LoginGuard::record_success`]
//! even while the password path is locked: the host checks
//! [`LoginGuard::status`] before the password factor only.
//!
//! Everything is a pure function of a [`FailureState`] (serde, 20-byte form, in
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
//!     LockoutStatus::Locked { retry_after: std::time::Duration::from_secs(60) }
//! );
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::RateLimitError;
use super::codec::{self, BeReader, BeWriter};
use crate::clock::UnixTime;

mod guard;

pub use guard::{LoginGuard, LoginStates};

/// NIST SP 800-63B-4: no more than 100 consecutive failed attempts on one account.
pub const NIST_MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// The longest lock any policy may impose: one day.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(86_400);

/// The longest a policy may remember failures: a year.
const MAX_FORGET_AFTER: Duration = Duration::from_secs(365 * 86_400);

/// When a key gets locked, and for how long.
///
/// Built from named settings with [`LockoutPolicy::builder`], or one of the
/// presets. `free_failures` consecutive failures are allowed, then the key is
/// locked for `base_lockout * 2^(failures - free_failures)`, at most
/// `max_lockout`; a key with no failure for `forget_after` starts over.
///
/// ```
/// use std::time::Duration;
/// use portcullis::ratelimit::lockout::LockoutPolicy;
///
/// let policy = LockoutPolicy::builder()
///     .free_failures(3)
///     .base_lockout(Duration::from_secs(30))
///     .max_lockout(Duration::from_secs(600))
///     .forget_after(Duration::from_secs(3600))
///     .build()?;
/// assert_eq!(policy.max_lockout(), Duration::from_secs(600));
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    free_failures: u32,
    base_lockout: Duration,
    max_lockout: Duration,
    forget_after: Duration,
    reset_on_success: bool,
}

/// Named settings for a [`LockoutPolicy`]; starts from [`LockoutPolicy::login`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct LockoutPolicyBuilder {
    policy: LockoutPolicy,
}

impl LockoutPolicyBuilder {
    /// Consecutive failures allowed before the first lock (at least 1).
    pub const fn free_failures(mut self, failures: u32) -> Self {
        self.policy.free_failures = failures;
        self
    }

    /// The first lock's length (more than zero, at most `max_lockout`).
    pub const fn base_lockout(mut self, lockout: Duration) -> Self {
        self.policy.base_lockout = lockout;
        self
    }

    /// The cap on any lock (at most [`MAX_LOCKOUT`]).
    pub const fn max_lockout(mut self, lockout: Duration) -> Self {
        self.policy.max_lockout = lockout;
        self
    }

    /// How long without a failure before the count starts over (at least
    /// `max_lockout`, at most a year).
    pub const fn forget_after(mut self, after: Duration) -> Self {
        self.policy.forget_after = after;
        self
    }

    /// Whether a success clears the count (as django-axes's
    /// `AXES_RESET_ON_SUCCESS` and NIST's "consecutive" failures ask) or leaves
    /// it to expire.
    pub const fn reset_on_success(mut self, reset: bool) -> Self {
        self.policy.reset_on_success = reset;
        self
    }

    /// The policy.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`], naming the setting, when one is out of
    /// its range.
    pub fn build(self) -> Result<LockoutPolicy, RateLimitError> {
        let p = self.policy;
        let invalid = |setting, expected| Err(RateLimitError::InvalidConfig { setting, expected });
        if p.free_failures == 0 {
            return invalid("free_failures", "at least 1");
        }
        if p.max_lockout > MAX_LOCKOUT {
            return invalid("max_lockout", "at most one day");
        }
        if p.base_lockout.is_zero() || p.base_lockout > p.max_lockout {
            return invalid("base_lockout", "more than zero and at most max_lockout");
        }
        if p.forget_after < p.max_lockout || p.forget_after > MAX_FORGET_AFTER {
            return invalid("forget_after", "at least max_lockout and at most a year");
        }
        Ok(p)
    }
}

impl LockoutPolicy {
    /// A builder starting from [`LockoutPolicy::login`]'s settings.
    pub const fn builder() -> LockoutPolicyBuilder {
        LockoutPolicyBuilder {
            policy: Self::login(),
        }
    }

    /// The seed profile per (username, network): 5 failures, then locked for 1
    /// minute, doubling with each further failure to 1 hour; forgotten after a day.
    pub const fn login() -> Self {
        Self {
            free_failures: 5,
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(3600),
            forget_after: Duration::from_secs(86_400),
            reset_on_success: true,
        }
    }

    /// Per network across usernames: 100 failures, then 1 minute doubling to 1
    /// hour; forgotten after a day. A success does not reset it, so one valid
    /// account cannot launder a password-spraying address.
    pub const fn per_ip() -> Self {
        Self {
            free_failures: NIST_MAX_CONSECUTIVE_FAILURES,
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(3600),
            forget_after: Duration::from_secs(86_400),
            reset_on_success: false,
        }
    }

    /// Per account across networks: NIST's ceiling of 100 consecutive
    /// (network-weighted) failures, then locked for 1 minute doubling to at most
    /// 15 minutes; forgotten after a day; a success clears it.
    pub const fn per_account() -> Self {
        Self {
            free_failures: NIST_MAX_CONSECUTIVE_FAILURES,
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(86_400),
            reset_on_success: true,
        }
    }

    /// Consecutive failures allowed before the first lock.
    pub const fn free_failures(&self) -> u32 {
        self.free_failures
    }

    /// The cap on any lock under this policy.
    pub const fn max_lockout(&self) -> Duration {
        self.max_lockout
    }

    /// Whether a login attempt may be made now.
    pub fn status(&self, state: Option<&FailureState>, now: UnixTime) -> LockoutStatus {
        let Some(state) = state.map(|s| self.current(s, now)) else {
            return LockoutStatus::Open;
        };
        let until = self.locked_until(&state);
        if until > now.as_nanos() {
            return LockoutStatus::Locked {
                retry_after: Duration::from_nanos(until - now.as_nanos()),
            };
        }
        LockoutStatus::Open
    }

    /// The state after a failed attempt at `now`.
    pub fn record_failure(&self, state: Option<&FailureState>, now: UnixTime) -> FailureState {
        let now_ns = now.as_nanos();
        let previous = state.map(|s| self.current(s, now)).unwrap_or_default();
        let failures = previous.failures.saturating_add(1);
        let previous_lock = self.locked_until(&previous);
        let locked_until = match failures.checked_sub(self.free_failures) {
            Some(doublings) => {
                let lockout = self.lockout_for(doublings);
                let lockout = u64::try_from(lockout.as_nanos()).unwrap_or(u64::MAX);
                now_ns.saturating_add(lockout).max(previous_lock)
            }
            None => previous_lock,
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
                .max(self.locked_until(state)),
        )
    }

    /// The end of `state`'s lock, never more than `max_lockout` after its last
    /// failure: a stored "until the end of time" (older versions, a tampered
    /// value) is read as the cap.
    fn locked_until(&self, state: &FailureState) -> u64 {
        let cap = u64::try_from(self.max_lockout.as_nanos()).unwrap_or(u64::MAX);
        state
            .locked_until
            .min(state.last_failure.saturating_add(cap))
    }

    fn lockout_for(&self, doublings: u32) -> Duration {
        let factor = 1u32.checked_shl(doublings).unwrap_or(u32::MAX);
        self.base_lockout
            .checked_mul(factor)
            .unwrap_or(self.max_lockout)
            .min(self.max_lockout)
    }

    /// `state`, or a fresh one if it has been forgotten by `now`, or if its last
    /// failure lies more than `max_lockout` after `now` (a foreign clock or a
    /// damaged value; read as fresh so it cannot hold a lock that keeps moving).
    fn current(&self, state: &FailureState, now: UnixTime) -> FailureState {
        let cap = u64::try_from(self.max_lockout.as_nanos()).unwrap_or(u64::MAX);
        let far_future = state.last_failure > now.as_nanos().saturating_add(cap);
        if far_future || self.expires_at(state) <= now {
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
    /// Locked: try again after `retry_after` (never more than the policy's cap).
    Locked {
        /// How long until the lockout ends.
        retry_after: Duration,
    },
}

impl LockoutStatus {
    /// The stricter of two statuses.
    #[must_use]
    pub fn max(self, other: Self) -> Self {
        match (self, other) {
            (Self::Open, s) | (s, Self::Open) => s,
            (Self::Locked { retry_after: a }, Self::Locked { retry_after: b }) => Self::Locked {
                retry_after: a.max(b),
            },
        }
    }

    /// Whether attempts are allowed.
    pub const fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
}

/// A key's failure record: 20 bytes, absolute Unix time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FailureState {
    /// Consecutive failures.
    failures: u32,
    /// Last failure, Unix nanoseconds.
    last_failure: u64,
    /// Locked until, Unix nanoseconds (read no later than the policy's cap after
    /// the last failure).
    locked_until: u64,
}

impl FailureState {
    /// The size of [`FailureState::to_bytes`].
    pub const BYTES: usize = 20;

    /// Consecutive failures counted.
    pub const fn failures(&self) -> u32 {
        self.failures
    }

    /// The last failure's time (a bounded table evicts the oldest first).
    pub const fn last_failure(&self) -> UnixTime {
        UnixTime::from_nanos(self.last_failure)
    }

    /// The fixed-size byte form: failures, last failure, locked until (big-endian).
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        BeWriter::new()
            .u32(self.failures)
            .u64(self.last_failure)
            .u64(self.locked_until)
            .finish()
    }

    /// Reads [`FailureState::to_bytes`]; every value is a valid state.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> Self {
        let mut reader = BeReader::new(&bytes);
        Self {
            failures: reader.u32().unwrap_or_default(),
            last_failure: reader.u64().unwrap_or_default(),
            locked_until: reader.u64().unwrap_or_default(),
        }
    }

    /// Reads a stored byte form of any length: exactly [`FailureState::BYTES`].
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidState`] for any other length.
    pub fn decode(bytes: &[u8]) -> Result<Self, RateLimitError> {
        codec::fixed(bytes, "lockout").map(Self::from_bytes)
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
            let LockoutStatus::Locked { retry_after: wait } = policy.status(state.as_ref(), at(t))
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
        let kept = LockoutPolicy::builder()
            .reset_on_success(false)
            .build()
            .unwrap();
        assert_eq!(kept.record_success(state.as_ref()), state);
        let forgotten = policy.record_failure(state.as_ref(), at(86_400 + 1));
        assert_eq!(forgotten.failures(), 1);
    }

    #[test]
    fn nist_ceiling_locks_the_account_for_a_capped_time() {
        let guard = LoginGuard::default();
        let mut states = LoginStates::default();
        // 100 failures spread over many networks: only the account state is shared.
        for i in 0..NIST_MAX_CONSECUTIVE_FAILURES {
            let now = at(u64::from(i) * 60);
            assert!(guard.account.status(states.account.as_ref(), now).is_open());
            let fresh_network = LoginStates {
                account: states.account,
                ..LoginStates::default()
            };
            states = guard.record_failure(&fresh_network, now);
        }
        let last = at(99 * 60);
        assert_eq!(
            guard.status(&states, last),
            LockoutStatus::Locked {
                retry_after: Duration::from_secs(60)
            }
        );
        assert!(guard.status(&states, at(100 * 60)).is_open());
        // The host's unlock and a stronger factor's success both clear it.
        assert!(guard.status(&guard.unlock(&states), last).is_open());
        assert!(guard.status(&guard.record_success(&states), last).is_open());
    }

    #[test]
    fn one_network_weighs_at_most_its_share_of_the_account() {
        let guard = LoginGuard::default();
        let mut states = LoginStates::default();
        for i in 0..1_000 {
            states = guard.record_failure(&states, at(i * 86));
        }
        let account = states.account.unwrap();
        assert_eq!(account.failures(), guard.per_network_failures);
    }

    #[test]
    fn a_stored_lock_never_outlasts_the_cap() {
        let policy = LockoutPolicy::per_account();
        let forever = FailureState {
            failures: u32::MAX,
            last_failure: at(0).as_nanos(),
            locked_until: u64::MAX,
        };
        assert_eq!(
            policy.status(Some(&forever), at(0)),
            LockoutStatus::Locked {
                retry_after: Duration::from_secs(15 * 60)
            }
        );
        assert!(policy.status(Some(&forever), at(15 * 60)).is_open());
        assert!(policy.expires_at(&forever) <= at(86_400));
        // A last failure far ahead of the clock cannot hold a lock either.
        let ahead = FailureState {
            last_failure: at(86_400).as_nanos(),
            ..forever
        };
        assert!(policy.status(Some(&ahead), at(0)).is_open());
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
        let build = |free, base, max, forget| {
            LockoutPolicy::builder()
                .free_failures(free)
                .base_lockout(base)
                .max_lockout(max)
                .forget_after(forget)
                .build()
        };
        assert!(build(0, minute, minute, minute).is_err());
        assert!(build(1, Duration::ZERO, minute, minute).is_err());
        assert!(build(1, minute * 2, minute, minute).is_err());
        assert!(build(1, minute, minute * 2, minute).is_err());
        assert!(build(1, minute, MAX_LOCKOUT * 2, MAX_LOCKOUT * 2).is_err());
        assert!(build(1, minute, minute, Duration::MAX).is_err());
        let huge = build(1, Duration::from_secs(1), MAX_LOCKOUT, MAX_FORGET_AFTER).unwrap();
        let mut state = None;
        for _ in 0..200 {
            state = Some(huge.record_failure(state.as_ref(), UnixTime::from_nanos(u64::MAX - 1)));
        }
    }

    #[test]
    fn twenty_networks_never_lock_the_account_beyond_the_cap() {
        let guard = LoginGuard::default();
        let cap = Duration::from_secs(15 * 60);
        let mut account = None;
        let mut pairs = [None; 20];
        let mut t = 0;
        // Twenty client keys, each failing as fast as its own lock allows, for a day.
        while t < 86_400 {
            for pair in &mut pairs {
                let states = LoginStates {
                    pair: *pair,
                    ip: None,
                    account,
                };
                let next = guard.record_failure(&states, at(t));
                *pair = next.pair;
                account = next.account;
                match guard.account.status(account.as_ref(), at(t)) {
                    LockoutStatus::Open => {}
                    LockoutStatus::Locked { retry_after: wait } => {
                        assert!(wait <= cap, "locked for {wait:?} at {t}");
                    }
                }
            }
            t += 7;
        }
        // The attack stops: the account opens within the cap.
        let after = at(t + cap.as_secs());
        assert!(guard.account.status(account.as_ref(), after).is_open());
    }
}
