//! The flows: issue, verify, refresh (with rotation and reuse detection), logout,
//! revoke-all, sliding tokens, purge.
//!
//! [`Tokens`] is the pure engine (configuration and keys, no state): every step
//! takes `now` and says which revocation lookup it needs. [`TokenService`] runs the
//! same steps against a [`RevocationStore`]. An async host (Redis) uses [`Tokens`]
//! directly: `verify` or `begin_refresh`, then its own store query on the returned
//! [`Lookup`], then `finish`.

use std::time::Duration;

use ring::rand::SystemRandom;
use serde::Serialize;
use serde_json::{Map, Value};

use super::FAMILY_CLAIM;
use super::claims::{ClaimNames, Claims, TokenKind};
use super::codec;
use super::config::TokenConfig;
use super::error::{Invalid, TokenError};
use super::revocation::{
    Consumed, Lookup, MemoryRevocationStore, Revocation, RevocationStore, Status,
};
use super::{Algorithm, Keyring, SigningKey, VerifyingKey};
use crate::clock::UnixTime;
use jsonwebtoken::jwk::JwkSet;

/// The pure token engine: a validated configuration and a keyring.
#[derive(Debug)]
pub struct Tokens {
    config: TokenConfig,
    names: ClaimNames,
    keyring: Keyring,
    rng: SystemRandom,
}

/// A token whose signature and claims passed; revocation not yet checked.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a verified token still needs its revocation status: call finish"]
pub struct Verified {
    claims: Claims,
    /// When the token can no longer verify (`exp` plus leeway): how long a
    /// revocation entry about it must be kept.
    dead_after: u64,
}

impl Verified {
    /// The revocation lookup this token needs.
    pub fn lookup(&self) -> Lookup<'_> {
        lookup(&self.claims, self.dead_after)
    }

    /// Completes verification with the store's answer.
    ///
    /// # Errors
    /// [`TokenError::Blacklisted`] when revoked.
    pub fn finish(self, status: Status) -> Result<Claims, TokenError> {
        match status {
            Status::Active => Ok(self.claims),
            Status::Revoked => Err(TokenError::Blacklisted),
        }
    }

    /// The claims (not yet checked against revocation).
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

/// What a refresh needs from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStep<'a> {
    /// Check the lookup's status ([`RevocationStore::status`]).
    Check(Lookup<'a>),
    /// Consume the token atomically ([`RevocationStore::consume`]).
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
    claims: Claims,
    dead_after: u64,
    now: UnixTime,
    consume: bool,
}

impl RefreshPlan<'_> {
    /// What the host must ask its store.
    pub fn store_step(&self) -> StoreStep<'_> {
        let l = lookup(&self.claims, self.dead_after);
        if self.consume {
            StoreStep::Consume(l)
        } else {
            StoreStep::Check(l)
        }
    }

    /// The revocation to record when [`RefreshPlan::finish`] reports
    /// [`TokenError::Reused`]: the whole family (or, for a family-less token, its id).
    pub fn reuse_revocation(&self) -> Revocation {
        match self.claims.family() {
            Some(family) => Revocation::Family {
                family: family.to_owned(),
                until: self.tokens.family_until(self.now),
            },
            None => Revocation::Jti {
                jti: self.claims.jti().unwrap_or_default().to_owned(),
                until: self.dead_after,
            },
        }
    }

    /// Mints the new tokens once the store has answered.
    ///
    /// # Errors
    /// [`TokenError::Blacklisted`] if revoked, [`TokenError::Reused`] if the token
    /// was already used (record [`RefreshPlan::reuse_revocation`]), or a signing error.
    pub fn finish(&self, answer: StoreAnswer) -> Result<Refreshed, TokenError> {
        match answer {
            StoreAnswer::Status(Status::Active) | StoreAnswer::Consumed(Consumed::Fresh) => {}
            StoreAnswer::Status(Status::Revoked) | StoreAnswer::Consumed(Consumed::Revoked) => {
                return Err(TokenError::Blacklisted);
            }
            StoreAnswer::Consumed(Consumed::AlreadyUsed) => return Err(TokenError::Reused),
        }
        let t = self.tokens;
        let access = t.derive(&self.claims, TokenKind::Access, None, self.now)?;
        let refresh = if t.config.rotate_refresh_tokens {
            let family = match self.claims.family() {
                Some(f) => f.to_owned(),
                None => t.new_id()?,
            };
            Some(t.derive(&self.claims, TokenKind::Refresh, Some(family), self.now)?)
        } else {
            None
        };
        Ok(Refreshed { access, refresh })
    }
}

