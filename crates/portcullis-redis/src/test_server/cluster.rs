//! A three-node Redis Cluster on loopback ports (no replicas), stopped on drop.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::TestServerError;
use super::server::{RedisServer, scratch_dir};

/// The offset of a node's cluster bus port from its client port.
const BUS_OFFSET: u16 = 10_000;
/// How long the joined cluster gets to report `cluster_state:ok`.
const OK_WITHIN: Duration = Duration::from_secs(30);

/// A port whose cluster bus port (`port + 10000`) is free too.
fn cluster_port() -> std::io::Result<u16> {
    for _ in 0..1_000 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        // Fold the ephemeral port into 20000..45000 so the bus port fits.
        let port = 20_000 + listener.local_addr()?.port() % 25_000;
        drop(listener);
        let free = |p: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok();
        if free(port) && free(port + BUS_OFFSET) {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "no free port pair for a cluster node",
    ))
}

/// Three primaries sharing the 16384 slots, each a [`RedisServer`].
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<RedisServer>,
}

impl Cluster {
    /// Starts three nodes (`redis-server --cluster-enabled yes`), joins them
    /// with `redis-cli --cluster create` and waits for `cluster_state:ok` on
    /// each.
    ///
    /// # Errors
    /// As [`RedisServer::start`]; [`TestServerError::Program`] without
    /// `redis-cli`; [`TestServerError::Cluster`] when the join fails or the
    /// cluster is not ok within 30 s.
    pub fn start() -> Result<Self, TestServerError> {
        let nodes = (0..3)
            .map(|i| {
                RedisServer::start_with(
                    scratch_dir(&format!("cluster{i}"))?,
                    vec![
                        "--cluster-enabled".into(),
                        "yes".into(),
                        "--cluster-node-timeout".into(),
                        "2000".into(),
                    ],
                    cluster_port,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|source| TestServerError::Program {
                program: "redis-cli",
                source,
            })?;
        if !output.status.success() {
            return Err(TestServerError::Cluster(format!(
                "redis-cli --cluster create: {}",
                String::from_utf8_lossy(&output.stdout)
            )));
        }
        let cluster = Self { nodes };
        cluster.wait_ok()?;
        Ok(cluster)
    }

    fn wait_ok(&self) -> Result<(), TestServerError> {
        let started = Instant::now();
        for node in &self.nodes {
            loop {
                let info: String = node
                    .conn()
                    .and_then(|mut c| Ok(redis::cmd("CLUSTER").arg("INFO").query(&mut c)?))
                    .unwrap_or_default();
                if info.contains("cluster_state:ok") {
                    break;
                }
                if started.elapsed() >= OK_WITHIN {
                    return Err(TestServerError::Cluster(format!("not ok: {info}")));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// `redis://127.0.0.1:<port>` of each node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port()))
            .collect()
    }

    /// The slot Redis itself computes for `key` (`CLUSTER KEYSLOT`).
    ///
    /// # Errors
    /// The first node does not answer.
    pub fn keyslot(&self, key: &str) -> Result<u16, TestServerError> {
        let first = self
            .nodes
            .first()
            .ok_or_else(|| TestServerError::Cluster("no nodes".into()))?;
        Ok(redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut first.conn()?)?)
    }
}
