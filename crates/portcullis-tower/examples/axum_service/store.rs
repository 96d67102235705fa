//! Redis-backed stores for the crate's pure state machines.
//!
//! A module of the `axum_service` example, tested by `tests/redis.rs` (until
//! portcullis-redis takes its place).
//! Every store keeps the crate's state values under one key each and lets Redis
//! expire them (TTLs from the crate's `expires_at`), so nothing needs purging.
//!
//! - Rate limits ([`RedisLimits`], the crate's `KeyedStore` seam) and login
//!   lockout: read the state, run the crate's pure function, write back with a
//!   compare-and-swap Lua script; a lost race re-reads and decides again, so
//!   concurrent instances never admit more than the quota.
//! - Revocation: the crate's `RevocationStore` trait; `consume` is one Lua script,
//!   so of two concurrent refreshes of one token exactly one sees `Fresh`.
//!
//! The connections are synchronous (the crate's store trait is), kept in a small
//! pool; an async host calls these from `spawn_blocking`.

use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::{FailureState, LockoutPolicy, LoginGuard, LoginStates};
use portcullis::ratelimit::state::KeyedStore;
use portcullis::ratelimit::{Algorithm, Decision, Rate};
use portcullis::store::{StoreError as CoreStoreError, StoreErrorKind};
use portcullis::token::{Consumed, Lookup, Revocation, RevocationStore, Status};

/// How often a compare-and-swap is retried under contention before giving up.
const MAX_CAS_ATTEMPTS: usize = 10_000;
/// Connections kept idle in the pool.
const MAX_IDLE: usize = 32;
/// Connect, read and write timeout: a slow Redis fails the request instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Sets `KEYS[1]` to `ARGV[2]` (TTL `ARGV[3]` ms) only if it still holds `ARGV[1]`
/// (`ARGV[4] == "0"`: only if it is absent). `ARGV[2]` empty deletes the key.
const CAS_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
local matches
if ARGV[4] == '0' then matches = (current == false) else matches = (current == ARGV[1]) end
if not matches then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
";

/// The atomic consume of a refresh token. KEYS: jti, family, user.
/// ARGV: has family, has user, iat in Unix microseconds ('' if none), keep-until
/// (Unix s). Returns 0 fresh, 1 already used, 2 revoked. Microseconds stay below
/// 2^53, so Lua's doubles compare them exactly.
const CONSUME_SCRIPT: &str = r"
local j = redis.call('GET', KEYS[1])
if j == 'c' then return 1 end
if j then return 2 end
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
if ARGV[2] == '1' then
  local cutoff = redis.call('GET', KEYS[3])
  if cutoff and (ARGV[3] == '' or tonumber(ARGV[3]) <= tonumber(cutoff)) then return 2 end
end
redis.call('SET', KEYS[1], 'c', 'EXAT', ARGV[4])
return 0
";

/// Records a revocation, keeping the later expiry and (`ARGV[3] == '1'`) the larger
/// numeric value. ARGV: value, keep-until (Unix s), numeric max.
const REVOKE_SCRIPT: &str = r"
local value = ARGV[1]
if ARGV[3] == '1' then
  local old = redis.call('GET', KEYS[1])
  if old and tonumber(old) > tonumber(value) then value = old end
end
local keep = tonumber(ARGV[2])
local old_keep = redis.call('EXPIRETIME', KEYS[1])
if old_keep > keep then keep = old_keep end
redis.call('SET', KEYS[1], value, 'EXAT', keep)
return 1
";

/// Why a Redis store call failed: the message says what and never holds a secret.
#[derive(Debug)]
pub(crate) struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        Self(format!("redis: {e}"))
    }
}

/// A Redis failure at the revocation seam: the crate's typed error, with the
/// Redis error kept as its source.
fn seam(e: redis::RedisError) -> CoreStoreError {
    let kind = if e.is_timeout() {
        StoreErrorKind::Timeout
    } else {
        StoreErrorKind::Unavailable
    };
    CoreStoreError::with_source(kind, e)
}

/// Whole Unix seconds at or after `t`: a key never expires before its entry is moot.
fn secs_ceil(t: UnixTime) -> u64 {
    let whole = t.as_secs();
    let rounded = if t.as_nanos().is_multiple_of(1_000_000_000) {
        whole
    } else {
        whole.saturating_add(1)
    };
    rounded.max(1)
}

/// Unix microseconds: the precision of the crate's NumericDate claims.
fn micros(t: UnixTime) -> u64 {
    t.as_nanos() / 1000
}

