//! `portcullis ratelimit inspect|clear` against a `redis-server` the test starts
//! (`cargo test -p portcullis-cli --features redis-tests --test cli_ratelimit_redis`).

mod common;

use common::{json_lines, run_cli};
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{Gcra, Rate};
use portcullis_redis::test_server::RedisServer;
use portcullis_redis::{BlockingStores, Options};

#[test]
fn inspect_lists_a_clients_keys_and_clear_resets_one_scope() {
    let server = RedisServer::start()
        .unwrap_or_else(|e| panic!("{e} (scripts/ci-services.sh installs redis-server)"));
    let url = server.url();
    let stores =
        BlockingStores::connect(&url, Options::new().with_prefix("svc:").unwrap()).unwrap();
    // The real clock: the keys' TTLs (an hour) outlive the test.
    let now = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
    let rate: Rate = "2/h".parse().unwrap();
    for scope in ["login", "search"] {
        for client in ["ip:192.0.2.1", "ip:192.0.2.2"] {
            stores
                .rate_limit::<Gcra>(client, scope, &rate, now, 2)
                .unwrap();
        }
    }
    stores
        .record_login_failure(&LoginGuard::default(), "alice", "ip:192.0.2.1", now)
        .unwrap();
    let base = [
        "--redis-url",
        url.as_str(),
        "--prefix",
        "svc:",
        "--client",
        "ip:192.0.2.1",
    ];

    let inspect = [&["ratelimit", "inspect"][..], &base].concat();
    let out = run_cli(&inspect, "", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l["ok"] == true && l["client"] == "ip:192.0.2.1")
    );
    let limits: Vec<_> = lines.iter().filter(|l| l["kind"] == "ratelimit").collect();
    assert_eq!(limits.len(), 2);
    assert!(
        limits
            .iter()
            .all(|l| l["algorithm"] == "gcra" && l["ttl_ms"].as_u64().is_some())
    );
    let lockouts: Vec<_> = lines.iter().filter(|l| l["kind"] == "lockout").collect();
    assert!(lockouts.iter().all(|l| l["failures"] == 1), "{lockouts:?}");

    // The runbook: this client sees 429 on login; clear that scope only.
    assert!(
        !stores
            .rate_limit::<Gcra>("ip:192.0.2.1", "login", &rate, now, 1)
            .unwrap()
            .allowed
    );
    let clear = [&["ratelimit", "clear"][..], &base, &["--scope", "login"]].concat();
    let out = run_cli(&clear, "", &[]);
    assert_eq!(out.status.code(), Some(0));
    let cleared = json_lines(&out);
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert_eq!(cleared[0]["cleared"], true);
    assert!(
        stores
            .rate_limit::<Gcra>("ip:192.0.2.1", "login", &rate, now, 1)
            .unwrap()
            .allowed
    );
    assert!(
        !stores
            .rate_limit::<Gcra>("ip:192.0.2.2", "login", &rate, now, 1)
            .unwrap()
            .allowed
    );

    // By scope across clients.
    let by_scope = [
        "ratelimit",
        "inspect",
        "--redis-url",
        &url,
        "--prefix",
        "svc:",
        "--scope",
        "search",
    ];
    assert_eq!(json_lines(&run_cli(&by_scope, "", &[])).len(), 2);
}
