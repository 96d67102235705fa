//! XChaCha20-Poly1305, the AEAD under [`sealed`](super::sealed).
//!
//! The standard construction (draft-irtf-cfrg-xchacha, as in libsodium): HChaCha20
//! of the key and the first 16 nonce bytes gives a per-message subkey, then
//! ChaCha20-Poly1305 (RFC 8439) runs under that subkey with the nonce
//! `0u32 ‖ nonce[16..24]`. HChaCha20 comes from the `chacha20` crate and
//! ChaCha20-Poly1305 from `ring`, whose vectorised code is several times faster
//! than a portable implementation; nothing here is a new primitive. The Wycheproof
//! XChaCha20-Poly1305 vectors run through this layer (`tests/crypto_wycheproof.rs`),
//! and the `chacha20poly1305` crate is the cross-check in the same test.
//!
//! The 192-bit nonce is what makes random nonces safe: collisions are negligible
//! for any number of messages a key will ever see.
//!
//! The long-term key is wiped on drop. The per-message subkey is wiped once ring
//! has it; ring's own copy in its key schedule is not (ring does not zeroize),
//! and it opens only the one message whose nonce derived it.

use std::fmt;

use chacha20::hchacha;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use super::CryptoError;
use crate::secret::KeyError;
use crate::secret::{KeyLength, KeyOrigin, SecretBytes};

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes (192 bits).
pub const NONCE_LEN: usize = 24;
/// Authentication tag length in bytes.
pub const TAG_LEN: usize = 16;

/// An XChaCha20-Poly1305 key: wiped on drop, redacted in `Debug`, not `Clone`.
///
/// ```
/// use portcullis::crypto::aead::XChaCha20Poly1305;
/// use portcullis::secret::SecretBytes;
///
/// # fn main() -> Result<(), portcullis::crypto::CryptoError> {
/// let aead = XChaCha20Poly1305::new(&SecretBytes::generate(32)?)?;
/// let nonce = [7u8; 24];
/// let mut buf = b"hello".to_vec();
/// aead.seal_in_place(&nonce, b"context", &mut buf)?;
/// assert_eq!(buf.len(), 5 + 16);
/// let plain = aead.open_in_place(&nonce, b"context", &mut buf)?;
/// assert_eq!(plain, b"hello");
/// # Ok(())
/// # }
/// ```
pub struct XChaCha20Poly1305 {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl XChaCha20Poly1305 {
    /// A cipher under a 32-byte key.
    ///
    /// # Errors
    /// [`KeyError::WrongLength`] unless the key is exactly 32 bytes.
    pub fn new(key: &SecretBytes) -> Result<Self, CryptoError> {
        let bytes = key.expose_secret();
        let mut array = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(KeyError::WrongLength {
                origin: KeyOrigin::Inline,
                expected: KeyLength::Exactly(KEY_LEN),
                actual: bytes.len(),
            }
            .into());
        }
        array.copy_from_slice(bytes);
        Ok(Self { key: array })
    }

    /// The per-message ChaCha20-Poly1305 key and nonce for a 24-byte nonce.
    fn derive(&self, nonce: &[u8]) -> Result<(LessSafeKey, Nonce), CryptoError> {
        let (prefix, suffix) = nonce
            .split_first_chunk::<16>()
            .filter(|(_, rest)| rest.len() == NONCE_LEN - 16)
            .ok_or(CryptoError::InvalidToken)?;
        let mut subkey = hchacha::<chacha20::R20>((&*self.key).into(), prefix.into());
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, subkey.as_slice());
        subkey.as_mut_slice().zeroize();
        let key = LessSafeKey::new(unbound.map_err(|_| CryptoError::InvalidToken)?);
        let mut inner_nonce = [0u8; 12];
        if let Some(tail) = inner_nonce.get_mut(4..) {
            tail.copy_from_slice(suffix);
        }
        Ok((key, Nonce::assume_unique_for_key(inner_nonce)))
    }

    /// Encrypts `in_out` in place and appends the 16-byte tag. `nonce` must be 24
    /// bytes and never repeat under this key (draw it at random).
    ///
    /// # Errors
    /// [`CryptoError::InvalidToken`] for a nonce that is not 24 bytes or a message
    /// beyond ChaCha20's 256 GiB limit.
    pub fn seal_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let (key, nonce) = self.derive(nonce)?;
        key.seal_in_place_append_tag(nonce, Aad::from(aad), in_out)
            .map_err(|_| CryptoError::InvalidToken)
    }

    /// Encrypts `in_out` in place and returns the tag separately.
    ///
    /// # Errors
    /// As [`seal_in_place`](Self::seal_in_place).
    pub fn seal_in_place_separate_tag(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        let (key, nonce) = self.derive(nonce)?;
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), in_out)
            .map_err(|_| CryptoError::InvalidToken)?;
        <[u8; TAG_LEN]>::try_from(tag.as_ref()).map_err(|_| CryptoError::InvalidToken)
    }

    /// The key as padded base64url text, wiped on drop.
    pub(crate) fn key_text(&self) -> crate::secret::SecretString {
        SecretBytes::from_slice(&*self.key).encode(crate::secret::Encoding::Base64Url)
    }

    /// Checks the tag at the end of `in_out` (ciphertext ‖ tag) and decrypts in
    /// place; returns the plaintext, a prefix of `in_out`. On failure the buffer
    /// holds no plaintext.
    ///
    /// # Errors
    /// [`CryptoError::InvalidToken`] for a bad tag, wrong `aad`, wrong key, a nonce
    /// that is not 24 bytes, or input shorter than a tag.
    pub fn open_in_place<'a>(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &'a mut [u8],
    ) -> Result<&'a mut [u8], CryptoError> {
        let (key, nonce) = self.derive(nonce)?;
        key.open_in_place(nonce, Aad::from(aad), in_out)
            .map_err(|_| CryptoError::InvalidToken)
    }
}

impl fmt::Debug for XChaCha20Poly1305 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("XChaCha20Poly1305([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
    #[test]
    fn draft_xchacha_vector() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let expected_ct = hex(concat!(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb",
            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452",
            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9",
            "21f9664c97637da9768812f615c68b13b52e"
        ));
        let expected_tag = hex("c0875924c1c7987947deafd8780acf49");
        let aead = XChaCha20Poly1305::new(&SecretBytes::new(key)).unwrap();
        let mut buf = pt.to_vec();
        aead.seal_in_place(&nonce, &aad, &mut buf).unwrap();
        assert_eq!(&buf[..pt.len()], expected_ct.as_slice());
        assert_eq!(&buf[pt.len()..], expected_tag.as_slice());
        assert_eq!(aead.open_in_place(&nonce, &aad, &mut buf).unwrap(), pt);
    }

    #[test]
    fn rejects_other_nonce_sizes_and_bad_keys() {
        let aead = XChaCha20Poly1305::new(&SecretBytes::from_slice(&[1; 32])).unwrap();
        let mut buf = vec![0u8; 32];
        for len in [0, 12, 16, 23, 25, 32] {
            assert!(aead.open_in_place(&vec![0; len], b"", &mut buf).is_err());
            assert!(aead.seal_in_place(&vec![0; len], b"", &mut buf).is_err());
        }
        assert!(XChaCha20Poly1305::new(&SecretBytes::from_slice(&[1; 31])).is_err());
        assert_eq!(format!("{aead:?}"), "XChaCha20Poly1305([REDACTED])");
    }
}
