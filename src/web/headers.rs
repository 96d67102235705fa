//! Security headers and the HTTPS redirect, configured as Django configures them.
//!
//! [`SecurityConfig`]'s fields mirror Django's settings and its `Default` is
//! Django's defaults (nosniff on, `Referrer-Policy: same-origin`,
//! `Cross-Origin-Opener-Policy: same-origin`, `X-Frame-Options: DENY`, no HSTS,
//! no redirect). [`SecurityConfig::build`] checks it once; the resulting
//! [`SecurityHeaders`] then answers, per response, which headers to add without
//! overwriting any the handler set, and whether a plain-HTTP request should be
//! redirected.
//!
//! ```
//! use portcullis::web::headers::{ContentSecurityPolicy, SecurityConfig};
//!
//! // Django's defaults, then the settings that differ (the struct is
//! // `#[non_exhaustive]`: new settings can come without breaking callers).
//! let mut config = SecurityConfig::default();
//! config.hsts_seconds = 31_536_000;
//! config.hsts_include_subdomains = true;
//! config.hsts_preload = true;
//! config.content_security_policy = Some(ContentSecurityPolicy::strict_default());
//! config.ssl_redirect = true;
//! config.redirect_exempt = vec!["healthz".into()];
//! let headers = config.build()?;
//!
//! let add = headers.headers_for(true, &["x-frame-options"]);
//! assert!(add.contains(&("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload".into())));
//! assert!(!add.iter().any(|(name, _)| *name == "X-Frame-Options")); // the handler set it
//!
//! assert_eq!(headers.redirect(false, "example.com", "/a?b=1")?, Some("https://example.com/a?b=1".into()));
//! assert_eq!(headers.redirect(false, "example.com", "/healthz")?, None);
//! # Ok::<(), portcullis::web::WebError>(())
//! ```

use std::fmt;

use super::origin::{Origin, split_host_port};
use super::{Header, WebError, is_safe_header_value};

/// One year in seconds: the least `max-age` the HSTS preload list accepts.
pub const HSTS_PRELOAD_MIN_SECONDS: u64 = 31_536_000;

/// `X-Frame-Options` (Django's `X_FRAME_OPTIONS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameOptions {
    /// No framing at all (Django's default).
    Deny,
    /// Framing by same-origin pages only.
    SameOrigin,
}

/// A `Referrer-Policy` token (Django's `SECURE_REFERRER_POLICY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferrerPolicy {
    /// `no-referrer`
    NoReferrer,
    /// `no-referrer-when-downgrade`
    NoReferrerWhenDowngrade,
    /// `origin`
    Origin,
    /// `origin-when-cross-origin`
    OriginWhenCrossOrigin,
    /// `same-origin`
    SameOrigin,
    /// `strict-origin`
    StrictOrigin,
    /// `strict-origin-when-cross-origin`
    StrictOriginWhenCrossOrigin,
    /// `unsafe-url`
    UnsafeUrl,
}

impl fmt::Display for ReferrerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoReferrer => "no-referrer",
            Self::NoReferrerWhenDowngrade => "no-referrer-when-downgrade",
            Self::Origin => "origin",
            Self::OriginWhenCrossOrigin => "origin-when-cross-origin",
            Self::SameOrigin => "same-origin",
            Self::StrictOrigin => "strict-origin",
            Self::StrictOriginWhenCrossOrigin => "strict-origin-when-cross-origin",
            Self::UnsafeUrl => "unsafe-url",
        })
    }
}

/// `Cross-Origin-Opener-Policy` (Django's `SECURE_CROSS_ORIGIN_OPENER_POLICY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossOriginOpenerPolicy {
    /// `same-origin`
    SameOrigin,
    /// `same-origin-allow-popups`
    SameOriginAllowPopups,
    /// `noopener-allow-popups`
    NoopenerAllowPopups,
    /// `unsafe-none`
    UnsafeNone,
}

impl fmt::Display for CrossOriginOpenerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SameOrigin => "same-origin",
            Self::SameOriginAllowPopups => "same-origin-allow-popups",
            Self::NoopenerAllowPopups => "noopener-allow-popups",
            Self::UnsafeNone => "unsafe-none",
        })
    }
}

