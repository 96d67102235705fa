//! Keys, parsed once: a [`SigningKey`] signs with one algorithm, a [`VerifyingKey`]
//! verifies it; PEM/DER reading lives in `der`, JWK in `jwk`, the `kid` map in `keyring`.
//!
//! A key carries exactly one [`Algorithm`]; the token header chooses a key only
//! through `kid`, and its `alg` must then equal the key's (RFC 8725 section 3.1).

use std::fmt;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use ring::{hmac, signature::RsaPublicKeyComponents};

use super::algorithm::{Algorithm, KeyFamily};
use super::error::{Invalid, TokenError};
use crate::secret::SecretBytes;

/// The minimum HMAC secret length (bytes): the hash output size of HS256 (RFC 7518 section 3.2).
pub const MIN_HMAC_SECRET: usize = 32;

enum Signer {
    Hmac(hmac::Key),
    Ecdsa(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

#[derive(Clone)]
pub(super) enum Verifier {
    Hmac(hmac::Key),
    /// An uncompressed EC point or a raw Ed25519 public key.
    Public(Arc<[u8]>),
    Rsa {
        n: Arc<[u8]>,
        e: Arc<[u8]>,
    },
}

/// A private or secret key that signs tokens with one algorithm.
///
/// Built once; `ring` holds the parsed key. `Debug` shows only the algorithm and `kid`.
/// The crate keeps no copy of the raw secret or PEM (decoding buffers are wiped);
/// `ring`'s own key objects (including an HMAC key's precomputed hash state) are not
/// wiped on drop, which `ring` offers no way to do.
pub struct SigningKey {
    alg: Algorithm,
    pub(super) kid: Option<String>,
    signer: Signer,
    pub(super) verifying: VerifyingKey,
}

/// A public or secret key that verifies tokens of one algorithm.
///
/// What is parsed when. Key text (PEM, DER, JWK) is decoded and checked once, at
/// load: a point's length and form, an RSA modulus' size. A signing key and an HMAC
/// key become `ring` key objects then, so signing and HMAC verification parse
/// nothing. Asymmetric verification is different: `ring` 0.17 has no pre-parsed
/// public key for verification, so each verify hands it the stored public bytes and
/// it parses them again: `UnparsedPublicKey::verify` checks an ECDSA point is on
/// its curve or decompresses an Ed25519 point, and `RsaPublicKeyComponents::verify`
/// rebuilds the modulus with its Montgomery constants. The tokens bench
/// (`ring_key_parse_*`) measures that share of a verify.
#[derive(Clone)]
pub struct VerifyingKey {
    pub(super) alg: Algorithm,
    pub(super) kid: Option<String>,
    pub(super) verifier: Verifier,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

pub(super) fn key_error(what: impl fmt::Display) -> TokenError {
    TokenError::Key(what.to_string())
}

pub(super) fn hmac_key(alg: Algorithm, secret: &[u8]) -> Result<hmac::Key, TokenError> {
    let Some(h) = alg.hmac() else {
        return Err(key_error(format!(
            "{alg} needs a private key, not a secret"
        )));
    };
    if secret.len() < MIN_HMAC_SECRET {
        return Err(TokenError::config(
            "signing_key",
            format!(
                "the HMAC secret is {} bytes; it must be at least {MIN_HMAC_SECRET}",
                secret.len()
            ),
        ));
    }
    Ok(hmac::Key::new(h, secret))
}

impl SigningKey {
    /// An HMAC key (HS256/384/512) from secret bytes of at least 32 bytes.
    ///
    /// SimpleJWT signs with the bytes of Django's `SECRET_KEY` text; pass
    /// `SecretString::to_bytes()` of it.
    ///
    /// # Errors
    /// [`TokenError::Config`] naming `signing_key` if the secret is short;
    /// [`TokenError::Key`] if `alg` is not an HMAC algorithm.
    pub fn hmac(alg: Algorithm, secret: &SecretBytes) -> Result<Self, TokenError> {
        let key = hmac_key(alg, secret.expose_secret())?;
        Ok(Self {
            alg,
            kid: None,
            signer: Signer::Hmac(key.clone()),
            verifying: VerifyingKey {
                alg,
                kid: None,
                verifier: Verifier::Hmac(key),
            },
        })
    }

    /// A private key from PKCS#8 DER.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the bytes are not a PKCS#8 key of `alg`'s family and curve.
    pub fn from_pkcs8_der(alg: Algorithm, der: &[u8]) -> Result<Self, TokenError> {
        let wrong = || key_error(format!("not a valid PKCS#8 private key for {alg}"));
        match alg.family() {
            KeyFamily::Hmac => Err(key_error(format!(
                "{alg} takes a secret, not a private key"
            ))),
            KeyFamily::Ec => {
                let signing = alg.ecdsa_signing().ok_or_else(wrong)?;
                let pair = EcdsaKeyPair::from_pkcs8(signing, der, &SystemRandom::new())
                    .map_err(|_| wrong())?;
                let public: Arc<[u8]> = pair.public_key().as_ref().into();
                Ok(Self {
                    alg,
                    kid: None,
                    signer: Signer::Ecdsa(pair),
                    verifying: VerifyingKey {
                        alg,
                        kid: None,
                        verifier: Verifier::Public(public),
                    },
                })
            }
            KeyFamily::Ed => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| wrong())?;
                let public: Arc<[u8]> = pair.public_key().as_ref().into();
                Ok(Self {
                    alg,
                    kid: None,
                    signer: Signer::Ed(pair),
                    verifying: VerifyingKey {
                        alg,
                        kid: None,
                        verifier: Verifier::Public(public),
                    },
                })
            }
            KeyFamily::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| wrong())?;
                Ok(Self::from_rsa(alg, pair))
            }
        }
    }

    pub(super) fn from_rsa(alg: Algorithm, pair: RsaKeyPair) -> Self {
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        Self {
            alg,
            kid: None,
            verifying: VerifyingKey {
                alg,
                kid: None,
                verifier: Verifier::Rsa {
                    n: components.n.into(),
                    e: components.e.into(),
                },
            },
            signer: Signer::Rsa(pair),
        }
    }

    /// Sets the key id that tokens signed with this key carry in their header.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        self.verifying.kid = Some(kid.clone());
        self.kid = Some(kid);
        self
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any (SimpleJWT's keys have none).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key that verifies this key's signatures.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Signs `message` (the JWS signing input).
    pub(crate) fn sign(&self, message: &[u8], rng: &SystemRandom) -> Result<Vec<u8>, TokenError> {
        let failed = || key_error("signing failed");
        match &self.signer {
            Signer::Hmac(key) => Ok(hmac::sign(key, message).as_ref().to_vec()),
            Signer::Ecdsa(pair) => pair
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed()),
            Signer::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Signer::Rsa(pair) => {
                let encoding = self.alg.rsa_signing().ok_or_else(failed)?;
                let mut out = vec![0u8; pair.public().modulus_len()];
                pair.sign(encoding, rng, message, &mut out)
                    .map_err(|_| failed())?;
                Ok(out)
            }
        }
    }
}

