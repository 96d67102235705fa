//! Whether a request arrived over HTTPS, by Django's `SECURE_PROXY_SSL_HEADER`
//! rule, and the host it named.

use http::header::{HOST, HeaderName};
use http::uri::Scheme;
use http::{HeaderMap, Uri};

use crate::ConfigError;

/// How a layer tells an HTTPS request from a plain one: the request's own
/// scheme, or a header a trusted proxy sets (Django's `SECURE_PROXY_SSL_HEADER`).
///
/// With a proxy header configured, Django's rule applies: when the header is
/// present, the request is secure exactly when the header's first
/// comma-separated part, trimmed, equals the value; when it is absent, the
/// request's own scheme decides. Only configure it behind a proxy that sets or
/// strips the header on every request: a client could otherwise send it.
///
/// ```
/// use portcullis_tower::SecureRequest;
///
/// let rule = SecureRequest::proxy_header("HTTP_X_FORWARDED_PROTO", "https")?;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-proto", "https, http".parse()?);
/// assert!(rule.is_secure(&"/".parse()?, &headers));
/// assert!(!SecureRequest::default().is_secure(&"/".parse()?, &headers));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecureRequest {
    proxy: Option<(HeaderName, String)>,
    always: bool,
}

impl SecureRequest {
    /// Trust the request's scheme only (a server that terminates TLS itself, or
    /// HTTP/2 whose `:scheme` is in the URI).
    pub fn direct() -> Self {
        Self::default()
    }

    /// Every request is secure: a server reached only through a proxy that
    /// terminates HTTPS and sets no header saying so.
    pub fn always() -> Self {
        Self {
            proxy: None,
            always: true,
        }
    }

    /// Trust `header` set to `value` by the proxy in front. `header` is an HTTP
    /// header name (`X-Forwarded-Proto`) or Django's `META` form
    /// (`HTTP_X_FORWARDED_PROTO`).
    ///
    /// # Errors
    /// [`ConfigError::Setting`] naming `SECURE_PROXY_SSL_HEADER` for a name that
    /// is not a header name or an empty value.
    pub fn proxy_header(header: &str, value: &str) -> Result<Self, ConfigError> {
        let name = match header.strip_prefix("HTTP_") {
            Some(meta) => meta.replace('_', "-"),
            None => header.to_owned(),
        };
        let name = HeaderName::try_from(name).map_err(|_| {
            ConfigError::setting("SECURE_PROXY_SSL_HEADER", "the header name is not valid")
        })?;
        if value.trim().is_empty() {
            return Err(ConfigError::setting(
                "SECURE_PROXY_SSL_HEADER",
                "the secure value is empty",
            ));
        }
        Ok(Self {
            proxy: Some((name, value.to_owned())),
            always: false,
        })
    }

    /// Whether the request is secure under this rule.
    pub fn is_secure(&self, uri: &Uri, headers: &HeaderMap) -> bool {
        if self.always {
            return true;
        }
        if let Some((name, secure_value)) = &self.proxy
            && let Some(value) = headers.get(name)
        {
            let Ok(text) = value.to_str() else {
                return false;
            };
            let first = text.split(',').next().unwrap_or_default().trim();
            return first == secure_value;
        }
        uri.scheme() == Some(&Scheme::HTTPS)
    }
}

/// The host the request names: its `Host` header, else the URI's authority
/// (HTTP/2); `None` when neither is there or the header is not visible ASCII.
pub(crate) fn request_host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    match headers.get(HOST) {
        Some(value) => value.to_str().ok().filter(|h| !h.is_empty()),
        None => uri.authority().map(http::uri::Authority::as_str),
    }
}

/// The port of `host` (`example.com:8443`, `[::1]:80`), else the scheme's default.
pub(crate) fn request_port(host: Option<&str>, secure: bool) -> u16 {
    let default = if secure { 443 } else { 80 };
    let Some(host) = host else {
        return default;
    };
    let after_v6 = host.rsplit_once(']').map_or(host, |(_, rest)| rest);
    after_v6
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = value.parse() {
                map.append(*name, value);
            }
        }
        map
    }

    #[test]
    fn the_proxy_header_follows_django() {
        let rule = SecureRequest::proxy_header("X-Forwarded-Proto", "https")
            .unwrap_or_else(|e| panic!("{e}"));
        let plain: Uri = "/".parse().unwrap_or_default();
        let tls: Uri = "https://example.com/".parse().unwrap_or_default();
        assert!(rule.is_secure(&plain, &headers(&[("x-forwarded-proto", " https ,x")])));
        assert!(!rule.is_secure(&tls, &headers(&[("x-forwarded-proto", "http")])));
        // Absent header: the request's own scheme.
        assert!(rule.is_secure(&tls, &headers(&[])));
        assert!(!rule.is_secure(&plain, &headers(&[])));
        assert!(SecureRequest::proxy_header("bad header", "https").is_err());
        assert!(SecureRequest::always().is_secure(&plain, &headers(&[])));
        assert!(SecureRequest::proxy_header("HTTP_X_FORWARDED_PROTO", " ").is_err());
    }

    #[test]
    fn host_and_port() {
        let uri: Uri = "/x".parse().unwrap_or_default();
        assert_eq!(request_host(&uri, &headers(&[])), None);
        assert_eq!(
            request_host(&uri, &headers(&[("host", "a.example:8443")])),
            Some("a.example:8443")
        );
        let h2: Uri = "https://b.example/x".parse().unwrap_or_default();
        assert_eq!(request_host(&h2, &headers(&[])), Some("b.example"));
        assert_eq!(request_port(Some("a.example:8443"), false), 8443);
        assert_eq!(request_port(Some("[::1]"), true), 443);
        assert_eq!(request_port(Some("[::1]:81"), true), 81);
        assert_eq!(request_port(None, false), 80);
    }
}
