//! Cross-Origin Resource Sharing: a checked policy that evaluates requests.
//!
//! Origins are compared after normalization (scheme and host lowercased,
//! default port dropped). Wildcard patterns (`https://*.example.com`) match
//! subdomains only, on the same scheme and port, never the apex and never a
//! bare top-level domain. Some mistakes cannot be configured at all: any origin
//! together with credentials, `*` inside a list, a `Max-Age` beyond what
//! browsers honour. The `null` origin (sandboxed frames, `file:` pages) is
//! refused unless the policy explicitly allows it. Every outcome, refusals and
//! requests without `Origin` included, carries the right `Vary` header so a
//! shared cache never serves one origin's answer to another. Merge that `Vary`
//! with any the handler sets (`Vary: Cookie, Origin`) rather than replacing it.
//!
//! ```
//! use portcullis::web::cors::{CorsDecision, CorsPolicy, CorsRequest};
//!
//! let policy = CorsPolicy::builder()
//!     .allow_origin("https://app.example.com")
//!     .allow_origin_pattern("https://*.preview.example.com")
//!     .allow_methods(&["GET", "POST", "DELETE"])
//!     .allow_headers(&["Content-Type", "Authorization"])
//!     .allow_credentials(true)
//!     .max_age(600)
//!     .build()?;
//!
//! let preflight = CorsRequest {
//!     method: "OPTIONS",
//!     origin: Some("https://pr-12.preview.example.com"),
//!     request_method: Some("DELETE"),
//!     request_headers: Some("authorization"),
//! };
//! let decision = policy.evaluate(&preflight);
//! assert!(matches!(decision, CorsDecision::PreflightAllowed { .. }));
//! assert!(decision.headers().contains(&("Access-Control-Allow-Credentials", "true".into())));
//! # Ok::<(), portcullis::web::WebError>(())
//! ```

use super::origin::{Origin, RequestOrigin};
use super::{Header, WebError, is_token};

/// Longest `Access-Control-Max-Age` accepted (browsers cap at 2 to 24 hours).
pub const MAX_MAX_AGE: u32 = 86_400;
/// Most headers accepted in one `Access-Control-Request-Headers`.
pub const MAX_REQUEST_HEADERS: usize = 64;

const VARY_ACTUAL: &str = "Origin";
const VARY_PREFLIGHT: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// Which origins a policy accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origins {
    Any,
    Listed {
        exact: Vec<Origin>,
        /// Origins whose host is the suffix a subdomain must end with.
        patterns: Vec<Origin>,
    },
}

/// A checked CORS policy. Build it with [`CorsPolicy::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Origins,
    allow_null: bool,
    methods: Vec<String>,
    headers: Option<Vec<String>>,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<u32>,
}

/// Collects a CORS configuration; [`CorsPolicyBuilder::build`] checks it.
#[derive(Clone, Debug, Default)]
pub struct CorsPolicyBuilder {
    any_origin: bool,
    exact: Vec<String>,
    patterns: Vec<String>,
    allow_null: bool,
    methods: Vec<String>,
    headers: Vec<String>,
    any_header: bool,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<u32>,
}