/// A Content-Security-Policy, built directive by directive and checked when rendered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentSecurityPolicy {
    directives: Vec<(String, Vec<String>)>,
}

const QUOTED_KEYWORDS: &[&str] = &[
    "self",
    "none",
    "unsafe-inline",
    "unsafe-eval",
    "strict-dynamic",
    "unsafe-hashes",
    "report-sample",
    "wasm-unsafe-eval",
];

impl ContentSecurityPolicy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// A strict starting point: `default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`.
    pub fn strict_default() -> Self {
        Self::new()
            .directive("default-src", &["'self'"])
            .directive("object-src", &["'none'"])
            .directive("base-uri", &["'none'"])
            .directive("frame-ancestors", &["'none'"])
    }

    /// Sets a directive (replacing an earlier one of the same name). Keywords
    /// must be quoted as in the header: `'self'`, `'none'`.
    #[must_use]
    pub fn directive(mut self, name: &str, sources: &[&str]) -> Self {
        let sources = sources.iter().map(|s| (*s).to_owned()).collect();
        replace_or_append(&mut self.directives, name, sources);
        self
    }

    /// The header value.
    ///
    /// # Errors
    /// [`WebError::InvalidSetting`] naming `Content-Security-Policy` for an empty
    /// policy, a directive name outside `[a-z-]`, a source with whitespace, `;`,
    /// `,` or controls, or a keyword written without its quotes.
    pub fn render(&self) -> Result<String, WebError> {
        let refuse = |reason: String| WebError::InvalidSetting {
            setting: "Content-Security-Policy",
            reason,
        };
        if self.directives.is_empty() {
            return Err(refuse("the policy has no directives".into()));
        }
        let mut parts = Vec::with_capacity(self.directives.len());
        for (name, sources) in &self.directives {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(refuse(format!(
                    "directive name {name:?} must be lowercase letters and -"
                )));
            }
            let mut part = name.clone();
            for source in sources {
                if source.is_empty()
                    || !source
                        .bytes()
                        .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b',')
                {
                    return Err(refuse(format!(
                        "source {source:?} in {name} must be visible ASCII without ; or ,"
                    )));
                }
                if QUOTED_KEYWORDS.contains(&source.as_str()) {
                    return Err(refuse(format!(
                        "keyword {source} in {name} must be quoted: '{source}'"
                    )));
                }
                part.push(' ');
                part.push_str(source);
            }
            parts.push(part);
        }
        Ok(parts.join("; "))
    }
}

/// Who may use a feature under a [`PermissionsPolicy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowlist {
    /// Nobody: `feature=()`.
    Nobody,
    /// This origin only: `feature=(self)`.
    SelfOnly,
    /// Every origin: `feature=*`.
    Everyone,
    /// Optionally this origin, plus the listed ones: `feature=(self "https://a.example")`.
    Origins {
        /// Whether `self` is included.
        include_self: bool,
        /// The other origins.
        origins: Vec<Origin>,
    },
}

/// A Permissions-Policy header (structured-field dictionary of allowlists).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionsPolicy {
    features: Vec<(String, Allowlist)>,
}

impl PermissionsPolicy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a feature's allowlist (replacing an earlier one).
    #[must_use]
    pub fn feature(mut self, name: &str, allowlist: Allowlist) -> Self {
        replace_or_append(&mut self.features, name, allowlist);
        self
    }

    /// The header value.
    ///
    /// # Errors
    /// [`WebError::InvalidSetting`] naming `Permissions-Policy` for an empty
    /// policy or a feature name outside `[a-z0-9-]` starting with a letter.
    pub fn render(&self) -> Result<String, WebError> {
        let refuse = |reason: String| WebError::InvalidSetting {
            setting: "Permissions-Policy",
            reason,
        };
        if self.features.is_empty() {
            return Err(refuse("the policy has no features".into()));
        }
        let mut parts = Vec::with_capacity(self.features.len());
        for (name, allow) in &self.features {
            if !name.starts_with(|c: char| c.is_ascii_lowercase())
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(refuse(format!(
                    "feature name {name:?} must be lowercase letters, digits and -"
                )));
            }
            let list = match allow {
                Allowlist::Nobody => "()".to_owned(),
                Allowlist::SelfOnly => "(self)".to_owned(),
                Allowlist::Everyone => "*".to_owned(),
                Allowlist::Origins {
                    include_self,
                    origins,
                } => {
                    let mut items: Vec<String> = Vec::new();
                    if *include_self {
                        items.push("self".into());
                    }
                    items.extend(origins.iter().map(|o| format!("\"{o}\"")));
                    format!("({})", items.join(" "))
                }
            };
            parts.push(format!("{name}={list}"));
        }
        Ok(parts.join(", "))
    }
}

