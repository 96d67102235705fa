//! DPoP: OAuth 2.0 Demonstrating Proof of Possession (RFC 9449).
//!
//! A client signs each request with a key it holds; the proof (a JWS in the `DPoP`
//! header) names the request's method and URL, when it was made, and carries the
//! public key. A server that accepts it knows the request came from the key's holder
//! and binds the access token it issues to the key's thumbprint (`cnf.jkt`), so a
//! stolen token is useless without the key.
//!
//! - [`DpopVerifier::verify`] checks a proof for a [`Request`] at `now` (RFC 9449
//!   section 4.3: `typ`, an asymmetric `alg` from [`ALLOWED_ALGORITHMS`] matching the
//!   public `jwk`, the signature, `htm`, `htu` after [`normalize_htu`], `iat` within
//!   the window, `ath`, the server nonce, and the `jti` once through a
//!   [`ReplayStore`]) and returns the key's RFC 7638 thumbprint ([`Jkt`]).
//!   [`DpopVerifier::check`] and [`Checked::finish`] are the sans-I/O path for an
//!   async replay store.
//! - [`cnf_claims`] binds a token at issue time; [`verify_binding`] checks a verified
//!   token against the proof's key; [`challenge`] words the `WWW-Authenticate: DPoP`
//!   answer.
//!
//! Parsing is strict: the proof is capped in size before it is decoded, has exactly
//! three unpadded base64url parts, no JSON member twice, and no `crit`. Every refusal
//! is [`DpopError::InvalidProof`] with the [`ProofDefect`] for the host's logs; the
//! client sees only `invalid_dpop_proof`.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::jose::dpop::{DpopVerifier, MemoryReplayStore, Request, cnf_claims};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // RFC 9449 section 7.1: a proof presented with the access token it is bound to.
//! let proof = include_str!("../../../tests/data/jose/rfc9449_7_1_proof.txt").trim_end();
//! let request = Request::new("GET", "https://resource.example.org/protectedresource")
//!     .with_access_token("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
//! let now = UnixTime::from_secs(1_562_262_618).ok_or("time")?;
//! let store = MemoryReplayStore::new(10_000);
//! let verified = DpopVerifier::new().verify(proof, &request, &store, now)?;
//! // Issue tokens for this key with `cnf_claims(verified.jkt())` as extra claims.
//! assert_eq!(cnf_claims(verified.jkt())["cnf"]["jkt"], "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
//! # Ok(())
//! # }
//! ```

mod binding;
mod error;
mod htu;
mod proof;
mod replay;
mod thumbprint;

pub use binding::{Challenge, challenge, cnf_claims, verify_binding};
pub use error::{DpopError, ProofDefect};
pub use htu::normalize_htu;
pub use proof::{ALLOWED_ALGORITHMS, Checked, DpopVerifier, Request, Verified};
pub use replay::{MemoryReplayStore, ReplayKey, ReplayStore, Seen};
pub use thumbprint::Jkt;
