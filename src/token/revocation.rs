//! Revocation state: revoked and consumed token ids, revoked refresh families, and
//! per-user "everything issued before T" cutoffs.
//!
//! The host owns storage. [`RevocationStore`] is small enough to put on Redis or SQL;
//! [`MemoryRevocationStore`] is the thread-safe, bounded default. Every entry carries
//! the time after which it is moot (the token it concerns has expired), so
//! [`RevocationStore::purge_expired`] (SimpleJWT's `flushexpiredtokens`) keeps it small.
//!
//! Async hosts do not implement the trait: they take the [`Lookup`] from the pure
//! step, run the equivalent query on their own store and hand back a [`Status`] or
//! [`Consumed`] (see `TokenService::begin_refresh` and `Verified::lookup`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::error::TokenError;

/// What to look up for one token: its id, family and user, and when it was issued.
///
/// It borrows from the verified token, so the per-request check copies nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup<'a> {
    /// The token id (`jti`).
    pub jti: Option<&'a str>,
    /// The refresh family (`family` claim).
    pub family: Option<&'a str>,
    /// The user id.
    pub user: Option<&'a str>,
    /// `iat`, Unix seconds (`None` counts as issued before any cutoff).
    pub issued_at: Option<u64>,
    /// When the token can no longer verify (`exp` plus the leeway), Unix seconds:
    /// how long an entry about it must be kept.
    pub expires_at: u64,
}

/// Whether a token is still good as far as revocation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing revokes it.
    Active,
    /// Its id was revoked or consumed, its family revoked, or its user's cutoff is
    /// after its `iat`.
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
        /// Keep until (Unix seconds).
        until: u64,
    },
    /// Every token of a refresh family (reuse detection, logout of a session).
    Family {
        /// The family id.
        family: String,
        /// Keep until (Unix seconds).
        until: u64,
    },
    /// Every token of `user` issued before `cutoff` (password change, "log out everywhere").
    UserBefore {
        /// The user id.
        user: String,
        /// Tokens with `iat < cutoff` are revoked.
        cutoff: u64,
        /// Keep until (Unix seconds): the cutoff plus the longest token lifetime.
        until: u64,
    },
}

