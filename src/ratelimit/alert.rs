//! Alert detectors: "more than N events within W", globally or per key, built on
//! the rate algorithms.
//!
//! A detector counts events (an invalid token, a refresh attempt) with a rate
//! algorithm under the rate `N per W`: the event the algorithm refuses is the
//! `N+1`-th within the window, and the detector returns an [`Alert`] the host logs
//! or pages on. It fires **once**: further events over the threshold keep it
//! firing silently, and it **re-arms** only after a whole window has passed
//! quietly (no event over the threshold), so a sustained attack pages once and a
//! second attack after a calm pages again.
//!
//! The counting is the algorithm's: [`FixedWindow`](super::FixedWindow) counts
//! exactly within epoch-aligned windows ("per minute" as a clock shows it);
//! [`SlidingLog`](super::SlidingLog) counts exactly within any window of length W,
//! at the cost of up to N timestamps per key; [`SlidingWindow`](super::SlidingWindow)
//! estimates in fixed size; GCRA and the token bucket measure a sustained rate
//! rather than a count, so they fire on a burst of N+1 only when it arrives at once.
//!
//! Everything is pure over an injected `now`: [`AlertPolicy::observe`] is the step
//! over an [`AlertState`] the host may keep anywhere ([`Alerting`] gives it the
//! byte codec of every algorithm); [`AlertCounter`] holds one state (a global
//! rule), [`KeyedAlerts`] one per key in a bounded [`KeyedLimiter`]. The two rules
//! the replaced services page on are bundled: [`InvalidTokenAlerts`] (global and
//! per client, per minute) and [`RefreshAlerts`] (per refresh family and per user).
//!
//! With the `tracing` or `metrics` feature a fired alert is also reported
//! ([`crate::observe`]): the event `portcullis.alert.fired` (rule, key, threshold,
//! window) and the counter `portcullis_alerts_total` labelled by rule only.
//!
//! ```
//! use std::time::Duration;
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::alert::{AlertCounter, AlertPolicy, AlertRule};
//! use portcullis::ratelimit::SlidingLog;
//!
//! let policy = AlertPolicy::new(AlertRule::InvalidTokens, 3, Duration::from_secs(60))?;
//! let counter: AlertCounter<SlidingLog> = AlertCounter::new(policy);
//! let now = UnixTime::from_secs(1_800_000_000).unwrap();
//! for _ in 0..3 {
//!     assert!(counter.observe(now).is_none()); // up to N: quiet
//! }
//! let alert = counter.observe(now).expect("the N+1-th event fires");
//! assert_eq!(alert.rule.name(), "invalid_tokens");
//! assert!(counter.observe(now).is_none()); // fires once
//! # Ok::<(), portcullis::ratelimit::RateLimitError>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::algorithm::{Algorithm, Decision};
use super::state::KeyedStore;
use super::{KeyedLimiter, KeyedLimiterConfig, Rate, RateLimitError};
use crate::clock::UnixTime;
use crate::store::StoreError;

/// Which rule an alert comes from; [`AlertRule::name`] is its stable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertRule {
    /// Invalid (refused) tokens over all clients.
    InvalidTokens,
    /// Invalid tokens from one client (a [`ClientKey`](super::ClientKey)).
    InvalidTokensPerClient,
    /// Refresh attempts within one refresh family.
    RefreshAttemptsPerFamily,
    /// Refresh attempts for one user.
    RefreshAttemptsPerUser,
}

impl AlertRule {
    /// The stable name, for log fields and paging rules.
    pub const fn name(self) -> &'static str {
        match self {
            Self::InvalidTokens => "invalid_tokens",
            Self::InvalidTokensPerClient => "invalid_tokens_per_client",
            Self::RefreshAttemptsPerFamily => "refresh_attempts_per_family",
            Self::RefreshAttemptsPerUser => "refresh_attempts_per_user",
        }
    }
}

/// An alert: `rule` saw more than `threshold` events within `window`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Alert {
    /// The rule that fired.
    pub rule: AlertRule,
    /// The key the events were counted under (client, family or user id); `None`
    /// for a global rule.
    pub key: Option<String>,
    /// N: the alert fired on the event after the N-th.
    pub threshold: u32,
    /// W: the window the events were counted in.
    pub window: Duration,
    /// When the alert fired (the event's `now`).
    pub at: UnixTime,
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "alert {}", self.rule.name())?;
        if let Some(key) = &self.key {
            write!(f, " for {key}")?;
        }
        write!(
            f,
            ": more than {} events within {} s",
            self.threshold,
            self.window.as_secs()
        )
    }
}

