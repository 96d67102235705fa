//! Where the service keeps its state: this process's memory, or Redis through
//! portcullis-redis's async stores (shared by every instance on the same
//! Redis). One value serves the app's flows and the layers' seams, so the
//! authentication layer reads the revocations the flows write.

use std::sync::{Mutex, PoisonError};

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::{LockoutStatus, LoginGuard};
use portcullis::ratelimit::{
    Decision, Gcra, KeyedLimiterConfig, RateLimitError, RateTable, ResolvedLimit,
};
use portcullis::store::StoreError;
use portcullis::token::{
    Claims, Lookup, MemoryRevocationStore, Refreshed, RevocationStore, Status, TokenError,
    TokenService, Tokens,
};
use portcullis_redis::{FailureMode, Options, RedisConnection, RedisStores};
use portcullis_tower::{MemoryRateLimits, RateLimitStore, RedisRateLimits, RevocationCheck};
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};

use crate::config::RedisTarget;
use crate::failures::FailureTable;

/// Login failure states kept in memory per map, known accounts and unknown
/// usernames apart (Redis relies on TTLs instead).
const MAX_FAILURE_KEYS: usize = 1_000_000;

/// Revocations, login failures and rate limits.
// One value per process, behind an `Arc`: the in-memory variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Backend {
    /// One process only, each store bounded.
    Memory {
        /// The token flows over the in-memory revocation store.
        tokens: TokenService<MemoryRevocationStore>,
        /// Login failure states.
        failures: Mutex<FailureTable>,
        /// One limiter per scope.
        limits: MemoryRateLimits<Gcra>,
    },
    /// Shared by every instance on the same Redis.
    Redis {
        /// The token engine (the stores run its sans-I/O steps).
        tokens: Tokens,
        /// Revocation and lockout.
        stores: RedisStores,
        /// The rate limits, on the same connection.
        limits: RedisRateLimits<Gcra>,
    },
}