/// Storage for revocation state. Implementations must make [`RevocationStore::consume`]
/// atomic: of two concurrent calls for one `jti`, exactly one may see [`Consumed::Fresh`].
pub trait RevocationStore: Send + Sync {
    /// Whether `token` is revoked.
    ///
    /// # Errors
    /// [`TokenError::Store`] when the backend fails; callers treat that as "not verified".
    fn status(&self, token: &Lookup<'_>) -> Result<Status, TokenError>;

    /// Atomically checks `token` and marks its `jti` used.
    ///
    /// # Errors
    /// [`TokenError::Store`] when the backend fails or is full.
    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, TokenError>;

    /// Records a revocation.
    ///
    /// # Errors
    /// [`TokenError::Store`] when the backend fails or is full.
    fn revoke(&self, revocation: Revocation) -> Result<(), TokenError>;

    /// Drops entries whose `until` is at or before `now` (Unix seconds); returns how many.
    ///
    /// # Errors
    /// [`TokenError::Store`] when the backend fails.
    fn purge_expired(&self, now: u64) -> Result<usize, TokenError>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JtiState {
    Consumed,
    Revoked,
}

#[derive(Debug, Default)]
struct Inner {
    jtis: HashMap<String, (JtiState, u64)>,
    families: HashMap<String, u64>,
    users: HashMap<String, (u64, u64)>,
}

impl Inner {
    fn len(&self) -> usize {
        self.jtis.len() + self.families.len() + self.users.len()
    }

    fn status(&self, token: &Lookup<'_>) -> Status {
        // A consumed (rotated-out) refresh token is as dead as a revoked one, as
        // SimpleJWT's blacklist-after-rotation makes it.
        if let Some(jti) = token.jti
            && self.jtis.contains_key(jti)
        {
            return Status::Revoked;
        }
        if let Some(family) = token.family
            && self.families.contains_key(family)
        {
            return Status::Revoked;
        }
        if let Some(user) = token.user
            && let Some((cutoff, _)) = self.users.get(user)
            && token.issued_at.is_none_or(|iat| iat < *cutoff)
        {
            return Status::Revoked;
        }
        Status::Active
    }

    fn purge(&mut self, now: u64) -> usize {
        let before = self.len();
        self.jtis.retain(|_, (_, until)| *until > now);
        self.families.retain(|_, until| *until > now);
        self.users.retain(|_, (_, until)| *until > now);
        before.saturating_sub(self.len())
    }
}

/// The in-memory default: a mutex over three maps, bounded by `capacity` entries.
///
/// A full store refuses new entries with [`TokenError::Store`] instead of evicting:
/// evicting a revocation would silently un-revoke a token, and refusing to consume
/// makes a refresh fail closed. Call [`RevocationStore::purge_expired`] periodically.
#[derive(Debug)]
pub struct MemoryRevocationStore {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl Default for MemoryRevocationStore {
    /// Room for 1,000,000 entries.
    fn default() -> Self {
        Self::with_capacity(1_000_000)
    }
}

impl MemoryRevocationStore {
    /// A store holding at most `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
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

    fn full(&self, inner: &Inner, adding_new: bool) -> Result<(), TokenError> {
        if adding_new && inner.len() >= self.capacity {
            return Err(TokenError::Store(format!(
                "the in-memory revocation store is full ({} entries); purge expired entries or raise its capacity",
                self.capacity
            )));
        }
        Ok(())
    }
}

impl RevocationStore for MemoryRevocationStore {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, TokenError> {
        Ok(self.lock().status(token))
    }

    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, TokenError> {
        let mut inner = self.lock();
        let Some(jti) = token.jti else {
            return Err(TokenError::NoId);
        };
        if matches!(inner.jtis.get(jti), Some((JtiState::Consumed, _))) {
            return Ok(Consumed::AlreadyUsed);
        }
        if inner.status(token) == Status::Revoked {
            return Ok(Consumed::Revoked);
        }
        self.full(&inner, true)?;
        inner
            .jtis
            .insert(jti.to_owned(), (JtiState::Consumed, token.expires_at));
        Ok(Consumed::Fresh)
    }

    fn revoke(&self, revocation: Revocation) -> Result<(), TokenError> {
        let mut inner = self.lock();
        match revocation {
            Revocation::Jti { jti, until } => {
                let new = !inner.jtis.contains_key(&jti);
                self.full(&inner, new)?;
                let entry = inner.jtis.entry(jti).or_insert((JtiState::Revoked, until));
                entry.0 = JtiState::Revoked;
                entry.1 = entry.1.max(until);
            }
            Revocation::Family { family, until } => {
                let new = !inner.families.contains_key(&family);
                self.full(&inner, new)?;
                let entry = inner.families.entry(family).or_insert(until);
                *entry = (*entry).max(until);
            }
            Revocation::UserBefore {
                user,
                cutoff,
                until,
            } => {
                let new = !inner.users.contains_key(&user);
                self.full(&inner, new)?;
                let entry = inner.users.entry(user).or_insert((cutoff, until));
                entry.0 = entry.0.max(cutoff);
                entry.1 = entry.1.max(until);
            }
        }
        Ok(())
    }

    fn purge_expired(&self, now: u64) -> Result<usize, TokenError> {
        Ok(self.lock().purge(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(jti: &str) -> Lookup<'_> {
        Lookup {
            jti: Some(jti),
            family: Some("fam"),
            user: Some("7"),
            issued_at: Some(100),
            expires_at: 200,
        }
    }

    #[test]
    fn consume_is_single_use_and_revocations_win() {
        let store = MemoryRevocationStore::default();
        assert_eq!(store.consume(&lookup("a")).unwrap(), Consumed::Fresh);
        assert_eq!(store.consume(&lookup("a")).unwrap(), Consumed::AlreadyUsed);
        assert_eq!(store.status(&lookup("a")).unwrap(), Status::Revoked);
        assert_eq!(store.status(&lookup("b")).unwrap(), Status::Active);
        store
            .revoke(Revocation::Family {
                family: "fam".into(),
                until: 300,
            })
            .unwrap();
        assert_eq!(store.status(&lookup("b")).unwrap(), Status::Revoked);
        assert_eq!(store.consume(&lookup("b")).unwrap(), Consumed::Revoked);
    }

    #[test]
    fn user_cutoff_is_strictly_before() {
        let store = MemoryRevocationStore::default();
        store
            .revoke(Revocation::UserBefore {
                user: "7".into(),
                cutoff: 100,
                until: 500,
            })
            .unwrap();
        assert_eq!(store.status(&lookup("a")).unwrap(), Status::Active);
        let mut older = lookup("a");
        older.issued_at = Some(99);
        assert_eq!(store.status(&older).unwrap(), Status::Revoked);
        older.issued_at = None;
        assert_eq!(store.status(&older).unwrap(), Status::Revoked);
    }

    #[test]
    fn bounded_and_purgeable() {
        let store = MemoryRevocationStore::with_capacity(2);
        store
            .revoke(Revocation::Jti {
                jti: "a".into(),
                until: 10,
            })
            .unwrap();
        store
            .revoke(Revocation::Jti {
                jti: "b".into(),
                until: 20,
            })
            .unwrap();
        assert!(matches!(
            store.revoke(Revocation::Jti {
                jti: "c".into(),
                until: 20
            }),
            Err(TokenError::Store(_))
        ));
        // Re-revoking an existing id needs no room.
        store
            .revoke(Revocation::Jti {
                jti: "a".into(),
                until: 15,
            })
            .unwrap();
        assert_eq!(store.purge_expired(15).unwrap(), 1);
        assert_eq!(store.len(), 1);
        store
            .revoke(Revocation::Jti {
                jti: "c".into(),
                until: 20,
            })
            .unwrap();
    }
}