/// A rule and its threshold: more than `threshold` events within `window` alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertPolicy {
    rule: AlertRule,
    rate: Rate,
}

impl AlertPolicy {
    /// Alerts on the event after the `threshold`-th within `window`.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] for a threshold of 0, or a window that is
    /// not a whole number of seconds from 1 to 2^32 - 1.
    pub fn new(rule: AlertRule, threshold: u32, window: Duration) -> Result<Self, RateLimitError> {
        let limit = NonZeroU32::new(threshold).ok_or(RateLimitError::InvalidConfig {
            setting: "alert threshold",
            expected: "1 to 4294967295 events",
        })?;
        let secs = u32::try_from(window.as_secs())
            .ok()
            .and_then(NonZeroU32::new)
            .filter(|_| window.subsec_nanos() == 0)
            .ok_or(RateLimitError::InvalidConfig {
                setting: "alert window",
                expected: "whole seconds from 1 to 4294967295",
            })?;
        Ok(Self {
            rule,
            rate: Rate::new(limit, secs),
        })
    }

    /// The rule.
    pub const fn rule(&self) -> AlertRule {
        self.rule
    }

    /// The rate `threshold per window` the events are counted under.
    pub const fn rate(&self) -> &Rate {
        &self.rate
    }

    /// The state of a detector that has seen nothing: armed, count zero.
    pub fn fresh<A: Algorithm>(&self, now: UnixTime) -> AlertState<A::State> {
        AlertState {
            counter: A::fresh(&self.rate, now),
            quiet_at: ARMED,
        }
    }

    /// Counts one event at `now` for `key` (`None` for a global rule): the pure
    /// step. Returns the alert when this event is the first over the threshold
    /// since the detector was (re-)armed.
    pub fn observe<A: Algorithm>(
        &self,
        key: Option<&str>,
        state: &mut AlertState<A::State>,
        now: UnixTime,
    ) -> Option<Alert> {
        let was_armed = !state.is_firing(now);
        let over = Alerting::<A>::apply(&self.rate, state, now, 1).is_ok_and(|d| !d.allowed);
        let alert = (was_armed && over).then(|| Alert {
            rule: self.rule,
            key: key.map(str::to_owned),
            threshold: self.rate.limit(),
            window: self.rate.period(),
            at: now,
        })?;
        // Every detector fires through here, once per alert (a fresh state never
        // fires: the threshold is at least 1), so a report is never lost or doubled.
        crate::observe::alert_fired(
            alert.rule.name(),
            alert.key.as_deref(),
            alert.threshold,
            alert.window,
        );
        Some(alert)
    }
}

/// `quiet_at` of an armed detector.
const ARMED: u64 = 0;

/// A detector's state: the counting algorithm's state, and while firing the time
/// from which it re-arms. Portable like every rate-limit state (serde, and the
/// byte codec of [`Alerting`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState<S> {
    counter: S,
    /// Unix nanoseconds from which the detector re-arms; [`ARMED`] when armed.
    quiet_at: u64,
}

impl<S> AlertState<S> {
    /// Whether an alert has fired and the window has not yet passed quietly.
    pub const fn is_firing(&self, now: UnixTime) -> bool {
        self.quiet_at != ARMED && now.as_nanos() < self.quiet_at
    }
}

/// The counting algorithm `A` as an alert detector: its state is an
/// [`AlertState`], a refusal is an event over the threshold. This is what lets
/// [`KeyedLimiter`] hold alert state and the sans-I/O
/// [`rate_limit_step`](super::state::rate_limit_step) store it as bytes (the
/// algorithm's bytes, then the big-endian re-arm time).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Alerting<A>(PhantomData<fn() -> A>);

impl<A: Algorithm> Algorithm for Alerting<A> {
    type State = AlertState<A::State>;

    fn fresh(rate: &Rate, now: UnixTime) -> Self::State {
        AlertState {
            counter: A::fresh(rate, now),
            quiet_at: ARMED,
        }
    }

    /// Counts `cost` events (0 peeks): refused when they go over the threshold,
    /// which (re)starts the quiet window.
    fn apply(
        rate: &Rate,
        state: &mut Self::State,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        if !state.is_firing(now) {
            state.quiet_at = ARMED;
        }
        let decision = A::apply(rate, &mut state.counter, now, cost)?;
        if !decision.allowed && cost > 0 {
            state.quiet_at = now.as_nanos().saturating_add(rate.period_ns()).max(1);
        }
        Ok(decision)
    }

