//! `htu` comparison: RFC 3986 syntax-based and scheme-based normalisation (section 6.2)
//! of an absolute http(s) URL, without its query and fragment (RFC 9449 section 4.3).
//!
//! Normalised: the case of the scheme and host, percent-encoding (upper-case hex,
//! unreserved characters decoded), dot segments, the default port (80, 443) and an
//! empty path (`/`). Refused: another scheme, a missing host, userinfo (a proof names
//! a resource, not credentials), a port that is not a number up to 65535, and any
//! character RFC 3986 does not allow where it stands.

/// `url` normalised for comparison, without query and fragment; `None` when it is not
/// an absolute http(s) URL.
///
/// ```
/// use portcullis::jose::dpop::normalize_htu;
///
/// assert_eq!(
///     normalize_htu("HTTPS://Server.Example.COM:443/a/./b/../token?x=1#f").as_deref(),
///     Some("https://server.example.com/a/token"),
/// );
/// assert_eq!(normalize_htu("http://h").as_deref(), Some("http://h/"));
/// assert_eq!(normalize_htu("ftp://h/"), None);
/// ```
pub fn normalize_htu(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let rest = rest.strip_prefix("//")?;
    // The query and fragment are not compared, but must still be well formed.
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (rest, None),
    };
    let (hier, query) = match before_fragment.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (before_fragment, None),
    };
    for part in [query, fragment].into_iter().flatten() {
        if !valid_chars(part, |b| is_pchar(b) || b == b'/' || b == b'?') {
            return None;
        }
    }
    let (authority, path) = match hier.find('/') {
        Some(i) => hier.split_at(i),
        None => (hier, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let (host, port) = split_host_port(authority)?;
    let mut out = scheme;
    out.push_str("://");
    out.push_str(&normalize_host(host)?);
    match port {
        None | Some("") => {}
        Some(digits) => {
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let port: u16 = digits.parse().ok()?;
            if port != default_port {
                out.push(':');
                out.push_str(&port.to_string());
            }
        }
    }
    if !valid_chars(path, |b| is_pchar(b) || b == b'/') {
        return None;
    }
    let path = normalize_percent(path)?;
    let path = remove_dot_segments(&path);
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&path);
    }
    Some(out)
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => Some((h, Some(p))),
            None => Some((authority, None)),
        }
    }
}

fn normalize_host(host: &str) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // IPv6 or IPvFuture literal: hex digits, colons, dots (and RFC 3986's `v` form).
        let ok = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.') || is_sub_delim(b));
        return ok.then(|| host.to_ascii_lowercase());
    }
    if !valid_chars(host, |b| is_unreserved(b) || is_sub_delim(b)) {
        return None;
    }
    Some(normalize_percent(host)?.to_ascii_lowercase())
}

/// Every byte allowed by `allowed`, or part of a well-formed `%XX`.
fn valid_chars(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if allowed(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Upper-case hex in escapes, unreserved characters decoded (RFC 3986 section 6.2.2).
fn normalize_percent(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if is_unreserved(value) {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => trailing_slash = i == last,
            ".." => {
                output.pop();
                trailing_slash = i == last;
            }
            s => {
                output.push(s);
                trailing_slash = false;
            }
        }
    }
    if path.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(path.len());
    for s in &output {
        out.push('/');
        out.push_str(s);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

const fn is_pchar(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@')
}

#[cfg(test)]
mod tests {
    use super::normalize_htu as n;

    #[test]
    fn scheme_host_case_default_port_and_empty_path_are_normalised() {
        let want = Some("https://example.com/");
        assert_eq!(n("https://example.com").as_deref(), want);
        assert_eq!(n("HTTPS://EXAMPLE.com:443/").as_deref(), want);
        assert_eq!(n("https://example.com:/").as_deref(), want);
        assert_eq!(
            n("http://example.com:80").as_deref(),
            Some("http://example.com/")
        );
        assert_eq!(
            n("https://example.com:8443/x").as_deref(),
            Some("https://example.com:8443/x")
        );
        assert_eq!(
            n("http://example.com:443/").as_deref(),
            Some("http://example.com:443/")
        );
    }

    #[test]
    fn query_and_fragment_are_ignored() {
        assert_eq!(
            n("https://a.example/p?q=1#frag").as_deref(),
            Some("https://a.example/p")
        );
    }

    #[test]
    fn percent_encoding_and_dot_segments_are_normalised() {
        assert_eq!(
            n("https://a/%7euser/%2f").as_deref(),
            Some("https://a/~user/%2F")
        );
        assert_eq!(n("https://a/b/c/./../../g").as_deref(), Some("https://a/g"));
        assert_eq!(n("https://a/b/..").as_deref(), Some("https://a/"));
        assert_eq!(n("https://a/b/./").as_deref(), Some("https://a/b/"));
        assert_eq!(n("https://[::1]:443/").as_deref(), Some("https://[::1]/"));
    }

    #[test]
    fn malformed_and_non_http_urls_are_refused() {
        for bad in [
            "ftp://a/",
            "https:/a/",
            "https://",
            "https://:443/",
            "https://user@a/",
            "https://a:99999/",
            "https://a:8x/",
            "https://a b/",
            "https://a/%zz",
            "https://a/%4",
            "https://a/\u{e9}",
            "https://[::1/",
            "https://a/p?q=<",
            "/relative",
            "",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }
}
