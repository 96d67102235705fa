//! The calls the rooms make at their decision points (and a host may make for the
//! decisions it takes itself). Each is empty without the features.

use std::time::Duration;

#[cfg(feature = "metrics")]
use super::metric;
use super::{LockoutRelease, RefreshResult, TokenRefusal};
#[cfg(feature = "tracing")]
use super::{TARGET, event};

/// One `tracing` event at `$level` named `$name` (also its `event` field).
#[cfg(feature = "tracing")]
macro_rules! emit {
    ($level:ident, $name:expr, $($fields:tt)*) => {
        tracing::event!(
            name: $name,
            target: TARGET,
            tracing::Level::$level,
            event = $name,
            $($fields)*
        )
    };
}

/// Adds one to counter `$name` with the given labels.
#[cfg(feature = "metrics")]
macro_rules! count {
    ($name:expr $(, $key:literal => $value:expr)* $(,)?) => {
        metrics::counter!($name $(, $key => $value)*).increment(1)
    };
}

/// A token of `kind` (`access`, `refresh`, `sliding`) was signed for `user_id`.
#[inline]
pub fn token_issued(kind: &'static str, user_id: Option<&str>) {
    #[cfg(feature = "tracing")]
    emit!(INFO, event::TOKEN_ISSUED, kind, user.id = user_id);
    #[cfg(feature = "metrics")]
    count!(metric::TOKENS_ISSUED, "kind" => kind);
    let _ = (kind, user_id);
}

/// A token of `kind` passed every check, revocation included.
#[inline]
pub fn token_verified(kind: &'static str, user_id: Option<&str>) {
    #[cfg(feature = "tracing")]
    emit!(DEBUG, event::TOKEN_VERIFIED, kind, user.id = user_id);
    #[cfg(feature = "metrics")]
    count!(metric::TOKEN_VERIFICATIONS, "kind" => kind, "result" => "ok");
    let _ = (kind, user_id);
}

/// What a refused token's event says: SimpleJWT's `code`, the label `reason`,
/// and the `rule` that fired (a fixed name such as `signature` or `audience`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The kind asked for, or the token's own; `any` when neither is known.
    pub kind: &'static str,
    /// The refusal's label value.
    pub reason: TokenRefusal,
    /// SimpleJWT's code (`token_not_valid`, `password_changed`, ...).
    pub code: &'static str,
    /// Which check refused the token.
    pub rule: &'static str,
}

/// A token was refused.
#[inline]
pub fn token_refused(refused: &Refused) {
    #[cfg(feature = "tracing")]
    emit!(
        WARN,
        event::TOKEN_REFUSED,
        kind = refused.kind,
        code = refused.code,
        reason = refused.reason.as_str(),
        rule = refused.rule
    );
    #[cfg(feature = "metrics")]
    {
        count!(metric::TOKEN_VERIFICATIONS, "kind" => refused.kind, "result" => "refused");
        count!(metric::TOKEN_REFUSALS, "kind" => refused.kind, "reason" => refused.reason.as_str());
    }
    let _ = refused;
}

/// A refresh ended with `result`; a reuse also revokes the family, a rotation
/// also spends the old refresh token, and each has its own event.
#[inline]
pub fn token_refreshed(result: RefreshResult, user_id: Option<&str>) {
    #[cfg(feature = "tracing")]
    {
        emit!(
            INFO,
            event::TOKEN_REFRESHED,
            result = result.as_str(),
            user.id = user_id
        );
        match result {
            RefreshResult::Rotated => emit!(INFO, event::TOKEN_ROTATED, user.id = user_id),
            RefreshResult::Reused => emit!(WARN, event::TOKEN_REUSE_DETECTED, user.id = user_id),
            RefreshResult::Refreshed | RefreshResult::Refused => {}
        }
    }
    #[cfg(feature = "metrics")]
    {
        count!(metric::TOKEN_REFRESHES, "result" => result.as_str());
        if result == RefreshResult::Reused {
            count!(metric::TOKEN_REVOCATIONS, "scope" => "family");
        }
    }
    let _ = (result, user_id);
}