    /// The later of the count's expiry and the re-arm time.
    fn expires_at(rate: &Rate, state: &Self::State) -> UnixTime {
        A::expires_at(rate, &state.counter).max(UnixTime::from_nanos(state.quiet_at))
    }

    fn encode(state: &Self::State) -> Vec<u8> {
        let mut bytes = A::encode(&state.counter);
        bytes.extend_from_slice(&state.quiet_at.to_be_bytes());
        bytes
    }

    fn decode(rate: &Rate, bytes: &[u8]) -> Result<Self::State, RateLimitError> {
        let (counter, quiet_at) =
            bytes
                .split_last_chunk::<8>()
                .ok_or(RateLimitError::InvalidState {
                    algorithm: "alert",
                    reason: "shorter than its 8-byte re-arm time",
                })?;
        Ok(AlertState {
            counter: A::decode(rate, counter)?,
            quiet_at: u64::from_be_bytes(*quiet_at),
        })
    }
}

/// One detector state behind a lock: a global rule.
pub struct AlertCounter<A: Algorithm> {
    policy: AlertPolicy,
    state: Mutex<Option<AlertState<A::State>>>,
}

impl<A: Algorithm> fmt::Debug for AlertCounter<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertCounter")
            .field("algorithm", &std::any::type_name::<A>())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<A: Algorithm> AlertCounter<A> {
    /// An armed detector for `policy`.
    pub const fn new(policy: AlertPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(None),
        }
    }

    /// The policy.
    pub const fn policy(&self) -> &AlertPolicy {
        &self.policy
    }

    /// Counts one event at `now`; the alert when it is the first over the threshold.
    pub fn observe(&self, now: UnixTime) -> Option<Alert> {
        // A poisoned lock still guards a whole state: every update is one assignment.
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = guard.get_or_insert_with(|| self.policy.fresh::<A>(now));
        self.policy.observe::<A>(None, state, now)
    }
}

/// One detector per key (client, family, user), with bounded memory.
///
/// **Memory bound and eviction.** States live in a [`KeyedLimiter`] holding at most
/// `max_keys` keys (rounded up to a multiple of its shards). A key's state is
/// dropped once it no longer matters: its count has expired and it is not firing
/// (a whole window passed quietly), exactly when a fresh state would answer the
/// same. When a new key arrives at a shard full of states that still matter,
/// expired ones are evicted first; if none has expired the new key is not tracked
/// and [`KeyedAlerts::observe`] returns [`StoreError::full`]. Live keys are never
/// evicted, so flooding the table with new keys cannot reset a key's count; pair a
/// per-key rule with a global one, which counts every event whatever the table holds.
pub struct KeyedAlerts<A: Algorithm> {
    policy: AlertPolicy,
    states: KeyedLimiter<String, Alerting<A>>,
}

impl<A: Algorithm> fmt::Debug for KeyedAlerts<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedAlerts")
            .field("policy", &self.policy)
            .field("states", &self.states)
            .finish()
    }
}

impl<A: Algorithm> KeyedAlerts<A> {
    /// A detector per key for `policy`, holding at most `config.max_keys` keys
    /// (`config.at_capacity` is not used: a key with no room is reported).
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when `max_keys` or `shards` is out of range.
    pub fn new(policy: AlertPolicy, config: KeyedLimiterConfig) -> Result<Self, RateLimitError> {
        Ok(Self {
            policy,
            states: KeyedLimiter::new(policy.rate, config)?,
        })
    }

    /// The policy.
    pub const fn policy(&self) -> &AlertPolicy {
        &self.policy
    }

    /// Counts one event for `key` at `now`; the alert when it is the key's first
    /// over the threshold.
    ///
    /// # Errors
    ///
    /// [`StoreError::full`] when `key` is new and the table has no room for it.
    pub fn observe(&self, key: &str, now: UnixTime) -> Result<Option<Alert>, StoreError> {
        self.states.update(&key.to_owned(), now, |state| {
            let mut next = state
                .cloned()
                .unwrap_or_else(|| self.policy.fresh::<A>(now));
            let alert = self.policy.observe::<A>(Some(key), &mut next, now);
            (alert, Some(next))
        })
    }

    /// The number of keys held (states that no longer matter included until evicted).
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Drops every state that no longer matters at `now`; returns how many.
    pub fn sweep(&self, now: UnixTime) -> usize {
        self.states.sweep(now)
    }
}

/// "Invalid tokens per minute over N", over all clients and per client.
#[derive(Debug)]
pub struct InvalidTokenAlerts<A: Algorithm> {
    global: AlertCounter<A>,
    per_client: KeyedAlerts<A>,
}

