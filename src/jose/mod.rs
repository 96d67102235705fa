//! JOSE beyond signatures: DPoP sender-constrained tokens (RFC 9449), JWE
//! (RFC 7516) encrypted tokens and payloads, and nested (signed, then encrypted)
//! tokens for the token engine ([`nested`]), and the cache policy for a remote
//! issuer's JWKS ([`jwks`]).
//!
//! Pure and I/O-free like the rest of the crate: the host hands in a key (one JWK)
//! and a compact token, and gets a plaintext or an error back.
//!
//! ## DPoP
//!
//! [`dpop`] verifies a DPoP proof for a request (its `typ`, an asymmetric `alg`
//! from an allow-list matching the header's public `jwk`, the signature, `htm`,
//! `htu`, `iat`, `jti` through a replay seam, `ath` and an optional server nonce),
//! returns the key's RFC 7638 thumbprint, binds access tokens to it with `cnf.jkt`
//! and words the `WWW-Authenticate: DPoP` challenges. Like the rest of the crate it
//! does no I/O: the host passes the request's method and URL, the time and the
//! replay store.
//!
//! ## JWE: what is supported
//!
//! - The compact serialization only (five unpadded base64url parts).
//! - Key management (`alg`): `dir`, `A128KW`, `A256KW`, `ECDH-ES`,
//!   `ECDH-ES+A128KW`, `ECDH-ES+A256KW`; ECDH over P-256 and X25519 (RFC 8037),
//!   with the RFC 7518 §4.6 Concat KDF and `apu`/`apv`.
//! - Content encryption (`enc`): `A128GCM`, `A256GCM` (ring), `A128CBC-HS256`,
//!   `A256CBC-HS512` (RustCrypto AES-CBC, ring's HMAC, a constant-time tag check).
//!
//! ## What is refused, and why
//!
//! - RSA key transport (`RSA1_5`, `RSA-OAEP*`): the workspace has no `rsa` crate
//!   (it has an unfixed timing advisory), and `RSA1_5` is a padding oracle by design.
//! - `PBES2-*`: a password-derived key with an attacker-chosen iteration count in
//!   the header is a denial-of-service lever, and passwords are not keys.
//! - `A*GCMKW` and the 192-bit variants: not implemented.
//! - `zip`: decompression bombs. Any `crit`: no extension is implemented. A
//!   header with a duplicate member name: readers disagree on which one counts.
//!
//! All of these are [`jwe::JweError::UnsupportedAlgorithm`] or
//! [`jwe::JweError::Malformed`], decided from the header before the key is used.
//!
//! ## The rules [`jwe::JweDecryptor`] keeps
//!
//! - The key fixes the family: an `oct` key decrypts `dir` and the AES key wrap of
//!   its own size; an EC or OKP key decrypts the ECDH-ES family; a JWK `alg` pins one
//!   algorithm, and [`jwe::JweDecryptor::expect_alg`] can pin one more strictly.
//! - The size cap (default 256 KiB) is checked before anything is decoded.
//! - Exactly five parts, unpadded base64url, no whitespace; `dir` and `ECDH-ES`
//!   with a non-empty encrypted key are refused.
//! - `epk` must be a public key on the key's curve; the all-zero X25519 point and a
//!   low-order (non-contributory) agreement are refused.
//! - One opaque [`jwe::JweError::Decryption`] for every failure that involves the
//!   key: a failed key unwrap continues with a random content key so it costs the
//!   same as a bad tag, and the CBC tag is checked before the padding.
//! - Keys and plaintexts are wiped on drop and print as `[REDACTED]`.

pub mod dpop;
mod json;
pub mod jwe;
pub mod jwks;
pub mod nested;

/// An error from the JOSE room.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoseError {
    /// A JWE was refused, or could not be made.
    #[error(transparent)]
    Jwe(#[from] jwe::JweError),
    /// A DPoP proof or the token bound to it was refused, or a DPoP setting is wrong.
    #[error(transparent)]
    Dpop(#[from] dpop::DpopError),
    /// A fetched JWKS was refused, or a JWKS cache setting is wrong.
    #[error(transparent)]
    Jwks(#[from] jwks::JwksError),
}
