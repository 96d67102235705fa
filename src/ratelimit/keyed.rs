//! A thread-safe, sharded, memory-bounded keyed limiter for one machine.

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hashbrown::HashTable;

use super::algorithm::{Algorithm, Decision, nanos_until};
use super::state::KeyedStore;
use super::{Rate, RateLimitError};
use crate::clock::{Clock, CoarseClock, UnixTime};
use crate::store::StoreError;

/// What a full limiter does with a key it has no room for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AtCapacity {
    /// Refuse the new key's requests until an existing key's state expires
    /// (`retry_after` says when). Fail closed: the default.
    #[default]
    Refuse,
    /// Admit the new key's requests without tracking them. Fail open: an
    /// attacker who fills the table escapes the limit for new keys.
    Admit,
}

/// Settings for a [`KeyedLimiter`]: start from [`KeyedLimiterConfig::default`]
/// and set the fields you need (new settings may be added).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyedLimiterConfig {
    /// The most keys held at once, 1 to 2^32 (default 1,048,576). Rounded up to a
    /// multiple of `shards`.
    pub max_keys: usize,
    /// Number of independently locked shards, a power of two from 1 to 4096
    /// (default 64).
    pub shards: usize,
    /// What happens to a new key when its shard is full of unexpired state.
    pub at_capacity: AtCapacity,
}

impl Default for KeyedLimiterConfig {
    fn default() -> Self {
        Self {
            max_keys: 1 << 20,
            shards: 64,
            at_capacity: AtCapacity::Refuse,
        }
    }
}

struct Entry<K, S> {
    key: K,
    state: S,
}

/// A shard of a limiter with keys `K` and algorithm `A`, behind its lock.
type LockedShard<K, A> = Mutex<Shard<K, <A as Algorithm>::State>>;

struct Shard<K, S> {
    table: HashTable<Entry<K, S>>,
    /// No entry expires before this time (a lower bound), so a full shard is not
    /// swept again until then: a flood of new keys costs O(1) each, not a scan.
    earliest_expiry: u64,
}

/// Rate limits many keys (users, IPs, API keys) in memory, with bounded memory.
///
/// Each key has its own state of algorithm `A` under the same [`Rate`]. Keys are
/// spread over `shards` mutex-guarded hash tables, so threads rarely contend, and
/// each decision runs under its shard's lock: many threads on one key admit
/// exactly the quota (DRF's cache-based throttle does not).
///
/// **Memory bound.** A shard holds at most `max_keys / shards` keys. When a new
/// key arrives at a full shard, state that has expired (is equivalent to a
/// fresh quota) is evicted first; if none has, the shard is not scanned again
/// until its earliest expiry, and the new key is refused (or admitted untracked,
/// per [`AtCapacity`]). Existing keys are never evicted while their state
/// matters, so an attacker rotating addresses cannot grow memory without bound
/// nor reset anyone's quota. Call [`KeyedLimiter::sweep`] periodically to free
/// memory early. Memory is at most `max_keys` entries of key plus state; for
/// [`SlidingLog`](super::SlidingLog) each state also holds up to `limit` log
/// entries, so prefer a fixed-size algorithm for large key spaces.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{Gcra, KeyedLimiter, KeyedLimiterConfig, Rate};
///
/// let limiter: KeyedLimiter<String, Gcra> =
///     KeyedLimiter::new("2/s".parse()?, KeyedLimiterConfig::default())?;
/// let now = UnixTime::from_secs(1_700_000_000).unwrap();
/// assert!(limiter.check("alice", now, 1)?.allowed);
/// assert!(limiter.check("alice", now, 1)?.allowed);
/// assert!(!limiter.check("alice", now, 1)?.allowed);
/// assert!(limiter.check("bob", now, 1)?.allowed);
/// assert_eq!(limiter.len(), 2);
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
pub struct KeyedLimiter<K, A: Algorithm> {
    rate: Rate,
    /// Shard 0; the type itself guarantees there is one.
    first: LockedShard<K, A>,
    /// Shards 1 and up.
    rest: Box<[LockedShard<K, A>]>,
    shard_mask: u64,
    per_shard: usize,
    at_capacity: AtCapacity,
    hasher: RandomState,
    algorithm: PhantomData<fn() -> A>,
}

