//! Django REST framework's `TokenAuthentication`, compatible and stored hashed,
//! with a way out to the crate's checksummed [API keys](crate::apikey).
//!
//! DRF's `rest_framework.authtoken` gives each user one opaque key:
//! `binascii.hexlify(os.urandom(20))`, 40 lowercase hexadecimal characters (160
//! bits), sent as `Authorization: Token <key>`. This module reads and answers that
//! header as `TokenAuthentication.authenticate` does (same keyword rule, same
//! refusals and messages, checked against DRF itself in
//! `tests/data/web/drf_token.json`) and issues keys of the same form. Unlike DRF,
//! which keeps the key itself in `authtoken_token.key`, the host stores only a
//! digest: HMAC-SHA256 under the [`ApiKeyPepper`], in a context of its own. A DRF
//! key has no lookup id, so the digest is the lookup: the host indexes it, finds the
//! row by the digest of the presented key, and [`DrfToken::verify`] compares in
//! constant time (and checks the expiry, for the expiring-token variant: the row's
//! `created` plus a lifetime, [`expiring_token_expiry`]).
//!
//! # Moving to checksummed API keys
//!
//! 1. **Hash the table.** For every `authtoken_token` row, store
//!    `DrfToken::parse(key)?.digest(&pepper)` in a new indexed column, then drop
//!    the plaintext `key` column: a stolen table no longer authenticates anyone.
//! 2. **Accept both forms.** [`parse_presented_key`] tells a DRF key (40 lowercase
//!    hex, no `_`) from an [`ApiKey`] (`prefix_...`, always a `_`): both arrive
//!    under `Authorization: Token`, so clients need no change yet.
//! 3. **Replace on use.** When a DRF key authenticates, [`migrate_to_api_key`]
//!    issues its replacement and the time the DRF key should stop working; the
//!    host stores the new key's lookup id and digest, hands the key to the client
//!    once, and sets the DRF row's expiry to that time.
//! 4. When no DRF row is left, stop accepting the DRF form.
//!
//! With the `tracing` or `metrics` feature each decision is reported
//! ([`crate::observe`]): a generated key (`portcullis.drf_token.issued`), a
//! matching key (`.verified`), a refused header or key (`.refused`, with
//! [`DrfAuthError::code`], `malformed` or `expired`) and a replacement
//! (`.migrated`). The key and its digest never are.
//!
//! ```
//! use portcullis::apikey::ApiKeyPepper;
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//! use portcullis::web::drf_token::{DrfToken, parse_token_header};
//!
//! let pepper = ApiKeyPepper::new(SecretBytes::from_slice(&[7; 32]))?;
//! let issued = DrfToken::generate()?;           // show once to the user
//! let stored = issued.digest(&pepper);          // store and index this
//!
//! let header = format!("Token {}", issued.expose_secret());
//! let credential = parse_token_header(header.as_bytes(), "Token")?.expect("a Token header");
//! let presented = DrfToken::parse(credential)?; // else DrfAuthError::InvalidToken
//! // The host finds the row by presented.digest(&pepper), then:
//! presented.verify(&pepper, &stored, None, UnixTime::from_nanos(0))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::apikey::{ApiKey, ApiKeyDigest, ApiKeyError, ApiKeyPepper};
use crate::clock::UnixTime;
use crate::observe;
use crate::secret::{SecretString, fill_random};

/// Characters of a DRF key.
pub const KEY_LEN: usize = 40;
/// DRF's `TokenAuthentication.keyword`, which is also the whole
/// `WWW-Authenticate` value of its 401 answers.
pub const KEYWORD: &str = "Token";

const DIGEST_CONTEXT: &[u8] = b"portcullis-drf-token-v1\0";

/// Why `TokenAuthentication` refused a request, with DRF's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DrfAuthError {
    /// The keyword without a key.
    #[error("Invalid token header. No credentials provided.")]
    NoCredentials,
    /// More than one value after the keyword.
    #[error("Invalid token header. Token string should not contain spaces.")]
    ContainsSpaces,
    /// The key is not valid UTF-8.
    #[error("Invalid token header. Token string should not contain invalid characters.")]
    InvalidCharacters,
    /// No stored key matches (or the key is malformed, or expired).
    #[error("Invalid token.")]
    InvalidToken,
    /// The key's user is inactive (the host's check, after the key matched).
    #[error("User inactive or deleted.")]
    UserInactive,
}

impl DrfAuthError {
    /// A stable code for logs and the `code` of the
    /// `portcullis.drf_token.refused` event (DRF itself answers every one with
    /// `authentication_failed`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoCredentials => "no_credentials",
            Self::ContainsSpaces => "contains_spaces",
            Self::InvalidCharacters => "invalid_characters",
            Self::InvalidToken => "invalid_token",
            Self::UserInactive => "user_inactive",
        }
    }

    /// DRF's 401 body: `{"detail": "<message>"}`.
    pub fn response_body(&self) -> serde_json::Value {
        serde_json::json!({"detail": self.to_string()})
    }
}

/// A DRF key: 40 lowercase hexadecimal characters, wiped on drop, `Debug`
/// redacted.
pub struct DrfToken(SecretString);

impl fmt::Debug for DrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DrfToken([REDACTED])")
    }
}

impl DrfToken {
    /// A new key as DRF's `Token.generate_key` makes it: 20 random bytes, hex.
    ///
    /// # Errors
    /// [`ApiKeyError::Key`] if the system's secure random generator fails.
    pub fn generate() -> Result<Self, ApiKeyError> {
        let mut bytes = zeroize::Zeroizing::new([0u8; KEY_LEN / 2]);
        fill_random(bytes.as_mut())?;
        let mut text = String::with_capacity(KEY_LEN);
        for b in bytes.iter() {
            text.push(hex_digit(b >> 4));
            text.push(hex_digit(b & 0x0f));
        }
        observe::drf_token_issued();
        Ok(Self(SecretString::new(text)))
    }

