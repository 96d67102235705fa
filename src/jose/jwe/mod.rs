//! JWE compact serialization (RFC 7516) with the RFC 7518 algorithms and X25519
//! (RFC 8037). See [`crate::jose`] for what is supported and what is refused.
//!
//! ```
//! use portcullis::jose::jwe::{self, ContentEncryption, JweDecryptor, JweKey, KeyManagement};
//!
//! let key = JweKey::from_jwk(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#)?;
//! let token = jwe::encrypt(&key, KeyManagement::A128Kw, ContentEncryption::A128Gcm, b"hi")?;
//! let opened = JweDecryptor::new(key).decrypt(&token)?;
//! assert_eq!(opened.plaintext(), b"hi");
//! assert_eq!(opened.header()["alg"], "A128KW");
//! # Ok::<(), portcullis::jose::jwe::JweError>(())
//! ```

mod algorithm;
mod content;
mod error;
mod header;
mod key;
mod keymgmt;

use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

pub use algorithm::{ContentEncryption, KeyManagement, is_refused};
pub use error::JweError;
pub use key::JweKey;

use key::Material;
use keymgmt::KdfInput;

/// The default cap on a compact JWE's length: 256 KiB.
pub const DEFAULT_MAX_LEN: usize = 256 * 1024;
/// The largest cap [`JweDecryptor::with_max_len`] accepts: 16 MiB.
pub const MAX_MAX_LEN: usize = 16 * 1024 * 1024;

/// Decrypts compact JWEs with one key, under the strict rules of [`crate::jose`].
pub struct JweDecryptor {
    key: JweKey,
    max_len: usize,
    expected: Option<KeyManagement>,
    /// For an `oct` key of 16 or 32 bytes: its AES-GCM key, expanded once, for
    /// `dir` tokens (ring keeps the schedule; it is not wiped on drop).
    dir_gcm: Option<(ContentEncryption, ring::aead::LessSafeKey)>,
}

impl fmt::Debug for JweDecryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JweDecryptor")
            .field("key", &self.key)
            .field("max_len", &self.max_len)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

/// A decrypted JWE: its protected header and its plaintext (wiped on drop).
pub struct Decrypted {
    /// The decoded protected header, already checked (JSON, unique members).
    header_json: Vec<u8>,
    /// `header_json` as a map, made on the first call to [`Decrypted::header`]:
    /// decryption itself reads the header in one pass and builds no map.
    header: OnceLock<Map<String, Value>>,
    plaintext: Zeroizing<Vec<u8>>,
}

impl Decrypted {
    /// The protected header as JSON (built on the first call).
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        // Decryption refused any header that is not a JSON object with unique
        // members, so this parse succeeds; the empty map is never reached.
        self.header
            .get_or_init(|| serde_json::from_slice(&self.header_json).unwrap_or_default())
    }

    /// The plaintext.
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("header", self.header())
            .field("plaintext", &"[REDACTED]")
            .finish()
    }
}

impl JweDecryptor {
    /// A decryptor for `key`, with the default size cap and any `alg` the key allows.
    #[must_use]
    pub fn new(key: JweKey) -> Self {
        let dir_gcm = match &key.material {
            Material::Oct(k) if key.allows(KeyManagement::Dir) => content::dir_gcm_key(k),
            _ => None,
        };
        Self {
            key,
            max_len: DEFAULT_MAX_LEN,
            expected: None,
            dir_gcm,
        }
    }

    /// Sets the size cap in bytes (1 to [`MAX_MAX_LEN`]).
    ///
    /// # Errors
    /// [`JweError::InvalidConfig`] outside that range.
    pub fn with_max_len(mut self, max_len: usize) -> Result<Self, JweError> {
        if max_len == 0 || max_len > MAX_MAX_LEN {
            return Err(JweError::InvalidConfig {
                setting: "max_len",
                expected: "1 to 16777216 bytes",
            });
        }
        self.max_len = max_len;
        Ok(self)
    }