impl<K, A: Algorithm> fmt::Debug for KeyedLimiter<K, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("algorithm", &std::any::type_name::<A>())
            .field("rate", &self.rate)
            .field("shards", &(self.rest.len() + 1))
            .field("max_keys_per_shard", &self.per_shard)
            .field("at_capacity", &self.at_capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, A: Algorithm> KeyedLimiter<K, A> {
    /// A limiter applying `rate` to every key.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when `max_keys` or `shards` is out of range.
    pub fn new(rate: Rate, config: KeyedLimiterConfig) -> Result<Self, RateLimitError> {
        if !(1..=4096).contains(&config.shards) || !config.shards.is_power_of_two() {
            return Err(RateLimitError::InvalidConfig {
                setting: "shards",
                expected: "a power of two from 1 to 4096",
            });
        }
        if config.max_keys == 0 || config.max_keys as u64 > 1 << 32 {
            return Err(RateLimitError::InvalidConfig {
                setting: "max_keys",
                expected: "1 to 4294967296",
            });
        }
        let per_shard = config.max_keys.div_ceil(config.shards);
        let shard = || {
            Mutex::new(Shard {
                table: HashTable::new(),
                earliest_expiry: 0,
            })
        };
        Ok(Self {
            rate,
            first: shard(),
            rest: (1..config.shards).map(|_| shard()).collect(),
            shard_mask: config.shards as u64 - 1,
            per_shard,
            at_capacity: config.at_capacity,
            hasher: RandomState::new(),
            algorithm: PhantomData,
        })
    }

    /// The rate applied to every key.
    pub const fn rate(&self) -> &Rate {
        &self.rate
    }

    /// The most keys held at once (`max_keys` rounded up to a multiple of `shards`).
    pub fn max_keys(&self) -> usize {
        self.per_shard.saturating_mul(self.shard_count())
    }

    fn shard_count(&self) -> usize {
        self.rest.len() + 1
    }

    fn shards(&self) -> impl Iterator<Item = &LockedShard<K, A>> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// The number of keys held now (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.shards().map(|s| lock(s).table.len()).sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard_for(&self, hash: u64) -> &LockedShard<K, A> {
        // hashbrown uses the low bits for the bucket and the top 7 for its tags:
        // pick the shard from bits in between so keys of a shard spread evenly.
        let index = usize::try_from((hash >> 40) & self.shard_mask).unwrap_or(0);
        match index.checked_sub(1) {
            Some(i) => self.rest.get(i).unwrap_or(&self.first),
            None => &self.first,
        }
    }

    /// Decides on a request of `cost` units (0 peeks) for `key` at `now`.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::CostExceedsLimit`] when `cost` exceeds the rate's limit.
    pub fn check<Q>(&self, key: &Q, now: UnixTime, cost: u32) -> Result<Decision, RateLimitError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let mut shard = lock(self.shard_for(hash));
        if let Some(entry) = shard.table.find_mut(hash, |e| e.key.borrow() == key) {
            return A::apply(&self.rate, &mut entry.state, now, cost);
        }
        let mut state = A::fresh(&self.rate, now);
        let decision = A::apply(&self.rate, &mut state, now, cost)?;
        if cost == 0 {
            // A peek at an unknown key changes nothing and stores nothing.
            return Ok(decision);
        }
        if shard.table.len() >= self.per_shard && !self.make_room(&mut shard, now) {
            return Ok(match self.at_capacity {
                AtCapacity::Admit => decision,
                AtCapacity::Refuse => {
                    let wait = nanos_until(now.as_nanos(), shard.earliest_expiry);
                    Decision {
                        allowed: false,
                        limit: self.rate.limit(),
                        remaining: 0,
                        retry_after: wait.max(Duration::from_nanos(1)),
                        reset_after: wait,
                    }
                }
            });
        }
        self.insert_new(&mut shard, hash, key.to_owned(), state);
        Ok(decision)
    }

    /// [`KeyedLimiter::check`] at [`CoarseClock`]'s time: the system time to within
    /// [`CoarseClock::RESOLUTION`], read for the price of one atomic load.
    ///
    /// # Errors
    ///
    /// As [`KeyedLimiter::check`].
    pub fn check_now<Q>(&self, key: &Q, cost: u32) -> Result<Decision, RateLimitError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.check(key, CoarseClock.now(), cost)
    }

    /// Forgets `key` (a fresh quota next time); whether it was held.
    pub fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let mut shard = lock(self.shard_for(hash));
        match shard.table.find_entry(hash, |e| e.key.borrow() == key) {
            Ok(entry) => {
                entry.remove();
                true
            }
            Err(_) => false,
        }
    }

    /// Evicts every key whose state has expired at `now`; returns how many.
    pub fn sweep(&self, now: UnixTime) -> usize {
        self.shards()
            .map(|shard| {
                let mut shard = lock(shard);
                let before = shard.table.len();
                self.evict_expired(&mut shard, now);
                before - shard.table.len()
            })
            .sum()
    }

    /// Stores the state of a key the shard does not hold (the caller checked room).
    fn insert_new(&self, shard: &mut Shard<K, A::State>, hash: u64, key: K, state: A::State) {
        let expiry = A::expires_at(&self.rate, &state).as_nanos();
        shard.earliest_expiry = shard.earliest_expiry.min(expiry);
        let hasher = &self.hasher;
        shard
            .table
            .insert_unique(hash, Entry { key, state }, |e| hasher.hash_one(&e.key));
    }

    /// Frees room in a full shard by evicting expired state; false if none had.
    fn make_room(&self, shard: &mut Shard<K, A::State>, now: UnixTime) -> bool {
        if now.as_nanos() < shard.earliest_expiry {
            return false;
        }
        self.evict_expired(shard, now);
        shard.table.len() < self.per_shard
    }

    fn evict_expired(&self, shard: &mut Shard<K, A::State>, now: UnixTime) {
        let now = now.as_nanos();
        let mut earliest = u64::MAX;
        shard.table.retain(|e| {
            let expiry = A::expires_at(&self.rate, &e.state).as_nanos();
            let keep = expiry > now;
            if keep {
                earliest = earliest.min(expiry);
            }
            keep
        });
        shard.earliest_expiry = earliest;
    }
}

