//! The Redis stores against real servers the suite starts on loopback ports:
//! one `redis-server` per test, restarted or paused for the fault tests, and a
//! three-node cluster, from the crate's `test_server` module (`cargo test -p
//! portcullis-redis --features redis-tests`;
//! `redis-server` and `redis-cli` from `scripts/ci-services.sh`).

mod cluster;
mod faults;
mod stores;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::Rate;
use portcullis::secret::SecretBytes;
use portcullis::token::{Algorithm as Alg, Keyring, SigningKey, TokenConfig, Tokens};
use portcullis_redis::{Options, RedisStores, StoredAlgorithm};

/// Concurrent clients in the contention tests.
pub(crate) const CLIENTS: usize = 16;

/// A non-zero count for a rate.
pub(crate) fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).expect("a non-zero count")
}

/// The fixed `now` of the contention tests: every decision sees the same time.
pub(crate) fn now() -> UnixTime {
    UnixTime::from_secs(1_800_000_000).expect("a time")
}

/// Options under `prefix`, with a generous bound (CI machines are slow).
pub(crate) fn options(prefix: &str) -> Options {
    Options::new()
        .with_prefix(prefix)
        .expect("a prefix")
        .with_timeout(Duration::from_secs(2))
        .expect("a timeout")
}

/// A runtime for the async stores.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The token engine the revocation tests use (hardened: rotation, single use).
pub(crate) fn tokens() -> Tokens {
    let secret = SecretBytes::from_slice(b"a test secret of at least 32 bytes!!");
    Tokens::new(
        TokenConfig::hardened(),
        Keyring::new(SigningKey::hmac(Alg::HS256, &secret).expect("a key")),
    )
    .expect("tokens")
}

/// `clients` async tasks each make `requests` decisions with algorithm `A` on
/// one key (the algorithm's own endpoint) at one `now`, task `i` through
/// `instances[i % len]` (each instance its own connection, as separate
/// processes: their writes race through the compare-and-swap); returns how
/// many were admitted, which must be exactly the quota whatever the interleaving.
pub(crate) async fn admitted<A: StoredAlgorithm>(
    instances: &[RedisStores],
    quota: u32,
    clients: usize,
    requests: usize,
) -> u32 {
    let rate = Rate::new(nz(quota), nz(3600));
    let admitted = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let stores = instances[i % instances.len()].clone();
            let admitted = admitted.clone();
            tokio::spawn(async move {
                for _ in 0..requests {
                    let decision = stores
                        .rate_limit::<A>("user:42", A::NAME, &rate, now(), 1)
                        .await
                        .expect("a decision (on a cluster: no CROSSSLOT)");
                    if decision.allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client task");
    }
    admitted.load(Ordering::Relaxed)
}

/// `n` store instances on `url`, each with its own connection.
pub(crate) async fn instances(url: &str, prefix: &str, n: usize) -> Vec<RedisStores> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(
            RedisStores::connect(url, options(prefix))
                .await
                .expect("stores"),
        );
    }
    all
}
