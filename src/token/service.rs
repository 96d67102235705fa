//! The store-backed service: the engine's steps run against a [`RevocationStore`],
//! every flow in one call (issue, verify, refresh with rotation and reuse detection,
//! logout, revocation of one token or of a user's older tokens, sliding tokens, purge).

use serde::Serialize;

use super::Keyring;
use super::claims::{Claims, TokenKind};
use super::config::TokenConfig;
use super::engine::Tokens;
use super::error::TokenError;
use super::login::Login;
use super::refresh::{Refreshed, StoreAnswer, StoreStep, TokenPair};
use super::revocation::{MemoryRevocationStore, RevocationStore, Status};
use crate::clock::UnixTime;

/// The engine plus a revocation store: every flow in one call.
#[derive(Debug)]
pub struct TokenService<S = MemoryRevocationStore> {
    tokens: Tokens,
    store: S,
}

impl TokenService<MemoryRevocationStore> {
    /// A service with the in-memory store.
    ///
    /// # Errors
    /// As [`Tokens::new`].
    pub fn in_memory(config: TokenConfig, keyring: Keyring) -> Result<Self, TokenError> {
        Ok(Self::new(
            Tokens::new(config, keyring)?,
            MemoryRevocationStore::default(),
        ))
    }
}

impl<S: RevocationStore> TokenService<S> {
    /// A service over `tokens` and `store`.
    pub fn new(tokens: Tokens, store: S) -> Self {
        Self { tokens, store }
    }

    /// The pure engine.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The engine, to rotate keys.
    pub fn tokens_mut(&mut self) -> &mut Tokens {
        &mut self.tokens
    }

