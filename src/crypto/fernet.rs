//! Fernet and MultiFernet, with the semantics of Python's `cryptography` package.
//!
//! Tokens are byte-for-byte interchangeable with `cryptography.fernet`: a Django
//! service and a Rust service can share one encrypted column and one key.
//! Decryption is done by the [`fernet`](https://docs.rs/fernet) crate; this
//! wrapper closes its gaps before they reach a caller:
//!
//! - **Time checks as Python does them.** The 60-second clock-skew check runs only
//!   when a TTL is given; a token exactly `ttl` seconds old is valid, one second
//!   older is not. The checks use 128-bit arithmetic on the unverified timestamp,
//!   so a forged timestamp near `u64::MAX` is simply rejected (the crate itself
//!   overflows there, and panics in debug builds).
//! - **A size limit** ([`DEFAULT_MAX_TOKEN_LEN`], configurable) refuses a huge
//!   token before any decoding.
//! - **Secrets stay secret.** Keys are wiped on drop and are not `Clone`; `Debug`
//!   is redacted; plaintext comes back as a [`Plaintext`] that wipes itself. (One
//!   residue stays inside the crate: when a token with a valid HMAC, so one made
//!   with the key, has bad padding, the crate frees its decrypted buffer unwiped.)
//! - **What Python has and the crate lacks:** `MultiFernet::rotate` (keeping the
//!   original timestamp, as Python does), `extract_timestamp` (HMAC checked),
//!   TTL-aware MultiFernet decryption, and an empty key list as an error.
//!
//! Encryption builds the token from the same primitives the `fernet` crate uses
//! (`aes` + `cbc` with PKCS#7) and ring's HMAC-SHA256, so the IV comes from the system
//! generator with an error instead of a panic, and the official `generate` vector
//! can be reproduced with its fixed IV.
//!
//! # Accepted token text
//!
//! Tokens are emitted as **padded base64url**, exactly as Python emits them. On
//! input this module accepts base64url **with correct padding or with none**
//! (pyca's newer Rust implementation also accepts unpadded tokens; Python 50.0.2
//! rejects them). It refuses, on purpose, what CPython's lax decoder lets
//! through: the standard `+`/`/` alphabet, whitespace or any character outside
//! the alphabet, wrong padding lengths, and non-canonical trailing bits. A token
//! that Python produced is always accepted.
//!
//! # What Fernet cannot do
//!
//! A Fernet token is not bound to where it is stored: copied from one row to
//! another, it still decrypts. Use [`sealed`](super::sealed) for new data.

use std::fmt;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use super::{CryptoError, Plaintext};
use crate::clock::{Clock, SystemClock, UnixTime};
use crate::secret::{
    Encoding, KeyError, KeyLength, KeyOrigin, SecretBytes, SecretString, fill_random,
};

/// The default decrypt size limit for a token, in bytes of text: 16 MiB, room for
/// about 12 MiB of plaintext.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024 * 1024;

/// The environment variable the replaced Django services read their field
/// encryption key from: one Fernet key, or several separated by commas while
/// rotating (new key first). Pass it to [`MultiFernet::from_env`].
pub const ENV_ENCRYPTION_KEY: &str = "ENCRYPTION_KEY";

/// Python's `_MAX_CLOCK_SKEW`: how far in the future a token may be dated when a
/// TTL is checked.
pub const MAX_CLOCK_SKEW_SECS: u64 = 60;

const VERSION: u8 = 0x80;
const HMAC_LEN: usize = 32;
/// Base64 characters holding the version byte and the timestamp (9 bytes).
const HEADER_CHARS: usize = 12;
/// A "now" far enough in the future that the `fernet` crate's own skew check
/// (which it applies even without a TTL, unlike Python) always passes, and small
/// enough that its `now + 60` cannot overflow. The real checks are done here first.
const CRATE_NOW: u64 = u64::MAX - MAX_CLOCK_SKEW_SECS;

