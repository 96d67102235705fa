//! Password costs, each beside a baseline in the same run:
//!
//! * the production policy over the corpus `generate.py --timings` also times
//!   through Django's `validate_password` (that number is in
//!   `tests/data/password/python_timings.json`; the README gives the ratio);
//!   in-run baseline: the common-list lookup alone over the same corpus;
//! * the common-list lookup (the embedded hash index) beside a `HashSet`
//!   built from the same list;
//! * Argon2id at OWASP's parameters through [`Hasher`] beside the bare
//!   `argon2` crate (argon2-cffi's time is in the timings file);
//! * PBKDF2-SHA256 at Django 6.1's 1,500,000 iterations beside bare `ring`.

use std::collections::HashSet;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::password::common;
use portcullis::password::hash::{DJANGO_PBKDF2_ITERATIONS, HashFormat, Hasher};
use portcullis::password::{Policy, UserAttributes};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

fn corpus() -> (UserAttributes, Vec<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/password/bench_corpus.txt"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).unwrap();
    let user = value["user"]
        .as_object()
        .unwrap()
        .iter()
        .fold(UserAttributes::new(), |u, (k, v)| {
            u.with(k, v.as_str().unwrap())
        });
    let passwords = value["passwords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    (user, passwords)
}

fn policy(c: &mut Criterion) {
    let (user, passwords) = corpus();
    let production = Policy::production();
    let common_only = Policy::new().with(portcullis::password::policy::CommonPassword::new());
    let mut group = c.benchmark_group("production_policy_corpus_200");
    group.bench_function("portcullis_production", |b| {
        b.iter(|| {
            passwords
                .iter()
                .map(|p| production.check(black_box(p), Some(&user)).len())
                .sum::<usize>()
        })
    });
    group.bench_function("baseline_common_list_only", |b| {
        b.iter(|| {
            passwords
                .iter()
                .map(|p| common_only.check(black_box(p), Some(&user)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn common_lookup(c: &mut Criterion) {
    let set: HashSet<&str> = common::entries().collect();
    let mut group = c.benchmark_group("common_list_lookup");
    for word in ["p@ssw0rd", "a rarer passphrase"] {
        group.bench_function(format!("portcullis_index/{word}"), |b| {
            b.iter(|| common::contains(black_box(word)))
        });
        group.bench_function(format!("baseline_hashset/{word}"), |b| {
            b.iter(|| set.contains(black_box(word)))
        });
    }
    group.finish();
}

fn argon2id(c: &mut Criterion) {
    let hasher = Hasher::default();
    let params = argon2::Params::new(19 * 1024, 2, 1, Some(32)).unwrap();
    let raw = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut group = c.benchmark_group("argon2id_m19456_t2_p1");
    group.sample_size(10);
    group.bench_function("portcullis_hash", |b| {
        b.iter(|| hasher.hash(black_box(PASSWORD)).unwrap())
    });
    group.bench_function("baseline_argon2_crate", |b| {
        let mut out = [0u8; 32];
        b.iter(|| {
            raw.hash_password_into(
                black_box(PASSWORD.as_bytes()),
                b"sixteen byte salt",
                &mut out,
            )
            .unwrap()
        })
    });
    group.finish();
}

fn pbkdf2(c: &mut Criterion) {
    let hasher = Hasher::new(HashFormat::DjangoPbkdf2Sha256);
    let iterations = NonZeroU32::new(DJANGO_PBKDF2_ITERATIONS).unwrap();
    let mut group = c.benchmark_group("pbkdf2_sha256_1500000");
    group.sample_size(10);
    group.bench_function("portcullis_hash", |b| {
        b.iter(|| hasher.hash(black_box(PASSWORD)).unwrap())
    });
    group.bench_function("baseline_ring", |b| {
        let mut out = [0u8; 32];
        b.iter(|| {
            ring::pbkdf2::derive(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                iterations,
                b"abcdefghijklmnopqrstuv",
                black_box(PASSWORD.as_bytes()),
                &mut out,
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = policy, common_lookup, argon2id, pbkdf2
}
criterion_main!(benches);