impl CorsPolicyBuilder {
    /// Allows one exact origin, `scheme://host[:port]`.
    #[must_use]
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.exact.push(origin.to_owned());
        self
    }

    /// Allows every subdomain of a domain: `https://*.example.com[:port]`.
    #[must_use]
    pub fn allow_origin_pattern(mut self, pattern: &str) -> Self {
        self.patterns.push(pattern.to_owned());
        self
    }

    /// Allows any origin (`Access-Control-Allow-Origin: *`); refused with credentials.
    #[must_use]
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// Allows the `null` origin. Every sandboxed iframe and `file:` page sends
    /// it, so allowing it trusts them all: do it only on purpose.
    #[must_use]
    pub fn allow_null_origin(mut self) -> Self {
        self.allow_null = true;
        self
    }

    /// Methods a preflight may ask for, beyond GET, HEAD and POST (always allowed).
    #[must_use]
    pub fn allow_methods(mut self, methods: &[&str]) -> Self {
        self.methods.extend(methods.iter().map(|m| (*m).to_owned()));
        self
    }

    /// Request headers a preflight may ask for (compared case-insensitively).
    #[must_use]
    pub fn allow_headers(mut self, headers: &[&str]) -> Self {
        self.headers
            .extend(headers.iter().map(|h| h.to_ascii_lowercase()));
        self
    }

    /// Allows any request header (still echoed by name, so it works with credentials).
    #[must_use]
    pub fn allow_any_header(mut self) -> Self {
        self.any_header = true;
        self
    }

    /// Response headers scripts may read (`Access-Control-Expose-Headers`).
    #[must_use]
    pub fn expose_headers(mut self, headers: &[&str]) -> Self {
        self.expose.extend(headers.iter().map(|h| (*h).to_owned()));
        self
    }

    /// Allows cookies and HTTP authentication (`Access-Control-Allow-Credentials: true`).
    #[must_use]
    pub fn allow_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// How long browsers may cache a preflight, in seconds.
    #[must_use]
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`WebError::InvalidSetting`] naming the setting (`CORS allowed origins`,
    /// `CORS allowed methods`, ...) and what it accepts.
    pub fn build(self) -> Result<CorsPolicy, WebError> {
        let refuse = |setting, reason: String| WebError::InvalidSetting { setting, reason };
        if self.any_origin && self.credentials {
            return Err(refuse(
                "CORS allow credentials",
                "credentials cannot be combined with any origin (*); list the origins instead"
                    .into(),
            ));
        }
        if self.any_origin && !(self.exact.is_empty() && self.patterns.is_empty()) {
            return Err(refuse(
                "CORS allowed origins",
                "any origin (*) and a list of origins are exclusive".into(),
            ));
        }
        let origins = if self.any_origin {
            Origins::Any
        } else {
            let mut exact = Vec::with_capacity(self.exact.len());
            for text in &self.exact {
                if text.contains('*') {
                    return Err(refuse(
                        "CORS allowed origins",
                        format!(
                            "{text:?}: use allow_origin_pattern for wildcards or allow_any_origin for *"
                        ),
                    ));
                }
                let origin = Origin::parse(text)
                    .map_err(|e| refuse("CORS allowed origins", format!("{text:?}: {e}")))?;
                exact.push(origin);
            }
            let mut patterns = Vec::with_capacity(self.patterns.len());
            for text in &self.patterns {
                patterns.push(parse_pattern(text)?);
            }
            if exact.is_empty() && patterns.is_empty() && !self.allow_null {
                return Err(refuse(
                    "CORS allowed origins",
                    "no origin is allowed; add origins, patterns, null or any origin".into(),
                ));
            }
            Origins::Listed { exact, patterns }
        };
        for (setting, list) in [
            ("CORS allowed methods", &self.methods),
            ("CORS allowed headers", &self.headers),
            ("CORS exposed headers", &self.expose),
        ] {
            if let Some(bad) = list.iter().find(|v| !is_token(v) || v.as_str() == "*") {
                return Err(refuse(
                    setting,
                    format!(
                        "{bad:?} is not a header or method name (use the any-header switch instead of *)"
                    ),
                ));
            }
        }
        if let Some(age) = self.max_age.filter(|&a| a > MAX_MAX_AGE) {
            return Err(refuse(
                "CORS max age",
                format!("{age} exceeds {MAX_MAX_AGE} seconds; browsers would cap it anyway"),
            ));
        }
        Ok(CorsPolicy {
            origins,
            allow_null: self.allow_null,
            methods: self.methods,
            headers: (!self.any_header).then_some(self.headers),
            expose: self.expose,
            credentials: self.credentials,
            max_age: self.max_age,
        })
    }
}

