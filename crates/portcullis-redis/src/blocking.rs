//! The blocking flavour, for sync hosts: the core's sync seams over the same
//! stores.
//!
//! [`BlockingStores`] owns a one-thread tokio runtime that drives the async
//! stores' connection; each call blocks the calling thread only. Many threads
//! share one multiplexed, self-reconnecting connection (a broken connection is
//! dropped and replaced on the first failure, so a restarted Redis is used
//! again by itself). Calling it from inside an async runtime would stall that
//! runtime's thread, so it refuses with [`Error::InsideRuntime`]: use
//! [`RedisStores`] there.

use std::future::Future;

use portcullis::clock::UnixTime;
use portcullis::jose::dpop::{ReplayKey, ReplayStore, Seen};
use portcullis::ratelimit::lockout::{LockoutStatus, LoginGuard, LoginStates};
use portcullis::ratelimit::state::KeyedStore;
use portcullis::ratelimit::{Decision, Rate};
use portcullis::store::StoreError;
use portcullis::token::{Consumed, Lookup, Revocation, RevocationStore, Status};
use tokio::runtime::{Handle, Runtime};

use crate::config::Options;
use crate::error::Error;
use crate::inspect::{LiveKey, Selector};
use crate::ratelimit::StoredAlgorithm;
use crate::stores::RedisStores;

/// The stores for sync hosts: `RevocationStore`, `ReplayStore`, a
/// `KeyedStore` per rate ([`BlockingStores::limiter`]) and the lockout calls.
#[derive(Debug)]
pub struct BlockingStores {
    stores: RedisStores,
    runtime: Option<Runtime>,
}