fn check_algorithm(config: &TokenConfig, alg: Algorithm) -> Result<(), TokenError> {
    if config.algorithms.contains(&alg) {
        Ok(())
    } else {
        Err(TokenError::config(
            "algorithms",
            format!("does not list {alg}, the algorithm of a key in the keyring"),
        ))
    }
}

fn lookup(claims: &Claims, dead_after: u64) -> Lookup<'_> {
    Lookup {
        jti: claims.jti(),
        family: claims.family(),
        user: claims.user_id(),
        issued_at: claims.iat(),
        expires_at: dead_after,
    }
}

fn secs_after(now: UnixTime, d: Duration) -> Result<u64, TokenError> {
    now.checked_add(d)
        .map(UnixTime::as_secs)
        .ok_or_else(|| TokenError::config("now", "is too far in the future"))
}

/// Whether `deadline_secs + leeway` is at or before `now` (PyJWT's `exp <= now - leeway`).
fn passed(deadline_secs: u64, leeway: Duration, now: UnixTime) -> bool {
    match UnixTime::from_secs(deadline_secs).and_then(|t| t.checked_add(leeway)) {
        Some(limit) => limit <= now,
        None => false,
    }
}

/// Whether `moment_secs` is after `now + leeway`.
fn in_future(moment_secs: u64, leeway: Duration, now: UnixTime) -> bool {
    match (UnixTime::from_secs(moment_secs), now.checked_add(leeway)) {
        (Some(moment), Some(limit)) => moment > limit,
        (None, _) => true,
        (_, None) => false,
    }
}

