//! Opaque API keys for services that use simple token authentication.
//!
//! A key reads `prefix_` + a 12-character lookup id + a 32-character secret + a
//! 6-character checksum, all base62 after the prefix:
//!
//! - the **prefix** names the issuer and environment (`acme_live`), so secret
//!   scanners can recognise a leaked key;
//! - the **checksum** (CRC-32 of everything before it) catches typos and
//!   truncation before any database lookup;
//! - the **lookup id** finds the row without scanning;
//! - only a **digest** is stored: HMAC-SHA256 keyed with a server pepper, so a
//!   stolen table is useless without the pepper, and verification compares in
//!   constant time. Expiry is optional and checked after the digest.
//!
//! ```
//! use portcullis::apikey::{ApiKey, ApiKeyPepper};
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//!
//! let pepper = ApiKeyPepper::new(SecretBytes::from_slice(&[7; 32]))?;
//! let key = ApiKey::generate("acme_live")?;            // show once to the user
//! let row = (key.lookup_id().to_owned(), key.digest(&pepper)); // store this
//!
//! let presented = ApiKey::parse(key.expose_secret())?; // typos fail here
//! assert_eq!(presented.lookup_id(), row.0);
//! presented.verify(&pepper, &row.1, None, UnixTime::from_nanos(0))?;
//! # Ok::<(), portcullis::apikey::ApiKeyError>(())
//! ```

use std::fmt;

use ring::hmac;
use zeroize::Zeroizing;

use crate::clock::UnixTime;
use crate::secret::{KeyError, KeyLength, SecretBytes, SecretString, fill_random};

/// Characters of the lookup id.
pub const LOOKUP_ID_LEN: usize = 12;
/// Characters of the secret part (about 190 bits).
pub const SECRET_LEN: usize = 32;
/// Characters of the checksum.
pub const CHECKSUM_LEN: usize = 6;
/// Longest prefix accepted.
pub const MAX_PREFIX_LEN: usize = 32;
/// Shortest pepper accepted, in bytes.
pub const MIN_PEPPER_LEN: usize = 32;

const BODY_LEN: usize = LOOKUP_ID_LEN + SECRET_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGEST_CONTEXT: &[u8] = b"portcullis-apikey-v1\0";

/// Why an API key operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The prefix given to [`ApiKey::generate`] is not allowed.
    #[error(
        "API key prefix {prefix:?} refused: it must be 1 to 32 characters of a-z, 0-9 and _, starting with a letter and not ending with _"
    )]
    InvalidPrefix {
        /// The refused prefix (prefixes are public).
        prefix: String,
    },
    /// The presented text is not shaped like a key.
    #[error("malformed API key: {reason}")]
    Malformed {
        /// What was wrong (never the key itself).
        reason: &'static str,
    },
    /// The checksum does not match: a typo or a truncated copy.
    #[error("API key checksum mismatch: the key was mistyped or truncated")]
    ChecksumMismatch,
    /// A stored digest is not 64 hexadecimal characters.
    #[error("stored API key digest must be 64 hexadecimal characters")]
    MalformedDigest,
    /// The pepper is too short.
    #[error("API key pepper is {actual} bytes; expected at least 32 bytes")]
    PepperTooShort {
        /// Its length (a length is not secret).
        actual: usize,
    },
    /// The key does not match the stored digest. Deliberately without detail.
    #[error("invalid API key")]
    Invalid,
    /// The key matched but its expiry time has passed.
    #[error("API key expired")]
    Expired,
    /// The pepper could not be loaded, or the system's secure random generator failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The server-side pepper that keys the digests; wiped on drop.
///
/// Only the raw bytes are kept (in a wiping type); the HMAC key schedule is
/// derived per call and dropped with it.
#[derive(Debug)]
pub struct ApiKeyPepper(SecretBytes);

