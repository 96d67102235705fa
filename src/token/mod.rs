//! JWT access, refresh and sliding tokens, compatible with djangorestframework-simplejwt
//! and stricter than it.
//!
//! - [`TokenConfig`] mirrors `SIMPLE_JWT` (presets: [`TokenConfig::simplejwt_defaults`],
//!   [`TokenConfig::hardened`]); loadable from TOML/JSON with durations like `"15m"`.
//! - [`Keyring`]: one signing key, verification keys by `kid`, rotation with a grace
//!   period, JWKS export; JWKS import ([`VerifyingKey::from_jwks_json`]) takes only
//!   public signature keys, since a JWKS is public. Key text is decoded and checked once; each key fixes its
//!   algorithm. Signing keys are parsed once, but `ring` re-parses a public key on
//!   every asymmetric verify (see [`VerifyingKey`]).
//! - Verification is strict (RFC 8725): size cap before decoding; the key chosen by
//!   `kid` fixes `alg` (so `none` and HS/RS confusion fail); embedded `jwk`, `jku`,
//!   `x5u`, `x5c` and any `crit` are refused; `exp` required; `nbf`, future `iat`,
//!   optional maximum age, `aud`/`iss` (required when configured; a token carrying
//!   `aud` when none is configured is refused, where SimpleJWT would skip the check);
//!   wrongly typed or duplicated claims refused; `token_type` must match the kind;
//!   an access or sliding token must name a user. NumericDates may be fractional
//!   (RFC 7519), compared to the microsecond.
//!   A refresh token consumed by rotation counts as revoked everywhere.
//! - Token strings are not unique. An ECDSA signature `(r, s)` has a twin `(r, n - s)`
//!   that verifies as well, and high-S signatures are not refused (issuers such as
//!   Python's `cryptography` produce either), so one ES256/ES384 token has two valid
//!   strings. Revocation keys on `jti`, never on the string, and so must a host's
//!   cache of verified tokens or any "seen before" check.
//! - [`TokenService`]: issue a pair, verify, refresh with rotation (single-use refresh
//!   tokens, atomic; replay revokes the family, RFC 9700 section 4.14), logout,
//!   revoke one token or a user's older tokens, sliding tokens, purge. [`Tokens`] is
//!   the same without storage, for async hosts.
//! - [`TokenError`] carries SimpleJWT's messages and codes, its 401 bodies and
//!   [`parse_authorization_header`].
//! - [`LoginResponse`] and [`RefreshResponse`]: the login and refresh bodies
//!   (SimpleJWT's, or with `token_type`, `expires_in` and `user`); [`Tokens::login`]
//!   returns the pair and, with `UPDATE_LAST_LOGIN`, a [`LastLogin`] update.
//!
//! # Families, and refresh tokens SimpleJWT made
//!
//! Every refresh token this crate issues starts a family (the `family` claim), which
//! every token rotated or minted from it carries; a replayed refresh token revokes the
//! family. A refresh token SimpleJWT made has no `family` claim: its family is its
//! own `jti`, derived the same way by every instance, written into every token
//! rotated or minted from it, so a replay of the original revokes the thief's whole
//! chain here too.
//!
//! # A verify-only resource server beside Django
//!
//! Django (SimpleJWT) issues the tokens; the Rust service only checks them. It uses
//! [`TokenConfig::simplejwt_defaults`] with Django's `SIMPLE_JWT` values (lifetimes,
//! `leeway`, `audience`, `issuer`, claim names), a [`Keyring::verify_only`] holding
//! Django's `SECRET_KEY` as a [`VerifyingKey::hmac`] (or the public key for RS/ES/EdDSA),
//! so it has no signing key and cannot mint a token, and calls
//! [`TokenService::verify_access`] per request. Its store: a
//! [`MemoryRevocationStore`] for one process, a shared one (Redis) for several. It
//! learns of revocations from Django, not from its own flows:
//!
//! - SimpleJWT's `token_blacklist` app keeps `OutstandingToken` (every issued refresh
//!   token: `jti`, `expires_at`) and `BlacklistedToken` (the revoked ones). Each
//!   `BlacklistedToken` row is a [`Revocation::Jti`] until its `expires_at` plus the
//!   leeway: [`TokenService::revoke_jti`] (or [`TokenService::revoke_token`] with the
//!   token itself, which works out that time). `OutstandingToken` rows that are not
//!   blacklisted need no entry; `flushexpiredtokens` is
//!   [`TokenService::purge_expired`]. SimpleJWT checks the blacklist for refresh (and
//!   sliding) tokens only; this crate checks it for every kind.
//! - `CHECK_REVOKE_TOKEN` / `REVOKE_TOKEN_CLAIM` ([`TokenConfig::check_revoke_token`],
//!   [`TokenConfig::revoke_token_claim`]) revoke without any store: tokens carry
//!   [`password_hash_claim`] of the user's stored password hash, and
//!   [`Tokens::check_password`], where the host loads the user, refuses them once
//!   the password has changed (`password_changed`). The stateful counterpart, for a
//!   password change or "log out everywhere" seen by this service, is
//!   [`TokenService::revoke_user_before`] ([`Revocation::UserBefore`]).
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//! use portcullis::token::{Algorithm, Keyring, TokenConfig, TokenError, TokenService, VerifyingKey};
//!
//! # fn main() -> Result<(), portcullis::Error> {
//! let django_secret = SecretBytes::from_slice(b"the SECRET_KEY of the Django project");
//! let keyring = Keyring::verify_only(VerifyingKey::hmac(Algorithm::HS256, &django_secret)?);
//! let service = TokenService::in_memory(TokenConfig::simplejwt_defaults(), keyring)?;
//! // A BlacklistedToken row: its jti, and its expires_at plus the leeway.
//! let until = UnixTime::from_secs(1_800_000_300).unwrap_or_default();
//! service.revoke_jti("0123456789abcdef0123456789abcdef", until)?;
//! // No signing key: this service cannot mint a token.
//! let now = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//! assert!(matches!(service.issue_pair("42", &(), now), Err(TokenError::Key(_))));
//! # Ok(())
//! # }
//! ```
//!
//! Tokens this crate issues carry `iat` to the millisecond (a fractional NumericDate,
//! which PyJWT and SimpleJWT accept), so a user cutoff made at `now` refuses every
//! token issued up to the call and accepts the next login in the same second; a
//! whole-second `iat` inside the cutoff's second is refused (see
//! [`Revocation::UserBefore`]).
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//! use portcullis::token::{Algorithm, Keyring, SigningKey, TokenConfig, TokenError, TokenService};
//!
//! # fn main() -> Result<(), portcullis::Error> {
//! let secret = SecretBytes::from_slice(b"a Django SECRET_KEY of at least 32 bytes");
//! let keyring = Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret)?);
//! let service = TokenService::in_memory(TokenConfig::hardened(), keyring)?;
//! let now = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//!
//! let pair = service.issue_pair("42", &serde_json::json!({"role": "staff"}), now)?;
//! let claims = service.verify_access(&pair.access, now)?;
//! assert_eq!(claims.user_id(), Some("42"));
//!
//! let next = service.refresh(&pair.refresh, now)?;        // rotation: single use
//! assert!(next.refresh.is_some());
//! let replay = service.refresh(&pair.refresh, now);        // reuse: the family is revoked
//! assert_eq!(replay.unwrap_err(), TokenError::Reused);
//! assert_eq!(service.verify_access(&next.access, now).unwrap_err(), TokenError::Blacklisted);
//! # Ok(())
//! # }
//! ```

