//! Sealed fields: XChaCha20-Poly1305 bound to where the value is stored.
//!
//! A sealed value is compact text that fits a `TEXT`/`VARCHAR` column:
//!
//! ```text
//! s1.<key id>.<base64url, unpadded: nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)>
//! ```
//!
//! - The payload is canonical unpadded base64url; padding, whitespace, the `+/`
//!   alphabet and non-canonical trailing bits are refused.
//! - `s1` is the format version; a future format gets a new prefix, and this one
//!   stays readable.
//! - The **key id** (1 to 32 characters of `A-Z a-z 0-9 - _`) names the key, so a
//!   [`SealedKeyset`] can hold the current (primary) key and retired ones, open
//!   values sealed under any of them, and [`reseal`](SealedKeyset::reseal) old
//!   values under the primary.
//! - The **nonce** is 192 random bits, so random nonces never collide in practice.
//! - The **associated data** binds the version, the key id and a [`Context`]
//!   (typically table, column and row id). A sealed value copied to another row
//!   or column, or relabelled with another key id, fails to open. Fernet cannot
//!   do this: a Fernet token decrypts wherever it is pasted.
//!
//! The associated data is `"portcullis sealed v1\0"`, one byte of key-id length,
//! the key id, then each context part as an 8-byte big-endian length and its
//! bytes. Any XChaCha20-Poly1305 library can produce and open these values
//! (`tests/crypto_sealed_interop.rs` checks this against libsodium).
//!
//! Length: `4 + len(kid) + ⌈4·(n + 40)/3⌉` characters for `n` plaintext bytes (a
//! 100-byte field under a 2-character id takes 193). Opening refuses text over the size limit
//! ([`DEFAULT_MAX_SEALED_LEN`], configurable) before decoding it.
//!
//! ```
//! use portcullis::crypto::sealed::{Context, SealedKey, SealedKeyset};
//!
//! # fn main() -> Result<(), portcullis::crypto::CryptoError> {
//! let keys = SealedKeyset::new(SealedKey::generate("2026-11")?);
//! let row_7 = Context::row("users", "oauth_token", "7");
//! let sealed = keys.seal(b"ya29.access-token", &row_7)?;
//! assert!(sealed.starts_with("s1.2026-11."));
//! assert_eq!(keys.open(&sealed, &row_7)?.expose_secret(), b"ya29.access-token");
//! // Pasted into row 8, it no longer opens.
//! assert!(keys.open(&sealed, &Context::row("users", "oauth_token", "8")).is_err());
//! # Ok(())
//! # }
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::aead::{NONCE_LEN, TAG_LEN, XChaCha20Poly1305};
use super::{CryptoError, Plaintext};
use crate::secret::{
    Encoding, KeyError, KeyLength, KeyOrigin, SecretBytes, SecretString, fill_random,
};

/// The default size limit for a sealed value, in bytes of text: 16 MiB.
pub const DEFAULT_MAX_SEALED_LEN: usize = 16 * 1024 * 1024;

const PREFIX: &str = "s1";
const AAD_LABEL: &[u8] = b"portcullis sealed v1\0";
const MAX_KID_LEN: usize = 32;

/// Where a sealed value lives, bound into its associated data.
///
/// The parts are length-prefixed, so `("ab", "c")` and `("a", "bc")` differ.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Context {
    encoded: Vec<u8>,
}

impl Context {
    /// No binding: the value opens anywhere (as a Fernet token would).
    pub fn none() -> Self {
        Self::default()
    }

    /// The usual binding for a database field.
    pub fn row(table: &str, column: &str, row_id: &str) -> Self {
        Self::from_parts([table, column, row_id])
    }