impl ApiKeyPepper {
    /// A pepper from key bytes (at least 32).
    ///
    /// # Errors
    /// [`ApiKeyError::PepperTooShort`].
    pub fn new(bytes: SecretBytes) -> Result<Self, ApiKeyError> {
        if bytes.len() < MIN_PEPPER_LEN {
            return Err(ApiKeyError::PepperTooShort {
                actual: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }

    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.expose_secret())
    }

    /// The raw text of environment variable `var` (at least 32 bytes) as the pepper.
    ///
    /// # Errors
    /// [`ApiKeyError::Key`] naming `var` when it is unset, not UTF-8 or too short.
    pub fn from_env(var: &str) -> Result<Self, ApiKeyError> {
        let text = SecretString::from_env(var, KeyLength::AtLeast(MIN_PEPPER_LEN))?;
        Self::new(text.to_bytes())
    }

    /// HMAC-SHA256 of `context` then `key` under the pepper: the stored digest of
    /// a key (each kind of key has its own context, so digests never cross kinds).
    pub(crate) fn digest_of(&self, context: &[u8], key: &str) -> ApiKeyDigest {
        let mut ctx = hmac::Context::with_key(&self.hmac_key());
        ctx.update(context);
        ctx.update(key.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        ApiKeyDigest(out)
    }

    /// Checks `key` against the `stored` digest under `context` (constant time),
    /// then the optional expiry.
    pub(crate) fn verify_key(
        &self,
        context: &[u8],
        key: &str,
        stored: &ApiKeyDigest,
        expires_at: Option<UnixTime>,
        now: UnixTime,
    ) -> Result<(), ApiKeyError> {
        let mut message = Zeroizing::new(Vec::with_capacity(context.len() + key.len()));
        message.extend_from_slice(context);
        message.extend_from_slice(key.as_bytes());
        hmac::verify(&self.hmac_key(), &message, &stored.0).map_err(|_| ApiKeyError::Invalid)?;
        match expires_at {
            Some(at) if now >= at => Err(ApiKeyError::Expired),
            _ => Ok(()),
        }
    }
}

/// The stored form of a key: HMAC-SHA256 under the pepper, 64 hex characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyDigest([u8; 32]);

impl ApiKeyDigest {
    /// Parses the 64 lowercase or uppercase hexadecimal characters written by `Display`.
    ///
    /// # Errors
    /// [`ApiKeyError::MalformedDigest`].
    pub fn from_hex(text: &str) -> Result<Self, ApiKeyError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(ApiKeyError::MalformedDigest);
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let hi = hex_value(pair.first().copied())?;
            let lo = hex_value(pair.get(1).copied())?;
            *slot = (hi << 4) | lo;
        }
        Ok(Self(out))
    }
}

fn hex_value(b: Option<u8>) -> Result<u8, ApiKeyError> {
    match b {
        Some(b @ b'0'..=b'9') => Ok(b - b'0'),
        Some(b @ b'a'..=b'f') => Ok(b - b'a' + 10),
        Some(b @ b'A'..=b'F') => Ok(b - b'A' + 10),
        _ => Err(ApiKeyError::MalformedDigest),
    }
}

impl fmt::Display for ApiKeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ApiKeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyDigest({self})")
    }
}

/// A well-formed API key (checksum verified); the text is wiped on drop.
#[derive(Debug)]
pub struct ApiKey {
    text: SecretString,
    /// Byte length of the prefix (without the `_` separator).
    prefix_len: usize,
}

impl ApiKey {
    /// A new random key under `prefix`.
    ///
    /// # Errors
    /// [`ApiKeyError::InvalidPrefix`], or [`ApiKeyError::Key`] if the system generator fails.
    pub fn generate(prefix: &str) -> Result<Self, ApiKeyError> {
        if !is_valid_prefix(prefix) {
            return Err(ApiKeyError::InvalidPrefix {
                prefix: prefix.to_owned(),
            });
        }
        let mut text = String::with_capacity(prefix.len() + 1 + BODY_LEN);
        text.push_str(prefix);
        text.push('_');
        push_random_base62(&mut text, LOOKUP_ID_LEN + SECRET_LEN)?;
        let checksum = checksum(text.as_bytes());
        text.push_str(&checksum);
        Ok(Self {
            text: SecretString::new(text),
            prefix_len: prefix.len(),
        })
    }

