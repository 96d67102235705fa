//! Secret values: key bytes and secret strings.
//!
//! Both types wipe their memory when dropped, print as `[REDACTED]` through
//! `Debug` and `Display`, compare in constant time, and are deliberately not
//! `Clone`: a copy of a key is made on purpose, with [`SecretBytes::duplicate`],
//! never by accident. Loading errors name where the key came from and what was
//! expected, never the value.

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
#[cfg(any(
    feature = "token",
    feature = "crypto",
    feature = "password",
    feature = "web"
))]
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A key or secret could not be loaded or generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The environment variable that should hold a key is not set.
    #[error("environment variable {var} is not set; it must hold the key")]
    EnvVarMissing {
        /// The variable's name.
        var: String,
    },
    /// The environment variable holds bytes that are not UTF-8.
    #[error("environment variable {var} is not valid UTF-8; keys are ASCII text")]
    EnvVarNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// The key text is not in the expected encoding.
    #[error("{origin} is not valid {encoding}")]
    InvalidEncoding {
        /// Where the key came from.
        origin: KeyOrigin,
        /// The encoding that was expected.
        encoding: Encoding,
    },
    /// The key decodes to the wrong number of bytes.
    #[error("{origin} decodes to {actual} bytes; expected {expected}")]
    WrongLength {
        /// Where the key came from.
        origin: KeyOrigin,
        /// The length rule the key must meet.
        expected: KeyLength,
        /// The decoded length (a length is not secret).
        actual: usize,
    },
    /// The operating system's secure random generator failed.
    #[error("the system's secure random number generator is unavailable")]
    RandomUnavailable,
}

/// Fills `buf` from the operating system's secure random generator: the crate's one
/// random source (salts, nonces, IVs, token ids, CSRF secrets, API keys).
///
/// # Errors
/// [`KeyError::RandomUnavailable`] if the generator fails (it should not on a healthy system).
#[cfg(any(
    feature = "token",
    feature = "crypto",
    feature = "password",
    feature = "web"
))]
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), KeyError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| KeyError::RandomUnavailable)
}

const REDACTED: &str = "[REDACTED]";

/// The text encoding of a binary key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// RFC 4648 section 4: `A-Z a-z 0-9 + /`, padding optional on input.
    Base64,
    /// RFC 4648 section 5: `A-Z a-z 0-9 - _`, padding optional on input
    /// (Fernet keys, JWK `k` values).
    Base64Url,
}

impl Encoding {
    fn engine(self) -> GeneralPurpose {
        let lenient_padding = GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_encode_padding(true);
        match self {
            Self::Base64 => GeneralPurpose::new(&base64::alphabet::STANDARD, lenient_padding),
            Self::Base64Url => GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient_padding),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Base64 => "base64 (alphabet A-Z a-z 0-9 + /, padding optional)",
            Self::Base64Url => "base64url (alphabet A-Z a-z 0-9 - _, padding optional)",
        })
    }
}

/// How long a key must be, in decoded bytes (or characters for a text secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLength {
    /// Exactly this many bytes (an AES or Fernet key).
    Exactly(usize),
    /// At least this many bytes (an HMAC secret).
    AtLeast(usize),
}

impl KeyLength {
    const fn accepts(self, len: usize) -> bool {
        match self {
            Self::Exactly(n) => len == n,
            Self::AtLeast(n) => len >= n,
        }
    }
}

impl fmt::Display for KeyLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exactly(n) => write!(f, "exactly {n} bytes"),
            Self::AtLeast(n) => write!(f, "at least {n} bytes"),
        }
    }
}

/// Where a key was loaded from, so an error can say which one is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOrigin {
    /// Text handed to the constructor directly.
    Inline,
    /// The named environment variable.
    EnvVar(String),
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline => f.write_str("the key"),
            Self::EnvVar(var) => write!(f, "the key in environment variable {var}"),
        }
    }
}

