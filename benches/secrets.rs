//! Secret handling costs: constant-time comparison beside a plain slice compare,
//! and key decoding beside the bare base64 engine.

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::secret::{Encoding, KeyLength, SecretBytes};
use std::hint::black_box;

fn compare(c: &mut Criterion) {
    let a = SecretBytes::from_slice(&[7u8; 32]);
    let b = SecretBytes::from_slice(&[7u8; 32]);
    let mut group = c.benchmark_group("compare_32_bytes");
    group.bench_function("portcullis_constant_time", |bench| {
        bench.iter(|| black_box(&a) == black_box(&b))
    });
    group.bench_function("baseline_slice_eq", |bench| {
        bench.iter(|| black_box(a.expose_secret()) == black_box(b.expose_secret()))
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let text = SecretBytes::from_slice(&[9u8; 32]).encode(Encoding::Base64Url);
    let mut group = c.benchmark_group("decode_base64url_key");
    group.bench_function("portcullis_from_encoded", |bench| {
        bench.iter(|| {
            SecretBytes::from_encoded(
                black_box(text.expose_secret()),
                Encoding::Base64Url,
                KeyLength::Exactly(32),
            )
        })
    });
    group.bench_function("baseline_base64_engine", |bench| {
        bench.iter(|| {
            base64::engine::general_purpose::URL_SAFE.decode(black_box(text.expose_secret()))
        })
    });
    group.finish();
}

criterion_group!(benches, compare, decode);
criterion_main!(benches);
