//! Every store against one `redis-server`.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::clock::{Clock, SystemClock};
use portcullis::jose::dpop::{DpopError, DpopVerifier, ReplayKey, ReplayStore, Request, Seen};
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::state::KeyedStore;
use portcullis::ratelimit::{
    Algorithm, FixedWindow, Gcra, Rate, SlidingLog, SlidingWindow, TokenBucket,
};
use portcullis::secret::SecretBytes;
use portcullis::store::StoreErrorKind;
use portcullis::token::{
    Algorithm as Alg, Keyring, SigningKey, TokenConfig, TokenError, TokenKind, TokenService, Tokens,
};
use portcullis_redis::test_server::{RedisServer, free_port};
use portcullis_redis::{
    BlockingStores, Error, FailureMode, KeyState, RedisStores, Selector, StoredAlgorithm,
};
use serde_json::json;

use crate::support::ready;
use crate::{CLIENTS, admitted, instances, now, nz, options, runtime, tokens};

const REQUESTS_PER_CLIENT: usize = 1_000;

#[test]
fn sixteen_clients_on_one_key_admit_exactly_the_quota() {
    let server = ready(RedisServer::start());
    runtime().block_on(async {
        for (name, quota) in [
            (Gcra::NAME, 1_000),
            (TokenBucket::NAME, 900),
            (FixedWindow::NAME, 777),
            (SlidingWindow::NAME, 500),
            (SlidingLog::NAME, 300),
        ] {
            // Sixteen instances, one connection each: every client races the others.
            let stores = instances(&server.url(), &format!("{name}:"), CLIENTS).await;
            let admitted = match name {
                "gcra" => admitted::<Gcra>(&stores, quota, CLIENTS, REQUESTS_PER_CLIENT).await,
                "token-bucket" => admitted::<TokenBucket>(&stores, quota, CLIENTS, REQUESTS_PER_CLIENT).await,
                "fixed-window" => admitted::<FixedWindow>(&stores, quota, CLIENTS, REQUESTS_PER_CLIENT).await,
                "sliding-window" => admitted::<SlidingWindow>(&stores, quota, CLIENTS, REQUESTS_PER_CLIENT).await,
                _ => admitted::<SlidingLog>(&stores, quota, CLIENTS, REQUESTS_PER_CLIENT).await,
            };
            assert_eq!(
                admitted, quota,
                "{name}: {CLIENTS} x {REQUESTS_PER_CLIENT} requests admitted {admitted}, quota {quota}"
            );
        }
    });
}

#[test]
fn sixteen_threads_through_the_blocking_keyed_store_admit_exactly_the_quota() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("keyed:")).expect("stores");
    let rate = Rate::new(nz(400), nz(3600));
    let limiter = stores.limiter::<SlidingWindow>("search", rate);
    let admitted = AtomicU32::new(0);
    let start = Barrier::new(CLIENTS);
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            scope.spawn(|| {
                start.wait();
                for _ in 0..100 {
                    let allowed = limiter
                        .update("user:42", now(), |state| {
                            match SlidingWindow::decide(&rate, state, now(), 1) {
                                Ok((d, next)) => (d.allowed, Some(next)),
                                Err(_) => (false, state.copied()),
                            }
                        })
                        .expect("a decision");
                    if allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.into_inner(), 400);
}

#[test]
fn lockout_counts_every_concurrent_failure() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("lockout:")).expect("stores");
    let guard = LoginGuard::default();
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (stores, guard) = (&stores, &guard);
            scope.spawn(move || {
                for _ in 0..5 {
                    // One network for all, and one network per client on "bob".
                    stores
                        .record_login_failure(guard, "alice", "ip:192.0.2.1", now())
                        .expect("recorded");
                    stores
                        .record_login_failure(
                            guard,
                            "bob",
                            &format!("ip:198.51.100.{client}"),
                            now(),
                        )
                        .expect("recorded");
                }
            });
        }
    });
    let states = stores
        .login_states("alice", "ip:192.0.2.1")
        .expect("states");
    // 80 failures from one network, none lost to a race; the account moved only
    // for the first `per_network_failures` of them (the core guard's weighting).
    assert_eq!(states.pair.expect("pair").failures(), 80);
    assert_eq!(states.ip.expect("ip").failures(), 80);
    assert_eq!(
        states.account.expect("account").failures(),
        guard.per_network_failures
    );
    let bob = stores
        .login_states("bob", "ip:198.51.100.3")
        .expect("states");
    assert_eq!(bob.account.expect("account").failures(), 80);
    assert!(
        !stores
            .check_login(&guard, "alice", "ip:192.0.2.1", now())
            .expect("status")
            .is_open()
    );
    stores
        .record_login_success(&guard, "alice", "ip:192.0.2.1", now())
        .expect("success");
    let states = stores
        .login_states("alice", "ip:192.0.2.1")
        .expect("states");
    assert!(states.pair.is_none() && states.account.is_none());
    assert_eq!(
        states.ip.expect("ip").failures(),
        80,
        "the network's count survives a success"
    );
}

