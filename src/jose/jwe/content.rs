//! Content encryption (RFC 7518 §5): AES-GCM from ring, AES-CBC with an HMAC-SHA-2
//! tag from RustCrypto's `aes` + `cbc` and ring's HMAC.

use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ring::{aead, hmac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{ContentEncryption, JweError};

/// The ciphertext and tag of one encryption.
pub(crate) struct Sealed {
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: Vec<u8>,
}

/// Encrypts `plaintext` under `cek` (of `enc.key_len()` bytes) and `iv`.
pub(crate) fn seal(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, JweError> {
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let key = gcm_key(enc, cek)?;
            let nonce = aead::Nonce::try_assume_unique_for_key(iv)
                .map_err(|_| JweError::key("the IV has the wrong length"))?;
            let mut ciphertext = plaintext.to_vec();
            let tag = key
                .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), &mut ciphertext)
                .map_err(|_| JweError::malformed("the plaintext is too long for AES-GCM"))?;
            Ok(Sealed {
                ciphertext,
                tag: tag.as_ref().to_vec(),
            })
        }
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            let (mac_key, enc_key) = split_cbc_key(enc, cek)?;
            let ciphertext = match enc {
                ContentEncryption::A128CbcHs256 => {
                    cbc::Encryptor::<Aes128>::new_from_slices(enc_key, iv)
                        .map_err(|_| JweError::key("the CBC key or IV has the wrong length"))?
                        .encrypt_padded_vec_mut::<Pkcs7>(plaintext)
                }
                _ => cbc::Encryptor::<Aes256>::new_from_slices(enc_key, iv)
                    .map_err(|_| JweError::key("the CBC key or IV has the wrong length"))?
                    .encrypt_padded_vec_mut::<Pkcs7>(plaintext),
            };
            let tag = cbc_tag(enc, mac_key, aad, iv, &ciphertext)?;
            Ok(Sealed { ciphertext, tag })
        }
    }
}

/// Decrypts `ciphertext` in place and checks `tag`; every failure (wrong
/// lengths, tag, padding) is [`JweError::Decryption`].
pub(crate) fn open(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: Zeroizing<Vec<u8>>,
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, JweError> {
    if cek.len() != enc.key_len() {
        return Err(JweError::Decryption);
    }
    match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let key = gcm_key(enc, cek).map_err(|_| JweError::Decryption)?;
            open_gcm(&key, iv, aad, ciphertext, tag)
        }
        ContentEncryption::A128CbcHs256 | ContentEncryption::A256CbcHs512 => {
            if iv.len() != enc.iv_len() {
                return Err(JweError::Decryption);
            }
            let (mac_key, enc_key) = split_cbc_key(enc, cek).map_err(|_| JweError::Decryption)?;
            // The tag is checked first, in constant time, so the padding check below
            // only ever runs on authentic ciphertext: no padding oracle.
            let expected =
                cbc_tag(enc, mac_key, aad, iv, &ciphertext).map_err(|_| JweError::Decryption)?;
            let tag_ok: bool = expected.ct_eq(tag).into();
            if !tag_ok {
                return Err(JweError::Decryption);
            }
            let plaintext = match enc {
                ContentEncryption::A128CbcHs256 => {
                    cbc::Decryptor::<Aes128>::new_from_slices(enc_key, iv)
                        .map_err(|_| JweError::Decryption)?
                        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
                }
                _ => cbc::Decryptor::<Aes256>::new_from_slices(enc_key, iv)
                    .map_err(|_| JweError::Decryption)?
                    .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext),
            };
            plaintext
                .map(Zeroizing::new)
                .map_err(|_| JweError::Decryption)
        }
    }
}

/// AES-GCM open of `ciphertext` in place, with the tag apart, under an expanded key.
pub(crate) fn open_gcm(
    key: &aead::LessSafeKey,
    iv: &[u8],
    aad: &[u8],
    mut ciphertext: Zeroizing<Vec<u8>>,
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| JweError::Decryption)?;
    let tag = aead::Tag::try_from(tag).map_err(|_| JweError::Decryption)?;
    key.open_in_place_separate_tag(nonce, aead::Aad::from(aad), tag, &mut ciphertext, 0..)
        .map_err(|_| JweError::Decryption)?;
    Ok(ciphertext)
}

/// The expanded AES-GCM key a `dir` key of this length stands for, made once.
pub(crate) fn dir_gcm_key(cek: &[u8]) -> Option<(ContentEncryption, aead::LessSafeKey)> {
    let enc = match cek.len() {
        16 => ContentEncryption::A128Gcm,
        32 => ContentEncryption::A256Gcm,
        _ => return None,
    };
    gcm_key(enc, cek).ok().map(|key| (enc, key))
}

fn gcm_key(enc: ContentEncryption, cek: &[u8]) -> Result<aead::LessSafeKey, JweError> {
    let alg = match enc {
        ContentEncryption::A128Gcm => &aead::AES_128_GCM,
        _ => &aead::AES_256_GCM,
    };
    aead::UnboundKey::new(alg, cek)
        .map(aead::LessSafeKey::new)
        .map_err(|_| JweError::key("the content key has the wrong length"))
}

/// RFC 7518 §5.2.2.1: the first half of the CEK is the MAC key, the second the AES key.
fn split_cbc_key(enc: ContentEncryption, cek: &[u8]) -> Result<(&[u8], &[u8]), JweError> {
    if cek.len() != enc.key_len() {
        return Err(JweError::key("the content key has the wrong length"));
    }
    Ok(cek.split_at(enc.key_len() / 2))
}

/// RFC 7518 §5.2.2.1: HMAC over AAD || IV || ciphertext || AL (the AAD's bit
/// length, 64-bit big-endian), cut to the first half.
fn cbc_tag(
    enc: ContentEncryption,
    mac_key: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, JweError> {
    let alg = match enc {
        ContentEncryption::A128CbcHs256 => hmac::HMAC_SHA256,
        _ => hmac::HMAC_SHA512,
    };
    let aad_bits = u64::try_from(aad.len())
        .ok()
        .and_then(|len| len.checked_mul(8))
        .ok_or_else(|| JweError::malformed("the protected header is too long"))?;
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(alg, mac_key));
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    ctx.update(&aad_bits.to_be_bytes());
    let full = ctx.sign();
    let half = mac_key.len();
    full.as_ref()
        .get(..half)
        .map(<[u8]>::to_vec)
        .ok_or(JweError::Decryption)
}
