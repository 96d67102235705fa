//! The axum service on portcullis-redis against a real `redis-server`, started
//! by the test on an ephemeral loopback port (`.ci/run` installs it): instances
//! sharing one Redis, one Redis restarted under them, and two instances on a
//! three-node Redis Cluster (portcullis-redis's `test_server`). The stores
//! themselves are tested in `crates/portcullis-redis`.
//! Run with `cargo test -p portcullis-tower --features redis-tests --test redis`.

mod service_support;

use std::time::{Duration, Instant};

use portcullis_redis::test_server::{Cluster, RedisServer, TestServerError};
use serde_json::json;
use service_support::{Response, Service};

/// The server or cluster of `result`, or the test fails with why.
fn ready<T>(result: Result<T, TestServerError>) -> T {
    result.unwrap_or_else(|e| panic!("{e} (scripts/ci-services.sh installs redis-server)"))
}

/// The layers' and the app's answer when a store fails: nothing of the cause.
const STORE_UNAVAILABLE: &str = r#"{"detail":"Service unavailable","code":"store_unavailable"}"#;

/// One instance named `name` on `server` with every key under `prefix`.
fn instance(server: &RedisServer, prefix: &str, name: &str, env: &[(&str, &str)]) -> Service {
    instance_on(("REDIS_URL", &server.url()), prefix, name, env)
}

/// One instance named `name` on the Redis that `redis` (a setting and its
/// value) names, with every key under `prefix`.
fn instance_on(redis: (&str, &str), prefix: &str, name: &str, env: &[(&str, &str)]) -> Service {
    let mut all = vec![
        redis,
        ("PORTCULLIS_REDIS_PREFIX", prefix),
        (
            "PORTCULLIS_JWT_SECRET",
            "one secret shared by both instances!",
        ),
        ("PORTCULLIS_INSTANCE", name),
    ];
    all.extend_from_slice(env);
    Service::start(&all)
}

fn shared_instances(
    server: &RedisServer,
    prefix: &str,
    env: &[(&str, &str)],
) -> (Service, Service) {
    (
        instance(server, prefix, "a", env),
        instance(server, prefix, "b", env),
    )
}

#[test]
fn two_instances_share_revocations_and_lockout() {
    let server = ready(RedisServer::start());
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
    let r = a.get_with_bearer("/api/me/", &rotated);
    assert_eq!(r.status, 401);

    // Logout everywhere through a reaches tokens checked by b.
    let (bob_access, _) = b.login("bob");
    let r = a.post_raw(
        "/api/logout-everywhere/",
        &[("Authorization", &format!("Bearer {bob_access}"))],
        "",
    );
    assert_eq!(r.status, 200);
    let r = b.get_with_bearer("/api/me/", &bob_access);
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
    let server = ready(RedisServer::start());
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
    let server = ready(RedisServer::start());
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
    let size: u64 = redis::cmd("DBSIZE")
        .query(&mut ready(server.conn()))
        .unwrap();
    assert_eq!(size, 0);
}

/// How long until `ok` holds, polling every 10 ms; panics after 5 s.
fn time_until(what: &str, mut ok: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if ok() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: not within 5 s");
}

