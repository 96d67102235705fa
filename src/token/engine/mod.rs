//! The pure token engine: issue, verify, derive, renew, and the revocations each flow
//! records, as functions of their inputs and an explicit `now`.
//!
//! [`Tokens`] holds configuration and keys, no state: every step takes `now` and
//! says which revocation lookup it needs. [`TokenService`](super::TokenService) runs
//! the same steps against a [`RevocationStore`](super::RevocationStore). An async host
//! (Redis) uses [`Tokens`] directly: `verify` or `begin_refresh`, then its own store
//! query on the returned [`Lookup`], then `finish`; for logout and revocation it
//! records the [`Revocation`] that [`Tokens::logout`], [`Tokens::revoke_token`],
//! [`Tokens::revoke_jti`] and [`Tokens::revoke_user_before`] return.

use std::time::Duration;

use ring::rand::SystemRandom;
use serde::Serialize;
use serde_json::{Map, Value};

use super::FAMILY_CLAIM;
use super::claims::{ClaimNames, Claims, TokenKind, numeric_date_value};
use super::codec;
use super::config::TokenConfig;
use super::error::{Invalid, TokenError};
use super::nesting;
use super::observed;
use super::revocation::{Lookup, Revocation, Status};
use super::{Algorithm, Keyring};
use crate::clock::UnixTime;

mod keys;

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
    /// The family of a refresh token without a `family` claim (SimpleJWT's): its jti.
    derived_family: Option<String>,
    /// When no copy of the token can verify any more: how long a revocation entry
    /// about it must be kept.
    dead_after: UnixTime,
    now: UnixTime,
    /// Whether the kind verified authenticates a user (access, sliding).
    needs_user: bool,
}