    /// Any ordered list of parts (tenant, table, column, row id, ...).
    pub fn from_parts<I, P>(parts: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let mut encoded = Vec::new();
        for part in parts {
            let part = part.as_ref();
            encoded.extend_from_slice(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            encoded.extend_from_slice(part);
        }
        Self { encoded }
    }

    fn aad(&self, kid: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + kid.len() + self.encoded.len());
        aad.extend_from_slice(AAD_LABEL);
        // A kid is at most 32 bytes, so its length fits the one-byte prefix.
        aad.push(u8::try_from(kid.len()).unwrap_or(u8::MAX));
        aad.extend_from_slice(kid.as_bytes());
        aad.extend_from_slice(&self.encoded);
        aad
    }
}

/// One sealing key with its id: wiped on drop, redacted, not `Clone`.
pub struct SealedKey {
    kid: String,
    cipher: XChaCha20Poly1305,
}

impl SealedKey {
    /// A new random key with id `kid`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyId`], or [`KeyError::RandomUnavailable`].
    pub fn generate(kid: &str) -> Result<Self, CryptoError> {
        Self::new(kid, &SecretBytes::generate(32)?)
    }

    /// A key with id `kid` from 32 key bytes.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyId`], or [`KeyError::WrongLength`].
    pub fn new(kid: &str, key: &SecretBytes) -> Result<Self, CryptoError> {
        check_kid(kid)?;
        Ok(Self {
            kid: kid.to_owned(),
            cipher: XChaCha20Poly1305::new(key)?,
        })
    }

    /// A key from its text form, `<key id>:<base64url of 32 bytes>` (what
    /// [`SealedKey::to_text`] and `portcullis keygen sealed` print).
    ///
    /// # Errors
    /// [`CryptoError::MalformedSealedKey`] (also for a bad key id), or a
    /// [`KeyError`] for the key part; the key never appears in a message.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        Self::parse(text, &KeyOrigin::Inline)
    }

    fn parse(text: &str, origin: &KeyOrigin) -> Result<Self, CryptoError> {
        let (kid, key) =
            text.trim_ascii()
                .split_once(':')
                .ok_or_else(|| CryptoError::MalformedSealedKey {
                    origin: origin.clone(),
                })?;
        // A bad id in key text is reported without echoing it: a key pasted the
        // wrong way round would otherwise be printed.
        check_kid(kid).map_err(|_| CryptoError::MalformedSealedKey {
            origin: origin.clone(),
        })?;
        let key = SecretBytes::from_encoded(key, Encoding::Base64Url, KeyLength::Exactly(32))
            .map_err(|e| relabel(e, origin))?;
        Self::new(kid, &key)
    }

    /// The text form `<key id>:<base64url key>`, in a string wiped on drop.
    pub fn to_text(&self) -> SecretString {
        let key = self.cipher.key_text();
        SecretString::new(format!("{}:{}", self.kid, key.expose_secret()))
    }

    /// The key id (not secret).
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

impl fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKey")
            .field("kid", &self.kid)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// The keys of one sealed column (or application): a primary key that seals, and
/// older keys that still open.
pub struct SealedKeyset {
    keys: Vec<SealedKey>,
    max_sealed_len: usize,
}

impl SealedKeyset {
    /// A keyset whose only key, `primary`, seals and opens.
    pub fn new(primary: SealedKey) -> Self {
        Self {
            keys: vec![primary],
            max_sealed_len: DEFAULT_MAX_SEALED_LEN,
        }
    }

    /// Adds an older key that opens but never seals.
    ///
    /// # Errors
    /// [`CryptoError::DuplicateKeyId`] if the id is already in the keyset.
    pub fn with_key(mut self, older: SealedKey) -> Result<Self, CryptoError> {
        if self.find(older.kid()).is_some() {
            return Err(CryptoError::DuplicateKeyId { kid: older.kid });
        }
        self.keys.push(older);
        Ok(self)
    }

