//! # portcullis
//!
//! The security plumbing every web service otherwise rewrites, as a
//! framework-agnostic library: JWT access/refresh tokens with key rotation and
//! revocation, Fernet-compatible and sealed field encryption, Django-compatible
//! password policy and hashing, rate-limit algorithms as pure functions
//! ([`ratelimit`]), and web hardening helpers.
//!
//! Web hardening lives in [`web`] (security headers and the HTTPS redirect,
//! CORS, Django-compatible CSRF, cookies), opaque API keys in [`apikey`], and a
//! tamper-evident audit trail in [`audit`].
//! Field encryption lives in [`crypto`]: [`crypto::Fernet`] and
//! [`crypto::MultiFernet`] read and write the tokens of Python's `cryptography`,
//! and [`crypto::sealed`] is an XChaCha20-Poly1305 envelope bound to its row.
//!
//! ## Design
//!
//! **The crate does no I/O.** The host application owns HTTP, storage and clocks.
//! Every decision (is this token valid, is this request within its rate, is this
//! account locked) is a pure function of its inputs and an explicit `now`
//! ([`clock::UnixTime`]); the [`clock::Clock`] trait only feeds the convenience
//! wrappers. State that must outlive a request (revoked token ids, rate-limit
//! state, lockout counters) is a plain serializable value or sits behind a small
//! trait with a bounded in-memory default, so a host can keep it in Redis and run
//! many instances against it.
//!
//! **Parse, don't validate.** A malformed field is an error, never "absent".
//! Constructors reject bad configuration with an error that names the setting and
//! the accepted range ([`error`]).
//!
//! **Secrets are types.** Key material lives in [`secret::SecretBytes`] and
//! [`secret::SecretString`]: wiped on drop, printed as `[REDACTED]`, compared in
//! constant time, never cloned by accident.
//!
//! **Passwords** ([`password`]): Django's validators with identical verdicts,
//! codes and messages, a NIST SP 800-63B-4 profile, Pwned Passwords range
//! helpers, and Argon2id/Django hashing that shares a user table with Django.
//!
//! ## Threat model
//!
//! Everything that arrives from the network (tokens, headers, cookies, encrypted
//! fields, rate strings in configuration) is attacker-controlled: it is size-capped
//! before work is done, parsed without panics (debug builds included; the parsers
//! are fuzzed), and verified before it is trusted. A failed MAC or signature
//! yields one opaque error so the crate is no oracle. Keys come from the host
//! (environment or secret store) and never appear in output. Out of scope: a
//! compromised host process, side channels below the constant-time primitives of
//! `ring` and RustCrypto, and the host's transport security.
//!
//! The [`token`] module issues and verifies SimpleJWT-compatible access, refresh and
//! sliding JWTs with key rotation, strict verification and revocation.
//!
//! ## Example
//!
//! ```
//! use portcullis::secret::{Encoding, KeyLength, SecretBytes};
//!
//! # fn main() -> Result<(), portcullis::Error> {
//! let key = SecretBytes::generate(32)?;
//! let text = key.encode(Encoding::Base64Url);
//! let loaded = SecretBytes::from_encoded(text.expose_secret(), Encoding::Base64Url, KeyLength::Exactly(32))?;
//! assert_eq!(loaded, key);
//! assert_eq!(format!("{loaded:?}"), "[REDACTED]");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

pub mod apikey;
pub mod audit;
pub mod clock;
pub mod crypto;
pub mod deploy;
pub mod error;
pub mod password;
pub mod ratelimit;
pub mod secret;
pub mod store;
pub mod token;
pub mod web;

pub use error::Error;