impl Tokens {
    /// An engine for `config` (validated here) signing and verifying with `keyring`.
    ///
    /// # Errors
    /// [`TokenError::Config`] for a bad setting, or a key whose algorithm is not in
    /// `algorithms`.
    pub fn new(config: TokenConfig, keyring: Keyring) -> Result<Self, TokenError> {
        config.validate()?;
        for key in keyring.verifying_keys() {
            check_algorithm(&config, key.algorithm())?;
        }
        let names = ClaimNames {
            user_id: config.user_id_claim.clone(),
            token_type: config.token_type_claim.clone(),
            jti: config.jti_claim.clone(),
            refresh_exp: config.sliding_token_refresh_exp_claim.clone(),
        };
        Ok(Self {
            config,
            names,
            keyring,
            rng: SystemRandom::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    fn check_algorithm(&self, alg: Algorithm) -> Result<(), TokenError> {
        check_algorithm(&self.config, alg)
    }

    /// Rotation: makes `next` the signing key, keeping the old one verify-only.
    ///
    /// # Errors
    /// As [`Keyring::rotate`], or [`TokenError::Config`] if `next`'s algorithm is not
    /// in `algorithms`.
    pub fn rotate_signing_key(&mut self, next: SigningKey) -> Result<(), TokenError> {
        self.check_algorithm(next.algorithm())?;
        self.keyring.rotate(next)
    }

    /// Adds a verify-only key (from another issuer, or a key rotated out elsewhere).
    ///
    /// # Errors
    /// As [`Keyring::add_verifier`], or [`TokenError::Config`] for its algorithm.
    pub fn add_verifying_key(&mut self, key: VerifyingKey) -> Result<(), TokenError> {
        self.check_algorithm(key.algorithm())?;
        self.keyring.add_verifier(key)
    }

    /// Adds every key of a JWKS document as a verify-only key (see
    /// [`VerifyingKey::from_jwks`]); nothing is added if any key is refused.
    ///
    /// # Errors
    /// [`TokenError::Key`] or [`TokenError::Config`] for the first unusable key.
    pub fn add_jwks(&mut self, set: &JwkSet) -> Result<usize, TokenError> {
        let keys = VerifyingKey::from_jwks(set)?;
        for key in &keys {
            self.check_algorithm(key.algorithm())?;
            let kid = key.kid().unwrap_or_default();
            if self.keyring.select(Some(kid)).is_some()
                || keys.iter().filter(|k| k.kid() == Some(kid)).count() > 1
            {
                return Err(TokenError::Key(format!(
                    "kid `{kid}` is already in the keyring"
                )));
            }
        }
        let count = keys.len();
        for key in keys {
            self.keyring.add_verifier(key)?;
        }
        Ok(count)
    }

    /// Drops a verify-only key once its tokens have expired; `false` if absent or signing.
    pub fn remove_key(&mut self, kid: &str) -> bool {
        self.keyring.remove(kid)
    }

    /// A fresh token id: a random UUID4 as 32 lowercase hex digits (SimpleJWT's `uuid4().hex`).
    ///
    /// # Errors
    /// [`TokenError::Key`] if the system random generator fails.
    pub fn new_id(&self) -> Result<String, TokenError> {
        let mut bytes = [0u8; 16];
        crate::secret::fill_random(&mut bytes).map_err(|e| TokenError::Key(e.to_string()))?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let mut out = String::with_capacity(32);
        for b in bytes {
            for nibble in [b >> 4, b & 0x0f] {
                // A nibble is always a base-16 digit; from_digit writes it lowercase.
                out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        }
        Ok(out)
    }

    fn lifetime(&self, kind: TokenKind) -> Duration {
        match kind {
            TokenKind::Access => self.config.access_token_lifetime,
            TokenKind::Refresh => self.config.refresh_token_lifetime,
            TokenKind::Sliding => self.config.sliding_token_lifetime,
        }
    }

    /// How long a family or user revocation made at `now` must be kept.
    fn family_until(&self, now: UnixTime) -> u64 {
        let longest = self
            .config
            .refresh_token_lifetime
            .max(self.config.sliding_token_refresh_lifetime)
            .saturating_add(self.config.leeway);
        secs_after(now, longest).unwrap_or(u64::MAX)
    }

    fn reserved(&self, name: &str) -> bool {
        [
            "exp",
            "iat",
            FAMILY_CLAIM,
            self.names.token_type.as_str(),
            self.names.jti.as_str(),
            self.names.user_id.as_str(),
            self.names.refresh_exp.as_str(),
        ]
        .contains(&name)
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

    /// Signs a new token of `kind` for `user_id` with the `extra` claims (any
    /// serializable object; its fields become claims). Adds `token_type`, `exp`,
    /// `iat`, `jti`, the user id, `refresh_exp` for sliding tokens, a new family id
    /// for refresh tokens, and `aud`/`iss` when configured.
    ///
    /// # Errors
    /// [`TokenError::Config`] if `extra` is not an object or sets a claim the crate
    /// manages; a signing failure.
    pub fn issue<T: Serialize + ?Sized>(
        &self,
        kind: TokenKind,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<String, TokenError> {
        let mut claims = match serde_json::to_value(extra) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            _ => {
                return Err(TokenError::config(
                    "extra claims",
                    "must serialize to a JSON object",
                ));
            }
        };
        if let Some(name) = claims.keys().find(|k| self.reserved(k)) {
            return Err(TokenError::config(
                "extra claims",
                format!("`{name}` is set by the crate and cannot be given"),
            ));
        }
        claims.insert(
            self.names.user_id.clone(),
            Value::String(user_id.to_owned()),
        );
        if let Some(aud) = &self.config.audience {
            claims.insert("aud".into(), Value::String(aud.clone()));
        }
        if let Some(iss) = &self.config.issuer {
            claims.insert("iss".into(), Value::String(iss.clone()));
        }
        if kind == TokenKind::Sliding {
            let refresh_exp = secs_after(now, self.config.sliding_token_refresh_lifetime)?;
            claims.insert(self.names.refresh_exp.clone(), refresh_exp.into());
        }
        if kind == TokenKind::Refresh {
            claims.insert(FAMILY_CLAIM.into(), Value::String(self.new_id()?));
        }
        self.stamp_and_sign(claims, kind, now, None)
    }

    /// Sets `token_type`, `exp`, `iat` and `jti` (a new one unless `keep_jti`) and signs.
    fn stamp_and_sign(
        &self,
        mut claims: Map<String, Value>,
        kind: TokenKind,
        now: UnixTime,
        keep_jti: Option<String>,
    ) -> Result<String, TokenError> {
        claims.insert(
            self.names.token_type.clone(),
            Value::String(kind.as_str().to_owned()),
        );
        claims.insert("exp".into(), secs_after(now, self.lifetime(kind))?.into());
        claims.insert("iat".into(), now.as_secs().into());
        let jti = match keep_jti {
            Some(jti) => jti,
            None => self.new_id()?,
        };
        claims.insert(self.names.jti.clone(), Value::String(jti));
        let key = self.keyring.signing_key().ok_or_else(|| {
            TokenError::Key("this keyring only verifies; it has no signing key".into())
        })?;
        codec::encode(&claims, key, &self.rng)
    }

    /// A token of `kind` from `source`'s claims, copying every claim but
    /// `token_type`, `exp`, `jti` and `iat` (SimpleJWT's rule).
    fn derive(
        &self,
        source: &Claims,
        kind: TokenKind,
        family: Option<String>,
        now: UnixTime,
    ) -> Result<String, TokenError> {
        let mut claims = source.as_map().clone();
        for name in [
            self.names.token_type.as_str(),
            "exp",
            self.names.jti.as_str(),
            "iat",
        ] {
            claims.remove(name);
        }
        if let Some(family) = family {
            claims.insert(FAMILY_CLAIM.into(), Value::String(family));
        }
        self.stamp_and_sign(claims, kind, now, None)
    }

    /// Checks signature and claims (no revocation): `kind` `None` accepts any type,
    /// as SimpleJWT's verify endpoint does.
    ///
    /// # Errors
    /// The SimpleJWT error for the first rule the token breaks.
    pub fn verify(
        &self,
        token: &str,
        kind: Option<TokenKind>,
        now: UnixTime,
    ) -> Result<Verified, TokenError> {
        let payload = codec::verify_signature(token, &self.keyring, self.config.max_token_bytes)?;
        let claims = Claims::parse(&payload, &self.names)?;
        self.check_claims(&claims, kind, now)?;
        let dead_after = claims.exp().saturating_add(self.config.leeway.as_secs());
        Ok(Verified { claims, dead_after })
    }

    fn check_claims(
        &self,
        claims: &Claims,
        kind: Option<TokenKind>,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        let leeway = self.config.leeway;
        if passed(claims.exp(), leeway, now) {
            return Err(TokenError::Expired);
        }
        if claims.nbf().is_some_and(|nbf| in_future(nbf, leeway, now)) {
            return Err(TokenError::Invalid(Invalid::NotYetValid));
        }
        if claims.iat().is_some_and(|iat| in_future(iat, leeway, now)) {
            return Err(TokenError::Invalid(Invalid::IssuedInFuture));
        }
        if let Some(max_age) = self.config.max_token_age {
            let too_old = match claims.iat() {
                Some(iat) => passed(iat, max_age.saturating_add(leeway), now),
                None => true,
            };
            if too_old {
                return Err(TokenError::Invalid(Invalid::TooOld));
            }
        }
        match &self.config.audience {
            Some(aud) if !claims.has_audience(aud) => {
                return Err(TokenError::Invalid(Invalid::Audience));
            }
            None if claims.get("aud").is_some() => {
                return Err(TokenError::Invalid(Invalid::Audience));
            }
            _ => {}
        }
        if let Some(iss) = &self.config.issuer
            && claims.issuer() != Some(iss.as_str())
        {
            return Err(TokenError::Invalid(Invalid::Issuer));
        }
        if claims.jti().is_none() {
            return Err(TokenError::NoId);
        }
        if let Some(kind) = kind {
            match claims.token_type() {
                None => return Err(TokenError::NoType),
                Some(t) if t != kind.as_str() => return Err(TokenError::WrongType),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Verifies a refresh token and plans the refresh: the returned plan says which
    /// store step to run (consume when rotation with blacklisting is on, else check).
    ///
    /// # Errors
    /// As [`Tokens::verify`] for [`TokenKind::Refresh`].
    pub fn begin_refresh(&self, token: &str, now: UnixTime) -> Result<RefreshPlan<'_>, TokenError> {
        let verified = self.verify(token, Some(TokenKind::Refresh), now)?;
        Ok(RefreshPlan {
            tokens: self,
            claims: verified.claims,
            dead_after: verified.dead_after,
            now,
            consume: self.config.rotate_refresh_tokens && self.config.blacklist_after_rotation,
        })
    }

    /// Renews a valid sliding token (after its revocation status came back active):
    /// new `exp` and `iat`, same `jti`, refused once `refresh_exp` has passed.
    ///
    /// # Errors
    /// [`TokenError::RefreshExpired`], or an [`Invalid::ClaimType`] without `refresh_exp`.
    pub fn renew_sliding(&self, verified: &Verified, now: UnixTime) -> Result<String, TokenError> {
        let claims = verified.claims();
        if claims.kind() != Some(TokenKind::Sliding) {
            return Err(TokenError::WrongType);
        }
        let refresh_exp = claims
            .refresh_exp()
            .ok_or(TokenError::Invalid(Invalid::ClaimType))?;
        if passed(refresh_exp, self.config.leeway, now) {
            return Err(TokenError::RefreshExpired);
        }
        let mut map = claims.as_map().clone();
        map.remove("exp");
        map.remove("iat");
        self.stamp_and_sign(
            map,
            TokenKind::Sliding,
            now,
            claims.jti().map(str::to_owned),
        )
    }
}

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

    /// Verifies a token of `kind`, including revocation.
    ///
    /// # Errors
    /// The SimpleJWT error for the first failed rule; [`TokenError::Blacklisted`] if revoked.
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

    /// SimpleJWT's verify endpoint: any token type, signature, claims and revocation.
    ///
    /// # Errors
    /// As [`TokenService::verify`], minus the type check.
    pub fn verify_any(&self, token: &str, now: UnixTime) -> Result<Claims, TokenError> {
        let verified = self.tokens.verify(token, None, now)?;
        let status = self.store.status(&verified.lookup())?;
        verified.finish(status)
    }

    /// Refresh: a new access token, and with rotation a new refresh token. With
    /// `blacklist_after_rotation`, the presented token is consumed atomically; a
    /// second use revokes its whole family and fails with [`TokenError::Reused`].
    ///
    /// # Errors
    /// As [`Tokens::begin_refresh`] and [`RefreshPlan::finish`].
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
    /// same login, including access tokens derived from them).
    ///
    /// # Errors
    /// As [`TokenService::verify`] for [`TokenKind::Refresh`], or a store error.
    pub fn logout(&self, refresh_token: &str, now: UnixTime) -> Result<(), TokenError> {
        let verified = self
            .tokens
            .verify(refresh_token, Some(TokenKind::Refresh), now)?;
        let until = verified.dead_after;
        let status = self.store.status(&verified.lookup())?;
        let claims = verified.finish(status)?;
        if let Some(jti) = claims.jti() {
            self.store.revoke(Revocation::Jti {
                jti: jti.to_owned(),
                until,
            })?;
        }
        if let Some(family) = claims.family() {
            self.store.revoke(Revocation::Family {
                family: family.to_owned(),
                until: self.tokens.family_until(now),
            })?;
        }
        Ok(())
    }

    /// Revokes every token of `user_id` issued before `cutoff` (password change,
    /// "log out everywhere"). Tokens issued at or after `cutoff` stay valid.
    ///
    /// # Errors
    /// A store error.
    pub fn revoke_user_before(&self, user_id: &str, cutoff: UnixTime) -> Result<(), TokenError> {
        self.store.revoke(Revocation::UserBefore {
            user: user_id.to_owned(),
            cutoff: cutoff.as_secs(),
            until: self.tokens.family_until(cutoff),
        })
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
        self.store.purge_expired(now.as_secs())
    }
}