impl<K: Hash + Eq + Clone, A: Algorithm> KeyedStore for KeyedLimiter<K, A> {
    type Key = K;
    type State = A::State;

    /// The in-memory implementation: under the key's shard lock, so atomic.
    /// State past its [`Algorithm::expires_at`] is read as `None`; a new key in
    /// a shard full of unexpired state is [`StoreError::full`] (whatever
    /// [`AtCapacity`] says: that setting is [`KeyedLimiter::check`]'s).
    fn update<T>(
        &self,
        key: &K,
        now: UnixTime,
        mut update: impl FnMut(Option<&A::State>) -> (T, Option<A::State>),
    ) -> Result<T, StoreError> {
        let hash = self.hasher.hash_one(key);
        let mut shard = lock(self.shard_for(hash));
        if let Ok(entry) = shard.table.find_entry(hash, |e| &e.key == key) {
            let live = A::expires_at(&self.rate, &entry.get().state) > now;
            let (answer, next) = update(live.then_some(&entry.get().state));
            match next {
                Some(state) => {
                    let expiry = A::expires_at(&self.rate, &state).as_nanos();
                    entry.into_mut().state = state;
                    shard.earliest_expiry = shard.earliest_expiry.min(expiry);
                }
                None => {
                    entry.remove();
                }
            }
            return Ok(answer);
        }
        let (answer, next) = update(None);
        let Some(state) = next else {
            return Ok(answer);
        };
        if shard.table.len() >= self.per_shard && !self.make_room(&mut shard, now) {
            return Err(StoreError::full());
        }
        self.insert_new(&mut shard, hash, key.clone(), state);
        Ok(answer)
    }
}

/// Locks a shard; a poisoned lock (a panic elsewhere while held) still guards
/// valid state, since every update is a single assignment.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
