//! Rate-limit decisions per second against one local `redis-server` the bench
//! starts: 16 concurrent clients on one key and on 10,000 keys, the crate's
//! compare-and-swap stores (GCRA and fixed window) beside the floor a Redis
//! limiter is compared with, a plain `INCR` + `EXPIRE` fixed window, in the same
//! run. `cargo bench -p portcullis-redis --features test-server --bench decisions`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis::clock::{Clock, SystemClock};
use portcullis::ratelimit::{FixedWindow, Gcra, Rate};
use portcullis_redis::test_server::RedisServer;
use portcullis_redis::{Options, RedisConnection, RedisStores, StoredAlgorithm};

/// Concurrent clients.
const CLIENTS: u64 = 16;
/// Keys in the many-keys case.
const KEYS: u64 = 10_000;

/// A rate no benchmark run reaches, so every decision admits and writes.
fn rate() -> Rate {
    "1000000000/h".parse().unwrap_or_else(|e| panic!("{e}"))
}

/// The client of decision `i` of client task `task`: one key, or spread over `KEYS`.
fn client(keys: u64, task: u64, i: u64) -> String {
    format!("user:{}", (task * 7_919 + i) % keys)
}

/// Runs `iters` decisions split over `CLIENTS` tasks and times them.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, decide: F) -> Duration
where
    F: Fn(u64, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    rt.block_on(async move {
        let started = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|task| {
                let decide = decide.clone();
                let share = iters / CLIENTS + u64::from(task < iters % CLIENTS);
                tokio::spawn(async move {
                    for i in 0..share {
                        decide(task, i).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap_or_else(|e| panic!("{e}"));
        }
        started.elapsed()
    })
}

fn crate_store<A: StoredAlgorithm>(
    stores: &RedisStores,
    rt: &tokio::runtime::Runtime,
    keys: u64,
    iters: u64,
) -> Duration {
    let stores = stores.clone();
    timed(rt, iters, move |task, i| {
        let stores = stores.clone();
        async move {
            let now = SystemClock.now();
            let decision = stores
                .rate_limit::<A>(&client(keys, task, i), A::NAME, &rate(), now, 1)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(decision.allowed);
        }
    })
}

/// The floor: `INCR` then `EXPIRE ... NX` in one atomic pipeline, the count
/// compared with the limit by the client.
fn incr_expire(
    conn: &RedisConnection,
    rt: &tokio::runtime::Runtime,
    keys: u64,
    iters: u64,
) -> Duration {
    let conn = conn.clone();
    timed(rt, iters, move |task, i| {
        let mut conn = conn.clone();
        async move {
            let window = SystemClock.now().as_secs() / 3600;
            let key = format!("floor:{}:{window}", client(keys, task, i));
            let (count,): (u64,) = redis::pipe()
                .atomic()
                .incr(&key, 1)
                .cmd("EXPIRE")
                .arg(&key)
                .arg(3600)
                .arg("NX")
                .ignore()
                .query_async(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(count <= 1_000_000_000);
        }
    })
}

fn decisions(c: &mut Criterion) {
    let server = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let options = Options::new()
        .with_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let stores = rt
        .block_on(RedisStores::connect(&server.url(), options))
        .unwrap_or_else(|e| panic!("{e}"));
    let conn = stores.connection();
    for (name, keys) in [("one_key", 1), ("10k_keys", KEYS)] {
        let mut group = c.benchmark_group(format!("redis_16_clients/{name}"));
        group.throughput(Throughput::Elements(1));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(4));
        group.bench_function("portcullis_gcra", |b| {
            b.iter_custom(|iters| crate_store::<Gcra>(&stores, &rt, keys, iters));
        });
        group.bench_function("portcullis_fixed_window", |b| {
            b.iter_custom(|iters| crate_store::<FixedWindow>(&stores, &rt, keys, iters));
        });
        group.bench_function("incr_expire_floor", |b| {
            b.iter_custom(|iters| incr_expire(&conn, &rt, keys, iters));
        });
        group.finish();
    }
}

criterion_group!(benches, decisions);
criterion_main!(benches);
