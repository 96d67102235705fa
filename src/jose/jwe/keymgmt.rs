//! Key management (RFC 7518 §4): AES key wrap (RustCrypto `aes-kw`), ECDH-ES with
//! the Concat KDF (§4.6.2). The sender's ephemeral agreement runs on ring; the
//! recipient's static key needs `p256` and `x25519-dalek`, since ring's agreement
//! takes only ephemeral private keys.

use aes_kw::{KekAes128, KekAes256};
use ring::{agreement, digest, rand::SystemRandom};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::key::{Material, b64, p256_public};
use super::{JweError, JweKey};

/// Wraps `cek` under `kek` (16 or 32 bytes) with RFC 3394 AES key wrap.
pub(crate) fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>, JweError> {
    let wrapped = if let Ok(k) = <[u8; 16]>::try_from(kek) {
        KekAes128::from(k).wrap_vec(cek)
    } else if let Ok(k) = <[u8; 32]>::try_from(kek) {
        KekAes256::from(k).wrap_vec(cek)
    } else {
        return Err(JweError::key("an AES key-wrapping key is 16 or 32 bytes"));
    };
    wrapped.map_err(|_| JweError::key("the content key cannot be wrapped"))
}

/// Unwraps; `None` for any failure (the caller goes on with a random key, so a
/// failed unwrap costs the same as a failed tag).
pub(crate) fn unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let unwrapped = if let Ok(k) = <[u8; 16]>::try_from(kek) {
        KekAes128::from(k).unwrap_vec(wrapped)
    } else {
        KekAes256::from(<[u8; 32]>::try_from(kek).ok()?).unwrap_vec(wrapped)
    };
    unwrapped.ok().map(Zeroizing::new)
}

/// The Concat KDF parameters other than the shared secret.
pub(crate) struct KdfInput<'a> {
    /// `enc` for direct ECDH-ES, else `alg`.
    pub(crate) algorithm_id: &'a str,
    pub(crate) apu: &'a [u8],
    pub(crate) apv: &'a [u8],
    /// The derived key's length in bytes.
    pub(crate) key_len: usize,
}

/// RFC 7518 §4.6.2 (NIST SP 800-56A Concat KDF) with SHA-256.
pub(crate) fn concat_kdf(z: &[u8], input: &KdfInput<'_>) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let too_long = || JweError::malformed("`apu` or `apv` is too long");
    let len32 = |n: usize| {
        u32::try_from(n)
            .map(u32::to_be_bytes)
            .map_err(|_| too_long())
    };
    let key_bits = input.key_len.checked_mul(8).ok_or_else(too_long)?;
    let mut out = Zeroizing::new(Vec::with_capacity(input.key_len + 32));
    let mut counter: u32 = 1;
    while out.len() < input.key_len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&len32(input.algorithm_id.len())?);
        ctx.update(input.algorithm_id.as_bytes());
        ctx.update(&len32(input.apu.len())?);
        ctx.update(input.apu);
        ctx.update(&len32(input.apv.len())?);
        ctx.update(input.apv);
        ctx.update(&len32(key_bits)?);
        out.extend_from_slice(ctx.finish().as_ref());
        counter = counter.checked_add(1).ok_or_else(too_long)?;
    }
    out.truncate(input.key_len);
    Ok(out)
}

/// The sender's side: a fresh ephemeral key on the recipient's curve; returns the
/// `epk` header value and the derived key.
pub(crate) fn agree_ephemeral(
    recipient: &JweKey,
    input: &KdfInput<'_>,
) -> Result<(Value, Zeroizing<Vec<u8>>), JweError> {
    let rng = SystemRandom::new();
    let (curve, peer, crv, kty) = match &recipient.material {
        Material::P256 { public, .. } => {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let point = public.to_encoded_point(false).as_bytes().to_vec();
            (&agreement::ECDH_P256, point, "P-256", "EC")
        }
        Material::X25519 { public, .. } => (&agreement::X25519, public.to_vec(), "X25519", "OKP"),
        Material::Oct(_) => return Err(JweError::key("ECDH-ES needs an EC or OKP key")),
    };
    let private = agreement::EphemeralPrivateKey::generate(curve, &rng)
        .map_err(|_| JweError::RandomUnavailable)?;
    let public = private
        .compute_public_key()
        .map_err(|_| JweError::RandomUnavailable)?;
    let mut epk = Map::new();
    epk.insert("kty".into(), kty.into());
    epk.insert("crv".into(), crv.into());
    let encode = |bytes: &[u8]| -> Value {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(bytes)
            .into()
    };
    match public.as_ref() {
        [4, xy @ ..] if kty == "EC" && xy.len() == 64 => {
            let (x, y) = xy.split_at(32);
            epk.insert("x".into(), encode(x));
            epk.insert("y".into(), encode(y));
        }
        x if kty == "OKP" => {
            epk.insert("x".into(), encode(x));
        }
        _ => return Err(JweError::key("unexpected ephemeral public key encoding")),
    }
    let derived = agreement::agree_ephemeral(
        private,
        &agreement::UnparsedPublicKey::new(curve, peer),
        |z| concat_kdf(z, input),
    )
    .map_err(|_| JweError::key("the recipient's public key was refused"))??;
    Ok((Value::Object(epk), derived))
}

