//! The keyed limiter: exact quotas under contention, and its memory bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{
    Algorithm, AtCapacity, FixedWindow, Gcra, KeyedLimiter, KeyedLimiterConfig, Rate, SlidingLog,
    SlidingWindow, TokenBucket,
};

/// A non-zero `u32` for a rate.
fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).expect("a non-zero count")
}

const T0: u64 = 1_800_000_000;

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(T0 + secs).unwrap()
}

/// Many threads hammer one key at one instant: exactly the quota gets through.
fn exact_quota_under_contention<A: Algorithm + 'static>() {
    let quota = 1_000;
    let limiter: Arc<KeyedLimiter<String, A>> = Arc::new(
        KeyedLimiter::new(Rate::per_hour(nz(quota)), KeyedLimiterConfig::default()).unwrap(),
    );
    let admitted = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            let admitted = Arc::clone(&admitted);
            std::thread::spawn(move || {
                for _ in 0..500 {
                    if limiter.check("shared-key", at(0), 1).unwrap().allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(
        admitted.load(Ordering::Relaxed),
        quota,
        "{}",
        std::any::type_name::<A>()
    );
    assert_eq!(limiter.len(), 1);
}

#[test]
fn many_threads_on_one_key_admit_exactly_the_quota() {
    exact_quota_under_contention::<Gcra>();
    exact_quota_under_contention::<TokenBucket>();
    exact_quota_under_contention::<FixedWindow>();
    exact_quota_under_contention::<SlidingLog>();
    exact_quota_under_contention::<SlidingWindow>();
}

fn small(at_capacity: AtCapacity) -> KeyedLimiter<u64, Gcra> {
    let mut config = KeyedLimiterConfig::default();
    config.max_keys = 64;
    config.shards = 4;
    config.at_capacity = at_capacity;
    KeyedLimiter::new(Rate::per_minute(nz(2)), config).unwrap()
}

#[test]
fn a_flood_of_new_keys_cannot_grow_memory_or_reset_existing_quotas() {
    let limiter = small(AtCapacity::Refuse);
    assert_eq!(limiter.max_keys(), 64);
    assert!(limiter.check(&0, at(0), 2).unwrap().allowed);
    let mut refused = 0;
    for key in 1..10_000u64 {
        let d = limiter.check(&key, at(1), 1).unwrap();
        if !d.allowed {
            refused += 1;
            // A slot frees when the shard's earliest state expires: key 0's at
            // 60 s, or a flood key's at 31 s.
            assert!(
                [Duration::from_secs(59), Duration::from_secs(30)].contains(&d.retry_after),
                "{:?}",
                d.retry_after
            );
        }
    }
    assert!(limiter.len() <= 64);
    assert!(refused >= 10_000 - 64);
    // Key 0 is still held and still out of quota.
    assert!(!limiter.check(&0, at(1), 1).unwrap().allowed);
    // Once states expire they are evicted to make room.
    assert!(limiter.check(&123_456, at(61), 1).unwrap().allowed);
    assert!(limiter.len() <= 64);
}

#[test]
fn admit_at_capacity_lets_new_keys_through_untracked() {
    let limiter = small(AtCapacity::Admit);
    for key in 0..1_000u64 {
        assert!(limiter.check(&key, at(0), 1).unwrap().allowed);
    }
    assert!(limiter.len() <= 64);
}

#[test]
fn sweep_remove_and_peek() {
    let limiter = small(AtCapacity::Refuse);
    assert!(limiter.is_empty());
    assert_eq!(limiter.check(&1, at(0), 0).unwrap().remaining, 2);
    assert!(
        limiter.is_empty(),
        "a peek at an unknown key stores nothing"
    );
    limiter.check(&1, at(0), 1).unwrap();
    limiter.check(&2, at(10), 2).unwrap();
    assert!(limiter.remove(&2));
    assert!(!limiter.remove(&2));
    limiter.check(&3, at(50), 1).unwrap();
    assert_eq!(limiter.sweep(at(31)), 1, "key 1's state expired at 30 s");
    assert_eq!(limiter.len(), 1);
    assert!(
        limiter.check(&3, at(50), 3).is_err(),
        "cost above the limit"
    );
}

#[test]
fn bad_configuration_is_refused_with_the_setting_named() {
    let rate = Rate::per_minute(nz(1));
    for (max_keys, shards, setting) in [
        (10, 3, "shards"),
        (10, 0, "shards"),
        (10, 8192, "shards"),
        (0, 4, "max_keys"),
    ] {
        let mut config = KeyedLimiterConfig::default();
        config.max_keys = max_keys;
        config.shards = shards;
        config.at_capacity = AtCapacity::Refuse;
        let err = KeyedLimiter::<u64, Gcra>::new(rate, config).unwrap_err();
        assert!(err.to_string().contains(setting), "{err}");
    }
}

mod model {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Below its bound the keyed limiter decides exactly as the pure
        /// algorithm run separately per key.
        #[test]
        fn keyed_limiter_equals_the_pure_algorithm_per_key(
            ops in prop::collection::vec((0u64..4, 0u64..20_000_000_000, 0u32..=3), 1..80)
        ) {
            let rate = Rate::new(nz(3), nz(10));
            let limiter: KeyedLimiter<u64, SlidingWindow> =
                KeyedLimiter::new(rate, KeyedLimiterConfig::default()).unwrap();
            let mut states = HashMap::new();
            let mut now = T0 * 1_000_000_000;
            for (key, step, cost) in ops {
                now += step / 4;
                let t = UnixTime::from_nanos(now);
                let keyed = limiter.check(&key, t, cost).unwrap();
                let (pure, next) = SlidingWindow::decide(&rate, states.get(&key), t, cost).unwrap();
                if cost > 0 {
                    states.insert(key, next);
                }
                prop_assert_eq!(keyed, pure);
            }
        }
    }
}
