//! Throwaway `redis-server`s on loopback ports, stopped on drop: one plain, one
//! with append-only persistence that can be killed and restarted on its port,
//! or paused (SIGSTOP) to stand for a Redis that stops answering.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started server gets to answer `PING`.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `redis-server` child bound to 127.0.0.1.
#[derive(Debug)]
pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// The data directory (append-only file), for a persistent server.
    dir: Option<PathBuf>,
    extra: Vec<String>,
}

/// A loopback port nothing listens on now (bound, then released).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A fresh scratch directory for one server's files.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-redis-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

impl RedisServer {
    /// A server without persistence on a free port.
    pub(crate) fn start() -> Self {
        Self::launch(None, Vec::new(), free_port)
    }

    /// A server with the append-only file (`appendfsync always`: a kill loses
    /// no acknowledged write) in its own directory.
    pub(crate) fn start_persistent() -> Self {
        Self::launch(Some(scratch_dir("aof")), Vec::new(), free_port)
    }

    /// A server started with `extra` arguments in `dir` on a port from `pick`
    /// (a cluster node).
    pub(crate) fn start_with(dir: PathBuf, extra: Vec<String>, pick: fn() -> u16) -> Self {
        Self::launch(Some(dir), extra, pick)
    }

    fn launch(dir: Option<PathBuf>, extra: Vec<String>, pick: fn() -> u16) -> Self {
        let mut last_error = String::new();
        // Another process may take the port between the probe and the start.
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                port: pick(),
                dir: dir.clone(),
                extra: extra.clone(),
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!(
            "redis-server did not start (it is installed by scripts/ci-services.sh): {last_error}"
        );
    }

    /// Starts the process on `self.port` and waits for `PING`.
    fn spawn(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--protected-mode", "yes"]);
        match &self.dir {
            Some(dir) => {
                command.arg("--dir").arg(dir).args([
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                ]);
            }
            None => {
                command.args(["--appendonly", "no"]);
            }
        }
        command.args(&self.extra);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e}"))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!("exited with {status}"));
            }
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "no answer on port {} within {READY_WITHIN:?}",
            self.port
        ))
    }

    /// Whether the server answers `PING` now.
    pub(crate) fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// Kills the server (SIGKILL: a crash, not a clean shutdown).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (and the same data directory).
    pub(crate) fn restart(&mut self) {
        self.kill();
        let started = Instant::now();
        // The old socket may linger a moment.
        while let Err(e) = self.spawn() {
            assert!(
                started.elapsed() < READY_WITHIN,
                "redis-server did not restart on port {}: {e}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGSTOP (`pause`) or SIGCONT: the process stays up but stops answering.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("a running server").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// The port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A plain connection for the test's own checks.
    pub(crate) fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
            .expect("a test connection")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A paused server must be resumed to die cleanly.
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