/// `scheme://*.domain[:port]` into the origin of `domain`.
fn parse_pattern(text: &str) -> Result<Origin, WebError> {
    let refuse = |reason: &str| WebError::InvalidSetting {
        setting: "CORS allowed origin patterns",
        reason: format!("{text:?}: {reason}"),
    };
    let (scheme, rest) = text
        .split_once("://*.")
        .ok_or_else(|| refuse("expected scheme://*.domain[:port]"))?;
    if rest.contains('*') {
        return Err(refuse("only one leading *. is allowed"));
    }
    let origin =
        Origin::parse(&format!("{scheme}://{rest}")).map_err(|e| refuse(&e.to_string()))?;
    if !origin.host().contains('.') || origin.host().starts_with('[') {
        return Err(refuse(
            "the domain must have at least two labels (no *.com)",
        ));
    }
    Ok(origin)
}

/// The parts of a request CORS looks at.
#[derive(Clone, Copy, Debug, Default)]
pub struct CorsRequest<'a> {
    /// The request method.
    pub method: &'a str,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Access-Control-Request-Method` header (preflights).
    pub request_method: Option<&'a str>,
    /// The `Access-Control-Request-Headers` header (preflights).
    pub request_headers: Option<&'a str>,
}

/// Why a cross-origin request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorsRejection {
    /// The `Origin` header is not a valid origin.
    MalformedOrigin,
    /// The origin is not allowed.
    OriginNotAllowed,
    /// The origin is `null` and the policy does not allow it.
    NullOriginNotAllowed,
    /// The preflight asks for a method the policy does not allow.
    MethodNotAllowed,
    /// The preflight asks for a header the policy does not allow (its lowercased name).
    HeaderNotAllowed(String),
    /// `Access-Control-Request-Headers` is not a list of header names, or too long.
    MalformedRequestHeaders,
}

impl CorsRejection {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedOrigin => "cors_malformed_origin",
            Self::OriginNotAllowed => "cors_origin_not_allowed",
            Self::NullOriginNotAllowed => "cors_null_origin_not_allowed",
            Self::MethodNotAllowed => "cors_method_not_allowed",
            Self::HeaderNotAllowed(_) => "cors_header_not_allowed",
            Self::MalformedRequestHeaders => "cors_malformed_request_headers",
        }
    }
}

/// What to do with a request, and the headers to add to the response in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsDecision {
    /// No `Origin`: not a CORS request. Add `headers` (`Vary`) and proceed.
    NotCors {
        /// Headers to add.
        headers: Vec<Header>,
    },
    /// An allowed preflight: answer it directly (204) with `headers`.
    PreflightAllowed {
        /// Headers to add.
        headers: Vec<Header>,
    },
    /// An allowed cross-origin request: run the handler and add `headers`.
    ActualAllowed {
        /// Headers to add.
        headers: Vec<Header>,
    },
    /// Refused. Answer a preflight without CORS headers (403 or 204); for
    /// another request, either refuse it or let it run (the browser hides the
    /// response). Add `headers` (`Vary`) either way.
    Rejected {
        /// Why.
        reason: CorsRejection,
        /// Headers to add.
        headers: Vec<Header>,
    },
}

impl CorsDecision {
    /// The headers to add to the response.
    pub fn headers(&self) -> &[Header] {
        match self {
            Self::NotCors { headers }
            | Self::PreflightAllowed { headers }
            | Self::ActualAllowed { headers }
            | Self::Rejected { headers, .. } => headers,
        }
    }
}

impl CorsPolicy {
    /// Starts a policy that allows nothing yet.
    pub fn builder() -> CorsPolicyBuilder {
        CorsPolicyBuilder::default()
    }

    /// Evaluates a request: a preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`), an actual cross-origin request, or none.
    pub fn evaluate(&self, req: &CorsRequest<'_>) -> CorsDecision {
        let decision = self.decide(req);
        if let CorsDecision::Rejected { reason, .. } = &decision {
            crate::observe::cors_refused(reason.code());
        }
        decision
    }