/// Key bytes: wiped on drop, redacted in output, compared in constant time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Box<[u8]>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller's buffer becomes the secret.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes.into_boxed_slice())
    }

    /// Copies `bytes` into a new secret. The caller still owns (and should wipe) the original.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.into())
    }

    /// `len` bytes from the operating system's secure random generator.
    ///
    /// # Errors
    /// [`KeyError::RandomUnavailable`] if the generator fails (it should not on a healthy system).
    ///
    /// Built with any room that draws random numbers (all but `ratelimit`).
    #[cfg(any(
        feature = "token",
        feature = "crypto",
        feature = "password",
        feature = "web"
    ))]
    pub fn generate(len: usize) -> Result<Self, KeyError> {
        let mut bytes = vec![0u8; len].into_boxed_slice();
        fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Decodes `text` (surrounding ASCII whitespace ignored) and checks its length.
    ///
    /// # Errors
    /// [`KeyError::InvalidEncoding`] or [`KeyError::WrongLength`], naming the origin as "the key".
    pub fn from_encoded(
        text: &str,
        encoding: Encoding,
        length: KeyLength,
    ) -> Result<Self, KeyError> {
        Self::decode_checked(text, encoding, length, KeyOrigin::Inline)
    }

    /// Reads, decodes and length-checks the key in environment variable `var`.
    ///
    /// # Errors
    /// [`KeyError::EnvVarMissing`], [`KeyError::EnvVarNotUnicode`], or a decoding or
    /// length error that names `var`.
    pub fn from_env(var: &str, encoding: Encoding, length: KeyLength) -> Result<Self, KeyError> {
        let text = read_env(var)?;
        Self::decode_checked(
            text.expose_secret(),
            encoding,
            length,
            KeyOrigin::EnvVar(var.to_owned()),
        )
    }

    fn decode_checked(
        text: &str,
        encoding: Encoding,
        length: KeyLength,
        origin: KeyOrigin,
    ) -> Result<Self, KeyError> {
        let decoded =
            Zeroizing::new(encoding.engine().decode(text.trim_ascii()).map_err(|_| {
                KeyError::InvalidEncoding {
                    origin: origin.clone(),
                    encoding,
                }
            })?);
        if !length.accepts(decoded.len()) {
            return Err(KeyError::WrongLength {
                origin,
                expected: length,
                actual: decoded.len(),
            });
        }
        Ok(Self::from_slice(&decoded))
    }

    /// The key bytes. The name makes every use of the secret visible in review.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// The number of key bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key encoded as text, padded, in a string that is itself wiped on drop.
    pub fn encode(&self, encoding: Encoding) -> SecretString {
        SecretString::new(encoding.engine().encode(&self.0))
    }

    /// An explicit copy of the key, for the rare owner that needs two.
    pub fn duplicate(&self) -> Self {
        Self::from_slice(&self.0)
    }
}

