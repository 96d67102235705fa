//! Passwords: Django-identical policy validators, a NIST SP 800-63B-4 profile,
//! Pwned Passwords range helpers, and hashing that shares a user table with Django.
//!
//! * [`policy`]: a [`Policy`] runs every validator and returns **every**
//!   violation with Django's codes and messages. Presets: [`Policy::django`]
//!   (`startproject`'s four), [`Policy::production`] (minimum 12) and
//!   [`Policy::nist_800_63b4`]. The verdicts, codes and messages are checked
//!   against Django's own `validate_password` over a corpus (fixtures in
//!   `tests/data/password/`).
//! * [`common`]: Django's 19,640-entry common-password list, shipped inside the
//!   crate with a generated hash index: O(1) lookups, no start-up work, no allocation.
//! * [`breach`]: the SHA-1 prefix to send to the Pwned Passwords range API and a
//!   bounded parser of its `SUFFIX:COUNT` answer; the host does the HTTP request.
//! * [`hash`]: Argon2id at OWASP's parameters in PHC strings by default, and the
//!   Django formats (`pbkdf2_sha256`, `pbkdf2_sha1`, `argon2`), with Django's
//!   "must update" rule and timing equalisation for unusable and unknown hashes.
//!
//! ```
//! use portcullis::password::{Policy, UserAttributes};
//!
//! let user = UserAttributes::new().with("username", "john_doe").with("email", "john.doe@example.com");
//! let violations = Policy::django().check("doejohn", Some(&user));
//! let codes: Vec<&str> = violations.iter().map(|v| v.code()).collect();
//! assert_eq!(codes, ["password_too_similar", "password_too_short"]);
//! assert!(Policy::django().check("a sturdy passphrase", Some(&user)).is_empty());
//! ```

pub mod breach;
pub mod common;
mod generated;
pub mod hash;
pub mod policy;
mod unicode;

pub use hash::{Computation, HashFormat, Hasher, Verification, Work};
pub use policy::{Policy, UserAttributes, Violation};

use crate::secret::KeyError;

/// Why a password operation could not be carried out.
///
/// A wrong password is not an error: [`Hasher::verify`] answers it in its
/// [`Verification`]. These are configuration mistakes, inputs too large to
/// process, and stored values that are not what they claim to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// A validator or hasher setting is outside its accepted range.
    #[error("{setting} must be {expected}")]
    InvalidSetting {
        /// The setting's name, as in Django where it has one.
        setting: &'static str,
        /// The accepted range.
        expected: &'static str,
    },
    /// The password is longer than the hashers accept (a denial-of-service guard).
    #[error("the password is {actual} bytes long; at most {max} bytes are hashed")]
    TooLong {
        /// Its length in bytes (a length is not secret enough to hide).
        actual: usize,
        /// The limit, [`hash::MAX_PASSWORD_BYTES`].
        max: usize,
    },
    /// A stored hash names a known format but does not follow it.
    #[error("the stored hash is not a well-formed {format} hash: {reason}")]
    MalformedHash {
        /// The format its prefix names.
        format: &'static str,
        /// What is wrong (never any part of the hash itself).
        reason: &'static str,
    },
    /// A stored hash asks for a cost outside what this crate will compute.
    #[error("the stored {format} hash asks for {parameter} {value}; accepted: {accepted}")]
    UnsupportedParameters {
        /// The hash format.
        format: &'static str,
        /// The parameter's name.
        parameter: &'static str,
        /// The value it asks for.
        value: u64,
        /// The accepted range.
        accepted: &'static str,
    },
    /// A stored hash costs more than the configured multiple of the preferred
    /// parameters ([`Hasher::with_max_stored_cost_factor`]).
    #[error(
        "the stored {format} hash asks for {parameter} {value}; at most {max} is computed (a multiple of the configured cost)"
    )]
    StoredCostTooHigh {
        /// The hash format.
        format: &'static str,
        /// The parameter's name.
        parameter: &'static str,
        /// The value it asks for.
        value: u64,
        /// The most this hasher computes.
        max: u64,
    },
    /// A Pwned Passwords range response line is not `SUFFIX:COUNT`.
    #[error("range response line {line} is malformed: {reason}")]
    MalformedRangeResponse {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A Pwned Passwords range response is larger than any real one.
    #[error("range response exceeds {limit}")]
    RangeResponseTooLarge {
        /// The limit that was exceeded.
        limit: &'static str,
    },
    /// The operating system's secure random generator failed (salts need it).
    #[error(transparent)]
    Key(#[from] KeyError),
}
