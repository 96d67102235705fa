//! The three counters of a login endpoint together.

use serde::{Deserialize, Serialize};

use super::{FailureState, LockoutPolicy, LockoutStatus};
use crate::clock::UnixTime;
use crate::observe::{self, LockoutRelease};

/// The three policies of a login endpoint, and the keys their states live under.
///
/// Start from [`LoginGuard::default`] and change the fields you need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginGuard {
    /// Per (username, network).
    pub pair: LockoutPolicy,
    /// Per network.
    pub ip: LockoutPolicy,
    /// Per account.
    pub account: LockoutPolicy,
    /// How many of one network's consecutive failures on an account count
    /// against the account (default 10): the account's count is weighted by
    /// distinct source networks.
    pub per_network_failures: u32,
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
            per_network_failures: 10,
        }
    }
}

impl LoginGuard {
    /// The storage keys for `username` from `ip` (a [`ClientKey`](crate::ratelimit::ClientKey)
    /// string, so IPv6 is grouped by network): `(pair, ip, account)`.
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
    ///
    /// The account's count moves only while the pair's (this network's failures
    /// on this account) is at most [`LoginGuard::per_network_failures`].
    pub fn record_failure(&self, states: &LoginStates, now: UnixTime) -> LoginStates {
        let pair = self.pair.record_failure(states.pair.as_ref(), now);
        let account = if pair.failures() <= self.per_network_failures {
            Some(self.account.record_failure(states.account.as_ref(), now))
        } else {
            states.account
        };
        let next = LoginStates {
            pair: Some(pair),
            ip: Some(self.ip.record_failure(states.ip.as_ref(), now)),
            account,
        };
        self.report_engaged(states, &next, now);
        next
    }

    /// Reports a failure that turned an open login into a locked one.
    fn report_engaged(&self, before: &LoginStates, after: &LoginStates, now: UnixTime) {
        if !observe::ENABLED || !self.status(before, now).is_open() {
            return;
        }
        if let LockoutStatus::Locked { retry_after } = self.status(after, now) {
            observe::lockout_engaged(retry_after);
        }
    }

    /// The host's "unlock" call (an administrator or a support flow): the
    /// account's and the pair's counts are cleared, the network's is kept (so an
    /// unlock does not launder a spraying address).
    pub fn unlock(&self, states: &LoginStates) -> LoginStates {
        observe::lockout_released(LockoutRelease::Unlock);
        LoginStates {
            pair: None,
            ip: states.ip,
            account: None,
        }
    }

    /// The states to store after a success, each per its policy's
    /// reset-on-success setting (by default the pair and the account are
    /// cleared and the IP's count is kept).
    pub fn record_success(&self, states: &LoginStates) -> LoginStates {
        let next = LoginStates {
            pair: self.pair.record_success(states.pair.as_ref()),
            ip: self.ip.record_success(states.ip.as_ref()),
            account: self.account.record_success(states.account.as_ref()),
        };
        if next != *states {
            observe::lockout_released(LockoutRelease::Success);
        }
        next
    }
}