    /// Accepts only tokens whose `alg` is `alg` (which the key must allow too).
    #[must_use]
    pub fn expect_alg(mut self, alg: KeyManagement) -> Self {
        self.expected = Some(alg);
        self
    }

    /// The key this decryptor opens tokens with.
    #[must_use]
    pub const fn key(&self) -> &JweKey {
        &self.key
    }

    /// Decrypts one compact JWE.
    ///
    /// # Errors
    /// [`JweError::TooLarge`], [`JweError::Malformed`] and
    /// [`JweError::UnsupportedAlgorithm`] from the public parts (decided before the
    /// key is used); [`JweError::AlgorithmNotAllowed`] when the key or
    /// [`JweDecryptor::expect_alg`] does not allow the `alg`;
    /// [`JweError::InvalidKey`] for a public key; otherwise one opaque
    /// [`JweError::Decryption`].
    pub fn decrypt(&self, token: &str) -> Result<Decrypted, JweError> {
        self.open(token)
            .inspect_err(|err| crate::observe::jwe_refused(err.code()))
    }

    /// [`JweDecryptor::decrypt`] without the report of a refusal.
    fn open(&self, token: &str) -> Result<Decrypted, JweError> {
        let jwe = header::parse(token, self.max_len)?;
        let (alg, enc) = (jwe.alg, jwe.enc);
        if !self.key.allows(alg)
            || !self.key.allows_enc(enc)
            || self.expected.is_some_and(|e| e != alg)
        {
            return Err(JweError::AlgorithmNotAllowed { alg: alg.name() });
        }
        if matches!(alg, KeyManagement::Dir | KeyManagement::EcdhEs)
            && !jwe.encrypted_key.is_empty()
        {
            return Err(JweError::malformed(
                "`dir` and `ECDH-ES` take an empty encrypted key",
            ));
        }
        if !self.key.can_decrypt() {
            return Err(JweError::key("decryption needs the private key (`d`)"));
        }
        let plaintext = match &self.dir_gcm {
            Some((dir_enc, key)) if alg == KeyManagement::Dir && *dir_enc == enc => {
                content::open_gcm(
                    key,
                    jwe.iv.as_bytes(),
                    jwe.aad.as_bytes(),
                    jwe.ciphertext,
                    jwe.tag.as_bytes(),
                )?
            }
            _ => {
                let cek = self.content_key(&jwe)?;
                content::open(
                    enc,
                    &cek,
                    jwe.iv.as_bytes(),
                    jwe.aad.as_bytes(),
                    jwe.ciphertext,
                    jwe.tag.as_bytes(),
                )?
            }
        };
        Ok(Decrypted {
            header_json: jwe.header_json,
            header: OnceLock::new(),
            plaintext,
        })
    }

    fn content_key(&self, jwe: &header::Compact<'_>) -> Result<Zeroizing<Vec<u8>>, JweError> {
        let (alg, enc) = (jwe.alg, jwe.enc);
        let kek = match (&self.key.material, alg) {
            (Material::Oct(k), KeyManagement::Dir) => {
                return if k.len() == enc.key_len() {
                    Ok(k.clone())
                } else {
                    Err(JweError::Decryption)
                };
            }
            (Material::Oct(k), _) => k.clone(),
            (_, _) => {
                let party = |text: &Option<String>| match text {
                    Some(text) => header::part(text, "`apu` or `apv` is not unpadded base64url"),
                    None => Ok(Vec::new()),
                };
                let (apu, apv) = (party(&jwe.apu)?, party(&jwe.apv)?);
                let epk = jwe
                    .epk
                    .as_ref()
                    .ok_or(JweError::malformed("ECDH-ES needs `epk` in the header"))?;
                let input = kdf_input(alg, enc, &apu, &apv);
                let derived = keymgmt::agree_static(&self.key, epk, &input)?;
                if alg == KeyManagement::EcdhEs {
                    return Ok(derived);
                }
                derived
            }
        };
        // A failed unwrap goes on with a random key: the tag check fails as it
        // would for a bad tag, so unwrap failures are no oracle (RFC 7516 §11.5).
        match keymgmt::unwrap(&kek, &jwe.encrypted_key) {
            Some(cek) if cek.len() == enc.key_len() => Ok(cek),
            _ => random(enc.key_len()),
        }
    }
}