    /// [`CorsPolicy::evaluate`] without the report of a refusal.
    fn decide(&self, req: &CorsRequest<'_>) -> CorsDecision {
        let preflight =
            req.method == "OPTIONS" && req.origin.is_some() && req.request_method.is_some();
        let vary: Header = (
            "Vary",
            if preflight {
                VARY_PREFLIGHT
            } else {
                VARY_ACTUAL
            }
            .to_owned(),
        );
        let reject = |reason| CorsDecision::Rejected {
            reason,
            headers: vec![vary.clone()],
        };
        let Some(origin_text) = req.origin else {
            return CorsDecision::NotCors {
                headers: vec![vary.clone()],
            };
        };
        let allow_origin = match self.origin_allowed(origin_text) {
            Ok(value) => value,
            Err(reason) => return reject(reason),
        };
        let mut headers = vec![("Access-Control-Allow-Origin", allow_origin)];
        if self.credentials {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
        if !preflight {
            if !self.expose.is_empty() {
                headers.push(("Access-Control-Expose-Headers", self.expose.join(", ")));
            }
            headers.push(vary);
            return CorsDecision::ActualAllowed { headers };
        }
        let method = req.request_method.unwrap_or_default();
        let safelisted = matches!(method, "GET" | "HEAD" | "POST");
        if !safelisted && !self.methods.iter().any(|m| m == method) {
            return reject(CorsRejection::MethodNotAllowed);
        }
        headers.push(("Access-Control-Allow-Methods", method.to_owned()));
        match self.requested_headers(req.request_headers.unwrap_or("")) {
            Ok(list) if list.is_empty() => {}
            Ok(list) => headers.push(("Access-Control-Allow-Headers", list.join(", "))),
            Err(reason) => return reject(reason),
        }
        if let Some(age) = self.max_age {
            headers.push(("Access-Control-Max-Age", age.to_string()));
        }
        headers.push(vary);
        CorsDecision::PreflightAllowed { headers }
    }

    /// The `Access-Control-Allow-Origin` value for an allowed origin.
    fn origin_allowed(&self, text: &str) -> Result<String, CorsRejection> {
        let parsed = RequestOrigin::parse(text).map_err(|_| CorsRejection::MalformedOrigin)?;
        let listed = match (&self.origins, &parsed) {
            (Origins::Any, _) => return Ok("*".to_owned()),
            (Origins::Listed { .. }, RequestOrigin::Null) => {
                return if self.allow_null {
                    Ok("null".to_owned())
                } else {
                    Err(CorsRejection::NullOriginNotAllowed)
                };
            }
            (Origins::Listed { exact, patterns }, RequestOrigin::Origin(origin)) => {
                exact.contains(origin) || patterns.iter().any(|p| matches_pattern(p, origin))
            }
        };
        if listed {
            // Echo what the browser sent: it compares the value byte for byte.
            Ok(text.to_owned())
        } else {
            Err(CorsRejection::OriginNotAllowed)
        }
    }

    /// The requested header names, lowercased, if all are allowed.
    fn requested_headers(&self, text: &str) -> Result<Vec<String>, CorsRejection> {
        let mut names = Vec::new();
        for item in text.split(',') {
            let name = item.trim_matches([' ', '\t']);
            if name.is_empty() {
                continue;
            }
            if !is_token(name) || names.len() >= MAX_REQUEST_HEADERS {
                return Err(CorsRejection::MalformedRequestHeaders);
            }
            let lower = name.to_ascii_lowercase();
            if let Some(allowed) = &self.headers
                && !allowed.contains(&lower)
            {
                return Err(CorsRejection::HeaderNotAllowed(lower));
            }
            names.push(lower);
        }
        Ok(names)
    }
}

/// Whether `origin` is a strict subdomain of `pattern`'s host, same scheme and port.
fn matches_pattern(pattern: &Origin, origin: &Origin) -> bool {
    pattern.scheme() == origin.scheme()
        && pattern.port() == origin.port()
        && origin
            .host()
            .strip_suffix(pattern.host())
            .and_then(|prefix| prefix.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy::builder()
            .allow_origin("https://app.example.com")
            .allow_origin("http://localhost:3000")
            .allow_origin_pattern("https://*.example.org")
            .allow_methods(&["PUT", "DELETE"])
            .allow_headers(&["Content-Type", "X-Requested-With"])
            .expose_headers(&["X-Request-Id"])
            .allow_credentials(true)
            .max_age(600)
            .build()
            .unwrap()
    }

    fn actual(origin: &str) -> CorsRequest<'_> {
        CorsRequest {
            method: "GET",
            origin: Some(origin),
            ..CorsRequest::default()
        }
    }

