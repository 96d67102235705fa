//! DPoP proof replay (RFC 9449 section 11.1) in Redis: one `SET key 1 NX PX ttl`
//! per proof, atomic on its own key (`dpop:{HEX}`), expiring with the proof's
//! window.

use portcullis::clock::UnixTime;
use portcullis::jose::dpop::{Checked, DpopError, ReplayKey, Seen, Verified};
use portcullis::store::StoreError;

use crate::error::Error;
use crate::stores::RedisStores;

impl RedisStores {
    /// Records `key` until `expires_at` and answers [`Seen::First`], unless it
    /// is recorded already: [`Seen::Again`] (no failure mode: see
    /// [`RedisStores::finish_dpop`]).
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn check_replay(
        &self,
        key: &ReplayKey,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<Seen, Error> {
        let ttl_ms = crate::stores::ttl_millis(now, expires_at);
        let set: Option<String> = self
            .query(
                redis::cmd("SET")
                    .arg(self.options().layout().replay(key))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms),
            )
            .await?;
        Ok(if set.is_some() {
            Seen::First
        } else {
            Seen::Again
        })
    }

    /// The replay step of a checked DPoP proof: records it and accepts it once.
    /// A Redis failure takes the replay store's failure mode (closed by
    /// default: the proof is refused with a store error).
    ///
    /// # Errors
    /// [`DpopError`] for a replay, or [`DpopError::Store`] when Redis fails.
    pub async fn finish_dpop(
        &self,
        checked: Checked,
        now: UnixTime,
    ) -> Result<Verified, DpopError> {
        let seen = match self
            .check_replay(checked.replay_key(), checked.replay_expires_at(), now)
            .await
        {
            Ok(seen) => seen,
            Err(e) => self
                .fail(self.options().replay_failure(), e, Seen::First)
                .map_err(StoreError::from)?,
        };
        checked.finish(seen)
    }
}