#[test]
fn sixteen_concurrent_refreshes_one_wins_and_the_family_is_revoked() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("refresh:")).expect("stores");
    let service = TokenService::new(tokens(), &stores);
    let pair = service.issue_pair("42", &json!({}), now()).expect("a pair");
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
        handles
            .into_iter()
            .map(|h| h.join().expect("joined"))
            .collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for result in &results {
        if let Err(e) = result {
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
    let next = winner.refresh.as_deref().expect("rotated");
    assert_eq!(
        service.refresh(next, now()).map(|_| ()),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        service.verify_access(&pair.access, now()),
        Err(TokenError::Blacklisted)
    );
    let other = service.issue_pair("43", &json!({}), now()).expect("a pair");
    assert!(service.verify_access(&other.access, now()).is_ok());
}

#[test]
fn sixteen_concurrent_async_refreshes_one_wins() {
    let server = ready(RedisServer::start());
    runtime().block_on(async {
        let stores = RedisStores::connect(&server.url(), options("arefresh:"))
            .await
            .expect("stores");
        let tokens = std::sync::Arc::new(tokens());
        let pair = tokens.issue_pair("42", &json!({}), now()).expect("a pair");
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (stores, tokens, refresh) =
                    (stores.clone(), tokens.clone(), pair.refresh.clone());
                tokio::spawn(async move { stores.refresh(&tokens, &refresh, now()).await })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.expect("joined") {
                Ok(refreshed) => winners.push(refreshed),
                Err(e) => assert!(matches!(e, TokenError::Reused | TokenError::Blacklisted)),
            }
        }
        assert_eq!(winners.len(), 1);
        let verified = stores
            .verify(&tokens, &winners[0].access, TokenKind::Access, now())
            .await;
        assert_eq!(verified, Err(TokenError::Blacklisted));
    });
}

#[test]
fn a_replayed_simplejwt_refresh_token_revokes_its_whole_chain() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("sjwt:")).expect("stores");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/token/simplejwt_flows.json"
    );
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("json");
    assert!(data["refresh"]["claims"].get("family").is_none());
    let secret = SecretBytes::from_slice(data["secret_key"].as_str().expect("a key").as_bytes());
    let mut config = TokenConfig::simplejwt_defaults();
    config.rotate_refresh_tokens = true;
    config.blacklist_after_rotation = true;
    let tokens = Tokens::new(
        config,
        Keyring::new(SigningKey::hmac(Alg::HS256, &secret).expect("a key")),
    )
    .expect("tokens");
    let service = TokenService::new(tokens, &stores);
    let original = data["refresh"]["token"].as_str().expect("a token");
    let t = SystemClock.now();
    let first = service.refresh(original, t).expect("first refresh");
    let second = service
        .refresh(first.refresh.as_ref().expect("rotated"), t)
        .expect("second refresh");
    service.verify_access(&second.access, t).expect("valid");
    assert_eq!(service.refresh(original, t), Err(TokenError::Reused));
    assert_eq!(
        service.refresh(second.refresh.as_ref().expect("rotated"), t),
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
fn logout_everywhere_splits_tokens_at_the_call_within_one_second() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("cutoff:")).expect("stores");
    let service = TokenService::new(tokens(), &stores);
    let real_now = SystemClock.now();
    let ms = |n: u64| {
        real_now
            .checked_add(Duration::from_millis(n))
            .expect("a time")
    };
    let stolen = service
        .issue_pair("7", &json!({}), real_now)
        .expect("a pair");
    service.revoke_user_before("7", ms(1)).expect("revoked");
    let fresh = service.issue_pair("7", &json!({}), ms(2)).expect("a pair");
    assert_eq!(
        service.verify_access(&stolen.access, ms(3)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        service.refresh(&stolen.refresh, ms(3)),
        Err(TokenError::Blacklisted)
    );
    service
        .verify_access(&fresh.access, ms(3))
        .expect("after the cutoff");
    service
        .refresh(&fresh.refresh, ms(3))
        .expect("after the cutoff");
}

