//! The Redis lockout reports what the core's `LoginGuard` reports (feature
//! `observe-tests`: the core's `metrics` on, metrics-util's `DebuggingRecorder`
//! on this thread, the stores on a current-thread runtime so every report is
//! made on it), against its own `redis-server`.

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use portcullis::clock::UnixTime;
use portcullis::observe::metric;
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis_redis::test_server::RedisServer;
use portcullis_redis::{Options, RedisStores};

#[test]
fn lockout_engagement_and_releases_are_reported_once_each() {
    let server = RedisServer::start()
        .unwrap_or_else(|e| panic!("{e} (scripts/ci-services.sh installs redis-server)"));
    let now = UnixTime::from_secs(1_800_000_000).unwrap();
    let guard = LoginGuard::default();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let options = Options::new().with_prefix("observe:").unwrap();
            let stores = RedisStores::connect(&server.url(), options).await.unwrap();
            let ip = "ip:192.0.2.1";
            for _ in 0..8 {
                stores
                    .record_login_failure(&guard, "alice", ip, now)
                    .await
                    .unwrap();
            }
            let status = stores.check_login(&guard, "alice", ip, now).await;
            assert!(!status.unwrap().is_open());
            stores
                .record_login_success(&guard, "alice", ip, now)
                .await
                .unwrap();
            // A success with nothing left to clear (the network's count is
            // kept, unchanged) releases nothing.
            stores
                .record_login_success(&guard, "alice", ip, now)
                .await
                .unwrap();
            stores.unlock_login("alice", ip).await.unwrap();
        });
    });
    let (mut lockouts, mut durations) = (Vec::new(), Vec::new());
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        match (key.name(), value) {
            (name, DebugValue::Counter(n)) if name == metric::LOCKOUTS => {
                let labels: Vec<String> = key
                    .labels()
                    .map(|l| format!("{}={}", l.key(), l.value()))
                    .collect();
                lockouts.push((labels.join(","), n));
            }
            (name, DebugValue::Histogram(values)) if name == metric::LOCKOUT_DURATION => {
                durations.extend(values.iter().map(|v| v.0));
            }
            _ => {}
        }
    }
    lockouts.sort_unstable();
    // Engaged once (the failure that locked it, not the ones after); released
    // by the first success and by the unlock.
    assert_eq!(
        lockouts,
        [
            ("event=engaged".to_owned(), 1),
            ("event=released".to_owned(), 2)
        ]
    );
    assert_eq!(durations, [60.0]);
}
