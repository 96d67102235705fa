//! A `ring`-backed [`CryptoProvider`] for `jsonwebtoken` 11, for hosts that also use
//! `jsonwebtoken` directly (it ships none without its `rsa`- or aws-lc-based features).
//!
//! This crate's own flows do not go through it: they sign and verify with keys parsed
//! once (see [`super::SigningKey`]). `jsonwebtoken` calls a provider's factories on every
//! `encode`/`decode`, so keys are re-parsed per call there.
//!
//! Every factory checks that the key's family matches the algorithm before doing
//! anything (`jsonwebtoken` leaves that check to providers). The JWK helpers are
//! implemented for EC, Ed25519 and RSA keys.

use jsonwebtoken::DecodingKeyKind;
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use ring::{digest, hmac};
use signature::{Signer, Verifier};

type JwtResult<T> = Result<T, Error>;

/// The provider. Install it with [`install_ring_provider`] or pass it to
/// `CryptoProvider::install_default` yourself.
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        rsa_pub_components_from_public_key: rsa_components_from_public_key,
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key,
        compute_digest,
    },
};

/// Installs [`RING_PROVIDER`] as `jsonwebtoken`'s process-wide provider, unless one
/// is already installed (the first install wins; calling this twice is harmless).
///
/// Returns whether this call installed it.
pub fn install_ring_provider() -> bool {
    RING_PROVIDER.install_default().is_ok()
}

fn family_check(actual: AlgorithmFamily, alg: Algorithm) -> JwtResult<()> {
    if actual == alg.family() {
        Ok(())
    } else {
        Err(ErrorKind::InvalidKeyFormat.into())
    }
}

struct RingSigner {
    alg: Algorithm,
    inner: SignerInner,
}

