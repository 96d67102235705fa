//! Keys as JWKs (RFC 7517): one public key in and out, and the import of a JWKS,
//! which trusts only public signature keys (a JWKS is public).
//!
//! The JWK types are `jsonwebtoken`'s, re-exported here (and [`Jwk`] and [`JwkSet`]
//! from [`crate::token`]): [`VerifyingKey::from_jwk`], [`VerifyingKey::to_public_jwk`],
//! [`Keyring::jwks`](crate::token::Keyring::jwks) and
//! [`Tokens::add_jwks`](crate::token::Tokens::add_jwks) take and return
//! them, so a host builds and reads them through `portcullis::token::jwk` and needs
//! no `jsonwebtoken` dependency of its own, nor one matching this crate's version.
//!
//! ```
//! use portcullis::token::jwk::{Jwk, JwkSet};
//! use portcullis::token::VerifyingKey;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let set: JwkSet = serde_json::from_str(
//!     r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "alg": "EdDSA",
//!                   "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
//! )?;
//! let keys = VerifyingKey::from_jwks(&set)?;
//! let exported: Option<Jwk> = keys[0].to_public_jwk();
//! assert_eq!(exported.and_then(|j| j.common.key_id).as_deref(), Some("ed-1"));
//! # Ok(())
//! # }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use jsonwebtoken::jwk::*;
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, KeyFamily};
use super::error::TokenError;
use super::keys::{Verifier, VerifyingKey, key_error};
use crate::secret::SecretBytes;

impl VerifyingKey {
    /// A verification key from a JWK (RFC 7517). The JWK's `alg`, when present, must
    /// equal `alg`; its `kid` becomes the key's. An `oct` key must be at least as
    /// long as the hash output (32, 48 or 64 bytes; RFC 7518 section 3.2).
    ///
    /// # Errors
    /// [`TokenError::Key`] if the JWK is not a public (or `oct`) key for `alg`.
    pub fn from_jwk(alg: Algorithm, jwk: &Jwk) -> Result<Self, TokenError> {
        if let Some(declared) = jwk.common.key_algorithm
            && declared != key_algorithm(alg)
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
                let secret = b64(&p.value)?;
                // RFC 7518 section 3.2: a key at least as long as the hash output.
                // (A raw secret through `hmac` keeps the 32-byte floor, so that
                // Django's `SECRET_KEY` works with HS384 and HS512 as in SimpleJWT.)
                let min = match alg {
                    Algorithm::HS384 => 48,
                    Algorithm::HS512 => 64,
                    _ => 32,
                };
                if secret.len() < min {
                    return Err(key_error(format!(
                        "an `oct` JWK for {alg} needs at least {min} bytes (RFC 7518 section 3.2)"
                    )));
                }
                Self::hmac(alg, &SecretBytes::from_slice(&secret))?
            }
            (AlgorithmParameters::EllipticCurve(p), KeyFamily::Ec) => {
                let (want, size) = if alg == Algorithm::ES256 {
                    (EllipticCurve::P256, 32)
                } else {
                    (EllipticCurve::P384, 48)
                };
                if p.curve != want {
                    return Err(key_error(format!("the JWK curve does not match {alg}")));
                }
                // Each coordinate is exactly the field size (RFC 7518 section 6.2.1.2);
                // checking only the total would load a point split elsewhere.
                let (x, y) = (b64(&p.x)?, b64(&p.y)?);
                if x.len() != size || y.len() != size {
                    return Err(key_error(format!(
                        "a {alg} JWK's `x` and `y` are {size} bytes each"
                    )));
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
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
                            .find(|a| key_algorithm(*a) == declared)
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
                key_algorithm: Some(key_algorithm(self.alg)),
                key_id: self.kid.clone(),
                ..CommonParameters::default()
            },
            algorithm,
        })
    }
}

/// The JWK `alg` value of `alg`.
fn key_algorithm(alg: Algorithm) -> KeyAlgorithm {
    match alg {
        Algorithm::HS256 => KeyAlgorithm::HS256,
        Algorithm::HS384 => KeyAlgorithm::HS384,
        Algorithm::HS512 => KeyAlgorithm::HS512,
        Algorithm::RS256 => KeyAlgorithm::RS256,
        Algorithm::RS384 => KeyAlgorithm::RS384,
        Algorithm::RS512 => KeyAlgorithm::RS512,
        Algorithm::PS256 => KeyAlgorithm::PS256,
        Algorithm::PS384 => KeyAlgorithm::PS384,
        Algorithm::PS512 => KeyAlgorithm::PS512,
        Algorithm::ES256 => KeyAlgorithm::ES256,
        Algorithm::ES384 => KeyAlgorithm::ES384,
        Algorithm::EdDSA => KeyAlgorithm::EdDSA,
    }
}

/// Why a JWKS's `oct` entry is refused.
const OCT_IN_JWKS: &str =
    "an `oct` (symmetric) key is never trusted from a JWKS: anyone who reads the set could sign";

/// JWK members that hold private or secret key material (RFC 7518 section 6).
pub(crate) const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

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

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair};

    use super::*;
    use crate::token::SigningKey;

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
}
