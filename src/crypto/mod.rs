//! Field encryption: Fernet compatible with Python, and a sealed envelope for new data.
//!
//! Services keep OAuth tokens, API secrets and personal data in database columns,
//! encrypted with a key from the environment. Two formats:
//!
//! - [`Fernet`] / [`MultiFernet`]: byte-for-byte the tokens of Python's
//!   `cryptography.fernet` (what Django projects use), so a Rust service can read
//!   and write the same column. Same semantics too: TTLs, the 60 s clock-skew rule,
//!   key rotation that keeps the timestamp. See [`fernet`] for the accepted text forms.
//! - [`sealed`]: XChaCha20-Poly1305 with random 192-bit nonces, a versioned compact
//!   text format with a key id for rotation, and **context binding**: a value
//!   sealed for `(table, column, row id)` does not open anywhere else. Fernet has
//!   no associated data, so a Fernet token pasted into another row still decrypts.
//!   [`field::Encrypted`] makes a serde struct field sealed.
//!
//! Both refuse input over a configurable size limit before doing any work, return
//! decrypted data as a [`Plaintext`] that wipes itself, keep keys in wiping,
//! non-`Clone`, `Debug`-redacted types, and fail with the one opaque
//! [`CryptoError::InvalidToken`] whatever was wrong with a token.

pub mod aead;
mod error;
pub mod fernet;
pub mod field;
mod plaintext;
pub mod sealed;

pub use error::CryptoError;
pub use fernet::{ENV_ENCRYPTION_KEY, Fernet, MultiFernet};
pub use plaintext::Plaintext;
pub use sealed::{Context, SealedKey, SealedKeyset};
