//! The JWS algorithms (RFC 7518) and the key family each needs.

use std::fmt;
use std::str::FromStr;

use ring::hmac;
use ring::signature as sig;
use serde::{Deserialize, Serialize};

use super::error::TokenError;

/// A JWS signature algorithm (RFC 7518), as written in the `alg` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048 to 8192-bit keys).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    /// A shared secret.
    Hmac,
    /// An RSA key pair.
    Rsa,
    /// A NIST P-curve key pair.
    Ec,
    /// An Ed25519 key pair.
    Ed,
}

impl Algorithm {
    /// Every algorithm, in RFC 7518 order.
    pub const ALL: [Self; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The `alg` header value (case-sensitive).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> KeyFamily {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => KeyFamily::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 | Self::ES384 => KeyFamily::Ec,
            Self::EdDSA => KeyFamily::Ed,
        }
    }

    pub(super) fn hmac(self) -> Option<hmac::Algorithm> {
        match self {
            Self::HS256 => Some(hmac::HMAC_SHA256),
            Self::HS384 => Some(hmac::HMAC_SHA384),
            Self::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }

    pub(super) fn rsa_signing(self) -> Option<&'static dyn sig::RsaEncoding> {
        match self {
            Self::RS256 => Some(&sig::RSA_PKCS1_SHA256),
            Self::RS384 => Some(&sig::RSA_PKCS1_SHA384),
            Self::RS512 => Some(&sig::RSA_PKCS1_SHA512),
            Self::PS256 => Some(&sig::RSA_PSS_SHA256),
            Self::PS384 => Some(&sig::RSA_PSS_SHA384),
            Self::PS512 => Some(&sig::RSA_PSS_SHA512),
            _ => None,
        }
    }

    pub(super) fn rsa_verification(self) -> Option<&'static sig::RsaParameters> {
        match self {
            Self::RS256 => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
            Self::RS384 => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            Self::RS512 => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
            Self::PS256 => Some(&sig::RSA_PSS_2048_8192_SHA256),
            Self::PS384 => Some(&sig::RSA_PSS_2048_8192_SHA384),
            Self::PS512 => Some(&sig::RSA_PSS_2048_8192_SHA512),
            _ => None,
        }
    }

    pub(super) fn ecdsa_signing(self) -> Option<&'static sig::EcdsaSigningAlgorithm> {
        match self {
            Self::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            Self::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
            _ => None,
        }
    }

    /// The matching `jsonwebtoken` algorithm (for hosts mixing both crates).
    pub const fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::HS256 => J::HS256,
            Self::HS384 => J::HS384,
            Self::HS512 => J::HS512,
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = TokenError;

    /// Exact, case-sensitive names; `none` in any spelling is not an algorithm.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                TokenError::config(
                    "algorithm",
                    format!(
                        "`{s}` is not supported; use one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_exact() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        }
        for bad in ["none", "None", "NONE", "hs256", "", "HS257"] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
    }
}