/// Every token of `user_id` issued until now was revoked ("log out everywhere",
/// a password change).
#[inline]
pub fn tokens_revoked_for_user(user_id: &str) {
    #[cfg(feature = "tracing")]
    emit!(INFO, event::TOKEN_REVOKED_ALL, user.id = user_id);
    #[cfg(feature = "metrics")]
    count!(metric::TOKEN_REVOCATIONS, "scope" => "user");
    let _ = user_id;
}

/// A rate-limit decision under the configured `scope` for `client` (a client
/// key: a user id or a network); `retry_after` is the wait a refusal tells.
/// The event is for refusals only; the metric counts both results. The scope is
/// a metric label (configured names only), the client never is.
#[inline]
pub fn rate_limit_decision(scope: &str, client: &str, allowed: bool, retry_after: Duration) {
    #[cfg(feature = "tracing")]
    if !allowed {
        emit!(
            WARN,
            event::RATE_LIMITED,
            scope,
            client,
            retry_after_s = retry_after.as_secs_f64()
        );
    }
    #[cfg(feature = "metrics")]
    {
        let result = if allowed { "allowed" } else { "limited" };
        count!(metric::RATELIMIT_DECISIONS, "scope" => scope.to_owned(), "result" => result);
        if !allowed {
            metrics::histogram!(metric::RATELIMIT_RETRY_AFTER, "scope" => scope.to_owned())
                .record(retry_after.as_secs_f64());
        }
    }
    let _ = (scope, client, allowed, retry_after);
}

/// A failed login locked the login for `lockout`.
#[inline]
pub fn lockout_engaged(lockout: Duration) {
    #[cfg(feature = "tracing")]
    emit!(
        WARN,
        event::LOCKOUT_ENGAGED,
        lockout_s = lockout.as_secs_f64()
    );
    #[cfg(feature = "metrics")]
    {
        count!(metric::LOCKOUTS, "event" => "engaged");
        metrics::histogram!(metric::LOCKOUT_DURATION).record(lockout.as_secs_f64());
    }
    let _ = lockout;
}

/// Failure counts of a login were cleared.
#[inline]
pub fn lockout_released(cause: LockoutRelease) {
    #[cfg(feature = "tracing")]
    emit!(INFO, event::LOCKOUT_RELEASED, cause = cause.as_str());
    #[cfg(feature = "metrics")]
    count!(metric::LOCKOUTS, "event" => "released");
    let _ = cause;
}

/// A password was checked; `codes` are the broken rules' codes (none: accepted).
/// The iterator runs only when an observer is compiled in.
#[inline]
pub fn password_verdict<'a>(codes: impl Iterator<Item = &'a str> + Clone) {
    #[cfg(feature = "tracing")]
    {
        let joined = codes.clone().collect::<Vec<_>>().join(",");
        if !joined.is_empty() {
            emit!(INFO, event::PASSWORD_REJECTED, codes = joined.as_str());
        }
    }
    #[cfg(feature = "metrics")]
    {
        let mut rejected = false;
        for code in codes.clone() {
            rejected = true;
            count!(metric::PASSWORD_REJECTIONS, "code" => code.to_owned());
        }
        let result = if rejected { "rejected" } else { "accepted" };
        count!(metric::PASSWORD_VERDICTS, "result" => result);
    }
    let _ = codes;
}

/// A request failed the CSRF check with `code` (`csrf_bad_origin`, ...).
#[inline]
pub fn csrf_refused(code: &'static str) {
    #[cfg(feature = "tracing")]
    emit!(WARN, event::CSRF_REFUSED, code);
    #[cfg(feature = "metrics")]
    count!(metric::WEB_REFUSALS, "check" => "csrf", "code" => code);
    let _ = code;
}

/// A cross-origin request was refused with `code` (`cors_origin_not_allowed`, ...).
#[inline]
pub fn cors_refused(code: &'static str) {
    #[cfg(feature = "tracing")]
    emit!(WARN, event::CORS_REFUSED, code);
    #[cfg(feature = "metrics")]
    count!(metric::WEB_REFUSALS, "check" => "cors", "code" => code);
    let _ = code;
}