impl Drop for BlockingStores {
    fn drop(&mut self) {
        // Never blocks, so dropping the stores inside an async context is fine.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn runtime() -> Result<Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("portcullis-redis")
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

impl BlockingStores {
    /// Blocking stores on one server at `url`.
    ///
    /// # Errors
    /// As [`RedisStores::connect`]; [`Error::InsideRuntime`] on an async thread.
    pub fn connect(url: &str, options: Options) -> Result<Self, Error> {
        let runtime = runtime()?;
        let stores = Self::enter(&runtime, RedisStores::connect(url, options))?;
        Ok(Self {
            stores,
            runtime: Some(runtime),
        })
    }

    /// Blocking stores on a Redis Cluster reached through any of `nodes`.
    ///
    /// # Errors
    /// As [`RedisStores::connect_cluster`]; [`Error::InsideRuntime`] on an async thread.
    pub fn connect_cluster(nodes: &[&str], options: Options) -> Result<Self, Error> {
        let runtime = runtime()?;
        let stores = Self::enter(&runtime, RedisStores::connect_cluster(nodes, options))?;
        Ok(Self {
            stores,
            runtime: Some(runtime),
        })
    }

    /// The async stores underneath (share them with async code in the same process).
    pub fn stores(&self) -> &RedisStores {
        &self.stores
    }

    fn enter<T, E: From<Error>>(
        runtime: &Runtime,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if Handle::try_current().is_ok() {
            return Err(Error::InsideRuntime.into());
        }
        runtime.block_on(call)
    }

    /// Runs one async store call to completion on the calling thread.
    fn block<T, E: From<Error>>(&self, call: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        match &self.runtime {
            Some(runtime) => Self::enter(runtime, call),
            None => Err(Error::InsideRuntime.into()),
        }
    }

    /// As [`RedisStores::rate_limit`].
    ///
    /// # Errors
    /// As [`RedisStores::rate_limit`].
    pub fn rate_limit<A: StoredAlgorithm>(
        &self,
        client: &str,
        endpoint: &str,
        rate: &Rate,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, Error> {
        self.block(
            self.stores
                .rate_limit::<A>(client, endpoint, rate, now, cost),
        )
    }

    /// The core's `KeyedStore` seam for `endpoint` under `rate` with algorithm
    /// `A`, keyed by client.
    pub fn limiter<'a, A: StoredAlgorithm>(
        &'a self,
        endpoint: &'a str,
        rate: Rate,
    ) -> RateLimitStore<'a, A> {
        RateLimitStore {
            stores: self,
            endpoint,
            rate,
            algorithm: std::marker::PhantomData,
        }
    }

    /// As [`RedisStores::login_states`].
    ///
    /// # Errors
    /// As [`RedisStores::login_states`].
    pub fn login_states(&self, username: &str, ip: &str) -> Result<LoginStates, Error> {
        self.block(self.stores.login_states(username, ip))
    }

    /// As [`RedisStores::check_login`].
    ///
    /// # Errors
    /// As [`RedisStores::check_login`].
    pub fn check_login(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<LockoutStatus, Error> {
        self.block(self.stores.check_login(guard, username, ip, now))
    }

    /// As [`RedisStores::record_login_failure`].
    ///
    /// # Errors
    /// As [`RedisStores::record_login_failure`].
    pub fn record_login_failure(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<(), Error> {
        self.block(self.stores.record_login_failure(guard, username, ip, now))
    }

    /// As [`RedisStores::record_login_success`].
    ///
    /// # Errors
    /// As [`RedisStores::record_login_success`].
    pub fn record_login_success(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<(), Error> {
        self.block(self.stores.record_login_success(guard, username, ip, now))
    }

    /// As [`RedisStores::list_keys`].
    ///
    /// # Errors
    /// As [`RedisStores::list_keys`].
    pub fn list_keys(&self, selector: Selector<'_>) -> Result<Vec<LiveKey>, Error> {
        self.block(self.stores.list_keys(selector))
    }

    /// As [`RedisStores::clear_keys`].
    ///
    /// # Errors
    /// As [`RedisStores::clear_keys`].
    pub fn clear_keys(&self, selector: Selector<'_>) -> Result<Vec<String>, Error> {
        self.block(self.stores.clear_keys(selector))
    }
}

/// One rate's state in Redis through the core's [`KeyedStore`] seam (key: the
/// client), from [`BlockingStores::limiter`].
#[derive(Debug)]
pub struct RateLimitStore<'a, A> {
    stores: &'a BlockingStores,
    endpoint: &'a str,
    rate: Rate,
    algorithm: std::marker::PhantomData<fn() -> A>,
}

impl<A: StoredAlgorithm> KeyedStore for RateLimitStore<'_, A> {
    type Key = str;
    type State = A::State;

    fn update<T>(
        &self,
        client: &str,
        now: UnixTime,
        update: impl FnMut(Option<&A::State>) -> (T, Option<A::State>),
    ) -> Result<T, StoreError> {
        let key = self
            .stores
            .stores
            .options()
            .layout()
            .rate_limit(client, self.endpoint);
        self.stores
            .block(
                self.stores
                    .stores
                    .update_state::<A, T>(&key, &self.rate, now, update),
            )
            .map_err(StoreError::from)
    }
}

impl RevocationStore for BlockingStores {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, StoreError> {
        self.block(self.stores.status_or_fail(token))
    }

    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError> {
        self.block(self.stores.consume_or_fail(token))
    }

    fn revoke(&self, revocation: Revocation) -> Result<(), StoreError> {
        self.block(async { Ok(self.stores.revoke(&revocation).await?) })
    }

    fn purge_expired(&self, _now: UnixTime) -> Result<usize, StoreError> {
        // Every entry carries its expiry as a Redis TTL: Redis purges them itself.
        Ok(0)
    }
}

/// The same stores, borrowed: a `TokenService<&BlockingStores>` leaves the
/// owner free to use them for rate limits and lockout too.
impl RevocationStore for &BlockingStores {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, StoreError> {
        (**self).status(token)
    }

    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError> {
        (**self).consume(token)
    }

    fn revoke(&self, revocation: Revocation) -> Result<(), StoreError> {
        (**self).revoke(revocation)
    }

    fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        (**self).purge_expired(now)
    }
}

impl ReplayStore for BlockingStores {
    fn check_and_insert(
        &self,
        key: &ReplayKey,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<Seen, StoreError> {
        self.block(async {
            match self.stores.check_replay(key, expires_at, now).await {
                Ok(seen) => Ok(seen),
                Err(e) => {
                    Ok(self
                        .stores
                        .fail(self.stores.options().replay_failure(), e, Seen::First)?)
                }
            }
        })
    }
}