/// One Fernet key: encrypt, decrypt and inspect tokens.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::crypto::Fernet;
///
/// # fn main() -> Result<(), portcullis::crypto::CryptoError> {
/// let at = |secs| UnixTime::from_secs(secs).unwrap_or_default();
/// let key = Fernet::generate_key()?;
/// let f = Fernet::from_key_text(key.expose_secret())?;
/// let token = f.encrypt_at_time(b"oauth access token", at(1_700_000_000))?;
/// let plain = f.decrypt_at_time(&token, 3600, at(1_700_000_100))?;
/// assert_eq!(plain.expose_secret(), b"oauth access token");
/// assert_eq!(f.extract_timestamp(&token)?, 1_700_000_000);
/// # Ok(())
/// # }
/// ```
pub struct Fernet {
    inner: fernet::Fernet,
    signing_key: Zeroizing<[u8; 16]>,
    encryption_key: Zeroizing<[u8; 16]>,
    max_token_len: usize,
}

impl Fernet {
    /// A new random key as padded base64url text (what Python's `Fernet.generate_key()` returns).
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if the system generator fails.
    pub fn generate_key() -> Result<SecretString, CryptoError> {
        Ok(SecretBytes::generate(32)?.encode(Encoding::Base64Url))
    }

    /// A Fernet from 32 key bytes: signing key first, encryption key second.
    ///
    /// # Errors
    /// [`KeyError::WrongLength`] unless the key is exactly 32 bytes.
    pub fn from_secret(key: &SecretBytes) -> Result<Self, CryptoError> {
        Self::from_bytes(key.expose_secret(), &KeyOrigin::Inline)
    }

    /// A Fernet from key text: base64url of 32 bytes, padding optional, surrounding
    /// whitespace ignored (the form `Fernet.generate_key()` produces).
    ///
    /// # Errors
    /// [`KeyError::InvalidEncoding`] or [`KeyError::WrongLength`]; the key itself never appears.
    pub fn from_key_text(text: &str) -> Result<Self, CryptoError> {
        let key = SecretBytes::from_encoded(text, Encoding::Base64Url, KeyLength::Exactly(32))?;
        Self::from_secret(&key)
    }

    /// A Fernet from the key text in environment variable `var`.
    ///
    /// # Errors
    /// As [`Fernet::from_key_text`], or [`KeyError::EnvVarMissing`]; errors name `var`.
    pub fn from_env(var: &str) -> Result<Self, CryptoError> {
        let key = SecretBytes::from_env(var, Encoding::Base64Url, KeyLength::Exactly(32))?;
        Self::from_secret(&key)
    }

    fn from_bytes(key: &[u8], origin: &KeyOrigin) -> Result<Self, CryptoError> {
        let wrong_length = || KeyError::WrongLength {
            origin: origin.clone(),
            expected: KeyLength::Exactly(32),
            actual: key.len(),
        };
        let (signing, encryption) = key.split_at_checked(16).ok_or_else(wrong_length)?;
        let mut signing_key = Zeroizing::new([0u8; 16]);
        let mut encryption_key = Zeroizing::new([0u8; 16]);
        if signing.len() != 16 || encryption.len() != 16 {
            return Err(wrong_length().into());
        }
        signing_key.copy_from_slice(signing);
        encryption_key.copy_from_slice(encryption);
        // The crate only takes key text; the text is wiped as soon as it is parsed.
        let text = Zeroizing::new(URL_SAFE.encode(key));
        let inner = fernet::Fernet::new(&text).ok_or_else(wrong_length)?;
        Ok(Self {
            inner,
            signing_key,
            encryption_key,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        })
    }

    /// Sets the decrypt size limit, in bytes of token text (default [`DEFAULT_MAX_TOKEN_LEN`]).
    #[must_use]
    pub fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// The decrypt size limit, in bytes of token text.
    pub fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// Encrypts `data`, dated now by the system clock.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if no IV can be drawn.
    pub fn encrypt(&self, data: &[u8]) -> Result<String, CryptoError> {
        self.encrypt_at_time(data, SystemClock.now())
    }

