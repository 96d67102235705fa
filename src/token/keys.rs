//! Algorithms, keys (parsed once) and the keyring that maps `kid` to a key.
//!
//! A key carries exactly one [`Algorithm`]; the token header chooses a key only
//! through `kid`, and its `alg` must then equal the key's (RFC 8725 section 3.1).
//! Signing and verification run on `ring` key objects built at load time, so no
//! sign or verify call parses key material.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, KeyOperations, OctetKeyPairParameters,
    OctetKeyPairType, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use ring::{hmac, signature::RsaPublicKeyComponents};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{Invalid, TokenError};
use crate::secret::SecretBytes;

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

    fn hmac(self) -> Option<hmac::Algorithm> {
        match self {
            Self::HS256 => Some(hmac::HMAC_SHA256),
            Self::HS384 => Some(hmac::HMAC_SHA384),
            Self::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        }
    }

    fn rsa_signing(self) -> Option<&'static dyn sig::RsaEncoding> {
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

    fn rsa_verification(self) -> Option<&'static sig::RsaParameters> {
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

    fn ecdsa_signing(self) -> Option<&'static sig::EcdsaSigningAlgorithm> {
        match self {
            Self::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            Self::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
            _ => None,
        }
    }

    fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            Self::HS256 => KeyAlgorithm::HS256,
            Self::HS384 => KeyAlgorithm::HS384,
            Self::HS512 => KeyAlgorithm::HS512,
            Self::RS256 => KeyAlgorithm::RS256,
            Self::RS384 => KeyAlgorithm::RS384,
            Self::RS512 => KeyAlgorithm::RS512,
            Self::PS256 => KeyAlgorithm::PS256,
            Self::PS384 => KeyAlgorithm::PS384,
            Self::PS512 => KeyAlgorithm::PS512,
            Self::ES256 => KeyAlgorithm::ES256,
            Self::ES384 => KeyAlgorithm::ES384,
            Self::EdDSA => KeyAlgorithm::EdDSA,
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

/// The minimum HMAC secret length (bytes): the hash output size of HS256 (RFC 7518 section 3.2).
pub const MIN_HMAC_SECRET: usize = 32;

enum Signer {
    Hmac(hmac::Key),
    Ecdsa(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

#[derive(Clone)]
enum Verifier {
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
    kid: Option<String>,
    signer: Signer,
    verifying: VerifyingKey,
}

/// A public or secret key that verifies tokens of one algorithm.
#[derive(Clone)]
pub struct VerifyingKey {
    alg: Algorithm,
    kid: Option<String>,
    verifier: Verifier,
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

fn key_error(what: impl fmt::Display) -> TokenError {
    TokenError::Key(what.to_string())
}

fn hmac_key(alg: Algorithm, secret: &[u8]) -> Result<hmac::Key, TokenError> {
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

    /// A private key from PEM: PKCS#8 (`PRIVATE KEY`) for every family, or
    /// PKCS#1 (`RSA PRIVATE KEY`) for RSA.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the text is not such a key for `alg`.
    pub fn from_pem(alg: Algorithm, pem: &str) -> Result<Self, TokenError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(alg, &der),
            "RSA PRIVATE KEY" if alg.family() == KeyFamily::Rsa => {
                let pair = RsaKeyPair::from_der(&der)
                    .map_err(|_| key_error("not a valid PKCS#1 RSA private key"))?;
                Ok(Self::from_rsa(alg, pair))
            }
            other => Err(key_error(format!(
                "expected a `PRIVATE KEY` PEM block for {alg}, found `{other}`"
            ))),
        }
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

    fn from_rsa(alg: Algorithm, pair: RsaKeyPair) -> Self {
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

    /// A verification key from PEM: a public key (`PUBLIC KEY`, or `RSA PUBLIC KEY`)
    /// or a private key, whose public half is used.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the text is not a key for `alg`.
    pub fn from_pem(alg: Algorithm, pem: &str) -> Result<Self, TokenError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" => {
                Ok(SigningKey::from_pem(alg, pem)?.verifying.clone())
            }
            "PUBLIC KEY" => Self::from_spki_der(alg, &der),
            "RSA PUBLIC KEY" if alg.family() == KeyFamily::Rsa => {
                let (n, e) = rsa_public_components(&der)?;
                Self::from_rsa_parts(alg, n, e)
            }
            other => Err(key_error(format!(
                "expected a `PUBLIC KEY` or `PRIVATE KEY` PEM block for {alg}, found `{other}`"
            ))),
        }
    }