impl<A: Algorithm> InvalidTokenAlerts<A> {
    /// Alerts past `global_per_minute` invalid tokens a minute over all clients and
    /// past `client_per_minute` from one client, tracking at most
    /// `config.max_keys` clients.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] for a threshold of 0 or a bad `config`.
    pub fn per_minute(
        global_per_minute: u32,
        client_per_minute: u32,
        config: KeyedLimiterConfig,
    ) -> Result<Self, RateLimitError> {
        let minute = Duration::from_secs(60);
        Ok(Self {
            global: AlertCounter::new(AlertPolicy::new(
                AlertRule::InvalidTokens,
                global_per_minute,
                minute,
            )?),
            per_client: KeyedAlerts::new(
                AlertPolicy::new(AlertRule::InvalidTokensPerClient, client_per_minute, minute)?,
                config,
            )?,
        })
    }

    /// Counts one invalid token at `now`, from `client` when known (the
    /// [`ClientKey`](super::ClientKey)'s text); the alerts it fires (none, the
    /// global one, the client's, or both). A client with no room in the table is
    /// counted globally only.
    pub fn observe(&self, client: Option<&str>, now: UnixTime) -> Vec<Alert> {
        let global = self.global.observe(now);
        let client = client.and_then(|key| self.per_client.observe(key, now).ok().flatten());
        global.into_iter().chain(client).collect()
    }

    /// The per-client detector (its size, [`KeyedAlerts::sweep`]).
    pub const fn per_client(&self) -> &KeyedAlerts<A> {
        &self.per_client
    }
}

/// "More than N refresh attempts for one family or user within W".
#[derive(Debug)]
pub struct RefreshAlerts<A: Algorithm> {
    per_family: KeyedAlerts<A>,
    per_user: KeyedAlerts<A>,
}

impl<A: Algorithm> RefreshAlerts<A> {
    /// Alerts past `threshold` refresh attempts within `window`, per family and per
    /// user, each tracking at most `config.max_keys` keys.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] for a bad threshold, window or `config`.
    pub fn new(
        threshold: u32,
        window: Duration,
        config: KeyedLimiterConfig,
    ) -> Result<Self, RateLimitError> {
        let rule = |rule| AlertPolicy::new(rule, threshold, window);
        Ok(Self {
            per_family: KeyedAlerts::new(rule(AlertRule::RefreshAttemptsPerFamily)?, config)?,
            per_user: KeyedAlerts::new(rule(AlertRule::RefreshAttemptsPerUser)?, config)?,
        })
    }

    /// Counts one refresh attempt at `now` for the token's `family` and `user` (each
    /// when known); the alerts it fires.
    ///
    /// # Errors
    ///
    /// [`StoreError::full`] when a key is new and its table has no room; the other
    /// key is still counted.
    pub fn observe(
        &self,
        family: Option<&str>,
        user: Option<&str>,
        now: UnixTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let family = family.map(|key| self.per_family.observe(key, now));
        let user = user.map(|key| self.per_user.observe(key, now));
        let mut alerts = Vec::new();
        for answer in [family, user].into_iter().flatten() {
            alerts.extend(answer?);
        }
        Ok(alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::{FixedWindow, SlidingLog};

    fn at(secs: u64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap_or_default()
    }

    #[test]
    fn bad_thresholds_and_windows_are_refused() {
        let rule = AlertRule::InvalidTokens;
        assert!(AlertPolicy::new(rule, 0, Duration::from_secs(60)).is_err());
        assert!(AlertPolicy::new(rule, 1, Duration::ZERO).is_err());
        assert!(AlertPolicy::new(rule, 1, Duration::from_millis(1500)).is_err());
        assert!(AlertPolicy::new(rule, 1, Duration::from_secs(1 << 33)).is_err());
        assert!(AlertPolicy::new(rule, 1, Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn alert_state_round_trips_through_bytes() {
        let policy = AlertPolicy::new(AlertRule::InvalidTokens, 1, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut state = policy.fresh::<SlidingLog>(at(1_000));
        policy.observe::<SlidingLog>(None, &mut state, at(1_000));
        assert!(
            policy
                .observe::<SlidingLog>(None, &mut state, at(1_001))
                .is_some()
        );
        let bytes = Alerting::<SlidingLog>::encode(&state);
        assert_eq!(
            Alerting::<SlidingLog>::decode(policy.rate(), &bytes),
            Ok(state)
        );
        assert!(Alerting::<FixedWindow>::decode(policy.rate(), &[1, 2, 3]).is_err());
    }
}
