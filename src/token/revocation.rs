//! Revocation state: revoked and consumed token ids, revoked refresh families, and
//! per-user "everything issued up to T" cutoffs.
//!
//! The host owns storage. [`RevocationStore`] is small enough to put on Redis or SQL;
//! [`MemoryRevocationStore`] is the thread-safe, bounded default. Every entry carries
//! the time after which it is moot (no token it concerns can verify any more), so
//! [`RevocationStore::purge_expired`] (SimpleJWT's `flushexpiredtokens`) keeps it small.
//! A store's failure is a [`StoreError`]; the token flows report it as
//! [`TokenError::Store`](super::TokenError::Store).
//!
//! Async hosts do not implement the trait: they take the [`Lookup`] or [`Revocation`]
//! from the pure step, run the equivalent query on their own store and hand back a
//! [`Status`] or [`Consumed`] (see `Tokens::begin_refresh` and `Verified::lookup`).
//! Per-user cutoffs keep milliseconds: see [`Revocation::UserBefore`].

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::clock::UnixTime;
use crate::store::StoreError;

mod table;

use table::{JtiEntry, JtiState, JtiTable};

/// What to look up for one token: its id, family and user, and when it was issued.
///
/// It borrows from the verified token, so the per-request check copies nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup<'a> {
    /// The token id (`jti`; verification refuses a token without one).
    pub jti: &'a str,
    /// The refresh family: the `family` claim, or for a refresh token without one
    /// (made by SimpleJWT) its own `jti`, which every token rotated from it carries.
    pub family: Option<&'a str>,
    /// The user id.
    pub user: Option<&'a str>,
    /// `iat` (`None` counts as issued before any cutoff).
    pub issued_at: Option<UnixTime>,
    /// When no copy of the token can verify any more (`exp` plus the leeway; for a
    /// sliding token, the last renewal's): how long an entry about it must be kept.
    pub expires_at: UnixTime,
    /// When the lookup is made: a bounded store evicts entries moot by then before
    /// it refuses a new one.
    pub now: UnixTime,
}

/// Whether a token is still good as far as revocation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing revokes it.
    Active,
    /// Its id was revoked or consumed, its family revoked, or its `iat` is at or
    /// before its user's cutoff.
    Revoked,
}

/// The result of trying to use a single-use (refresh) token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// This call consumed it: the caller may proceed.
    Fresh,
    /// It was consumed before: a replay. The caller revokes the family.
    AlreadyUsed,
    /// It (or its family or user) was revoked.
    Revoked,
}

/// One revocation to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// One token id (logout; SimpleJWT's blacklist).
    Jti {
        /// The id.
        jti: String,
        /// Keep until.
        until: UnixTime,
    },
    /// Every token of a refresh family (reuse detection, logout of a session).
    Family {
        /// The family id.
        family: String,
        /// Keep until.
        until: UnixTime,
    },
    /// Every token of `user` issued at or before `cutoff` (password change, "log out
    /// everywhere").
    ///
    /// Tokens this crate issues carry `iat` to the millisecond, and
    /// `revoke_user_before(user, now)` keeps `now` to the millisecond, so a token
    /// issued before the call is refused and the login that follows it, even within
    /// the same second, is accepted (one issued within the same millisecond as the
    /// call is refused). A whole-second `iat` (SimpleJWT's, truncated) inside the
    /// cutoff's second may stand for any moment of that second, so it is refused:
    /// the safe side.
    UserBefore {
        /// The user id.
        user: String,
        /// Tokens with `iat <= cutoff` (or no `iat`) are revoked.
        cutoff: UnixTime,
        /// Keep until: the cutoff plus the longest token lifetime.
        until: UnixTime,
    },
}