    /// A public key from SubjectPublicKeyInfo DER (the body of a `PUBLIC KEY` PEM).
    ///
    /// # Errors
    /// [`TokenError::Key`] if it is not a public key of `alg`'s family and curve.
    pub fn from_spki_der(alg: Algorithm, der: &[u8]) -> Result<Self, TokenError> {
        let wrong = || key_error(format!("not a valid public key for {alg}"));
        let spki = der_expect(der, 0x30).map_err(|()| wrong())?;
        let (algid, rest) = der_next(spki, 0x30).map_err(|()| wrong())?;
        let (bits, _) = der_next(rest, 0x03).map_err(|()| wrong())?;
        let (oid, params) = der_next(algid, 0x06).map_err(|()| wrong())?;
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(wrong()),
        };
        // OIDs: id-ecPublicKey 1.2.840.10045.2.1, Ed25519 1.3.101.112, rsaEncryption 1.2.840.113549.1.1.1.
        const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
        const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
        const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                let (curve, _) = der_next(params, 0x06).map_err(|()| wrong())?;
                let want = if alg == Algorithm::ES256 { P256 } else { P384 };
                if oid != EC || curve != want {
                    return Err(wrong());
                }
                Self::ec_point(alg, key)
            }
            Algorithm::EdDSA if oid == ED25519 => Self::ed25519(key),
            _ if alg.family() == KeyFamily::Rsa && oid == RSA => {
                let (n, e) = rsa_public_components(key)?;
                Self::from_rsa_parts(alg, n, e)
            }
            _ => Err(wrong()),
        }
    }

    fn ec_point(alg: Algorithm, point: &[u8]) -> Result<Self, TokenError> {
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

    fn ed25519(public: &[u8]) -> Result<Self, TokenError> {
        if public.len() != 32 {
            return Err(key_error("an Ed25519 public key is 32 bytes"));
        }
        Ok(Self {
            alg: Algorithm::EdDSA,
            kid: None,
            verifier: Verifier::Public(public.into()),
        })
    }

    fn from_rsa_parts(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<Self, TokenError> {
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

    /// A verification key from a JWK (RFC 7517). The JWK's `alg`, when present, must
    /// equal `alg`; its `kid` becomes the key's.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the JWK is not a public (or `oct`) key for `alg`.
    pub fn from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, TokenError> {
        if let Some(declared) = jwk.common.key_algorithm
            && declared != alg.key_algorithm()
        {
            return Err(key_error(format!(
                "the JWK declares alg {declared:?}, not {alg}"
            )));
        }
        let b64 = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .map(Zeroizing::new)
                .map_err(|_| key_error("a JWK member is not base64url"))
        };
        let key = match (&jwk.algorithm, alg.family()) {
            (AlgorithmParameters::OctetKey(p), KeyFamily::Hmac) => {
                Self::hmac(alg, &SecretBytes::from_slice(&b64(&p.value)?))?
            }
            (AlgorithmParameters::EllipticCurve(p), KeyFamily::Ec) => {
                let want = if alg == Algorithm::ES256 {
                    EllipticCurve::P256
                } else {
                    EllipticCurve::P384
                };
                if p.curve != want {
                    return Err(key_error(format!("the JWK curve does not match {alg}")));
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&b64(&p.x)?);
                point.extend_from_slice(&b64(&p.y)?);
                Self::ec_point(alg, &point)?
            }
            (AlgorithmParameters::OctetKeyPair(p), KeyFamily::Ed)
                if p.curve == EllipticCurve::Ed25519 =>
            {
                Self::ed25519(&b64(&p.x)?)?
            }
            (AlgorithmParameters::RSA(p), KeyFamily::Rsa) => {
                Self::from_rsa_parts(alg, &b64(&p.n)?, &b64(&p.e)?)?
            }
            _ => return Err(key_error(format!("the JWK is not a key for {alg}"))),
        };
        Ok(match &jwk.common.key_id {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }

    /// A public key from PKCS#1 `RSAPublicKey` DER.
    pub(crate) fn from_pkcs1_public_der(alg: Algorithm, der: &[u8]) -> Result<Self, TokenError> {
        let (n, e) = rsa_public_components(der)?;
        Self::from_rsa_parts(alg, n, e)
    }

    /// `(n, e)` of an RSA key.
    pub(crate) fn rsa_components(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        match &self.verifier {
            Verifier::Rsa { n, e } => Some((n.to_vec(), e.to_vec())),
            _ => None,
        }
    }

    /// Every key of a JWKS document (another issuer's, or ours from elsewhere), each
    /// with the algorithm its `alg` member declares; keys must have `alg` and `kid`.
    ///
    /// A JWKS is public, so only public signature keys are trusted from it: an `oct`
    /// (symmetric) key, a `use` other than `sig` and a `key_ops` without `verify` are
    /// refused. `jsonwebtoken`'s [`Jwk`] drops private members (`d`, `p`, ...) when it
    /// parses, so a set that carried them cannot be told apart here: import text
    /// with [`VerifyingKey::from_jwks_json`], which refuses them.
    ///
    /// # Errors
    /// [`TokenError::Key`] naming the first key (by position and `kid`) that cannot
    /// be used, and the rule it breaks.
    pub fn from_jwks(set: &JwkSet) -> Result<Vec<Self>, TokenError> {
        set.keys
            .iter()
            .enumerate()
            .map(|(i, jwk)| {
                let name = jwks_key_name(i, jwk.common.key_id.as_deref());
                let refuse = |rule: &str| key_error(format!("JWKS {name}: {rule}"));
                if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                    return Err(refuse(OCT_IN_JWKS));
                }
                match &jwk.common.public_key_use {
                    None | Some(PublicKeyUse::Signature) => {}
                    Some(_) => return Err(refuse("`use` must be `sig`")),
                }
                if let Some(ops) = &jwk.common.key_operations
                    && !ops.contains(&KeyOperations::Verify)
                {
                    return Err(refuse("`key_ops` does not include `verify`"));
                }
                let alg = jwk
                    .common
                    .key_algorithm
                    .and_then(|declared| {
                        Algorithm::ALL
                            .into_iter()
                            .find(|a| a.key_algorithm() == declared)
                    })
                    .ok_or_else(|| refuse("no supported `alg`"))?;
                if jwk.common.key_id.is_none() {
                    return Err(refuse("no `kid`"));
                }
                Self::from_jwk(alg, jwk).map_err(|e| refuse(&e.to_string()))
            })
            .collect()
    }

    /// Every key of a JWKS document given as JSON text: the rules of
    /// [`VerifyingKey::from_jwks`], and a key carrying a private member (`d`, `p`, `q`,
    /// `dp`, `dq`, `qi`, `k`, `oth`) is refused, since its publisher leaked a secret.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the text is not a JWKS document, or naming the first
    /// key (by position and `kid`) that cannot be used, and the rule it breaks.
    /// Member values never appear in the message.
    pub fn from_jwks_json(json: &str) -> Result<Vec<Self>, TokenError> {
        // serde's message may quote a member's value; name only the place.
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            key_error(format!(
                "not a JWKS document (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let entries = doc
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| key_error("not a JWKS document (no `keys` array)"))?;
        let mut keys = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let object = entry
                .as_object()
                .ok_or_else(|| key_error(format!("JWKS key {i}: not a JSON object")))?;
            let kid = object.get("kid").and_then(serde_json::Value::as_str);
            let name = jwks_key_name(i, kid);
            if object.get("kty").and_then(serde_json::Value::as_str) == Some("oct") {
                return Err(key_error(format!("JWKS {name}: {OCT_IN_JWKS}")));
            }
            if let Some(member) = PRIVATE_JWK_MEMBERS
                .iter()
                .find(|m| object.contains_key(**m))
            {
                return Err(key_error(format!(
                    "JWKS {name}: the private member `{member}` is present; a JWKS publishes public keys only"
                )));
            }
            let jwk: Jwk = serde_json::from_value(entry.clone())
                .map_err(|_| key_error(format!("JWKS {name}: not a supported JWK")))?;
            keys.push(jwk);
        }
        Self::from_jwks(&JwkSet { keys })
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

    /// This key as a public JWK (`use: sig`), or `None` for a secret (HMAC) key,
    /// which must never be published.
    pub fn to_public_jwk(&self) -> Option<Jwk> {
        let algorithm = match &self.verifier {
            Verifier::Hmac(_) => return None,
            Verifier::Public(public) if self.alg == Algorithm::EdDSA => {
                AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(public),
                })
            }
            Verifier::Public(point) => {
                let half = point.len().checked_sub(1)? / 2;
                let coords = point.get(1..)?;
                let (x, y) = coords.split_at_checked(half)?;
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: if self.alg == Algorithm::ES256 {
                        EllipticCurve::P256
                    } else {
                        EllipticCurve::P384
                    },
                    x: URL_SAFE_NO_PAD.encode(x),
                    y: URL_SAFE_NO_PAD.encode(y),
                })
            }
            Verifier::Rsa { n, e } => AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n: URL_SAFE_NO_PAD.encode(n),
                e: URL_SAFE_NO_PAD.encode(e),
            }),
        };
        Some(Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(self.alg.key_algorithm()),
                key_id: self.kid.clone(),
                ..CommonParameters::default()
            },
            algorithm,
        })
    }
}

