//! Nested tokens (RFC 7519 section 11.2): the token engine signs, then encrypts,
//! so the client holding an access token cannot read its claims.
//!
//! [`NestedJwe`] is the token room's [`Nesting`] layer: set it as
//! [`TokenConfig::nesting`] and every token the engine issues (access, refresh,
//! sliding) is a compact JWE with `cty: "JWT"` around the usual signed JWS; every
//! token it verifies is decrypted first, then checked exactly as a plain one.
//! Refresh, rotation and revocation see the same claims, so they work unchanged.
//!
//! Decrypting is strict as [`crate::jose::jwe`] is (the key fixes the family, the
//! configured `alg` is the only one accepted, the configured `enc` and `cty: JWT`
//! are required), and every failure that involves the key is the token room's one
//! opaque [`Invalid::Signature`].
//!
//! A plain JWS presented where nested tokens are configured is refused with
//! [`Invalid::NotEncrypted`] by default. During the move to nested tokens, while
//! plain tokens issued before it are still live, [`NestedJwe::accept_plain_jws`]
//! verifies them as before (signature and every claim rule still apply; only their
//! claims were readable). Tokens issued are nested either way.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::jose::jwe::{ContentEncryption, JweKey, KeyManagement};
//! use portcullis::jose::nested::NestedJwe;
//! use portcullis::secret::SecretBytes;
//! use portcullis::token::{Algorithm, Keyring, SigningKey, TokenConfig, Tokens, TokenKind};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwe_key = JweKey::from_jwk(
//!     r#"{"kty":"oct","k":"qC57l_uxcm7Nm3K-ct4GFjx8tM1U8CZ0NLBvdQstiS8"}"#,
//! )?;
//! let mut config = TokenConfig::hardened();
//! config.nesting = Some(NestedJwe::new(jwe_key, KeyManagement::Dir, ContentEncryption::A256Gcm)?.into());
//! let secret = SecretBytes::from_slice(b"a signing secret of at least 32 bytes");
//! let tokens = Tokens::new(config, Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret)?))?;
//!
//! let now = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//! let access = tokens.issue(TokenKind::Access, "42", &(), now)?;
//! assert_eq!(access.split('.').count(), 5, "a compact JWE");
//! let verified = tokens.verify(&access, Some(TokenKind::Access), now)?;
//! assert_eq!(verified.claims().user_id(), Some("42"));
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;

use serde_json::Value;

use super::jwe::{self, ContentEncryption, JweDecryptor, JweError, JweKey, KeyManagement};
#[cfg(doc)]
use crate::token::TokenConfig;
use crate::token::{Invalid, Nesting, TokenError};

/// What [`NestedJwe`] does with a plain (signed, not encrypted) JWS presented for
/// verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlainJws {
    /// Refused with [`Invalid::NotEncrypted`] (the default).
    Refused,
    /// Verified as a plain token (for the move to nested tokens).
    Accepted,
}

/// The nested-token layer: one JWE key, the `alg` and `enc` tokens are encrypted
/// with, and what to do with a plain JWS.
#[derive(Debug)]
pub struct NestedJwe {
    decryptor: JweDecryptor,
    alg: KeyManagement,
    enc: ContentEncryption,
    plain_jws: PlainJws,
}

impl NestedJwe {
    /// A layer encrypting to `key` with `alg` and `enc`, refusing plain JWS tokens.
    ///
    /// The key must be able to decrypt (an `oct` key, or a private EC/OKP key),
    /// since the engine verifies what it issues. One trial encryption checks the
    /// key against `alg` and `enc` here rather than at the first issue.
    ///
    /// # Errors
    /// [`JweError::InvalidKey`] for a public key or a `dir` key of the wrong
    /// length; [`JweError::AlgorithmNotAllowed`] when the key does not allow `alg`
    /// or `enc`.
    pub fn new(key: JweKey, alg: KeyManagement, enc: ContentEncryption) -> Result<Self, JweError> {
        if !key.can_decrypt() {
            return Err(JweError::key(
                "a nested-token key must decrypt: the engine verifies the tokens it issues",
            ));
        }
        jwe::encrypt_jwt(&key, alg, enc, "")?;
        Ok(Self {
            decryptor: JweDecryptor::new(key).expect_alg(alg),
            alg,
            enc,
            plain_jws: PlainJws::Refused,
        })
    }

    /// Also verifies plain JWS tokens (see [`PlainJws::Accepted`]).
    #[must_use]
    pub const fn accept_plain_jws(mut self) -> Self {
        self.plain_jws = PlainJws::Accepted;
        self
    }

    /// What this layer does with a plain JWS.
    #[must_use]
    pub const fn plain_jws(&self) -> PlainJws {
        self.plain_jws
    }
}

const fn invalid(why: Invalid) -> TokenError {
    TokenError::Invalid(why)
}

fn token_error(e: JweError) -> TokenError {
    match e {
        JweError::TooLarge { .. } => invalid(Invalid::TooLarge),
        JweError::Malformed { .. } => invalid(Invalid::Malformed),
        JweError::UnsupportedAlgorithm { .. } | JweError::AlgorithmNotAllowed { .. } => {
            invalid(Invalid::Algorithm)
        }
        JweError::Decryption => invalid(Invalid::Signature),
        e @ (JweError::InvalidKey { .. }
        | JweError::InvalidConfig { .. }
        | JweError::RandomUnavailable) => TokenError::Key(e.to_string()),
    }
}

impl Nesting for NestedJwe {
    fn seal(&self, jws: String) -> Result<String, TokenError> {
        jwe::encrypt_jwt(self.decryptor.key(), self.alg, self.enc, &jws).map_err(token_error)
    }

    fn open<'a>(&self, token: &'a str, max_bytes: usize) -> Result<Cow<'a, str>, TokenError> {
        if token.len() > max_bytes {
            return Err(invalid(Invalid::TooLarge));
        }
        match (token.bytes().filter(|b| *b == b'.').count(), self.plain_jws) {
            (2, PlainJws::Accepted) => return Ok(Cow::Borrowed(token)),
            (2, PlainJws::Refused) => return Err(invalid(Invalid::NotEncrypted)),
            (4, _) => {}
            _ => return Err(invalid(Invalid::Malformed)),
        }
        let opened = self.decryptor.decrypt(token).map_err(token_error)?;
        let header = opened.header();
        if header.get("enc").and_then(Value::as_str) != Some(self.enc.name()) {
            return Err(invalid(Invalid::Algorithm));
        }
        if !header
            .get("cty")
            .and_then(Value::as_str)
            .is_some_and(|cty| cty.eq_ignore_ascii_case("JWT"))
        {
            return Err(invalid(Invalid::ForbiddenHeader));
        }
        let jws =
            std::str::from_utf8(opened.plaintext()).map_err(|_| invalid(Invalid::Malformed))?;
        Ok(Cow::Owned(jws.to_owned()))
    }
}
