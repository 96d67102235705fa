//! The field-encryption error type.

use crate::secret::KeyError;

/// Why a field could not be encrypted or decrypted.
///
/// Everything that happens after a token is accepted for work (a bad MAC, bad
/// padding, an expired or far-future timestamp, a malformed body, a key that does
/// not fit) is the one opaque [`CryptoError::InvalidToken`], so a caller learns
/// nothing it could use as an oracle. Configuration problems are precise.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The token or sealed value is malformed, tampered with, expired, bound to
    /// another context, or not decryptable with these keys. Deliberately no detail.
    #[error("invalid token")]
    InvalidToken,
    /// The input is longer than the configured decrypt size limit; it was refused
    /// before any decoding or cryptography was done.
    #[error("input of {len} bytes exceeds the decrypt size limit of {max} bytes")]
    TooLarge {
        /// The input length (not secret).
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The sealed value names a key id the keyset does not hold (the key was
    /// retired too early, or the value comes from another keyset).
    #[error("the keyset has no key with id `{kid}`")]
    UnknownKeyId {
        /// The key id from the sealed value (validated: 1 to 32 characters of `A-Z a-z 0-9 - _`).
        kid: String,
    },
    /// A `MultiFernet` or keyset was given no keys.
    #[error("at least one key is required; the key list is empty")]
    EmptyKeyList,
    /// A key id does not follow the accepted form.
    #[error("key id `{kid}` is invalid: it must be 1 to 32 characters of A-Z a-z 0-9 - _")]
    InvalidKeyId {
        /// The offending id (ids are not secret).
        kid: String,
    },
    /// Two keys in one keyset share an id, so a sealed value could not name its key.
    #[error("key id `{kid}` appears more than once in the keyset")]
    DuplicateKeyId {
        /// The repeated id.
        kid: String,
    },
    /// A sealed-key text is not `<key id>:<base64url key>` with a valid id.
    #[error(
        "{origin} is not of the form <key id>:<base64url of 32 bytes>, with a key id of 1 to 32 characters of A-Z a-z 0-9 - _"
    )]
    MalformedSealedKey {
        /// Where the text came from ("the key" or an environment variable).
        origin: crate::secret::KeyOrigin,
    },
    /// A value could not be turned into JSON for sealing, or decrypted JSON does
    /// not fit the field's type. The serde message is withheld: it could quote
    /// the plaintext.
    #[error("the field value could not be (de)serialized as JSON for sealing")]
    Serialization,
    /// A key could not be loaded or generated.
    #[error(transparent)]
    Key(#[from] KeyError),
}
