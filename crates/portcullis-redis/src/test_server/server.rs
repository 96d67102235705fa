//! One `redis-server` child: plain, or with append-only persistence so it can
//! be killed and restarted on its port, or paused (SIGSTOP) to stand for a
//! Redis that stops answering.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TestServerError;

/// How long a started server gets to answer `PING`.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `redis-server` child bound to 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// The data directory (append-only file), for a persistent server.
    dir: Option<PathBuf>,
    extra: Vec<String>,
}

/// A loopback port nothing listens on now (bound, then released).
///
/// # Errors
/// The loopback interface refuses a bind.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A fresh directory under the system's temporary directory for one server's
/// files (the server removes it on drop).
///
/// # Errors
/// The directory cannot be created.
pub fn scratch_dir(name: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-redis-{name}-{}-{}",
        std::process::id(),
        free_port()?
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl RedisServer {
    /// A server without persistence on a free port.
    ///
    /// # Errors
    /// [`TestServerError::Program`] without `redis-server`;
    /// [`TestServerError::NotStarted`] when it does not answer within 10 s
    /// (five ports tried).
    pub fn start() -> Result<Self, TestServerError> {
        Self::launch(None, Vec::new(), free_port)
    }

    /// A server with the append-only file (`appendfsync always`: a kill loses
    /// no acknowledged write) in its own directory, for restart tests.
    ///
    /// # Errors
    /// As [`RedisServer::start`], or the directory cannot be created.
    pub fn start_persistent() -> Result<Self, TestServerError> {
        Self::launch(Some(scratch_dir("aof")?), Vec::new(), free_port)
    }

    /// A server started with `extra` arguments in `dir` on a port from `pick`
    /// (a cluster node).
    pub(super) fn start_with(
        dir: PathBuf,
        extra: Vec<String>,
        pick: fn() -> std::io::Result<u16>,
    ) -> Result<Self, TestServerError> {
        Self::launch(Some(dir), extra, pick)
    }

    fn launch(
        dir: Option<PathBuf>,
        extra: Vec<String>,
        pick: fn() -> std::io::Result<u16>,
    ) -> Result<Self, TestServerError> {
        let mut last_error = String::new();
        // Another process may take the port between the probe and the start.
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                port: pick()?,
                dir: dir.clone(),
                extra: extra.clone(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(TestServerError::NotStarted(e)) => last_error = e,
                Err(e) => return Err(e),
            }
        }
        Err(TestServerError::NotStarted(last_error))
    }

    /// Starts the process on `self.port` and waits for `PING`.
    fn spawn(&mut self) -> Result<(), TestServerError> {
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
            .map_err(|source| TestServerError::Program {
                program: "redis-server",
                source,
            })?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), TestServerError> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(TestServerError::NotStarted(format!("exited with {status}")));
            }
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(TestServerError::NotStarted(format!(
            "no answer on port {} within {READY_WITHIN:?}",
            self.port
        )))
    }

    /// Whether the server answers `PING` now (within 200 ms).
    pub fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// Kills the server (SIGKILL: a crash, not a clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same port (and the same
    /// data directory: a persistent server keeps what it acknowledged).
    ///
    /// # Errors
    /// [`TestServerError::NotStarted`] when it does not answer again within 10 s.
    pub fn restart(&mut self) -> Result<(), TestServerError> {
        self.kill();
        let started = Instant::now();
        // The old socket may linger a moment.
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(TestServerError::NotStarted(_)) if started.elapsed() < READY_WITHIN => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Pauses the process (SIGSTOP): it stays up but stops answering, a Redis
    /// that hangs. [`RedisServer::resume`] undoes it; drop resumes it too.
    ///
    /// # Errors
    /// The server is not running, or `kill` fails.
    pub fn pause(&self) -> Result<(), TestServerError> {
        self.signal("-STOP")
    }

    /// Resumes a paused server (SIGCONT).
    ///
    /// # Errors
    /// As [`RedisServer::pause`].
    pub fn resume(&self) -> Result<(), TestServerError> {
        self.signal("-CONT")
    }

    fn signal(&self, signal: &str) -> Result<(), TestServerError> {
        let pid = self
            .child
            .as_ref()
            .ok_or_else(|| TestServerError::NotStarted("the server is not running".into()))?
            .id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .map_err(|source| TestServerError::Program {
                program: "kill",
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(TestServerError::NotStarted(format!(
                "kill {signal} {pid}: {status}"
            )))
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A plain blocking connection for the caller's own checks (2 s to connect).
    ///
    /// # Errors
    /// The server does not accept it.
    pub fn conn(&self) -> Result<redis::Connection, TestServerError> {
        Ok(redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(2))?)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A paused server must be resumed to die cleanly.
        let _ = self.resume();
        self.kill();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
