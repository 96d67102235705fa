//! Decrypted bytes in a buffer that is wiped when dropped.

use std::fmt;

use zeroize::Zeroize;

/// Decrypted data: the whole allocation (spare capacity included) is wiped on
/// drop, `Debug` shows only the length, and copies are made on purpose.
///
/// Field values are usually secrets (OAuth tokens, API keys, personal data), so
/// the decrypting side owns the only copy and decides how long it lives.
pub struct Plaintext(Vec<u8>);

impl Plaintext {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The decrypted bytes. The name makes every use of the secret visible in review.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as UTF-8 text, if they are.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The number of bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves the bytes into a [`SecretBytes`](crate::secret::SecretBytes) (the
    /// buffer is copied exactly and the original wiped).
    pub fn into_secret_bytes(self) -> crate::secret::SecretBytes {
        crate::secret::SecretBytes::from_slice(&self.0)
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // The slice wipe is a bulk fill behind an optimisation barrier; `Vec`'s
        // own `zeroize` writes byte by byte, which costs ~10% of a 1 MiB decrypt.
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

impl PartialEq<[u8]> for Plaintext {
    /// Plain comparison, for tests and non-secret checks; use constant-time
    /// equality for secrets compared against attacker input.
    fn eq(&self, other: &[u8]) -> bool {
        self.0.as_slice() == other
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext([REDACTED; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_length_only() {
        let p = Plaintext::new(b"oauth-token".to_vec());
        assert_eq!(format!("{p:?}"), "Plaintext([REDACTED; 11 bytes])");
        assert_eq!(p.as_str(), Some("oauth-token"));
        assert!(p == *b"oauth-token".as_slice());
        assert_eq!(p.into_secret_bytes().expose_secret(), b"oauth-token");
    }
}
