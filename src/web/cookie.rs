//! `Set-Cookie` for auth cookies, and a `Cookie` header parser that skips malformed pairs (RFC 6265 §5.4).
//!
//! [`SetCookie`] starts from the profile people copy (HttpOnly, Secure,
//! SameSite=Lax, Path=/) and refuses what browsers would silently drop or what
//! weakens the cookie: a `__Host-` cookie that is not Secure, has a Domain or a
//! Path other than `/`; a `__Secure-` cookie that is not Secure; SameSite=None
//! without Secure; names and values outside RFC 6265's grammar.
//!
//! ```
//! use portcullis::web::cookie::{SameSite, SetCookie, parse_cookie_header};
//!
//! let header = SetCookie::new("__Host-access", "eyJhbGciOi")
//!     .max_age(900)
//!     .same_site(SameSite::Strict)
//!     .build()?;
//! assert_eq!(header, "__Host-access=eyJhbGciOi; Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Strict");
//!
//! let jar = parse_cookie_header("csrftoken=abc; sessionid=xyz")?;
//! assert_eq!(jar.get("sessionid"), Some("xyz"));
//! # Ok::<(), portcullis::web::WebError>(())
//! ```

use std::fmt;

use super::origin::is_dns_host;
use super::{WebError, is_token};
use crate::clock::UnixTime;
use crate::secret::SecretString;

/// Longest `Cookie` header parsed.
pub const MAX_COOKIE_HEADER_LEN: usize = 16 * 1024;
/// Most cookies parsed from one header.
pub const MAX_COOKIES: usize = 256;
/// Longest name plus value browsers are required to keep (RFC 6265 section 6.1).
pub const MAX_COOKIE_LEN: usize = 4096;

/// The `SameSite` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Also sent with top-level cross-site navigations (the default here and in browsers).
    Lax,
    /// Sent with every request; browsers require `Secure`.
    None,
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        })
    }
}

/// A `Set-Cookie` header under construction. The value may be a token, so
/// `Debug` does not show it.
#[derive(Debug)]
pub struct SetCookie {
    name: String,
    value: SecretString,
    domain: Option<String>,
    path: Option<String>,
    max_age: Option<u64>,
    expires: Option<UnixTime>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
    partitioned: bool,
}