impl PartialEq for SecretBytes {
    /// Constant-time in the contents; the lengths are not secret.
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Secret text (an HMAC secret given as text, like Django's `SECRET_KEY`, or an
/// encoded key): wiped on drop, redacted in output, compared in constant time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of `text`.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// Reads environment variable `var` verbatim and checks its length in bytes.
    ///
    /// The text is not trimmed: SimpleJWT signs with `SECRET_KEY` exactly as written.
    ///
    /// # Errors
    /// [`KeyError::EnvVarMissing`], [`KeyError::EnvVarNotUnicode`], or
    /// [`KeyError::WrongLength`] naming `var`.
    pub fn from_env(var: &str, length: KeyLength) -> Result<Self, KeyError> {
        let text = read_env(var)?;
        if !length.accepts(text.len()) {
            return Err(KeyError::WrongLength {
                origin: KeyOrigin::EnvVar(var.to_owned()),
                expected: length,
                actual: text.len(),
            });
        }
        Ok(text)
    }

    /// The secret text. The name makes every use of the secret visible in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as key bytes.
    pub fn to_bytes(&self) -> SecretBytes {
        SecretBytes::from_slice(self.0.as_bytes())
    }

    /// An explicit copy, for the rare owner that needs two.
    pub fn duplicate(&self) -> Self {
        Self(self.0.clone())
    }
}

impl PartialEq for SecretString {
    /// Constant-time in the contents; the lengths are not secret.
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl Eq for SecretString {}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Reads an environment variable into a wiping string, with errors that name it.
fn read_env(var: &str) -> Result<SecretString, KeyError> {
    match std::env::var(var) {
        Ok(text) => Ok(SecretString(text)),
        Err(std::env::VarError::NotPresent) => Err(KeyError::EnvVarMissing {
            var: var.to_owned(),
        }),
        Err(std::env::VarError::NotUnicode(mut raw)) => {
            raw.zeroize_os_string();
            Err(KeyError::EnvVarNotUnicode {
                var: var.to_owned(),
            })
        }
    }
}

/// Wipes an `OsString` that held a rejected secret.
trait ZeroizeOsString {
    fn zeroize_os_string(&mut self);
}

impl ZeroizeOsString for std::ffi::OsString {
    fn zeroize_os_string(&mut self) {
        let mut bytes = std::mem::take(self).into_encoded_bytes();
        bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let key = SecretBytes::from_slice(b"super-secret-key-material");
        let text = SecretString::new("hunter2hunter2".to_owned());
        for shown in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{text:?}"),
            format!("{text}"),
            format!("{:?}", key.encode(Encoding::Base64Url)),
        ] {
            assert_eq!(shown, "[REDACTED]");
        }
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(
            SecretBytes::from_slice(b"abc"),
            SecretBytes::from_slice(b"abc")
        );
        assert_ne!(
            SecretBytes::from_slice(b"abc"),
            SecretBytes::from_slice(b"abd")
        );
        assert_ne!(
            SecretBytes::from_slice(b"abc"),
            SecretBytes::from_slice(b"abcd")
        );
        assert_eq!(SecretString::new("x".into()), SecretString::new("x".into()));
        assert_ne!(SecretString::new("x".into()), SecretString::new("y".into()));
    }

    #[test]
    #[cfg(any(
        feature = "token",
        feature = "crypto",
        feature = "password",
        feature = "web"
    ))]
    fn generate_gives_distinct_keys_of_the_requested_length() {
        let a = SecretBytes::generate(32).unwrap();
        let b = SecretBytes::generate(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn base64url_round_trip_with_and_without_padding() {
        let key = SecretBytes::from_slice(&[0xfb; 32]);
        let text = key.encode(Encoding::Base64Url);
        assert!(text.expose_secret().ends_with('='));
        assert!(text.expose_secret().contains('-') || text.expose_secret().contains('_'));
        let back = SecretBytes::from_encoded(
            text.expose_secret(),
            Encoding::Base64Url,
            KeyLength::Exactly(32),
        )
        .unwrap();
        assert_eq!(back, key);
        let unpadded = text.expose_secret().trim_end_matches('=');
        let back = SecretBytes::from_encoded(unpadded, Encoding::Base64Url, KeyLength::Exactly(32))
            .unwrap();
        assert_eq!(back, key);
    }

    #[test]
    fn wrong_alphabet_is_rejected() {
        let standard = SecretBytes::from_slice(&[0xfb; 32]).encode(Encoding::Base64);
        let err = SecretBytes::from_encoded(
            standard.expose_secret(),
            Encoding::Base64Url,
            KeyLength::Exactly(32),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            KeyError::InvalidEncoding {
                encoding: Encoding::Base64Url,
                ..
            }
        ));
    }

    #[test]
    fn length_errors_say_what_was_expected() {
        let short = SecretBytes::from_slice(&[1; 16]).encode(Encoding::Base64Url);
        let err = SecretBytes::from_encoded(
            short.expose_secret(),
            Encoding::Base64Url,
            KeyLength::Exactly(32),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the key decodes to 16 bytes; expected exactly 32 bytes"
        );
    }
}
