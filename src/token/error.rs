//! Token errors, with SimpleJWT's codes and messages.
//!
//! `Display` of a rejected token is SimpleJWT's own message ("Token is invalid",
//! "Token is expired", ...) so a Rust service answers exactly like the Django one;
//! the variant (and [`Invalid`] reason) says precisely which rule fired, for logs and
//! tests. A failed signature is one opaque [`Invalid::Signature`], never more.

use std::fmt;

use crate::store::StoreError;

/// Why a token is "invalid" in SimpleJWT's sense (all share its message "Token is invalid").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Larger than the configured `max_token_bytes` (checked before any decoding).
    TooLarge,
    /// Not three base64url segments, or a segment that is not a JSON object.
    Malformed,
    /// The header's `alg` is not the algorithm of the key its `kid` selects
    /// (this covers `none` in any spelling and HS/RS confusion).
    Algorithm,
    /// A `kid` that is not in the keyring, or no `kid` and no default key.
    UnknownKey,
    /// An embedded `jwk`, a `jku`, `x5u` or `x5c` (never fetched, never trusted), or a
    /// `typ`/`cty` that does not describe a plain JWT.
    ForbiddenHeader,
    /// A `crit` header: this crate understands no JWS extensions.
    Critical,
    /// The signature does not verify. Deliberately carries no detail.
    Signature,
    /// A claim has the wrong JSON type, or a claim name is duplicated.
    ClaimType,
    /// `nbf` is in the future beyond the leeway.
    NotYetValid,
    /// `iat` is in the future beyond the leeway.
    IssuedInFuture,
    /// Older than the configured `max_token_age`.
    TooOld,
    /// `aud` is missing or does not contain the configured audience.
    Audience,
    /// `iss` is missing or is not the configured issuer.
    Issuer,
    /// A plain JWS where the configuration requires a nested (encrypted) token.
    NotEncrypted,
}

/// Any error of the token domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token failed a format, header, signature or claim rule.
    #[error("Token is invalid")]
    Invalid(Invalid),
    /// `exp` has passed (beyond the leeway).
    #[error("Token is expired")]
    Expired,
    /// The token has no `exp` claim.
    #[error("Token has no 'exp' claim")]
    NoExpiry,
    /// A sliding token's `refresh_exp` has passed.
    #[error("Token 'refresh_exp' claim has expired")]
    RefreshExpired,
    /// The token has no type claim.
    #[error("Token has no type")]
    NoType,
    /// The token's type is not the kind being verified.
    #[error("Token has wrong type")]
    WrongType,
    /// The token has no id (`jti`) claim.
    #[error("Token has no id")]
    NoId,
    /// An access or sliding token carries no user id claim (SimpleJWT's
    /// `JWTAuthentication.get_user`).
    #[error("Token contained no recognizable user identification")]
    NoUserId,
    /// With `check_revoke_token`, the token's password-hash claim no longer matches
    /// the user's stored password hash (SimpleJWT's `password_changed`).
    #[error("The user's password has been changed.")]
    PasswordChanged,
    /// The token, its family or its user's older tokens were revoked.
    #[error("Token is blacklisted")]
    Blacklisted,
    /// A refresh token that was already used was presented again; its family is now revoked.
    #[error("Token is blacklisted")]
    Reused,
    /// An `Authorization` header with a known scheme but not exactly two values.
    #[error("Authorization header must contain two space-delimited values")]
    BadAuthorizationHeader,
    /// A configuration setting is out of range; names the setting and what it accepts.
    #[error("token setting `{setting}`: {reason}")]
    Config {
        /// The setting (SimpleJWT's name in lower case).
        setting: &'static str,
        /// What was wrong and what is accepted.
        reason: String,
    },
    /// A key could not be loaded; says what was expected, never the key.
    #[error("token key: {0}")]
    Key(String),
    /// The revocation store refused or failed (for example, it is full); the
    /// backend's own error is the [`StoreError`]'s `source()`.
    #[error("revocation store: {0}")]
    Store(#[source] StoreError),
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl TokenError {
    /// SimpleJWT's machine code: `token_not_valid`, `bad_authorization_header`,
    /// `password_changed`, or
    /// this crate's `invalid_config`, `invalid_key`, `store_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadAuthorizationHeader => "bad_authorization_header",
            Self::PasswordChanged => "password_changed",
            Self::Config { .. } => "invalid_config",
            Self::Key(_) => "invalid_key",
            Self::Store(_) => "store_unavailable",
            _ => "token_not_valid",
        }
    }

    /// Whether this rejects a presented token (as opposed to a configuration or store error).
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Self::Config { .. } | Self::Key(_) | Self::Store(_))
    }

    /// The JSON body SimpleJWT's token views send with a 401:
    /// `{"detail": "<message>", "code": "<code>"}`.
    pub fn response_body(&self) -> serde_json::Value {
        serde_json::json!({"detail": self.to_string(), "code": self.code()})
    }

    /// The body DRF's `JWTAuthentication` sends when a bearer token fails:
    /// `{"detail": "Given token not valid for any token type", "code": "token_not_valid",
    /// "messages": [...]}`; for the failures it finds after the token checks (no user
    /// id, a changed password) and a malformed header, the plain
    /// [`TokenError::response_body`], as SimpleJWT sends them.
    pub fn authentication_body(&self) -> serde_json::Value {
        if matches!(
            self,
            Self::BadAuthorizationHeader | Self::NoUserId | Self::PasswordChanged
        ) {
            return self.response_body();
        }
        serde_json::json!({
            "detail": "Given token not valid for any token type",
            "code": "token_not_valid",
            "messages": [{
                "token_class": "AccessToken",
                "token_type": "access",
                "message": self.to_string(),
            }],
        })
    }

    pub(crate) fn config(setting: &'static str, reason: impl fmt::Display) -> Self {
        Self::Config {
            setting,
            reason: reason.to_string(),
        }
    }
}

