//! Token revocation in Redis: revoked and consumed token ids, revoked refresh
//! families, per-user cutoffs, each with a TTL of its useful life.
//!
//! - A token id, a family and a user cutoff are three keys (`rev:jti:{JTI}`,
//!   `rev:family:{FAMILY}`, `rev:user:{USER}`), each in its own slot: a
//!   [`Revocation`] names only one of them, so it must be found by that alone.
//! - `status` reads the three keys.
//! - `consume` reads them, then runs the consume script on the token id's key
//!   alone: of concurrent consumes of one id exactly one sees `Fresh`. A
//!   revocation that returned before the consume began is always seen.
//! - `revoke` runs the revoke script on one key, keeping the later expiry
//!   (and for a user cutoff the later cutoff, in Unix microseconds).
//!
//! Every entry expires (Redis `EXAT`) when no token it concerns can verify any
//! more, rounded up to the second; nothing needs purging.

use portcullis::clock::UnixTime;
use portcullis::store::StoreError;
use portcullis::token::{
    Claims, Consumed, Lookup, Refreshed, Revocation, Status, StoreAnswer, StoreStep, TokenError,
    TokenKind, Tokens,
};

use crate::error::Error;
use crate::stores::RedisStores;

/// Whole Unix seconds at or after `t`: a key never expires before its entry is moot.
fn secs_ceil(t: UnixTime) -> u64 {
    t.as_nanos().div_ceil(1_000_000_000).max(1)
}

/// Unix microseconds: the precision of the core's NumericDate claims.
fn micros(t: UnixTime) -> u64 {
    t.as_nanos() / 1000
}

/// What the three revocation keys of a token hold.
struct Entries {
    jti: Option<Vec<u8>>,
    family: bool,
    cutoff: Option<u64>,
}

impl Entries {
    fn revokes(&self, token: &Lookup<'_>) -> bool {
        self.jti.is_some()
            || (token.family.is_some() && self.family)
            || (token.user.is_some()
                && self
                    .cutoff
                    .is_some_and(|c| token.issued_at.is_none_or(|iat| micros(iat) <= c)))
    }
}

impl RedisStores {
    async fn entries(&self, token: &Lookup<'_>) -> Result<Entries, Error> {
        let layout = self.options().layout();
        let jti = layout.revoked_jti(token.jti);
        let family = token.family.map(|f| layout.revoked_family(f));
        let user = token.user.map(|u| layout.user_cutoff(u));
        let (jti, family, cutoff) = tokio::try_join!(
            self.get(&jti),
            async {
                match &family {
                    Some(key) => self.get(key).await.map(|v| v.is_some()),
                    None => Ok(false),
                }
            },
            async {
                match &user {
                    Some(key) => self.get(key).await,
                    None => Ok(None),
                }
            },
        )?;
        let cutoff = cutoff
            .map(|v| {
                std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or(Error::Corrupt(
                        portcullis::ratelimit::RateLimitError::InvalidState {
                            algorithm: "user cutoff",
                            reason: "not a whole number of microseconds",
                        },
                    ))
            })
            .transpose()?;
        Ok(Entries {
            jti,
            family,
            cutoff,
        })
    }

    /// Whether `token` is revoked (no failure mode: see [`RedisStores::verify`]).
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn revocation_status(&self, token: &Lookup<'_>) -> Result<Status, Error> {
        Ok(if self.entries(token).await?.revokes(token) {
            Status::Revoked
        } else {
            Status::Active
        })
    }

    /// Atomically checks `token` and marks its id used.
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, Error> {
        let entries = self.entries(token).await?;
        if entries.jti.as_deref() == Some(b"c") {
            return Ok(Consumed::AlreadyUsed);
        }
        if entries.revokes(token) {
            return Ok(Consumed::Revoked);
        }
        let key = self.options().layout().revoked_jti(token.jti);
        Ok(
            match self
                .consume_script(&key, secs_ceil(token.expires_at))
                .await?
            {
                0 => Consumed::Fresh,
                1 => Consumed::AlreadyUsed,
                _ => Consumed::Revoked,
            },
        )
    }

