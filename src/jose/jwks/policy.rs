//! When to fetch a remote issuer's JWKS: a pure policy over the cache's state and
//! an explicit `now`. The host does the HTTP and reports back.

use std::time::Duration;

use super::JwksError;
use super::parse::{JwksKeys, parse_jwks};
use crate::clock::UnixTime;
use crate::token::VerifyingKey;

/// The bounds and pacing of a [`JwksCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JwksPolicy {
    floor: Duration,
    min_max_age: Duration,
    max_max_age: Duration,
    default_max_age: Duration,
}

impl Default for JwksPolicy {
    /// A 10 s floor between fetches; `max-age` kept within 1 minute and 1 day;
    /// 5 minutes when the response gives none.
    fn default() -> Self {
        Self {
            floor: Duration::from_secs(10),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(24 * 3600),
            default_max_age: Duration::from_secs(300),
        }
    }
}

const MAX_BOUND: Duration = Duration::from_secs(7 * 24 * 3600);

impl JwksPolicy {
    /// A policy: at most one fetch per `floor` (1 s to 1 h), whatever asks for it
    /// (an unknown `kid`, expiry, a retry after a failure); a response's
    /// `max-age` clamped to `min_max_age..=max_max_age` (each `floor` to 7 days);
    /// `default_max_age` (clamped the same way) when it gives none.
    ///
    /// # Errors
    /// [`JwksError::InvalidConfig`] naming the first setting out of range.
    pub fn new(
        floor: Duration,
        min_max_age: Duration,
        max_max_age: Duration,
        default_max_age: Duration,
    ) -> Result<Self, JwksError> {
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&floor) {
            return Err(JwksError::InvalidConfig {
                setting: "floor",
                expected: "1 s to 1 h",
            });
        }
        if !(floor..=MAX_BOUND).contains(&min_max_age) {
            return Err(JwksError::InvalidConfig {
                setting: "min_max_age",
                expected: "the floor to 7 days",
            });
        }
        if !(min_max_age..=MAX_BOUND).contains(&max_max_age) {
            return Err(JwksError::InvalidConfig {
                setting: "max_max_age",
                expected: "min_max_age to 7 days",
            });
        }
        Ok(Self {
            floor,
            min_max_age,
            max_max_age,
            default_max_age: default_max_age.clamp(min_max_age, max_max_age),
        })
    }

    /// The least time between two fetches.
    #[must_use]
    pub const fn floor(&self) -> Duration {
        self.floor
    }

    /// How long a set fetched with this `Cache-Control` header value stays fresh:
    /// its `max-age` within the bounds; the lower bound for `no-cache`,
    /// `no-store`, a repeated or malformed `max-age`; the default without one.
    #[must_use]
    pub fn freshness(&self, cache_control: Option<&str>) -> Duration {
        match max_age(cache_control) {
            MaxAge::Absent => self.default_max_age,
            MaxAge::Seconds(secs) => {
                Duration::from_secs(secs).clamp(self.min_max_age, self.max_max_age)
            }
            MaxAge::DoNotKeep => self.min_max_age,
        }
    }
}

enum MaxAge {
    Absent,
    Seconds(u64),
    DoNotKeep,
}

/// The `max-age` of a `Cache-Control` value (RFC 9111 section 5.2): directive
/// names case-insensitive, the value a token or a quoted string of digits.
fn max_age(cache_control: Option<&str>) -> MaxAge {
    let mut found = MaxAge::Absent;
    for directive in cache_control.unwrap_or_default().split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return MaxAge::DoNotKeep;
        }
        if !name.eq_ignore_ascii_case("max-age") {
            continue;
        }
        let digits = value.map(|v| {
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
        });
        found = match (found, digits) {
            (MaxAge::Absent, Some(d)) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
                // Past u64, the value is "very large": the upper bound applies.
                MaxAge::Seconds(d.parse().unwrap_or(u64::MAX))
            }
            _ => return MaxAge::DoNotKeep,
        };
    }
    found
}

/// What the host should do before verifying a token with a [`JwksCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    /// Use the cached set as it is (the key may still be unknown).
    UseCached,
    /// Fetch the JWKS now, then report with [`JwksCache::fetched`] or
    /// [`JwksCache::fetch_failed`].
    Fetch,
}

/// A remote issuer's JWKS: the last good set, when it goes stale, and when the
/// last fetch was tried. It does no I/O and reads no clock.
#[derive(Debug)]
pub struct JwksCache {
    policy: JwksPolicy,
    keys: Option<JwksKeys>,
    fresh_until: Option<UnixTime>,
    last_attempt: Option<UnixTime>,
}

impl JwksCache {
    /// An empty cache under `policy`.
    #[must_use]
    pub const fn new(policy: JwksPolicy) -> Self {
        Self {
            policy,
            keys: None,
            fresh_until: None,
            last_attempt: None,
        }
    }

    /// Whether to fetch before verifying a token whose header names `kid` at
    /// `now`: when there is no set yet, when the set has gone stale, or when
    /// `kid` is not in it (the issuer rotated), but never sooner than the floor
    /// after the last attempt, so tokens with made-up kids cannot make the host
    /// hammer the issuer.
    pub fn decide(&self, kid: Option<&str>, now: UnixTime) -> Decision {
        let stale = self.fresh_until.is_none_or(|until| now >= until);
        let unknown = kid.is_some_and(|kid| self.key(kid).is_none());
        let paced = self.last_attempt.is_none_or(|at| {
            at.checked_add(self.policy.floor)
                .is_some_and(|next| now >= next)
        });
        if (stale || unknown) && paced {
            Decision::Fetch
        } else {
            Decision::UseCached
        }
    }

    /// Records a fetched document and its `Cache-Control` header at `now`.
    /// A document that does not parse leaves the last good set in place (see
    /// [`JwksCache::fetch_failed`]).
    ///
    /// # Errors
    /// The [`JwksError`] of [`parse_jwks`].
    pub fn fetched(
        &mut self,
        body: &str,
        cache_control: Option<&str>,
        now: UnixTime,
    ) -> Result<&JwksKeys, JwksError> {
        self.last_attempt = Some(now);
        let keys = parse_jwks(body)?;
        let freshness = self.policy.freshness(cache_control);
        self.fresh_until = Some(
            now.checked_add(freshness)
                .unwrap_or(UnixTime::from_nanos(u64::MAX)),
        );
        Ok(self.keys.insert(keys))
    }

    /// Records a fetch that failed at `now` (network, status, a body that did not
    /// parse): the last good set stays in use, stale or not, and the next fetch
    /// waits for the floor.
    pub fn fetch_failed(&mut self, now: UnixTime) {
        self.last_attempt = Some(now);
    }

    /// The key for `kid` in the last good set.
    #[must_use]
    pub fn key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.as_ref()?.select(kid)
    }

    /// The last good set, if any fetch has succeeded.
    #[must_use]
    pub const fn keys(&self) -> Option<&JwksKeys> {
        self.keys.as_ref()
    }

    /// Until when the last good set is fresh (`None` before the first success).
    #[must_use]
    pub const fn fresh_until(&self) -> Option<UnixTime> {
        self.fresh_until
    }
}
