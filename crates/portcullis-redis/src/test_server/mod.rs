//! Throwaway `redis-server`s and a three-node Redis Cluster on loopback ports,
//! stopped (and their files removed) on drop: what this crate's suite, its
//! bench and the suites of crates built on it start for themselves. Behind the
//! non-default `test-server` feature; it runs the `redis-server` and
//! `redis-cli` found on `PATH`.
//!
//! Nothing here panics: a missing `redis-server`, a port taken, a cluster that
//! does not form come back as a [`TestServerError`], so a caller can skip or
//! fail with the reason.
//!
//! ```
//! use portcullis_redis::test_server::RedisServer;
//!
//! match RedisServer::start() {
//!     Ok(server) => assert!(server.ping()),
//!     // No redis-server on this machine: the error says so.
//!     Err(e) => eprintln!("skipped: {e}"),
//! }
//! ```

mod cluster;
mod server;

pub use cluster::Cluster;
pub use server::{RedisServer, free_port, scratch_dir};

/// Why a test server or cluster could not be started or driven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestServerError {
    /// `redis-server`, `redis-cli` or `kill` could not be run (not installed?).
    #[error("{program} could not be run: {source}")]
    Program {
        /// The program.
        program: &'static str,
        /// Why the spawn failed.
        #[source]
        source: std::io::Error,
    },
    /// A server did not answer `PING` in time, or exited at start.
    #[error("redis-server did not start: {0}")]
    NotStarted(String),
    /// `redis-cli --cluster create` failed, or the cluster did not become ok.
    #[error("the cluster did not form: {0}")]
    Cluster(String),
    /// A scratch directory or a port probe failed.
    #[error("test server setup: {0}")]
    Io(#[from] std::io::Error),
    /// A command to a running server failed.
    #[error("test server command: {0}")]
    Redis(#[from] redis::RedisError),
}