/// Storage for revocation state. Implementations must make [`RevocationStore::consume`]
/// atomic: of two concurrent calls for one `jti`, exactly one may see [`Consumed::Fresh`].
pub trait RevocationStore: Send + Sync {
    /// Whether `token` is revoked.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails; callers treat that as "not verified".
    fn status(&self, token: &Lookup<'_>) -> Result<Status, StoreError>;

    /// Atomically checks `token` and marks its `jti` used.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails or is full.
    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError>;

    /// Records a revocation.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails or is full.
    fn revoke(&self, revocation: Revocation) -> Result<(), StoreError>;

    /// Drops entries whose `until` is at or before `now`; returns how many.
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails.
    fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError>;
}

/// An id (jti, family, user) as the store keeps it: a 64-bit digest under the
/// store's own random SipHash key, never the text.
///
/// Two ids share a digest with probability 2^-64 per pair, and nobody without the
/// key (it never leaves the process) can aim for a collision; a collision can
/// only make an unrevoked token read as revoked, never the reverse.
type Digest = u64;

/// Passes a [`Digest`] through as its own hash: it is already uniformly random.
#[derive(Clone, Copy, Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the maps' keys are digests); this keeps any
        // other input well mixed all the same (FNV-1a).
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, digest: u64) {
        self.0 = digest;
    }
}

type DigestMap<V> = HashMap<Digest, V, BuildHasherDefault<DigestHasher>>;

fn digest(key: &RandomState, id: &str) -> Digest {
    key.hash_one(id)
}

#[derive(Debug, Default)]
struct Inner {
    jtis: JtiTable,
    families: DigestMap<UnixTime>,
    users: DigestMap<(UnixTime, UnixTime)>,
    /// How many of `jtis` are consumption records.
    consumed: usize,
    /// The latest `now` a caller has given (lookups, purges): entries moot by then
    /// may be evicted to make room.
    seen: UnixTime,
    /// The `now` of the last purge: a full store scans again only once time has
    /// moved on, so a flood against a full store does not scan it per request.
    purged_at: Option<UnixTime>,
}

impl Inner {
    fn len(&self) -> usize {
        self.jtis.len() + self.families.len() + self.users.len()
    }

    /// Whether `token` is revoked; an id is hashed only when its map holds anything.
    fn status(&self, token: &Lookup<'_>, key: &RandomState) -> Status {
        // A consumed (rotated-out) refresh token is as dead as a revoked one, as
        // SimpleJWT's blacklist-after-rotation makes it.
        if !self.jtis.is_empty() && self.jtis.contains(digest(key, token.jti)) {
            return Status::Revoked;
        }
        if let Some(family) = token.family
            && !self.families.is_empty()
            && self.families.contains_key(&digest(key, family))
        {
            return Status::Revoked;
        }
        if let Some(user) = token.user
            && !self.users.is_empty()
            && let Some((cutoff, _)) = self.users.get(&digest(key, user))
            && token.issued_at.is_none_or(|iat| iat <= *cutoff)
        {
            return Status::Revoked;
        }
        Status::Active
    }

    fn purge(&mut self, now: UnixTime) -> usize {
        self.seen = self.seen.max(now);
        self.purged_at = Some(now);
        let before = self.len();
        self.jtis.retain(|entry| entry.until() > now);
        self.consumed = self
            .jtis
            .values()
            .filter(|entry| entry.state() == JtiState::Consumed)
            .count();
        self.families.retain(|_, until| *until > now);
        self.users.retain(|_, (_, until)| *until > now);
        before.saturating_sub(self.len())
    }
}

/// The in-memory default: a mutex over three maps, bounded by `capacity` entries.
///
/// Ids are kept as 64-bit keyed digests (see the memory figure in the README): a
/// jti costs at most 48 bytes whatever the id's length (24 at a million jtis), and
/// its lookup is one hash of the id, then as a rule one 64-byte cache line.
/// A jti's keep-until time is kept to the second, rounded up (the entry may
/// outlive its `until` by under a second; from February 2106 on, it is kept
/// forever): the safe side, since a moot entry only takes room.
///
/// Before refusing anything, a full store evicts every entry that is moot (its
/// `until` has passed by the latest `now` it was given, in a [`Lookup`] or a purge).
/// It never evicts a live entry: that would silently un-revoke
/// a token, or let a consumed refresh token be used once more. Consumption records
/// (one per refresh with rotation, the entries an attacker makes most cheaply) may
/// fill only three quarters of the capacity; the rest is kept for revocations
/// (logout, reuse detection, user cutoffs), so a flood of refreshes cannot stop a
/// replay from revoking its family. When even that is full the store refuses with
/// a [`StoreError`] (kind `Full`), and the flow fails closed (503).
#[derive(Debug)]
pub struct MemoryRevocationStore {
    inner: Mutex<Inner>,
    capacity: usize,
    consume_capacity: usize,
    /// The digest key, random per store.
    digest_key: RandomState,
}