/// Django's security settings, plus CSP and Permissions-Policy.
/// `Default` gives Django's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityConfig {
    /// `SECURE_HSTS_SECONDS`: HSTS `max-age`; 0 (the default) sends no HSTS.
    pub hsts_seconds: u64,
    /// `SECURE_HSTS_INCLUDE_SUBDOMAINS`.
    pub hsts_include_subdomains: bool,
    /// `SECURE_HSTS_PRELOAD`: needs include-subdomains and at least a year.
    pub hsts_preload: bool,
    /// `SECURE_CONTENT_TYPE_NOSNIFF` (default true).
    pub content_type_nosniff: bool,
    /// `X_FRAME_OPTIONS` (default DENY); `None` sends none.
    pub x_frame_options: Option<FrameOptions>,
    /// `SECURE_REFERRER_POLICY` (default same-origin); several are comma-joined
    /// (browsers use the last they know); empty sends none.
    pub referrer_policy: Vec<ReferrerPolicy>,
    /// `SECURE_CROSS_ORIGIN_OPENER_POLICY` (default same-origin).
    pub cross_origin_opener_policy: Option<CrossOriginOpenerPolicy>,
    /// `Content-Security-Policy`, if any.
    pub content_security_policy: Option<ContentSecurityPolicy>,
    /// `Content-Security-Policy-Report-Only`, if any.
    pub content_security_policy_report_only: Option<ContentSecurityPolicy>,
    /// `Permissions-Policy`, if any.
    pub permissions_policy: Option<PermissionsPolicy>,
    /// `SECURE_SSL_REDIRECT`: redirect plain HTTP to HTTPS (301).
    pub ssl_redirect: bool,
    /// `SECURE_SSL_HOST`: the host (and port) to redirect to; `None` keeps the request's.
    pub ssl_host: Option<String>,
    /// `SECURE_REDIRECT_EXEMPT`, as path **prefixes** (not regular expressions),
    /// matched against the path without its leading `/`, as Django matches.
    pub redirect_exempt: Vec<String>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            hsts_seconds: 0,
            hsts_include_subdomains: false,
            hsts_preload: false,
            content_type_nosniff: true,
            x_frame_options: Some(FrameOptions::Deny),
            referrer_policy: vec![ReferrerPolicy::SameOrigin],
            cross_origin_opener_policy: Some(CrossOriginOpenerPolicy::SameOrigin),
            content_security_policy: None,
            content_security_policy_report_only: None,
            permissions_policy: None,
            ssl_redirect: false,
            ssl_host: None,
            redirect_exempt: Vec::new(),
        }
    }
}

/// A checked configuration with its header values rendered once.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// Sent over HTTPS only.
    hsts: Option<String>,
    /// Sent on every response.
    always: Vec<Header>,
    ssl_redirect: bool,
    ssl_host: Option<String>,
    redirect_exempt: Vec<String>,
}

