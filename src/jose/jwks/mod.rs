//! A remote issuer's JWKS: parse what the host fetched, and decide when to fetch.
//!
//! The crate does no I/O: the host fetches the issuer's `jwks_uri` when
//! [`JwksCache::decide`] says [`Decision::Fetch`], and reports the body and its
//! `Cache-Control` header ([`JwksCache::fetched`]) or the failure
//! ([`JwksCache::fetch_failed`]). The policy:
//!
//! - fetch when there is no set yet, when the set has gone stale, and when a
//!   token names a `kid` the set does not hold (the issuer rotated keys);
//! - never more often than a floor (default 10 s), whatever asks, so tokens with
//!   made-up kids cannot turn the host into a flood against the issuer;
//! - a set stays fresh for the response's `max-age`, kept within bounds (default
//!   1 minute to 1 day; 5 minutes without one; the lower bound for `no-cache`,
//!   `no-store` or a malformed `max-age`);
//! - a failed fetch keeps the last good set in use, stale or not.
//!
//! [`parse_jwks`] says which keys of a document are refused or skipped.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::jose::jwks::{Decision, JwksCache, JwksPolicy};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut cache = JwksCache::new(JwksPolicy::default());
//! let t0 = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//! assert_eq!(cache.decide(Some("ed-1"), t0), Decision::Fetch);
//! let body = r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "use": "sig",
//!                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//! cache.fetched(body, Some("public, max-age=600"), t0)?;
//! assert!(cache.key("ed-1").is_some());
//! // An unknown kid fetches again, but not within the 10 s floor.
//! assert_eq!(cache.decide(Some("ed-2"), t0), Decision::UseCached);
//! let later = UnixTime::from_secs(1_800_000_010).unwrap_or_default();
//! assert_eq!(cache.decide(Some("ed-2"), later), Decision::Fetch);
//! # Ok(())
//! # }
//! ```

mod parse;
mod policy;

pub use parse::{JwksKeys, MAX_JWKS_BYTES, MAX_JWKS_KEYS, SkipReason, Skipped, parse_jwks};
pub use policy::{Decision, JwksCache, JwksPolicy};

/// Why a JWKS document was refused whole, or a policy setting is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is over [`MAX_JWKS_BYTES`].
    #[error("the JWKS is {len} bytes, over the limit of 262144")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// The document holds more than [`MAX_JWKS_KEYS`] keys.
    #[error("the JWKS holds {count} keys, over the limit of 256")]
    TooManyKeys {
        /// How many it holds.
        count: usize,
    },
    /// Not a JSON object with a `keys` array of objects.
    #[error("malformed JWKS: {reason}")]
    Malformed {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// A key carries a private member: the publisher leaked a secret, and a set
    /// mixing public and private keys is not trusted.
    #[error("JWKS key {index} (kid {kid:?}) carries the private member `{member}`")]
    PrivateKey {
        /// The key's position.
        index: usize,
        /// Its `kid`.
        kid: Option<String>,
        /// The private member's name (never its value).
        member: &'static str,
    },
    /// Two keys share a `kid`, so a token's `kid` would be ambiguous.
    #[error("the JWKS has two keys with kid {kid:?}")]
    DuplicateKid {
        /// The `kid`.
        kid: String,
    },
    /// A [`JwksPolicy`] setting is out of range.
    #[error("invalid JWKS policy setting {setting}: {expected}")]
    InvalidConfig {
        /// The setting.
        setting: &'static str,
        /// The accepted range.
        expected: &'static str,
    },
}

#[cfg(test)]
mod tests;
