//! Hot paths of web hardening, each beside a bare baseline in the same run:
//! CSRF token verification beside a constant-time compare of the secret, CORS
//! evaluation beside a hash-set lookup of the raw Origin, and API key
//! verification beside a bare ring HMAC-SHA256 verify of the same text.

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::apikey::{ApiKey, ApiKeyPepper};
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::web::cors::{CorsPolicy, CorsRequest};
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest, CsrfSecret};
use subtle::ConstantTimeEq;

const SECRET: &str = "abcdefghijklmnopqrstuvwxyzABCDEF";

fn csrf(c: &mut Criterion) {
    let secret = CsrfSecret::parse(SECRET).unwrap();
    let token = secret.mask().unwrap();
    let policy = CsrfPolicy::new(&["https://*.example.com"], None).unwrap();
    let request = CsrfRequest {
        method: "POST",
        secure: true,
        host: Some("www.example.com"),
        port: 443,
        origin: Some("https://www.example.com"),
        cookie: Some(SECRET),
        header_token: Some(&token),
        referer: None,
        form_token: None,
    };
    let mut group = c.benchmark_group("csrf_verify_masked_token");
    group.bench_function("portcullis_verify_token", |b| {
        b.iter(|| secret.verify_token(black_box(&token)))
    });
    group.bench_function("portcullis_policy_check_request", |b| {
        b.iter(|| policy.check(black_box(&request)))
    });
    group.bench_function("baseline_subtle_ct_eq_32", |b| {
        b.iter(|| bool::from(black_box(SECRET.as_bytes()).ct_eq(black_box(SECRET.as_bytes()))))
    });
    group.finish();
}

fn cors(c: &mut Criterion) {
    let policy = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_origin("https://admin.example.com")
        .allow_origin_pattern("https://*.preview.example.com")
        .allow_methods(&["PUT", "DELETE"])
        .allow_headers(&["content-type", "authorization"])
        .allow_credentials(true)
        .max_age(600)
        .build()
        .unwrap();
    let actual = CorsRequest {
        method: "GET",
        origin: Some("https://app.example.com"),
        ..CorsRequest::default()
    };
    let preflight = CorsRequest {
        method: "OPTIONS",
        origin: Some("https://pr-1.preview.example.com"),
        request_method: Some("DELETE"),
        request_headers: Some("content-type, authorization"),
    };
    let raw: HashSet<&str> = ["https://app.example.com", "https://admin.example.com"].into();
    let mut group = c.benchmark_group("cors_evaluate");
    group.bench_function("portcullis_actual", |b| {
        b.iter(|| policy.evaluate(black_box(&actual)))
    });
    group.bench_function("portcullis_preflight", |b| {
        b.iter(|| policy.evaluate(black_box(&preflight)))
    });
    group.bench_function("baseline_hashset_raw_origin", |b| {
        b.iter(|| raw.contains(black_box("https://app.example.com")))
    });
    group.finish();
}

fn apikey(c: &mut Criterion) {
    let pepper_bytes = [7u8; 32];
    let pepper = ApiKeyPepper::new(SecretBytes::from_slice(&pepper_bytes)).unwrap();
    let key = ApiKey::generate("acme_live").unwrap();
    let text = key.expose_secret().to_owned();
    let digest = key.digest(&pepper);
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &pepper_bytes);
    let ring_tag = ring::hmac::sign(&ring_key, text.as_bytes());
    let mut group = c.benchmark_group("apikey_verify");
    group.bench_function("portcullis_parse_and_verify", |b| {
        b.iter(|| {
            ApiKey::parse(black_box(&text))
                .and_then(|k| k.verify(&pepper, &digest, None, UnixTime::EPOCH))
        })
    });
    group.bench_function("baseline_ring_hmac_verify", |b| {
        b.iter(|| ring::hmac::verify(&ring_key, black_box(text.as_bytes()), ring_tag.as_ref()))
    });
    group.finish();
}

criterion_group!(benches, csrf, cors, apikey);
criterion_main!(benches);
