//! The replay seam: a proof's `jti` may be used once within its window (RFC 9449
//! section 11.1).
//!
//! The check is one atomic check-and-insert ([`ReplayStore`]); hosts with an async
//! store take the sans-I/O path instead: [`Checked::replay_key`] and
//! [`Checked::replay_expires_at`] say what to record, the host runs its own atomic
//! insert (Redis `SET key 1 NX EXAT t`), and [`Checked::finish`] takes the answer.
//! Entries expire with the proof's window, so a store holds at most the proofs of
//! one window; [`MemoryReplayStore`] is also capped in entries and, when full of live
//! entries, fails closed with [`StoreError::full`].
//!
//! [`Checked::replay_key`]: super::Checked::replay_key
//! [`Checked::replay_expires_at`]: super::Checked::replay_expires_at
//! [`Checked::finish`]: super::Checked::finish

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use ring::digest;

use crate::clock::UnixTime;
use crate::store::StoreError;

/// What a store key stands for: SHA-256 over the key's thumbprint and the proof's
/// `jti` (fixed size, whatever the client sent; a `jti` counts per key, so one
/// client cannot burn another's).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey([u8; 32]);

impl ReplayKey {
    /// The key for `jti` under the thumbprint `jkt`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(jkt.as_bytes());
        ctx.update(&[0]);
        ctx.update(jti.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Self(out)
    }

    /// The 32 bytes, for a store that keys by bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, for a store that keys by text.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({})", self.to_hex())
    }
}

/// A store's answer to check-and-insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The key was absent (or expired) and is now recorded.
    First,
    /// The key was recorded before and has not expired: a replay.
    Again,
}

/// Replay state behind one atomic operation.
pub trait ReplayStore {
    /// Records `key` until `expires_at` and answers [`Seen::First`], unless it is
    /// recorded and unexpired at `now`, then [`Seen::Again`]; atomically.
    ///
    /// # Errors
    /// [`StoreError`] when the backend fails or is full; the proof is then refused.
    fn check_and_insert(
        &self,
        key: &ReplayKey,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<Seen, StoreError>;
}

/// The bounded in-memory [`ReplayStore`]: at most `capacity` live entries.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::jose::dpop::{MemoryReplayStore, ReplayKey, ReplayStore, Seen};
///
/// let store = MemoryReplayStore::new(1000);
/// let key = ReplayKey::new("jkt", "jti-1");
/// let (now, until) = (UnixTime::from_nanos(0), UnixTime::from_nanos(60_000_000_000));
/// assert_eq!(store.check_and_insert(&key, until, now), Ok(Seen::First));
/// assert_eq!(store.check_and_insert(&key, until, now), Ok(Seen::Again));
/// ```
pub struct MemoryReplayStore {
    capacity: usize,
    entries: Mutex<HashMap<ReplayKey, u64>>,
}

impl MemoryReplayStore {
    /// A store of at most `capacity` live entries (a proof window's worth of requests).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How many entries are held (live or not yet swept).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn check_and_insert(
        &self,
        key: &ReplayKey,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<Seen, StoreError> {
        let now = now.as_nanos();
        // A panic elsewhere while holding the lock leaves the map consistent.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&until) = entries.get(key)
            && until > now
        {
            return Ok(Seen::Again);
        }
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.retain(|_, until| *until > now);
            if entries.len() >= self.capacity {
                return Err(StoreError::full());
            }
        }
        entries.insert(*key, expires_at.as_nanos());
        Ok(Seen::First)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap_or(UnixTime::from_nanos(0))
    }

    #[test]
    fn an_entry_expires_with_its_window() {
        let store = MemoryReplayStore::new(10);
        let key = ReplayKey::new("k", "j");
        assert_eq!(
            store.check_and_insert(&key, t(160), t(100)),
            Ok(Seen::First)
        );
        assert_eq!(
            store.check_and_insert(&key, t(160), t(159)),
            Ok(Seen::Again)
        );
        assert_eq!(
            store.check_and_insert(&key, t(220), t(160)),
            Ok(Seen::First)
        );
    }

    #[test]
    fn a_full_store_sweeps_expired_entries_then_fails_closed() {
        let store = MemoryReplayStore::new(2);
        for jti in ["a", "b"] {
            let key = ReplayKey::new("k", jti);
            assert_eq!(
                store.check_and_insert(&key, t(160), t(100)),
                Ok(Seen::First)
            );
        }
        let c = ReplayKey::new("k", "c");
        assert_eq!(
            store.check_and_insert(&c, t(160), t(100)),
            Err(StoreError::full())
        );
        assert_eq!(store.check_and_insert(&c, t(230), t(170)), Ok(Seen::First));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn keys_are_per_thumbprint() {
        assert_ne!(ReplayKey::new("k1", "j"), ReplayKey::new("k2", "j"));
        assert_ne!(ReplayKey::new("a", "bc"), ReplayKey::new("ab", "c"));
        assert_eq!(ReplayKey::new("k", "j").to_hex().len(), 64);
    }
}
