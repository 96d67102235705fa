//! Login lockout in Redis: the three counters of the core's [`LoginGuard`]
//! (per user and network, per network, per account).
//!
//! Each counter is its own key, updated by the core's [`lockout_step`] inside
//! the compare-and-swap, so concurrent failures are all counted. The pair and
//! network keys share the network's slot; the account key is in the user's.
//! A failure updates the pair first and moves the account only while the
//! pair's new count is within [`LoginGuard::per_network_failures`], as the
//! core's guard does.

use portcullis::clock::UnixTime;
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
        let (pair_failures, ()) =
            tokio::try_join!(self.step(&pair, &guard.pair, now, true), async {
                self.step(&ip_key, &guard.ip, now, true).await.map(drop)
            },)?;
        if pair_failures.is_some_and(|n| n <= guard.per_network_failures) {
            self.step(&account, &guard.account, now, true).await?;
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
        tokio::try_join!(
            self.step(&pair, &guard.pair, now, false),
            self.step(&ip_key, &guard.ip, now, false),
            self.step(&account, &guard.account, now, false),
        )?;
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
        Ok(())
    }

    /// One key's lockout step; returns the failure count it stored, if any.
    async fn step(
        &self,
        key: &str,
        policy: &LockoutPolicy,
        now: UnixTime,
        failed: bool,
    ) -> Result<Option<u32>, Error> {
        self.update(key, now, |stored| {
            let write = lockout_step(policy, stored, now, failed).map_err(Error::Corrupt)?;
            let failures = match &write {
                Write::Put { bytes, .. } => Some(decode(bytes)?.failures()),
                Write::Keep => stored.map(decode).transpose()?.map(|s| s.failures()),
                Write::Delete => None,
            };
            Ok((failures, write))
        })
        .await
    }
}