    /// Encrypts `data`, dated `now` (in whole seconds, as the token stores it),
    /// with a fresh random IV.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if no IV can be drawn.
    pub fn encrypt_at_time(&self, data: &[u8], now: UnixTime) -> Result<String, CryptoError> {
        let mut iv = [0u8; 16];
        fill_random(&mut iv)?;
        Ok(self.encrypt_from_parts(data, now.as_secs(), &iv))
    }

    /// The token for `data` at `timestamp` with this exact IV (for the spec vectors and rotation).
    pub(crate) fn encrypt_from_parts(&self, data: &[u8], timestamp: u64, iv: &[u8; 16]) -> String {
        let key: &[u8; 16] = &self.encryption_key;
        let ciphertext = cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(data);
        let mut raw = Vec::with_capacity(25 + ciphertext.len() + HMAC_LEN);
        raw.push(VERSION);
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(iv);
        raw.extend_from_slice(&ciphertext);
        let tag = ring::hmac::sign(&self.mac_key(), &raw);
        raw.extend_from_slice(tag.as_ref());
        URL_SAFE.encode(&raw)
    }

    fn mac_key(&self) -> ring::hmac::Key {
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &*self.signing_key)
    }

    /// Decrypts `token`. With `Some(ttl)`, the token must be at most `ttl` seconds
    /// old and at most 60 s in the future by the system clock; with `None`, its age
    /// is not checked at all (as in Python).
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn decrypt(&self, token: &str, ttl: Option<u64>) -> Result<Plaintext, CryptoError> {
        match ttl {
            Some(ttl) => self.decrypt_at_time(token, ttl, SystemClock.now()),
            None => {
                parse_header(token, self.max_token_len)?;
                self.decrypt_checked(token)
            }
        }
    }

    /// Decrypts `token` if it is at most `ttl` seconds old and at most 60 s in the
    /// future at `now` (compared in whole seconds, as Python does). A token exactly
    /// `ttl` seconds old is valid.
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn decrypt_at_time(
        &self,
        token: &str,
        ttl: u64,
        now: UnixTime,
    ) -> Result<Plaintext, CryptoError> {
        let timestamp = parse_header(token, self.max_token_len)?;
        check_age(timestamp, ttl, now.as_secs())?;
        self.decrypt_checked(token)
    }

    /// The token's timestamp (Unix seconds), after checking its HMAC; the
    /// ciphertext is not decrypted. Bare seconds, not a [`UnixTime`]: a token may
    /// carry any 64-bit timestamp (Python writes whatever it is given), and
    /// `UnixTime` ends in the year 2554.
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn extract_timestamp(&self, token: &str) -> Result<u64, CryptoError> {
        let (timestamp, raw) = decode_token(token, self.max_token_len)?;
        self.verify_mac(&raw)?;
        Ok(timestamp)
    }

    /// Checks the HMAC as Python does: over all but the last 32 bytes.
    fn verify_mac(&self, raw: &[u8]) -> Result<(), CryptoError> {
        let split = raw
            .len()
            .checked_sub(HMAC_LEN)
            .ok_or(CryptoError::InvalidToken)?;
        let (message, tag) = raw
            .split_at_checked(split)
            .ok_or(CryptoError::InvalidToken)?;
        ring::hmac::verify(&self.mac_key(), message, tag).map_err(|_| CryptoError::InvalidToken)
    }

    /// HMAC check and decryption by the `fernet` crate, once the time checks passed.
    fn decrypt_checked(&self, token: &str) -> Result<Plaintext, CryptoError> {
        self.inner
            .decrypt_at_time(token, None, CRATE_NOW)
            .map(Plaintext::new)
            .map_err(|_| CryptoError::InvalidToken)
    }
}

impl fmt::Debug for Fernet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fernet")
            .field("key", &"[REDACTED]")
            .field("max_token_len", &self.max_token_len)
            .finish()
    }
}

