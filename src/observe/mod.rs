//! Security events and metrics: the stable names, and the one-line calls every
//! room makes at its decision points.
//!
//! With the optional feature `tracing` each decision is a `tracing` event; with
//! `metrics` it moves a `metrics` counter (and, where there is a duration, a
//! histogram). The names below are part of the API: dashboards, alerts and log
//! queries are written against them, so they change only in a major release.
//! Without either feature every function here is an empty `#[inline]` body and
//! [`ENABLED`] is `false`: the call sites cost nothing.
//!
//! **What is never recorded.** No token, key, password, cookie, CSRF secret or
//! proof ever reaches an event or a metric: the functions take only kinds, codes,
//! reasons, scopes, a user id and a client key. Metric labels take only values
//! from fixed sets or from configuration (token kinds, SimpleJWT codes, refusal
//! reasons, rate-limit scope names, password validator codes), never user input of
//! unbounded cardinality; the user id and the client key go to events only.
//!
//! **Client IP and user id.** The core sees no request. Events carry `user.id`
//! where the decision knows it (issuing, verifying, refreshing, revoking); for the
//! client address the host opens a span around the request (with `tracing`:
//! `request_span`), and every event inside carries its `client.ip`.
//!
//! # Events
//!
//! Every event has target [`TARGET`], its name from [`event`] as the tracing
//! event name, and the same name in an `event` field (so a JSON log line shows it).
//!
//! | event | level | fields |
//! |---|---|---|
//! | `portcullis.token.issued` | INFO | `kind`, `user.id` |
//! | `portcullis.token.verified` | DEBUG | `kind`, `user.id` |
//! | `portcullis.token.refused` | WARN | `kind`, `code` (SimpleJWT's), `reason` (as the metric label), `rule` (which check) |
//! | `portcullis.token.refreshed` | INFO | `result` (`rotated`, `refreshed`, `refused`, `reused`), `user.id` |
//! | `portcullis.token.rotated` | INFO | `user.id` |
//! | `portcullis.token.reuse_detected` | WARN | `user.id`; the refresh family is revoked |
//! | `portcullis.token.revoked_all` | INFO | `user.id`: every token issued to the user until now |
//! | `portcullis.ratelimit.limited` | WARN | `scope`, `client` (the client key), `retry_after_s` |
//! | `portcullis.lockout.engaged` | WARN | `lockout_s` |
//! | `portcullis.lockout.released` | INFO | `cause` (`unlock`, `success`) |
//! | `portcullis.password.rejected` | INFO | `codes` (the validators' codes, comma-separated) |
//! | `portcullis.csrf.refused` | WARN | `code` |
//! | `portcullis.cors.refused` | WARN | `code` |
//! | `portcullis.jwe.refused` | WARN | `code` |
//! | `portcullis.dpop.refused` | WARN | `code` |
//! | `portcullis.drf_token.issued` | INFO | none: a DRF `TokenAuthentication` key was generated |
//! | `portcullis.drf_token.verified` | DEBUG | none: a presented DRF key matched its stored digest |
//! | `portcullis.drf_token.refused` | WARN | `code` (`web::drf_token::DrfAuthError::code`'s, `malformed` or `expired`) |
//! | `portcullis.drf_token.migrated` | INFO | `prefix`: a DRF key got its API-key replacement |
//! | `portcullis.alert.fired` | WARN | `rule` (the alert kind), `key` (client key, family or user id; absent for a global rule), `threshold`, `window_s` |
//!
//! # Metrics
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `portcullis_tokens_issued_total` | counter | `kind` |
//! | `portcullis_token_verifications_total` | counter | `kind`, `result` (`ok`, `refused`) |
//! | `portcullis_token_refusals_total` | counter | `kind`, `reason` ([`TokenRefusal`]) |
//! | `portcullis_token_refreshes_total` | counter | `result` ([`RefreshResult`]) |
//! | `portcullis_token_revocations_total` | counter | `scope` (`family` on reuse, `user` on revoke-all) |
//! | `portcullis_ratelimit_decisions_total` | counter | `scope`, `result` (`allowed`, `limited`) |
//! | `portcullis_ratelimit_retry_after_seconds` | histogram | `scope` |
//! | `portcullis_lockouts_total` | counter | `event` (`engaged`, `released`) |
//! | `portcullis_lockout_duration_seconds` | histogram | none |
//! | `portcullis_password_verdicts_total` | counter | `result` (`accepted`, `rejected`) |
//! | `portcullis_password_rejections_total` | counter | `code` |
//! | `portcullis_web_refusals_total` | counter | `check` (`csrf`, `cors`), `code` |
//! | `portcullis_jose_refusals_total` | counter | `check` (`jwe`, `dpop`), `code` |
//! | `portcullis_drf_tokens_issued_total` | counter | none |
//! | `portcullis_drf_token_verifications_total` | counter | `result` (`ok`, `refused`) |
//! | `portcullis_drf_token_refusals_total` | counter | `code` (as the event's) |
//! | `portcullis_drf_token_migrations_total` | counter | none |
//! | `portcullis_alerts_total` | counter | `rule` (the alert kind: `invalid_tokens`, `invalid_tokens_per_client`, `refresh_attempts_per_family`, `refresh_attempts_per_user`) |
//!
//! `kind` is `access`, `refresh`, `sliding`, or `any` (a check that accepts every
//! kind refused the token before its type was known). An alert's key (a client,
//! a refresh family, a user) is unbounded, so it is an event field only; the
//! metric counts alerts by rule. [`describe_metrics`] gives each metric its help
//! text for an exporter such as Prometheus's.

