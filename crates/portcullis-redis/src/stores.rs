//! [`RedisStores`]: the async stores over one connection, and the
//! compare-and-swap every keyed state goes through.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use portcullis::clock::UnixTime;
use portcullis::ratelimit::state::Write;

use crate::config::{FailureMode, Options};
use crate::connection::RedisConnection;
use crate::error::Error;
use crate::scripts;

/// How often a compare-and-swap is redone under contention before giving up
/// (the per-call time bound usually ends it first).
const MAX_CAS_ATTEMPTS: usize = 10_000;

/// The scripts, hashed once.
struct Scripts {
    cas: redis::Script,
    consume: redis::Script,
    revoke: redis::Script,
}

/// Every store of this crate over one Redis connection (a server or a
/// cluster), for async hosts: nothing blocks a runtime thread.
///
/// Clone it freely: clones share the connection, the options and the
/// failure counter. The methods are grouped by store: rate limits
/// ([`RedisStores::rate_limit`]), lockout ([`RedisStores::login_states`]),
/// revocation ([`RedisStores::verify`], [`RedisStores::refresh`]) and DPoP replay
/// ([`RedisStores::check_replay`]).
#[derive(Clone)]
pub struct RedisStores {
    conn: RedisConnection,
    options: Arc<Options>,
    scripts: Arc<Scripts>,
    absorbed: Arc<AtomicU64>,
    last_seen: Arc<LastSeen>,
}

/// How many stripes the per-key turn-taking uses.
const STRIPES: usize = 1024;
/// How many keys' last values each stripe remembers (16,384 keys in all).
const KEYS_PER_STRIPE: usize = 16;

/// One stripe: the last value seen at each of a few keys.
type Stripe = tokio::sync::Mutex<HashMap<String, Option<Vec<u8>>>>;

/// The value last seen at recent keys, per stripe of keys: each stripe's lock
/// makes this process's calls on one key take turns. Bounded: a full stripe
/// forgets a key before it learns another.
struct LastSeen {
    stripes: Vec<Stripe>,
}

impl LastSeen {
    fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
        }
    }

    fn stripe(&self, key: &str) -> &Stripe {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let index = usize::try_from(std::hash::Hasher::finish(&hasher) % STRIPES as u64)
            .unwrap_or_default();
        &self.stripes[index]
    }
}

/// Remembers `value` at `key` in a stripe, forgetting another key when full.
fn remember(stripe: &mut HashMap<String, Option<Vec<u8>>>, key: &str, value: Option<Vec<u8>>) {
    if let Some(slot) = stripe.get_mut(key) {
        *slot = value;
        return;
    }
    if stripe.len() >= KEYS_PER_STRIPE
        && let Some(other) = stripe.keys().next().cloned()
    {
        stripe.remove(&other);
    }
    stripe.insert(key.to_owned(), value);
}