/// One Redis server, a key prefix and a pool of connections.
pub(crate) struct RedisStore {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    prefix: String,
    cas: redis::Script,
    consume: redis::Script,
    revoke: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: only the prefix is shown.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A pooled connection, returned to the pool when dropped.
struct Pooled<'a> {
    store: &'a RedisStore,
    conn: Option<redis::Connection>,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self
                .store
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }
}

impl Pooled<'_> {
    fn conn(&mut self) -> Result<&mut redis::Connection, StoreError> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError("redis connection already returned".into()))
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379/0`); every key starts with `prefix`.
    pub(crate) fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let store = Self {
            client,
            idle: Mutex::new(Vec::new()),
            prefix: prefix.to_owned(),
            cas: redis::Script::new(CAS_SCRIPT),
            consume: redis::Script::new(CONSUME_SCRIPT),
            revoke: redis::Script::new(REVOKE_SCRIPT),
        };
        let mut conn = store.get()?;
        let pong: String = redis::cmd("PING").query(conn.conn()?)?;
        if pong != "PONG" {
            return Err(StoreError(format!("redis answered PING with {pong:?}")));
        }
        drop(conn);
        Ok(store)
    }

    fn get(&self) -> Result<Pooled<'_>, StoreError> {
        Ok(self.checkout()?)
    }

    /// A pooled connection, failing with the Redis error itself.
    fn checkout(&self) -> Result<Pooled<'_>, redis::RedisError> {
        let reused = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match reused {
            Some(conn) => conn,
            None => {
                let conn = self.client.get_connection_with_timeout(IO_TIMEOUT)?;
                conn.set_read_timeout(Some(IO_TIMEOUT))?;
                conn.set_write_timeout(Some(IO_TIMEOUT))?;
                conn
            }
        };
        Ok(Pooled {
            store: self,
            conn: Some(conn),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs `decide` on the bytes at `key` and stores what it returns, atomically:
    /// on a concurrent change the read and the decision are redone.
    ///
    /// `decide` returns the answer and the new bytes with their TTL (`None`: leave
    /// the key as it is; empty bytes: delete it).
    fn update<R>(
        &self,
        key: &str,
        mut decide: impl FnMut(Option<&[u8]>) -> Result<(R, Option<(Vec<u8>, Duration)>), StoreError>,
    ) -> Result<R, StoreError> {
        let key = self.key(key);
        let mut pooled = self.get()?;
        let conn = pooled.conn()?;
        for _ in 0..MAX_CAS_ATTEMPTS {
            let current: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query(conn)?;
            let (answer, write) = decide(current.as_deref())?;
            let Some((next, ttl)) = write else {
                // Nothing to store: the answer holds for the state just read.
                return Ok(answer);
            };
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let swapped: i64 = self
                .cas
                .key(&key)
                .arg(current.as_deref().unwrap_or_default())
                .arg(next)
                .arg(ttl_ms)
                .arg(if current.is_some() { "1" } else { "0" })
                .invoke(conn)?;
            if swapped == 1 {
                return Ok(answer);
            }
        }
        Err(StoreError(format!(
            "key {key} changed on every one of {MAX_CAS_ATTEMPTS} attempts"
        )))
    }

    /// Decides on a request of `cost` at `now` for `key` under `rate` with algorithm
    /// `A`, through the crate's `KeyedStore` seam ([`RedisLimits`]): `A`'s state
    /// in the crate's byte form with a TTL of its `expires_at`.
    pub(crate) fn rate_limit<A>(
        &self,
        key: &str,
        rate: &Rate,
        now: UnixTime,
        cost: u32,
    ) -> Result<Decision, StoreError>
    where
        A: Algorithm,
    {
        RedisLimits::<A>::new(self, *rate)
            .update(key, now, |state| match A::decide(rate, state, now, cost) {
                Ok((decision, next)) => (Ok(decision), Some(next)),
                Err(e) => (Err(e), state.cloned()),
            })
            .map_err(|e| match std::error::Error::source(&e) {
                Some(source) => StoreError(format!("{e}: {source}")),
                None => StoreError(e.to_string()),
            })?
            .map_err(|e| StoreError(e.to_string()))
    }

    /// The three lockout states of `username` from `ip` (a `ClientKey` string).
    pub(crate) fn login_states(&self, username: &str, ip: &str) -> Result<LoginStates, StoreError> {
        let (pair, ip_key, account) = LoginGuard::keys(username, ip);
        let keys = [self.key(&pair), self.key(&ip_key), self.key(&account)];
        let mut pooled = self.get()?;
        let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET").arg(&keys).query(pooled.conn()?)?;
        let mut states = values
            .into_iter()
            .map(|v| v.and_then(|b| failure_state(&b)));
        Ok(LoginStates {
            pair: states.next().flatten(),
            ip: states.next().flatten(),
            account: states.next().flatten(),
        })
    }

    /// Counts a failed login under all three keys (each one atomically).
    pub(crate) fn record_login_failure(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let (pair, ip_key, account) = LoginGuard::keys(username, ip);
        for (key, policy) in [
            (pair, &guard.pair),
            (ip_key, &guard.ip),
            (account, &guard.account),
        ] {
            self.update(&key, |current| {
                let previous = current.and_then(failure_state);
                let next = policy.record_failure(previous.as_ref(), now);
                Ok((
                    (),
                    Some((next.to_bytes().to_vec(), ttl_of(policy, &next, now))),
                ))
            })?;
        }
        Ok(())
    }

    /// Records a successful login: each key is cleared or kept per its policy.
    pub(crate) fn record_login_success(
        &self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
    ) -> Result<(), StoreError> {
        let (pair, ip_key, account) = LoginGuard::keys(username, ip);
        let mut cleared = Vec::new();
        for (key, policy) in [
            (pair, &guard.pair),
            (ip_key, &guard.ip),
            (account, &guard.account),
        ] {
            let probe = FailureState::default();
            if policy.record_success(Some(&probe)).is_none() {
                cleared.push(self.key(&key));
            }
        }
        if !cleared.is_empty() {
            let mut pooled = self.get()?;
            let _: i64 = redis::cmd("DEL").arg(&cleared).query(pooled.conn()?)?;
        }
        Ok(())
    }

    /// Deletes every key under this store's prefix (demos, self-checks, resets),
    /// with `SCAN` so a large shared database is not blocked.
    pub(crate) fn clear(&self) -> Result<usize, StoreError> {
        let mut pooled = self.get()?;
        let conn = pooled.conn()?;
        let pattern = format!("{}*", self.prefix);
        let mut cursor: u64 = 0;
        let mut removed = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query(conn)?;
            if !keys.is_empty() {
                let deleted: usize = redis::cmd("DEL").arg(&keys).query(conn)?;
                removed += deleted;
            }
            // SCAN ends when the cursor comes back to 0.
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    fn revocation_keys(&self, token: &Lookup<'_>) -> [String; 3] {
        [
            self.key(&format!("rev:jti:{}", token.jti)),
            self.key(&format!("rev:family:{}", token.family.unwrap_or_default())),
            self.key(&format!("rev:user:{}", token.user.unwrap_or_default())),
        ]
    }
}

/// Rate-limit state of algorithm `A` under one rate, kept in Redis: the crate's
/// `KeyedStore` seam, each update a `GET` and a compare-and-swap script (redone
/// on a concurrent change).
pub(crate) struct RedisLimits<'a, A> {
    store: &'a RedisStore,
    rate: Rate,
    algorithm: PhantomData<fn() -> A>,
}

impl<'a, A: Algorithm> RedisLimits<'a, A> {
    /// `rate`'s state of algorithm `A` in `store`.
    pub(crate) fn new(store: &'a RedisStore, rate: Rate) -> Self {
        Self {
            store,
            rate,
            algorithm: PhantomData,
        }
    }
}

impl<A: Algorithm> KeyedStore for RedisLimits<'_, A> {
    type Key = str;
    type State = A::State;

    fn update<T>(
        &self,
        key: &str,
        now: UnixTime,
        mut update: impl FnMut(Option<&A::State>) -> (T, Option<A::State>),
    ) -> Result<T, CoreStoreError> {
        let rate = &self.rate;
        let corrupt = std::cell::Cell::new(None);
        let result = self.store.update(key, |current| {
            let previous = match current.map(|bytes| A::decode(rate, bytes)).transpose() {
                Ok(previous) => previous,
                Err(e) => {
                    corrupt.set(Some(e.clone()));
                    return Err(StoreError(e.to_string()));
                }
            };
            let live = previous
                .as_ref()
                .filter(|state| A::expires_at(rate, state) > now);
            let (answer, next) = update(live);
            let write = match next {
                Some(next) if previous.as_ref() == Some(&next) => None,
                Some(next) => {
                    let ttl = A::expires_at(rate, &next)
                        .as_nanos()
                        .saturating_sub(now.as_nanos());
                    Some((A::encode(&next), Duration::from_nanos(ttl)))
                }
                // Empty bytes delete the key.
                None if previous.is_some() => Some((Vec::new(), Duration::from_millis(1))),
                None => None,
            };
            Ok((answer, write))
        });
        result.map_err(|e| match corrupt.take() {
            Some(invalid) => CoreStoreError::with_source(StoreErrorKind::Corrupt, invalid),
            None => CoreStoreError::with_source(StoreErrorKind::Unavailable, e),
        })
    }
}

fn failure_state(bytes: &[u8]) -> Option<FailureState> {
    FailureState::decode(bytes).ok()
}

fn ttl_of(policy: &LockoutPolicy, state: &FailureState, now: UnixTime) -> Duration {
    Duration::from_nanos(
        policy
            .expires_at(state)
            .as_nanos()
            .saturating_sub(now.as_nanos()),
    )
}

impl RevocationStore for RedisStore {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, CoreStoreError> {
        let [jti, family, user] = self.revocation_keys(token);
        let mut pooled = self.checkout().map_err(seam)?;
        let conn = pooled
            .conn
            .as_mut()
            .ok_or(CoreStoreError::new(StoreErrorKind::Unavailable))?;
        let (j, f, cutoff): (Option<String>, Option<String>, Option<u64>) = redis::pipe()
            .get(&jti)
            .get(&family)
            .get(&user)
            .query(conn)
            .map_err(seam)?;
        let revoked = j.is_some()
            || (token.family.is_some() && f.is_some())
            || (token.user.is_some()
                && cutoff.is_some_and(|c| token.issued_at.is_none_or(|iat| micros(iat) <= c)));
        Ok(if revoked {
            Status::Revoked
        } else {
            Status::Active
        })
    }

    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, CoreStoreError> {
        let [jti, family, user] = self.revocation_keys(token);
        let mut pooled = self.checkout().map_err(seam)?;
        let conn = pooled
            .conn
            .as_mut()
            .ok_or(CoreStoreError::new(StoreErrorKind::Unavailable))?;
        let answer: i64 = self
            .consume
            .key(jti)
            .key(family)
            .key(user)
            .arg(if token.family.is_some() { "1" } else { "0" })
            .arg(if token.user.is_some() { "1" } else { "0" })
            .arg(
                token
                    .issued_at
                    .map(|i| micros(i).to_string())
                    .unwrap_or_default(),
            )
            .arg(secs_ceil(token.expires_at))
            .invoke(conn)
            .map_err(seam)?;
        Ok(match answer {
            0 => Consumed::Fresh,
            1 => Consumed::AlreadyUsed,
            _ => Consumed::Revoked,
        })
    }

    fn revoke(&self, revocation: Revocation) -> Result<(), CoreStoreError> {
        let (key, value, until, numeric) = match revocation {
            Revocation::Jti { jti, until } => {
                (format!("rev:jti:{jti}"), "r".to_owned(), until, "0")
            }
            Revocation::Family { family, until } => {
                (format!("rev:family:{family}"), "r".to_owned(), until, "0")
            }
            Revocation::UserBefore {
                user,
                cutoff,
                until,
            } => (
                format!("rev:user:{user}"),
                micros(cutoff).to_string(),
                until,
                "1",
            ),
        };
        let mut pooled = self.checkout().map_err(seam)?;
        let conn = pooled
            .conn
            .as_mut()
            .ok_or(CoreStoreError::new(StoreErrorKind::Unavailable))?;
        let _: i64 = self
            .revoke
            .key(self.key(&key))
            .arg(value)
            .arg(secs_ceil(until))
            .arg(numeric)
            .invoke(conn)
            .map_err(seam)?;
        Ok(())
    }

    fn purge_expired(&self, _now: UnixTime) -> Result<usize, CoreStoreError> {
        // Every entry carries its expiry as a Redis TTL: Redis purges them itself.
        Ok(0)
    }
}

/// The same store, borrowed: a `TokenService` over `&RedisStore` leaves the owner
/// free to use the store for rate limits and lockout too.
impl RevocationStore for &RedisStore {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, CoreStoreError> {
        (**self).status(token)
    }
    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, CoreStoreError> {
        (**self).consume(token)
    }
    fn revoke(&self, revocation: Revocation) -> Result<(), CoreStoreError> {
        (**self).revoke(revocation)
    }
    fn purge_expired(&self, now: UnixTime) -> Result<usize, CoreStoreError> {
        (**self).purge_expired(now)
    }
}