/// Why a login's lockout state could not be read or recorded (a 503).
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockoutError {
    /// Every entry of the in-memory table is a live lock.
    #[error("the login failure table is full of live locks")]
    Full,
    /// Redis failed (the lockout fails closed).
    #[error(transparent)]
    Redis(#[from] portcullis_redis::Error),
}

impl Backend {
    /// In-memory state for the scopes of `table`.
    pub(crate) fn memory(tokens: Tokens, table: &RateTable) -> Result<Self, RateLimitError> {
        Ok(Self::Memory {
            tokens: TokenService::new(tokens, MemoryRevocationStore::default()),
            failures: Mutex::new(FailureTable::new(MAX_FAILURE_KEYS)),
            limits: MemoryRateLimits::new(table, KeyedLimiterConfig::default())?,
        })
    }

    /// State in the Redis server or cluster of `target`, every key under
    /// `prefix`. Revocation and lockout fail closed; the rate limits as
    /// `rate_limit_failure` says. On a cluster each store's script touches one
    /// slot (the key layout's hash tags), so none fails with `CROSSSLOT`.
    pub(crate) async fn redis(
        tokens: Tokens,
        target: &RedisTarget,
        prefix: &str,
        rate_limit_failure: FailureMode,
    ) -> Result<Self, portcullis_redis::Error> {
        let options = Options::new()
            .with_prefix(prefix)?
            .with_rate_limit_failure(rate_limit_failure);
        let stores = match target {
            RedisTarget::Server(url) => RedisStores::connect(url, options).await?,
            RedisTarget::Cluster(nodes) => {
                let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
                RedisStores::connect_cluster(&nodes, options).await?
            }
        };
        Ok(Self::Redis {
            tokens,
            limits: RedisRateLimits::new(stores.clone()),
            stores,
        })
    }

    /// `"memory"` or `"redis"` (for `/healthz`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Memory { .. } => "memory",
            Self::Redis { .. } => "redis",
        }
    }

    /// The token engine.
    pub(crate) fn tokens(&self) -> &Tokens {
        match self {
            Self::Memory { tokens, .. } => tokens.tokens(),
            Self::Redis { tokens, .. } => tokens,
        }
    }

    /// Refresh with rotation; a replayed refresh token revokes its family.
    pub(crate) async fn refresh(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Refreshed, TokenError> {
        match self {
            Self::Memory { tokens, .. } => tokens.refresh(token, now),
            Self::Redis { tokens, stores, .. } => stores.refresh(tokens, token, now).await,
        }
    }

    /// Any token type: signature, claims and revocation.
    pub(crate) async fn verify_any(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<Claims, TokenError> {
        match self {
            Self::Memory { tokens, .. } => tokens.verify_any(token, now),
            Self::Redis { tokens, stores, .. } => {
                let verified = tokens.verify(token, None, now)?;
                let status = stores.status_or_fail(&verified.lookup()).await?;
                verified.finish(status)
            }
        }
    }

    /// Logout: revokes a refresh token's family.
    pub(crate) async fn logout(&self, token: &str, now: UnixTime) -> Result<(), TokenError> {
        match self {
            Self::Memory { tokens, .. } => tokens.logout(token, now),
            Self::Redis { tokens, stores, .. } => stores.logout(tokens, token, now).await,
        }
    }

    /// Revokes every token of `user` issued up to `now`.
    pub(crate) async fn revoke_user_before(
        &self,
        user: &str,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        match self {
            Self::Memory { tokens, .. } => tokens.revoke_user_before(user, now),
            Self::Redis { tokens, stores, .. } => {
                stores.revoke_user_before(tokens, user, now).await
            }
        }
    }

    /// Drops moot in-memory revocation entries (Redis expires its own by TTL).
    pub(crate) fn purge_revocations(&self, now: UnixTime) -> Result<usize, TokenError> {
        match self {
            Self::Memory { tokens, .. } => tokens.purge_expired(now),
            Self::Redis { .. } => Ok(0),
        }
    }

    /// Entries in the in-memory login failure table (`None` with Redis).
    pub(crate) fn failure_entries(&self) -> Option<usize> {
        match self {
            Self::Memory { failures, .. } => Some(
                failures
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            ),
            Self::Redis { .. } => None,
        }
    }

    /// Whether `username` may try to log in from `ip` (a `ClientKey` string);
    /// `known` says whether the username names an account.
    pub(crate) async fn login_status(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        known: bool,
        now: UnixTime,
    ) -> Result<LockoutStatus, LockoutError> {
        match self {
            Self::Memory { failures, .. } => {
                let failures = failures.lock().unwrap_or_else(PoisonError::into_inner);
                Ok(guard.status(&failures.states(username, ip, known), now))
            }
            Self::Redis { stores, .. } => Ok(stores.check_login(guard, username, ip, now).await?),
        }
    }

    /// Records a login attempt's outcome.
    pub(crate) async fn record_login(
        &self,
        guard: &LoginGuard,
        (username, ip, known): (&str, &str, bool),
        ok: bool,
        now: UnixTime,
    ) -> Result<(), LockoutError> {
        match self {
            Self::Memory { failures, .. } => failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(guard, username, ip, known, ok, now)
                .map_err(|_| LockoutError::Full),
            Self::Redis { stores, .. } if ok => Ok(stores
                .record_login_success(guard, username, ip, now)
                .await?),
            Self::Redis { stores, .. } => Ok(stores
                .record_login_failure(guard, username, ip, now)
                .await?),
        }
    }

    /// Deletes every Redis key under this backend's prefix (the self-check's
    /// own), by `SCAN` (on a cluster: on each primary), so a shared database is
    /// not blocked; returns how many.
    pub(crate) async fn clear(&self) -> Result<usize, portcullis_redis::Error> {
        let Self::Redis { stores, .. } = self else {
            return Ok(0);
        };
        // The prefix holds no glob character (the key layout refuses them).
        let pattern = format!("{}*", stores.options().layout().prefix());
        let mut conn = stores.connection();
        let nodes = match &mut conn {
            RedisConnection::Single(_) => vec![None],
            RedisConnection::Cluster(cluster) => {
                let text: String = redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query_async(cluster)
                    .await?;
                primaries(&text).into_iter().map(Some).collect()
            }
        };
        let mut removed = 0;
        for node in nodes {
            let mut cursor = 0_u64;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000);
                let (next, keys): (u64, Vec<String>) = match (&mut conn, &node) {
                    (RedisConnection::Cluster(cluster), Some((host, port))) => {
                        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                            host: host.clone(),
                            port: *port,
                        });
                        redis::from_redis_value(&cluster.route_command(&scan, routing).await?)?
                    }
                    _ => scan.query_async(&mut conn).await?,
                };
                // One key a command: on a cluster, keys of several slots in one
                // DEL fail with CROSSSLOT.
                for key in keys {
                    removed += redis::cmd("DEL")
                        .arg(key)
                        .query_async::<usize>(&mut conn)
                        .await?;
                }
                // SCAN ends when the cursor comes back to 0.
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(removed)
    }
}

/// The `host` and `port` of each primary that `CLUSTER NODES` lists as up
/// (`<id> <ip:port@bus> <flags> ...`).
fn primaries(cluster_nodes: &str) -> Vec<(String, u16)> {
    cluster_nodes
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.nth(1)?;
            let flags = fields.next()?;
            let primary = flags.split(',').any(|f| f == "master")
                && !flags.split(',').any(|f| f == "fail" || f == "fail?");
            let (host, port) = address.split('@').next()?.rsplit_once(':')?;
            let port = port.parse().ok()?;
            (primary && !host.is_empty()).then(|| (host.to_owned(), port))
        })
        .collect()
}

/// The authentication layer asks the store the token flows write.
impl RevocationCheck for Backend {
    async fn status(&self, lookup: &Lookup<'_>) -> Result<Status, StoreError> {
        match self {
            Self::Memory { tokens, .. } => RevocationStore::status(tokens.store(), lookup),
            Self::Redis { stores, .. } => RevocationCheck::status(stores, lookup).await,
        }
    }
}

/// The rate-limit layer counts in the same place.
impl RateLimitStore for Backend {
    async fn hit(&self, limit: &ResolvedLimit, now: UnixTime) -> Result<Decision, StoreError> {
        match self {
            Self::Memory { limits, .. } => limits.hit(limit, now).await,
            Self::Redis { limits, .. } => limits.hit(limit, now).await,
        }
    }
}