/// A JWE was refused with `code` (`invalid_token`, `unsupported_algorithm`, ...).
#[inline]
pub fn jwe_refused(code: &'static str) {
    #[cfg(feature = "tracing")]
    emit!(WARN, event::JWE_REFUSED, code);
    #[cfg(feature = "metrics")]
    count!(metric::JOSE_REFUSALS, "check" => "jwe", "code" => code);
    let _ = code;
}

/// A DPoP proof was refused with `code` (`invalid_dpop_proof`, `dpop_replay`, ...).
#[inline]
pub fn dpop_refused(code: &'static str) {
    #[cfg(feature = "tracing")]
    emit!(WARN, event::DPOP_REFUSED, code);
    #[cfg(feature = "metrics")]
    count!(metric::JOSE_REFUSALS, "check" => "dpop", "code" => code);
    let _ = code;
}

/// A DRF `TokenAuthentication` key was generated (never the key itself).
#[inline]
pub fn drf_token_issued() {
    #[cfg(feature = "tracing")]
    emit!(INFO, event::DRF_TOKEN_ISSUED,);
    #[cfg(feature = "metrics")]
    count!(metric::DRF_TOKENS_ISSUED);
}

/// A presented DRF key matched its stored digest and had not expired.
#[inline]
pub fn drf_token_verified() {
    #[cfg(feature = "tracing")]
    emit!(DEBUG, event::DRF_TOKEN_VERIFIED,);
    #[cfg(feature = "metrics")]
    count!(metric::DRF_TOKEN_VERIFICATIONS, "result" => "ok");
}

/// A DRF credential was refused with `code` (`no_credentials`, `malformed`,
/// `invalid_token`, `expired`, ...: a fixed set, never the key).
#[inline]
pub fn drf_token_refused(code: &'static str) {
    #[cfg(feature = "tracing")]
    emit!(WARN, event::DRF_TOKEN_REFUSED, code);
    #[cfg(feature = "metrics")]
    {
        count!(metric::DRF_TOKEN_VERIFICATIONS, "result" => "refused");
        count!(metric::DRF_TOKEN_REFUSALS, "code" => code);
    }
    let _ = code;
}

/// A DRF key was given its replacement API key under `prefix` (a configured,
/// public prefix; an event field only).
#[inline]
pub fn drf_token_migrated(prefix: &str) {
    #[cfg(feature = "tracing")]
    emit!(INFO, event::DRF_TOKEN_MIGRATED, prefix);
    #[cfg(feature = "metrics")]
    count!(metric::DRF_TOKEN_MIGRATIONS);
    let _ = prefix;
}

/// An alert detector fired: `rule` saw more than `threshold` events within
/// `window`, counted under `key` (a client key, refresh family or user id;
/// `None` for a global rule). The key is an event field, never a metric label.
#[inline]
pub fn alert_fired(rule: &'static str, key: Option<&str>, threshold: u32, window: Duration) {
    #[cfg(feature = "tracing")]
    emit!(
        WARN,
        event::ALERT_FIRED,
        rule,
        key,
        threshold,
        window_s = window.as_secs()
    );
    #[cfg(feature = "metrics")]
    count!(metric::ALERTS, "rule" => rule);
    let _ = (rule, key, threshold, window);
}

/// Registers every metric's help text with the installed recorder (call once,
/// after installing it; a Prometheus exporter prints them as `# HELP`).
#[inline]
pub fn describe_metrics() {
    #[cfg(feature = "metrics")]
    for (name, help) in super::metric::ALL {
        if name.ends_with("_seconds") {
            metrics::describe_histogram!(name, metrics::Unit::Seconds, help);
        } else {
            metrics::describe_counter!(name, help);
        }
    }
}

/// The span a host opens around one request so that every event inside carries
/// the client's address (and the user id once known). The address is the
/// client key's text or the peer address the host trusts, never a header copied
/// unparsed.
///
/// ```
/// let span = portcullis::observe::request_span(Some("203.0.113.7"), None);
/// let _entered = span.enter();
/// // ... verify the token, check the rate limit: events carry client.ip
/// ```
#[cfg(feature = "tracing")]
pub fn request_span(client_ip: Option<&str>, user_id: Option<&str>) -> tracing::Span {
    tracing::info_span!(target: TARGET, "portcullis.request", client.ip = client_ip, user.id = user_id)
}
