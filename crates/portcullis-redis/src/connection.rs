//! One connection type for a single Redis server and for a Redis Cluster.

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::config::Options;
use crate::error::Error;

/// A shared, self-reconnecting connection: a [`ConnectionManager`] (one server)
/// or the cluster client's connection (which follows slot moves and node
/// failures). Cloning is cheap; clones share the connection.
#[derive(Clone)]
pub enum RedisConnection {
    /// One server (or a proxy in front of several).
    Single(ConnectionManager),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info holds the URL, which may hold a password.
        f.write_str(match self {
            Self::Single(_) => "RedisConnection::Single",
            Self::Cluster(_) => "RedisConnection::Cluster",
        })
    }
}

impl RedisConnection {
    /// Connects to one server at `url` (`redis://host:port/db`), reconnecting by
    /// itself after a failure: a command that finds the connection dropped
    /// fails and starts one new connection attempt (a failed attempt is
    /// redone by the next command), so a restarted server is used again from
    /// about the second command after it answers.
    ///
    /// # Errors
    /// [`Error::Redis`] for a malformed URL or a server that does not answer
    /// within the options' timeout.
    pub async fn connect(url: &str, options: &Options) -> Result<Self, Error> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(options.timeout())
            .set_response_timeout(options.timeout())
            // One attempt per reconnect, then give up until the next call: the
            // manager's retries sleep its backoff's minimum (1 s, plus jitter)
            // first, so a Redis back within that sleep went unused for up to 2 s.
            .set_number_of_retries(0);
        let manager = options
            .bounded(ConnectionManager::new_with_config(client, config))
            .await??;
        Ok(Self::Single(manager))
    }

    /// Connects to a Redis Cluster through any of its `nodes` (`redis://host:port`).
    ///
    /// # Errors
    /// [`Error::Redis`] for a malformed URL or a cluster that does not answer.
    pub async fn connect_cluster(nodes: &[&str], options: &Options) -> Result<Self, Error> {
        let client = ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(options.timeout())
            .response_timeout(options.timeout())
            .retries(2)
            .min_retry_wait(10)
            .max_retry_wait(100)
            .build()?;
        let connection = options.bounded(client.get_async_connection()).await??;
        Ok(Self::Cluster(connection))
    }
}

impl RedisConnection {
    /// Runs `cmd` on the node serving `slot` (on a single server: that server).
    pub(crate) async fn query_on_slot<T: redis::FromRedisValue>(
        &mut self,
        cmd: &Cmd,
        slot: u16,
    ) -> redis::RedisResult<T> {
        match self {
            Self::Single(c) => cmd.query_async(c).await,
            Self::Cluster(c) => {
                let route = Route::new(slot, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                let value = c.route_command(cmd, routing).await?;
                redis::from_redis_value(&value)
            }
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) const fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
