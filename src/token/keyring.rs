//! The keyring: one signing key and the verification keys, found by `kid`.

use std::collections::HashMap;

use jsonwebtoken::jwk::{Jwk, JwkSet};

use super::error::TokenError;
use super::keys::{SigningKey, VerifyingKey, key_error};

/// One signing key and the keys that verify, found by `kid`.
///
/// Rotation: [`Keyring::rotate`] makes a new key the signer and keeps the old one
/// verify-only, so its tokens stay valid; once they have expired,
/// [`Keyring::remove`] drops it. A token without `kid` (SimpleJWT writes none) is
/// checked only against the default key: the kid-less signing key, or one set with
/// [`Keyring::set_default`].
#[derive(Debug)]
pub struct Keyring {
    signing: Option<SigningKey>,
    by_kid: HashMap<String, VerifyingKey>,
    default: Option<VerifyingKey>,
}

impl Keyring {
    /// A keyring that signs with `signing` and verifies its tokens.
    pub fn new(signing: SigningKey) -> Self {
        let mut ring = Self::verify_only(signing.verifying.clone());
        ring.signing = Some(signing);
        ring
    }

    /// A keyring that only verifies (a resource server holding a public key): the
    /// key is found by its `kid`, or is the default if it has none.
    pub fn verify_only(key: VerifyingKey) -> Self {
        let mut ring = Self {
            by_kid: HashMap::new(),
            default: None,
            signing: None,
        };
        match key.kid.clone() {
            Some(kid) => {
                ring.by_kid.insert(kid, key);
            }
            None => ring.default = Some(key),
        }
        ring
    }

    /// Adds a verify-only key under its `kid`.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the key has no `kid` or the `kid` is taken.
    pub fn add_verifier(&mut self, key: VerifyingKey) -> Result<(), TokenError> {
        let kid = key
            .kid
            .clone()
            .ok_or_else(|| key_error("a verify-only key needs a kid (or use set_default)"))?;
        if self.by_kid.contains_key(&kid) {
            return Err(key_error(format!("kid `{kid}` is already in the keyring")));
        }
        self.by_kid.insert(kid, key);
        Ok(())
    }

    /// Sets the key that verifies tokens without `kid`.
    pub fn set_default(&mut self, key: VerifyingKey) {
        self.default = Some(key);
    }

    /// Makes `next` the signing key; the previous one stays, verify-only.
    ///
    /// # Errors
    /// [`TokenError::Key`] if `next` has no `kid` or its `kid` is already present.
    pub fn rotate(&mut self, next: SigningKey) -> Result<(), TokenError> {
        let kid = next
            .kid
            .clone()
            .ok_or_else(|| key_error("a rotated-in signing key needs a kid"))?;
        if self.by_kid.contains_key(&kid) {
            return Err(key_error(format!("kid `{kid}` is already in the keyring")));
        }
        self.by_kid.insert(kid, next.verifying.clone());
        self.signing = Some(next);
        Ok(())
    }

    /// Drops the verify-only key `kid`; `false` if absent or if it is the signing key.
    pub fn remove(&mut self, kid: &str) -> bool {
        if self.signing.as_ref().and_then(SigningKey::kid) == Some(kid) {
            return false;
        }
        self.by_kid.remove(kid).is_some()
    }

    /// Drops the default (kid-less) verification key, unless the signing key is kid-less.
    pub fn remove_default(&mut self) -> bool {
        if self.signing.as_ref().is_some_and(|s| s.kid.is_none()) {
            return false;
        }
        self.default.take().is_some()
    }

    /// The active signing key (`None` for a verify-only keyring).
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.as_ref()
    }

    /// The key a token's `kid` selects, if any.
    pub fn select(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => self.default.as_ref(),
        }
    }

    /// Verifies a compact JWS with any payload (a signed document rather than a
    /// token: no claim is read) by the key its `kid` selects, under the token
    /// room's header rules; returns the payload bytes (UTF-8).
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for the first rule the JWS breaks (size, framing,
    /// header, unknown key, algorithm, signature).
    pub fn verify_jws(&self, jws: &str, max_bytes: usize) -> Result<Vec<u8>, TokenError> {
        super::codec::verify_signature(jws, self, max_bytes).map(String::into_bytes)
    }

    /// Every verification key (the default first).
    pub fn verifying_keys(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.default.iter().chain(self.by_kid.values())
    }

    /// The public verification keys as a JWKS document (RFC 7517); HMAC keys are
    /// never included. Sorted by `kid` for a stable output.
    pub fn jwks(&self) -> JwkSet {
        let mut keys: Vec<Jwk> = self
            .verifying_keys()
            .filter_map(VerifyingKey::to_public_jwk)
            .collect();
        keys.sort_by(|a, b| a.common.key_id.cmp(&b.common.key_id));
        JwkSet { keys }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretBytes;
    use crate::token::Algorithm;

    fn secret() -> SecretBytes {
        SecretBytes::from_slice(&[7u8; 32])
    }

    #[test]
    fn keyring_rotation_keeps_old_keys_verify_only() {
        let first = SigningKey::hmac(Algorithm::HS256, &secret())
            .unwrap()
            .with_kid("one");
        let mut ring = Keyring::new(first);
        ring.rotate(
            SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[8; 32]))
                .unwrap()
                .with_kid("two"),
        )
        .unwrap();
        assert_eq!(ring.signing_key().and_then(SigningKey::kid), Some("two"));
        assert!(ring.select(Some("one")).is_some());
        assert!(ring.select(None).is_none());
        assert!(!ring.remove("two"));
        assert!(ring.remove("one"));
        assert!(ring.select(Some("one")).is_none());
        assert!(ring.jwks().keys.is_empty(), "HMAC keys are never published");
    }
}