/// One signing key and the keys that verify, found by `kid`.
///
/// Rotation: [`Keyring::rotate`] makes a new key the signer and keeps the old one
/// verify-only, so its tokens stay valid; once they have expired,
/// [`Keyring::remove`] drops it. A token without `kid` (SimpleJWT writes none) is
/// checked only against the default key: the kid-less signing key, or one set with
/// [`Keyring::set_default`].
#[derive(Debug)]
pub struct Keyring {
    signing: Option<SigningKey>,
    by_kid: HashMap<String, VerifyingKey>,
    default: Option<VerifyingKey>,
}

impl Keyring {
    /// A keyring that signs with `signing` and verifies its tokens.
    pub fn new(signing: SigningKey) -> Self {
        let mut ring = Self::verify_only(signing.verifying.clone());
        ring.signing = Some(signing);
        ring
    }

    /// A keyring that only verifies (a resource server holding a public key): the
    /// key is found by its `kid`, or is the default if it has none.
    pub fn verify_only(key: VerifyingKey) -> Self {
        let mut ring = Self {
            by_kid: HashMap::new(),
            default: None,
            signing: None,
        };
        match key.kid.clone() {
            Some(kid) => {
                ring.by_kid.insert(kid, key);
            }
            None => ring.default = Some(key),
        }
        ring
    }

