//! Rate limiting: pure algorithms over portable state, HTTP-ready decisions, a
//! bounded keyed limiter, and login lockout.
//!
//! - [`Rate`] parses the strings DRF and django-ratelimit settings hold
//!   (`100/hour`, `5/m`, `10/5m`, `100/300s`) and prints them back.
//! - Five [`Algorithm`]s are pure functions: rate, previous state (or none),
//!   `now` and a cost (0 peeks) in; a [`Decision`] (allowed, limit, remaining,
//!   retry after, reset after) and the state to store out. [`Gcra`] (redis-cell's
//!   semantics), [`TokenBucket`], [`FixedWindow`], [`SlidingLog`] (DRF's
//!   semantics) and [`SlidingWindow`] (the previous/current window estimate).
//!   State holds absolute Unix nanoseconds and has serde and one byte codec
//!   ([`Algorithm::encode`], [`Algorithm::decode`]), so it can live in memory,
//!   in Redis or in a database row and be read by any host.
//! - [`http`] turns a decision into a 429 with `Retry-After`, the IETF
//!   `RateLimit`/`RateLimit-Policy` fields, optional `X-RateLimit-*`, and the JSON
//!   body services already return.
//! - [`RateTable`] resolves per-endpoint rates for users and anonymous clients,
//!   and [`TableLimiter`] enforces a whole table (a store per rate, full
//!   responses, the DRF-matching algorithm choice in its docs);
//!   [`client_ip`] and [`ClientKey`] derive keys (IPv6 grouped by /56, NAT64 and
//!   IPv4-mapped addresses as their IPv4 client,
//!   `X-Forwarded-For` only through a configured number of trusted proxies).
//! - [`state::KeyedStore`] is the seam for keyed rate-limit and lockout state
//!   (an atomic update through a pure closure), with sans-I/O steps for async
//!   hosts; [`KeyedLimiter`], a thread-safe, sharded, memory-bounded limiter for
//!   one machine, is its in-memory implementation.
//! - [`lockout`] counts login failures per (username, network), per network and
//!   per account (weighted by distinct networks, NIST's 100-failure ceiling)
//!   with capped exponential backoff: every lock is timed.
//! - [`alert`] turns the algorithms into alert detectors ("more than N events
//!   within W", globally or per key, bounded): invalid tokens per minute, refresh
//!   attempts per family or user. Each fires once and re-arms after a quiet window.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::{Algorithm, Gcra, Rate};
//!
//! let rate: Rate = "5/m".parse()?;
//! let now = UnixTime::from_secs(1_700_000_000).unwrap();
//! let mut state = None;
//! for _ in 0..5 {
//!     let (decision, next) = Gcra::decide(&rate, state.as_ref(), now, 1)?;
//!     assert!(decision.allowed);
//!     state = Some(next); // store it anywhere: it is 8 bytes of absolute time
//! }
//! let (refused, _) = Gcra::decide(&rate, state.as_ref(), now, 1)?;
//! assert!(!refused.allowed);
//! assert_eq!(refused.retry_after.as_secs(), 12);
//! # Ok::<(), portcullis::ratelimit::RateLimitError>(())
//! ```

pub mod alert;
mod algorithm;
mod codec;
mod fixed_window;
mod gcra;
pub mod http;
mod keyed;
mod keys;
pub mod lockout;
mod rate;
mod sliding_log;
mod sliding_window;
pub mod state;
mod table;
mod table_limiter;
mod token_bucket;

pub use algorithm::{Algorithm, Decision};
pub use fixed_window::{FixedWindow, FixedWindowState};
pub use gcra::{Gcra, GcraState};
pub use keyed::{AtCapacity, KeyedLimiter, KeyedLimiterConfig};
pub use keys::{ClientKey, DEFAULT_V6_PREFIX, client_ip};
pub use rate::Rate;
pub use sliding_log::{SlidingLog, SlidingLogState};
pub use sliding_window::{SlidingWindow, SlidingWindowState};
pub use table::{RateTable, ResolvedLimit};
pub use table_limiter::TableLimiter;
pub use token_bucket::{TokenBucket, TokenBucketState};

/// Why a rate, a configuration or a stored state was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// A rate string does not follow the grammar.
    #[error("invalid rate {input:?}: {reason}; {accepted}", accepted = rate::ACCEPTED_FORMS)]
    InvalidRate {
        /// The offending text (cut at 64 characters).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A request costs more units than the limit, so it could never be admitted.
    #[error("a cost of {cost} exceeds the limit of {limit}; it can never be admitted")]
    CostExceedsLimit {
        /// The cost asked for.
        cost: u32,
        /// The rate's limit.
        limit: u32,
    },
    /// Stored state could not be read back.
    #[error("invalid {algorithm} state: {reason}")]
    InvalidState {
        /// The algorithm whose state it is.
        algorithm: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A configuration setting is out of range.
    #[error("invalid setting {setting}: expected {expected}")]
    InvalidConfig {
        /// The setting's name.
        setting: &'static str,
        /// The accepted values.
        expected: &'static str,
    },
    /// A per-endpoint table entry holds a bad rate.
    #[error("rate for scope {scope:?}: {source}")]
    InvalidScopeRate {
        /// The scope (endpoint) name.
        scope: String,
        /// The rate's own error.
        source: Box<RateLimitError>,
    },
}

/// A non-zero `u32` for tests' rates.
#[cfg(test)]
pub(crate) fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN)
}
