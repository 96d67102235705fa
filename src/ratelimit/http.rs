//! Decisions as HTTP: `429`, `Retry-After`, the IETF `RateLimit` fields, legacy
//! `X-RateLimit-*`, and a JSON body in one of two named shapes ([`ErrorBody`]):
//! the services this crate replaces (the default) or DRF's.
//!
//! The header names and values are plain strings, so any HTTP library can use
//! them. `RateLimit` and `RateLimit-Policy` follow
//! draft-ietf-httpapi-ratelimit-headers (structured-field lists, as of the -10
//! text): `RateLimit-Policy: "default";q=100;w=3600` and
//! `RateLimit: "default";r=42;t=17`.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::http::{ErrorBody, HeaderOptions, RateLimitResponse};
//! use portcullis::ratelimit::{Algorithm, Gcra, Rate};
//!
//! let rate: Rate = "1/m".parse()?;
//! let now = UnixTime::from_secs(1_700_000_000).unwrap();
//! let (_, state) = Gcra::decide(&rate, None, now, 1)?;
//! let (refused, _) = Gcra::decide(&rate, Some(&state), now, 1)?;
//! let options = HeaderOptions::new("login")?;
//! let response = RateLimitResponse::new(&refused, &rate, &options, now);
//! assert_eq!(response.status, 429);
//! assert!(response.headers.contains(&("Retry-After", "60".to_owned())));
//! assert!(response.headers.contains(&("RateLimit-Policy", "\"login\";q=1;w=60".to_owned())));
//! assert!(response.headers.contains(&("RateLimit", "\"login\";r=0;t=60".to_owned())));
//! assert_eq!(
//!     response.body.as_deref(),
//!     Some(r#"{"error":"rate_limit_exceeded","message":"Too many requests. Please try again later.","retry_after":60}"#)
//! );
//! let drf = options.with_body(ErrorBody::drf());
//! let response = RateLimitResponse::new(&refused, &rate, &drf, now);
//! assert_eq!(
//!     response.body.as_deref(),
//!     Some(r#"{"detail":"Request was throttled. Expected available in 60 seconds."}"#)
//! );
//! # Ok::<(), portcullis::ratelimit::RateLimitError>(())
//! ```

use std::time::Duration;

use super::{Decision, Rate, RateLimitError};
use crate::clock::UnixTime;

/// `Retry-After` delay-seconds: whole seconds, rounded up so a client that obeys
/// it is never early (DRF's `Throttled` rounds up the same way).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The layout of a 429's JSON body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyShape {
    /// The body the services this crate replaces send:
    /// `{"error":"rate_limit_exceeded","message":"Too many requests. Please try again later.","retry_after":N}`,
    /// `retry_after` in whole seconds, rounded up.
    RateLimitExceeded,
    /// DRF's body for `Throttled`:
    /// `{"detail":"Request was throttled. Expected available in N seconds."}`
    /// ("1 second" in the singular), byte for byte as DRF's exception handler
    /// renders it (tested against DRF's own output).
    Drf,
}

/// The JSON body of a 429: a [`BodyShape`] and, optionally, a custom message.
///
/// A custom message replaces the `message` of
/// [`BodyShape::RateLimitExceeded`] or the `detail` of [`BodyShape::Drf`]; the
/// rest of the shape (the code, `retry_after`) stays, so clients that parse it
/// keep working.
///
/// ```
/// use portcullis::ratelimit::http::ErrorBody;
///
/// assert_eq!(
///     ErrorBody::rate_limit_exceeded().with_message("Slow down.").render(3),
///     r#"{"error":"rate_limit_exceeded","message":"Slow down.","retry_after":3}"#
/// );
/// assert_eq!(
///     ErrorBody::drf().render(1),
///     r#"{"detail":"Request was throttled. Expected available in 1 second."}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorBody {
    shape: BodyShape,
    message: Option<String>,
}

impl ErrorBody {
    /// The replaced services' body, with their message.
    pub const fn rate_limit_exceeded() -> Self {
        Self {
            shape: BodyShape::RateLimitExceeded,
            message: None,
        }
    }

    /// DRF's body, with DRF's message.
    pub const fn drf() -> Self {
        Self {
            shape: BodyShape::Drf,
            message: None,
        }
    }

    /// The same shape with `message` in place of the default text.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The shape.
    pub const fn shape(&self) -> BodyShape {
        self.shape
    }