    /// Keys from text: `<kid>:<key>` entries separated by commas, the first primary.
    ///
    /// # Errors
    /// [`CryptoError::EmptyKeyList`], a malformed entry, or a duplicate id.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        Self::parse(text, &KeyOrigin::Inline)
    }

    /// Keys from environment variable `var`, as [`SealedKeyset::from_text`].
    ///
    /// # Errors
    /// [`KeyError::EnvVarMissing`], or the errors of [`SealedKeyset::from_text`] naming `var`.
    pub fn from_env(var: &str) -> Result<Self, CryptoError> {
        let text = SecretString::from_env(var, KeyLength::AtLeast(0))?;
        Self::parse(text.expose_secret(), &KeyOrigin::EnvVar(var.to_owned()))
    }

    fn parse(text: &str, origin: &KeyOrigin) -> Result<Self, CryptoError> {
        if text.trim_ascii().is_empty() {
            return Err(CryptoError::EmptyKeyList);
        }
        let mut entries = text.split(',');
        let first = entries.next().ok_or(CryptoError::EmptyKeyList)?;
        let mut keyset = Self::new(SealedKey::parse(first, origin)?);
        for entry in entries {
            keyset = keyset.with_key(SealedKey::parse(entry, origin)?)?;
        }
        Ok(keyset)
    }

    /// Sets the size limit for [`open`](Self::open), in bytes of sealed text.
    #[must_use]
    pub fn with_max_sealed_len(mut self, max: usize) -> Self {
        self.max_sealed_len = max;
        self
    }

    /// The primary key's id.
    pub fn primary_kid(&self) -> &str {
        self.keys.first().map_or("", SealedKey::kid)
    }

    fn primary(&self) -> Result<&SealedKey, CryptoError> {
        self.keys.first().ok_or(CryptoError::EmptyKeyList)
    }

    fn find(&self, kid: &str) -> Option<&SealedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Seals `plaintext` under the primary key, bound to `context`.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if no nonce can be drawn.
    pub fn seal(&self, plaintext: &[u8], context: &Context) -> Result<String, CryptoError> {
        let key = self.primary()?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        // One buffer, encrypted in place: no stray copy of the plaintext is left behind.
        let mut raw = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(plaintext);
        let body = raw.get_mut(NONCE_LEN..).ok_or(CryptoError::InvalidToken)?;
        let tag = key
            .cipher
            .seal_in_place_separate_tag(&nonce, &context.aad(&key.kid), body)?;
        raw.extend_from_slice(&tag);
        let mut out = String::with_capacity(4 + key.kid.len() + raw.len().div_ceil(3) * 4);
        out.push_str(PREFIX);
        out.push('.');
        out.push_str(&key.kid);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&raw, &mut out);
        Ok(out)
    }

    /// Opens a sealed value with whichever key its id names, checking `context`.
    ///
    /// # Errors
    /// [`CryptoError::TooLarge`] over the size limit; [`CryptoError::UnknownKeyId`]
    /// for a well-formed value under a key this keyset lacks; otherwise the opaque
    /// [`CryptoError::InvalidToken`].
    pub fn open(&self, sealed: &str, context: &Context) -> Result<Plaintext, CryptoError> {
        let (key, payload) = self.split(sealed)?;
        let mut raw = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CryptoError::InvalidToken)?;
        let (nonce, body) = raw
            .split_at_mut_checked(NONCE_LEN)
            .ok_or(CryptoError::InvalidToken)?;
        let len = key
            .cipher
            .open_in_place(nonce, &context.aad(&key.kid), body)?
            .len();
        // Shift the plaintext to the front of the same buffer; the whole buffer is
        // wiped when the Plaintext drops.
        raw.copy_within(NONCE_LEN..NONCE_LEN + len, 0);
        raw.truncate(len);
        Ok(Plaintext::new(raw))
    }

    /// Opens a value and seals it again under the primary key (same context,
    /// fresh nonce): the step of a key rotation.
    ///
    /// # Errors
    /// As [`open`](Self::open) and [`seal`](Self::seal).
    pub fn reseal(&self, sealed: &str, context: &Context) -> Result<String, CryptoError> {
        let plaintext = self.open(sealed, context)?;
        self.seal(plaintext.expose_secret(), context)
    }

    /// Whether a well-formed value names a key other than the primary (a
    /// candidate for [`reseal`](Self::reseal)). Nothing is decrypted.
    ///
    /// # Errors
    /// As the format checks of [`open`](Self::open).
    pub fn needs_reseal(&self, sealed: &str) -> Result<bool, CryptoError> {
        let (key, _) = self.split(sealed)?;
        Ok(key.kid != self.primary_kid())
    }

    /// Checks size and framing; returns the named key and the base64 payload.
    fn split<'s>(&self, sealed: &'s str) -> Result<(&SealedKey, &'s str), CryptoError> {
        if sealed.len() > self.max_sealed_len {
            return Err(CryptoError::TooLarge {
                len: sealed.len(),
                max: self.max_sealed_len,
            });
        }
        let rest = sealed
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or(CryptoError::InvalidToken)?;
        let (kid, payload) = rest.split_once('.').ok_or(CryptoError::InvalidToken)?;
        check_kid(kid).map_err(|_| CryptoError::InvalidToken)?;
        let key = self.find(kid).ok_or_else(|| CryptoError::UnknownKeyId {
            kid: kid.to_owned(),
        })?;
        Ok((key, payload))
    }
}

