//! Login lockout in Redis: the three counters of the core's [`LoginGuard`]
//! (per user and network, per network, per account).
//!
//! Each counter is its own key, updated by the core's [`lockout_step`] inside
//! the compare-and-swap, so concurrent failures are all counted. The pair and
//! network keys share the network's slot; the account key is in the user's.
//! A failure updates the pair first and moves the account only while the
//! pair's new count is within [`LoginGuard::per_network_failures`], as the
//! core's guard does. With the core's `tracing` or `metrics` feature the
//! engagements and releases are reported as [`LoginGuard`] reports them
//! (`portcullis.lockout.engaged` / `.released`, `portcullis_lockouts_total`).

use portcullis::clock::UnixTime;
use portcullis::observe::{self, LockoutRelease};
use portcullis::ratelimit::lockout::{
    FailureState, LockoutPolicy, LockoutStatus, LoginGuard, LoginStates,
};
use portcullis::ratelimit::state::{Write, lockout_step};

use crate::error::Error;
use crate::stores::RedisStores;

/// A stored failure state, or [`Error::Corrupt`].
fn decode(bytes: &[u8]) -> Result<FailureState, Error> {
    FailureState::decode(bytes).map_err(Error::Corrupt)
}

/// One key's state before and after a step.
type Change = (Option<FailureState>, Option<FailureState>);

/// The three keys' states before (`.0`) and after (`.1`) an attempt.
fn states(pair: Change, ip: Change, account: Change) -> (LoginStates, LoginStates) {
    let states = |pick: fn(Change) -> Option<FailureState>| LoginStates {
        pair: pick(pair),
        ip: pick(ip),
        account: pick(account),
    };
    (states(|c| c.0), states(|c| c.1))
}

impl RedisStores {
    /// The stored states of `username` from `ip` (a `ClientKey` string).
    ///
    /// # Errors
    /// [`Error::Corrupt`] or the Redis failure (no failure mode: see
    /// [`RedisStores::check_login`]).
    pub async fn login_states(&self, username: &str, ip: &str) -> Result<LoginStates, Error> {
        let [pair, ip_key, account] = self.options().layout().lockout(username, ip);
        let (pair, ip, account) =
            tokio::try_join!(self.get(&pair), self.get(&ip_key), self.get(&account))?;
        let state = |v: Option<Vec<u8>>| v.as_deref().map(decode).transpose();
        Ok(LoginStates {
            pair: state(pair)?,
            ip: state(ip)?,
            account: state(account)?,
        })
    }

    /// Whether `username` may try to log in from `ip` now; a Redis failure
    /// takes the lockout's failure mode (closed by default: the host answers 503).
    ///
    /// # Errors
    /// With [`FailureMode::Closed`](crate::FailureMode::Closed), the failure.
    pub async fn check_login(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<LockoutStatus, Error> {
        let states = match self.login_states(username, ip).await {
            Ok(states) => states,
            Err(e) => self.fail(self.options().lockout_failure(), e, LoginStates::default())?,
        };
        Ok(guard.status(&states, now))
    }

    /// Counts a failed login of `username` from `ip` under the guard's keys.
    ///
    /// # Errors
    /// [`Error::Corrupt`] or the Redis failure (a failure that cannot be
    /// recorded is reported whatever the mode).
    pub async fn record_login_failure(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<(), Error> {
        let [pair, ip_key, account] = self.options().layout().lockout(username, ip);
        let (pair_change, ip_change) = tokio::try_join!(
            self.step(&pair, &guard.pair, now, true),
            self.step(&ip_key, &guard.ip, now, true),
        )?;
        let pair_failures = pair_change.1.map(|s| s.failures());
        let account_change = if pair_failures.is_some_and(|n| n <= guard.per_network_failures) {
            Some(self.step(&account, &guard.account, now, true).await?)
        } else {
            None
        };
        if observe::ENABLED {
            // The account's state, when not moved, only to tell whether this
            // failure is what locked the login (as `LoginGuard` reports it).
            let account_change = match account_change {
                Some(change) => change,
                None => {
                    let stored = self.get(&account).await?;
                    let state = stored.as_deref().map(decode).transpose()?;
                    (state, state)
                }
            };
            let (before, after) = states(pair_change, ip_change, account_change);
            if guard.status(&before, now).is_open()
                && let LockoutStatus::Locked { retry_after } = guard.status(&after, now)
            {
                observe::lockout_engaged(retry_after);
            }
        }
        Ok(())
    }

    /// Records a successful login: each key is cleared or kept per its policy.
    ///
    /// # Errors
    /// [`Error::Corrupt`] or the Redis failure.
    pub async fn record_login_success(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<(), Error> {
        let [pair, ip_key, account] = self.options().layout().lockout(username, ip);
        let changes = tokio::try_join!(
            self.step(&pair, &guard.pair, now, false),
            self.step(&ip_key, &guard.ip, now, false),
            self.step(&account, &guard.account, now, false),
        )?;
        let (before, after) = states(changes.0, changes.1, changes.2);
        if before != after {
            observe::lockout_released(LockoutRelease::Success);
        }
        Ok(())
    }

    /// An administrator's unlock: the pair and account counts are deleted, the
    /// network's kept (as [`LoginGuard::unlock`]).
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn unlock_login(&self, username: &str, ip: &str) -> Result<(), Error> {
        let [pair, _, account] = self.options().layout().lockout(username, ip);
        // One key per command: the two keys are in different slots.
        let (mut del_pair, mut del_account) = (redis::cmd("DEL"), redis::cmd("DEL"));
        del_pair.arg(&pair);
        del_account.arg(&account);
        let (_, _): (u64, u64) = tokio::try_join!(self.query(&del_pair), self.query(&del_account))?;
        observe::lockout_released(LockoutRelease::Unlock);
        Ok(())
    }

    /// One key's lockout step; returns the key's state before and after it.
    async fn step(
        &self,
        key: &str,
        policy: &LockoutPolicy,
        now: UnixTime,
        failed: bool,
    ) -> Result<Change, Error> {
        self.update(key, now, |stored| {
            let before = stored.map(decode).transpose()?;
            let write = lockout_step(policy, stored, now, failed).map_err(Error::Corrupt)?;
            let after = match &write {
                Write::Put { bytes, .. } => Some(decode(bytes)?),
                Write::Keep => before,
                Write::Delete => None,
            };
            Ok(((before, after), write))
        })
        .await
    }
}
