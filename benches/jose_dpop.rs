//! DPoP proof verification beside the bare primitive, in the same run:
//! - `dpop/check_es256`: every check of an ES256 proof but replay (size cap, strict
//!   parsing, the JWK to a key, the thumbprint, the signature, `htm`, `htu`
//!   normalisation of both URLs, `iat`), reading the system clock as a host would;
//! - `dpop/verify_es256`: the same plus a `MemoryReplayStore` check-and-insert (the
//!   store keys are made unique per iteration; the proof is the same);
//! - `ring/es256_verify`: ring's `UnparsedPublicKey::verify` of the same signature
//!   over the same signing input.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::clock::{Clock as _, SystemClock};
use portcullis::jose::dpop::{DpopVerifier, MemoryReplayStore, ReplayKey, ReplayStore, Request};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use serde_json::json;

const URL: &str = "https://server.example.com/token";

fn bench(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let (x, y) = point[1..].split_at(32);
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {
        "kty": "EC", "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)}});
    let iat = SystemClock.now().as_secs();
    let claims = json!({"jti": "bench-jti-0123456789", "htm": "POST", "htu": URL, "iat": iat});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = pair.sign(&rng, signing_input.as_bytes()).unwrap();
    let proof = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    );
    let verifier = DpopVerifier::new();
    let request = Request::new("POST", URL);
    assert!(verifier.check(&proof, &request, SystemClock.now()).is_ok());

    let mut group = c.benchmark_group("dpop");
    group.bench_function("check_es256", |b| {
        b.iter(|| {
            let checked = verifier.check(black_box(&proof), &request, SystemClock.now());
            black_box(checked.is_ok())
        });
    });
    let store = MemoryReplayStore::new(usize::MAX);
    let mut n: u64 = 0;
    group.bench_function("verify_es256", |b| {
        b.iter(|| {
            let now = SystemClock.now();
            let checked = verifier.check(black_box(&proof), &request, now).unwrap();
            n += 1;
            // A unique key per iteration stands for a fresh jti (same cost to hash).
            let key = ReplayKey::new(checked.replay_key().to_hex().as_str(), &n.to_string());
            black_box(store.check_and_insert(&key, checked.replay_expires_at(), now))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("ring");
    group.bench_function("es256_verify", |b| {
        b.iter(|| {
            let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&point));
            black_box(
                key.verify(black_box(signing_input.as_bytes()), signature.as_ref())
                    .is_ok(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