/// The `WWW-Authenticate` value SimpleJWT sends with a 401: `<first header type> realm="api"`.
pub fn www_authenticate(auth_header_types: &[String]) -> String {
    let scheme = auth_header_types.first().map_or("Bearer", String::as_str);
    format!("{scheme} realm=\"api\"")
}

/// The token in an `Authorization` header value, as SimpleJWT's `JWTAuthentication` finds it.
///
/// `Ok(None)` when the header is empty or uses a scheme not in `auth_header_types`
/// (SimpleJWT ignores it, so another authenticator may take it); an error when the
/// scheme is known but the value is not exactly two whitespace-separated parts.
///
/// # Errors
/// [`TokenError::BadAuthorizationHeader`].
pub fn parse_authorization_header<'a>(
    value: &'a str,
    auth_header_types: &[String],
) -> Result<Option<&'a str>, TokenError> {
    // Python's `bytes.split()` (what SimpleJWT uses) also splits on vertical tab,
    // which Rust's ASCII whitespace leaves out.
    let mut parts = value.split(is_python_space).filter(|part| !part.is_empty());
    let Some(scheme) = parts.next() else {
        return Ok(None);
    };
    if !auth_header_types.iter().any(|t| t == scheme) {
        return Ok(None);
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(Some(token)),
        _ => Err(TokenError::BadAuthorizationHeader),
    }
}

/// The bytes Python's `bytes.split()` treats as whitespace.
fn is_python_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer() -> Vec<String> {
        vec!["Bearer".to_owned()]
    }

    #[test]
    fn authorization_header_follows_simplejwt() {
        assert_eq!(
            parse_authorization_header("Bearer abc.def.ghi", &bearer()),
            Ok(Some("abc.def.ghi"))
        );
        assert_eq!(parse_authorization_header("", &bearer()), Ok(None));
        assert_eq!(parse_authorization_header("Basic xyz", &bearer()), Ok(None));
        assert_eq!(parse_authorization_header("bearer x", &bearer()), Ok(None));
        assert_eq!(
            parse_authorization_header("Bearer", &bearer()),
            Err(TokenError::BadAuthorizationHeader)
        );
        assert_eq!(
            parse_authorization_header("Bearer a b", &bearer()),
            Err(TokenError::BadAuthorizationHeader)
        );
        assert_eq!(
            parse_authorization_header("Bearer\x0ba.b.c", &bearer()),
            Ok(Some("a.b.c"))
        );
        assert_eq!(
            parse_authorization_header("Bearer a\u{a0}b", &bearer()),
            Ok(Some("a\u{a0}b"))
        );
        assert_eq!(
            TokenError::BadAuthorizationHeader.code(),
            "bad_authorization_header"
        );
    }

    #[test]
    fn bodies_match_simplejwt() {
        assert_eq!(
            TokenError::Expired.response_body(),
            serde_json::json!({"detail": "Token is expired", "code": "token_not_valid"})
        );
        let body = TokenError::WrongType.authentication_body();
        assert_eq!(body["detail"], "Given token not valid for any token type");
        assert_eq!(body["messages"][0]["message"], "Token has wrong type");
        assert_eq!(www_authenticate(&bearer()), "Bearer realm=\"api\"");
        assert_eq!(
            TokenError::Invalid(Invalid::Signature).to_string(),
            "Token is invalid"
        );
    }
}