impl Verified {
    /// The revocation lookup this token needs.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            jti: self.jti(),
            family: self.claims.family().or(self.derived_family.as_deref()),
            user: self.claims.user_id(),
            issued_at: self.claims.iat(),
            expires_at: self.dead_after,
            now: self.now,
        }
    }

    /// Completes verification with the store's answer.
    ///
    /// # Errors
    /// [`TokenError::Blacklisted`] when revoked; [`TokenError::NoUserId`] when an
    /// access or sliding token names no user (SimpleJWT's `JWTAuthentication` refuses
    /// it after its token checks; the untyped verify accepts it).
    pub fn finish(self, status: Status) -> Result<Claims, TokenError> {
        let kind = self.claims.kind();
        let verdict = match status {
            Status::Revoked => Err(TokenError::Blacklisted),
            Status::Active if self.needs_user && self.claims.user_id().is_none() => {
                Err(TokenError::NoUserId)
            }
            Status::Active => Ok(self.claims),
        };
        observed::verified(kind, verdict.as_ref());
        verdict
    }

    /// The claims (not yet checked against revocation).
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// When no copy of this token can verify any more (`exp` plus leeway; for a
    /// sliding token, the end of its last possible renewal): the `until` of a
    /// revocation of it.
    pub fn dead_after(&self) -> UnixTime {
        self.dead_after
    }

    /// The token id (verification refused a token without one).
    pub(crate) fn jti(&self) -> &str {
        self.claims.jti().unwrap_or_default()
    }

    /// The refresh family: the `family` claim, else the token's own id.
    pub(crate) fn family_id(&self) -> &str {
        self.claims
            .family()
            .or(self.derived_family.as_deref())
            .unwrap_or_else(|| self.jti())
    }

    pub(crate) fn now(&self) -> UnixTime {
        self.now
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

fn secs_after(now: UnixTime, d: Duration) -> Result<u64, TokenError> {
    now.checked_add(d)
        .map(UnixTime::as_secs)
        .ok_or_else(|| TokenError::config("now", "is too far in the future"))
}

/// `time + d`, or the end of the range (an entry kept "forever" rather than a panic).
fn later(time: UnixTime, d: Duration) -> UnixTime {
    time.checked_add(d)
        .unwrap_or(UnixTime::from_nanos(u64::MAX))
}

/// Whether `deadline + leeway` is at or before `now` (PyJWT's `exp <= now - leeway`).
fn passed(deadline: UnixTime, leeway: Duration, now: UnixTime) -> bool {
    deadline
        .checked_add(leeway)
        .is_some_and(|limit| limit <= now)
}

/// Whether `moment` is after `now + leeway`.
fn in_future(moment: UnixTime, leeway: Duration, now: UnixTime) -> bool {
    now.checked_add(leeway).is_some_and(|limit| moment > limit)
}

/// `now` truncated to the millisecond: the precision of an issued `iat` and of a
/// user cutoff.
fn to_millis(now: UnixTime) -> UnixTime {
    UnixTime::from_nanos(now.as_nanos() / 1_000_000 * 1_000_000)
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

    /// How long a family or user revocation made at `now` must be kept: past the
    /// end of any token issued by then (a sliding token renewed at the last moment
    /// included).
    pub(crate) fn family_until(&self, now: UnixTime) -> UnixTime {
        let c = &self.config;
        let sliding = c
            .sliding_token_refresh_lifetime
            .saturating_add(c.sliding_token_lifetime)
            .saturating_add(c.leeway);
        let longest = c
            .refresh_token_lifetime
            .max(c.access_token_lifetime)
            .max(sliding)
            .saturating_add(c.leeway);
        later(now, longest)
    }

    /// When no copy of a token with these claims can verify any more: `exp` plus
    /// leeway, and for a sliding token the latest renewal (at `refresh_exp` plus
    /// leeway) plus its lifetime and leeway.
    fn dead_after(&self, claims: &Claims) -> UnixTime {
        let leeway = self.config.leeway;
        let own = later(claims.exp(), leeway);
        match (claims.kind(), claims.refresh_exp()) {
            (Some(TokenKind::Sliding), Some(refresh_exp)) => {
                let renewed = self
                    .config
                    .sliding_token_lifetime
                    .saturating_add(leeway)
                    .saturating_add(leeway);
                own.max(later(refresh_exp, renewed))
            }
            _ => own,
        }
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
        self.check_issue_claims(&claims)?;
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
        // Milliseconds, so a cutoff made in the same second can tell earlier from later.
        claims.insert("iat".into(), numeric_date_value(to_millis(now)));
        let jti = match keep_jti {
            Some(jti) => jti,
            None => self.new_id()?,
        };
        claims.insert(self.names.jti.clone(), Value::String(jti));
        let key = self.keyring.signing_key().ok_or_else(|| {
            TokenError::Key("this keyring only verifies; it has no signing key".into())
        })?;
        let jws = codec::encode(&claims, key, &self.rng)?;
        nesting::seal(self.config.nesting.as_ref(), jws)
            .inspect(|_| observed::issued(kind, &claims, &self.names))
    }

    /// A token of `kind` from `source`'s claims, copying every claim but
    /// `token_type`, `exp`, `jti` and `iat` (SimpleJWT's rule), with `family` set.
    pub(crate) fn derive(
        &self,
        source: &Claims,
        kind: TokenKind,
        family: Option<&str>,
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
            claims.insert(FAMILY_CLAIM.into(), Value::String(family.to_owned()));
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
        self.check_token(token, kind, now)
            .inspect_err(|err| observed::refused(kind, err))
    }

    /// [`Tokens::verify`] without the report of a refusal.
    fn check_token(
        &self,
        token: &str,
        kind: Option<TokenKind>,
        now: UnixTime,
    ) -> Result<Verified, TokenError> {
        let max_bytes = self.config.max_token_bytes;
        let jws = nesting::open(self.config.nesting.as_ref(), token, max_bytes)?;
        let payload = codec::verify_signature(&jws, &self.keyring, max_bytes)?;
        let claims = Claims::parse(payload, &self.names)?;
        self.check_claims(&claims, kind, now)?;
        let derived_family = match (claims.kind(), claims.family(), claims.jti()) {
            (Some(TokenKind::Refresh), None, Some(jti)) => Some(jti.to_owned()),
            _ => None,
        };
        Ok(Verified {
            dead_after: self.dead_after(&claims),
            derived_family,
            claims,
            now,
            needs_user: matches!(kind, Some(TokenKind::Access | TokenKind::Sliding)),
        })
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
            None if claims.has_any_audience() => {
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

    /// The revocation a logout with `verified` records (after its status came back
    /// active): a refresh token's family (every token rotated or minted from the same
    /// login, the presented one included, so one entry does), or a sliding token's
    /// id, kept until its last possible renewal has expired.
    ///
    /// # Errors
    /// [`TokenError::WrongType`] for any other kind, [`TokenError::NoType`] untyped.
    pub fn logout(&self, verified: &Verified) -> Result<Revocation, TokenError> {
        match verified.claims().token_type().map(TokenKind::from_claim) {
            None => Err(TokenError::NoType),
            Some(Some(TokenKind::Refresh)) => Ok(Revocation::Family {
                family: verified.family_id().to_owned(),
                until: self.family_until(verified.now()),
            }),
            Some(Some(TokenKind::Sliding)) => Ok(Revocation::Jti {
                jti: verified.jti().to_owned(),
                until: verified.dead_after(),
            }),
            Some(_) => Err(TokenError::WrongType),
        }
    }

    /// The revocation of one token of any kind (SimpleJWT's blacklisting of one
    /// token), after checking its signature and claims so that nobody can fill the
    /// store with made-up ids. It is kept exactly as long as the token could verify
    /// (`exp` plus leeway; a sliding token until its last renewal expires).
    ///
    /// # Errors
    /// As [`Tokens::verify`] with no kind.
    pub fn revoke_token(&self, token: &str, now: UnixTime) -> Result<Revocation, TokenError> {
        let verified = self.verify(token, None, now)?;
        Ok(Revocation::Jti {
            jti: verified.jti().to_owned(),
            until: verified.dead_after(),
        })
    }

    /// The revocation of the token id `jti` until `until` (a host that knows the id
    /// from elsewhere, such as SimpleJWT's `BlacklistedToken` table, and the token's
    /// `exp` plus the leeway).
    pub fn revoke_jti(&self, jti: &str, until: UnixTime) -> Revocation {
        Revocation::Jti {
            jti: jti.to_owned(),
            until,
        }
    }

    /// The revocation of every token of `user_id` issued at or before `now`, to the
    /// millisecond (see the [revocation docs](super::Revocation::UserBefore)).
    pub fn revoke_user_before(&self, user_id: &str, now: UnixTime) -> Revocation {
        crate::observe::tokens_revoked_for_user(user_id);
        let cutoff = to_millis(now);
        Revocation::UserBefore {
            user: user_id.to_owned(),
            cutoff,
            until: self.family_until(cutoff),
        }
    }
}