impl fmt::Debug for SealedKeyset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKeyset")
            .field("keys", &self.keys)
            .field("max_sealed_len", &self.max_sealed_len)
            .finish()
    }
}

fn check_kid(kid: &str) -> Result<(), CryptoError> {
    let ok = (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(CryptoError::InvalidKeyId {
            kid: kid.chars().take(MAX_KID_LEN + 8).collect(),
        })
    }
}

fn relabel(err: KeyError, origin: &KeyOrigin) -> CryptoError {
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
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyset() -> SealedKeyset {
        SealedKeyset::new(SealedKey::new("k1", &SecretBytes::from_slice(&[1; 32])).unwrap())
    }

    #[test]
    fn round_trip_and_format() {
        let keys = keyset();
        let ctx = Context::row("users", "token", "1");
        for len in [0usize, 1, 15, 16, 100, 1024] {
            let plain = vec![0xa5u8; len];
            let sealed = keys.seal(&plain, &ctx).unwrap();
            assert!(sealed.starts_with("s1.k1."));
            let payload = sealed.rsplit('.').next().unwrap();
            assert_eq!(URL_SAFE_NO_PAD.decode(payload).unwrap().len(), len + 40);
            assert_eq!(sealed.len(), 4 + 2 + (4 * (len + 40)).div_ceil(3));
            assert_eq!(keys.open(&sealed, &ctx).unwrap().expose_secret(), plain);
        }
    }

    #[test]
    fn nonces_are_fresh() {
        let keys = keyset();
        let a = keys.seal(b"same", &Context::none()).unwrap();
        let b = keys.seal(b"same", &Context::none()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn context_parts_are_length_prefixed() {
        let keys = keyset();
        let sealed = keys.seal(b"x", &Context::from_parts(["ab", "c"])).unwrap();
        assert!(
            keys.open(&sealed, &Context::from_parts(["a", "bc"]))
                .is_err()
        );
        assert!(keys.open(&sealed, &Context::from_parts(["abc"])).is_err());
        assert!(keys.open(&sealed, &Context::none()).is_err());
        assert!(
            keys.open(&sealed, &Context::from_parts(["ab", "c"]))
                .is_ok()
        );
    }

    #[test]
    fn kid_is_authenticated() {
        let k1 = SealedKey::new("k1", &SecretBytes::from_slice(&[1; 32])).unwrap();
        let k2 = SealedKey::new("k2", &SecretBytes::from_slice(&[1; 32])).unwrap();
        let keys = SealedKeyset::new(k1).with_key(k2).unwrap();
        let sealed = keys.seal(b"x", &Context::none()).unwrap();
        // Same key bytes under another id: the id is in the AAD, so it fails.
        let relabelled = sealed.replacen("s1.k1.", "s1.k2.", 1);
        assert_eq!(
            keys.open(&relabelled, &Context::none()).unwrap_err(),
            CryptoError::InvalidToken
        );
    }

    #[test]
    fn rotation_and_reseal() {
        let old = SealedKey::generate("old").unwrap();
        let old_text = old.to_text();
        let before = SealedKeyset::new(old);
        let ctx = Context::row("t", "c", "9");
        let sealed = before.seal(b"secret", &ctx).unwrap();

        let after = SealedKeyset::from_text(&format!(
            "{},{}",
            SealedKey::generate("new")
                .unwrap()
                .to_text()
                .expose_secret(),
            old_text.expose_secret()
        ))
        .unwrap();
        assert_eq!(after.primary_kid(), "new");
        assert!(after.needs_reseal(&sealed).unwrap());
        let resealed = after.reseal(&sealed, &ctx).unwrap();
        assert!(resealed.starts_with("s1.new."));
        assert!(!after.needs_reseal(&resealed).unwrap());
        assert_eq!(
            after.open(&resealed, &ctx).unwrap().expose_secret(),
            b"secret"
        );
        assert_eq!(
            before.open(&resealed, &ctx).unwrap_err(),
            CryptoError::UnknownKeyId { kid: "new".into() }
        );
    }

    #[test]
    fn malformed_inputs_are_invalid_and_limits_apply() {
        let keys = keyset();
        for bad in [
            "",
            "s1",
            "s1.",
            "s1.k1",
            "s1.k1.",
            "s2.k1.AAAA",
            "s1..AAAA",
            "s1.k1.AAAA",
            "s1.k 1.AAAA",
            "s1.k1.AAAA====",
            "s1.k1.!!!!",
        ] {
            assert_eq!(
                keys.open(bad, &Context::none()).unwrap_err(),
                CryptoError::InvalidToken,
                "{bad:?}"
            );
        }
        let sealed = keys.seal(b"hello", &Context::none()).unwrap();
        let small = keyset().with_max_sealed_len(10);
        assert!(matches!(
            small.open(&sealed, &Context::none()),
            Err(CryptoError::TooLarge { max: 10, .. })
        ));
    }

    #[test]
    fn key_text_errors_and_redaction() {
        assert!(matches!(
            SealedKey::from_text("no-colon"),
            Err(CryptoError::MalformedSealedKey { .. })
        ));
        let reversed = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:k1";
        let err = SealedKey::from_text(reversed).unwrap_err();
        assert!(matches!(err, CryptoError::MalformedSealedKey { .. }));
        assert!(!err.to_string().contains("AAAAAAAA"), "{err}");
        assert!(matches!(
            SealedKey::new("bad id", &SecretBytes::from_slice(&[0; 32])),
            Err(CryptoError::InvalidKeyId { .. })
        ));
        assert_eq!(
            SealedKey::from_text("k:AAAA").unwrap_err().to_string(),
            "the key decodes to 3 bytes; expected exactly 32 bytes"
        );
        let key = SealedKey::generate("k").unwrap();
        let text = key.to_text();
        let shown = format!("{:?}", SealedKeyset::new(key));
        let secret_part = text.expose_secret().split_once(':').unwrap().1;
        assert!(!shown.contains(secret_part));
        assert!(shown.contains("[REDACTED]"));
        assert!(matches!(
            SealedKeyset::from_text(
                "a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            ),
            Err(CryptoError::DuplicateKeyId { .. })
        ));
        assert_eq!(
            SealedKeyset::from_text(" ").unwrap_err(),
            CryptoError::EmptyKeyList
        );
    }
}
