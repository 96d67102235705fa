//! Web hardening as pure functions any framework can call.
//!
//! Each part mirrors the Django settings people already know, so a service that
//! moves from Django to Rust keeps its security posture:
//!
//! - [`headers`]: the headers of Django's `SecurityMiddleware` (HSTS, nosniff,
//!   Referrer-Policy, Cross-Origin-Opener-Policy), X-Frame-Options, a
//!   Content-Security-Policy builder, Permissions-Policy, and the HTTPS redirect
//!   decision;
//! - [`cors`]: a CORS policy that evaluates preflight and actual requests;
//! - [`csrf`]: Django-compatible CSRF tokens and `CsrfViewMiddleware`'s
//!   Origin/Referer verdicts;
//! - [`cookie`]: a `Set-Cookie` builder that enforces the cookie prefix rules and
//!   a `Cookie` header parser that skips malformed pairs and keeps its caps;
//! - [`origin`]: the Origin and Referer parsers the others share;
//! - [`drf_token`]: DRF's `TokenAuthentication` (`Authorization: Token <key>`),
//!   its 40-hex keys stored as digests, and the move to checksummed API keys.
//!
//! Nothing here touches a request object: callers pass the few header values a
//! decision needs and get back headers to send or a verdict.

pub mod cookie;
pub mod cors;
pub mod csrf;
pub mod drf_token;
pub mod headers;
pub mod origin;

use crate::secret::KeyError;

/// A header to add to a response: a fixed name and a value that is safe to send.
pub type Header = (&'static str, String);

/// A web configuration was refused, or a header from the network could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// A setting has a value outside what it accepts.
    #[error("{setting}: {reason}")]
    InvalidSetting {
        /// The setting's name, as in Django where Django has one.
        setting: &'static str,
        /// What was wrong and what is accepted.
        reason: String,
    },
    /// An `Origin` (or configured origin) is not `scheme://host[:port]`.
    #[error("malformed origin: {reason}")]
    MalformedOrigin {
        /// What was wrong.
        reason: &'static str,
    },
    /// A `Referer` is not an absolute URL with a scheme and a host.
    #[error("malformed referer: {reason}")]
    MalformedReferer {
        /// What was wrong.
        reason: &'static str,
    },
    /// A `Cookie` header does not follow RFC 6265 section 4.2.1.
    #[error("malformed Cookie header at byte {position}: {reason}")]
    MalformedCookieHeader {
        /// Byte offset of the problem (the value itself may be secret, so it is not shown).
        position: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A cookie was refused by the `Set-Cookie` rules (prefixes, SameSite, syntax).
    #[error("cookie {name:?} refused: {reason}")]
    InvalidCookie {
        /// The cookie's name (names are not secret; values are never shown).
        name: String,
        /// The rule it broke.
        reason: &'static str,
    },
    /// A CSRF secret or token has the wrong length or characters.
    #[error("CSRF {what} {reason}")]
    CsrfFormat {
        /// `"secret"` or `"token"`.
        what: &'static str,
        /// Django's wording: `has incorrect length` or `has invalid characters`.
        reason: &'static str,
    },
    /// The system's secure random generator failed (CSRF secrets need it).
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Whether `value` can be sent as a header value without breaking the response:
/// visible ASCII and spaces/tabs only (no CR, LF, NUL or other controls), no
/// leading or trailing whitespace.
pub(crate) fn is_safe_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
        && value.trim_matches([' ', '\t']) == value
}

/// RFC 9110 `token` characters (header names, cookie names, directive names).
pub(crate) fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_with_controls_are_unsafe() {
        assert!(is_safe_header_value("max-age=3600; includeSubDomains"));
        assert!(!is_safe_header_value("a\r\nSet-Cookie: x=1"));
        assert!(!is_safe_header_value("a\0b"));
        assert!(!is_safe_header_value(" padded"));
        assert!(!is_safe_header_value("caf\u{e9}"));
    }

    #[test]
    fn tokens_exclude_separators() {
        assert!(is_token("X-Custom_1"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a;b"));
        assert!(!is_token("a=b"));
    }
}