impl SecurityConfig {
    /// Checks the configuration and renders the header values.
    ///
    /// # Errors
    /// [`WebError::InvalidSetting`] naming the setting: preload without
    /// include-subdomains or with `max-age` under a year, an invalid
    /// `SECURE_SSL_HOST` or exempt path, a CSP or Permissions-Policy that
    /// would not render to a safe header value.
    pub fn build(self) -> Result<SecurityHeaders, WebError> {
        let refuse = |setting, reason: &str| WebError::InvalidSetting {
            setting,
            reason: reason.to_owned(),
        };
        if self.hsts_preload && !self.hsts_include_subdomains {
            return Err(refuse(
                "SECURE_HSTS_PRELOAD",
                "preload requires SECURE_HSTS_INCLUDE_SUBDOMAINS = true (the preload list refuses sites without it)",
            ));
        }
        if self.hsts_preload && self.hsts_seconds < HSTS_PRELOAD_MIN_SECONDS {
            return Err(refuse(
                "SECURE_HSTS_SECONDS",
                "with SECURE_HSTS_PRELOAD it must be at least 31536000 (one year)",
            ));
        }
        if self.hsts_seconds == 0 && (self.hsts_preload || self.hsts_include_subdomains) {
            return Err(refuse(
                "SECURE_HSTS_SECONDS",
                "is 0, so HSTS is off and SECURE_HSTS_INCLUDE_SUBDOMAINS/PRELOAD would do nothing",
            ));
        }
        if let Some(host) = &self.ssl_host
            && (!is_safe_header_value(host) || split_host_port(host).is_none())
        {
            return Err(refuse(
                "SECURE_SSL_HOST",
                "must be a host name or address with an optional :port",
            ));
        }
        if let Some(bad) = self
            .redirect_exempt
            .iter()
            .find(|p| !is_safe_header_value(p))
        {
            return Err(WebError::InvalidSetting {
                setting: "SECURE_REDIRECT_EXEMPT",
                reason: format!("{bad:?} contains whitespace or control characters"),
            });
        }

        let hsts = (self.hsts_seconds > 0).then(|| {
            let mut value = format!("max-age={}", self.hsts_seconds);
            if self.hsts_include_subdomains {
                value.push_str("; includeSubDomains");
            }
            if self.hsts_preload {
                value.push_str("; preload");
            }
            value
        });
        let mut always: Vec<Header> = Vec::new();
        if self.content_type_nosniff {
            always.push(("X-Content-Type-Options", "nosniff".into()));
        }
        if let Some(frame) = self.x_frame_options {
            let value = match frame {
                FrameOptions::Deny => "DENY",
                FrameOptions::SameOrigin => "SAMEORIGIN",
            };
            always.push(("X-Frame-Options", value.into()));
        }
        if !self.referrer_policy.is_empty() {
            let list: Vec<String> = self
                .referrer_policy
                .iter()
                .map(ToString::to_string)
                .collect();
            always.push(("Referrer-Policy", list.join(",")));
        }
        if let Some(coop) = self.cross_origin_opener_policy {
            always.push(("Cross-Origin-Opener-Policy", coop.to_string()));
        }
        if let Some(csp) = &self.content_security_policy {
            always.push(("Content-Security-Policy", csp.render()?));
        }
        if let Some(csp) = &self.content_security_policy_report_only {
            always.push(("Content-Security-Policy-Report-Only", csp.render()?));
        }
        if let Some(pp) = &self.permissions_policy {
            always.push(("Permissions-Policy", pp.render()?));
        }
        if let Some((name, _)) = always.iter().find(|(_, v)| !is_safe_header_value(v)) {
            return Err(WebError::InvalidSetting {
                setting: name,
                reason: "the value would break the response (controls or non-ASCII)".into(),
            });
        }
        Ok(SecurityHeaders {
            hsts,
            always,
            ssl_redirect: self.ssl_redirect,
            ssl_host: self.ssl_host,
            redirect_exempt: self.redirect_exempt,
        })
    }
}

impl SecurityHeaders {
    /// The headers to add to a response. `secure` says whether the request came
    /// over HTTPS (HSTS is sent only then); `already_set` lists the header names
    /// the handler set (any case), which are never overwritten.
    pub fn headers_for(&self, secure: bool, already_set: &[&str]) -> Vec<Header> {
        let present = |name: &str| already_set.iter().any(|n| n.eq_ignore_ascii_case(name));
        let mut out = Vec::with_capacity(self.always.len() + 1);
        if let (true, Some(hsts)) = (secure, &self.hsts)
            && !present("Strict-Transport-Security")
        {
            out.push(("Strict-Transport-Security", hsts.clone()));
        }
        out.extend(self.always.iter().filter(|(n, _)| !present(n)).cloned());
        out
    }

