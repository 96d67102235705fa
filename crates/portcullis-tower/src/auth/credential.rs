//! Finding the token a request presents: SimpleJWT's `Authorization` rule,
//! then the access cookie.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};
use portcullis::token::{TokenError, parse_authorization_header};
use portcullis::web::cookie::parse_cookie_header;

/// Where the token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialSource {
    /// `Authorization: <type> <token>` with one of the configured header types.
    Bearer,
    /// The configured access cookie: CSRF applies to unsafe methods.
    Cookie,
}

/// Why the request's credential headers could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeaderFault {
    /// `Authorization` uses a configured type but is not `<type> <token>`
    /// (or is not text).
    BadAuthorization,
    /// The `Cookie` header is over the parser's caps (a cookie flood) or empty.
    BadCookie,
}

impl HeaderFault {
    /// The token error SimpleJWT answers for a bad `Authorization` header.
    pub(crate) fn token_error(&self) -> Option<TokenError> {
        matches!(self, Self::BadAuthorization).then_some(TokenError::BadAuthorizationHeader)
    }
}

/// The joined `Cookie` header (HTTP/2 sends one header per cookie).
fn cookie_header(headers: &HeaderMap) -> Result<Option<Cow<'_, str>>, HeaderFault> {
    let mut values = headers.get_all(COOKIE).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let text = |v: &http::HeaderValue| {
        std::str::from_utf8(v.as_bytes())
            .map(str::to_owned)
            .map_err(|_| HeaderFault::BadCookie)
    };
    let rest: Vec<String> = values.map(text).collect::<Result<_, _>>()?;
    let first = std::str::from_utf8(first.as_bytes()).map_err(|_| HeaderFault::BadCookie)?;
    if rest.is_empty() {
        return Ok(Some(Cow::Borrowed(first)));
    }
    let mut joined = first.to_owned();
    for part in rest {
        joined.push_str("; ");
        joined.push_str(&part);
    }
    Ok(Some(Cow::Owned(joined)))
}

/// Whether the request carries a bearer token of a configured type (even a
/// malformed one: the authentication layer refuses it, CSRF does not apply).
pub(crate) fn has_bearer(headers: &HeaderMap, header_types: &[String]) -> bool {
    headers.get(AUTHORIZATION).is_some_and(|value| {
        std::str::from_utf8(value.as_bytes()).map_or(true, |text| {
            parse_authorization_header(text, header_types) != Ok(None)
        })
    })
}

/// The value of cookie `name`, if the request sends it.
///
/// # Errors
/// [`HeaderFault::BadCookie`] for a header the parser refuses.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Result<Option<String>, HeaderFault> {
    let Some(header) = cookie_header(headers)? else {
        return Ok(None);
    };
    let jar = parse_cookie_header(&header).map_err(|_| HeaderFault::BadCookie)?;
    Ok(jar.get(name).map(str::to_owned))
}

/// The presented token and its source: a bearer token of a configured type
/// first (SimpleJWT's `JWTAuthentication`), else the access cookie.
///
/// # Errors
/// A [`HeaderFault`] for an unreadable `Authorization` or `Cookie` header.
pub(crate) fn find<'a>(
    headers: &'a HeaderMap,
    header_types: &[String],
    access_cookie: Option<&str>,
) -> Result<Option<(Cow<'a, str>, CredentialSource)>, HeaderFault> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let text =
            std::str::from_utf8(value.as_bytes()).map_err(|_| HeaderFault::BadAuthorization)?;
        match parse_authorization_header(text, header_types) {
            Ok(Some(token)) => return Ok(Some((Cow::Borrowed(token), CredentialSource::Bearer))),
            Ok(None) => {}
            Err(_) => return Err(HeaderFault::BadAuthorization),
        }
    }
    let Some(name) = access_cookie else {
        return Ok(None);
    };
    Ok(cookie(headers, name)?.map(|token| (Cow::Owned(token), CredentialSource::Cookie)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = http::HeaderValue::from_bytes(value) {
                headers.append(*name, value);
            }
        }
        headers
    }

    fn types() -> Vec<String> {
        vec!["Bearer".to_owned(), "JWT".to_owned()]
    }

    #[test]
    fn bearer_first_then_cookie() {
        let both = map(&[("authorization", b"JWT a.b.c"), ("cookie", b"access=x.y.z")]);
        assert_eq!(
            find(&both, &types(), Some("access")),
            Ok(Some((Cow::Borrowed("a.b.c"), CredentialSource::Bearer)))
        );
        let other_scheme = map(&[
            ("authorization", b"Basic Zm9v"),
            ("cookie", b"access=x.y.z"),
        ]);
        assert_eq!(
            find(&other_scheme, &types(), Some("access")),
            Ok(Some((
                Cow::Owned("x.y.z".to_owned()),
                CredentialSource::Cookie
            )))
        );
        assert_eq!(find(&other_scheme, &types(), None), Ok(None));
        assert!(!has_bearer(&other_scheme, &types()));
        assert!(has_bearer(&both, &types()));
    }

    #[test]
    fn cookies_split_over_headers_are_joined() {
        let split = map(&[("cookie", b"a=1"), ("cookie", b"access=t")]);
        assert_eq!(cookie(&split, "access"), Ok(Some("t".to_owned())));
        assert_eq!(cookie(&split, "a"), Ok(Some("1".to_owned())));
    }

    #[test]
    fn malformed_headers_are_faults() {
        let two_parts = map(&[("authorization", b"Bearer a b")]);
        assert_eq!(
            find(&two_parts, &types(), None),
            Err(HeaderFault::BadAuthorization)
        );
        let binary = map(&[("authorization", b"Bearer \xff\xfe")]);
        assert_eq!(
            find(&binary, &types(), None),
            Err(HeaderFault::BadAuthorization)
        );
        assert!(has_bearer(&binary, &types()));
        let flood = "c=1; ".repeat(300);
        let flood = map(&[("cookie", flood.as_bytes())]);
        assert_eq!(
            find(&flood, &types(), Some("access")),
            Err(HeaderFault::BadCookie)
        );
    }
}