impl std::fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStores")
            .field("conn", &self.conn)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RedisStores {
    /// Stores on one server at `url` (`redis://host:port/db`).
    ///
    /// # Errors
    /// As [`RedisConnection::connect`].
    pub async fn connect(url: &str, options: Options) -> Result<Self, Error> {
        let conn = RedisConnection::connect(url, &options).await?;
        Ok(Self::new(conn, options))
    }

    /// Stores on a Redis Cluster reached through any of `nodes`.
    ///
    /// # Errors
    /// As [`RedisConnection::connect_cluster`].
    pub async fn connect_cluster(nodes: &[&str], options: Options) -> Result<Self, Error> {
        let conn = RedisConnection::connect_cluster(nodes, &options).await?;
        Ok(Self::new(conn, options))
    }

    /// Stores over an existing connection.
    pub fn new(conn: RedisConnection, options: Options) -> Self {
        Self {
            conn,
            options: Arc::new(options),
            scripts: Arc::new(Scripts {
                cas: redis::Script::new(scripts::CAS),
                consume: redis::Script::new(scripts::CONSUME),
                revoke: redis::Script::new(scripts::REVOKE),
            }),
            absorbed: Arc::new(AtomicU64::new(0)),
            last_seen: Arc::new(LastSeen::new()),
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The connection (for the host's own commands).
    pub fn connection(&self) -> RedisConnection {
        self.conn.clone()
    }

    /// How many Redis failures a store set to [`FailureMode::Open`] has
    /// answered as "no entry" (a number for the host's metrics).
    pub fn failures_absorbed(&self) -> u64 {
        self.absorbed.load(Ordering::Relaxed)
    }

    /// Applies `mode` to a failed call: closed returns the error, open counts
    /// it and answers `open`.
    pub(crate) fn fail<T>(&self, mode: FailureMode, error: Error, open: T) -> Result<T, Error> {
        match mode {
            FailureMode::Closed => Err(error),
            FailureMode::Open => {
                self.absorbed.fetch_add(1, Ordering::Relaxed);
                Ok(open)
            }
        }
    }

    /// Runs one Redis call within the time bound.
    pub(crate) async fn bounded<T, F>(&self, call: F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        self.options.bounded(call).await?
    }

    /// `GET key`, within the time bound.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let mut conn = self.conn.clone();
        self.bounded(async move {
            Ok(redis::cmd("GET")
                .arg(key)
                .query_async::<Option<Vec<u8>>>(&mut conn)
                .await?)
        })
        .await
    }

    /// Runs `command`, within the time bound.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, Error> {
        let mut conn = self.conn.clone();
        self.bounded(async move { Ok(command.query_async::<T>(&mut conn).await?) })
            .await
    }

    /// Runs `script` on `key` with `args`, within the time bound.
    async fn script(
        &self,
        script: &redis::Script,
        key: &str,
        args: &[&[u8]],
    ) -> Result<i64, Error> {
        let mut conn = self.conn.clone();
        let mut invocation = script.key(key);
        for arg in args {
            invocation.arg(*arg);
        }
        self.bounded(async move { Ok(invocation.invoke_async::<i64>(&mut conn).await?) })
            .await
    }

    /// The consume script on a token id's key.
    pub(crate) async fn consume_script(&self, key: &str, keep_until: u64) -> Result<i64, Error> {
        let keep = keep_until.to_string();
        self.script(&self.scripts.consume, key, &[keep.as_bytes()])
            .await
    }

    /// The revoke script on one key.
    pub(crate) async fn revoke_script(
        &self,
        key: &str,
        value: &str,
        keep_until: u64,
        numeric: bool,
    ) -> Result<(), Error> {
        let keep = keep_until.to_string();
        let numeric: &[u8] = if numeric { b"1" } else { b"0" };
        self.script(
            &self.scripts.revoke,
            key,
            &[value.as_bytes(), keep.as_bytes(), numeric],
        )
        .await
        .map(drop)
    }

    /// Reads `key`, runs `decide` on its bytes and writes what it asks, as one
    /// compare-and-swap: on a concurrent change the decision is redone on the
    /// value the script found, so concurrent callers never both act on one
    /// state. TTLs are the written state's `expires_at` less `now`. The whole
    /// loop, waiting for the key's stripe included, runs within the time bound.
    ///
    /// Calls on one key in this process take turns (a striped lock), and the
    /// value the last one saw (kept for up to 16,384 recent keys) is the next
    /// one's first guess: a hot key costs
    /// one round trip per decision instead of a read, a swap and retries. A
    /// guess is only ever acted on through the swap, which checks it; a
    /// decision that writes nothing is made on a value read from Redis.
    pub(crate) async fn update<T>(
        &self,
        key: &str,
        now: UnixTime,
        mut decide: impl FnMut(Option<&[u8]>) -> Result<(T, Write), Error>,
    ) -> Result<T, Error> {
        let attempts = async {
            let mut seen = self.last_seen.stripe(key).lock().await;
            let mut conn = self.conn.clone();
            let (mut current, mut checked) = match seen.get(key) {
                Some(value) => (value.clone(), false),
                None => (Self::read(&mut conn, key).await?, true),
            };
            for _ in 0..MAX_CAS_ATTEMPTS {
                let (answer, write) = decide(current.as_deref())?;
                let (next, ttl) = match write {
                    Write::Put { bytes, expires_at } => (bytes, ttl_millis(now, expires_at)),
                    Write::Delete if current.is_some() => (Vec::new(), 1),
                    Write::Keep | Write::Delete if !checked => {
                        current = Self::read(&mut conn, key).await?;
                        checked = true;
                        continue;
                    }
                    Write::Keep | Write::Delete => {
                        remember(&mut seen, key, current);
                        return Ok(answer);
                    }
                };
                let (swapped, present, found): (i64, i64, Vec<u8>) = self
                    .scripts
                    .cas
                    .key(key)
                    .arg(current.as_deref().unwrap_or_default())
                    .arg(&next)
                    .arg(ttl)
                    .arg(if current.is_some() { "1" } else { "0" })
                    .invoke_async(&mut conn)
                    .await?;
                if swapped == 1 {
                    remember(&mut seen, key, (!next.is_empty()).then_some(next));
                    return Ok(answer);
                }
                current = (present == 1).then_some(found);
                checked = true;
            }
            Err(Error::Contended(MAX_CAS_ATTEMPTS))
        };
        self.bounded(attempts).await
    }

    async fn read(conn: &mut RedisConnection, key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(redis::cmd("GET").arg(key).query_async(conn).await?)
    }
}

/// Milliseconds from `now` to `expires_at`, rounded up, at least 1: a key
/// never expires before its state stops mattering.
pub(crate) fn ttl_millis(now: UnixTime, expires_at: UnixTime) -> u64 {
    expires_at
        .as_nanos()
        .saturating_sub(now.as_nanos())
        .div_ceil(1_000_000)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_round_up_and_are_never_zero() {
        let t = |ns| UnixTime::from_nanos(ns);
        assert_eq!(ttl_millis(t(0), t(1)), 1);
        assert_eq!(ttl_millis(t(0), t(2_000_000)), 2);
        assert_eq!(ttl_millis(t(0), t(2_000_001)), 3);
        assert_eq!(ttl_millis(t(5), t(0)), 1);
    }
}