#[test]
fn a_redis_failure_is_a_typed_store_error_keeping_the_redis_error() {
    let mut server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("down:")).expect("stores");
    let service = TokenService::new(tokens(), &stores);
    let t = SystemClock.now();
    let pair = service.issue_pair("7", &json!({}), t).expect("a pair");
    service.verify_access(&pair.access, t).expect("valid");
    server.kill();
    let err = service
        .verify_access(&pair.access, t)
        .expect_err("fails closed");
    assert_eq!(err.code(), "store_unavailable");
    let TokenError::Store(store_error) = &err else {
        panic!("expected a store error, got {err:?}")
    };
    assert!(matches!(
        store_error.kind(),
        StoreErrorKind::Unavailable | StoreErrorKind::Timeout
    ));
    let source = std::error::Error::source(store_error).expect("this crate's error is kept");
    let ours = source
        .downcast_ref::<Error>()
        .expect("a portcullis_redis::Error");
    match ours {
        Error::Redis(redis) => assert!(redis.is_io_error() || redis.is_connection_refusal()),
        Error::Timeout(_) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn revocations_and_limits_expire_with_redis_ttls() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("ttl:")).expect("stores");
    let service = TokenService::new(tokens(), &stores);
    let real_now = SystemClock.now();
    let pair = service
        .issue_pair("7", &json!({}), real_now)
        .expect("a pair");
    service.logout(&pair.refresh, real_now).expect("logged out");
    let mut conn = ready(server.conn());
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("ttl:*")
        .query(&mut conn)
        .expect("keys");
    assert_eq!(keys.len(), 1, "{keys:?}"); // the family (it covers the token itself)
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query(&mut conn)
        .expect("ttl");
    // A week-long refresh lifetime (plus leeway): a TTL, not a permanent key.
    assert!((600_000..=700_000).contains(&ttl), "{}: ttl {ttl}", keys[0]);
    // Rate-limit state expires when it would be full again: 10/min, one used.
    let rate = Rate::new(nz(10), nz(60));
    stores
        .rate_limit::<Gcra>("ip:192.0.2.9", "home", &rate, real_now, 1)
        .expect("a decision");
    let key = stores
        .stores()
        .options()
        .layout()
        .rate_limit("ip:192.0.2.9", "home");
    let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut conn).expect("pttl");
    assert!((1..=6_000).contains(&pttl), "pttl {pttl}");
}

#[test]
fn a_dpop_proof_is_accepted_once_within_its_window() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("dpop:")).expect("stores");
    let key = ReplayKey::new("thumbprint", "jti-1");
    let until = now().checked_add(Duration::from_secs(60)).expect("a time");
    assert_eq!(stores.check_and_insert(&key, until, now()), Ok(Seen::First));
    assert_eq!(stores.check_and_insert(&key, until, now()), Ok(Seen::Again));
    let other = ReplayKey::new("another thumbprint", "jti-1");
    assert_eq!(
        stores.check_and_insert(&other, until, now()),
        Ok(Seen::First)
    );
    let pttl: i64 = redis::cmd("PTTL")
        .arg(stores.stores().options().layout().replay(&key))
        .query(&mut ready(server.conn()))
        .expect("pttl");
    assert!((59_000..=60_000).contains(&pttl), "pttl {pttl}");
}

#[test]
fn a_rate_limit_set_to_fail_open_admits_and_counts_when_redis_is_down() {
    let mut server = ready(RedisServer::start());
    let open = options("open:")
        .with_timeout(Duration::from_millis(200))
        .expect("a timeout")
        .with_rate_limit_failure(FailureMode::Open);
    let stores = BlockingStores::connect(&server.url(), open).expect("stores");
    let rate = Rate::new(nz(1), nz(60));
    assert!(
        stores
            .rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1)
            .expect("ok")
            .allowed
    );
    assert!(
        !stores
            .rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1)
            .expect("ok")
            .allowed
    );
    server.kill();
    let decision = stores
        .rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1)
        .expect("fails open");
    assert!(decision.allowed);
    assert_eq!(stores.stores().failures_absorbed(), 1);
    // Lockout stays closed: the login is refused with an error (503).
    let guard = LoginGuard::default();
    assert!(
        stores
            .check_login(&guard, "alice", "ip:192.0.2.1", now())
            .is_err()
    );
    // A cost above the limit is the caller's error whatever the mode.
    assert!(matches!(
        stores.rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 2),
        Err(Error::Refused(_))
    ));
}

#[test]
fn a_value_of_another_algorithm_is_reported_corrupt() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("corrupt:")).expect("stores");
    let rate = Rate::new(nz(5), nz(60));
    stores
        .rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1)
        .expect("a decision");
    let err = stores
        .rate_limit::<TokenBucket>("ip:192.0.2.1", "x", &rate, now(), 1)
        .expect_err("a GCRA value is not a token bucket");
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    assert_eq!(err.kind(), StoreErrorKind::Corrupt);
}