impl VerifyingKey {
    /// An HMAC verification key (the same secret that signs).
    ///
    /// # Errors
    /// As [`SigningKey::hmac`].
    pub fn hmac(alg: Algorithm, secret: &SecretBytes) -> Result<Self, TokenError> {
        Ok(Self {
            alg,
            kid: None,
            verifier: Verifier::Hmac(hmac_key(alg, secret.expose_secret())?),
        })
    }

    pub(super) fn ec_point(alg: Algorithm, point: &[u8]) -> Result<Self, TokenError> {
        let len = if alg == Algorithm::ES256 { 65 } else { 97 };
        if point.len() != len || point.first() != Some(&4) {
            return Err(key_error(format!("not an uncompressed {alg} public point")));
        }
        Ok(Self {
            alg,
            kid: None,
            verifier: Verifier::Public(point.into()),
        })
    }

    pub(super) fn ed25519(public: &[u8]) -> Result<Self, TokenError> {
        if public.len() != 32 {
            return Err(key_error("an Ed25519 public key is 32 bytes"));
        }
        Ok(Self {
            alg: Algorithm::EdDSA,
            kid: None,
            verifier: Verifier::Public(public.into()),
        })
    }

    pub(super) fn from_rsa_parts(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<Self, TokenError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        // ring verifies 2048 to 8192-bit moduli; refuse anything else at load time.
        if !(256..=1024).contains(&n.len()) || e.is_empty() || e.len() > 4 {
            return Err(key_error(format!(
                "{alg} needs an RSA key of 2048 to 8192 bits"
            )));
        }
        Ok(Self {
            alg,
            kid: None,
            verifier: Verifier::Rsa {
                n: n.into(),
                e: e.into(),
            },
        })
    }

    /// Sets the key id this key is found under.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key accepts.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether `signature` is valid for `message`. One opaque failure, no detail.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), TokenError> {
        let bad = TokenError::Invalid(Invalid::Signature);
        let ok = match &self.verifier {
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Verifier::Public(public) => {
                let algorithm: &'static dyn sig::VerificationAlgorithm = match self.alg {
                    Algorithm::EdDSA => &sig::ED25519,
                    Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
                    Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
                    _ => return Err(bad),
                };
                sig::UnparsedPublicKey::new(algorithm, &**public)
                    .verify(message, signature)
                    .is_ok()
            }
            Verifier::Rsa { n, e } => match self.alg.rsa_verification() {
                Some(params) => RsaPublicKeyComponents { n: &**n, e: &**e }
                    .verify(params, message, signature)
                    .is_ok(),
                None => false,
            },
        };
        if ok { Ok(()) } else { Err(bad) }
    }

    /// `(n, e)` of an RSA key.
    #[cfg(feature = "jsonwebtoken-provider")]
    pub(crate) fn rsa_components(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        match &self.verifier {
            Verifier::Rsa { n, e } => Some((n.to_vec(), e.to_vec())),
            _ => None,
        }
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretBytes {
        SecretBytes::from_slice(&[7u8; 32])
    }

    #[test]
    fn short_hmac_secret_names_the_setting() {
        let err =
            SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[1; 31])).unwrap_err();
        assert!(matches!(
            err,
            TokenError::Config {
                setting: "signing_key",
                ..
            }
        ));
        assert!(SigningKey::hmac(Algorithm::ES256, &secret()).is_err());
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = SigningKey::hmac(Algorithm::HS256, &secret())
            .unwrap()
            .with_kid("k1");
        let shown = format!("{key:?} {:?}", key.verifying_key());
        assert!(shown.contains("HS256") && shown.contains("k1"), "{shown}");
        assert!(!shown.contains("7, 7"), "{shown}");
    }
}