    fn preflight<'a>(
        origin: &'a str,
        method: &'a str,
        headers: Option<&'a str>,
    ) -> CorsRequest<'a> {
        CorsRequest {
            method: "OPTIONS",
            origin: Some(origin),
            request_method: Some(method),
            request_headers: headers,
        }
    }

    fn rejection(decision: CorsDecision) -> CorsRejection {
        match decision {
            CorsDecision::Rejected { reason, headers } => {
                assert!(headers.iter().any(|(n, _)| *n == "Vary"));
                reason
            }
            other => panic!("allowed: {other:?}"),
        }
    }

    #[test]
    fn actual_requests_get_origin_credentials_expose_and_vary() {
        let d = policy().evaluate(&actual("https://app.example.com"));
        assert_eq!(
            d,
            CorsDecision::ActualAllowed {
                headers: vec![
                    (
                        "Access-Control-Allow-Origin",
                        "https://app.example.com".into()
                    ),
                    ("Access-Control-Allow-Credentials", "true".into()),
                    ("Access-Control-Expose-Headers", "X-Request-Id".into()),
                    ("Vary", "Origin".into()),
                ]
            }
        );
        // Normalized comparison, but the browser's own text is echoed.
        let d = policy().evaluate(&actual("HTTPS://APP.example.com:443"));
        assert_eq!(d.headers()[0].1, "HTTPS://APP.example.com:443");
        assert!(matches!(
            policy().evaluate(&actual("http://localhost:3000")),
            CorsDecision::ActualAllowed { .. }
        ));
    }

    #[test]
    fn not_cors_still_varies_on_origin() {
        let d = policy().evaluate(&CorsRequest {
            method: "GET",
            ..CorsRequest::default()
        });
        assert_eq!(
            d,
            CorsDecision::NotCors {
                headers: vec![("Vary", "Origin".into())]
            }
        );
    }

    #[test]
    fn origins_are_matched_exactly_or_by_subdomain_pattern() {
        for allowed in [
            "https://a.example.org",
            "https://a.b.example.org",
            "https://A.Example.org:443",
        ] {
            assert!(
                matches!(
                    policy().evaluate(&actual(allowed)),
                    CorsDecision::ActualAllowed { .. }
                ),
                "{allowed}"
            );
        }
        for refused in [
            "https://example.org",
            "http://a.example.org",
            "https://a.example.org:8443",
            "https://evilexample.org",
            "https://app.example.com.evil.com",
            "http://app.example.com",
            "https://app.example.com:8443",
            "http://localhost:3001",
        ] {
            assert_eq!(
                rejection(policy().evaluate(&actual(refused))),
                CorsRejection::OriginNotAllowed,
                "{refused}"
            );
        }
        assert_eq!(
            rejection(policy().evaluate(&actual("https://a.com/x"))),
            CorsRejection::MalformedOrigin
        );
        assert_eq!(
            rejection(policy().evaluate(&actual("null"))),
            CorsRejection::NullOriginNotAllowed
        );
    }

    #[test]
    fn null_origin_only_on_purpose() {
        let p = CorsPolicy::builder().allow_null_origin().build().unwrap();
        assert_eq!(
            p.evaluate(&actual("null")).headers()[0],
            ("Access-Control-Allow-Origin", "null".into())
        );
        assert_eq!(
            rejection(p.evaluate(&actual("https://a.com"))),
            CorsRejection::OriginNotAllowed
        );
    }

    #[test]
    fn preflights_check_method_and_headers() {
        let d = policy().evaluate(&preflight(
            "https://app.example.com",
            "PUT",
            Some("content-type, X-Requested-With"),
        ));
        assert_eq!(
            d,
            CorsDecision::PreflightAllowed {
                headers: vec![
                    (
                        "Access-Control-Allow-Origin",
                        "https://app.example.com".into()
                    ),
                    ("Access-Control-Allow-Credentials", "true".into()),
                    ("Access-Control-Allow-Methods", "PUT".into()),
                    (
                        "Access-Control-Allow-Headers",
                        "content-type, x-requested-with".into()
                    ),
                    ("Access-Control-Max-Age", "600".into()),
                    ("Vary", VARY_PREFLIGHT.into()),
                ]
            }
        );
        assert!(matches!(
            policy().evaluate(&preflight("https://app.example.com", "POST", None)),
            CorsDecision::PreflightAllowed { .. }
        ));
        assert_eq!(
            rejection(policy().evaluate(&preflight("https://app.example.com", "PATCH", None))),
            CorsRejection::MethodNotAllowed
        );
        assert_eq!(
            rejection(policy().evaluate(&preflight(
                "https://app.example.com",
                "PUT",
                Some("authorization")
            ))),
            CorsRejection::HeaderNotAllowed("authorization".into())
        );
        assert_eq!(
            rejection(policy().evaluate(&preflight("https://app.example.com", "PUT", Some("a b")))),
            CorsRejection::MalformedRequestHeaders
        );
        let many = vec!["x"; 65].join(",");
        let any = CorsPolicy::builder()
            .allow_any_origin()
            .allow_any_header()
            .build()
            .unwrap();
        assert_eq!(
            rejection(any.evaluate(&preflight("https://a.com", "GET", Some(&many)))),
            CorsRejection::MalformedRequestHeaders
        );
        let d = any.evaluate(&preflight("https://a.com", "GET", Some("Authorization")));
        assert!(
            d.headers()
                .contains(&("Access-Control-Allow-Origin", "*".into()))
        );
        assert!(
            d.headers()
                .contains(&("Access-Control-Allow-Headers", "authorization".into()))
        );
    }

    #[test]
    fn dangerous_configurations_are_refused() {
        let setting = |b: CorsPolicyBuilder| match b.build() {
            Err(WebError::InvalidSetting { setting, .. }) => setting,
            other => panic!("accepted: {other:?}"),
        };
        assert_eq!(
            setting(
                CorsPolicy::builder()
                    .allow_any_origin()
                    .allow_credentials(true)
            ),
            "CORS allow credentials"
        );
        assert_eq!(setting(CorsPolicy::builder()), "CORS allowed origins");
        assert_eq!(
            setting(CorsPolicy::builder().allow_origin("*")),
            "CORS allowed origins"
        );
        assert_eq!(
            setting(CorsPolicy::builder().allow_origin("https://a.com/")),
            "CORS allowed origins"
        );
        assert_eq!(
            setting(
                CorsPolicy::builder()
                    .allow_any_origin()
                    .allow_origin("https://a.com")
            ),
            "CORS allowed origins"
        );
        for pattern in [
            "https://*.com",
            "https://a.*.com",
            "*.example.com",
            "https://*.[::1]",
        ] {
            assert_eq!(
                setting(CorsPolicy::builder().allow_origin_pattern(pattern)),
                "CORS allowed origin patterns",
                "{pattern}"
            );
        }
        assert_eq!(
            setting(
                CorsPolicy::builder()
                    .allow_any_origin()
                    .allow_headers(&["*"])
            ),
            "CORS allowed headers"
        );
        assert_eq!(
            setting(
                CorsPolicy::builder()
                    .allow_any_origin()
                    .allow_methods(&["GE T"])
            ),
            "CORS allowed methods"
        );
        assert_eq!(
            setting(CorsPolicy::builder().allow_any_origin().max_age(86_401)),
            "CORS max age"
        );
    }
}