    /// Adds a verify-only key under its `kid`.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the key has no `kid` or the `kid` is taken.
    pub fn add_verifier(&mut self, key: VerifyingKey) -> Result<(), TokenError> {
        let kid = key
            .kid
            .clone()
            .ok_or_else(|| key_error("a verify-only key needs a kid (or use set_default)"))?;
        if self.by_kid.contains_key(&kid) {
            return Err(key_error(format!("kid `{kid}` is already in the keyring")));
        }
        self.by_kid.insert(kid, key);
        Ok(())
    }

    /// Sets the key that verifies tokens without `kid`.
    pub fn set_default(&mut self, key: VerifyingKey) {
        self.default = Some(key);
    }

    /// Makes `next` the signing key; the previous one stays, verify-only.
    ///
    /// # Errors
    /// [`TokenError::Key`] if `next` has no `kid` or its `kid` is already present.
    pub fn rotate(&mut self, next: SigningKey) -> Result<(), TokenError> {
        let kid = next
            .kid
            .clone()
            .ok_or_else(|| key_error("a rotated-in signing key needs a kid"))?;
        if self.by_kid.contains_key(&kid) {
            return Err(key_error(format!("kid `{kid}` is already in the keyring")));
        }
        self.by_kid.insert(kid, next.verifying.clone());
        self.signing = Some(next);
        Ok(())
    }