#[test]
fn operators_list_and_clear_a_clients_keys() {
    let server = ready(RedisServer::start());
    runtime().block_on(async {
        let stores = RedisStores::connect(&server.url(), options("ops:"))
            .await
            .expect("stores");
        let rate = Rate::new(nz(2), nz(60));
        for endpoint in ["login", "search"] {
            for client in ["ip:192.0.2.1", "ip:192.0.2.2"] {
                stores
                    .rate_limit::<Gcra>(client, endpoint, &rate, now(), 1)
                    .await
                    .expect("a decision");
            }
        }
        let guard = LoginGuard::default();
        stores
            .record_login_failure(&guard, "alice", "ip:192.0.2.1", now())
            .await
            .expect("recorded");
        let one = Selector {
            client: Some("ip:192.0.2.1"),
            scope: None,
        };
        let listed = stores.list_keys(one).await.expect("listed");
        // Two rate limits, and the pair and network lockout counters.
        assert_eq!(listed.len(), 4, "{listed:?}");
        assert!(
            listed
                .iter()
                .all(|k| k.client == "ip:192.0.2.1" && k.ttl_ms.is_some())
        );
        let algorithms: Vec<_> = listed
            .iter()
            .filter_map(|k| match &k.state {
                KeyState::RateLimit { algorithm, .. } => *algorithm,
                _ => None,
            })
            .collect();
        assert_eq!(algorithms, ["gcra", "gcra"]);
        let scope = Selector {
            client: None,
            scope: Some("login"),
        };
        assert_eq!(stores.list_keys(scope).await.expect("listed").len(), 2);
        let both = Selector {
            client: Some("ip:192.0.2.1"),
            scope: Some("login"),
        };
        let cleared = stores.clear_keys(both).await.expect("cleared");
        assert_eq!(cleared.len(), 1);
        // Its quota is back; the other client's is not.
        assert!(
            stores
                .rate_limit::<Gcra>("ip:192.0.2.1", "login", &rate, now(), 2)
                .await
                .expect("a decision")
                .allowed
        );
        assert!(
            !stores
                .rate_limit::<Gcra>("ip:192.0.2.2", "login", &rate, now(), 2)
                .await
                .expect("a decision")
                .allowed
        );
        assert!(matches!(
            stores.clear_keys(Selector::default()).await,
            Err(Error::Config { .. })
        ));
    });
}

#[test]
fn a_blocking_call_on_an_async_thread_is_refused_not_a_stall() {
    let server = ready(RedisServer::start());
    let stores = BlockingStores::connect(&server.url(), options("inside:")).expect("stores");
    let rate = Rate::new(nz(5), nz(60));
    runtime().block_on(async {
        let refused = stores.rate_limit::<Gcra>("ip:192.0.2.1", "x", &rate, now(), 1);
        assert!(matches!(refused, Err(Error::InsideRuntime)), "{refused:?}");
    });
    drop(stores);
}

#[test]
fn an_unreachable_redis_fails_to_connect_within_the_bound() {
    let port = free_port().expect("a free loopback port");
    let started = std::time::Instant::now();
    let quick = options("none:")
        .with_timeout(Duration::from_millis(300))
        .expect("a timeout");
    let err = BlockingStores::connect(&format!("redis://127.0.0.1:{port}/0"), quick)
        .expect_err("nothing listens there");
    assert!(
        matches!(err, Error::Redis(_) | Error::Timeout(_)),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// RFC 9449 section 4.1's example proof (the core's fixture) and the moment it was made.
const RFC_9449_PROOF: &str = include_str!("../../../../tests/data/jose/rfc9449_4_1_proof.txt");
const RFC_9449_IAT: u64 = 1_562_262_616;

#[test]
fn a_real_dpop_proof_is_accepted_once_through_both_flavours() {
    let server = ready(RedisServer::start());
    let verifier = DpopVerifier::new();
    let request = Request::new("POST", "https://server.example.com/token");
    let at = UnixTime::from_secs(RFC_9449_IAT).expect("a time");
    // Async: the sans-I/O check, then the Redis replay step.
    runtime().block_on(async {
        let stores = RedisStores::connect(&server.url(), options("dpop-async:"))
            .await
            .expect("stores");
        let checked = verifier
            .check(RFC_9449_PROOF.trim_end(), &request, at)
            .expect("a valid proof");
        let again = checked.clone();
        stores.finish_dpop(checked, at).await.expect("first use");
        assert_eq!(stores.finish_dpop(again, at).await, Err(DpopError::Replay));
    });
    // Blocking: the core's verify over the ReplayStore seam.
    let stores = BlockingStores::connect(&server.url(), options("dpop-sync:")).expect("stores");
    let proof = RFC_9449_PROOF.trim_end();
    assert!(verifier.verify(proof, &request, &stores, at).is_ok());
    assert_eq!(
        verifier.verify(proof, &request, &stores, at).map(|_| ()),
        Err(DpopError::Replay)
    );
}