mod algorithm;
/// Strict unpadded base64url for the JWS and JWE hot paths.
pub(crate) mod b64;
mod claims;
mod codec;
mod config;
mod der;
mod engine;
mod env;
mod error;
pub(crate) mod json;
pub mod jwk;
mod keyring;
mod keys;
mod login;
mod nesting;
mod observed;
#[cfg(feature = "jsonwebtoken-provider")]
pub mod provider;
mod refresh;
mod revocation;
mod service;
mod user;

pub use algorithm::{Algorithm, KeyFamily};
pub use claims::{Claims, TokenKind};
pub use codec::{Unverified, inspect};
pub use config::{TokenConfig, format_duration, parse_duration};
pub use engine::{Tokens, Verified};
pub use env::{
    ENV_ACCESS_MINUTES, ENV_ALGORITHM, ENV_ISSUER, ENV_REFRESH_DAYS, ENV_SIGNING_KEY, EnvError,
    EnvTokenSettings, token_config_from_env, token_config_from_lookup,
};
pub use error::{Invalid, TokenError, parse_authorization_header, www_authenticate};
pub use jwk::{Jwk, JwkSet};
pub use keyring::Keyring;
pub use keys::{MIN_HMAC_SECRET, SigningKey, VerifyingKey};
pub use login::{LastLogin, Login, LoginResponse, RefreshResponse, TokenType, UserFields};
pub use nesting::{Nesting, NestingLayer};
pub use refresh::{RefreshPlan, Refreshed, StoreAnswer, StoreStep, TokenPair};
pub use revocation::{
    Consumed, Lookup, MemoryRevocationStore, Revocation, RevocationStore, Status,
};
pub use service::TokenService;
pub use user::password_hash_claim;

/// The claim that carries a refresh family id (copied into derived tokens).
pub const FAMILY_CLAIM: &str = "family";