impl Default for MemoryRevocationStore {
    /// Room for 1,000,000 entries.
    fn default() -> Self {
        Self::with_capacity(1_000_000)
    }
}

impl MemoryRevocationStore {
    /// A store holding at most `capacity` entries, of which at most
    /// `capacity - max(1, capacity / 4)` consumption records.
    pub fn with_capacity(capacity: usize) -> Self {
        let reserved = (capacity / 4).max(1);
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            consume_capacity: capacity.saturating_sub(reserved),
            digest_key: RandomState::new(),
        }
    }

    fn digest(&self, id: &str) -> Digest {
        digest(&self.digest_key, id)
    }

    /// The number of entries held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated (every
        // update is one insert), so the data is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for one new entry (a consumption record when `consumption`),
    /// evicting moot entries first.
    fn make_room(&self, inner: &mut Inner, consumption: bool) -> Result<(), StoreError> {
        let fits = |inner: &Inner| {
            inner.len() < self.capacity && (!consumption || inner.consumed < self.consume_capacity)
        };
        if !fits(inner) && inner.purged_at.is_none_or(|at| at < inner.seen) {
            let now = inner.seen;
            inner.purge(now);
        }
        if fits(inner) {
            Ok(())
        } else {
            Err(StoreError::full())
        }
    }
}

impl RevocationStore for MemoryRevocationStore {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, StoreError> {
        let mut inner = self.lock();
        inner.seen = inner.seen.max(token.now);
        Ok(inner.status(token, &self.digest_key))
    }

    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError> {
        let jti = self.digest(token.jti);
        let mut inner = self.lock();
        inner.seen = inner.seen.max(token.now);
        if inner
            .jtis
            .get(jti)
            .is_some_and(|entry| entry.state() == JtiState::Consumed)
        {
            return Ok(Consumed::AlreadyUsed);
        }
        if inner.status(token, &self.digest_key) == Status::Revoked {
            return Ok(Consumed::Revoked);
        }
        self.make_room(&mut inner, true)?;
        inner
            .jtis
            .insert(jti, JtiEntry::new(JtiState::Consumed, token.expires_at));
        inner.consumed += 1;
        Ok(Consumed::Fresh)
    }

    fn revoke(&self, revocation: Revocation) -> Result<(), StoreError> {
        match revocation {
            Revocation::Jti { jti, until } => {
                let jti = self.digest(&jti);
                let mut inner = self.lock();
                let kept = match inner.jtis.get(jti) {
                    None => {
                        self.make_room(&mut inner, false)?;
                        until
                    }
                    Some(entry) => {
                        if entry.state() == JtiState::Consumed {
                            inner.consumed = inner.consumed.saturating_sub(1);
                        }
                        entry.until().max(until)
                    }
                };
                inner
                    .jtis
                    .insert(jti, JtiEntry::new(JtiState::Revoked, kept));
            }
            Revocation::Family { family, until } => {
                let family = self.digest(&family);
                let mut inner = self.lock();
                if !inner.families.contains_key(&family) {
                    self.make_room(&mut inner, false)?;
                }
                let entry = inner.families.entry(family).or_insert(until);
                *entry = (*entry).max(until);
            }
            Revocation::UserBefore {
                user,
                cutoff,
                until,
            } => {
                let user = self.digest(&user);
                let mut inner = self.lock();
                if !inner.users.contains_key(&user) {
                    self.make_room(&mut inner, false)?;
                }
                let entry = inner.users.entry(user).or_insert((cutoff, until));
                entry.0 = entry.0.max(cutoff);
                entry.1 = entry.1.max(until);
            }
        }
        Ok(())
    }

    fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        Ok(self.lock().purge(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreErrorKind;

    fn t(secs: u64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap_or_default()
    }

    fn lookup(jti: &str) -> Lookup<'_> {
        Lookup {
            jti,
            family: Some("fam"),
            user: Some("7"),
            issued_at: Some(t(100)),
            expires_at: t(200),
            now: t(100),
        }
    }

    fn jti(id: &str, until: u64) -> Revocation {
        Revocation::Jti {
            jti: id.into(),
            until: t(until),
        }
    }

    #[test]
    fn consume_is_single_use_and_revocations_win() {
        let store = MemoryRevocationStore::default();
        assert_eq!(store.consume(&lookup("a")).unwrap(), Consumed::Fresh);
        assert_eq!(store.consume(&lookup("a")).unwrap(), Consumed::AlreadyUsed);
        assert_eq!(store.status(&lookup("a")).unwrap(), Status::Revoked);
        assert_eq!(store.status(&lookup("b")).unwrap(), Status::Active);
        let family = Revocation::Family {
            family: "fam".into(),
            until: t(300),
        };
        store.revoke(family).unwrap();
        assert_eq!(store.status(&lookup("b")).unwrap(), Status::Revoked);
        assert_eq!(store.consume(&lookup("b")).unwrap(), Consumed::Revoked);
    }

    #[test]
    fn user_cutoff_covers_tokens_issued_at_or_before_it() {
        let store = MemoryRevocationStore::default();
        let cutoff = UnixTime::from_nanos(100_500_000_000);
        let user = Revocation::UserBefore {
            user: "7".into(),
            cutoff,
            until: t(500),
        };
        store.revoke(user).unwrap();
        let mut token = lookup("a");
        for (iat, status) in [
            (Some(t(100)), Status::Revoked),
            (Some(cutoff), Status::Revoked),
            (Some(UnixTime::from_nanos(100_501_000_000)), Status::Active),
            (Some(t(101)), Status::Active),
            (None, Status::Revoked),
        ] {
            token.issued_at = iat;
            assert_eq!(store.status(&token).unwrap(), status, "{iat:?}");
        }
    }

    #[test]
    fn bounded_and_purgeable() {
        let store = MemoryRevocationStore::with_capacity(2);
        store.revoke(jti("a", 10)).unwrap();
        store.revoke(jti("b", 20)).unwrap();
        let full = store.revoke(jti("c", 20)).unwrap_err();
        assert_eq!(full.kind(), StoreErrorKind::Full);
        // Re-revoking an existing id needs no room.
        store.revoke(jti("a", 15)).unwrap();
        assert_eq!(store.purge_expired(t(15)).unwrap(), 1);
        assert_eq!(store.len(), 1);
        store.revoke(jti("c", 20)).unwrap();
    }

    #[test]
    fn a_full_store_evicts_moot_entries_before_refusing() {
        let store = MemoryRevocationStore::with_capacity(2);
        store.revoke(jti("a", 10)).unwrap();
        store.revoke(jti("b", 20)).unwrap();
        let mut at_ten = lookup("z");
        at_ten.now = t(10);
        assert_eq!(store.status(&at_ten).unwrap(), Status::Active);
        // At 10, "a" is moot: it makes room without a purge call.
        store.revoke(jti("c", 30)).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.status(&lookup("a")).unwrap(), Status::Active);
        assert_eq!(store.status(&lookup("b")).unwrap(), Status::Revoked);
    }

    #[test]
    fn consumption_records_leave_room_for_revocations() {
        let store = MemoryRevocationStore::with_capacity(4);
        for id in ["a", "b", "c"] {
            assert_eq!(store.consume(&lookup(id)).unwrap(), Consumed::Fresh);
        }
        let refused = store.consume(&lookup("d")).unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::Full);
        store.revoke(jti("x", 200)).unwrap();
        assert_eq!(store.len(), 4);
        // Revoking a consumed id needs no room and frees a consumption slot.
        store.revoke(jti("a", 200)).unwrap();
        store.purge_expired(t(0)).unwrap();
        assert_eq!(store.len(), 4);
    }
}