/// Several Fernet keys: encrypt with the first, decrypt with any, rotate to the first.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::crypto::{Fernet, MultiFernet};
///
/// # fn main() -> Result<(), portcullis::crypto::CryptoError> {
/// let (old_key, new_key) = (Fernet::generate_key()?, Fernet::generate_key()?);
/// let then = UnixTime::from_secs(1_000).unwrap_or_default();
/// let token = Fernet::from_key_text(old_key.expose_secret())?.encrypt_at_time(b"secret", then)?;
///
/// // New key first; the old one stays until every token is rotated.
/// let keys = MultiFernet::from_keys_text(&format!(
///     "{},{}",
///     new_key.expose_secret(),
///     old_key.expose_secret()
/// ))?;
/// let rotated = keys.rotate(&token)?;
/// assert_eq!(keys.extract_timestamp(&rotated)?, 1_000); // rotation keeps the timestamp
/// let only_new = Fernet::from_key_text(new_key.expose_secret())?;
/// assert_eq!(only_new.decrypt(&rotated, None)?.expose_secret(), b"secret");
/// # Ok(())
/// # }
/// ```
pub struct MultiFernet {
    fernets: Vec<Fernet>,
    max_token_len: usize,
}

impl MultiFernet {
    /// Keys in order of preference: the first encrypts, all decrypt.
    ///
    /// The size limit is the first key's ([`Fernet::with_max_token_len`]).
    ///
    /// # Errors
    /// [`CryptoError::EmptyKeyList`] for an empty list (Python raises `ValueError`).
    pub fn new(fernets: Vec<Fernet>) -> Result<Self, CryptoError> {
        let max_token_len = fernets
            .first()
            .map(Fernet::max_token_len)
            .ok_or(CryptoError::EmptyKeyList)?;
        Ok(Self {
            fernets,
            max_token_len,
        })
    }

    /// Keys from text: one key, or several separated by commas, first key primary
    /// (the form of the CLI's `--key-env` variable).
    ///
    /// # Errors
    /// [`CryptoError::EmptyKeyList`] for blank text; a [`KeyError`] for a bad key.
    pub fn from_keys_text(text: &str) -> Result<Self, CryptoError> {
        Self::parse_keys(text, &KeyOrigin::Inline)
    }

    /// Keys from environment variable `var`, as [`MultiFernet::from_keys_text`];
    /// the replaced services name it [`ENV_ENCRYPTION_KEY`] (`ENCRYPTION_KEY`).
    ///
    /// # Errors
    /// [`KeyError::EnvVarMissing`], [`CryptoError::EmptyKeyList`], or a bad-key error naming `var`.
    pub fn from_env(var: &str) -> Result<Self, CryptoError> {
        let text = SecretString::from_env(var, KeyLength::AtLeast(0))?;
        Self::parse_keys(text.expose_secret(), &KeyOrigin::EnvVar(var.to_owned()))
    }

    fn parse_keys(text: &str, origin: &KeyOrigin) -> Result<Self, CryptoError> {
        if text.trim_ascii().is_empty() {
            return Err(CryptoError::EmptyKeyList);
        }
        let fernets = text
            .split(',')
            .map(|part| {
                SecretBytes::from_encoded(part, Encoding::Base64Url, KeyLength::Exactly(32))
                    .map_err(|e| CryptoError::Key(with_origin(e, origin)))
                    .and_then(|key| Fernet::from_bytes(key.expose_secret(), origin))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(fernets)
    }

    /// Sets the decrypt size limit, in bytes of token text.
    #[must_use]
    pub fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.fernets.len()
    }

    /// Always false: a `MultiFernet` holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.fernets.is_empty()
    }

    fn primary(&self) -> Result<&Fernet, CryptoError> {
        self.fernets.first().ok_or(CryptoError::EmptyKeyList)
    }

    /// Encrypts with the first key, dated now by the system clock.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if no IV can be drawn.
    pub fn encrypt(&self, data: &[u8]) -> Result<String, CryptoError> {
        self.primary()?.encrypt(data)
    }