fn kdf_input<'a>(
    alg: KeyManagement,
    enc: ContentEncryption,
    apu: &'a [u8],
    apv: &'a [u8],
) -> KdfInput<'a> {
    match alg.kek_len() {
        Some(key_len) => KdfInput {
            algorithm_id: alg.name(),
            apu,
            apv,
            key_len,
        },
        None => KdfInput {
            algorithm_id: enc.name(),
            apu,
            apv,
            key_len: enc.key_len(),
        },
    }
}

fn random(len: usize) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    crate::secret::fill_random(&mut bytes).map_err(|_| JweError::RandomUnavailable)?;
    Ok(bytes)
}

/// Encrypts `plaintext` to `key` as a compact JWE with a fresh content key and IV.
///
/// The header holds `alg`, `enc`, the key's `kid` when it has one, and `epk` for
/// ECDH-ES.
///
/// # Errors
/// [`JweError::AlgorithmNotAllowed`] when the key does not allow `alg`;
/// [`JweError::InvalidKey`] for a `dir` key of the wrong length for `enc`.
pub fn encrypt(
    key: &JweKey,
    alg: KeyManagement,
    enc: ContentEncryption,
    plaintext: &[u8],
) -> Result<String, JweError> {
    seal_compact(key, alg, enc, None, plaintext)
}

/// Encrypts a signed compact JWS as a nested JWT (RFC 7519 section 5.2): as
/// [`encrypt`], with `cty: "JWT"` in the header.
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_jwt(
    key: &JweKey,
    alg: KeyManagement,
    enc: ContentEncryption,
    jws: &str,
) -> Result<String, JweError> {
    seal_compact(key, alg, enc, Some("JWT"), jws.as_bytes())
}

fn seal_compact(
    key: &JweKey,
    alg: KeyManagement,
    enc: ContentEncryption,
    cty: Option<&str>,
    plaintext: &[u8],
) -> Result<String, JweError> {
    if !key.allows(alg) || !key.allows_enc(enc) {
        return Err(JweError::AlgorithmNotAllowed { alg: alg.name() });
    }
    let mut header = Map::new();
    header.insert("alg".into(), alg.name().into());
    header.insert("enc".into(), enc.name().into());
    if let Some(kid) = key.kid() {
        header.insert("kid".into(), kid.into());
    }
    if let Some(cty) = cty {
        header.insert("cty".into(), cty.into());
    }
    let (cek, encrypted_key) = match (&key.material, alg) {
        (Material::Oct(k), KeyManagement::Dir) => {
            if k.len() != enc.key_len() {
                return Err(JweError::key(
                    "a `dir` key must be as long as the content key",
                ));
            }
            (k.clone(), Vec::new())
        }
        (Material::Oct(k), _) => {
            let cek = random(enc.key_len())?;
            let wrapped = keymgmt::wrap(k, &cek)?;
            (cek, wrapped)
        }
        (_, _) => {
            let input = kdf_input(alg, enc, &[], &[]);
            let (epk, derived) = keymgmt::agree_ephemeral(key, &input)?;
            header.insert("epk".into(), epk);
            if alg == KeyManagement::EcdhEs {
                (derived, Vec::new())
            } else {
                let cek = random(enc.key_len())?;
                let wrapped = keymgmt::wrap(&derived, &cek)?;
                (cek, wrapped)
            }
        }
    };
    let iv = random(enc.iv_len())?;
    let header_json = Value::Object(header).to_string();
    let aad = URL_SAFE_NO_PAD.encode(header_json);
    let sealed = content::seal(enc, &cek, &iv, aad.as_bytes(), plaintext)?;
    let mut token = aad;
    for part in [&encrypted_key[..], &iv[..], &sealed.ciphertext, &sealed.tag] {
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(part, &mut token);
    }
    Ok(token)
}
