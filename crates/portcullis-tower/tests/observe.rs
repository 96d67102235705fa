//! What the layers report to the core's `observe` (feature `metrics` of the core,
//! on in this crate's dev-dependency on it): metrics-util's `DebuggingRecorder`, installed on this
//! thread, counts the rate-limit layer's decisions, in memory as on Redis (the
//! report follows the store's answer, whichever store gave it).

mod support;

use axum::Router;
use axum::routing::get;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use portcullis::observe::metric;
use portcullis::ratelimit::{Gcra, KeyedLimiterConfig, RateTable};
use portcullis_tower::{MemoryRateLimits, RateLimiter};
use support::{request, send};

#[test]
fn the_rate_limit_layer_counts_each_decision_by_scope_never_by_client() {
    let table = RateTable::new().with_anonymous("1/m".parse().unwrap());
    let store: MemoryRateLimits<Gcra> =
        MemoryRateLimits::new(&table, KeyedLimiterConfig::default()).unwrap();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimiter::new(table, store).unwrap().layer());
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let statuses = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let mut statuses = Vec::new();
            for _ in 0..3 {
                statuses.push(send(&app, request("GET", "/", &[])).await.status);
            }
            statuses
        })
    });
    assert_eq!(statuses, [200, 429, 429]);
    let mut counted = Vec::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        if key.name() != metric::RATELIMIT_DECISIONS {
            continue;
        }
        let mut labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        labels.sort_unstable();
        let DebugValue::Counter(n) = value else {
            panic!("{} is not a counter", key.name());
        };
        counted.push((labels, n));
    }
    counted.sort_unstable();
    let labels = |result: &str| {
        vec![
            ("result".to_owned(), result.to_owned()),
            ("scope".to_owned(), "anon".to_owned()),
        ]
    };
    assert_eq!(counted, [(labels("allowed"), 1), (labels("limited"), 2)]);
}
