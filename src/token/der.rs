//! Reading keys from PEM and DER: PKCS#8 and PKCS#1 private keys, SubjectPublicKeyInfo
//! and PKCS#1 public keys, with a minimal DER reader that refuses truncation.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::RsaKeyPair;
use zeroize::Zeroizing;

use super::algorithm::{Algorithm, KeyFamily};
use super::error::TokenError;
use super::keys::{SigningKey, VerifyingKey, key_error};

impl SigningKey {
    /// A private key from PEM: PKCS#8 (`PRIVATE KEY`) for every family, or
    /// PKCS#1 (`RSA PRIVATE KEY`) for RSA.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the text is not such a key for `alg`.
    pub fn from_pem(alg: Algorithm, pem: &str) -> Result<Self, TokenError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(alg, &der),
            "RSA PRIVATE KEY" if alg.family() == KeyFamily::Rsa => {
                let pair = RsaKeyPair::from_der(&der)
                    .map_err(|_| key_error("not a valid PKCS#1 RSA private key"))?;
                Ok(Self::from_rsa(alg, pair))
            }
            other => Err(key_error(format!(
                "expected a `PRIVATE KEY` PEM block for {alg}, found `{other}`"
            ))),
        }
    }
}

impl VerifyingKey {
    /// A verification key from PEM: a public key (`PUBLIC KEY`, or `RSA PUBLIC KEY`)
    /// or a private key, whose public half is used.
    ///
    /// # Errors
    /// [`TokenError::Key`] if the text is not a key for `alg`.
    pub fn from_pem(alg: Algorithm, pem: &str) -> Result<Self, TokenError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" => {
                Ok(SigningKey::from_pem(alg, pem)?.verifying.clone())
            }
            "PUBLIC KEY" => Self::from_spki_der(alg, &der),
            "RSA PUBLIC KEY" if alg.family() == KeyFamily::Rsa => {
                let (n, e) = rsa_public_components(&der)?;
                Self::from_rsa_parts(alg, n, e)
            }
            other => Err(key_error(format!(
                "expected a `PUBLIC KEY` or `PRIVATE KEY` PEM block for {alg}, found `{other}`"
            ))),
        }
    }

    /// A public key from SubjectPublicKeyInfo DER (the body of a `PUBLIC KEY` PEM).
    ///
    /// # Errors
    /// [`TokenError::Key`] if it is not a public key of `alg`'s family and curve.
    pub fn from_spki_der(alg: Algorithm, der: &[u8]) -> Result<Self, TokenError> {
        let wrong = || key_error(format!("not a valid public key for {alg}"));
        let spki = der_expect(der, 0x30).map_err(|()| wrong())?;
        let (algid, rest) = der_next(spki, 0x30).map_err(|()| wrong())?;
        let (bits, _) = der_next(rest, 0x03).map_err(|()| wrong())?;
        let (oid, params) = der_next(algid, 0x06).map_err(|()| wrong())?;
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(wrong()),
        };
        // OIDs: id-ecPublicKey 1.2.840.10045.2.1, Ed25519 1.3.101.112, rsaEncryption 1.2.840.113549.1.1.1.
        const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
        const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
        const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                let (curve, _) = der_next(params, 0x06).map_err(|()| wrong())?;
                let want = if alg == Algorithm::ES256 { P256 } else { P384 };
                if oid != EC || curve != want {
                    return Err(wrong());
                }
                Self::ec_point(alg, key)
            }
            Algorithm::EdDSA if oid == ED25519 => Self::ed25519(key),
            _ if alg.family() == KeyFamily::Rsa && oid == RSA => {
                let (n, e) = rsa_public_components(key)?;
                Self::from_rsa_parts(alg, n, e)
            }
            _ => Err(wrong()),
        }
    }

    /// A public key from PKCS#1 `RSAPublicKey` DER.
    #[cfg(feature = "jsonwebtoken-provider")]
    pub(crate) fn from_pkcs1_public_der(alg: Algorithm, der: &[u8]) -> Result<Self, TokenError> {
        let (n, e) = rsa_public_components(der)?;
        Self::from_rsa_parts(alg, n, e)
    }
}

/// The label and DER body of the first PEM block in `text`.
fn pem_decode(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), TokenError> {
    let bad = || key_error("not a PEM block (-----BEGIN ...----- base64 -----END ...-----)");
    let start = text.find("-----BEGIN ").ok_or_else(bad)?;
    let rest = text.get(start + "-----BEGIN ".len()..).ok_or_else(bad)?;
    let label_end = rest.find("-----").ok_or_else(bad)?;
    let label = rest.get(..label_end).ok_or_else(bad)?.to_owned();
    let body_start = label_end + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_len = rest
        .get(body_start..)
        .ok_or_else(bad)?
        .find(&end_marker)
        .ok_or_else(bad)?;
    let body = rest
        .get(body_start..body_start + body_len)
        .ok_or_else(bad)?;
    let compact = Zeroizing::new(body.split_ascii_whitespace().collect::<String>());
    let der = STANDARD.decode(compact.as_bytes()).map_err(|_| bad())?;
    Ok((label, Zeroizing::new(der)))
}

/// The contents of the DER element at the start of `input` with tag `tag`, and what follows.
fn der_next(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), ()> {
    let (&t, rest) = input.split_first().ok_or(())?;
    if t != tag {
        return Err(());
    }
    let (&first, mut rest) = rest.split_first().ok_or(())?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 3 {
            return Err(());
        }
        let (len_bytes, after) = rest.split_at_checked(count).ok_or(())?;
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    rest.split_at_checked(len).ok_or(())
}

/// The contents of `input`, which must be exactly one DER element with tag `tag`.
fn der_expect(input: &[u8], tag: u8) -> Result<&[u8], ()> {
    match der_next(input, tag)? {
        (contents, []) => Ok(contents),
        _ => Err(()),
    }
}

/// `(n, e)` from a PKCS#1 `RSAPublicKey` DER.
pub(super) fn rsa_public_components(der: &[u8]) -> Result<(&[u8], &[u8]), TokenError> {
    let wrong = || key_error("not a valid RSA public key");
    let seq = der_expect(der, 0x30).map_err(|()| wrong())?;
    let (n, rest) = der_next(seq, 0x02).map_err(|()| wrong())?;
    let (e, rest) = der_next(rest, 0x02).map_err(|()| wrong())?;
    if !rest.is_empty() {
        return Err(wrong());
    }
    Ok((n, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_rejects_truncation() {
        assert!(der_next(&[0x30, 0x05, 1, 2], 0x30).is_err());
        assert!(der_next(&[0x30, 0x84, 0, 0, 0, 1, 0], 0x30).is_err());
        assert_eq!(
            der_next(&[0x02, 0x01, 9, 0xff], 0x02),
            Ok((&[9u8][..], &[0xffu8][..]))
        );
        assert!(pem_decode("-----BEGIN X-----\n!!\n-----END X-----").is_err());
    }
}