    /// The body for a wait of `retry_after_secs` (see [`retry_after_secs`]).
    pub fn render(&self, retry_after_secs: u64) -> String {
        match self.shape {
            BodyShape::RateLimitExceeded => json_body(
                self.message.as_deref().unwrap_or(SERVICE_MESSAGE),
                retry_after_secs,
            ),
            BodyShape::Drf => {
                let detail = self
                    .message
                    .clone()
                    .unwrap_or_else(|| default_message(retry_after_secs));
                serde_json::json!({ "detail": detail }).to_string()
            }
        }
    }
}

impl Default for ErrorBody {
    /// [`ErrorBody::rate_limit_exceeded`].
    fn default() -> Self {
        Self::rate_limit_exceeded()
    }
}

/// The replaced services' message for a refused request.
const SERVICE_MESSAGE: &str = "Too many requests. Please try again later.";

/// Which headers to send, under which policy name, and the 429 body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderOptions {
    /// The policy name in `RateLimit`/`RateLimit-Policy`, already serialized as a
    /// structured-field String (quoted and escaped).
    policy: String,
    ietf: bool,
    legacy: bool,
    body: ErrorBody,
}

impl HeaderOptions {
    /// The IETF fields under `policy_name`; no legacy fields.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when the name is empty, longer than 64
    /// bytes, or holds a character outside printable ASCII.
    pub fn new(policy_name: &str) -> Result<Self, RateLimitError> {
        let printable = policy_name.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if policy_name.is_empty() || policy_name.len() > 64 || !printable {
            return Err(RateLimitError::InvalidConfig {
                setting: "policy_name",
                expected: "1 to 64 printable ASCII characters",
            });
        }
        let mut policy = String::with_capacity(policy_name.len() + 2);
        policy.push('"');
        for c in policy_name.chars() {
            if c == '"' || c == '\\' {
                policy.push('\\');
            }
            policy.push(c);
        }
        policy.push('"');
        Ok(Self {
            policy,
            ietf: true,
            legacy: false,
            body: ErrorBody::default(),
        })
    }

    /// Also send `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
    /// `X-RateLimit-Reset` (Unix seconds when the quota is full again, GitHub's
    /// convention), for clients that predate the IETF fields.
    #[must_use]
    pub fn with_legacy(mut self, legacy: bool) -> Self {
        self.legacy = legacy;
        self
    }

    /// The body of a 429 (default [`ErrorBody::rate_limit_exceeded`]).
    #[must_use]
    pub fn with_body(mut self, body: ErrorBody) -> Self {
        self.body = body;
        self
    }

    /// Send (the default) or leave out the IETF `RateLimit` fields.
    #[must_use]
    pub fn with_ietf(mut self, ietf: bool) -> Self {
        self.ietf = ietf;
        self
    }
}

impl Default for HeaderOptions {
    fn default() -> Self {
        Self {
            policy: "\"default\"".to_owned(),
            ietf: true,
            legacy: false,
            body: ErrorBody::default(),
        }
    }
}

/// The headers for `decision` under `rate`: on every response, not only on 429.
///
/// `Retry-After` is added when the request was refused. `t` in `RateLimit` is the
/// wait when refused (equal to `Retry-After`, as the draft asks) and otherwise
/// the seconds until the quota is full again.
pub fn headers(
    decision: &Decision,
    rate: &Rate,
    options: &HeaderOptions,
    now: UnixTime,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(6);
    let retry = retry_after_secs(decision.retry_after);
    let reset = retry_after_secs(decision.reset_after);
    if options.ietf {
        out.push((
            "RateLimit-Policy",
            format!(
                "{};q={};w={}",
                options.policy,
                rate.limit(),
                rate.period_secs()
            ),
        ));
        let t = if decision.allowed { reset } else { retry };
        out.push((
            "RateLimit",
            format!("{};r={};t={t}", options.policy, decision.remaining),
        ));
    }
    if options.legacy {
        out.push(("X-RateLimit-Limit", rate.limit().to_string()));
        out.push(("X-RateLimit-Remaining", decision.remaining.to_string()));
        out.push((
            "X-RateLimit-Reset",
            now.as_secs().saturating_add(reset).to_string(),
        ));
    }
    if !decision.allowed {
        out.push(("Retry-After", retry.to_string()));
    }
    out
}

/// The [`BodyShape::RateLimitExceeded`] body with `message`:
/// `{"error":"rate_limit_exceeded","message":...,"retry_after":N}`.
pub fn json_body(message: &str, retry_after_secs: u64) -> String {
    serde_json::json!({
        "error": "rate_limit_exceeded",
        "message": message,
        "retry_after": retry_after_secs,
    })
    .to_string()
}

