//! Per-endpoint rate tables, as DRF's `DEFAULT_THROTTLE_RATES`.

use std::collections::BTreeMap;

use super::{ClientKey, Rate, RateLimitError};

/// Rates per scope (endpoint) plus defaults for users and anonymous clients.
///
/// A scope listed in the table applies its rate to everyone who calls it, keyed
/// per scope and identity (DRF's `ScopedRateThrottle`); any other scope falls back
/// to the user or anonymous default (DRF's `UserRateThrottle` and
/// `AnonRateThrottle`), keyed per identity across scopes. A missing default means
/// "no limit".
///
/// ```
/// use portcullis::ratelimit::{ClientKey, RateTable};
///
/// let table = RateTable::from_pairs([("oauth:start", "5/m"), ("posts:create", "50/h")])?
///     .with_anonymous("100/hour".parse()?)
///     .with_user("1000/hour".parse()?);
/// let alice = ClientKey::user("alice");
/// let limit = table.resolve("oauth:start", &alice).unwrap();
/// assert_eq!((limit.rate.to_string(), limit.key.as_str()), ("5/m".into(), "oauth:start:user:alice"));
/// let other = table.resolve("posts:list", &alice).unwrap();
/// assert_eq!((other.rate.to_string(), other.key.as_str()), ("1000/h".into(), "user:user:alice"));
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateTable {
    scopes: BTreeMap<String, Rate>,
    anonymous: Option<Rate>,
    user: Option<Rate>,
}

/// A resolved limit: which rate, under which storage key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedLimit {
    /// The scope whose rate applies: the endpoint's, or `user`/`anon`.
    pub scope: String,
    /// The rate to apply.
    pub rate: Rate,
    /// The key to store the state under: `<scope>:<client key>`.
    pub key: String,
}

impl RateTable {
    /// An empty table: no scope limited, no defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A table from `(scope, rate)` pairs as they appear in settings.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidScopeRate`], naming the scope, for a rate that
    /// does not parse.
    pub fn from_pairs<S, R, I>(pairs: I) -> Result<Self, RateLimitError>
    where
        S: Into<String>,
        R: AsRef<str>,
        I: IntoIterator<Item = (S, R)>,
    {
        let mut table = Self::new();
        for (scope, rate) in pairs {
            let scope = scope.into();
            let rate = rate
                .as_ref()
                .parse()
                .map_err(|e| RateLimitError::InvalidScopeRate {
                    scope: scope.clone(),
                    source: Box::new(e),
                })?;
            table.scopes.insert(scope, rate);
        }
        Ok(table)
    }

    /// Sets `scope`'s rate.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>, rate: Rate) -> Self {
        self.scopes.insert(scope.into(), rate);
        self
    }

    /// The default for anonymous clients (DRF's `anon` scope).
    #[must_use]
    pub fn with_anonymous(mut self, rate: Rate) -> Self {
        self.anonymous = Some(rate);
        self
    }

    /// The default for authenticated users (DRF's `user` scope).
    #[must_use]
    pub fn with_user(mut self, rate: Rate) -> Self {
        self.user = Some(rate);
        self
    }

    /// The scopes listed, with their rates, in name order.
    pub fn scopes(&self) -> impl Iterator<Item = (&str, Rate)> {
        self.scopes
            .iter()
            .map(|(scope, rate)| (scope.as_str(), *rate))
    }

    /// The default for authenticated users, if set.
    pub const fn user(&self) -> Option<Rate> {
        self.user
    }

    /// The default for anonymous clients, if set.
    pub const fn anonymous(&self) -> Option<Rate> {
        self.anonymous
    }

    /// The limit for `client` calling `scope`, or `None` when nothing limits it.
    pub fn resolve(&self, scope: &str, client: &ClientKey) -> Option<ResolvedLimit> {
        let (scope, rate) = match self.scopes.get_key_value(scope) {
            Some((scope, rate)) => (scope.as_str(), *rate),
            None if client.is_user() => ("user", self.user?),
            None => ("anon", self.anonymous?),
        };
        Some(ResolvedLimit {
            scope: scope.to_owned(),
            rate,
            key: format!("{scope}:{client}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    #[test]
    fn bad_rates_name_their_scope() {
        let err = RateTable::from_pairs([("ok", "5/m"), ("login", "5/fortnight")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"login\""), "{text}");
        assert!(text.contains("accepted forms"), "{text}");
    }

    #[test]
    fn anonymous_default_and_unlimited() {
        let ip = ClientKey::ip("192.0.2.1".parse().unwrap());
        let table = RateTable::new().with_scope("search", Rate::per_minute(nz(30)));
        assert_eq!(table.resolve("home", &ip), None);
        assert_eq!(
            table.resolve("search", &ip).unwrap().key,
            "search:ip:192.0.2.1"
        );
        let table = table.with_anonymous(Rate::per_hour(nz(100)));
        let limit = table.resolve("home", &ip).unwrap();
        assert_eq!(
            (limit.scope.as_str(), limit.key.as_str()),
            ("anon", "anon:ip:192.0.2.1")
        );
        assert_eq!(table.resolve("home", &ClientKey::user("1")), None);
    }
}
