//! serde support: a struct field that is stored sealed.
//!
//! [`Encrypted<T>`] serializes as the sealed text, so a struct that derives
//! `Serialize`/`Deserialize` stores and loads the field encrypted with no glue
//! code. The key and the context reach it explicitly, never through globals:
//! [`Encrypted::seal`] and [`Encrypted::open`] take the [`SealedKeyset`] (built
//! once at start-up, e.g. with [`SealedKeyset::from_env`]) and the [`Context`] of
//! the row the value belongs to. The value is JSON inside the envelope.
//!
//! ```
//! use portcullis::crypto::field::Encrypted;
//! use portcullis::crypto::sealed::{Context, SealedKey, SealedKeyset};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Account {
//!     id: u64,
//!     oauth_token: Encrypted<String>,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = SealedKeyset::new(SealedKey::generate("k1")?);
//! let ctx = Context::row("accounts", "oauth_token", "42");
//! let account = Account { id: 42, oauth_token: Encrypted::seal(&"ya29.token".to_owned(), &keys, &ctx)? };
//!
//! let stored = serde_json::to_string(&account)?; // {"id":42,"oauth_token":"s1.k1...."}
//! assert!(!stored.contains("ya29"));
//! let loaded: Account = serde_json::from_str(&stored)?;
//! assert_eq!(loaded.oauth_token.open(&keys, &ctx)?, "ya29.token");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::CryptoError;
use super::sealed::{Context, SealedKeyset};

/// A `T` stored as sealed text; it (de)serializes as that text.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub struct Encrypted<T> {
    sealed: String,
    #[serde(skip)]
    value_type: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Encrypted<T> {
    /// Seals `value` (as JSON) under the keyset's primary key, bound to `context`.
    ///
    /// # Errors
    /// [`CryptoError::Serialization`] if `value` cannot be JSON, or a sealing error.
    pub fn seal(value: &T, keys: &SealedKeyset, context: &Context) -> Result<Self, CryptoError> {
        let json =
            Zeroizing::new(serde_json::to_vec(value).map_err(|_| CryptoError::Serialization)?);
        Ok(Self::from_sealed(keys.seal(&json, context)?))
    }

    /// Opens the value; `context` must be the one it was sealed with.
    ///
    /// The returned `T` is an ordinary value: wipe it yourself if it is a secret.
    ///
    /// # Errors
    /// The errors of [`SealedKeyset::open`], or [`CryptoError::Serialization`] if
    /// the decrypted JSON does not fit `T`.
    pub fn open(&self, keys: &SealedKeyset, context: &Context) -> Result<T, CryptoError> {
        let plain = keys.open(&self.sealed, context)?;
        serde_json::from_slice(plain.expose_secret()).map_err(|_| CryptoError::Serialization)
    }

    /// Re-seals under the keyset's primary key (key rotation).
    ///
    /// # Errors
    /// As [`SealedKeyset::reseal`].
    pub fn reseal(&self, keys: &SealedKeyset, context: &Context) -> Result<Self, CryptoError> {
        Ok(Self::from_sealed(keys.reseal(&self.sealed, context)?))
    }
}

impl<T> Encrypted<T> {
    /// Wraps sealed text read from storage (checked only when opened).
    pub fn from_sealed(sealed: String) -> Self {
        Self {
            sealed,
            value_type: PhantomData,
        }
    }

    /// The sealed text, as stored.
    pub fn as_sealed(&self) -> &str {
        &self.sealed
    }
}

impl<T> Clone for Encrypted<T> {
    fn clone(&self) -> Self {
        Self::from_sealed(self.sealed.clone())
    }
}

impl<T> PartialEq for Encrypted<T> {
    fn eq(&self, other: &Self) -> bool {
        self.sealed == other.sealed
    }
}

impl<T> Eq for Encrypted<T> {}

impl<T> fmt::Debug for Encrypted<T> {
    /// The sealed text is ciphertext, safe to show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Encrypted").field(&self.sealed).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sealed::SealedKey;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Card {
        number: String,
        expiry: (u8, u16),
    }

    #[test]
    fn struct_values_round_trip_and_bind_to_context() {
        let keys = SealedKeyset::new(SealedKey::generate("k").unwrap());
        let ctx = Context::row("cards", "data", "1");
        let card = Card {
            number: "4111".into(),
            expiry: (12, 2030),
        };
        let field = Encrypted::seal(&card, &keys, &ctx).unwrap();
        let json = serde_json::to_string(&field).unwrap();
        assert!(json.starts_with("\"s1.k."));
        let back: Encrypted<Card> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, field);
        assert_eq!(back.open(&keys, &ctx).unwrap(), card);
        assert!(
            back.open(&keys, &Context::row("cards", "data", "2"))
                .is_err()
        );
        let wrong_type: Encrypted<u32> = Encrypted::from_sealed(field.as_sealed().to_owned());
        assert_eq!(
            wrong_type.open(&keys, &ctx).unwrap_err(),
            CryptoError::Serialization
        );
        assert_eq!(
            back.reseal(&keys, &ctx).unwrap().open(&keys, &ctx).unwrap(),
            card
        );
        assert!(format!("{back:?}").starts_with("Encrypted(\"s1.k."));
    }
}
