//! The Redis adapters against a real `redis-server`, started by the test on an
//! ephemeral loopback port (`.ci/run` installs it). Run with
//! `cargo test -p portcullis-tower --features redis-tests --test redis`.

mod service_support;
#[allow(dead_code)] // the tests use the stores, not every helper
#[path = "../examples/axum_service/store.rs"]
mod store;

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{
    Algorithm, FixedWindow, Gcra, Rate, SlidingLog, SlidingWindow, TokenBucket,
};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm as Alg, Keyring, SigningKey, TokenConfig, TokenError, TokenService, Tokens,
};
use serde_json::json;
use service_support::Service;
use service_support::redis_server::RedisServer;
use store::RedisStore;

/// A non-zero `u32` for a rate.
fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).expect("a non-zero count")
}

const CLIENTS: usize = 16;
const REQUESTS_PER_CLIENT: usize = 1_000;

fn redis() -> RedisServer {
    RedisServer::start()
        .expect("redis-server starts")
        .expect("redis-server is installed (`.ci/run` installs it)")
}

fn now() -> UnixTime {
    UnixTime::from_secs(1_800_000_000).unwrap()
}

/// 16 threads hammer one key; every decision uses the same `now`, so exactly the
/// quota may be admitted whatever the interleaving.
fn admitted_under_contention<A: Algorithm>(store: &RedisStore, quota: u32) -> u32 {
    let rate = Rate::new(nz(quota), nz(3600));
    let admitted = AtomicU32::new(0);
    let start = Barrier::new(CLIENTS);
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            scope.spawn(|| {
                start.wait();
                for _ in 0..REQUESTS_PER_CLIENT {
                    let decision = store
                        .rate_limit::<A>("rl:one-key", &rate, now(), 1)
                        .unwrap();
                    if decision.allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    admitted.into_inner()
}

#[test]
fn sixteen_clients_on_one_key_admit_exactly_the_quota() {
    let server = redis();
    for (name, quota) in [
        ("gcra", 1_000),
        ("token-bucket", 900),
        ("fixed-window", 777),
        ("sliding-window", 500),
        ("sliding-log", 300),
    ] {
        let store = RedisStore::connect(&server.url(), &format!("{name}:")).unwrap();
        let admitted = match name {
            "gcra" => admitted_under_contention::<Gcra>(&store, quota),
            "token-bucket" => admitted_under_contention::<TokenBucket>(&store, quota),
            "fixed-window" => admitted_under_contention::<FixedWindow>(&store, quota),
            "sliding-window" => admitted_under_contention::<SlidingWindow>(&store, quota),
            _ => admitted_under_contention::<SlidingLog>(&store, quota),
        };
        assert_eq!(
            admitted, quota,
            "{name}: {CLIENTS} x {REQUESTS_PER_CLIENT} requests admitted {admitted}, quota {quota}"
        );
    }
}

#[test]
fn lockout_counts_every_concurrent_failure() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "lockout:").unwrap();
    let guard = LoginGuard::default();
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            scope.spawn(|| {
                for _ in 0..5 {
                    store
                        .record_login_failure(&guard, "alice", "ip:192.0.2.1", now())
                        .unwrap();
                }
            });
        }
    });
    let states = store.login_states("alice", "ip:192.0.2.1").unwrap();
    // 80 failures, none lost to a race, under each of the three keys.
    assert_eq!(states.pair.unwrap().failures(), 80);
    assert_eq!(states.ip.unwrap().failures(), 80);
    assert_eq!(states.account.unwrap().failures(), 80);
    assert!(!guard.status(&states, now()).is_open());
    store
        .record_login_success(&guard, "alice", "ip:192.0.2.1")
        .unwrap();
    let states = store.login_states("alice", "ip:192.0.2.1").unwrap();
    assert!(states.pair.is_none() && states.account.is_none());
    assert_eq!(
        states.ip.unwrap().failures(),
        80,
        "the per-IP count survives a success"
    );
}

fn token_service(store: &RedisStore) -> TokenService<&RedisStore> {
    let secret = SecretBytes::from_slice(b"a test secret of at least 32 bytes!!");
    let tokens = Tokens::new(
        TokenConfig::hardened(),
        Keyring::new(SigningKey::hmac(Alg::HS256, &secret).unwrap()),
    )
    .unwrap();
    TokenService::new(tokens, store)
}

