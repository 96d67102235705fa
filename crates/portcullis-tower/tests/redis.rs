//! The axum service's Redis mode against a real `redis-server`, started by the
//! test on an ephemeral loopback port (`.ci/run` installs it): instances sharing
//! one Redis. The stores themselves are tested in `crates/portcullis-redis`.
//! Run with `cargo test -p portcullis-tower --features redis-tests --test redis`.

mod service_support;

use serde_json::json;
use service_support::Service;
use service_support::redis_server::RedisServer;

fn redis() -> RedisServer {
    RedisServer::start()
        .expect("redis-server starts")
        .expect("redis-server is installed (`.ci/run` installs it)")
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
