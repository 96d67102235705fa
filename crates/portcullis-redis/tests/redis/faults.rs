//! Faults: Redis restarted in the middle of a load run, and Redis that stops
//! answering (SIGSTOP).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{Gcra, Rate};
use portcullis::store::StoreErrorKind;
use portcullis::token::{TokenError, TokenKind, TokenService};
use portcullis_redis::test_server::RedisServer;
use portcullis_redis::{BlockingStores, Error, FailureMode, Options, RedisStores};
use serde_json::json;

use crate::support::ready;
use crate::{now, nz, runtime, tokens};

/// The per-call bound of the fault tests.
const BOUND: Duration = Duration::from_millis(200);

fn bounded(prefix: &str) -> Options {
    Options::new()
        .with_prefix(prefix)
        .expect("a prefix")
        .with_timeout(BOUND)
        .expect("a timeout")
}

/// How long until `ok` holds, polling every 10 ms, or `None` after 5 s.
fn time_until(mut ok: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if ok() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn is_store_error(result: &Result<impl std::fmt::Debug, TokenError>) -> bool {
    matches!(result, Err(TokenError::Store(_)))
}

#[test]
fn a_restart_mid_load_fails_closed_never_exceeds_the_quota_and_recovers_within_a_second() {
    let mut server = ready(RedisServer::start_persistent());
    let rt = runtime();
    let stores = rt
        .block_on(RedisStores::connect(&server.url(), bounded("restart:")))
        .expect("stores");
    let blocking = BlockingStores::connect(&server.url(), bounded("restart:")).expect("stores");
    let tokens = Arc::new(tokens());
    let guard = LoginGuard::default();
    let t = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);

    // Before the restart: one session logged out, one live.
    let revoked = tokens.issue_pair("7", &json!({}), t).expect("a pair");
    rt.block_on(stores.logout(&tokens, &revoked.refresh, t))
        .expect("logged out");
    let live = tokens.issue_pair("8", &json!({}), t).expect("a pair");

    // Load: eight clients on one key of quota 300, all at one `now`.
    const QUOTA: u32 = 300;
    let rate = Rate::new(nz(QUOTA), nz(3600));
    let admitted = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..8)
        .map(|_| {
            let (stores, admitted, stop) = (stores.clone(), admitted.clone(), stop.clone());
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let decision = stores
                        .rate_limit::<Gcra>("ip:192.0.2.1", "api", &rate, now(), 1)
                        .await;
                    if decision.is_ok_and(|d| d.allowed) {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        })
        .collect();
    // Kill as soon as the load is admitted: eight clients at full speed use the
    // quota up in under 100 ms on an idle machine.
    let started = Instant::now();
    while admitted.load(Ordering::Relaxed) == 0 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let before_kill = admitted.load(Ordering::Relaxed);
    assert!(
        before_kill > 0 && before_kill < QUOTA,
        "the load runs: {before_kill}"
    );

    server.kill();
    // While down: revocation and lockout fail closed (503), rate limits refuse.
    std::thread::sleep(Duration::from_millis(100));
    let verified = rt.block_on(stores.verify(&tokens, &live.access, TokenKind::Access, t));
    assert!(is_store_error(&verified), "{verified:?}");
    assert_eq!(verified.expect_err("refused").code(), "store_unavailable");
    let refreshed = rt.block_on(stores.refresh(&tokens, &revoked.refresh, t));
    assert!(is_store_error(&refreshed), "{refreshed:?}");
    assert!(
        rt.block_on(stores.check_login(&guard, "alice", "ip:192.0.2.1", t))
            .is_err()
    );
    let service = TokenService::new(crate::tokens(), &blocking);
    assert!(is_store_error(&service.verify_access(&live.access, t)));
    let during = admitted.load(Ordering::Relaxed);

    ready(server.restart());
    let async_recovery = time_until(|| {
        rt.block_on(stores.verify(&tokens, &live.access, TokenKind::Access, t))
            .is_ok()
    })
    .expect("the async stores recover by themselves");
    let blocking_recovery = time_until(|| service.verify_access(&live.access, t).is_ok())
        .expect("the blocking stores recover by themselves");
    assert!(
        async_recovery <= Duration::from_secs(1),
        "async: {async_recovery:?}"
    );
    assert!(
        blocking_recovery <= Duration::from_secs(1),
        "blocking: {blocking_recovery:?}"
    );

    // The revocation survived the restart (append-only file).
    assert_eq!(
        rt.block_on(stores.refresh(&tokens, &revoked.refresh, t)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        rt.block_on(stores.verify(&tokens, &revoked.access, TokenKind::Access, t)),
        Err(TokenError::Blacklisted)
    );

    // Let the load exhaust the quota, then stop it.
    let exhausted = time_until(|| {
        rt.block_on(stores.rate_limit::<Gcra>("ip:192.0.2.1", "api", &rate, now(), 0))
            .is_ok_and(|d| !d.allowed)
    });
    stop.store(true, Ordering::Relaxed);
    for task in load {
        rt.block_on(task).expect("a load task");
    }
    assert!(
        exhausted.is_some(),
        "the quota is used up after the restart"
    );
    let total = admitted.load(Ordering::Relaxed);
    assert!(total <= QUOTA, "admitted {total} of a quota of {QUOTA}");
    assert!(
        total > during,
        "requests were admitted after the restart: {during} -> {total}"
    );
}

#[test]
fn a_redis_that_stops_answering_times_out_within_the_bound_and_takes_the_failure_mode() {
    let server = ready(RedisServer::start());
    let rt = runtime();
    let closed = rt
        .block_on(RedisStores::connect(&server.url(), bounded("stop:")))
        .expect("stores");
    let open = rt
        .block_on(RedisStores::connect(
            &server.url(),
            bounded("stop:").with_rate_limit_failure(FailureMode::Open),
        ))
        .expect("stores");
    let tokens = tokens();
    let guard = LoginGuard::default();
    let t = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let pair = tokens.issue_pair("7", &json!({}), t).expect("a pair");
    let rate = Rate::new(nz(10), nz(60));
    rt.block_on(closed.verify(&tokens, &pair.access, TokenKind::Access, t))
        .expect("valid");
    assert!(
        rt.block_on(open.rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1))
            .expect("a decision")
            .allowed
    );

    ready(server.pause());
    // The slack covers scheduling on a loaded two-core machine.
    let within = BOUND + Duration::from_millis(300);
    let timed = |started: Instant| {
        let elapsed = started.elapsed();
        assert!(elapsed < within, "took {elapsed:?}, bound {BOUND:?}");
    };

    let started = Instant::now();
    let verified = rt.block_on(closed.verify(&tokens, &pair.access, TokenKind::Access, t));
    timed(started);
    let Err(TokenError::Store(store_error)) = &verified else {
        panic!("fails closed: {verified:?}")
    };
    assert_eq!(store_error.kind(), StoreErrorKind::Timeout);

    let started = Instant::now();
    let limited = rt.block_on(closed.rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1));
    timed(started);
    let err = limited.expect_err("fails closed");
    assert_eq!(err.kind(), StoreErrorKind::Timeout, "{err:?}");

    let started = Instant::now();
    let admitted = rt.block_on(open.rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1));
    timed(started);
    assert!(admitted.expect("fails open").allowed);
    assert_eq!(open.failures_absorbed(), 1);

    let started = Instant::now();
    let login = rt.block_on(closed.check_login(&guard, "alice", "ip:192.0.2.1", t));
    timed(started);
    assert!(
        matches!(login, Err(Error::Timeout(_) | Error::Redis(_))),
        "{login:?}"
    );

    ready(server.resume());
    let recovered = time_until(|| {
        rt.block_on(closed.verify(&tokens, &pair.access, TokenKind::Access, t))
            .is_ok()
    });
    assert!(
        recovered.is_some_and(|d| d <= Duration::from_secs(1)),
        "{recovered:?}"
    );
}