#[test]
fn a_redis_restart_fails_closed_keeps_revocations_and_the_service_recovers_within_a_second() {
    let mut server = ready(RedisServer::start_persistent());
    // `a` lets requests past the rate limit while Redis is down, so what answers
    // is the revocation check and the lockout; `b` keeps the default (closed).
    let a = instance(
        &server,
        "restart:",
        "a",
        &[("PORTCULLIS_RATE_LIMIT_FAILURE", "open")],
    );
    let b = instance(&server, "restart:", "b", &[]);
    let (alice, _) = a.login("alice");
    let alice = format!("Bearer {alice}");
    let (bob, bob_refresh) = b.login("bob");
    let bob = format!("Bearer {bob}");
    let r = a.post(
        "/api/token/blacklist/",
        &[],
        &json!({"refresh": bob_refresh}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(b.get("/api/me/", &[("Authorization", &bob)]).status, 401);

    server.kill();
    // Revocation fails closed: a valid token is refused with 503, no detail.
    let r = a.get("/api/me/", &[("Authorization", &alice)]);
    assert_eq!((r.status, r.body.as_str()), (503, STORE_UNAVAILABLE));
    let r = a.post(
        "/api/token/verify/",
        &[],
        &json!({"token": alice.trim_start_matches("Bearer ")}),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["code"], "store_unavailable");
    // The token revoked before the restart is not taken unchecked either.
    let r = a.post("/api/token/refresh/", &[], &json!({"refresh": bob_refresh}));
    assert_eq!(r.status, 503, "{}", r.body);
    // Without credentials no store is asked: the 503 above is the revocation check's.
    assert_eq!(a.get("/api/me/", &[]).status, 401);
    // The lockout fails closed: the right password gets no tokens.
    let login = json!({"username": "alice", "password": service_support::PASSWORD});
    let r = a.post("/api/token/", &[], &login);
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"detail": "Service unavailable", "code": "store_unavailable"})
    );
    // With the default, the rate limit refuses everything.
    let r = b.get("/api/me/", &[]);
    assert_eq!((r.status, r.body.as_str()), (503, STORE_UNAVAILABLE));

    ready(server.restart());
    let recovered_a = time_until("a authenticates again", || {
        a.get("/api/me/", &[("Authorization", &alice)]).status == 200
    });
    let recovered_b = time_until("b counts again", || b.get("/api/me/", &[]).status == 401);
    eprintln!("recovered after Redis answered again: a {recovered_a:?}, then b {recovered_b:?}");
    // b stayed idle while a recovered: each within the second by itself.
    assert!(recovered_a <= Duration::from_secs(1), "a: {recovered_a:?}");
    assert!(recovered_b <= Duration::from_secs(1), "b: {recovered_b:?}");

    // The logout before the restart survived it (append-only file).
    let r = a.post("/api/token/refresh/", &[], &json!({"refresh": bob_refresh}));
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["detail"], "Token is blacklisted");
    assert_eq!(b.get("/api/me/", &[("Authorization", &bob)]).status, 401);
    assert_eq!(a.post("/api/token/", &[], &login).status, 200);
}

/// Every answer the cluster test got, checked to be a 2xx or 4xx: a script
/// failing with `CROSSSLOT` (or a store failing at all) answers 503.
#[derive(Default)]
struct Answers(Vec<(String, u16)>);

impl Answers {
    fn note(&mut self, what: &str, r: Response) -> Response {
        self.0.push((what.to_owned(), r.status));
        r
    }

    fn assert_no_server_error(&self) {
        let failed: Vec<_> = self.0.iter().filter(|(_, s)| *s >= 500).collect();
        assert!(failed.is_empty(), "store failures: {failed:?}");
    }
}