    /// The `Location` for a 301 to HTTPS, or `None` when no redirect is due
    /// (redirect off, request already secure, or path exempt). `host` is the
    /// request's validated Host (with port); `full_path` the path and query.
    ///
    /// # Errors
    /// [`WebError::InvalidSetting`] naming `Host` when `host` or `full_path`
    /// would make an unsafe `Location` (only reached when the redirect is due).
    pub fn redirect(
        &self,
        secure: bool,
        host: &str,
        full_path: &str,
    ) -> Result<Option<String>, WebError> {
        if !self.ssl_redirect || secure {
            return Ok(None);
        }
        let relative = full_path.trim_start_matches('/');
        if self
            .redirect_exempt
            .iter()
            .any(|p| relative.starts_with(p.as_str()))
        {
            return Ok(None);
        }
        let target = match &self.ssl_host {
            Some(h) => h.as_str(),
            None => {
                if split_host_port(host).is_none() {
                    return Err(WebError::InvalidSetting {
                        setting: "Host",
                        reason: "the request's Host is not a host name or address with an optional :port".into(),
                    });
                }
                host
            }
        };
        if !full_path.starts_with('/') || !full_path.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(WebError::InvalidSetting {
                setting: "Host",
                reason: "the request path must start with / and be visible ASCII".into(),
            });
        }
        Ok(Some(format!("https://{target}{full_path}")))
    }
}