mod emit;

pub use emit::*;

/// Whether any observer is compiled in (`tracing` or `metrics`). Call sites that
/// must compute something only to report it test this constant, so the work is
/// compiled out when both features are off.
pub const ENABLED: bool = cfg!(any(feature = "tracing", feature = "metrics"));

/// The target of every event: filter with `portcullis=info` (or `=warn` for the
/// refusals only).
pub const TARGET: &str = "portcullis";

/// The event names (also each event's `event` field).
pub mod event {
    /// A token was signed: `kind`, `user.id`.
    pub const TOKEN_ISSUED: &str = "portcullis.token.issued";
    /// A token passed every check, revocation included: `kind`, `user.id`.
    pub const TOKEN_VERIFIED: &str = "portcullis.token.verified";
    /// A token was refused: `kind`, `code`, `reason`, `rule`.
    pub const TOKEN_REFUSED: &str = "portcullis.token.refused";
    /// A refresh ended: `result`, `user.id`.
    pub const TOKEN_REFRESHED: &str = "portcullis.token.refreshed";
    /// A refresh rotated the refresh token (the old one is spent): `user.id`.
    pub const TOKEN_ROTATED: &str = "portcullis.token.rotated";
    /// A spent refresh token came back; its family is revoked: `user.id`.
    pub const TOKEN_REUSE_DETECTED: &str = "portcullis.token.reuse_detected";
    /// Every token of a user issued until now was revoked: `user.id`.
    pub const TOKEN_REVOKED_ALL: &str = "portcullis.token.revoked_all";
    /// A request was refused by a rate limit: `scope`, `client`, `retry_after_s`.
    pub const RATE_LIMITED: &str = "portcullis.ratelimit.limited";
    /// A failed login locked the login: `lockout_s`.
    pub const LOCKOUT_ENGAGED: &str = "portcullis.lockout.engaged";
    /// Failure counts were cleared: `cause` (`unlock` or `success`).
    pub const LOCKOUT_RELEASED: &str = "portcullis.lockout.released";
    /// A password broke the policy: `codes`.
    pub const PASSWORD_REJECTED: &str = "portcullis.password.rejected";
    /// A request failed the CSRF check: `code`.
    pub const CSRF_REFUSED: &str = "portcullis.csrf.refused";
    /// A cross-origin request was refused: `code`.
    pub const CORS_REFUSED: &str = "portcullis.cors.refused";
    /// A JWE could not be decrypted: `code`.
    pub const JWE_REFUSED: &str = "portcullis.jwe.refused";
    /// A DPoP proof was refused: `code`.
    pub const DPOP_REFUSED: &str = "portcullis.dpop.refused";
    /// A DRF `TokenAuthentication` key was generated.
    pub const DRF_TOKEN_ISSUED: &str = "portcullis.drf_token.issued";
    /// A presented DRF key matched its stored digest (and had not expired).
    pub const DRF_TOKEN_VERIFIED: &str = "portcullis.drf_token.verified";
    /// A DRF `Authorization: Token` credential was refused: `code`.
    pub const DRF_TOKEN_REFUSED: &str = "portcullis.drf_token.refused";
    /// A DRF key was given its API-key replacement: `prefix`.
    pub const DRF_TOKEN_MIGRATED: &str = "portcullis.drf_token.migrated";
    /// An alert detector fired: `rule`, `key`, `threshold`, `window_s`.
    pub const ALERT_FIRED: &str = "portcullis.alert.fired";
}

