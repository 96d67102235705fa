//! The engine's keyring at run time: rotation, verify-only keys (one at a time or a
//! JWKS), and removing keys once their tokens have expired. Every key added must use
//! an algorithm the configuration allows.

use jsonwebtoken::jwk::JwkSet;

use super::{Tokens, check_algorithm};
use crate::token::error::TokenError;
use crate::token::{Algorithm, SigningKey, VerifyingKey};
#[cfg(doc)]
use crate::token::{Invalid, Keyring};

impl Tokens {
    fn check_algorithm(&self, alg: Algorithm) -> Result<(), TokenError> {
        check_algorithm(&self.config, alg)
    }

    /// Rotation: makes `next` the signing key, keeping the old one verify-only.
    ///
    /// # Errors
    /// As [`Keyring::rotate`], or [`TokenError::Config`] if `next`'s algorithm is not
    /// in `algorithms`.
    pub fn rotate_signing_key(&mut self, next: SigningKey) -> Result<(), TokenError> {
        self.check_algorithm(next.algorithm())?;
        self.keyring.rotate(next)
    }

    /// Adds a verify-only key (from another issuer, or a key rotated out elsewhere).
    ///
    /// # Errors
    /// As [`Keyring::add_verifier`], or [`TokenError::Config`] for its algorithm.
    pub fn add_verifying_key(&mut self, key: VerifyingKey) -> Result<(), TokenError> {
        self.check_algorithm(key.algorithm())?;
        self.keyring.add_verifier(key)
    }

    /// Adds every key of a JWKS document as a verify-only key (see
    /// [`VerifyingKey::from_jwks`]); nothing is added if any key is refused.
    ///
    /// # Errors
    /// [`TokenError::Key`] or [`TokenError::Config`] for the first unusable key.
    pub fn add_jwks(&mut self, set: &JwkSet) -> Result<usize, TokenError> {
        let keys = VerifyingKey::from_jwks(set)?;
        for key in &keys {
            self.check_algorithm(key.algorithm())?;
            let kid = key.kid().unwrap_or_default();
            if self.keyring.select(Some(kid)).is_some()
                || keys.iter().filter(|k| k.kid() == Some(kid)).count() > 1
            {
                return Err(TokenError::Key(format!(
                    "kid `{kid}` is already in the keyring"
                )));
            }
        }
        let count = keys.len();
        for key in keys {
            self.keyring.add_verifier(key)?;
        }
        Ok(count)
    }

    /// Drops a verify-only key once its tokens have expired; `false` if absent or signing.
    pub fn remove_key(&mut self, kid: &str) -> bool {
        self.keyring.remove(kid)
    }

    /// Drops the default (kid-less) verification key, as [`Keyring::remove_default`]:
    /// the last step of a move away from a kid-less key (SimpleJWT's), once
    /// [`Tokens::rotate_signing_key`] has made a key with a `kid` the signer and the
    /// old tokens have expired. Kid-less tokens then fail with
    /// [`Invalid::UnknownKey`]. `false` if there is no default key or the signing
    /// key itself is kid-less (it is not removed then).
    pub fn remove_default_key(&mut self) -> bool {
        self.keyring.remove_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretBytes;
    use crate::token::Keyring;
    use crate::token::config::TokenConfig;

    #[test]
    fn remove_default_key_only_after_a_kid_signer_takes_over() {
        let secret = SecretBytes::from_slice(&[7u8; 32]);
        let keyring = Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret).unwrap());
        let mut tokens = Tokens::new(TokenConfig::simplejwt_defaults(), keyring).unwrap();
        assert!(!tokens.remove_default_key(), "the kid-less signer stays");
        assert!(tokens.keyring().select(None).is_some());
        let next = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[8u8; 32]))
            .unwrap()
            .with_kid("next");
        tokens.rotate_signing_key(next).unwrap();
        assert!(tokens.remove_default_key());
        assert!(tokens.keyring().select(None).is_none());
        assert!(!tokens.remove_default_key(), "already gone");
        assert!(tokens.keyring().select(Some("next")).is_some());
    }
}
