//! Token costs beside their peers, in the same run:
//! - verify an access token (every check plus the in-memory revocation lookup) beside
//!   raw `jsonwebtoken::decode` with the same ring provider, a bare ring HMAC over
//!   the same signing input, and the floor of the whole job (HMAC, base64 and a
//!   serde parse of the claims into a typed struct);
//! - sign (issue an access token) with ES256 and EdDSA beside bare ring signing with
//!   a pre-parsed key over a signing input of the same length;
//! - issue a pair and refresh with rotation;
//! - the in-memory revocation lookup at 1,024 and 1,048,576 revoked jtis, and its
//!   memory per entry;
//! - what ring does per verify: it has no pre-parsed public key for verification
//!   (`UnparsedPublicKey::verify` and `RsaPublicKeyComponents::verify` parse the key
//!   on every call), so the key parse is measured on its own beside the whole bare
//!   ring verify, as a verify ring refuses right after parsing the key.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation};
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::provider::install_ring_provider;
use portcullis::token::{
    Algorithm, Keyring, Lookup, MemoryRevocationStore, Revocation, RevocationStore, SigningKey,
    TokenConfig, TokenKind, TokenService,
};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use serde::Deserialize;
use serde_json::{Value, json};

const SECRET: &[u8] = b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";

fn now() -> UnixTime {
    portcullis::clock::Clock::now(&portcullis::clock::SystemClock)
}

fn service(key: SigningKey, config: TokenConfig) -> TokenService {
    let mut config = config;
    config.algorithms = vec![key.algorithm()];
    TokenService::in_memory(config, Keyring::new(key)).unwrap()
}

fn jwt_validation(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = 0;
    v
}

/// The claims a verify types, as a plain serde struct: what the floor parses into.
#[derive(Deserialize)]
#[allow(dead_code)] // Read only by the deserializer: the floor's cost is the parse.
struct FloorClaims {
    exp: f64,
    iat: Option<f64>,
    nbf: Option<f64>,
    jti: String,
    token_type: String,
    user_id: String,
    family: Option<String>,
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Value>,
}

/// The floor of an HS256 verify: split, base64 decode of signature and payload, the
/// bare ring HMAC over the signing input and a serde parse of the payload into typed
/// claims; no header rules, no claim checks, no revocation lookup.
fn floor_hs256(key: &ring::hmac::Key, token: &str) -> FloorClaims {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let payload = input.split_once('.').unwrap().1;
    let mac = URL_SAFE_NO_PAD.decode(sig).unwrap();
    ring::hmac::verify(key, input.as_bytes(), &mac).unwrap();
    let payload = URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

fn verify(c: &mut Criterion) {
    install_ring_provider();
    let rng = SystemRandom::new();
    let es = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let es_pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, es.as_ref(), &rng).unwrap();
    let ed_pair = Ed25519KeyPair::from_pkcs8(ed.as_ref()).unwrap();
    let cases = [
        (
            "hs256",
            SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap(),
            DecodingKey::from_secret(SECRET),
        ),
        (
            "es256",
            SigningKey::from_pkcs8_der(Algorithm::ES256, es.as_ref()).unwrap(),
            DecodingKey::from_ec_der(es_pair.public_key().as_ref()),
        ),
        (
            "eddsa",
            SigningKey::from_pkcs8_der(Algorithm::EdDSA, ed.as_ref()).unwrap(),
            DecodingKey::from_ed_der(ed_pair.public_key().as_ref()),
        ),
    ];
    for (name, key, decoding) in cases {
        let alg = key.algorithm();
        let svc = service(key, TokenConfig::hardened());
        let now = now();
        let token = svc
            .issue_pair("42", &json!({"role": "staff"}), now)
            .unwrap()
            .access;
        svc.verify_access(&token, now).unwrap();
        let validation = jwt_validation(alg.to_jsonwebtoken());
        jsonwebtoken::decode::<Value>(&token, &decoding, &validation).unwrap();

        let mut group = c.benchmark_group(format!("verify_access_{name}"));
        group.bench_function("portcullis_all_checks_and_revocation", |b| {
            b.iter(|| svc.verify_access(black_box(&token), now).unwrap())
        });
        group.bench_function("baseline_jsonwebtoken_decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&token), &decoding, &validation).unwrap()
            })
        });
        if name != "hs256" {
            let (input, sig) = token.rsplit_once('.').unwrap();
            let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            let public = match name {
                "es256" => es_pair.public_key().as_ref().to_vec(),
                _ => ed_pair.public_key().as_ref().to_vec(),
            };
            let algorithm: &'static dyn VerificationAlgorithm = match name {
                "es256" => &ECDSA_P256_SHA256_FIXED,
                _ => &ED25519,
            };
            let key = UnparsedPublicKey::new(algorithm, public);
            group.bench_function("baseline_bare_ring_verify", |b| {
                b.iter(|| key.verify(black_box(input.as_bytes()), &sig).unwrap())
            });
        }
        if name == "hs256" {
            let (input, sig) = token.rsplit_once('.').unwrap();
            let mac =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig)
                    .unwrap();
            let hkey = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
            group.bench_function("baseline_bare_ring_hmac", |b| {
                b.iter(|| ring::hmac::verify(&hkey, black_box(input.as_bytes()), &mac).unwrap())
            });
            group.bench_function("floor_hmac_base64_typed_claims", |b| {
                b.iter(|| floor_hs256(&hkey, black_box(&token)))
            });
        }
        group.finish();
    }
}