    /// Drops the verify-only key `kid`; `false` if absent or if it is the signing key.
    pub fn remove(&mut self, kid: &str) -> bool {
        if self.signing.as_ref().and_then(SigningKey::kid) == Some(kid) {
            return false;
        }
        self.by_kid.remove(kid).is_some()
    }

    /// Drops the default (kid-less) verification key, unless the signing key is kid-less.
    pub fn remove_default(&mut self) -> bool {
        if self.signing.as_ref().is_some_and(|s| s.kid.is_none()) {
            return false;
        }
        self.default.take().is_some()
    }

    /// The active signing key (`None` for a verify-only keyring).
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.as_ref()
    }

    /// The key a token's `kid` selects, if any.
    pub fn select(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => self.default.as_ref(),
        }
    }

    /// Every verification key (the default first).
    pub fn verifying_keys(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.default.iter().chain(self.by_kid.values())
    }

    /// The public verification keys as a JWKS document (RFC 7517); HMAC keys are
    /// never included. Sorted by `kid` for a stable output.
    pub fn jwks(&self) -> JwkSet {
        let mut keys: Vec<Jwk> = self
            .verifying_keys()
            .filter_map(VerifyingKey::to_public_jwk)
            .collect();
        keys.sort_by(|a, b| a.common.key_id.cmp(&b.common.key_id));
        JwkSet { keys }
    }
}

/// Why a JWKS's `oct` entry is refused.
const OCT_IN_JWKS: &str =
    "an `oct` (symmetric) key is never trusted from a JWKS: anyone who reads the set could sign";