    /// Checks the shape and checksum of presented key text, before any lookup.
    ///
    /// # Errors
    /// [`ApiKeyError::Malformed`] (no `_`, wrong length, characters outside
    /// base62, bad prefix) or [`ApiKeyError::ChecksumMismatch`].
    pub fn parse(text: &str) -> Result<Self, ApiKeyError> {
        let bad = |reason| ApiKeyError::Malformed { reason };
        if text.len() > MAX_PREFIX_LEN + 1 + BODY_LEN {
            return Err(bad("too long"));
        }
        let (prefix, body) = text
            .rsplit_once('_')
            .ok_or(bad("missing the prefix_ separator"))?;
        if !is_valid_prefix(prefix) {
            return Err(bad(
                "the prefix must be a-z, 0-9 and _, starting with a letter",
            ));
        }
        if body.len() != BODY_LEN {
            return Err(bad(
                "wrong length after the prefix (expected 50 characters)",
            ));
        }
        if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("characters after the prefix must be 0-9, A-Z or a-z"));
        }
        let split = text.len().saturating_sub(CHECKSUM_LEN);
        let (signed, given) = (text.get(..split), text.get(split..));
        match (signed, given) {
            (Some(signed), Some(given)) if checksum(signed.as_bytes()) == given => Ok(Self {
                text: SecretString::new(text.to_owned()),
                prefix_len: prefix.len(),
            }),
            _ => Err(ApiKeyError::ChecksumMismatch),
        }
    }

    /// The whole key, to show the user once.
    pub fn expose_secret(&self) -> &str {
        self.text.expose_secret()
    }

    /// The prefix (public).
    pub fn prefix(&self) -> &str {
        self.text
            .expose_secret()
            .get(..self.prefix_len)
            .unwrap_or("")
    }

    /// The lookup id (public): store it beside the digest and index it.
    pub fn lookup_id(&self) -> &str {
        let start = self.prefix_len.saturating_add(1);
        self.text
            .expose_secret()
            .get(start..start.saturating_add(LOOKUP_ID_LEN))
            .unwrap_or("")
    }

    /// The digest to store: HMAC-SHA256 of the key under the pepper.
    pub fn digest(&self, pepper: &ApiKeyPepper) -> ApiKeyDigest {
        pepper.digest_of(DIGEST_CONTEXT, self.text.expose_secret())
    }

    /// Checks this key against the stored digest (constant time), then the optional expiry.
    ///
    /// # Errors
    /// [`ApiKeyError::Invalid`] when the digest does not match (no detail), or
    /// [`ApiKeyError::Expired`] when `now` is at or past `expires_at`.
    pub fn verify(
        &self,
        pepper: &ApiKeyPepper,
        stored: &ApiKeyDigest,
        expires_at: Option<UnixTime>,
        now: UnixTime,
    ) -> Result<(), ApiKeyError> {
        pepper.verify_key(
            DIGEST_CONTEXT,
            self.text.expose_secret(),
            stored,
            expires_at,
            now,
        )
    }
}