/// HS256 verify of tokens carrying many custom claims, at about 1 KiB and 4 KiB,
/// beside raw `jsonwebtoken::decode` of the same token: the cost should grow with
/// the token's length, not faster (the duplicate check stays linear).
fn verify_large(c: &mut Criterion) {
    let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap();
    let svc = service(key, TokenConfig::hardened());
    let decoding = DecodingKey::from_secret(SECRET);
    let validation = jwt_validation(jsonwebtoken::Algorithm::HS256);
    let now = now();
    let mut group = c.benchmark_group("verify_large_hs256");
    for claims in [16usize, 80] {
        let extra: serde_json::Map<String, Value> = (0..claims)
            .map(|i| {
                (
                    format!("custom_claim_{i:03}"),
                    json!(format!("value {i:08}")),
                )
            })
            .collect();
        let token = svc.issue_pair("42", &extra, now).unwrap().access;
        svc.verify_access(&token, now).unwrap();
        let size = token.len();
        group.bench_function(format!("portcullis_{size}_bytes"), |b| {
            b.iter(|| svc.verify_access(black_box(&token), now).unwrap())
        });
        group.bench_function(format!("baseline_jsonwebtoken_decode_{size}_bytes"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&token), &decoding, &validation).unwrap()
            })
        });
    }
    group.finish();
}

fn sign(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let es = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let es_pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, es.as_ref(), &rng).unwrap();
    let ed_pair = Ed25519KeyPair::from_pkcs8(ed.as_ref()).unwrap();
    let now = now();
    for (name, key) in [
        (
            "es256",
            SigningKey::from_pkcs8_der(Algorithm::ES256, es.as_ref()).unwrap(),
        ),
        (
            "eddsa",
            SigningKey::from_pkcs8_der(Algorithm::EdDSA, ed.as_ref()).unwrap(),
        ),
    ] {
        let svc = service(key, TokenConfig::hardened());
        let extra = json!({"role": "staff"});
        let sample = svc
            .tokens()
            .issue(TokenKind::Access, "42", &extra, now)
            .unwrap();
        let input = sample.rsplit_once('.').unwrap().0.as_bytes().to_vec();
        let mut group = c.benchmark_group(format!("sign_access_{name}"));
        group.bench_function("portcullis_issue", |b| {
            b.iter(|| {
                svc.tokens()
                    .issue(TokenKind::Access, black_box("42"), &extra, now)
                    .unwrap()
            })
        });
        if name == "es256" {
            group.bench_function("baseline_ring_sign_preparsed", |b| {
                b.iter(|| es_pair.sign(&rng, black_box(&input)).unwrap())
            });
        } else {
            group.bench_function("baseline_ring_sign_preparsed", |b| {
                b.iter(|| ed_pair.sign(black_box(&input)))
            });
        }
        group.finish();
    }
}