impl SetCookie {
    /// A cookie with the safe defaults: `Path=/; Secure; HttpOnly; SameSite=Lax`, session lifetime.
    pub fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: SecretString::new(value.to_owned()),
            domain: None,
            path: Some("/".to_owned()),
            max_age: None,
            expires: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            partitioned: false,
        }
    }

    /// A header that deletes the cookie: empty value, `Max-Age=0` and an `Expires`
    /// in 1970. Give it the same Domain and Path as the cookie it removes.
    pub fn removal(name: &str) -> Self {
        Self::new(name, "").max_age(0).expires(UnixTime::EPOCH)
    }

    /// Sets `Domain` (sent to that domain and its subdomains). Not allowed with `__Host-`.
    #[must_use]
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// Sets `Path`; `None` omits it (the browser then uses the request's directory).
    #[must_use]
    pub fn path(mut self, path: Option<&str>) -> Self {
        self.path = path.map(str::to_owned);
        self
    }

    /// Sets `Max-Age` in seconds (0 deletes the cookie).
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Sets `Expires` (for old clients; `Max-Age` wins where both are present).
    #[must_use]
    pub fn expires(mut self, at: UnixTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// Sets or clears `Secure`.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets or clears `HttpOnly` (clear it only for cookies scripts must read, like Django's CSRF cookie).
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sets `SameSite`.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// Sets or clears `Partitioned` (CHIPS); requires `Secure`.
    #[must_use]
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// The `Set-Cookie` header value.
    ///
    /// # Errors
    /// [`WebError::InvalidCookie`] naming the rule broken.
    pub fn build(&self) -> Result<String, WebError> {
        let refuse = |reason| WebError::InvalidCookie {
            name: self.name.clone(),
            reason,
        };
        if !is_token(&self.name) {
            return Err(refuse(
                "the name must be an RFC 9110 token (no spaces, = ; , or controls)",
            ));
        }
        let value = self.value.expose_secret();
        if !is_cookie_value(value) {
            return Err(refuse(
                "the value may contain only visible ASCII except \" , ; and \\ (optionally in double quotes)",
            ));
        }
        if self.name.len().saturating_add(value.len()) > MAX_COOKIE_LEN {
            return Err(refuse("name and value exceed 4096 bytes"));
        }
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__secure-") && !self.secure {
            return Err(refuse("a __Secure- cookie must be Secure"));
        }
        if lower.starts_with("__host-") {
            if !self.secure {
                return Err(refuse("a __Host- cookie must be Secure"));
            }
            if self.domain.is_some() {
                return Err(refuse("a __Host- cookie must not have a Domain"));
            }
            if self.path.as_deref() != Some("/") {
                return Err(refuse("a __Host- cookie must have Path=/"));
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(refuse("SameSite=None requires Secure"));
        }
        if self.partitioned && !self.secure {
            return Err(refuse("Partitioned requires Secure"));
        }
        let mut out = format!("{}={value}", self.name);
        if let Some(domain) = &self.domain {
            let bare = domain.strip_prefix('.').unwrap_or(domain);
            if !is_dns_host(bare) {
                return Err(refuse("the Domain must be a host name"));
            }
            out.push_str("; Domain=");
            out.push_str(&bare.to_ascii_lowercase());
        }
        if let Some(path) = &self.path {
            if !path.starts_with('/')
                || !path
                    .bytes()
                    .all(|b| (0x20..=0x7e).contains(&b) && b != b';')
            {
                return Err(refuse(
                    "the Path must start with / and contain no ; or controls",
                ));
            }
            out.push_str("; Path=");
            out.push_str(path);
        }
        if let Some(max_age) = self.max_age {
            out.push_str(&format!("; Max-Age={max_age}"));
        }
        if let Some(at) = self.expires {
            let date = http_date(at).ok_or_else(|| refuse("Expires is past the year 9999"))?;
            out.push_str("; Expires=");
            out.push_str(&date);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            out.push_str(&format!("; SameSite={same_site}"));
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        Ok(out)
    }
}

/// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: UnixTime) -> Option<String> {
    let secs = i64::try_from(at.as_secs()).ok()?;
    let t = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
    if t.year() > 9999 {
        return None;
    }
    let weekday = match t.weekday() {
        time::Weekday::Monday => "Mon",
        time::Weekday::Tuesday => "Tue",
        time::Weekday::Wednesday => "Wed",
        time::Weekday::Thursday => "Thu",
        time::Weekday::Friday => "Fri",
        time::Weekday::Saturday => "Sat",
        time::Weekday::Sunday => "Sun",
    };
    let month = match t.month() {
        time::Month::January => "Jan",
        time::Month::February => "Feb",
        time::Month::March => "Mar",
        time::Month::April => "Apr",
        time::Month::May => "May",
        time::Month::June => "Jun",
        time::Month::July => "Jul",
        time::Month::August => "Aug",
        time::Month::September => "Sep",
        time::Month::October => "Oct",
        time::Month::November => "Nov",
        time::Month::December => "Dec",
    };
    Some(format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// RFC 6265 `cookie-octet`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// RFC 6265 `cookie-value`: octets, optionally inside one pair of double quotes.
fn is_cookie_value(value: &str) -> bool {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    inner.bytes().all(is_cookie_octet)
}

/// The cookies of one `Cookie` header, in the order sent (names may repeat:
/// browsers send same-named cookies from different paths, most specific first).
#[derive(Clone, PartialEq, Eq)]
pub struct CookieJar<'a> {
    pairs: Vec<(&'a str, &'a str)>,
    skipped: usize,
}

impl<'a> CookieJar<'a> {
    /// The first value sent for `name` (double quotes removed).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Every `(name, value)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().copied()
    }

    /// How many cookies were sent.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none (every pair of the header was malformed).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// How many malformed pairs were skipped (worth a debug log, never a refusal).
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

impl fmt::Debug for CookieJar<'_> {
    /// Names only: values are session ids and tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(n, _)| n))
            .finish()
    }
}

