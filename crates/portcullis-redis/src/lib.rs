//! Redis stores for portcullis: token revocation, rate limits for the five
//! algorithms, login lockout and DPoP replay, shared by every instance of a
//! service, safe on Redis Cluster and under faults.
//!
//! - [`RedisStores`] is async (tokio): it drives the core's sans-I/O steps
//!   (`rate_limit_step`, `lockout_step`, `Verified::lookup`/`finish`,
//!   `RefreshPlan`, DPoP's `Checked`), so no runtime thread blocks. One server
//!   ([`RedisStores::connect`], a `ConnectionManager`) or a cluster
//!   ([`RedisStores::connect_cluster`]) behind the same API.
//! - [`BlockingStores`] is the same for sync hosts, implementing the core's
//!   seams: `RevocationStore`, `ReplayStore`, and a `KeyedStore` per rate.
//! - `test_server` (feature `test-server`, not default): throwaway
//!   `redis-server`s and a three-node cluster on loopback ports, for test
//!   suites of this crate and of crates built on it.
//!
//! # Guarantees
//!
//! - Rate limits: read, decide with the core's pure step, write back by a
//!   compare-and-swap script (integer comparisons only), redo on a concurrent
//!   change: concurrent instances on one key admit exactly the quota. TTL: the
//!   state's `expires_at`.
//! - Revocation: a refresh token is consumed atomically (of concurrent
//!   refreshes exactly one wins, and a replay revokes the family); family
//!   revocation; per-user cutoffs to the microsecond. Every entry's TTL is its
//!   useful life.
//! - Lockout: every concurrent failure is counted.
//!
//! # Key layout
//!
//! A configurable prefix, then the names in [`keys`]: rate limits at
//! `ratelimit:{CLIENT}:ENDPOINT_HASH`. Every script and atomic command touches
//! one key, so none spans two cluster slots (no `CROSSSLOT`).
//!
//! # Failures
//!
//! Each store has a [`FailureMode`] ([`Options`]): revocation, lockout and DPoP
//! replay fail closed by default (the token or login is refused with 503
//! rather than accepted unchecked); rate limits fail closed by default and may
//! be set open. Every call is bounded by [`Options::with_timeout`] (250 ms by
//! default), compare-and-swap retries included: a Redis that stops answering
//! costs at most that, then the failure mode decides. Connections reconnect by
//! themselves when Redis returns. Errors are one [`Error`], keeping the Redis
//! error as its `source()`.
//!
//! # Persistence
//!
//! Revocations must survive a Redis restart, so run Redis with the append-only
//! file (`appendonly yes`; `appendfsync everysec` loses at most a second of
//! writes in a crash, `always` none). Without persistence a restart forgets
//! every revocation (revoked and rotated-out refresh tokens become usable
//! again until they expire), every lockout counter and every rate-limit
//! state (clients get a fresh quota); DPoP proofs seen within their window
//! could be replayed once. Keys expire by TTL, so no eviction policy may drop
//! them early: use `maxmemory-policy noeviction` (or `volatile-ttl` only if
//! losing the nearest-to-expiry entries is acceptable). Redis 7.0 or later
//! (the revoke script reads `EXPIRETIME`).
//!
//! ```no_run
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::{Gcra, Rate};
//! use portcullis_redis::{Options, RedisStores};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let options = Options::new().with_prefix("myapp:")?;
//! let stores = RedisStores::connect("redis://127.0.0.1:6379/0", options).await?;
//! let rate: Rate = "5/m".parse()?;
//! let now = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//! let decision = stores
//!     .rate_limit::<Gcra>("ip:203.0.113.7", "login", &rate, now, 1)
//!     .await?;
//! assert!(decision.allowed);
//! # Ok(())
//! # }
//! ```

mod blocking;
mod config;
mod connection;
mod error;
mod inspect;
pub mod keys;
mod lockout;
mod ratelimit;
mod replay;
mod revocation;
mod scripts;
mod stores;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use blocking::{BlockingStores, RateLimitStore};
pub use config::{FailureMode, Options};
pub use connection::RedisConnection;
pub use error::Error;
pub use inspect::{KeyState, LiveKey, Selector};
pub use keys::KeyLayout;
pub use ratelimit::{StoredAlgorithm, algorithm_of};
pub use stores::RedisStores;
