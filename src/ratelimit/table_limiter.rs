//! A whole [`RateTable`] enforced in memory: one store per rate, full responses.

use std::collections::BTreeMap;

use super::http::{ErrorBody, HeaderOptions, RateLimitResponse};
use super::{Algorithm, ClientKey, KeyedLimiter, KeyedLimiterConfig, RateLimitError, RateTable};
use crate::clock::UnixTime;

/// One rate's store and its prebuilt header options.
struct Limit<A: Algorithm> {
    limiter: KeyedLimiter<String, A>,
    options: HeaderOptions,
    /// The scope name (or `user`, `anon`), the `scope` of events and metrics.
    scope: String,
}

impl<A: Algorithm> Limit<A> {
    fn new(
        name: &str,
        rate: super::Rate,
        config: KeyedLimiterConfig,
    ) -> Result<Self, RateLimitError> {
        Ok(Self {
            limiter: KeyedLimiter::new(rate, config)?,
            options: HeaderOptions::new(name)?,
            scope: name.to_owned(),
        })
    }

    fn check(
        &self,
        client: &ClientKey,
        now: UnixTime,
    ) -> Result<RateLimitResponse, RateLimitError> {
        let key = client.to_string();
        let decision = self.limiter.check(key.as_str(), now, 1)?;
        crate::observe::rate_limit_decision(
            &self.scope,
            &key,
            decision.allowed,
            decision.retry_after,
        );
        Ok(RateLimitResponse::new(
            &decision,
            self.limiter.rate(),
            &self.options,
            now,
        ))
    }
}

/// Enforces a [`RateTable`]: a bounded [`KeyedLimiter`] per rate (each scope, the
/// user default, the anonymous default), header options built once, and the
/// full response (status, headers, body) per request.
///
/// `check(scope, client, now)` applies the scope's rate if the table lists it
/// (keyed per scope and client, DRF's `ScopedRateThrottle`), else the user or
/// anonymous default (keyed per client across scopes, DRF's `UserRateThrottle`
/// and `AnonRateThrottle`); [`TableLimiter::check_defaults`] is the call for a
/// route with no scope. `None` means nothing limits the request.
///
/// **Which algorithm.** DRF's throttles are a sliding log:
/// [`SlidingLog`](super::SlidingLog) decides exactly as DRF does, but stores one
/// entry per admitted request, so at large quotas (`1000/day`) each client costs
/// up to `limit` entries. There, [`SlidingWindow`](super::SlidingWindow) (two
/// counters, the closest fixed-size rolling window) or [`Gcra`](super::Gcra) (one
/// time, smooth) keep memory at 16 or 8 bytes a client.
///
/// ```
/// use portcullis::clock::UnixTime;
/// use portcullis::ratelimit::{ClientKey, Gcra, KeyedLimiterConfig, RateTable, TableLimiter};
///
/// let table = RateTable::from_pairs([("login", "2/m")])?.with_anonymous("100/h".parse()?);
/// let limiter: TableLimiter<Gcra> = TableLimiter::new(&table, KeyedLimiterConfig::default())?;
/// let client = ClientKey::ip("203.0.113.7".parse().unwrap());
/// let now = UnixTime::from_secs(1_800_000_000).unwrap();
/// assert_eq!(limiter.check("login", &client, now)?.unwrap().status, 200);
/// assert_eq!(limiter.check("login", &client, now)?.unwrap().status, 200);
/// let refused = limiter.check("login", &client, now)?.unwrap();
/// assert_eq!(refused.status, 429);
/// assert!(refused.headers.contains(&("Retry-After", "30".to_owned())));
/// // Another route falls back to the anonymous default, as does a route with no scope.
/// assert_eq!(limiter.check("home", &client, now)?.unwrap().status, 200);
/// assert_eq!(limiter.check_defaults(&client, now)?.unwrap().status, 200);
/// // No user default: nothing limits an authenticated user outside the scopes.
/// assert!(limiter.check_defaults(&ClientKey::user("42"), now)?.is_none());
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
pub struct TableLimiter<A: Algorithm> {
    scopes: BTreeMap<String, Limit<A>>,
    user: Option<Limit<A>>,
    anonymous: Option<Limit<A>>,
}

impl<A: Algorithm> std::fmt::Debug for TableLimiter<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableLimiter")
            .field("scopes", &self.scopes.keys().collect::<Vec<_>>())
            .field("user", &self.user.is_some())
            .field("anonymous", &self.anonymous.is_some())
            .finish_non_exhaustive()
    }
}