/// Parses a `Cookie` header as RFC 6265 section 5.4 has servers do: pairs split
/// on `;`, spaces and tabs around each pair, name and value trimmed, and a pair
/// that is not `token=cookie-value` (no `=`, a bad name, a space or comma in the
/// value) skipped rather than failing the header, so one malformed cookie (set by
/// a sibling subdomain, say) does not hide the others. Values lose one pair of
/// surrounding double quotes. The caps stay: at most 16 KiB and 256 cookies.
///
/// # Errors
/// [`WebError::MalformedCookieHeader`] for an empty header (or one of separators
/// only), one over the length cap, or more than 256 well-formed cookies.
pub fn parse_cookie_header(header: &str) -> Result<CookieJar<'_>, WebError> {
    let bad = |position, reason| WebError::MalformedCookieHeader { position, reason };
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Err(bad(MAX_COOKIE_HEADER_LEN, "longer than 16 KiB"));
    }
    if header.trim_matches([' ', '\t']).is_empty() {
        return Err(bad(0, "empty"));
    }
    let mut pairs = Vec::new();
    let mut skipped = 0usize;
    let mut offset = 0usize;
    for pair in header.split(';') {
        let pair_start = offset;
        offset = offset.saturating_add(pair.len()).saturating_add(1);
        let parsed = pair.split_once('=').and_then(|(name, value)| {
            let name = name.trim_matches([' ', '\t']);
            let value = value.trim_matches([' ', '\t']);
            (is_token(name) && is_cookie_value(value)).then_some((name, value))
        });
        let Some((name, value)) = parsed else {
            // An empty piece (a trailing `;`) is not a cookie at all.
            if !pair.trim_matches([' ', '\t']).is_empty() {
                skipped = skipped.saturating_add(1);
            }
            continue;
        };
        if pairs.len() >= MAX_COOKIES {
            return Err(bad(pair_start, "more than 256 cookies"));
        }
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        pairs.push((name, value));
    }
    if pairs.is_empty() && skipped == 0 {
        // Nothing but separators.
        return Err(bad(0, "empty"));
    }
    Ok(CookieJar { pairs, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_secure_httponly_lax() {
        assert_eq!(
            SetCookie::new("sid", "abc").build().unwrap(),
            "sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn all_attributes_render() {
        let header = SetCookie::new("__Secure-refresh", "\"tok\"")
            .domain(".Example.com")
            .path(Some("/auth"))
            .max_age(86400)
            .expires(UnixTime::from_secs(784_111_777).unwrap())
            .same_site(SameSite::None)
            .partitioned(true)
            .build()
            .unwrap();
        assert_eq!(
            header,
            "__Secure-refresh=\"tok\"; Domain=example.com; Path=/auth; Max-Age=86400; \
             Expires=Sun, 06 Nov 1994 08:49:37 GMT; Secure; HttpOnly; SameSite=None; Partitioned"
        );
        assert_eq!(
            SetCookie::removal("sid").build().unwrap(),
            "sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn prefix_and_samesite_rules_are_enforced() {
        let reason = |c: SetCookie| match c.build() {
            Err(WebError::InvalidCookie { reason, .. }) => reason,
            other => panic!("accepted: {other:?}"),
        };
        assert_eq!(
            reason(SetCookie::new("__Host-a", "1").secure(false)),
            "a __Host- cookie must be Secure"
        );
        assert_eq!(
            reason(SetCookie::new("__host-a", "1").domain("a.com")),
            "a __Host- cookie must not have a Domain"
        );
        assert_eq!(
            reason(SetCookie::new("__Host-a", "1").path(Some("/x"))),
            "a __Host- cookie must have Path=/"
        );
        assert_eq!(
            reason(SetCookie::new("__Host-a", "1").path(None)),
            "a __Host- cookie must have Path=/"
        );
        assert_eq!(
            reason(SetCookie::new("__Secure-a", "1").secure(false)),
            "a __Secure- cookie must be Secure"
        );
        assert_eq!(
            reason(
                SetCookie::new("a", "1")
                    .secure(false)
                    .same_site(SameSite::None)
            ),
            "SameSite=None requires Secure"
        );
        assert_eq!(
            reason(SetCookie::new("a", "1").secure(false).partitioned(true)),
            "Partitioned requires Secure"
        );
        assert!(SetCookie::new("a b", "1").build().is_err());
        assert!(SetCookie::new("a", "x;y").build().is_err());
        assert!(SetCookie::new("a", "x\r\nSet-Cookie: b=1").build().is_err());
        assert!(
            SetCookie::new("a", "1")
                .domain("bad domain")
                .build()
                .is_err()
        );
        assert!(SetCookie::new("a", "1").path(Some("x")).build().is_err());
        assert!(SetCookie::new("a", &"v".repeat(4096)).build().is_err());
        assert!(SetCookie::new("a", "1").secure(false).build().is_ok());
    }

    #[test]
    fn debug_hides_the_value() {
        let shown = format!("{:?}", SetCookie::new("sid", "topsecret"));
        assert!(!shown.contains("topsecret"));
    }

    #[test]
    fn cookie_header_parses_and_skips_bad_pairs() {
        let jar = parse_cookie_header(" a=1; b=\"two\"; a=3; empty= ").unwrap();
        assert_eq!(
            jar.iter().collect::<Vec<_>>(),
            [("a", "1"), ("b", "two"), ("a", "3"), ("empty", "")]
        );
        assert_eq!(jar.get("a"), Some("1"));
        assert_eq!(jar.get("missing"), None);
        assert_eq!(jar.len(), 4);
        assert_eq!(jar.skipped(), 0);
        assert_eq!(format!("{jar:?}"), r#"["a", "b", "a", "empty"]"#);
        for header in [
            "a=1; =2",
            "a=1; b",
            "a=1; b=x y",
            "a b=1; a=1",
            "a=\"x; a=1",
            "a=\u{e9}; a=1",
            "a=1; b=2,3",
        ] {
            let jar = parse_cookie_header(header).unwrap();
            assert_eq!(jar.iter().collect::<Vec<_>>(), [("a", "1")], "{header:?}");
            assert_eq!(jar.skipped(), 1, "{header:?}");
        }
        for header in ["a=1;b=2", "a=1;  b=2", "a=1; b=2;"] {
            let jar = parse_cookie_header(header).unwrap();
            assert_eq!(jar.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
        }
        let nothing = parse_cookie_header("garbage; more garbage").unwrap();
        assert!(nothing.is_empty());
        assert_eq!(nothing.skipped(), 2);
        for empty in [" ", ";", " ; ;\t"] {
            assert!(
                matches!(
                    parse_cookie_header(empty),
                    Err(WebError::MalformedCookieHeader { position: 0, .. })
                ),
                "{empty:?}"
            );
        }
        let many = vec!["a=1"; 257].join("; ");
        assert!(parse_cookie_header(&many).is_err());
        let long = "a".repeat(MAX_COOKIE_HEADER_LEN + 1);
        assert!(parse_cookie_header(&long).is_err());
    }

    #[test]
    fn one_malformed_pair_does_not_drop_the_header() {
        // A sibling subdomain's cookie with a space in its value, a pair without
        // `=`, a bad name and a missing space: the good pairs survive.
        let header = "theme=dark mode; sessionid=abc; flag; a b=1; csrftoken=xyz;next=1";
        let jar = parse_cookie_header(header).unwrap();
        assert_eq!(jar.get("sessionid"), Some("abc"));
        assert_eq!(jar.get("csrftoken"), Some("xyz"));
        assert_eq!(jar.get("next"), Some("1"));
        assert_eq!(jar.get("theme"), None);
        assert_eq!(jar.len(), 3);
    }
}
