//! The JWE algorithm names (RFC 7518 §4 and §5) this crate implements, and the ones
//! it refuses by name.

use super::JweError;

/// How the content encryption key (CEK) reaches the recipient (`alg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyManagement {
    /// `dir`: the shared key is the CEK.
    Dir,
    /// `A128KW`: the CEK wrapped with a 128-bit AES key (RFC 3394).
    A128Kw,
    /// `A256KW`: the CEK wrapped with a 256-bit AES key.
    A256Kw,
    /// `ECDH-ES`: the CEK derived from an ephemeral-static agreement.
    EcdhEs,
    /// `ECDH-ES+A128KW`: an agreement derives a 128-bit key that wraps the CEK.
    EcdhEsA128Kw,
    /// `ECDH-ES+A256KW`: an agreement derives a 256-bit key that wraps the CEK.
    EcdhEsA256Kw,
}

/// How the content is encrypted (`enc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// `A128GCM`.
    A128Gcm,
    /// `A256GCM`.
    A256Gcm,
    /// `A128CBC-HS256`: AES-128-CBC with an HMAC-SHA-256 tag (RFC 7518 §5.2.3).
    A128CbcHs256,
    /// `A256CBC-HS512`: AES-256-CBC with an HMAC-SHA-512 tag (RFC 7518 §5.2.5).
    A256CbcHs512,
}

/// Names this crate knows and refuses: RSA key transport (no `rsa` crate; RSA1_5 is
/// a padding oracle), PBES2 (password-based, slow by design: a denial-of-service
/// lever in a header), AES-GCM key wrap and the 192-bit variants.
const REFUSED: &[&str] = &[
    "RSA1_5",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
    "A192KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "ECDH-ES+A192KW",
    "A192GCM",
    "A192CBC-HS384",
];

impl KeyManagement {
    /// Every key management algorithm this crate implements.
    pub const ALL: [Self; 6] = [
        Self::Dir,
        Self::A128Kw,
        Self::A256Kw,
        Self::EcdhEs,
        Self::EcdhEsA128Kw,
        Self::EcdhEsA256Kw,
    ];

    /// The registered name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dir => "dir",
            Self::A128Kw => "A128KW",
            Self::A256Kw => "A256KW",
            Self::EcdhEs => "ECDH-ES",
            Self::EcdhEsA128Kw => "ECDH-ES+A128KW",
            Self::EcdhEsA256Kw => "ECDH-ES+A256KW",
        }
    }

    /// Parses a registered name.
    ///
    /// # Errors
    /// [`JweError::UnsupportedAlgorithm`] for any other name, refused ones included.
    pub fn from_name(name: &str) -> Result<Self, JweError> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name() == name)
            .ok_or_else(|| JweError::unsupported(name))
    }

    /// The length in bytes of the AES key-wrapping key, for the wrapping algorithms.
    pub(crate) const fn kek_len(self) -> Option<usize> {
        match self {
            Self::A128Kw | Self::EcdhEsA128Kw => Some(16),
            Self::A256Kw | Self::EcdhEsA256Kw => Some(32),
            Self::Dir | Self::EcdhEs => None,
        }
    }

    /// Whether the key is an elliptic-curve agreement key (else a symmetric key).
    pub(crate) const fn is_ecdh(self) -> bool {
        matches!(self, Self::EcdhEs | Self::EcdhEsA128Kw | Self::EcdhEsA256Kw)
    }
}

impl ContentEncryption {
    /// Every content encryption algorithm this crate implements.
    pub const ALL: [Self; 4] = [
        Self::A128Gcm,
        Self::A256Gcm,
        Self::A128CbcHs256,
        Self::A256CbcHs512,
    ];

    /// The registered name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
            Self::A128CbcHs256 => "A128CBC-HS256",
            Self::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// Parses a registered name.
    ///
    /// # Errors
    /// [`JweError::UnsupportedAlgorithm`] for any other name, refused ones included.
    pub fn from_name(name: &str) -> Result<Self, JweError> {
        Self::ALL
            .into_iter()
            .find(|enc| enc.name() == name)
            .ok_or_else(|| JweError::unsupported(name))
    }

    /// The CEK length in bytes.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm | Self::A128CbcHs256 => 32,
            Self::A256CbcHs512 => 64,
        }
    }

    /// The IV length in bytes.
    pub(crate) const fn iv_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm => 12,
            Self::A128CbcHs256 | Self::A256CbcHs512 => 16,
        }
    }
}

/// Whether `name` is one the crate knows and refuses on purpose (for messages and tests).
#[must_use]
pub fn is_refused(name: &str) -> bool {
    REFUSED.contains(&name)
}
