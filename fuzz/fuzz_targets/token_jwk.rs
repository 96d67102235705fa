//! One JWK document on hostile input. The first byte picks the algorithm (`% 12`);
//! the rest is JWK JSON. Never a panic; and a JWK that loads as a public key
//! round-trips: its exported JWK carries the same key material, `alg`, `kid` and
//! `use: sig`, and loads back to a key exporting the same JWK.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use portcullis::token::{Algorithm, KeyFamily, VerifyingKey};

/// The key material of a JWK, as its members are written.
fn material(params: &AlgorithmParameters) -> Vec<String> {
    match params {
        AlgorithmParameters::EllipticCurve(p) => vec![p.x.clone(), p.y.clone()],
        AlgorithmParameters::OctetKeyPair(p) => vec![p.x.clone()],
        AlgorithmParameters::RSA(p) => vec![p.n.clone(), p.e.clone()],
        AlgorithmParameters::OctetKey(p) => vec![p.value.clone()],
        _ => Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some(&alg) = Algorithm::ALL.get(usize::from(selector) % Algorithm::ALL.len()) else {
        return;
    };
    let Ok(jwk) = serde_json::from_slice::<Jwk>(rest) else {
        return;
    };
    let Ok(key) = VerifyingKey::from_jwk(alg, &jwk) else {
        return;
    };
    assert_eq!(key.algorithm(), alg);
    assert_eq!(key.kid(), jwk.common.key_id.as_deref());
    let exported = key.to_public_jwk();
    if alg.family() == KeyFamily::Hmac {
        assert!(exported.is_none(), "a secret key was exported");
        return;
    }
    let exported = exported.expect("an asymmetric key has a public JWK");
    assert_eq!(exported.common.key_id, jwk.common.key_id);
    assert_eq!(
        exported.common.public_key_use,
        Some(PublicKeyUse::Signature)
    );
    // The same point or modulus, once RSA's leading zero bytes are dropped.
    if alg.family() != KeyFamily::Rsa {
        assert_eq!(material(&exported.algorithm), material(&jwk.algorithm));
    }
    let back = VerifyingKey::from_jwk(alg, &exported).expect("our own JWK loads");
    assert_eq!(back.to_public_jwk(), Some(exported));
});