/// The metric names.
pub mod metric {
    /// Counter, label `kind`.
    pub const TOKENS_ISSUED: &str = "portcullis_tokens_issued_total";
    /// Counter, labels `kind`, `result` (`ok`, `refused`).
    pub const TOKEN_VERIFICATIONS: &str = "portcullis_token_verifications_total";
    /// Counter, labels `kind`, `reason`.
    pub const TOKEN_REFUSALS: &str = "portcullis_token_refusals_total";
    /// Counter, label `result`.
    pub const TOKEN_REFRESHES: &str = "portcullis_token_refreshes_total";
    /// Counter, label `scope` (`family`, `user`).
    pub const TOKEN_REVOCATIONS: &str = "portcullis_token_revocations_total";
    /// Counter, labels `scope`, `result` (`allowed`, `limited`).
    pub const RATELIMIT_DECISIONS: &str = "portcullis_ratelimit_decisions_total";
    /// Histogram of the wait a refused request is told, in seconds; label `scope`.
    pub const RATELIMIT_RETRY_AFTER: &str = "portcullis_ratelimit_retry_after_seconds";
    /// Counter, label `event` (`engaged`, `released`).
    pub const LOCKOUTS: &str = "portcullis_lockouts_total";
    /// Histogram of lock durations at engagement, in seconds.
    pub const LOCKOUT_DURATION: &str = "portcullis_lockout_duration_seconds";
    /// Counter, label `result` (`accepted`, `rejected`).
    pub const PASSWORD_VERDICTS: &str = "portcullis_password_verdicts_total";
    /// Counter, label `code` (one count per broken rule).
    pub const PASSWORD_REJECTIONS: &str = "portcullis_password_rejections_total";
    /// Counter, labels `check` (`csrf`, `cors`), `code`.
    pub const WEB_REFUSALS: &str = "portcullis_web_refusals_total";
    /// Counter, labels `check` (`jwe`, `dpop`), `code`.
    pub const JOSE_REFUSALS: &str = "portcullis_jose_refusals_total";
    /// Counter, no label.
    pub const DRF_TOKENS_ISSUED: &str = "portcullis_drf_tokens_issued_total";
    /// Counter, label `result` (`ok`, `refused`).
    pub const DRF_TOKEN_VERIFICATIONS: &str = "portcullis_drf_token_verifications_total";
    /// Counter, label `code`.
    pub const DRF_TOKEN_REFUSALS: &str = "portcullis_drf_token_refusals_total";
    /// Counter, no label.
    pub const DRF_TOKEN_MIGRATIONS: &str = "portcullis_drf_token_migrations_total";
    /// Counter, label `rule` (the alert kind only, never its key).
    pub const ALERTS: &str = "portcullis_alerts_total";

    /// Every metric with its help text, for [`describe_metrics`](super::describe_metrics).
    pub const ALL: [(&str, &str); 18] = [
        (TOKENS_ISSUED, "Tokens signed, by kind."),
        (
            TOKEN_VERIFICATIONS,
            "Token verifications, by kind and result.",
        ),
        (TOKEN_REFUSALS, "Refused tokens, by kind and reason."),
        (TOKEN_REFRESHES, "Refreshes, by result."),
        (
            TOKEN_REVOCATIONS,
            "Revocations made by the token flows, by scope.",
        ),
        (
            RATELIMIT_DECISIONS,
            "Rate-limit decisions, by scope and result.",
        ),
        (
            RATELIMIT_RETRY_AFTER,
            "Retry-After told to limited requests, in seconds.",
        ),
        (LOCKOUTS, "Login lockouts engaged and released."),
        (
            LOCKOUT_DURATION,
            "Lock durations at engagement, in seconds.",
        ),
        (PASSWORD_VERDICTS, "Password policy verdicts."),
        (
            PASSWORD_REJECTIONS,
            "Broken password rules, by validator code.",
        ),
        (WEB_REFUSALS, "CSRF and CORS refusals, by code."),
        (JOSE_REFUSALS, "JWE and DPoP refusals, by code."),
        (DRF_TOKENS_ISSUED, "DRF TokenAuthentication keys generated."),
        (
            DRF_TOKEN_VERIFICATIONS,
            "DRF TokenAuthentication checks, by result.",
        ),
        (
            DRF_TOKEN_REFUSALS,
            "Refused DRF TokenAuthentication credentials, by code.",
        ),
        (
            DRF_TOKEN_MIGRATIONS,
            "DRF keys replaced by checksummed API keys.",
        ),
        (ALERTS, "Alerts fired by the detectors, by rule."),
    ];
}

/// Why a token was refused: the `reason` label of
/// [`metric::TOKEN_REFUSALS`], a fixed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// `exp` (or a sliding token's `refresh_exp`) has passed.
    Expired,
    /// Any format, header, signature or claim rule.
    Invalid,
    /// Revoked: the token, its family or its user's older tokens.
    Blacklisted,
    /// The token's type is missing or not the kind asked for.
    WrongType,
    /// A spent refresh token presented again.
    Reused,
    /// The user's password changed since the token was issued.
    PasswordChanged,
}

impl TokenRefusal {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Invalid => "invalid",
            Self::Blacklisted => "blacklisted",
            Self::WrongType => "wrong_type",
            Self::Reused => "reused",
            Self::PasswordChanged => "password_changed",
        }
    }
}

/// How a refresh ended: the `result` label of [`metric::TOKEN_REFRESHES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshResult {
    /// A new access token and a new refresh token (the old one is spent).
    Rotated,
    /// A new access token; the refresh token stays valid (no rotation).
    Refreshed,
    /// The refresh token was refused (invalid, expired, revoked).
    Refused,
    /// A spent refresh token came back; its family is revoked.
    Reused,
}

impl RefreshResult {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rotated => "rotated",
            Self::Refreshed => "refreshed",
            Self::Refused => "refused",
            Self::Reused => "reused",
        }
    }
}

/// Why failure counts were cleared: the `cause` field of
/// [`event::LOCKOUT_RELEASED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LockoutRelease {
    /// The host's unlock call (an administrator, a support flow).
    Unlock,
    /// A successful login.
    Success,
}

impl LockoutRelease {
    /// The field value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unlock => "unlock",
            Self::Success => "success",
        }
    }
}