enum SignerInner {
    Hmac(hmac::Key),
    Ecdsa(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair, &'static dyn sig::RsaEncoding),
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let rng = SystemRandom::new();
        match &self.inner {
            SignerInner::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SignerInner::Ecdsa(pair) => pair
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            SignerInner::Ed(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            SignerInner::Rsa(pair, encoding) => {
                let mut out = vec![0u8; pair.public().modulus_len()];
                pair.sign(*encoding, &rng, msg, &mut out)
                    .map_err(|_| signature::Error::new())?;
                Ok(out)
            }
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    let alg = *alg;
    family_check(key.family(), alg)?;
    let bytes = key.as_bytes();
    let inner = match alg {
        Algorithm::HS256 => SignerInner::Hmac(hmac::Key::new(hmac::HMAC_SHA256, bytes)),
        Algorithm::HS384 => SignerInner::Hmac(hmac::Key::new(hmac::HMAC_SHA384, bytes)),
        Algorithm::HS512 => SignerInner::Hmac(hmac::Key::new(hmac::HMAC_SHA512, bytes)),
        Algorithm::ES256 | Algorithm::ES384 => {
            let signing = if alg == Algorithm::ES256 {
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING
            };
            SignerInner::Ecdsa(
                EcdsaKeyPair::from_pkcs8(signing, bytes, &SystemRandom::new())
                    .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?,
            )
        }
        Algorithm::EdDSA => SignerInner::Ed(
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                .map_err(|_| Error::from(ErrorKind::InvalidEddsaKey))?,
        ),
        _ => {
            let encoding: &'static dyn sig::RsaEncoding = match alg {
                Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                _ => &sig::RSA_PSS_SHA512,
            };
            let pair = RsaKeyPair::from_der(bytes)
                .or_else(|_| RsaKeyPair::from_pkcs8(bytes))
                .map_err(|e| Error::from(ErrorKind::InvalidRsaKey(e.to_string())))?;
            SignerInner::Rsa(pair, encoding)
        }
    };
    Ok(Box::new(RingSigner { alg, inner }))
}

struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let bad = |_| signature::Error::new();
        let rsa = |alg: Algorithm| -> &'static sig::RsaParameters {
            match alg {
                Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                _ => &sig::RSA_PSS_2048_8192_SHA512,
            }
        };
        match (self.key.kind(), self.alg.family()) {
            (DecodingKeyKind::SecretOrDer(secret), AlgorithmFamily::Hmac) => {
                let h = match self.alg {
                    Algorithm::HS256 => hmac::HMAC_SHA256,
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                hmac::verify(&hmac::Key::new(h, secret), msg, signature).map_err(bad)
            }
            (DecodingKeyKind::SecretOrDer(public), AlgorithmFamily::Ec) => {
                let algorithm = if self.alg == Algorithm::ES256 {
                    &sig::ECDSA_P256_SHA256_FIXED
                } else {
                    &sig::ECDSA_P384_SHA384_FIXED
                };
                sig::UnparsedPublicKey::new(algorithm, public)
                    .verify(msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::SecretOrDer(public), AlgorithmFamily::Ed) => {
                sig::UnparsedPublicKey::new(&sig::ED25519, public)
                    .verify(msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::SecretOrDer(der), AlgorithmFamily::Rsa) => {
                sig::UnparsedPublicKey::new(rsa(self.alg), der)
                    .verify(msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::RsaModulusExponent { n, e }, AlgorithmFamily::Rsa) => {
                sig::RsaPublicKeyComponents { n, e }
                    .verify(rsa(self.alg), msg, signature)
                    .map_err(bad)
            }
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    family_check(key.family(), *alg)?;
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: key.clone(),
    }))
}

fn rsa_components_from_private_key(der: &[u8]) -> JwtResult<(Vec<u8>, Vec<u8>)> {
    let pair = RsaKeyPair::from_der(der)
        .or_else(|_| RsaKeyPair::from_pkcs8(der))
        .map_err(|e| Error::from(ErrorKind::InvalidRsaKey(e.to_string())))?;
    let c = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok((c.n, c.e))
}

fn rsa_components_from_public_key(der: &[u8]) -> JwtResult<(Vec<u8>, Vec<u8>)> {
    let key = super::keys::VerifyingKey::from_pkcs1_public_der(super::Algorithm::RS256, der)
        .map_err(|_| Error::from(ErrorKind::InvalidRsaKey("not an RSA public key".into())))?;
    key.rsa_components()
        .ok_or_else(|| Error::from(ErrorKind::InvalidRsaKey("not an RSA public key".into())))
}

fn ec_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> JwtResult<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let (signing, curve, half) = match alg {
        Algorithm::ES256 => (
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            EllipticCurve::P256,
            32,
        ),
        Algorithm::ES384 => (
            &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            EllipticCurve::P384,
            48,
        ),
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    let pair = EcdsaKeyPair::from_pkcs8(signing, der, &SystemRandom::new())
        .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?;
    let point = pair.public_key().as_ref();
    let coords = point
        .get(1..)
        .ok_or_else(|| Error::from(ErrorKind::InvalidEcdsaKey))?;
    let (x, y) = coords
        .split_at_checked(half)
        .ok_or_else(|| Error::from(ErrorKind::InvalidEcdsaKey))?;
    Ok((curve, x.to_vec(), y.to_vec()))
}

fn ed_pub_components_from_private_key(der: &[u8], curve: &EllipticCurve) -> JwtResult<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|_| Error::from(ErrorKind::InvalidEddsaKey))?
        .public_key()
        .as_ref()
        .to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> JwtResult<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        _ => &digest::SHA512,
    };
    Ok(digest::digest(algorithm, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_is_idempotent_and_round_trips() {
        let first = install_ring_provider();
        assert!(!install_ring_provider() || !first);
        let key = EncodingKey::from_secret(&[3u8; 32]);
        let header = jsonwebtoken::Header::new(Algorithm::HS256);
        let claims = serde_json::json!({"exp": 4_000_000_000u64, "sub": "x"});
        let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(&[3u8; 32]),
            &validation,
        )
        .unwrap();
        assert_eq!(data.claims["sub"], "x");
    }

    #[test]
    fn factories_refuse_a_key_of_the_wrong_family() {
        let hmac_key = DecodingKey::from_secret(&[3u8; 32]);
        assert!(new_verifier(&Algorithm::ES256, &hmac_key).is_err());
        assert!(new_verifier(&Algorithm::RS256, &hmac_key).is_err());
        let ed = DecodingKey::from_ed_components("AAAA").unwrap();
        assert!(new_verifier(&Algorithm::HS256, &ed).is_err());
        // A short Ed25519 key (a panic in jsonwebtoken's rust_crypto backend) just fails.
        let verifier = new_verifier(&Algorithm::EdDSA, &ed).unwrap();
        assert!(verifier.verify(b"m", &vec![0u8; 64]).is_err());
        assert!(new_signer(&Algorithm::ES256, &EncodingKey::from_secret(b"k")).is_err());
    }
}
