//! The `Origin` and `Referer` parsers shared by CORS and CSRF.
//!
//! [`Origin`] is the normalized form CORS compares: scheme and host lowercased,
//! the scheme's default port dropped, nothing else allowed (no path, no user
//! info). [`Referer`] splits a URL the way Python's `urlsplit` does (scheme
//! lowercased, host-and-port kept as sent), because Django's CSRF checks compare
//! exactly those strings and this crate gives Django's verdicts.

use std::fmt;

use super::WebError;

/// Longest `Origin` or `Referer` accepted; real ones are far shorter.
pub const MAX_URL_LEN: usize = 4096;

/// A web origin, `scheme://host[:port]`, normalized for comparison.
///
/// ```
/// use portcullis::web::origin::Origin;
///
/// let a = Origin::parse("HTTPS://App.Example.COM:443")?;
/// let b = Origin::parse("https://app.example.com")?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "https://app.example.com");
/// # Ok::<(), portcullis::web::WebError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    /// `None` when the port is the scheme's default (or the scheme has none and none was given).
    port: Option<u16>,
}

impl Origin {
    /// Parses and normalizes `scheme://host[:port]`.
    ///
    /// # Errors
    /// [`WebError::MalformedOrigin`] for anything else: a path, a trailing slash,
    /// user info, an empty host, a port out of range, non-ASCII or control bytes.
    pub fn parse(text: &str) -> Result<Self, WebError> {
        let bad = |reason| WebError::MalformedOrigin { reason };
        if text.len() > MAX_URL_LEN {
            return Err(bad("longer than 4096 bytes"));
        }
        if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(bad("contains whitespace, control or non-ASCII characters"));
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or(bad("expected scheme://host[:port]"))?;
        if !is_scheme(scheme) {
            return Err(bad(
                "the scheme must be a letter followed by letters, digits, + - .",
            ));
        }
        let scheme = scheme.to_ascii_lowercase();
        if rest.contains(['/', '?', '#']) {
            return Err(bad(
                "an origin has no path, query or fragment (not even a trailing /)",
            ));
        }
        if rest.contains('@') {
            return Err(bad("an origin has no user info"));
        }
        let (host, port) = split_host_port(rest).ok_or(bad("invalid host or port"))?;
        let host = host.to_ascii_lowercase();
        let port = port.filter(|&p| Some(p) != default_port(&scheme));
        Ok(Self { scheme, host, port })
    }

    /// The lowercased scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The lowercased host (an IPv6 address keeps its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, or the scheme's default when none was given.
    pub fn port(&self) -> Option<u16> {
        self.port.or_else(|| default_port(&self.scheme))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The value of a request's `Origin` header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestOrigin {
    /// The literal `null`: sandboxed iframes, `file:` pages, some redirects.
    /// Trusting it trusts every such context, so policies must opt in.
    Null,
    /// A real origin.
    Origin(Origin),
}

impl RequestOrigin {
    /// Parses an `Origin` header value (`null` or an origin).
    ///
    /// # Errors
    /// [`WebError::MalformedOrigin`] as for [`Origin::parse`].
    pub fn parse(text: &str) -> Result<Self, WebError> {
        if text == "null" {
            Ok(Self::Null)
        } else {
            Origin::parse(text).map(Self::Origin)
        }
    }
}

/// A `Referer` header split as Python's `urlsplit` splits it.
///
/// ```
/// use portcullis::web::origin::Referer;
///
/// let r = Referer::parse("HTTPS://Example.com:8443/path?q=1")?;
/// assert_eq!(r.scheme(), "https");
/// assert_eq!(r.netloc(), "Example.com:8443");
/// # Ok::<(), portcullis::web::WebError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referer {
    scheme: String,
    netloc: String,
    /// Path, query and fragment as `urlunsplit` writes them back.
    tail: String,
}

impl Referer {
    /// Parses an absolute URL with a scheme and a host.
    ///
    /// # Errors
    /// [`WebError::MalformedReferer`] when there is no scheme or no host, the
    /// brackets of an IPv6 host do not pair up, or the text has whitespace,
    /// control or non-ASCII bytes.
    pub fn parse(text: &str) -> Result<Self, WebError> {
        let bad = |reason| WebError::MalformedReferer { reason };
        if text.len() > MAX_URL_LEN {
            return Err(bad("longer than 4096 bytes"));
        }
        if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(bad("contains whitespace, control or non-ASCII characters"));
        }
        let (scheme, netloc) = urlsplit(text).ok_or(bad("invalid IPv6 host"))?;
        if scheme.is_empty() {
            return Err(bad("no scheme"));
        }
        if netloc.is_empty() {
            return Err(bad("no host"));
        }
        let after = text
            .split_once("//")
            .and_then(|(_, r)| r.get(netloc.len()..))
            .unwrap_or("");
        let (before_fragment, fragment) = after.split_once('#').unwrap_or((after, ""));
        let (path, query) = before_fragment
            .split_once('?')
            .unwrap_or((before_fragment, ""));
        let mut tail = String::new();
        if !path.is_empty() && !path.starts_with('/') {
            tail.push('/');
        }
        tail.push_str(path);
        if !query.is_empty() {
            tail.push('?');
            tail.push_str(query);
        }
        if !fragment.is_empty() {
            tail.push('#');
            tail.push_str(fragment);
        }
        Ok(Self {
            scheme,
            netloc: netloc.to_owned(),
            tail,
        })
    }

    /// The lowercased scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host and port exactly as sent (user info included if present).
    pub fn netloc(&self) -> &str {
        &self.netloc
    }
}

