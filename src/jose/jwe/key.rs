//! A JWE key, loaded from one JWK (RFC 7517): `oct` for `dir` and AES key wrap, EC
//! P-256 or OKP X25519 (RFC 8037) for ECDH-ES. A public key encrypts; a private key
//! decrypts (and encrypts, from its public half).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{ContentEncryption, JweError, KeyManagement};

/// A key for JWE: the key's type fixes which `alg` values it accepts.
pub struct JweKey {
    pub(crate) material: Material,
    alg: Option<KeyManagement>,
    enc: Option<ContentEncryption>,
    kid: Option<String>,
}

pub(crate) enum Material {
    Oct(Zeroizing<Vec<u8>>),
    P256 {
        public: p256::PublicKey,
        secret: Option<p256::SecretKey>,
    },
    X25519 {
        public: [u8; 32],
        secret: Option<x25519_dalek::StaticSecret>,
    },
}

/// The members of a JWK this crate reads; the private ones are wiped on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct Jwk {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    d: Option<String>,
    #[serde(default)]
    k: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
}

impl JweKey {
    /// Parses one JWK as JSON.
    ///
    /// A `use` other than `enc` is refused; an `alg` member pins the key to that one
    /// key management algorithm.
    ///
    /// # Errors
    /// [`JweError::InvalidKey`] for anything but a well-formed `oct`, EC P-256 or
    /// OKP X25519 key; [`JweError::UnsupportedAlgorithm`] for an `alg` member this
    /// crate does not implement.
    ///
    /// # Example
    /// ```
    /// use portcullis::jose::jwe::{JweKey, KeyManagement};
    /// let key = JweKey::from_jwk(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#)?;
    /// assert!(key.allows(KeyManagement::A128Kw));
    /// assert!(!key.allows(KeyManagement::EcdhEs));
    /// assert_eq!(format!("{key:?}"), r#"JweKey { kty: "oct", kid: None, key: "[REDACTED]" }"#);
    /// # Ok::<(), portcullis::jose::jwe::JweError>(())
    /// ```
    pub fn from_jwk(json: &str) -> Result<Self, JweError> {
        let jwk: Jwk = serde_json::from_str(json)
            .map_err(|_| JweError::key("expected one JWK as a JSON object"))?;
        if jwk.use_.as_deref().is_some_and(|u| u != "enc") {
            return Err(JweError::key("the JWK's `use` is not `enc`"));
        }
        let material = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("oct", _) => {
                let k = jwk
                    .k
                    .as_deref()
                    .ok_or(JweError::key("an oct JWK needs `k`"))?;
                let k = b64(k, "`k` is not unpadded base64url")?;
                if k.is_empty() {
                    return Err(JweError::key("`k` is empty"));
                }
                Material::Oct(k)
            }
            ("EC", Some("P-256")) => {
                let x = coordinate(jwk.x.as_deref(), "`x`")?;
                let y = coordinate(jwk.y.as_deref(), "`y`")?;
                let public = p256_public(&x, &y)?;
                let secret = match jwk.d.as_deref() {
                    Some(d) => {
                        let d = b64(d, "`d` is not unpadded base64url")?;
                        let secret = p256::SecretKey::from_slice(&d)
                            .map_err(|_| JweError::key("`d` is not a P-256 private key"))?;
                        if secret.public_key() != public {
                            return Err(JweError::key("`d` does not match `x` and `y`"));
                        }
                        Some(secret)
                    }
                    None => None,
                };
                Material::P256 { public, secret }
            }
            ("OKP", Some("X25519")) => {
                let public = coordinate(jwk.x.as_deref(), "`x`")?;
                let secret = match jwk.d.as_deref() {
                    Some(d) => {
                        let d = coordinate(Some(d), "`d`")?;
                        let secret = x25519_dalek::StaticSecret::from(*d);
                        if x25519_dalek::PublicKey::from(&secret).as_bytes() != &*public {
                            return Err(JweError::key("`d` does not match `x`"));
                        }
                        Some(secret)
                    }
                    None => None,
                };
                Material::X25519 {
                    public: *public,
                    secret,
                }
            }
            ("EC" | "OKP", _) => {
                return Err(JweError::key(
                    "only the P-256 and X25519 curves are supported",
                ));
            }
            _ => return Err(JweError::key("`kty` must be oct, EC or OKP")),
        };
        // A JWK `alg` names a key management algorithm, or (for a `dir` key, as in
        // RFC 7520 §5.6) the content encryption it is for.
        let (alg, enc) = match jwk.alg.as_deref() {
            None => (None, None),
            Some(name) => match ContentEncryption::from_name(name) {
                Ok(enc) => (Some(KeyManagement::Dir), Some(enc)),
                Err(_) => (Some(KeyManagement::from_name(name)?), None),
            },
        };
        if let (Some(enc), Material::Oct(k)) = (enc, &material)
            && k.len() != enc.key_len()
        {
            return Err(JweError::key(
                "the JWK's `alg` needs a key of another length",
            ));
        }
        let key = Self {
            material,
            alg: None,
            enc,
            kid: jwk.kid.clone(),
        };
        if let Some(alg) = alg
            && !key.family_allows(alg)
        {
            return Err(JweError::key("the JWK's `alg` does not fit its key type"));
        }
        Ok(Self { alg, ..key })
    }

    /// Whether this key may be used with `alg`: an `oct` key for `dir` and the AES
    /// key wrap of its size, a curve key for the ECDH-ES family, and only the JWK's
    /// own `alg` when it names one.
    #[must_use]
    pub fn allows(&self, alg: KeyManagement) -> bool {
        self.family_allows(alg) && self.alg.is_none_or(|pinned| pinned == alg)
    }

    /// Whether this key may be used with `enc`: any, unless the JWK's `alg` names one.
    #[must_use]
    pub fn allows_enc(&self, enc: ContentEncryption) -> bool {
        self.enc.is_none_or(|pinned| pinned == enc)
    }

    fn family_allows(&self, alg: KeyManagement) -> bool {
        match &self.material {
            Material::Oct(k) => {
                alg == KeyManagement::Dir || (!alg.is_ecdh() && alg.kek_len() == Some(k.len()))
            }
            Material::P256 { .. } | Material::X25519 { .. } => alg.is_ecdh(),
        }
    }

    /// The JWK's `kid`, if it has one.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether the key holds private (or symmetric) material, so it can decrypt.
    #[must_use]
    pub fn can_decrypt(&self) -> bool {
        match &self.material {
            Material::Oct(_) => true,
            Material::P256 { secret, .. } => secret.is_some(),
            Material::X25519 { secret, .. } => secret.is_some(),
        }
    }

    const fn kty(&self) -> &'static str {
        match self.material {
            Material::Oct(_) => "oct",
            Material::P256 { .. } => "EC",
            Material::X25519 { .. } => "OKP",
        }
    }
}

impl fmt::Debug for JweKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JweKey")
            .field("kty", &self.kty())
            .field("kid", &self.kid)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

pub(crate) fn b64(text: &str, reason: &'static str) -> Result<Zeroizing<Vec<u8>>, JweError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| JweError::key(reason))
}

/// A 32-byte base64url member (a P-256 coordinate, an X25519 key).
fn coordinate(text: Option<&str>, name: &'static str) -> Result<Zeroizing<[u8; 32]>, JweError> {
    let bytes = b64(
        text.ok_or(JweError::key("a curve JWK member is missing"))?,
        "a curve JWK member is not unpadded base64url",
    )?;
    let array = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| match name {
        "`d`" => JweError::key("`d` is not 32 bytes"),
        _ => JweError::key("a curve coordinate is not 32 bytes"),
    })?;
    Ok(Zeroizing::new(array))
}

/// A P-256 point from its coordinates; off-curve points and the identity are refused.
pub(crate) fn p256_public(x: &[u8; 32], y: &[u8; 32]) -> Result<p256::PublicKey, JweError> {
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(4);
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| JweError::key("the point is not on P-256"))
}
