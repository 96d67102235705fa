//! Decisions as HTTP: `429`, `Retry-After`, the IETF `RateLimit` fields, legacy
//! `X-RateLimit-*`, and the JSON body services already return.
//!
//! The header names and values are plain strings, so any HTTP library can use
//! them. `RateLimit` and `RateLimit-Policy` follow
//! draft-ietf-httpapi-ratelimit-headers (structured-field lists, as of the -10
//! text): `RateLimit-Policy: "default";q=100;w=3600` and
//! `RateLimit: "default";r=42;t=17`.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::ratelimit::http::{HeaderOptions, RateLimitResponse};
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
//!     Some(r#"{"error":"rate_limit_exceeded","message":"Request was throttled. Expected available in 60 seconds.","retry_after":60}"#)
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

/// Which headers to send, under which policy name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderOptions {
    /// The policy name in `RateLimit`/`RateLimit-Policy`, already serialized as a
    /// structured-field String (quoted and escaped).
    policy: String,
    ietf: bool,
    legacy: bool,
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

/// The JSON body of a 429:
/// `{"error":"rate_limit_exceeded","message":...,"retry_after":N}`.
pub fn json_body(message: &str, retry_after_secs: u64) -> String {
    serde_json::json!({
        "error": "rate_limit_exceeded",
        "message": message,
        "retry_after": retry_after_secs,
    })
    .to_string()
}

/// DRF's wording for a throttled request.
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
    /// The response parts for `decision`, with DRF's message on a 429.
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
            body: Some(json_body(&default_message(retry), retry)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let rate = Rate::per_hour(100).unwrap();
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
}