impl fmt::Display for Referer {
    /// The URL as Python's `geturl()` writes it back (scheme lowercased, empty
    /// query and fragment dropped), as Django quotes it in its reason.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.netloc, self.tail)
    }
}

/// Python's `urlsplit(url)` reduced to `(scheme, netloc)`; `None` where Python raises.
pub(crate) fn urlsplit(url: &str) -> Option<(String, &str)> {
    let (scheme, rest) = match url.split_once(':') {
        Some((s, rest)) if is_scheme(s) => (s.to_ascii_lowercase(), rest),
        _ => (String::new(), url),
    };
    let Some(after) = rest.strip_prefix("//") else {
        return Some((scheme, ""));
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let netloc = after.get(..end)?;
    let has_open = netloc.contains('[');
    let has_close = netloc.contains(']');
    if has_open != has_close {
        return None;
    }
    if has_open {
        // Python 3.11+ checks that a bracketed host is an IPv6 (or IPvFuture) address.
        let bracketed = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
        let inner = bracketed.strip_prefix('[')?.split_once(']')?.0;
        if !is_ipv6ish(inner) {
            return None;
        }
    }
    Some((scheme, netloc))
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

fn is_ipv6ish(inner: &str) -> bool {
    inner.parse::<std::net::Ipv6Addr>().is_ok()
        || (inner.starts_with(['v', 'V'])
            && inner.len() > 3
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":.-_~!$&'()*+,;=".contains(&b)))
}

/// Splits `host[:port]`, checking the host is a DNS name, IPv4 or bracketed IPv6
/// address and the port a decimal number up to 65535.
pub(crate) fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port_text) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = authority.get(..=close)?;
        let inner = authority.get(1..close)?;
        inner.parse::<std::net::Ipv6Addr>().ok()?;
        let rest = authority.get(close + 1..)?;
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !host.starts_with('[') && !is_dns_host(host) {
        return None;
    }
    let port = match port_text {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// A DNS name or IPv4 address: dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn is_dns_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalize_scheme_host_case_and_default_port() {
        let o = Origin::parse("HTTP://EXAMPLE.com:80").unwrap();
        assert_eq!(o.to_string(), "http://example.com");
        assert_eq!(o.port(), Some(80));
        let o = Origin::parse("https://example.com:8443").unwrap();
        assert_eq!(o.to_string(), "https://example.com:8443");
        assert_eq!(o.port(), Some(8443));
        let o = Origin::parse("https://[::1]:3000").unwrap();
        assert_eq!(o.host(), "[::1]");
        assert_eq!(o.scheme(), "https");
    }

    #[test]
    fn origins_refuse_anything_but_scheme_host_port() {
        for bad in [
            "",
            "example.com",
            "https://",
            "https://example.com/",
            "https://example.com/path",
            "https://user@example.com",
            "https://example.com:",
            "https://example.com:65536",
            "https://example.com:123456",
            "https://exa mple.com",
            "https://ex_ample.com",
            "https://-bad.com",
            "https://a..b",
            "https://[::1",
            "https://[zz]:1",
            "1http://example.com",
            "null",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn null_origin_is_its_own_variant() {
        assert_eq!(RequestOrigin::parse("null").unwrap(), RequestOrigin::Null);
        assert!(matches!(
            RequestOrigin::parse("https://a.example").unwrap(),
            RequestOrigin::Origin(_)
        ));
    }

    #[test]
    fn urlsplit_matches_python() {
        assert_eq!(
            urlsplit("https://a.com:1/x?y#z"),
            Some(("https".into(), "a.com:1"))
        );
        assert_eq!(urlsplit("HTTPS://A.com"), Some(("https".into(), "A.com")));
        assert_eq!(urlsplit("//a.com/x"), Some((String::new(), "a.com")));
        assert_eq!(urlsplit("https:a.com"), Some(("https".into(), "")));
        assert_eq!(urlsplit("null"), Some((String::new(), "")));
        assert_eq!(urlsplit("https://[::1"), None);
        assert_eq!(
            urlsplit("https://[::1]:80/"),
            Some(("https".into(), "[::1]:80"))
        );
        assert_eq!(urlsplit("https://[nothex]/"), None);
    }

    #[test]
    fn referers_need_scheme_and_host() {
        assert!(Referer::parse("https://example.com/page").is_ok());
        assert_eq!(
            Referer::parse("HTTPS://a.com/p?#").unwrap().to_string(),
            "https://a.com/p"
        );
        assert_eq!(
            Referer::parse("https://a.com?q#f").unwrap().to_string(),
            "https://a.com?q#f"
        );
        assert!(Referer::parse("/relative").is_err());
        assert!(Referer::parse("https:///nohost").is_err());
        assert!(Referer::parse("https://[::1/").is_err());
        assert!(Referer::parse("https://a.com/\u{0}").is_err());
    }
}