/// DRF's wording for a throttled request (its `Throttled` detail).
pub fn default_message(retry_after_secs: u64) -> String {
    let unit = if retry_after_secs == 1 {
        "second"
    } else {
        "seconds"
    };
    format!("Request was throttled. Expected available in {retry_after_secs} {unit}.")
}

/// What to send for a decision: the status, the headers and (for 429) the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitResponse {
    /// 429 when refused; 200 when allowed (the host's own status applies then).
    pub status: u16,
    /// The headers to add.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body when refused.
    pub body: Option<String>,
}

impl RateLimitResponse {
    /// The response parts for `decision`, with `options`' body on a 429.
    pub fn new(decision: &Decision, rate: &Rate, options: &HeaderOptions, now: UnixTime) -> Self {
        let headers = headers(decision, rate, options, now);
        if decision.allowed {
            return Self {
                status: 200,
                headers,
                body: None,
            };
        }
        let retry = retry_after_secs(decision.retry_after);
        Self {
            status: 429,
            headers,
            body: Some(options.body.render(retry)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 0);
        assert_eq!(retry_after_secs(Duration::from_nanos(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn policy_names_are_escaped_or_refused() {
        let options = HeaderOptions::new(r#"a"b\c"#).unwrap();
        assert_eq!(options.policy, r#""a\"b\\c""#);
        assert!(HeaderOptions::new("").is_err());
        assert!(HeaderOptions::new("tab\there").is_err());
        assert!(HeaderOptions::new("é").is_err());
        assert!(HeaderOptions::new(&"x".repeat(65)).is_err());
    }

    #[test]
    fn allowed_decisions_get_headers_and_no_body() {
        let rate = Rate::per_hour(nz(100));
        let decision = Decision {
            allowed: true,
            limit: 100,
            remaining: 99,
            retry_after: Duration::ZERO,
            reset_after: Duration::from_millis(35_500),
        };
        let options = HeaderOptions::default().with_legacy(true);
        let now = UnixTime::from_secs(1_000).unwrap();
        let response = RateLimitResponse::new(&decision, &rate, &options, now);
        assert_eq!(response.status, 200);
        assert_eq!(response.body, None);
        assert_eq!(
            response.headers,
            vec![
                ("RateLimit-Policy", "\"default\";q=100;w=3600".to_owned()),
                ("RateLimit", "\"default\";r=99;t=36".to_owned()),
                ("X-RateLimit-Limit", "100".to_owned()),
                ("X-RateLimit-Remaining", "99".to_owned()),
                ("X-RateLimit-Reset", "1036".to_owned()),
            ]
        );
        let bare = HeaderOptions::default().with_ietf(false);
        assert!(headers(&decision, &rate, &bare, now).is_empty());
    }

    #[test]
    fn singular_second_in_message() {
        assert_eq!(
            default_message(1),
            "Request was throttled. Expected available in 1 second."
        );
    }

    #[test]
    fn service_body_is_the_replaced_services_shape() {
        assert_eq!(
            ErrorBody::rate_limit_exceeded().render(60),
            r#"{"error":"rate_limit_exceeded","message":"Too many requests. Please try again later.","retry_after":60}"#
        );
        assert_eq!(ErrorBody::default(), ErrorBody::rate_limit_exceeded());
        let custom = ErrorBody::rate_limit_exceeded().with_message("Slow down \"now\"");
        assert_eq!(
            custom.render(2),
            r#"{"error":"rate_limit_exceeded","message":"Slow down \"now\"","retry_after":2}"#
        );
        let drf = ErrorBody::drf().with_message("Calm down.");
        assert_eq!(drf.render(9), r#"{"detail":"Calm down."}"#);
    }

    #[test]
    fn the_response_carries_the_chosen_body_rounded_up() {
        let rate = Rate::per_minute(nz(1));
        let refused = Decision {
            allowed: false,
            limit: 1,
            remaining: 0,
            retry_after: Duration::from_millis(59_001),
            reset_after: Duration::from_millis(59_001),
        };
        let now = UnixTime::from_secs(1_000).unwrap();
        let default = RateLimitResponse::new(&refused, &rate, &HeaderOptions::default(), now);
        assert_eq!(
            default.body.as_deref(),
            Some(
                r#"{"error":"rate_limit_exceeded","message":"Too many requests. Please try again later.","retry_after":60}"#
            )
        );
        let options = HeaderOptions::default().with_body(ErrorBody::drf());
        let drf = RateLimitResponse::new(&refused, &rate, &options, now);
        assert_eq!(
            drf.body.as_deref(),
            Some(r#"{"detail":"Request was throttled. Expected available in 60 seconds."}"#)
        );
    }
}
