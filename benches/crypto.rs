//! Field encryption costs, each beside its peer in the same run:
//! the Fernet wrapper beside the raw `fernet` crate, and the sealed envelope
//! beside Fernet, ring's AES-256-GCM (the AEAD ceiling on this CPU) and the
//! `chacha20poly1305` crate's XChaCha20-Poly1305 (a portable implementation).
//! The peers run on raw bytes; Fernet and sealed include their base64 text.

use std::hint::black_box;

use chacha20poly1305::aead::{Aead, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use portcullis::clock::UnixTime;
use portcullis::crypto::{Context, Fernet, SealedKey, SealedKeyset};
use portcullis::secret::SecretBytes;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

const SIZES: [(usize, &str); 3] = [(100, "100B"), (1024, "1KiB"), (1 << 20, "1MiB")];
const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const NOW: UnixTime = UnixTime::from_nanos(1_700_000_000_000_000_000);

struct Peers {
    ours: Fernet,
    raw: fernet::Fernet,
    sealed: SealedKeyset,
    ctx: Context,
    gcm: LessSafeKey,
    xchacha: chacha20poly1305::XChaCha20Poly1305,
}

fn peers() -> Peers {
    Peers {
        ours: Fernet::from_key_text(KEY).unwrap(),
        raw: fernet::Fernet::new(KEY).unwrap(),
        sealed: SealedKeyset::new(
            SealedKey::new("k1", &SecretBytes::from_slice(&[7; 32])).unwrap(),
        ),
        ctx: Context::row("accounts", "oauth_token", "123456"),
        gcm: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7; 32]).unwrap()),
        xchacha: chacha20poly1305::XChaCha20Poly1305::new_from_slice(&[7; 32]).unwrap(),
    }
}

fn encrypt(c: &mut Criterion) {
    let p = peers();
    let mut group = c.benchmark_group("encrypt");
    for (size, label) in SIZES {
        let data = vec![0x5au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("portcullis_fernet", label),
            &data,
            |b, d| b.iter(|| p.ours.encrypt_at_time(black_box(d), NOW).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("fernet_crate", label), &data, |b, d| {
            b.iter(|| p.raw.encrypt_at_time(black_box(d), NOW.as_secs()))
        });
        group.bench_with_input(
            BenchmarkId::new("portcullis_sealed", label),
            &data,
            |b, d| b.iter(|| p.sealed.seal(black_box(d), &p.ctx).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("ring_aes256gcm_raw", label),
            &data,
            |b, d| {
                b.iter(|| {
                    let mut buf = d.clone();
                    p.gcm
                        .seal_in_place_append_tag(
                            Nonce::assume_unique_for_key([1; 12]),
                            Aad::from(b"ctx"),
                            &mut buf,
                        )
                        .unwrap();
                    buf
                })
            },
        );
    }
    group.finish();
}

fn decrypt(c: &mut Criterion) {
    let p = peers();
    let mut group = c.benchmark_group("decrypt");
    for (size, label) in SIZES {
        let data = vec![0x5au8; size];
        let token = p.ours.encrypt_at_time(&data, NOW).unwrap();
        let sealed = p.sealed.seal(&data, &p.ctx).unwrap();
        let mut gcm_sealed = data.clone();
        p.gcm
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key([1; 12]),
                Aad::from(b"ctx"),
                &mut gcm_sealed,
            )
            .unwrap();
        let xnonce = [3u8; 24];
        let x_sealed = p
            .xchacha
            .encrypt((&xnonce).into(), data.as_slice())
            .unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("portcullis_fernet", label),
            &token,
            |b, t| b.iter(|| p.ours.decrypt_at_time(black_box(t), 3600, NOW).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("fernet_crate", label), &token, |b, t| {
            b.iter(|| {
                p.raw
                    .decrypt_at_time(black_box(t), Some(3600), NOW.as_secs())
                    .unwrap()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("portcullis_sealed", label),
            &sealed,
            |b, s| b.iter(|| p.sealed.open(black_box(s), &p.ctx).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("ring_aes256gcm_raw", label),
            &gcm_sealed,
            |b, s| {
                b.iter(|| {
                    let mut buf = s.clone();
                    p.gcm
                        .open_in_place(
                            Nonce::assume_unique_for_key([1; 12]),
                            Aad::from(b"ctx"),
                            &mut buf,
                        )
                        .unwrap()
                        .len()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("chacha20poly1305_crate_raw", label),
            &x_sealed,
            |b, s| {
                b.iter(|| {
                    p.xchacha
                        .decrypt((&xnonce).into(), black_box(s.as_slice()))
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, encrypt, decrypt);
criterion_main!(benches);