#[test]
fn two_instances_on_a_redis_cluster_share_revocations_the_rate_limit_and_lockout() {
    let cluster = ready(Cluster::start());
    let urls = cluster.urls();
    // `a` knows every node, `b` one: the cluster client finds the rest.
    let all_nodes = urls.join(",");
    let one_node = urls[2].clone();
    let on = |nodes: &str, prefix: &str, name: &str, env: &[(&str, &str)]| {
        instance_on(("REDIS_CLUSTER_NODES", nodes), prefix, name, env)
    };
    let mut answers = Answers::default();

    // Revocations and lockout (a login rate that never refuses).
    let rate = [("PORTCULLIS_LOGIN_RATE", "100/m")];
    let a = on(&all_nodes, "cluster:", "a", &rate);
    let b = on(&one_node, "cluster:", "b", &rate);
    assert_eq!(a.get("/healthz", &[]).json()["backend"], "redis");
    let (access, refresh) = a.login("alice");
    let bearer = format!("Bearer {access}");
    let auth = [("Authorization", bearer.as_str())];
    let r = answers.note("me on b", b.get("/api/me/", &auth));
    assert_eq!(r.status, 200);
    let r = answers.note(
        "logout on b",
        b.post("/api/token/blacklist/", &[], &json!({"refresh": refresh})),
    );
    assert_eq!(r.status, 200);
    let r = answers.note(
        "refresh on a after the logout",
        a.post("/api/token/refresh/", &[], &json!({"refresh": refresh})),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["detail"], "Token is blacklisted");
    let r = answers.note("me on a after the logout", a.get("/api/me/", &auth));
    assert_eq!(r.status, 401);

    // Rotation on b, replay on a: the family is revoked for both.
    let (_, refresh) = b.login("bob");
    let r = answers.note(
        "rotation on b",
        b.post("/api/token/refresh/", &[], &json!({"refresh": refresh})),
    );
    assert_eq!(r.status, 200);
    let rotated = format!("Bearer {}", r.json()["access"].as_str().unwrap());
    let r = answers.note(
        "replay on a",
        a.post("/api/token/refresh/", &[], &json!({"refresh": refresh})),
    );
    assert_eq!(r.status, 401);
    let r = answers.note(
        "rotated token on b",
        b.get("/api/me/", &[("Authorization", &rotated)]),
    );
    assert_eq!(r.status, 401);

    // 3 failures on a and 2 on b lock alice on both.
    let wrong = json!({"username": "alice", "password": "x"});
    for (service, n) in [(&a, 3), (&b, 2)] {
        for _ in 0..n {
            let r = answers.note("wrong password", service.post("/api/token/", &[], &wrong));
            assert_eq!(r.status, 401);
        }
    }
    let login = json!({"username": "alice", "password": service_support::PASSWORD});
    for service in [&a, &b] {
        let r = answers.note("locked login", service.post("/api/token/", &[], &login));
        assert_eq!(r.status, 429);
        assert_eq!(r.json()["code"], "login_locked");
    }
    drop((a, b));

    // The rate limit: 10 an hour across both instances, alternating.
    let rate = [("PORTCULLIS_API_RATE", "10/h")];
    let a = on(&all_nodes, "cluster-rate:", "a", &rate);
    let b = on(&one_node, "cluster-rate:", "b", &rate);
    let mut statuses = Vec::new();
    for i in 0..20 {
        let service = if i % 2 == 0 { &a } else { &b };
        statuses.push(answers.note("rate", service.get("/api/me/", &[])).status);
    }
    // Unauthenticated calls still count: the limit runs first.
    let served = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((served, refused), (10, 10), "{statuses:?}");
    let r = answers.note("over the limit", b.get("/api/me/", &[]));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("ratelimit-policy"), Some("\"api\";q=10;w=3600"));

    answers.assert_no_server_error();
    drop((a, b));
    // The state is spread over the cluster, not held by one node.
    let sizes = || -> Vec<u64> {
        urls.iter()
            .map(|url| {
                let mut conn = redis::Client::open(url.as_str())
                    .and_then(|c| c.get_connection())
                    .unwrap();
                redis::cmd("DBSIZE").query(&mut conn).unwrap()
            })
            .collect()
    };
    let before = sizes();
    let nodes_with_keys = before.iter().filter(|n| **n > 0).count();
    assert!(nodes_with_keys >= 2, "keys per node: {before:?}");

    // The self-check runs every flow on the cluster too, and removes its own
    // keys from every primary (the ones above stay).
    let output = std::process::Command::new(service_support::service_path())
        .arg("--self-check")
        .env("REDIS_CLUSTER_NODES", &one_node)
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    assert!(!stdout.contains("removed the self-check's 0 "), "{stdout}");
    assert_eq!(sizes(), before, "{stdout}");
}