    /// Checks the form of a presented key: exactly [`KEY_LEN`] lowercase hex
    /// characters (what DRF generates; anything else matches no row).
    ///
    /// # Errors
    /// [`ApiKeyError::Malformed`].
    pub fn parse(text: &str) -> Result<Self, ApiKeyError> {
        if !is_drf_key(text) {
            observe::drf_token_refused("malformed");
            return Err(ApiKeyError::Malformed {
                reason: "a DRF token is 40 lowercase hexadecimal characters",
            });
        }
        Ok(Self(SecretString::new(text.to_owned())))
    }

    /// The key, to show the user once.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest to store and index: HMAC-SHA256 under the pepper (its own
    /// context, so it never equals an API key's digest).
    pub fn digest(&self, pepper: &ApiKeyPepper) -> ApiKeyDigest {
        pepper.digest_of(DIGEST_CONTEXT, self.0.expose_secret())
    }

    /// Checks the key against the stored digest in constant time, then the
    /// optional expiry ([`expiring_token_expiry`] for the expiring variant).
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
        let verdict = pepper.verify_key(
            DIGEST_CONTEXT,
            self.0.expose_secret(),
            stored,
            expires_at,
            now,
        );
        match &verdict {
            Ok(()) => observe::drf_token_verified(),
            Err(ApiKeyError::Expired) => observe::drf_token_refused("expired"),
            Err(ApiKeyError::Invalid) => {
                observe::drf_token_refused(DrfAuthError::InvalidToken.code());
            }
            // Not a verdict on the key (the system failed): nothing to report.
            Err(_) => {}
        }
        verdict
    }
}

fn is_drf_key(text: &str) -> bool {
    text.len() == KEY_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex_digit(nibble: u8) -> char {
    char::from(
        b"0123456789abcdef"
            .get(usize::from(nibble))
            .copied()
            .unwrap_or(b'0'),
    )
}

/// The end of an expiring token's life: its row's `created` plus `lifetime`
/// (the far future when that overflows).
pub fn expiring_token_expiry(created: UnixTime, lifetime: Duration) -> UnixTime {
    created
        .checked_add(lifetime)
        .unwrap_or(UnixTime::from_nanos(u64::MAX))
}

/// The credential in an `Authorization` header value, as `TokenAuthentication`
/// finds it.
///
/// The value is split on ASCII whitespace as Python's `bytes.split()` does;
/// `Ok(None)` when it is empty or its first word is not `keyword` (compared
/// ignoring ASCII case, as DRF does), so another authenticator may take it. Pass
/// the credential to [`DrfToken::parse`] (or, while migrating,
/// [`parse_presented_key`]); text of neither form is
/// [`DrfAuthError::InvalidToken`], the answer DRF gives when no row matches.
///
/// # Errors
/// The [`DrfAuthError`] DRF raises for the header.
pub fn parse_token_header<'a>(
    value: &'a [u8],
    keyword: &str,
) -> Result<Option<&'a str>, DrfAuthError> {
    let mut words = value
        .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
        .filter(|word| !word.is_empty());
    let Some(scheme) = words.next() else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case(keyword.as_bytes()) {
        return Ok(None);
    }
    match (words.next(), words.next()) {
        (None, _) => Err(DrfAuthError::NoCredentials),
        (Some(_), Some(_)) => Err(DrfAuthError::ContainsSpaces),
        (Some(key), None) => std::str::from_utf8(key)
            .map(Some)
            .map_err(|_| DrfAuthError::InvalidCharacters),
    }
    .inspect_err(|err| observe::drf_token_refused(err.code()))
}

/// A key presented while both forms are accepted (migration step 2).
#[derive(Debug)]
pub enum PresentedKey {
    /// A DRF key: find its row by [`DrfToken::digest`].
    Drf(DrfToken),
    /// A checksummed API key: find its row by [`ApiKey::lookup_id`].
    ApiKey(ApiKey),
}

/// Tells the two forms apart: 40 lowercase hex characters are a DRF key,
/// anything else must be a well-formed [`ApiKey`] (which always has a `_`).
///
/// # Errors
/// [`ApiKey::parse`]'s errors for text that is neither.
pub fn parse_presented_key(text: &str) -> Result<PresentedKey, ApiKeyError> {
    if is_drf_key(text) {
        return DrfToken::parse(text).map(PresentedKey::Drf);
    }
    ApiKey::parse(text).map(PresentedKey::ApiKey)
}

/// The replacement of a DRF key that just authenticated (migration step 3).
#[derive(Debug)]
#[non_exhaustive]
pub struct Replacement {
    /// The new API key: store its lookup id and digest, show it to the client once.
    pub key: ApiKey,
    /// When the DRF key should stop working: set it as the DRF row's expiry.
    pub retire_drf_token_at: UnixTime,
}

/// A new API key under `prefix` to replace a DRF key, which keeps working for
/// `grace` after `now` so clients can switch.
///
/// # Errors
/// [`ApiKey::generate`]'s errors.
pub fn migrate_to_api_key(
    prefix: &str,
    now: UnixTime,
    grace: Duration,
) -> Result<Replacement, ApiKeyError> {
    let key = ApiKey::generate(prefix)?;
    observe::drf_token_migrated(prefix);
    Ok(Replacement {
        key,
        retire_drf_token_at: expiring_token_expiry(now, grace),
    })
}