/// JWK members that hold private or secret key material (RFC 7518 section 6).
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/// `key 3 (kid `a`)`: a JWKS entry by position and, when it has one, `kid` (cut
/// short, since the document is untrusted).
fn jwks_key_name(index: usize, kid: Option<&str>) -> String {
    match kid {
        Some(kid) => {
            let shown: String = kid.chars().take(64).collect();
            format!("key {index} (kid `{}`)", shown.escape_debug())
        }
        None => format!("key {index}"),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// The label and DER body of the first PEM block in `text`.
fn pem_decode(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), TokenError> {
    let bad = || key_error("not a PEM block (-----BEGIN ...----- base64 -----END ...-----)");
    let start = text.find("-----BEGIN ").ok_or_else(bad)?;
    let rest = text.get(start + "-----BEGIN ".len()..).ok_or_else(bad)?;
    let label_end = rest.find("-----").ok_or_else(bad)?;
    let label = rest.get(..label_end).ok_or_else(bad)?.to_owned();
    let body_start = label_end + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_len = rest
        .get(body_start..)
        .ok_or_else(bad)?
        .find(&end_marker)
        .ok_or_else(bad)?;
    let body = rest
        .get(body_start..body_start + body_len)
        .ok_or_else(bad)?;
    let compact = Zeroizing::new(body.split_ascii_whitespace().collect::<String>());
    let der = STANDARD.decode(compact.as_bytes()).map_err(|_| bad())?;
    Ok((label, Zeroizing::new(der)))
}

/// The contents of the DER element at the start of `input` with tag `tag`, and what follows.
fn der_next(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), ()> {
    let (&t, rest) = input.split_first().ok_or(())?;
    if t != tag {
        return Err(());
    }
    let (&first, mut rest) = rest.split_first().ok_or(())?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 3 {
            return Err(());
        }
        let (len_bytes, after) = rest.split_at_checked(count).ok_or(())?;
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    rest.split_at_checked(len).ok_or(())
}

/// The contents of `input`, which must be exactly one DER element with tag `tag`.
fn der_expect(input: &[u8], tag: u8) -> Result<&[u8], ()> {
    match der_next(input, tag)? {
        (contents, []) => Ok(contents),
        _ => Err(()),
    }
}

/// `(n, e)` from a PKCS#1 `RSAPublicKey` DER.
fn rsa_public_components(der: &[u8]) -> Result<(&[u8], &[u8]), TokenError> {
    let wrong = || key_error("not a valid RSA public key");
    let seq = der_expect(der, 0x30).map_err(|()| wrong())?;
    let (n, rest) = der_next(seq, 0x02).map_err(|()| wrong())?;
    let (e, rest) = der_next(rest, 0x02).map_err(|()| wrong())?;
    if !rest.is_empty() {
        return Err(wrong());
    }
    Ok((n, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretBytes {
        SecretBytes::from_slice(&[7u8; 32])
    }

    #[test]
    fn algorithm_names_are_exact() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        }
        for bad in ["none", "None", "NONE", "hs256", "", "HS257"] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
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

    #[test]
    fn generated_keys_sign_and_verify_and_export() {
        let rng = SystemRandom::new();
        let ec = EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        for (alg, der) in [
            (Algorithm::ES256, ec.as_ref()),
            (Algorithm::EdDSA, ed.as_ref()),
        ] {
            let key = SigningKey::from_pkcs8_der(alg, der).unwrap().with_kid("a");
            let signature = key.sign(b"msg", &rng).unwrap();
            key.verifying_key().verify(b"msg", &signature).unwrap();
            assert!(key.verifying_key().verify(b"msh", &signature).is_err());
            let jwk = key.verifying_key().to_public_jwk().unwrap();
            let back = VerifyingKey::from_jwk(alg, &jwk).unwrap();
            let set = JwkSet {
                keys: vec![jwk.clone()],
            };
            let from_set = VerifyingKey::from_jwks(&set).unwrap();
            assert_eq!(from_set.len(), 1);
            from_set[0].verify(b"msg", &signature).unwrap();
            back.verify(b"msg", &signature).unwrap();
            assert_eq!(back.kid(), Some("a"));
            // The wrong algorithm for the family is refused at load time.
            let other = if alg == Algorithm::ES256 {
                Algorithm::EdDSA
            } else {
                Algorithm::ES256
            };
            assert!(SigningKey::from_pkcs8_der(other, der).is_err());
            assert!(VerifyingKey::from_jwk(other, &jwk).is_err());
        }
    }

    #[test]
    fn keyring_rotation_keeps_old_keys_verify_only() {
        let first = SigningKey::hmac(Algorithm::HS256, &secret())
            .unwrap()
            .with_kid("one");
        let mut ring = Keyring::new(first);
        ring.rotate(
            SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[8; 32]))
                .unwrap()
                .with_kid("two"),
        )
        .unwrap();
        assert_eq!(ring.signing_key().and_then(SigningKey::kid), Some("two"));
        assert!(ring.select(Some("one")).is_some());
        assert!(ring.select(None).is_none());
        assert!(!ring.remove("two"));
        assert!(ring.remove("one"));
        assert!(ring.select(Some("one")).is_none());
        assert!(ring.jwks().keys.is_empty(), "HMAC keys are never published");
    }

    #[test]
    fn der_reader_rejects_truncation() {
        assert!(der_next(&[0x30, 0x05, 1, 2], 0x30).is_err());
        assert!(der_next(&[0x30, 0x84, 0, 0, 0, 1, 0], 0x30).is_err());
        assert_eq!(
            der_next(&[0x02, 0x01, 9, 0xff], 0x02),
            Ok((&[9u8][..], &[0xffu8][..]))
        );
        assert!(pem_decode("-----BEGIN X-----\n!!\n-----END X-----").is_err());
    }
}