#[test]
fn sixteen_concurrent_refreshes_one_wins_and_the_family_is_revoked() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "refresh:").unwrap();
    let service = token_service(&store);
    let pair = service.issue_pair("42", &json!({}), now()).unwrap();
    let start = Barrier::new(CLIENTS);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    service.refresh(&pair.refresh, now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for result in &results {
        if let Err(e) = result {
            // A loser either saw the token used (and revoked the family) or found
            // the family already revoked by another loser.
            assert!(
                matches!(e, TokenError::Reused | TokenError::Blacklisted),
                "{e:?}"
            );
        }
    }
    assert!(results.iter().any(|r| r == &Err(TokenError::Reused)));
    let winner = winners[0];
    assert_eq!(
        service.verify_access(&winner.access, now()),
        Err(TokenError::Blacklisted)
    );
    let next_refresh = winner.refresh.as_deref().unwrap();
    assert_eq!(
        service.refresh(next_refresh, now()).map(|_| ()),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        service.verify_access(&pair.access, now()),
        Err(TokenError::Blacklisted)
    );
    // Other users are untouched.
    let other = service.issue_pair("43", &json!({}), now()).unwrap();
    assert!(service.verify_access(&other.access, now()).is_ok());
}

/// SimpleJWT's ten-year refresh token (tests/data/token/generate_flows.py), so that
/// the entries' real-clock TTLs are in the future.
fn simplejwt_chain_service(store: &RedisStore) -> (String, TokenService<&RedisStore>) {
    // SimpleJWT's own flows, the core's fixture (generated by its script).
    let path = format!(
        "{}/../../tests/data/token/simplejwt_flows.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(data["refresh"]["claims"].get("family").is_none());
    let secret = SecretBytes::from_slice(data["secret_key"].as_str().unwrap().as_bytes());
    let mut config = TokenConfig::simplejwt_defaults();
    config.rotate_refresh_tokens = true;
    config.blacklist_after_rotation = true;
    let tokens = Tokens::new(
        config,
        Keyring::new(SigningKey::hmac(Alg::HS256, &secret).unwrap()),
    )
    .unwrap();
    let token = data["refresh"]["token"].as_str().unwrap().to_owned();
    (token, TokenService::new(tokens, store))
}

#[test]
fn a_replayed_simplejwt_refresh_token_revokes_its_whole_chain_in_redis() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "sjwt:").unwrap();
    let (original, service) = simplejwt_chain_service(&store);
    let t = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let first = service.refresh(&original, t).unwrap();
    let second = service.refresh(first.refresh.as_ref().unwrap(), t).unwrap();
    service.verify_access(&second.access, t).unwrap();
    assert_eq!(service.refresh(&original, t), Err(TokenError::Reused));
    assert_eq!(
        service.refresh(second.refresh.as_ref().unwrap(), t),
        Err(TokenError::Blacklisted)
    );
    for access in [&first.access, &second.access] {
        assert_eq!(
            service.verify_access(access, t),
            Err(TokenError::Blacklisted)
        );
    }
}

#[test]
fn logout_everywhere_in_redis_splits_tokens_at_the_call_within_one_second() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "cutoff:").unwrap();
    let service = token_service(&store);
    let real_now = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let ms = |n: u64| {
        real_now
            .checked_add(std::time::Duration::from_millis(n))
            .unwrap()
    };
    let stolen = service.issue_pair("7", &json!({}), real_now).unwrap();
    service.revoke_user_before("7", ms(1)).unwrap();
    let fresh = service.issue_pair("7", &json!({}), ms(2)).unwrap();
    assert_eq!(
        service.verify_access(&stolen.access, ms(3)),
        Err(TokenError::Blacklisted)
    );
    // The consume script compares the same way.
    assert_eq!(
        service.refresh(&stolen.refresh, ms(3)),
        Err(TokenError::Blacklisted)
    );
    service.verify_access(&fresh.access, ms(3)).unwrap();
    service.refresh(&fresh.refresh, ms(3)).unwrap();
}

#[test]
fn a_redis_failure_is_a_typed_store_error_keeping_the_redis_error() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "down:").unwrap();
    let service = token_service(&store);
    let t = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let pair = service.issue_pair("7", &json!({}), t).unwrap();
    service.verify_access(&pair.access, t).unwrap();
    drop(server);
    let err = service.verify_access(&pair.access, t).unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    let TokenError::Store(store_error) = &err else {
        panic!("expected a store error, got {err:?}")
    };
    assert!(matches!(
        store_error.kind(),
        portcullis::store::StoreErrorKind::Unavailable | portcullis::store::StoreErrorKind::Timeout
    ));
    let source = std::error::Error::source(store_error).expect("the Redis error is kept");
    assert!(
        source.downcast_ref::<redis::RedisError>().is_some(),
        "{source}"
    );
}