/// Sets `name` to `value` in an ordered list, keeping its place if it is already there
/// (header members render in the order they were first set).
fn replace_or_append<T>(entries: &mut Vec<(String, T)>, name: &str, value: T) {
    match entries.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = value,
        None => entries.push((name.to_owned(), value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(headers: &[Header]) -> Vec<&str> {
        headers.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn django_defaults() {
        let h = SecurityConfig::default().build().unwrap();
        assert_eq!(
            h.headers_for(true, &[]),
            vec![
                ("X-Content-Type-Options", "nosniff".to_owned()),
                ("X-Frame-Options", "DENY".to_owned()),
                ("Referrer-Policy", "same-origin".to_owned()),
                ("Cross-Origin-Opener-Policy", "same-origin".to_owned()),
            ]
        );
        assert_eq!(h.redirect(false, "example.com", "/").unwrap(), None);
    }

    #[test]
    fn hsts_only_over_https_and_never_overwrites() {
        let h = SecurityConfig {
            hsts_seconds: 3600,
            referrer_policy: vec![
                ReferrerPolicy::NoReferrer,
                ReferrerPolicy::StrictOriginWhenCrossOrigin,
            ],
            ..SecurityConfig::default()
        }
        .build()
        .unwrap();
        let secure = h.headers_for(true, &["referrer-policy"]);
        assert_eq!(
            secure[0],
            ("Strict-Transport-Security", "max-age=3600".to_owned())
        );
        assert!(!names(&secure).contains(&"Referrer-Policy"));
        let plain = h.headers_for(false, &[]);
        assert!(!names(&plain).contains(&"Strict-Transport-Security"));
        assert!(plain.contains(&(
            "Referrer-Policy",
            "no-referrer,strict-origin-when-cross-origin".into()
        )));
        assert!(
            !names(&h.headers_for(true, &["STRICT-TRANSPORT-SECURITY"]))
                .contains(&"Strict-Transport-Security")
        );
    }

    #[test]
    fn preload_rules() {
        let err = SecurityConfig {
            hsts_seconds: HSTS_PRELOAD_MIN_SECONDS,
            hsts_preload: true,
            ..Default::default()
        }
        .build()
        .unwrap_err();
        assert!(matches!(
            err,
            WebError::InvalidSetting {
                setting: "SECURE_HSTS_PRELOAD",
                ..
            }
        ));
        let err = SecurityConfig {
            hsts_seconds: HSTS_PRELOAD_MIN_SECONDS - 1,
            hsts_include_subdomains: true,
            hsts_preload: true,
            ..Default::default()
        }
        .build()
        .unwrap_err();
        assert!(matches!(
            err,
            WebError::InvalidSetting {
                setting: "SECURE_HSTS_SECONDS",
                ..
            }
        ));
        let err = SecurityConfig {
            hsts_include_subdomains: true,
            ..Default::default()
        }
        .build()
        .unwrap_err();
        assert!(matches!(
            err,
            WebError::InvalidSetting {
                setting: "SECURE_HSTS_SECONDS",
                ..
            }
        ));
    }

    #[test]
    fn csp_and_permissions_policy_render_and_validate() {
        let csp = ContentSecurityPolicy::strict_default()
            .directive("script-src", &["'self'", "https://cdn.example"])
            .directive("default-src", &["'none'"])
            .directive("upgrade-insecure-requests", &[]);
        assert_eq!(
            csp.render().unwrap(),
            "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
             script-src 'self' https://cdn.example; upgrade-insecure-requests"
        );
        for bad in [
            ContentSecurityPolicy::new(),
            ContentSecurityPolicy::new().directive("script-src", &["self"]),
            ContentSecurityPolicy::new().directive("script-src", &["a; b"]),
            ContentSecurityPolicy::new().directive("script-src", &["a\r\nX: y"]),
            ContentSecurityPolicy::new().directive("Script_Src", &["'self'"]),
        ] {
            assert!(bad.render().is_err(), "{bad:?}");
        }
        let pp = PermissionsPolicy::new()
            .feature("geolocation", Allowlist::Nobody)
            .feature("camera", Allowlist::SelfOnly)
            .feature("fullscreen", Allowlist::Everyone)
            .feature(
                "payment",
                Allowlist::Origins {
                    include_self: true,
                    origins: vec![Origin::parse("https://Pay.example").unwrap()],
                },
            );
        assert_eq!(
            pp.render().unwrap(),
            "geolocation=(), camera=(self), fullscreen=*, payment=(self \"https://pay.example\")"
        );
        assert!(PermissionsPolicy::new().render().is_err());
        assert!(
            PermissionsPolicy::new()
                .feature("Bad Name", Allowlist::Nobody)
                .render()
                .is_err()
        );
        let err = SecurityConfig {
            content_security_policy: Some(ContentSecurityPolicy::new()),
            ..Default::default()
        }
        .build()
        .unwrap_err();
        assert!(matches!(
            err,
            WebError::InvalidSetting {
                setting: "Content-Security-Policy",
                ..
            }
        ));
    }

    #[test]
    fn https_redirect_decision() {
        let h = SecurityConfig {
            ssl_redirect: true,
            ssl_host: Some("secure.example.com:8443".into()),
            redirect_exempt: vec!["healthz".into(), "api/ping".into()],
            ..Default::default()
        }
        .build()
        .unwrap();
        assert_eq!(h.redirect(true, "a.example", "/x").unwrap(), None);
        assert_eq!(
            h.redirect(false, "a.example", "/healthz/live").unwrap(),
            None
        );
        assert_eq!(h.redirect(false, "a.example", "/api/ping").unwrap(), None);
        assert_eq!(
            h.redirect(false, "a.example", "/x?y=1").unwrap(),
            Some("https://secure.example.com:8443/x?y=1".into())
        );
        let own = SecurityConfig {
            ssl_redirect: true,
            ..Default::default()
        }
        .build()
        .unwrap();
        assert_eq!(
            own.redirect(false, "a.example:8080", "/").unwrap(),
            Some("https://a.example:8080/".into())
        );
        assert!(own.redirect(false, "evil.com/x", "/").is_err());
        assert!(own.redirect(false, "a.example", "/\r\nX: y").is_err());
        assert!(
            SecurityConfig {
                ssl_host: Some("bad host".into()),
                ..Default::default()
            }
            .build()
            .is_err()
        );
    }
}
