//! portcullis-redis behind the layers' async seams (feature `redis`).
//!
//! [`RedisStores`] is a [`RevocationCheck`] and [`RedisRateLimits`] is a
//! [`RateLimitStore`], so instances sharing one Redis share revocations and
//! rate limits. Every lookup is one of the stores' async round trips, bounded
//! by the stores' per-call timeout, so no runtime thread ever waits on Redis.
//! A failure takes the store's [`FailureMode`](portcullis_redis::FailureMode)
//! (both closed by default): closed, the layer answers 503 with its fixed body;
//! open, the token counts as not revoked or the request as admitted. When Redis
//! returns, the stores' connection reconnects by itself.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{Decision, Gcra, ResolvedLimit};
use portcullis::store::StoreError;
use portcullis::token::{Lookup, Status};
use portcullis_redis::{RedisStores, StoredAlgorithm};

use crate::{RateLimitStore, RevocationCheck};

/// The revocation keys every instance on the same Redis writes (logout, a
/// rotated-out refresh token, "log out everywhere"), read under the stores'
/// revocation failure mode.
impl RevocationCheck for RedisStores {
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send {
        self.status_or_fail(lookup)
    }
}

/// A [`RateTable`](portcullis::ratelimit::RateTable) counted in Redis with
/// algorithm `A` (any of the five), shared by every instance on the same
/// Redis.
///
/// The state of a client on a scope lives at portcullis-redis's
/// `ratelimit:{CLIENT}:SCOPE_HASH` key (the client in the hash tag, so a
/// cluster keeps one client's limits on one node, where the operator's
/// `portcullis ratelimit inspect` finds them); a Redis failure takes the
/// stores' rate-limit failure mode.
///
/// ```no_run
/// use portcullis::ratelimit::{Gcra, RateTable};
/// use portcullis_redis::{Options, RedisStores};
/// use portcullis_tower::{RateLimiter, RedisRateLimits};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let stores = RedisStores::connect("redis://127.0.0.1:6379/0", Options::new()).await?;
/// let table = RateTable::from_pairs([("oauth:start", "5/m")])?;
/// let limiter = RateLimiter::new(table, RedisRateLimits::<Gcra>::new(stores))?
///     .with_route("/oauth/start", "oauth:start")?;
/// # let _ = limiter;
/// # Ok(())
/// # }
/// ```
pub struct RedisRateLimits<A = Gcra> {
    stores: RedisStores,
    algorithm: PhantomData<fn() -> A>,
}

impl<A> RedisRateLimits<A> {
    /// Rate limits of algorithm `A` in `stores` (clones share the connection).
    pub fn new(stores: RedisStores) -> Self {
        Self {
            stores,
            algorithm: PhantomData,
        }
    }

    /// The stores (for the host's lockout and token flows on the same connection).
    pub fn stores(&self) -> &RedisStores {
        &self.stores
    }
}

impl<A> Clone for RedisRateLimits<A> {
    fn clone(&self) -> Self {
        Self::new(self.stores.clone())
    }
}

impl<A: StoredAlgorithm> fmt::Debug for RedisRateLimits<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimits")
            .field("algorithm", &A::NAME)
            .field("stores", &self.stores)
            .finish()
    }
}

impl<A: StoredAlgorithm + 'static> RateLimitStore for RedisRateLimits<A> {
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        // The core keys a limit `<scope>:<client>`; Redis keys it by client and
        // scope apart, so the client is the tail.
        let client = crate::ratelimit::client_of(limit);
        async move {
            self.stores
                .rate_limit::<A>(client, &limit.scope, &limit.rate, now, 1)
                .await
                .map_err(StoreError::from)
        }
    }
}
