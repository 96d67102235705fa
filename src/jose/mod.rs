//! JOSE beyond signatures: DPoP sender-constrained tokens (RFC 9449).
//!
//! [`dpop`] verifies a DPoP proof for a request (its `typ`, an asymmetric `alg`
//! from an allow-list matching the header's public `jwk`, the signature, `htm`,
//! `htu`, `iat`, `jti` through a replay seam, `ath` and an optional server nonce),
//! returns the key's RFC 7638 thumbprint, binds access tokens to it with `cnf.jkt`
//! and words the `WWW-Authenticate: DPoP` challenges. Like the rest of the crate it
//! does no I/O: the host passes the request's method and URL, the time and the
//! replay store.

pub mod dpop;
