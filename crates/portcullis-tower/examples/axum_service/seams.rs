//! The service's stores behind portcullis-tower's async seams. The in-memory
//! stores answer at once; the Redis store is synchronous, so its calls run on
//! the blocking pool and no runtime thread waits on Redis.

use std::future::Future;
use std::sync::Arc;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{Decision, Gcra, ResolvedLimit};
use portcullis::store::{StoreError, StoreErrorKind};
use portcullis::token::{Lookup, RevocationStore, Status};
use portcullis_tower::{MemoryRateLimits, RateLimitStore, RevocationCheck};

use crate::app::Revocations;
use crate::store::RedisStore;

/// Runs a synchronous store call on the blocking pool; a task that died is an
/// unavailable store.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| StoreError::with_source(StoreErrorKind::Unavailable, e))?
}

/// A [`Lookup`] that can cross to the blocking pool.
struct OwnedLookup {
    jti: String,
    family: Option<String>,
    user: Option<String>,
    issued_at: Option<UnixTime>,
    expires_at: UnixTime,
    now: UnixTime,
}

impl OwnedLookup {
    fn new(lookup: &Lookup<'_>) -> Self {
        Self {
            jti: lookup.jti.to_owned(),
            family: lookup.family.map(str::to_owned),
            user: lookup.user.map(str::to_owned),
            issued_at: lookup.issued_at,
            expires_at: lookup.expires_at,
            now: lookup.now,
        }
    }

    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            jti: &self.jti,
            family: self.family.as_deref(),
            user: self.user.as_deref(),
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            now: self.now,
        }
    }
}

/// The authentication layer asks the same store the token flows write.
impl RevocationCheck for Revocations {
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send {
        let answer = match self {
            Self::Memory(memory) => Ok(RevocationStore::status(memory, lookup)),
            Self::Redis(redis) => Err((Arc::clone(redis), OwnedLookup::new(lookup))),
        };
        async move {
            match answer {
                Ok(answer) => answer,
                Err((redis, owned)) => blocking(move || redis.status(&owned.lookup())).await,
            }
        }
    }
}

/// The rate-limit layer's state: this process's limiters, or Redis (GCRA, the
/// state under `rl:<scope>:<client>`).
#[derive(Debug)]
pub(crate) enum RateStore {
    /// One bounded limiter per scope.
    Memory(MemoryRateLimits<Gcra>),
    /// Shared by every instance using the same Redis.
    Redis(Arc<RedisStore>),
}

impl RateLimitStore for RateStore {
    fn hit(
        &self,
        limit: &ResolvedLimit,
        now: UnixTime,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send {
        let decision = match self {
            Self::Memory(memory) => Ok(memory.hit(limit, now)),
            Self::Redis(redis) => Err((Arc::clone(redis), format!("rl:{}", limit.key), limit.rate)),
        };
        async move {
            match decision {
                Ok(decision) => decision.await,
                Err((redis, key, rate)) => {
                    blocking(move || {
                        redis
                            .rate_limit::<Gcra>(&key, &rate, now, 1)
                            .map_err(|e| StoreError::with_source(StoreErrorKind::Unavailable, e))
                    })
                    .await
                }
            }
        }
    }
}
