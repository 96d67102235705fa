//! The axum service's operations side, end to end: the deployment check at
//! start, `/metrics` moving with the security decisions, and JSON-line logs that
//! never carry a token or a password.

mod service_support;

use std::process::Stdio;

use serde_json::{Value, json};
use service_support::{PASSWORD, Service};

/// The sum of the samples of `name` whose labels include every `labels` pair
/// (0 when there is none yet: a counter appears on its first increment).
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
            let matches = series_name == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

fn scrape(service: &Service) -> String {
    let r = service.get("/metrics", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[test]
fn a_refused_token_moves_the_refusal_counter() {
    let service = Service::start(&[]);
    let name = "portcullis_token_refusals_total";
    let labels = [("kind", "access"), ("reason", "invalid")];
    let before = sample(&scrape(&service), name, &labels);
    let r = service.get_with_bearer("/api/me/", "not.a.token");
    assert_eq!(r.status, 401, "{}", r.body);
    let after = scrape(&service);
    assert_eq!(sample(&after, name, &labels), before + 1.0, "{after}");

    // The verify endpoint accepts any kind: `any` until the token's type is known.
    let labels = [("kind", "any"), ("reason", "invalid")];
    let before = sample(&after, name, &labels);
    let r = service.post("/api/token/verify/", &[], &json!({"token": "garbage"}));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(sample(&scrape(&service), name, &labels), before + 1.0);
}

#[test]
fn a_429_moves_the_limited_rate_limit_decisions() {
    let service = Service::start(&[("PORTCULLIS_LOGIN_RATE", "2/m")]);
    let name = "portcullis_ratelimit_decisions_total";
    let limited = [("scope", "login"), ("result", "limited")];
    let allowed = [("scope", "login"), ("result", "allowed")];
    let before = scrape(&service);
    let login = json!({"username": "alice", "password": PASSWORD});
    let statuses: Vec<u16> = (0..3)
        .map(|_| service.post("/api/token/", &[], &login).status)
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    let after = scrape(&service);
    assert_eq!(
        sample(&after, name, &limited),
        sample(&before, name, &limited) + 1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, name, &allowed),
        sample(&before, name, &allowed) + 2.0,
        "{after}"
    );
    // The histogram of the wait told, by scope.
    assert!(
        after.contains("portcullis_ratelimit_retry_after_seconds"),
        "{after}"
    );
}

#[test]
fn a_refresh_token_reuse_moves_the_reused_refreshes() {
    let service = Service::start(&[]);
    let name = "portcullis_token_refreshes_total";
    let reused = [("result", "reused")];
    let rotated = [("result", "rotated")];
    let (_, refresh) = service.login("alice");
    let before = scrape(&service);
    let body = json!({"refresh": refresh});
    assert_eq!(service.post("/api/token/refresh/", &[], &body).status, 200);
    assert_eq!(service.post("/api/token/refresh/", &[], &body).status, 401);
    let after = scrape(&service);
    assert_eq!(
        sample(&after, name, &reused),
        sample(&before, name, &reused) + 1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, name, &rotated),
        sample(&before, name, &rotated) + 1.0
    );
    assert_eq!(
        sample(
            &after,
            "portcullis_token_revocations_total",
            &[("scope", "family")]
        ),
        sample(
            &before,
            "portcullis_token_revocations_total",
            &[("scope", "family")]
        ) + 1.0
    );
}

#[test]
fn metrics_token_guards_the_endpoint_and_help_texts_are_registered() {
    let token = "scrape-token-for-the-e2e-test-0123";
    let service = Service::start(&[("PORTCULLIS_METRICS_TOKEN", token)]);
    service.login("alice");
    let r = service.get("/metrics", &[]);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = service.get("/metrics", &[("Authorization", "Bearer wrong")]);
    assert_eq!(r.status, 401);
    let r = service.get_with_bearer("/metrics", token);
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("# HELP portcullis_tokens_issued_total Tokens signed, by kind."),
        "{}",
        r.body
    );
    assert_eq!(
        sample(
            &r.body,
            "portcullis_tokens_issued_total",
            &[("kind", "access")]
        ),
        1.0
    );
}

#[test]
fn an_error_level_deployment_finding_stops_the_start_unless_allowed() {
    // Django 5.2 refuses this opener policy (security.E024).
    let coop = (
        "PORTCULLIS_CROSS_ORIGIN_OPENER_POLICY",
        "noopener-allow-popups",
    );
    let stderr = service_support::refused_at_start(&[coop]);
    assert!(
        stderr.contains("security.E024") && stderr.contains("refusing to start"),
        "{stderr}"
    );
    // Every finding is a JSON log line before the refusal.
    let logged: Vec<Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        logged
            .iter()
            .any(|l| l["finding.id"] == "security.E024" && l["level"] == "ERROR"),
        "{stderr}"
    );

    let service = Service::start(&[coop, ("PORTCULLIS_ALLOW_DEPLOY_ERRORS", "true")]);
    let r = service.get("/healthz", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cross-origin-opener-policy"),
        Some("noopener-allow-popups")
    );
}

#[test]
fn logs_are_json_lines_without_tokens_or_passwords() {
    let secret = "a jwt secret for the log test, 32+ bytes long";
    let wrong = "the wrong password, logged nowhere";
    let log = std::env::temp_dir().join(format!("portcullis-ops-log-{}.jsonl", std::process::id()));
    let file = std::fs::File::create(&log).unwrap();
    let service = Service::start_with_stderr(
        &[("RUST_LOG", "trace"), ("PORTCULLIS_JWT_SECRET", secret)],
        Stdio::from(file),
    );
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": wrong}),
    );
    assert_eq!(r.status, 401);
    let (access, refresh) = service.login("alice");
    let r = service.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 200);
    let rotated = r.json();
    assert_eq!(service.get_with_bearer("/api/me/", &access).status, 200);
    drop(service);

    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let secrets = [
        access.as_str(),
        refresh.as_str(),
        rotated["access"].as_str().unwrap(),
        rotated["refresh"].as_str().unwrap(),
        PASSWORD,
        wrong,
        secret,
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "a secret in the log: {secret}");
        // Nor a token's signature alone.
        let tail = secret.rsplit('.').next().unwrap();
        assert!(!text.contains(tail), "a secret's tail in the log: {tail}");
    }
    // The core's events are there, inside the request span with the client's address.
    let issued = lines
        .iter()
        .find(|l| l["event"] == "portcullis.token.issued")
        .unwrap_or_else(|| panic!("no token.issued event in {text}"));
    assert_eq!(issued["target"], "portcullis");
    assert_eq!(issued["span"]["client.ip"], "127.0.0.1");
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "portcullis.token.rotated")
    );
    // One outcome per request; an authenticated one names the user on its span.
    let me = lines
        .iter()
        .find(|l| l["route"] == "/api/me/" && l["status"] == 200)
        .unwrap_or_else(|| panic!("no outcome for /api/me/ in {text}"));
    assert_eq!(me["span"]["user.id"], "alice");
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "deployment check done")
    );
}
