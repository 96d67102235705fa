//! Operator access: the live rate-limit and lockout keys of a client or a
//! scope, with their state and TTL, and clearing them (the runbook case "users
//! see 429: find the client, raise its limit or clear it").
//!
//! Listing uses `SCAN` (never `KEYS`), so a large shared database is not
//! blocked. On a Redis Cluster, name a client: all of its keys share one slot
//! (the hash tag), and the scan runs on the node serving it. Listing every
//! client (or a scope across clients) needs one server, or each cluster
//! primary's URL in turn.

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::FailureState;

use crate::error::Error;
use crate::keys::client_slot;
use crate::ratelimit::algorithm_of;
use crate::stores::RedisStores;

/// What a listed key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// A rate-limit state.
    RateLimit {
        /// The endpoint part of the key (the hash of the scope name).
        endpoint_hash: String,
        /// The algorithm that wrote it (`None`: a value this crate did not write).
        algorithm: Option<&'static str>,
        /// The core's byte form after the tag byte, in hex.
        state_hex: String,
    },
    /// A lockout counter.
    Lockout {
        /// `ip`, `account` or `pair:USER` (the user as written in the key).
        counter: String,
        /// Failures counted (`None`: not a failure state).
        failures: Option<u32>,
        /// When the last failure happened.
        last_failure: Option<UnixTime>,
    },
}

/// One live key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveKey {
    /// The full key.
    pub key: String,
    /// The client part as written in the key (`%XX` for escaped characters).
    pub client: String,
    /// Milliseconds until Redis drops it (`None`: no TTL).
    pub ttl_ms: Option<u64>,
    /// What it holds.
    pub state: KeyState,
}

/// Which keys to list or clear.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selector<'a> {
    /// One client (a `ClientKey` string such as `ip:203.0.113.7`, or a
    /// username for lockout), or every client.
    pub client: Option<&'a str>,
    /// One scope (endpoint) name: only its rate-limit keys. `None`: every
    /// rate-limit key and the lockout keys.
    pub scope: Option<&'a str>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RedisStores {
    /// Every key name matching `pattern`, by `SCAN` (on a cluster: on the node
    /// serving `slot`).
    async fn scan(&self, pattern: &str, slot: u16) -> Result<Vec<String>, Error> {
        let mut cursor: u64 = 0;
        let mut keys = Vec::new();
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000);
            let mut conn = self.connection();
            let (next, batch): (u64, Vec<String>) = self
                .bounded(async move { Ok(conn.query_on_slot(&scan, slot).await?) })
                .await?;
            keys.extend(batch);
            // SCAN ends when the cursor comes back to 0.
            if next == 0 {
                keys.sort();
                keys.dedup();
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// The names of the keys `selector` picks.
    async fn selected(&self, selector: Selector<'_>) -> Result<Vec<String>, Error> {
        let layout = self.options().layout();
        let slot = match selector.client {
            Some(client) => client_slot(client),
            None if self.connection().is_cluster() => {
                return Err(Error::Config {
                    setting: "client",
                    expected: "a client on a Redis Cluster (its keys share one node), \
                               or one primary's URL",
                });
            }
            None => 0,
        };
        let mut keys = self
            .scan(
                &layout.rate_limit_pattern(selector.client, selector.scope),
                slot,
            )
            .await?;
        if selector.scope.is_none() {
            keys.extend(
                self.scan(&layout.lockout_pattern(selector.client), slot)
                    .await?,
            );
        }
        Ok(keys)
    }

    /// The live rate-limit and lockout keys `selector` picks, with state and TTL.
    ///
    /// # Errors
    /// The Redis failure.
    pub async fn list_keys(&self, selector: Selector<'_>) -> Result<Vec<LiveKey>, Error> {
        let layout = self.options().layout();
        let mut live = Vec::new();
        for key in self.selected(selector).await? {
            // On a cluster a pipeline must stay on one node: it does, both
            // commands name this key.
            let mut pipe = redis::pipe();
            pipe.get(&key).cmd("PTTL").arg(&key);
            let mut conn = self.connection();
            let (value, ttl): (Option<Vec<u8>>, i64) = self
                .bounded(async move { Ok(pipe.query_async(&mut conn).await?) })
                .await?;
            // Expired between the scan and the read.
            let Some(value) = value else { continue };
            let ttl_ms = u64::try_from(ttl).ok();
            let entry = if let Some((client, endpoint_hash)) = layout.parse_rate_limit(&key) {
                LiveKey {
                    client: client.to_owned(),
                    ttl_ms,
                    state: KeyState::RateLimit {
                        endpoint_hash: endpoint_hash.to_owned(),
                        algorithm: algorithm_of(&value),
                        state_hex: hex(value.get(1..).unwrap_or_default()),
                    },
                    key,
                }
            } else if let Some((client, counter)) = layout.parse_lockout(&key) {
                let state = FailureState::decode(&value).ok();
                LiveKey {
                    client: client.to_owned(),
                    ttl_ms,
                    state: KeyState::Lockout {
                        counter: counter.to_owned(),
                        failures: state.map(|s| s.failures()),
                        last_failure: state.map(|s| s.last_failure()),
                    },
                    key,
                }
            } else {
                continue;
            };
            live.push(entry);
        }
        Ok(live)
    }

    /// Deletes the rate-limit and lockout keys `selector` picks; returns their names.
    ///
    /// # Errors
    /// [`Error::Config`] when no client is named (clearing every client is not
    /// an operator's fix); the Redis failure.
    pub async fn clear_keys(&self, selector: Selector<'_>) -> Result<Vec<String>, Error> {
        if selector.client.is_none() {
            return Err(Error::Config {
                setting: "client",
                expected: "the client whose keys to clear",
            });
        }
        let keys = self.selected(selector).await?;
        let mut cleared = Vec::with_capacity(keys.len());
        for key in keys {
            let deleted: u64 = self.query(redis::cmd("DEL").arg(&key)).await?;
            if deleted == 1 {
                cleared.push(key);
            }
        }
        Ok(cleared)
    }
}