/// The recipient's side: validates `epk` against the key's curve and derives the key.
///
/// A malformed `epk` is [`JweError::Malformed`]: it is public. A low-order or
/// all-zero agreement is [`JweError::Decryption`].
pub(crate) fn agree_static(
    recipient: &JweKey,
    epk: &Value,
    input: &KdfInput<'_>,
) -> Result<Zeroizing<Vec<u8>>, JweError> {
    let epk = epk
        .as_object()
        .ok_or(JweError::malformed("`epk` must be a JWK object"))?;
    if epk.contains_key("d") {
        return Err(JweError::malformed("`epk` holds a private key"));
    }
    let member = |name: &str| -> Result<[u8; 32], JweError> {
        let text = epk
            .get(name)
            .and_then(Value::as_str)
            .ok_or(JweError::malformed("`epk` lacks a coordinate"))?;
        let bytes = b64(text, "").map_err(|_| JweError::malformed("`epk` is not base64url"))?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| JweError::malformed("an `epk` coordinate is not 32 bytes"))
    };
    let kty = epk.get("kty").and_then(Value::as_str);
    let crv = epk.get("crv").and_then(Value::as_str);
    match &recipient.material {
        Material::P256 { secret, .. } => {
            if (kty, crv) != (Some("EC"), Some("P-256")) {
                return Err(JweError::malformed(
                    "`epk` is not on the key's curve (P-256)",
                ));
            }
            let peer = p256_public(&member("x")?, &member("y")?)
                .map_err(|_| JweError::malformed("`epk` is not a point on P-256"))?;
            let secret = secret
                .as_ref()
                .ok_or(JweError::key("decryption needs the private key (`d`)"))?;
            let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
            concat_kdf(shared.raw_secret_bytes(), input)
        }
        Material::X25519 { secret, .. } => {
            if (kty, crv) != (Some("OKP"), Some("X25519")) {
                return Err(JweError::malformed(
                    "`epk` is not on the key's curve (X25519)",
                ));
            }
            let peer = member("x")?;
            if peer == [0u8; 32] {
                return Err(JweError::malformed("`epk` is the all-zero X25519 point"));
            }
            let secret = secret
                .as_ref()
                .ok_or(JweError::key("decryption needs the private key (`d`)"))?;
            let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
            if !shared.was_contributory() {
                return Err(JweError::Decryption);
            }
            concat_kdf(shared.as_bytes(), input)
        }
        Material::Oct(_) => Err(JweError::key("ECDH-ES needs an EC or OKP key")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn b64url(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap()
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 7518 Appendix C: Bob's static P-256 key, Alice's `epk`, apu/apv, the
    /// Concat KDF for A128GCM.
    #[test]
    fn rfc7518_appendix_c_ecdh_es_p256() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/data/jose/rfc7518_appendix_c.json"
        ))
        .unwrap();
        let bob = JweKey::from_jwk(&v["bob"].to_string()).unwrap();
        let (apu, apv) = (
            b64url(v["apu"].as_str().unwrap()),
            b64url(v["apv"].as_str().unwrap()),
        );
        let input = KdfInput {
            algorithm_id: v["enc"].as_str().unwrap(),
            apu: &apu,
            apv: &apv,
            key_len: 16,
        };
        let derived = agree_static(&bob, &v["epk"], &input).unwrap();
        assert_eq!(*derived, b64url(v["derived_key"].as_str().unwrap()));
    }

    /// RFC 8037 Appendix A.6: the X25519 agreement gives the RFC's Z, which then
    /// goes through the same Concat KDF.
    #[test]
    fn rfc8037_a6_ecdh_es_x25519() {
        use base64::Engine as _;
        let enc = |h: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hex(h));
        let v: Value =
            serde_json::from_str(include_str!("../../../tests/data/jose/rfc8037_a6.json")).unwrap();
        let field = |name: &str| v[name].as_str().unwrap().to_owned();
        let jwk = serde_json::json!({
            "kty": "OKP", "crv": "X25519",
            "x": enc(&field("bob_public_hex")), "d": enc(&field("bob_private_hex")),
        });
        let bob = JweKey::from_jwk(&jwk.to_string()).unwrap();
        let epk =
            serde_json::json!({"kty": "OKP", "crv": "X25519", "x": enc(&field("epk_public_hex"))});
        let input = KdfInput {
            algorithm_id: "A128GCM",
            apu: b"",
            apv: b"",
            key_len: 16,
        };
        let derived = agree_static(&bob, &epk, &input).unwrap();
        assert_eq!(derived, concat_kdf(&hex(&field("z_hex")), &input).unwrap());
    }

    #[test]
    fn low_order_x25519_epk_is_refused() {
        let bob = JweKey::from_jwk(
            r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#,
        )
        .unwrap();
        let input = KdfInput {
            algorithm_id: "A128GCM",
            apu: b"",
            apv: b"",
            key_len: 16,
        };
        // The all-zero point, then the order-1 point u = 1: neither contributes.
        let zero = serde_json::json!({"kty":"OKP","crv":"X25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
        assert!(matches!(
            agree_static(&bob, &zero, &input),
            Err(JweError::Malformed { .. })
        ));
        let one = serde_json::json!({"kty":"OKP","crv":"X25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
        assert_eq!(agree_static(&bob, &one, &input), Err(JweError::Decryption));
        let p256 = serde_json::json!({"kty":"EC","crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"});
        assert!(matches!(
            agree_static(&bob, &p256, &input),
            Err(JweError::Malformed { .. })
        ));
    }
}