    /// Encrypts with the first key, dated `now`.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if no IV can be drawn.
    pub fn encrypt_at_time(&self, data: &[u8], now: UnixTime) -> Result<String, CryptoError> {
        self.primary()?.encrypt_at_time(data, now)
    }

    /// Decrypts with the first key that accepts the token; TTL as [`Fernet::decrypt`].
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn decrypt(&self, token: &str, ttl: Option<u64>) -> Result<Plaintext, CryptoError> {
        match ttl {
            Some(ttl) => self.decrypt_at_time(token, ttl, SystemClock.now()),
            None => {
                parse_header(token, self.max_token_len)?;
                self.decrypt_any(token)
            }
        }
    }

    /// Decrypts with the first key that accepts the token; TTL as [`Fernet::decrypt_at_time`].
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn decrypt_at_time(
        &self,
        token: &str,
        ttl: u64,
        now: UnixTime,
    ) -> Result<Plaintext, CryptoError> {
        let timestamp = parse_header(token, self.max_token_len)?;
        check_age(timestamp, ttl, now.as_secs())?;
        self.decrypt_any(token)
    }

    fn decrypt_any(&self, token: &str) -> Result<Plaintext, CryptoError> {
        self.fernets
            .iter()
            .find_map(|f| f.decrypt_checked(token).ok())
            .ok_or(CryptoError::InvalidToken)
    }

    /// The timestamp of a token whose HMAC any key accepts.
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit, otherwise [`CryptoError::InvalidToken`].
    pub fn extract_timestamp(&self, token: &str) -> Result<u64, CryptoError> {
        let (timestamp, raw) = decode_token(token, self.max_token_len)?;
        if self.fernets.iter().any(|f| f.verify_mac(&raw).is_ok()) {
            Ok(timestamp)
        } else {
            Err(CryptoError::InvalidToken)
        }
    }