    /// The revocation store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Login: a refresh token starting a new family and an access token derived from it.
    ///
    /// # Errors
    /// As [`Tokens::issue`].
    pub fn issue_pair<T: Serialize + ?Sized>(
        &self,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<TokenPair, TokenError> {
        self.tokens.issue_pair(user_id, extra, now)
    }

    /// Login: [`Tokens::login`], the pair and the last-login update when configured.
    ///
    /// # Errors
    /// As [`Tokens::issue`].
    pub fn login<T: Serialize + ?Sized>(
        &self,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<Login, TokenError> {
        self.tokens.login(user_id, extra, now)
    }

    /// Verifies a token of `kind`, including revocation. An access or sliding token
    /// must name a user, as SimpleJWT's authentication requires.
    ///
    /// # Errors
    /// The SimpleJWT error for the first failed rule; [`TokenError::Blacklisted`] if
    /// revoked; [`TokenError::NoUserId`] for an access or sliding token without a user.
    pub fn verify(
        &self,
        token: &str,
        kind: TokenKind,
        now: UnixTime,
    ) -> Result<Claims, TokenError> {
        let verified = self.tokens.verify(token, Some(kind), now)?;
        let status = self.store.status(&verified.lookup())?;
        verified.finish(status)
    }

    /// Verifies an access token (the per-request check).
    ///
    /// # Errors
    /// As [`TokenService::verify`].
    pub fn verify_access(&self, token: &str, now: UnixTime) -> Result<Claims, TokenError> {
        self.verify(token, TokenKind::Access, now)
    }

    /// SimpleJWT's verify endpoint: any token type, signature, claims and revocation
    /// (no user needed: that endpoint looks none up).
    ///
    /// # Errors
    /// As [`TokenService::verify`], minus the type and user checks.
    pub fn verify_any(&self, token: &str, now: UnixTime) -> Result<Claims, TokenError> {
        let verified = self.tokens.verify(token, None, now)?;
        let status = self.store.status(&verified.lookup())?;
        verified.finish(status)
    }

    /// Refresh: a new access token, and with rotation a new refresh token. With
    /// `blacklist_after_rotation`, the presented token is consumed atomically; a
    /// second use revokes its whole family (for a SimpleJWT-made token, the family
    /// derived from its id) and fails with [`TokenError::Reused`].
    ///
    /// # Errors
    /// As [`Tokens::begin_refresh`] and [`RefreshPlan::finish`](super::RefreshPlan::finish).
    pub fn refresh(&self, token: &str, now: UnixTime) -> Result<Refreshed, TokenError> {
        let plan = self.tokens.begin_refresh(token, now)?;
        let answer = match plan.store_step() {
            StoreStep::Check(l) => StoreAnswer::Status(self.store.status(&l)?),
            StoreStep::Consume(l) => StoreAnswer::Consumed(self.store.consume(&l)?),
        };
        match plan.finish(answer) {
            Err(TokenError::Reused) => {
                self.store.revoke(plan.reuse_revocation())?;
                Err(TokenError::Reused)
            }
            other => other,
        }
    }

    /// Logout: revokes a refresh token and its family (every token rotated from the
    /// same login, including access tokens derived from them), or a sliding token in
    /// every renewed copy.
    ///
    /// # Errors
    /// As [`TokenService::verify_any`]; [`TokenError::WrongType`] for an access
    /// token; a store error.
    pub fn logout(&self, token: &str, now: UnixTime) -> Result<(), TokenError> {
        let verified = self.tokens.verify(token, None, now)?;
        let revocation = self.tokens.logout(&verified)?;
        if self.store.status(&verified.lookup())? == Status::Revoked {
            return Err(TokenError::Blacklisted);
        }
        Ok(self.store.revoke(revocation)?)
    }

    /// Revokes one token of any kind until it can no longer verify (see
    /// [`Tokens::revoke_token`]).
    ///
    /// # Errors
    /// As [`Tokens::verify`] with no kind, or a store error.
    pub fn revoke_token(&self, token: &str, now: UnixTime) -> Result<(), TokenError> {
        let revocation = self.tokens.revoke_token(token, now)?;
        Ok(self.store.revoke(revocation)?)
    }

    /// Revokes the token id `jti` until `until` (its `exp` plus the leeway), as
    /// SimpleJWT's `BlacklistedToken` rows name them.
    ///
    /// # Errors
    /// A store error.
    pub fn revoke_jti(&self, jti: &str, until: UnixTime) -> Result<(), TokenError> {
        Ok(self.store.revoke(self.tokens.revoke_jti(jti, until))?)
    }

    /// Revokes every token of `user_id` issued at or before `now` (password change,
    /// "log out everywhere"); the next login, even in the same second, is accepted.
    /// See the [revocation docs](super::Revocation::UserBefore) for the precision.
    ///
    /// # Errors
    /// A store error.
    pub fn revoke_user_before(&self, user_id: &str, now: UnixTime) -> Result<(), TokenError> {
        Ok(self
            .store
            .revoke(self.tokens.revoke_user_before(user_id, now))?)
    }

    /// A new sliding token (SimpleJWT's sliding obtain).
    ///
    /// # Errors
    /// As [`Tokens::issue`].
    pub fn issue_sliding<T: Serialize + ?Sized>(
        &self,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<String, TokenError> {
        self.tokens.issue(TokenKind::Sliding, user_id, extra, now)
    }

    /// Renews a sliding token that is still fully valid and within `refresh_exp`.
    ///
    /// # Errors
    /// As [`TokenService::verify`] for [`TokenKind::Sliding`], or [`TokenError::RefreshExpired`].
    pub fn refresh_sliding(&self, token: &str, now: UnixTime) -> Result<String, TokenError> {
        let verified = self.tokens.verify(token, Some(TokenKind::Sliding), now)?;
        if self.store.status(&verified.lookup())? == Status::Revoked {
            return Err(TokenError::Blacklisted);
        }
        self.tokens.renew_sliding(&verified, now)
    }

    /// Drops revocation entries that no longer matter (SimpleJWT's `flushexpiredtokens`).
    ///
    /// # Errors
    /// A store error.
    pub fn purge_expired(&self, now: UnixTime) -> Result<usize, TokenError> {
        Ok(self.store.purge_expired(now)?)
    }
}
