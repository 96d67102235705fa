//! What JWE decryption and encryption report.

/// Why a JWE was refused, or could not be made.
///
/// Everything decided from the public parts of a token (its size, framing, header
/// and algorithms) is precise. Everything decided with the key is one opaque
/// [`JweError::Decryption`]: a bad tag, bad padding, a failed key unwrap and a
/// refused key agreement look the same, so the decrypter is no oracle.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JweError {
    /// The token is longer than the configured cap; nothing was decoded.
    #[error("the JWE is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The configured cap.
        max: usize,
    },
    /// The header names an algorithm this crate does not implement (RSA, PBES2,
    /// the 192-bit variants, AES-GCM key wrap) or does not know.
    #[error("unsupported JWE algorithm {name:?}")]
    UnsupportedAlgorithm {
        /// The `alg` or `enc` value, cut to 64 characters.
        name: String,
    },
    /// The framing or the protected header is not a valid JWE compact serialization.
    #[error("malformed JWE: {reason}")]
    Malformed {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// The header's `alg` is not the one the key or the caller allows.
    #[error("JWE algorithm {alg} is not allowed for this key")]
    AlgorithmNotAllowed {
        /// The header's `alg`.
        alg: &'static str,
    },
    /// Decryption failed. Deliberately says no more.
    #[error("the JWE could not be decrypted")]
    Decryption,
    /// The key (a JWK) cannot be used: wrong type, size or curve, or a public key
    /// where a private key is needed.
    #[error("invalid JWE key: {reason}")]
    InvalidKey {
        /// What is wrong, in words; never key material.
        reason: &'static str,
    },
    /// A setting is out of range.
    #[error("invalid JWE setting {setting}: {expected}")]
    InvalidConfig {
        /// The setting's name.
        setting: &'static str,
        /// The accepted range.
        expected: &'static str,
    },
    /// The system random generator failed.
    #[error("the secure random generator failed")]
    RandomUnavailable,
}

impl JweError {
    /// The stable code of a refused JWE, as the CLI reports it: `too_large`,
    /// `unsupported_algorithm`, else RFC 6750's `invalid_token`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            _ => "invalid_token",
        }
    }

    pub(crate) fn unsupported(name: &str) -> Self {
        Self::UnsupportedAlgorithm {
            name: name.chars().take(64).collect(),
        }
    }

    pub(crate) const fn malformed(reason: &'static str) -> Self {
        Self::Malformed { reason }
    }

    pub(crate) const fn key(reason: &'static str) -> Self {
        Self::InvalidKey { reason }
    }
}