#[test]
fn revocations_expire_with_redis_ttls() {
    let server = redis();
    let store = RedisStore::connect(&server.url(), "ttl:").unwrap();
    // Tokens issued now: their revocation entries carry real expiry times.
    let service = token_service(&store);
    let real_now = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let pair = service.issue_pair("7", &json!({}), real_now).unwrap();
    service.logout(&pair.refresh, real_now).unwrap();
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("ttl:*").query(&mut conn).unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}"); // the family (it covers the token itself)
    for key in keys {
        let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut conn).unwrap();
        // A week-long refresh lifetime (plus leeway): a TTL, not a permanent key.
        assert!((600_000..=700_000).contains(&ttl), "{key}: ttl {ttl}");
    }
    // Rate-limit state expires when it would be full again.
    let rate = Rate::new(nz(10), nz(60));
    store
        .rate_limit::<Gcra>("rl:k", &rate, real_now, 1)
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL").arg("ttl:rl:k").query(&mut conn).unwrap();
    assert!((1..=6_000).contains(&ttl), "pttl {ttl}");
}

fn shared_instances(
    server: &RedisServer,
    prefix: &str,
    env: &[(&str, &str)],
) -> (Service, Service) {
    let url = server.url();
    let mut common = vec![
        ("REDIS_URL", url.as_str()),
        ("PORTCULLIS_REDIS_PREFIX", prefix),
        (
            "PORTCULLIS_JWT_SECRET",
            "one secret shared by both instances!",
        ),
    ];
    common.extend_from_slice(env);
    let mut a = common.clone();
    a.push(("PORTCULLIS_INSTANCE", "a"));
    let mut b = common;
    b.push(("PORTCULLIS_INSTANCE", "b"));
    (Service::start(&a), Service::start(&b))
}

#[test]
fn two_instances_share_revocations_and_lockout() {
    let server = redis();
    let (a, b) = shared_instances(&server, "two:", &[("PORTCULLIS_LOGIN_RATE", "100/m")]);
    assert_eq!(a.get("/healthz", &[]).json()["backend"], "redis");
    assert_eq!(b.get("/healthz", &[]).json()["instance"], "b");

    // A token issued by one is good on the other.
    let (access, refresh) = a.login("alice");
    let bearer = format!("Bearer {access}");
    assert_eq!(b.get("/api/me/", &[("Authorization", &bearer)]).status, 200);

    // Logout through b: a refuses the refresh token and its family's access token.
    let r = b.post("/api/token/blacklist/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 200);
    let r = a.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["detail"], "Token is blacklisted");
    assert_eq!(a.get("/api/me/", &[("Authorization", &bearer)]).status, 401);

    // Rotation on a, replay on b: reuse detected across instances.
    let (_, refresh) = b.login("bob");
    let r = a.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 200);
    let rotated = r.json()["access"].as_str().unwrap().to_owned();
    let r = b.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 401);
    let r = a.get(
        "/api/me/",
        &[("Authorization", &format!("Bearer {rotated}"))],
    );
    assert_eq!(r.status, 401);

    // Logout everywhere through a reaches tokens checked by b.
    let (bob_access, _) = b.login("bob");
    let r = a.post_raw(
        "/api/logout-everywhere/",
        &[("Authorization", &format!("Bearer {bob_access}"))],
        "",
    );
    assert_eq!(r.status, 200);
    let r = b.get(
        "/api/me/",
        &[("Authorization", &format!("Bearer {bob_access}"))],
    );
    assert_eq!(r.status, 401);

    // Failures on both instances count together: 3 on a and 2 on b lock alice.
    for (service, n) in [(&a, 3), (&b, 2)] {
        for _ in 0..n {
            let r = service.post(
                "/api/token/",
                &[],
                &json!({"username": "alice", "password": "x"}),
            );
            assert_eq!(r.status, 401);
        }
    }
    let r = a.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": service_support::PASSWORD}),
    );
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["code"], "login_locked");
}

#[test]
fn two_instances_share_the_rate_limit() {
    let server = redis();
    let (a, b) = shared_instances(&server, "rate:", &[("PORTCULLIS_API_RATE", "10/h")]);
    let mut statuses = Vec::new();
    for i in 0..20 {
        let service = if i % 2 == 0 { &a } else { &b };
        statuses.push(service.get("/api/me/", &[]).status);
    }
    // Unauthenticated calls still count: the limit runs first.
    let served = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((served, refused), (10, 10), "{statuses:?}");
    let r = b.get("/api/me/", &[]);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("ratelimit-policy"), Some("\"api\";q=10;w=3600"));
    assert!(r.header("retry-after").is_some());
}

#[test]
fn service_self_check_on_redis_leaves_no_keys() {
    let server = redis();
    let output = std::process::Command::new(service_support::service_path())
        .arg("--self-check")
        .env("REDIS_URL", server.url())
        .env_remove("PORTCULLIS_CONFIG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("(state: redis)"), "{stdout}");
    assert!(stdout.contains("checks passed"), "{stdout}");
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let size: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(size, 0);
}

#[test]
fn unreachable_redis_is_a_configuration_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = std::process::Command::new(service_support::service_path())
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .env("REDIS_URL", format!("redis://127.0.0.1:{port}/0"))
        .env_remove("PORTCULLIS_CONFIG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("REDIS_URL"));
}
