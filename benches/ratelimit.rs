//! Rate-limit decision costs beside governor in the same run: the pure GCRA
//! decision against governor's direct `check()`, and the keyed limiter against
//! governor's keyed `check_key()` at 1,024 and 1,000,000 keys; each with `now`
//! passed in, read from `SystemClock`, and read from `CoarseClock` (governor reads
//! its own TSC clock inside every call). Before the timed
//! groups it prints the resident memory each keyed limiter adds for 1,000,000
//! keys (Linux only: read from /proc/self/statm).

use std::hint::black_box;
use std::num::NonZeroU32;

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota, RateLimiter};
use portcullis::clock::{Clock, CoarseClock, SystemClock, UnixTime};
use portcullis::ratelimit::{Algorithm, Gcra, KeyedLimiter, KeyedLimiterConfig, Rate};

/// The time the benches start from: the system clock's at start-up, so the rows
/// that read a clock decide on the same state as the rows given `now` (keys
/// stored at a later time would make every clock-reading decision a refusal).
fn start() -> u64 {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *START.get_or_init(|| SystemClock.now().as_nanos())
}
/// A quota no benchmark loop exhausts, so every decision admits (the common case).
const PER_SECOND: u32 = 1_000_000_000;

fn quota() -> Quota {
    Quota::per_second(NonZeroU32::new(PER_SECOND).unwrap_or(NonZeroU32::MIN))
}

fn rate() -> Rate {
    Rate::per_second(std::num::NonZeroU32::new(PER_SECOND).unwrap_or(std::num::NonZeroU32::MIN))
}

fn ours(keys: u64) -> KeyedLimiter<u64, Gcra> {
    let mut config = KeyedLimiterConfig::default();
    config.max_keys = 1 << 21;
    let limiter = KeyedLimiter::new(rate(), config).unwrap_or_else(|e| panic!("{e}"));
    for key in 0..keys {
        let _ = limiter.check(&key, UnixTime::from_nanos(start()), 1);
    }
    limiter
}

fn governors(keys: u64) -> governor::DefaultKeyedRateLimiter<u64> {
    let limiter = RateLimiter::keyed(quota());
    for key in 0..keys {
        let _ = limiter.check_key(&key);
    }
    limiter
}

/// Visits every key of `0..keys` in a scattered order (an odd step modulo a
/// power of two), so large tables are measured with cache misses, not streaming.
fn next_key(key: u64, keys: u64) -> u64 {
    (key + 0x9E37_79B9) & (keys - 1)
}

fn gcra_decision(c: &mut Criterion) {
    let rate = rate();
    let mut group = c.benchmark_group("gcra_decision");
    group.bench_function("portcullis_gcra_apply", |b| {
        let mut state = Gcra::fresh(&rate, UnixTime::from_nanos(start()));
        let mut now = start();
        b.iter(|| {
            now += 7;
            Gcra::apply(&rate, black_box(&mut state), UnixTime::from_nanos(now), 1)
        })
    });
    group.bench_function("portcullis_gcra_apply_reading_system_clock", |b| {
        let mut state = Gcra::fresh(&rate, SystemClock.now());
        b.iter(|| Gcra::apply(&rate, black_box(&mut state), SystemClock.now(), 1))
    });
    group.bench_function("portcullis_gcra_apply_reading_coarse_clock", |b| {
        let mut state = Gcra::fresh(&rate, CoarseClock.now());
        b.iter(|| Gcra::apply(&rate, black_box(&mut state), CoarseClock.now(), 1))
    });
    group.bench_function("governor_direct_check", |b| {
        let limiter = RateLimiter::direct(quota());
        b.iter(|| black_box(&limiter).check())
    });
    group.finish();
}

fn keyed(c: &mut Criterion, keys: u64) {
    let ours = ours(keys);
    let theirs = governors(keys);
    let mut group = c.benchmark_group(format!("keyed_check_{keys}_keys"));
    group.bench_function("portcullis_keyed_limiter", |b| {
        let mut key = 0;
        let mut now = start();
        b.iter(|| {
            key = next_key(key, keys);
            now += 7;
            ours.check(black_box(&key), UnixTime::from_nanos(now), 1)
        })
    });
    group.bench_function("portcullis_keyed_limiter_reading_system_clock", |b| {
        let mut key = 0;
        b.iter(|| {
            key = next_key(key, keys);
            ours.check(black_box(&key), SystemClock.now(), 1)
        })
    });
    group.bench_function("portcullis_keyed_limiter_check_now_coarse_clock", |b| {
        let mut key = 0;
        b.iter(|| {
            key = next_key(key, keys);
            ours.check_now(black_box(&key), 1)
        })
    });
    group.bench_function("governor_check_key", |b| {
        let mut key = 0;
        b.iter(|| {
            key = next_key(key, keys);
            theirs.check_key(black_box(&key))
        })
    });
    group.finish();
}

fn keyed_1024(c: &mut Criterion) {
    keyed(c, 1 << 10);
}

fn keyed_1m(c: &mut Criterion) {
    // 2^20 = 1,048,576 keys: the scattered walk needs a power of two.
    keyed(c, 1 << 20);
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory(_c: &mut Criterion) {
    const KEYS: u64 = 1_000_000;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let (Some(before), ours) = (resident_bytes(), ours(KEYS)) else {
        eprintln!("memory: /proc/self/statm unavailable, skipped");
        return;
    };
    let after_ours = resident_bytes().unwrap_or(before);
    let theirs = governors(KEYS);
    let after_theirs = resident_bytes().unwrap_or(after_ours);
    eprintln!(
        "memory at {KEYS} keys (resident growth): portcullis {:.1} MiB ({} keys held), governor {:.1} MiB ({} keys held)",
        mib(after_ours.saturating_sub(before)),
        ours.len(),
        mib(after_theirs.saturating_sub(after_ours)),
        theirs.len(),
    );
}

criterion_group!(benches, memory, gcra_decision, keyed_1024, keyed_1m);
criterion_main!(benches);
