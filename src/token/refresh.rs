//! Pairs and their refresh, sans I/O: the login pair (no store needed), then for a
//! refresh: verify the refresh token, say which store step it needs, mint the new
//! tokens from the store's answer, and the revocation a replay records.

use serde::Serialize;

use super::claims::{Claims, TokenKind};
use super::engine::{Tokens, Verified};
use super::error::TokenError;
use super::observed;
use super::revocation::{Consumed, Lookup, Revocation, Status};
use crate::clock::UnixTime;

/// What a refresh needs from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStep<'a> {
    /// Check the lookup's status ([`RevocationStore::status`](super::RevocationStore::status)).
    Check(Lookup<'a>),
    /// Consume the token atomically ([`RevocationStore::consume`](super::RevocationStore::consume)).
    Consume(Lookup<'a>),
}

/// The store's answer to a [`StoreStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAnswer {
    /// The answer to [`StoreStep::Check`].
    Status(Status),
    /// The answer to [`StoreStep::Consume`].
    Consumed(Consumed),
}

/// The tokens a refresh returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The new access token.
    pub access: String,
    /// The new refresh token, when rotation is on.
    pub refresh: Option<String>,
}

/// A pair from a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
}

/// A verified refresh token waiting for the store's answer (the sans-I/O refresh).
#[derive(Debug)]
#[must_use = "a refresh plan does nothing until the store step runs and finish is called"]
pub struct RefreshPlan<'a> {
    tokens: &'a Tokens,
    verified: Verified,
    consume: bool,
}

impl RefreshPlan<'_> {
    /// What the host must ask its store.
    pub fn store_step(&self) -> StoreStep<'_> {
        let lookup = self.verified.lookup();
        if self.consume {
            StoreStep::Consume(lookup)
        } else {
            StoreStep::Check(lookup)
        }
    }

    /// The revocation to record when [`RefreshPlan::finish`] reports
    /// [`TokenError::Reused`]: the whole family. A refresh token made by SimpleJWT
    /// has no `family` claim; its family is its own `jti`, which every token rotated
    /// or minted from it carries, so the thief's chain dies with it.
    pub fn reuse_revocation(&self) -> Revocation {
        Revocation::Family {
            family: self.verified.family_id().to_owned(),
            until: self.tokens.family_until(self.verified.now()),
        }
    }

    /// Mints the new tokens once the store has answered.
    ///
    /// # Errors
    /// [`TokenError::Blacklisted`] if revoked, [`TokenError::Reused`] if the token
    /// was already used (record [`RefreshPlan::reuse_revocation`]), or a signing error.
    pub fn finish(&self, answer: StoreAnswer) -> Result<Refreshed, TokenError> {
        let refreshed = self.mint(answer);
        observed::refreshed(
            refreshed.as_ref().map(|r| r.refresh.is_some()),
            self.verified.claims().user_id(),
        );
        refreshed
    }

    /// [`RefreshPlan::finish`] without the report.
    fn mint(&self, answer: StoreAnswer) -> Result<Refreshed, TokenError> {
        match answer {
            StoreAnswer::Status(Status::Active) | StoreAnswer::Consumed(Consumed::Fresh) => {}
            StoreAnswer::Status(Status::Revoked) | StoreAnswer::Consumed(Consumed::Revoked) => {
                return Err(TokenError::Blacklisted);
            }
            StoreAnswer::Consumed(Consumed::AlreadyUsed) => return Err(TokenError::Reused),
        }
        let t = self.tokens;
        let claims: &Claims = self.verified.claims();
        let family = self.verified.family_id();
        let now = self.verified.now();
        let access = t.derive(claims, TokenKind::Access, Some(family), now)?;
        let refresh = if t.config().rotate_refresh_tokens {
            Some(t.derive(claims, TokenKind::Refresh, Some(family), now)?)
        } else {
            None
        };
        Ok(Refreshed { access, refresh })
    }
}

impl Tokens {
    /// Verifies a refresh token and plans the refresh: the returned plan says which
    /// store step to run (consume when rotation with blacklisting is on, else check).
    ///
    /// # Errors
    /// As [`Tokens::verify`] for [`TokenKind::Refresh`].
    pub fn begin_refresh(&self, token: &str, now: UnixTime) -> Result<RefreshPlan<'_>, TokenError> {
        let verified = self
            .verify(token, Some(TokenKind::Refresh), now)
            .inspect_err(|err| observed::refreshed(Err(err), None))?;
        let config = self.config();
        Ok(RefreshPlan {
            tokens: self,
            verified,
            consume: config.rotate_refresh_tokens && config.blacklist_after_rotation,
        })
    }

    /// Login: a refresh token starting a new family and an access token derived
    /// from it. Needs no store, so an async host issues pairs without one.
    ///
    /// # Errors
    /// As [`Tokens::issue`].
    pub fn issue_pair<T: Serialize + ?Sized>(
        &self,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<TokenPair, TokenError> {
        let refresh = self.issue(TokenKind::Refresh, user_id, extra, now)?;
        let verified = self.verify(&refresh, Some(TokenKind::Refresh), now)?;
        let access = self.derive(verified.claims(), TokenKind::Access, None, now)?;
        Ok(TokenPair { access, refresh })
    }
}