/// The DER body of the first PEM block of `pem`.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn key_parse(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let message = b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.a signing input of a typical token's length, about two hundred bytes of base64url header and claims, as the verify path hands to ring";

    let es = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let es = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, es.as_ref(), &rng).unwrap();
    let es_sig = es.sign(&rng, message).unwrap();
    let es_key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, es.public_key().as_ref());
    let mut group = c.benchmark_group("ring_key_parse_es256");
    group.bench_function("bare_ring_verify", |b| {
        b.iter(|| es_key.verify(black_box(message), es_sig.as_ref()).unwrap())
    });
    // ring hashes the message, parses (and checks) the point, then refuses r = 0.
    group.bench_function("digest_and_key_parse", |b| {
        b.iter(|| es_key.verify(black_box(message), &[0u8; 64]).unwrap_err())
    });
    group.bench_function("digest_alone", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(message)))
    });
    group.finish();

    let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let ed = Ed25519KeyPair::from_pkcs8(ed.as_ref()).unwrap();
    let ed_sig = ed.sign(message);
    let ed_key = UnparsedPublicKey::new(&ED25519, ed.public_key().as_ref());
    // y = 2 is not the y of a curve point: ring checks s, then runs the whole point
    // decompression (the square root) before it finds that out.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let bad_key = UnparsedPublicKey::new(&ED25519, not_a_point);
    let mut group = c.benchmark_group("ring_key_parse_eddsa");
    group.bench_function("bare_ring_verify", |b| {
        b.iter(|| ed_key.verify(black_box(message), ed_sig.as_ref()).unwrap())
    });
    group.bench_function("key_parse", |b| {
        b.iter(|| {
            bad_key
                .verify(black_box(message), ed_sig.as_ref())
                .unwrap_err()
        })
    });
    group.finish();

    let fixtures: Value =
        serde_json::from_str(include_str!("../tests/data/token/rust_issued.json")).unwrap();
    let pem = fixtures["keys"]["RS256"]["private"].as_str().unwrap();
    let pair = RsaKeyPair::from_pkcs8(&pem_der(pem)).unwrap();
    let mut rs_sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut rs_sig)
        .unwrap();
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    let mut group = c.benchmark_group("ring_key_parse_rs256");
    group.bench_function("bare_ring_verify", |b| {
        b.iter(|| {
            components
                .verify(&RSA_PKCS1_2048_8192_SHA256, black_box(message), &rs_sig)
                .unwrap()
        })
    });
    // ring parses the modulus (and its Montgomery constants), then refuses a
    // signature of the wrong length.
    group.bench_function("key_parse", |b| {
        b.iter(|| {
            components
                .verify(&RSA_PKCS1_2048_8192_SHA256, black_box(message), &[])
                .unwrap_err()
        })
    });
    group.finish();
}

fn flows(c: &mut Criterion) {
    let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET)).unwrap();
    let svc = service(key, TokenConfig::hardened());
    let now = now();
    let extra = json!({});
    let mut group = c.benchmark_group("flows_hs256");
    group.bench_function("issue_pair", |b| {
        b.iter(|| svc.issue_pair("42", &extra, now).unwrap())
    });
    group.bench_function("refresh_with_rotation", |b| {
        b.iter_batched(
            || svc.issue_pair("42", &extra, now).unwrap().refresh,
            |refresh| svc.refresh(&refresh, now).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
    // The store grows by one consumed id per refresh; that is the point of it.
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// A SimpleJWT-style jti (32 hex digits), scattered over the 128-bit space.
fn jti_for(i: u64) -> String {
    format!(
        "{:032x}",
        u128::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    )
}

/// `MemoryRevocationStore::status` at 1,024 and 1,048,576 revoked jtis, for a
/// revoked jti (found at the first map) and an active one (all three maps
/// probed); prints the resident memory per entry at the larger size (Linux).
fn revocation(c: &mut Criterion) {
    const PROBES: u64 = 4096;
    let until = UnixTime::from_secs(4_000_000_000).unwrap();
    let now = UnixTime::from_secs(1_800_000_000).unwrap();
    for entries in [1u64 << 10, 1 << 20] {
        let before = resident_bytes();
        let store = MemoryRevocationStore::with_capacity(2 << 20);
        for i in 0..entries {
            store
                .revoke(Revocation::Jti {
                    jti: jti_for(i),
                    until,
                })
                .unwrap();
        }
        if let (Some(before), Some(after)) = (before, resident_bytes())
            && entries > PROBES
        {
            eprintln!(
                "revocation store at {entries} jtis: {:.1} bytes of resident memory per entry",
                after.saturating_sub(before) as f64 / entries as f64
            );
        }
        // Probes spread over the whole set; the table slots they hit are random.
        let step = (entries / PROBES).max(1);
        let revoked: Vec<String> = (0..PROBES).map(|i| jti_for(i * step % entries)).collect();
        let active: Vec<String> = (0..PROBES).map(|i| jti_for(entries + i)).collect();
        let mut group = c.benchmark_group(format!("revocation_status_{entries}_jtis"));
        for (name, probes) in [("revoked_jti", &revoked), ("active_jti", &active)] {
            group.bench_function(name, |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % probes.len();
                    let lookup = Lookup {
                        jti: &probes[i],
                        family: Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
                        user: Some("42"),
                        issued_at: Some(now),
                        expires_at: until,
                        now,
                    };
                    store.status(black_box(&lookup)).unwrap()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    verify,
    verify_large,
    sign,
    key_parse,
    flows,
    revocation
);
criterion_main!(benches);
