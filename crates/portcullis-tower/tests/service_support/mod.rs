//! Runs the `axum_service` example as a child process on an ephemeral loopback
//! port and talks to it with the loopback client the example's self-check uses
//! (portcullis-testkit).

#![allow(dead_code)] // each test crate uses a different part of this helper

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use portcullis_testkit as client;
pub(crate) use portcullis_testkit::Response;
use serde_json::Value;

/// The demo users' password (see the example's defaults).
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The features the example is built with.
const FEATURES: &str = if cfg!(feature = "redis-tests") {
    "redis,redis-tests"
} else {
    "redis"
};

/// The example binary, built on first use for this test binary's profile.
///
/// `cargo test --test NAME` builds no examples, so a test target run alone would
/// otherwise find the binary missing or stale. Building it here (a no-op when it is
/// fresh) keeps every target passing alone, in debug and release.
pub(crate) fn service_path() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_service).clone()
}

fn build_service() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary>
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let profile = profile_dir.file_name().unwrap().to_str().unwrap();
    let profile = if profile == "debug" { "dev" } else { profile };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--manifest-path",
            manifest,
            "-p",
            "portcullis-tower",
        ])
        // The example needs the `redis` feature; building with this test's own
        // features reuses the library it was built with.
        .args(["--example", "axum_service", "--features", FEATURES])
        .args(["--profile", profile])
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        status.success(),
        "building the axum_service example failed; run `cargo build -p portcullis-tower --features redis --example axum_service` to see why"
    );
    let path = profile_dir
        .join("examples")
        .join(format!("axum_service{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

/// The service's command on an ephemeral loopback port, with none of the
/// settings the test's own environment may carry.
pub(crate) fn command() -> Command {
    let mut command = Command::new(service_path());
    command
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_CLUSTER_NODES")
        .env_remove("PORTCULLIS_CONFIG")
        .env_remove("PORTCULLIS_JWKS_URL")
        .env_remove("PORTCULLIS_REMOTE_ISSUER")
        .env_remove("PORTCULLIS_REMOTE_AUDIENCE")
        .env_remove("PORTCULLIS_ALLOW_DEPLOY_ERRORS");
    command
}

/// Runs the service with `env` over a clean environment for its settings and
/// expects it to refuse to start: exit 2, nothing on stdout. Returns stderr.
pub(crate) fn refused_at_start(env: &[(&str, &str)]) -> String {
    let mut command = command();
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A running service, killed on drop.
pub(crate) struct Service {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Starts the service with `env` over a clean environment for its settings.
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with_args(&[], env)
    }

    pub(crate) fn start_with_args(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(args, env, Stdio::null())
    }

    /// Starts the service with its log lines (stderr) going to `stderr`.
    pub(crate) fn start_with_stderr(env: &[(&str, &str)], stderr: Stdio) -> Self {
        Self::spawn(&[], env, stderr)
    }

    fn spawn(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut command = command();
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        // The first stdout line names the address; wait for it, bounded.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the service printed no address within 60 s");
            }
        };
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("no address in {line:?}")
            });
        Self { child, addr }
    }

    pub(crate) fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        client::request(self.addr, "GET", path, headers, None).unwrap()
    }

    /// `GET path` with `Authorization: Bearer access`.
    pub(crate) fn get_with_bearer(&self, path: &str, access: &str) -> Response {
        self.get(path, &[("Authorization", &format!("Bearer {access}"))])
    }

    pub(crate) fn post(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
        client::request(self.addr, "POST", path, headers, Some(body)).unwrap()
    }

    pub(crate) fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        client::request_raw(self.addr, "POST", path, headers, body).unwrap()
    }

    pub(crate) fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        client::request(self.addr, method, path, headers, None).unwrap()
    }

    /// Logs in through `POST /api/token/` and returns `(access, refresh)`.
    pub(crate) fn login(&self, username: &str) -> (String, String) {
        let r = self.post(
            "/api/token/",
            &[],
            &serde_json::json!({"username": username, "password": PASSWORD}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        (
            body["access"].as_str().unwrap().to_owned(),
            body["refresh"].as_str().unwrap().to_owned(),
        )
    }
}