impl<A: Algorithm> TableLimiter<A> {
    /// A limiter for every rate of `table`, each store bounded by `config`.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] for a bad `config`, or a scope name
    /// that cannot be a `RateLimit` policy name (1 to 64 printable ASCII bytes).
    pub fn new(table: &RateTable, config: KeyedLimiterConfig) -> Result<Self, RateLimitError> {
        let scopes = table
            .scopes()
            .map(|(scope, rate)| Ok((scope.to_owned(), Limit::new(scope, rate, config)?)))
            .collect::<Result<_, RateLimitError>>()?;
        let default = |name, rate: Option<super::Rate>| {
            rate.map(|rate| Limit::new(name, rate, config)).transpose()
        };
        Ok(Self {
            scopes,
            user: default("user", table.user())?,
            anonymous: default("anon", table.anonymous())?,
        })
    }

    /// The same limiter with `body` on every 429.
    #[must_use]
    pub fn with_body(mut self, body: &ErrorBody) -> Self {
        self.each(|options| options.with_body(body.clone()));
        self
    }

    /// The same limiter with (or without) the legacy `X-RateLimit-*` headers.
    #[must_use]
    pub fn with_legacy(mut self, legacy: bool) -> Self {
        self.each(|options| options.with_legacy(legacy));
        self
    }

    fn each(&mut self, change: impl Fn(HeaderOptions) -> HeaderOptions) {
        let limits = self
            .scopes
            .values_mut()
            .chain(self.user.as_mut())
            .chain(self.anonymous.as_mut());
        for limit in limits {
            limit.options = change(std::mem::take(&mut limit.options));
        }
    }

    /// The response for one request of `client` to `scope` at `now`; `None` when
    /// the table limits neither the scope nor the client's default.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::CostExceedsLimit`] from the store; a request costs one
    /// unit and every rate's limit is at least one, so it does not occur.
    pub fn check(
        &self,
        scope: &str,
        client: &ClientKey,
        now: UnixTime,
    ) -> Result<Option<RateLimitResponse>, RateLimitError> {
        match self.scopes.get(scope) {
            Some(limit) => limit.check(client, now).map(Some),
            None => self.check_defaults(client, now),
        }
    }

    /// The response for a request with no scope: the user or anonymous default
    /// only; `None` when that default is not set.
    ///
    /// # Errors
    ///
    /// As [`TableLimiter::check`].
    pub fn check_defaults(
        &self,
        client: &ClientKey,
        now: UnixTime,
    ) -> Result<Option<RateLimitResponse>, RateLimitError> {
        let limit = if client.is_user() {
            self.user.as_ref()
        } else {
            self.anonymous.as_ref()
        };
        limit.map(|limit| limit.check(client, now)).transpose()
    }

    /// Evicts expired state from every store; returns how many keys.
    pub fn sweep(&self, now: UnixTime) -> usize {
        self.scopes
            .values()
            .chain(self.user.as_ref())
            .chain(self.anonymous.as_ref())
            .map(|limit| limit.limiter.sweep(now))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::SlidingWindow;

    #[test]
    fn scopes_are_apart_and_defaults_are_shared_across_unlisted_scopes() {
        let table = RateTable::from_pairs([("a", "1/m"), ("b", "1/m")])
            .and_then(|t| Ok(t.with_user("2/m".parse()?)))
            .unwrap_or_else(|e| panic!("{e}"));
        let limiter: TableLimiter<SlidingWindow> =
            TableLimiter::new(&table, KeyedLimiterConfig::default())
                .unwrap_or_else(|e| panic!("{e}"))
                .with_body(&ErrorBody::drf())
                .with_legacy(true);
        let user = ClientKey::user("7");
        let now = UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::from_nanos(0));
        let status = |scope: &str| {
            limiter
                .check(scope, &user, now)
                .ok()
                .flatten()
                .map(|r| r.status)
        };
        assert_eq!(status("a"), Some(200));
        assert_eq!(status("a"), Some(429));
        assert_eq!(status("b"), Some(200));
        // Unlisted scopes share the user default: 2 in all.
        assert_eq!(status("x"), Some(200));
        assert_eq!(status("y"), Some(200));
        let refused = limiter.check_defaults(&user, now).ok().flatten();
        let refused = refused.unwrap_or_else(|| panic!("a user default is set"));
        assert_eq!(refused.status, 429);
        assert!(refused.body.is_some_and(|b| b.starts_with(r#"{"detail":"#)));
        assert!(
            refused
                .headers
                .iter()
                .any(|(name, _)| *name == "X-RateLimit-Limit")
        );
        assert!(
            refused
                .headers
                .contains(&("RateLimit-Policy", "\"user\";q=2;w=60".to_owned()))
        );
        // Anonymous clients have no default here.
        let ip = ClientKey::ip(std::net::IpAddr::from([192, 0, 2, 1]));
        assert!(matches!(limiter.check("x", &ip, now), Ok(None)));
    }
}
