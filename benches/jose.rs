//! JWE decryption of a 1 KiB payload beside the raw primitives in the same run:
//! `dir` + A256GCM beside ring's AES-256-GCM open, and ECDH-ES+A256KW (X25519) +
//! A256GCM beside a raw X25519 agreement and that agreement plus the GCM open.
//! The difference is framing, base64, header checks, the Concat KDF and the key
//! unwrap; `floor_base64_decode_plus_aes256gcm_open` is the least any decrypt
//! must do (decode the same bytes, then open them).

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis::jose::jwe::{self, ContentEncryption, JweDecryptor, JweKey, KeyManagement};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

const OCT32: &str = r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#;
const X25519: &str = r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#;

fn decrypt(c: &mut Criterion) {
    let payload = vec![0x5au8; 1024];
    let mut group = c.benchmark_group("jwe_decrypt_1KiB");
    group.throughput(Throughput::Bytes(1024));

    let dir_key = JweKey::from_jwk(OCT32).unwrap();
    let dir_token = jwe::encrypt(
        &dir_key,
        KeyManagement::Dir,
        ContentEncryption::A256Gcm,
        &payload,
    )
    .unwrap();
    let dir = JweDecryptor::new(dir_key);
    group.bench_function("portcullis_dir_a256gcm", |b| {
        b.iter(|| dir.decrypt(black_box(&dir_token)).unwrap())
    });

    let gcm =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &(0u8..32).collect::<Vec<_>>()).unwrap());
    let mut sealed = payload.clone();
    let nonce = [7u8; 12];
    gcm.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(b"header"),
        &mut sealed,
    )
    .unwrap();
    let gcm_open = |sealed: &[u8]| {
        let mut in_out = sealed.to_vec();
        gcm.open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(b"header"),
            &mut in_out,
        )
        .map(|p| p.len())
        .unwrap()
    };
    group.bench_function("ring_aes256gcm_open", |b| {
        b.iter(|| gcm_open(black_box(&sealed)))
    });
    // The floor for any JWE decrypt: the same bytes must be base64url-decoded
    // before they are opened (here by the `base64` crate's strict engine).
    let sealed_b64 = URL_SAFE_NO_PAD.encode(&sealed);
    group.bench_function("floor_base64_decode_plus_aes256gcm_open", |b| {
        b.iter(|| {
            let mut in_out = URL_SAFE_NO_PAD.decode(black_box(&sealed_b64)).unwrap();
            gcm.open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(b"header"),
                &mut in_out,
            )
            .map(|p| p.len())
            .unwrap()
        })
    });

    let ecdh_key = JweKey::from_jwk(X25519).unwrap();
    let ecdh_token = jwe::encrypt(
        &ecdh_key,
        KeyManagement::EcdhEsA256Kw,
        ContentEncryption::A256Gcm,
        &payload,
    )
    .unwrap();
    let ecdh = JweDecryptor::new(ecdh_key);
    group.bench_function("portcullis_ecdh_es_a256kw_x25519_a256gcm", |b| {
        b.iter(|| ecdh.decrypt(black_box(&ecdh_token)).unwrap())
    });

    let secret = x25519_dalek::StaticSecret::from([9u8; 32]);
    let peer = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([3u8; 32]));
    group.bench_function("x25519_dalek_agreement", |b| {
        b.iter(|| secret.diffie_hellman(black_box(&peer)))
    });
    group.bench_function("x25519_agreement_plus_aes256gcm_open", |b| {
        b.iter(|| {
            let shared = secret.diffie_hellman(black_box(&peer));
            (shared.as_bytes()[0], gcm_open(black_box(&sealed)))
        })
    });
    group.finish();
}

criterion_group!(benches, decrypt);
criterion_main!(benches);
