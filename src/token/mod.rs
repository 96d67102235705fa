//! JWT access, refresh and sliding tokens, compatible with djangorestframework-simplejwt
//! and stricter than it.
//!
//! - [`TokenConfig`] mirrors `SIMPLE_JWT` (presets: [`TokenConfig::simplejwt_defaults`],
//!   [`TokenConfig::hardened`]); loadable from TOML/JSON with durations like `"15m"`.
//! - [`Keyring`]: one signing key, verification keys by `kid`, rotation with a grace
//!   period, JWKS export. Keys are parsed once; each fixes its algorithm.
//! - Verification is strict (RFC 8725): size cap before decoding; the key chosen by
//!   `kid` fixes `alg` (so `none` and HS/RS confusion fail); embedded `jwk`, `jku`,
//!   `x5u`, `x5c` and any `crit` are refused; `exp` required; `nbf`, future `iat`,
//!   optional maximum age, `aud`/`iss` (required when configured; a token carrying
//!   `aud` when none is configured is refused, where SimpleJWT would skip the check);
//!   wrongly typed or duplicated claims refused; `token_type` must match the kind.
//!   A refresh token consumed by rotation counts as revoked everywhere.
//! - [`TokenService`]: issue a pair, verify, refresh with rotation (single-use refresh
//!   tokens, atomic; replay revokes the family, RFC 9700 section 4.14), logout,
//!   revoke a user's older tokens, sliding tokens, purge. [`Tokens`] is the same
//!   without storage, for async hosts.
//! - [`TokenError`] carries SimpleJWT's messages and codes, its 401 bodies and
//!   [`parse_authorization_header`].
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

mod claims;
mod codec;
mod config;
mod engine;
mod error;
mod keys;
pub mod provider;
mod refresh;
mod revocation;
mod service;
mod user;

pub use claims::{Claims, TokenKind};
pub use codec::{Unverified, inspect};
pub use config::{TokenConfig, format_duration, parse_duration};
pub use engine::{Tokens, Verified};
pub use error::{Invalid, TokenError, parse_authorization_header, www_authenticate};
pub use keys::{Algorithm, KeyFamily, Keyring, MIN_HMAC_SECRET, SigningKey, VerifyingKey};
pub use refresh::{RefreshPlan, Refreshed, StoreAnswer, StoreStep, TokenPair};
pub use revocation::{
    Consumed, Lookup, MemoryRevocationStore, Revocation, RevocationStore, Status,
};
pub use service::TokenService;
pub use user::password_hash_claim;

/// The claim that carries a refresh family id (copied into derived tokens).
pub const FAMILY_CLAIM: &str = "family";