fn is_valid_prefix(prefix: &str) -> bool {
    (1..=MAX_PREFIX_LEN).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && !prefix.ends_with('_')
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Appends `count` uniformly random base62 characters (rejection sampling).
fn push_random_base62(out: &mut String, count: usize) -> Result<(), ApiKeyError> {
    let mut buf = Zeroizing::new([0u8; 64]);
    let mut pushed = 0;
    while pushed < count {
        fill_random(buf.as_mut())?;
        for &b in buf.iter() {
            if b < 248 && pushed < count {
                out.push(base62(u32::from(b % 62)));
                pushed += 1;
            }
        }
    }
    Ok(())
}

fn base62(i: u32) -> char {
    usize::try_from(i)
        .ok()
        .and_then(|i| BASE62.get(i))
        .map_or('0', |&b| char::from(b))
}

/// CRC-32 (IEEE) of `data`, written as 6 base62 characters, most significant first.
fn checksum(data: &[u8]) -> String {
    let mut crc = crc32(data);
    let mut digits = ['0'; CHECKSUM_LEN];
    for slot in digits.iter_mut().rev() {
        *slot = base62(crc % 62);
        crc /= 62;
    }
    digits.iter().collect()
}

/// Bitwise CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): a typo check, not a MAC.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pepper() -> ApiKeyPepper {
        ApiKeyPepper::new(SecretBytes::from_slice(&[42; 32])).unwrap()
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn generated_keys_parse_and_verify() {
        let key = ApiKey::generate("acme_live").unwrap();
        let text = key.expose_secret();
        assert!(text.starts_with("acme_live_"));
        assert_eq!(text.len(), "acme_live_".len() + 50);
        let parsed = ApiKey::parse(text).unwrap();
        assert_eq!(parsed.prefix(), "acme_live");
        assert_eq!(parsed.lookup_id(), key.lookup_id());
        assert_eq!(parsed.lookup_id().len(), LOOKUP_ID_LEN);
        let digest = key.digest(&pepper());
        assert_eq!(ApiKeyDigest::from_hex(&digest.to_string()).unwrap(), digest);
        parsed
            .verify(&pepper(), &digest, None, UnixTime::EPOCH)
            .unwrap();
    }

    #[test]
    fn every_single_character_typo_is_caught_before_lookup() {
        let key = ApiKey::generate("tk").unwrap();
        let text = key.expose_secret().to_owned();
        for i in 3..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(
                ApiKey::parse(&typo).unwrap_err(),
                ApiKeyError::ChecksumMismatch,
                "typo at {i}"
            );
        }
        assert!(matches!(
            ApiKey::parse(&text[..text.len() - 1]),
            Err(ApiKeyError::Malformed { .. })
        ));
    }

    #[test]
    fn wrong_pepper_or_digest_is_opaque_and_expiry_is_checked() {
        let key = ApiKey::generate("tk").unwrap();
        let digest = key.digest(&pepper());
        let other = ApiKeyPepper::new(SecretBytes::from_slice(&[43; 32])).unwrap();
        assert_eq!(
            key.verify(&other, &digest, None, UnixTime::EPOCH),
            Err(ApiKeyError::Invalid)
        );
        let at = UnixTime::from_secs(100).unwrap();
        let before = UnixTime::from_secs(99).unwrap();
        assert_eq!(key.verify(&pepper(), &digest, Some(at), before), Ok(()));
        assert_eq!(
            key.verify(&pepper(), &digest, Some(at), at),
            Err(ApiKeyError::Expired)
        );
        let other_key = ApiKey::generate("tk").unwrap();
        assert_eq!(
            other_key.verify(&pepper(), &digest, None, UnixTime::EPOCH),
            Err(ApiKeyError::Invalid)
        );
    }

    #[test]
    fn bad_input_gets_clear_errors() {
        assert!(matches!(
            ApiKey::generate("Bad"),
            Err(ApiKeyError::InvalidPrefix { .. })
        ));
        assert!(ApiKey::generate("a_").is_err());
        assert!(ApiKey::generate("").is_err());
        assert!(ApiKey::generate(&"a".repeat(33)).is_err());
        for (text, reason) in [
            ("nounderscore", "missing the prefix_ separator"),
            (
                "_abc",
                "the prefix must be a-z, 0-9 and _, starting with a letter",
            ),
            (
                "tk_short",
                "wrong length after the prefix (expected 50 characters)",
            ),
        ] {
            assert_eq!(
                ApiKey::parse(text).unwrap_err(),
                ApiKeyError::Malformed { reason },
                "{text}"
            );
        }
        let weird = format!("tk_{}", "-".repeat(50));
        assert!(matches!(
            ApiKey::parse(&weird),
            Err(ApiKeyError::Malformed { .. })
        ));
        assert_eq!(
            ApiKeyPepper::new(SecretBytes::from_slice(&[1; 31])).unwrap_err(),
            ApiKeyError::PepperTooShort { actual: 31 }
        );
        assert!(ApiKeyDigest::from_hex("zz").is_err());
        assert!(ApiKeyDigest::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::generate("tk").unwrap();
        let shown = format!("{key:?} {:?}", pepper());
        assert!(!shown.contains(key.expose_secret()));
        assert!(shown.contains("[REDACTED]"));
    }
}