    /// Re-encrypts a token under the first key with a fresh IV, **keeping its
    /// original timestamp** (as Python does), whatever its age: rotation must not
    /// extend or cut a token's life.
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`], [`CryptoError::InvalidToken`], or
    /// [`KeyError::RandomUnavailable`] if no IV can be drawn.
    pub fn rotate(&self, token: &str) -> Result<String, CryptoError> {
        let timestamp = parse_header(token, self.max_token_len)?;
        let plaintext = self.decrypt_any(token)?;
        let mut iv = [0u8; 16];
        fill_random(&mut iv)?;
        Ok(self
            .primary()?
            .encrypt_from_parts(plaintext.expose_secret(), timestamp, &iv))
    }
}

impl fmt::Debug for MultiFernet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiFernet")
            .field("keys", &self.fernets.len())
            .field("max_token_len", &self.max_token_len)
            .finish()
    }
}

/// Python's TTL and clock-skew checks, in 128-bit arithmetic so no timestamp overflows.
fn check_age(timestamp: u64, ttl: u64, now: u64) -> Result<(), CryptoError> {
    let (timestamp, ttl, now) = (u128::from(timestamp), u128::from(ttl), u128::from(now));
    if timestamp + ttl < now || now + u128::from(MAX_CLOCK_SKEW_SECS) < timestamp {
        return Err(CryptoError::InvalidToken);
    }
    Ok(())
}

/// Checks the size limit and the padding, then reads the version byte and the
/// (unverified) timestamp from the first 12 characters without decoding the rest.
fn parse_header(token: &str, max: usize) -> Result<u64, CryptoError> {
    let body = unpadded(token, max)?;
    let mut header = [0u8; 9];
    let written = body
        .get(..HEADER_CHARS)
        .and_then(|chars| URL_SAFE_NO_PAD.decode_slice(chars, &mut header).ok());
    header_timestamp(&header, written)
}

/// Decodes the whole token (for the HMAC-only paths).
fn decode_token(token: &str, max: usize) -> Result<(u64, Vec<u8>), CryptoError> {
    let body = unpadded(token, max)?;
    let raw = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| CryptoError::InvalidToken)?;
    let mut header = [0u8; 9];
    let written = raw.get(..9).map(|h| {
        header.copy_from_slice(h);
        9
    });
    Ok((header_timestamp(&header, written)?, raw))
}

fn header_timestamp(header: &[u8; 9], written: Option<usize>) -> Result<u64, CryptoError> {
    match (written, header) {
        (Some(9), [VERSION, ts @ ..]) => Ok(u64::from_be_bytes(*ts)),
        _ => Err(CryptoError::InvalidToken),
    }
}

/// The token without its padding, if the padding is absent or exactly right.
fn unpadded(token: &str, max: usize) -> Result<&str, CryptoError> {
    if token.len() > max {
        return Err(CryptoError::TooLarge {
            len: token.len(),
            max,
        });
    }
    let body = token.trim_end_matches('=');
    let padding = token.len().saturating_sub(body.len());
    let expected = match body.len() % 4 {
        2 => 2,
        3 => 1,
        _ => 0,
    };
    if padding == 0 || padding == expected {
        Ok(body)
    } else {
        Err(CryptoError::InvalidToken)
    }
}

/// Re-labels a key error from an inline decode with where the text really came from.
fn with_origin(err: KeyError, origin: &KeyOrigin) -> KeyError {
    match err {
        KeyError::InvalidEncoding { encoding, .. } => KeyError::InvalidEncoding {
            origin: origin.clone(),
            encoding,
        },
        KeyError::WrongLength {
            expected, actual, ..
        } => KeyError::WrongLength {
            origin: origin.clone(),
            expected,
            actual,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

    fn at(secs: u64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    /// The latest time a `UnixTime` holds (in 2554).
    const LAST: UnixTime = UnixTime::from_nanos(u64::MAX);

    fn fernet() -> Fernet {
        Fernet::from_key_text(KEY).unwrap()
    }

    /// The official `generate` vector: the exact token for a fixed IV and time.
    #[test]
    fn spec_generate_vector() {
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/data/crypto/fernet-spec/generate.json"
        ))
        .unwrap();
        let v = &doc[0];
        let f = Fernet::from_key_text(v["secret"].as_str().unwrap()).unwrap();
        let iv: Vec<u8> = v["iv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
            .collect();
        let now = u64::try_from(
            time::OffsetDateTime::parse(
                v["now"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
            .unix_timestamp(),
        )
        .unwrap();
        let token = f.encrypt_from_parts(
            v["src"].as_str().unwrap().as_bytes(),
            now,
            &iv.try_into().unwrap(),
        );
        assert_eq!(token, v["token"].as_str().unwrap());
    }

    #[test]
    fn ttl_boundaries_match_python() {
        let f = fernet();
        let token = f.encrypt_at_time(b"x", at(1_000)).unwrap();
        assert!(f.decrypt_at_time(&token, 10, at(1_010)).is_ok());
        // Sub-second parts do not count: Python compares whole seconds.
        let late = UnixTime::from_nanos(1_010_999_999_999);
        assert!(f.decrypt_at_time(&token, 10, late).is_ok());
        assert_eq!(
            f.decrypt_at_time(&token, 10, at(1_011)).unwrap_err(),
            CryptoError::InvalidToken
        );
        // Skew: 60 s in the future is fine, 61 s is not, but only with a TTL.
        assert!(f.decrypt_at_time(&token, 10, at(940)).is_ok());
        assert!(f.decrypt_at_time(&token, 10, at(939)).is_err());
        // A token dated u64::MAX (Python writes any timestamp it is given).
        let future = f.encrypt_from_parts(b"x", u64::MAX, &[0; 16]);
        assert!(f.decrypt(&future, None).is_ok());
        assert!(f.decrypt_at_time(&future, u64::MAX, at(0)).is_err());
        assert!(f.decrypt_at_time(&future, u64::MAX, LAST).is_err());
        let last = f.encrypt_at_time(b"x", LAST).unwrap();
        assert!(f.decrypt_at_time(&last, 0, LAST).is_ok());
    }

    #[test]
    fn forged_timestamps_never_panic() {
        let f = fernet();
        for ts in [0, 1, u64::MAX - 60, u64::MAX - 1, u64::MAX] {
            let token = f.encrypt_from_parts(b"x", ts, &[7; 16]);
            for ttl in [0, 1, u64::MAX] {
                for now in [at(0), at(1), LAST] {
                    let _ = f.decrypt_at_time(&token, ttl, now);
                }
            }
            assert_eq!(f.extract_timestamp(&token).unwrap(), ts);
        }
        // A forged token (no valid HMAC) dated u64::MAX: the case the crate overflows on.
        let mut raw = vec![VERSION];
        raw.extend_from_slice(&u64::MAX.to_be_bytes());
        raw.extend_from_slice(&[0u8; 64]);
        let forged = URL_SAFE.encode(&raw);
        for ttl in [1, 60, u64::MAX] {
            assert_eq!(
                f.decrypt_at_time(&forged, ttl, at(1_700_000_000))
                    .unwrap_err(),
                CryptoError::InvalidToken
            );
            assert!(f.decrypt(&forged, Some(ttl)).is_err());
        }
    }

    #[test]
    fn padding_rules() {
        let f = fernet();
        let token = f.encrypt_at_time(b"hello", at(5)).unwrap();
        assert!(token.ends_with("=="));
        let bare = token.trim_end_matches('=');
        assert!(f.decrypt(bare, None).is_ok());
        assert!(f.decrypt(&format!("{token}="), None).is_err());
        assert!(f.decrypt(&format!("{bare}="), None).is_err());
        assert!(f.decrypt(&format!("{token}\n"), None).is_err());
        assert!(f.decrypt(&format!(" {token}"), None).is_err());
        let standard = token.replace('-', "+").replace('_', "/");
        if standard != token {
            assert!(f.decrypt(&standard, None).is_err());
        }
    }

    #[test]
    fn size_limit_refuses_before_work() {
        let f = fernet().with_max_token_len(50);
        let token = fernet().encrypt_at_time(b"hello", at(5)).unwrap();
        assert_eq!(
            f.decrypt(&token, None).unwrap_err(),
            CryptoError::TooLarge { len: 100, max: 50 }
        );
        assert!(matches!(
            f.extract_timestamp(&token),
            Err(CryptoError::TooLarge { .. })
        ));
    }

    #[test]
    fn extract_timestamp_checks_the_hmac() {
        let f = fernet();
        let other = Fernet::from_key_text(Fernet::generate_key().unwrap().expose_secret()).unwrap();
        let token = other.encrypt_at_time(b"x", at(77)).unwrap();
        assert_eq!(other.extract_timestamp(&token).unwrap(), 77);
        assert_eq!(
            f.extract_timestamp(&token).unwrap_err(),
            CryptoError::InvalidToken
        );
        assert!(f.extract_timestamp("gAAAAA").is_err());
        assert!(f.extract_timestamp("").is_err());
    }

    #[test]
    fn multifernet_empty_and_key_text_errors() {
        assert_eq!(
            MultiFernet::new(Vec::new()).unwrap_err(),
            CryptoError::EmptyKeyList
        );
        assert_eq!(
            MultiFernet::from_keys_text("  ").unwrap_err(),
            CryptoError::EmptyKeyList
        );
        let err = MultiFernet::from_keys_text(&format!("{KEY},AAAA")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the key decodes to 3 bytes; expected exactly 32 bytes"
        );
        let keys = MultiFernet::from_keys_text(&format!("{KEY}, {KEY}\n")).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(!keys.is_empty());
    }

    #[test]
    fn debug_is_redacted() {
        let f = fernet();
        let shown = format!("{f:?}");
        assert!(!shown.contains("cw_0x"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
        let keys = MultiFernet::new(vec![fernet()]).unwrap();
        assert_eq!(
            format!("{keys:?}"),
            "MultiFernet { keys: 1, max_token_len: 16777216 }"
        );
    }
}