    /// Records `revocation` until its `until`.
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn revoke(&self, revocation: &Revocation) -> Result<(), Error> {
        let layout = self.options().layout();
        let (key, value, until, numeric) = match revocation {
            Revocation::Jti { jti, until } => {
                (layout.revoked_jti(jti), "r".to_owned(), until, false)
            }
            Revocation::Family { family, until } => {
                (layout.revoked_family(family), "r".to_owned(), until, false)
            }
            Revocation::UserBefore {
                user,
                cutoff,
                until,
            } => (
                layout.user_cutoff(user),
                micros(*cutoff).to_string(),
                until,
                true,
            ),
        };
        self.revoke_script(&key, &value, secs_ceil(*until), numeric)
            .await
    }

    /// The revocation status under the failure mode: closed turns a failure
    /// into the core's `StoreError` (503), open into `Active` (counted in
    /// [`RedisStores::failures_absorbed`]). What a host's own async
    /// revocation seam (a tower layer's) calls after the core's pure verify step.
    ///
    /// # Errors
    /// With [`FailureMode::Closed`](crate::FailureMode::Closed), the Redis
    /// failure as the core's `StoreError`.
    pub async fn status_or_fail(&self, token: &Lookup<'_>) -> Result<Status, StoreError> {
        match self.revocation_status(token).await {
            Ok(status) => Ok(status),
            Err(e) => Ok(self.fail(self.options().revocation_failure(), e, Status::Active)?),
        }
    }

    /// A consume under the failure mode (open: `Fresh`, the token is not single-use then).
    pub(crate) async fn consume_or_fail(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError> {
        match self.consume(token).await {
            Ok(consumed) => Ok(consumed),
            Err(e) => Ok(self.fail(self.options().revocation_failure(), e, Consumed::Fresh)?),
        }
    }

    /// Verifies a token of `kind` with `tokens`, revocation included (the
    /// async counterpart of the core's `TokenService::verify`).
    ///
    /// # Errors
    /// The token's error; [`TokenError::Store`] (code `store_unavailable`, 503)
    /// when Redis fails and the revocation store fails closed.
    pub async fn verify(
        &self,
        tokens: &Tokens,
        token: &str,
        kind: TokenKind,
        now: UnixTime,
    ) -> Result<Claims, TokenError> {
        let verified = tokens.verify(token, Some(kind), now)?;
        let status = self.status_or_fail(&verified.lookup()).await?;
        verified.finish(status)
    }

    /// Refresh with rotation and reuse detection (the async counterpart of
    /// `TokenService::refresh`): a replayed refresh token revokes its family.
    ///
    /// # Errors
    /// As `RefreshPlan::finish`; [`TokenError::Store`] when Redis fails.
    pub async fn refresh(
        &self,
        tokens: &Tokens,
        token: &str,
        now: UnixTime,
    ) -> Result<Refreshed, TokenError> {
        let plan = tokens.begin_refresh(token, now)?;
        let answer = match plan.store_step() {
            StoreStep::Check(l) => StoreAnswer::Status(self.status_or_fail(&l).await?),
            StoreStep::Consume(l) => StoreAnswer::Consumed(self.consume_or_fail(&l).await?),
        };
        match plan.finish(answer) {
            Err(TokenError::Reused) => {
                self.revoke(&plan.reuse_revocation())
                    .await
                    .map_err(StoreError::from)?;
                Err(TokenError::Reused)
            }
            other => other,
        }
    }

    /// Logout: revokes a refresh token's family (or a sliding token).
    ///
    /// # Errors
    /// As `TokenService::logout`.
    pub async fn logout(
        &self,
        tokens: &Tokens,
        token: &str,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        let verified = tokens.verify(token, None, now)?;
        let revocation = tokens.logout(&verified)?;
        if self.status_or_fail(&verified.lookup()).await? == Status::Revoked {
            return Err(TokenError::Blacklisted);
        }
        Ok(self.revoke(&revocation).await.map_err(StoreError::from)?)
    }

    /// "Log out everywhere": revokes every token of `user_id` issued at or before `now`.
    ///
    /// # Errors
    /// [`TokenError::Store`] when Redis fails.
    pub async fn revoke_user_before(
        &self,
        tokens: &Tokens,
        user_id: &str,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        let revocation = tokens.revoke_user_before(user_id, now);
        Ok(self.revoke(&revocation).await.map_err(StoreError::from)?)
    }
}
