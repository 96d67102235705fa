//! # portcullis
//!
//! The security plumbing every web service otherwise rewrites, as a
//! framework-agnostic library: SimpleJWT-compatible access, refresh and sliding
//! tokens with key rotation and revocation, Fernet-compatible and sealed field
//! encryption, Django-compatible password policy and hashing, rate-limit algorithms
//! as pure functions, and web hardening (security headers, CORS, CSRF, cookies, API
//! keys, a tamper-evident audit trail).
//!
//! This page is the crate's design manual: what each room does, which part of it is
//! pure, where state leaves the crate, what the host plugs in, what the crate
//! defends against and what it does not try to do.
//!
//! ## Rooms
//!
//! The crate is six rooms over a small shared floor. Each room is a Cargo feature
//! (all on by default), with its own modules, dependencies and [`Error`] variant; a
//! build with one room compiles only that room's dependencies.
//!
//! | room | pure core | state seam (the host's storage) | feature |
//! |---|---|---|---|
//! | tokens (`token`) | strict JWS verification and issuing under a `Keyring`; `Tokens`, the sans-I/O flow engine | `RevocationStore` (revoked ids, consumed refresh tokens, per-user cutoffs); bounded `MemoryRevocationStore` | `token` (+ `jsonwebtoken-provider`) |
//! | field encryption (`crypto`) | `Fernet`/`MultiFernet`, the sealed envelope (`SealedKeyset`, `Context`), serde `Encrypted<T>` | none: ciphertext is the host's column | `crypto` |
//! | passwords (`password`) | Django's validators and presets, the NIST profile, `Hasher` (Argon2id and Django's formats), breach range helpers | none: the host stores hashes and makes the range request | `password` |
//! | rate limits (`ratelimit`) | rate grammar, five algorithms as `(rate, state, now, cost) -> (decision, state)`, lockout, 429 answers | portable state values (fixed-size byte form); bounded `KeyedLimiter` in memory | `ratelimit` |
//! | web (`web`, `apikey`, `audit`) | headers, CORS, CSRF verdicts, cookies, API key parse/verify, the audit HMAC chain | `AuditSink` (records); bounded `MemorySink` | `web` |
//! | DPoP (`jose`) | RFC 9449 proof verification, RFC 7638 thumbprints, `cnf.jkt` binding, `WWW-Authenticate: DPoP` challenges | `ReplayStore` (seen `jti`s); bounded `MemoryReplayStore` | `jose` |
//! | JWE (`jose`) | compact JWE encrypt/decrypt under one JWK (`jose::jwe`), strict and opaque on failure | none: tokens are the host's values | `jose` |
//!
//! The floor, always built: [`secret`] (key newtypes, [`secret::KeyError`], the
//! one secure random fill), [`clock`] ([`clock::UnixTime`], [`clock::Clock`]),
//! [`store`] ([`store::StoreError`], the typed failure of every state seam),
//! [`observe`] (the names of the security events and metrics, and the calls the
//! rooms make at each decision) and [`error`] ([`Error`]). The floor imports no
//! room; rooms import the floor and never each other, and only [`error`] names
//! every room, so errors point one way.
//! Above the rooms sits the deployment check (`deploy`, feature `deploy`), which
//! reads the settings of several rooms the way Django's `check --deploy` does.
//!
//! ## What the host plugs in
//!
//! **The crate does no I/O.** The host owns:
//!
//! - **HTTP.** Requests arrive as strings (an `Authorization` header, an `Origin`,
//!   a cookie header, a client address); answers leave as values (status, header
//!   pairs, a JSON body) for any framework to write.
//! - **Time.** Every decision takes an explicit `now` ([`clock::UnixTime`]); the
//!   [`clock::Clock`] trait ([`clock::SystemClock`], [`clock::FixedClock`] in tests)
//!   only feeds the convenience wrappers. Tests never sleep.
//! - **Keys.** From the environment or a secret store, loaded into
//!   [`secret::SecretBytes`] and [`secret::SecretString`]: wiped on drop, printed
//!   as `[REDACTED]`, compared in constant time, never cloned by accident.
//! - **State.** Revocations, rate-limit and lockout state and audit records are
//!   plain values or sit behind one small trait each, with a bounded in-memory
//!   default, so a host can keep them in Redis and run many instances; a backend
//!   failure is a [`store::StoreError`] that keeps the backend's error as its source.
//!
//! ## Threat model
//!
//! Everything that arrives from the network (tokens, headers, cookies, encrypted
//! fields, rate strings in configuration, stored hashes) is attacker-controlled: it
//! is size-capped before work is done, parsed without panics (debug builds
//! included; the parsers are fuzzed), and verified before it is trusted. The key
//! fixes the algorithm: a token's header chooses a key only by `kid`. A failed MAC
//! or signature yields one opaque error so the crate is no oracle; elsewhere errors
//! are precise and name the setting and the accepted range. Keys never appear in
//! output, errors or logs.
//!
//! ## Non-goals
//!
//! - No HTTP server, client, middleware or storage backend in this crate: adapters
//!   build on it, it never depends on them.
//! - No new cryptography: primitives come from `ring` and RustCrypto; no OpenSSL,
//!   no `rsa` crate, no aws-lc, no `unsafe`.
//! - No protection against a compromised host process, side channels below the
//!   constant-time primitives it uses, or the host's transport security.
//! - No user database, sessions or login UI: the host owns users; the crate
//!   decides about the credentials they present.
//!
//! ## Features
//!
//! | feature | enables | optional dependencies |
//! |---|---|---|
//! | `token` | `token` | `jsonwebtoken` (framing and JWK types, no backend), `ring` |
//! | `jsonwebtoken-provider` | `token::provider`: a ring-backed `CryptoProvider` for hosts that call `jsonwebtoken` themselves (the crate's own signing path does not use it) | `signature` |
//! | `crypto` | `crypto` | `aes`, `cbc`, `chacha20`, `fernet`, `ring` |
//! | `password` | `password` | `argon2`, `bcrypt`, `scrypt`, `ring`, `unicode-normalization` |
//! | `ratelimit` | `ratelimit` | `hashbrown` |
//! | `web` | `web`, `apikey`, `audit` | `ring`, `time` |
//! | `deploy` | `deploy`: the deployment check over Django-named settings (turns on `token`, `crypto`, `ratelimit`) | none beyond those rooms' |
//! | `jose` | `jose`: DPoP and JWE (implies `token`) | `aes`, `aes-kw`, `cbc`, `p256`, `x25519-dalek`, `ring` |
//! | `tracing` (off by default) | [`observe`]: a `tracing` event at every security decision of the rooms that are on | `tracing` |
//! | `metrics` (off by default) | [`observe`]: `metrics` counters and histograms at the same decisions | `metrics` |
//!
//! Every room is on by default. For one room:
//!
//! ```toml
//! portcullis = { version = "0.1", default-features = false, features = ["ratelimit"] }
//! ```
//!
//! The floor needs `base64`, `serde`, `serde_json`, `subtle`, `thiserror` and
//! `zeroize`. `SecretBytes::generate` draws from `ring`, so it exists with
//! every room but a `ratelimit`-only build. The README records the dependency count
//! and release build time of each single-room build.
//!
//! ## Example
//!
//! ```
//! use portcullis::secret::{Encoding, KeyLength, SecretBytes};
//!
//! # fn main() -> Result<(), portcullis::Error> {
//! let loaded = SecretBytes::from_encoded(
//!     "YSB0aGlydHktdHdvIGJ5dGUga2V5LCBub3QgbW9yZS4=",
//!     Encoding::Base64,
//!     KeyLength::Exactly(32),
//! )?;
//! assert_eq!(loaded.len(), 32);
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

#[cfg(feature = "web")]
pub mod apikey;
#[cfg(feature = "web")]
pub mod audit;
pub mod clock;
#[cfg(feature = "crypto")]
pub mod crypto;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod error;
#[cfg(feature = "jose")]
pub mod jose;
pub mod observe;
#[cfg(feature = "password")]
pub mod password;
#[cfg(feature = "ratelimit")]
pub mod ratelimit;
pub mod secret;
pub mod store;
#[cfg(feature = "token")]
pub mod token;
#[cfg(feature = "web")]
pub mod web;

pub use error::Error;

/// The README's Rust snippets, one per room, run as doc tests with every room on.
#[cfg(all(
    doctest,
    feature = "token",
    feature = "crypto",
    feature = "password",
    feature = "ratelimit",
    feature = "web",
    feature = "jose"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
