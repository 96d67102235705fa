//! End to end: the `axum_service` example on an ephemeral loopback port with its
//! in-memory stores, driven over real HTTP connections.

mod service_support;

use serde_json::json;
use service_support::{PASSWORD, Service};

const ALLOWED_ORIGIN: &str = "http://localhost:3000";

#[test]
fn health_and_security_headers() {
    let service = Service::start(&[]);
    let r = service.get("/healthz", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.json()["backend"], "memory");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("default-src")
    );
    // Plain HTTP: no HSTS.
    assert_eq!(r.header("strict-transport-security"), None);
    // Errors carry them too.
    let r = service.get("/api/me/", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn login_verify_refresh_reuse_and_logout() {
    // Room for every login below: this test is about the flows, not the limit.
    let service = Service::start(&[("PORTCULLIS_LOGIN_RATE", "100/m")]);

    // Missing fields, wrong password, unknown user: SimpleJWT's answers.
    let r = service.post("/api/token/", &[], &json!({"username": "alice"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"password": ["This field is required."]}));
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": "nope"}),
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"detail": "No active account found with the given credentials", "code": "no_active_account"})
    );
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "mallory", "password": PASSWORD}),
    );
    assert_eq!(r.status, 401);
    let r = service.post_raw("/api/token/", &[], "not json");
    assert_eq!(r.status, 400);

    // alice has a Django argon2 hash, bob a Django pbkdf2_sha256 hash.
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("ratelimit").unwrap().starts_with("\"login\";r="));
    assert_eq!(r.header("ratelimit-policy"), Some("\"login\";q=100;w=60"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("100"));
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let refresh = r.json()["refresh"].as_str().unwrap().to_owned();
    let (bob_access, _) = service.login("bob");
    // The upgraded hash (Django's must_update) still verifies on the next login.
    service.login("alice");

    // The protected endpoint unseals alice's note.
    let bearer = format!("Bearer {access}");
    let r = service.get("/api/me/", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"], "alice");
    assert_eq!(r.json()["note"], "alice's recovery codes: 4821-0937");
    let r = service.get_with_bearer("/api/me/", &bob_access);
    assert_eq!(r.json()["note"], "bob's API token: tok_demo_bob");

    // No credentials, a bad header, a forged token.
    let r = service.get("/api/me/", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], "not_authenticated");
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"api\""));
    let r = service.get("/api/me/", &[("Authorization", "Bearer a b")]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], "bad_authorization_header");
    let r = service.get("/api/me/", &[("Authorization", "Bearer x.y.z")]);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["detail"],
        "Given token not valid for any token type"
    );

    // Verify: any token type.
    let r = service.post("/api/token/verify/", &[], &json!({"token": refresh}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({}));

    // Refresh rotates; a replay revokes the whole family.
    let r = service.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 200);
    let rotated_access = r.json()["access"].as_str().unwrap().to_owned();
    let rotated_refresh = r.json()["refresh"].as_str().unwrap().to_owned();
    assert_ne!(rotated_refresh, refresh);
    let r = service.post("/api/token/refresh/", &[], &json!({"refresh": refresh}));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
    );
    for token in [&rotated_access, &rotated_refresh, &access] {
        let r = service.post("/api/token/verify/", &[], &json!({"token": token}));
        assert_eq!(r.status, 401, "a token of the reused family still verifies");
    }
    let r = service.get_with_bearer("/api/me/", &rotated_access);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["messages"][0]["message"], "Token is blacklisted");

    // Logout (SimpleJWT's blacklist view) ends that session only.
    let (access2, refresh2) = service.login("bob");
    let r = service.post("/api/token/blacklist/", &[], &json!({"refresh": refresh2}));
    assert_eq!(r.status, 200);
    let r = service.post("/api/token/refresh/", &[], &json!({"refresh": refresh2}));
    assert_eq!(r.status, 401);
    let r = service.get_with_bearer("/api/me/", &access2);
    assert_eq!(r.status, 401);
    let r = service.get_with_bearer("/api/me/", &bob_access);
    assert_eq!(r.status, 200, "another session of bob survives a logout");
    let r = service.post("/api/token/blacklist/", &[], &json!({"refresh": refresh2}));
    assert_eq!(r.status, 401);

    // Logout everywhere revokes every earlier token of the user.
    let r = service.post_raw(
        "/api/logout-everywhere/",
        &[("Authorization", &format!("Bearer {bob_access}"))],
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["revoked_before"].as_f64().is_some());
    let r = service.get_with_bearer("/api/me/", &bob_access);
    assert_eq!(r.status, 401);

    // The audit chain recorded the flows and verifies.
    let (access3, _) = service.login("alice");
    let r = service.get_with_bearer("/api/audit/", &access3);
    assert_eq!(r.status, 200);
    let summary = r.json();
    assert_eq!(summary["intact"], true);
    let actions: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for expected in [
        "login:fail",
        "login:success",
        "password:upgrade",
        "token:reuse",
        "session:logout",
        "session:logout-all",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[test]
fn cookie_flow_needs_csrf_for_unsafe_methods() {
    let service = Service::start(&[]);
    let r = service.post(
        "/api/session/",
        &[],
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let cookies: Vec<&str> = r
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies.len(), 2);
    let access_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-access_token="))
        .unwrap();
    assert!(access_cookie.contains("HttpOnly"));
    assert!(access_cookie.contains("SameSite=Lax"));
    for cookie in &cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-csrftoken="))
        .unwrap();
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "scripts must read the CSRF cookie"
    );
    let pair = |c: &str| c.split(';').next().unwrap().to_owned();
    let jar = format!("{}; {}", pair(access_cookie), pair(csrf_cookie));
    let csrf_secret = pair(csrf_cookie).split_once('=').unwrap().1.to_owned();
    let same_origin = format!("http://{}", service.addr);

    // Safe methods need no token.
    let r = service.get("/api/me/", &[("Cookie", &jar)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"], "alice");
    // A malformed cookie beside them (a sibling subdomain's) does not log out.
    let noisy = format!("theme=dark mode; {jar}; flag");
    let r = service.get("/api/me/", &[("Cookie", &noisy)]);
    assert_eq!(r.status, 200, "{}", r.body);
    // The unprefixed name a subdomain could set is not the session cookie.
    let shadow = format!(
        "access_token={}",
        pair(access_cookie).split_once('=').unwrap().1
    );
    assert_eq!(service.get("/api/me/", &[("Cookie", &shadow)]).status, 401);

    let note = json!({"note": "moved to the new vault"});
    // No token: refused, as Django's CsrfViewMiddleware does.
    let r = service.post(
        "/api/me/note/",
        &[("Cookie", &jar), ("Origin", &same_origin)],
        &note,
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF Failed"), "{}", r.body);
    // A wrong token.
    let wrong = "a".repeat(32);
    let r = service.post(
        "/api/me/note/",
        &[
            ("Cookie", &jar),
            ("Origin", &same_origin),
            ("X-CSRFToken", &wrong),
        ],
        &note,
    );
    assert_eq!(r.status, 403);
    // An untrusted Origin with the right token.
    let r = service.post(
        "/api/me/note/",
        &[
            ("Cookie", &jar),
            ("Origin", "http://evil.example"),
            ("X-CSRFToken", &csrf_secret),
        ],
        &note,
    );
    assert_eq!(r.status, 403);
    // The right token from the same origin.
    let r = service.post(
        "/api/me/note/",
        &[
            ("Cookie", &jar),
            ("Origin", &same_origin),
            ("X-CSRFToken", &csrf_secret),
        ],
        &note,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = service.get("/api/me/", &[("Cookie", &jar)]);
    assert_eq!(r.json()["note"], "moved to the new vault");

    // A bearer token is not ambient authority: no CSRF check.
    let (access, _) = service.login("bob");
    let r = service.post(
        "/api/me/note/",
        &[("Authorization", &format!("Bearer {access}"))],
        &json!({"note": "bob's"}),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn cors_preflight_and_actual_requests() {
    let service = Service::start(&[]);
    let r = service.request(
        "OPTIONS",
        "/api/token/",
        &[
            ("Origin", ALLOWED_ORIGIN),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type, x-csrftoken",
            ),
        ],
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert!(r.header("vary").unwrap().contains("Origin"));

    let r = service.request(
        "OPTIONS",
        "/api/token/",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["code"], "cors_origin_not_allowed");
    assert_eq!(r.header("access-control-allow-origin"), None);

    let r = service.request(
        "OPTIONS",
        "/api/token/",
        &[
            ("Origin", ALLOWED_ORIGIN),
            ("Access-Control-Request-Method", "DELETE"),
        ],
    );
    assert_eq!(r.status, 403);

    let r = service.get("/healthz", &[("Origin", ALLOWED_ORIGIN)]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert!(
        r.header("access-control-expose-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("ratelimit")
    );
    let r = service.get("/healthz", &[("Origin", "https://evil.example")]);
    assert_eq!(r.status, 403);
}

#[test]
fn login_rate_limit_answers_429_with_headers() {
    let service = Service::start(&[("PORTCULLIS_LOGIN_RATE", "3/m")]);
    let login = json!({"username": "alice", "password": PASSWORD});
    for remaining in (0..3).rev() {
        let r = service.post("/api/token/", &[], &login);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
    }
    let r = service.post("/api/token/", &[], &login);
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "retry after {retry}");
    assert_eq!(r.header("ratelimit-policy"), Some("\"login\";q=3;w=60"));
    assert_eq!(
        r.header("ratelimit"),
        Some(format!("\"login\";r=0;t={retry}").as_str())
    );
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let body = r.json();
    assert_eq!(body["error"], "rate_limit_exceeded");
    assert_eq!(body["retry_after"], retry);
    assert_eq!(
        body["message"],
        "Too many requests. Please try again later."
    );
    // A flood of 429s is audited once per client and window, not once each.
    for _ in 0..20 {
        assert_eq!(service.post("/api/token/", &[], &login).status, 429);
    }
    // Other scopes have their own quota.
    assert_eq!(service.get("/healthz", &[]).status, 200);
    let r = service.post("/api/token/verify/", &[], &json!({"token": "x"}));
    assert_eq!(r.status, 401);
}

#[test]
fn refusal_floods_are_aggregated_and_a_full_audit_sink_is_reported() {
    let service = Service::start(&[("PORTCULLIS_LOGIN_RATE", "1/m")]);
    let health = service.get("/healthz", &[]).json();
    assert_eq!(health["audit"], json!({"ok": true, "dropped": 0}));
    let (access, _) = service.login("alice");
    let login = json!({"username": "alice", "password": PASSWORD});
    let agent = "flood/1 ".repeat(500);
    for _ in 0..30 {
        let r = service.post("/api/token/", &[("User-Agent", &agent)], &login);
        assert_eq!(r.status, 429);
    }
    let r = service.get_with_bearer("/api/audit/", &access);
    let summary = r.json();
    assert_eq!(summary["intact"], true);
    let refusals = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| *a == "ratelimit:refuse")
        .count();
    assert_eq!(refusals, 1, "{summary}");
    drop(service);

    // A trail of 5 records fills up; the service says so.
    let service = Service::start(&[
        ("PORTCULLIS_LOGIN_RATE", "1000/m"),
        ("PORTCULLIS_AUDIT_CAPACITY", "5"),
    ]);
    for _ in 0..8 {
        let r = service.post(
            "/api/token/",
            &[],
            &json!({"username": "nobody", "password": "x"}),
        );
        assert!(r.status == 401 || r.status == 429, "{}", r.status);
    }
    let health = service.get("/healthz", &[]).json();
    assert_eq!(health["audit"]["ok"], false, "{health}");
    assert!(health["audit"]["dropped"].as_u64().unwrap() > 0, "{health}");
}

#[test]
fn lockout_after_five_failures_even_with_the_right_password() {
    let service = Service::start(&[("PORTCULLIS_LOGIN_RATE", "100/m")]);
    for _ in 0..5 {
        let r = service.post(
            "/api/token/",
            &[],
            &json!({"username": "bob", "password": "guess"}),
        );
        assert_eq!(r.status, 401);
    }
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "bob", "password": PASSWORD}),
    );
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["code"], "login_locked");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another account from the same address is not locked.
    service.login("alice");
}

#[test]
fn configuration_file_and_errors() {
    let dir = std::env::temp_dir().join(format!("portcullis-axum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("service.json");
    std::fs::write(
        &path,
        json!({
            "instance": "from-file",
            "login_rate": "7/m",
            "jwt_secret": "a file-configured secret of 32+ bytes",
            "users": [{
                "username": "carol",
                "password_hash": "pbkdf2_sha256$1000$x0IZhPsqhXFuzfyVa4I9Yq$6FeLpTZxyyl6aBMMx7PsQqrMfTzkBPrjUj3x2W7Gt70=",
                "note": "from the file"
            }]
        })
        .to_string(),
    )
    .unwrap();
    let service = Service::start(&[("PORTCULLIS_CONFIG", path.to_str().unwrap())]);
    assert_eq!(service.get("/healthz", &[]).json()["instance"], "from-file");
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "carol", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("ratelimit-policy"), Some("\"login\";q=7;w=60"));
    let r = service.post(
        "/api/token/",
        &[],
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_eq!(r.status, 401, "the file's users replace the demo users");
    drop(service);

    // A bad setting: exit 2, the setting named on stderr, nothing on stdout.
    let output = std::process::Command::new(service_support::service_path())
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .env("PORTCULLIS_LOGIN_RATE", "ten per minute")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("login_rate"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redis_url_and_cluster_nodes_together_are_refused_at_startup() {
    let refused = service_support::refused_at_start;
    // Refused before anything connects (nothing listens on port 1), naming
    // both settings and neither URL (they may hold a password).
    let stderr = refused(&[
        ("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0"),
        ("REDIS_CLUSTER_NODES", "redis://:hunter2@127.0.0.1:1"),
    ]);
    assert!(
        stderr.contains("REDIS_URL and REDIS_CLUSTER_NODES") && stderr.contains("both set"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let stderr = refused(&[("REDIS_CLUSTER_NODES", "redis://127.0.0.1:1,,")]);
    assert!(
        stderr.contains("REDIS_CLUSTER_NODES: an empty entry"),
        "{stderr}"
    );
}

#[test]
fn self_check_runs_to_completion() {
    let output = std::process::Command::new(service_support::service_path())
        .arg("--self-check")
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("checks passed"), "{stdout}");
}
