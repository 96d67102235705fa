//! The token room's reports to [`crate::observe`]: kinds and refusals as the
//! fixed label values, so each call site in the flows is one line.

use serde_json::{Map, Value};

use super::claims::ClaimNames;
use super::{Claims, Invalid, TokenError, TokenKind};
use crate::observe::{self, RefreshResult, Refused, TokenRefusal};

/// The `kind` label: the token's kind, or `any` when none is known.
fn kind_label(kind: Option<TokenKind>) -> &'static str {
    kind.map_or("any", TokenKind::as_str)
}

/// Reports a signed token of `kind` with `claims` (the user id read only when
/// an observer is compiled in).
pub(super) fn issued(kind: TokenKind, claims: &Map<String, Value>, names: &ClaimNames) {
    if observe::ENABLED {
        let user = claims.get(&names.user_id).and_then(Value::as_str);
        observe::token_issued(kind.as_str(), user);
    }
}

/// Reports the end of a verification (`kind` asked for, or the token's own).
pub(super) fn verified(kind: Option<TokenKind>, result: Result<&Claims, &TokenError>) {
    match result {
        Ok(claims) => observe::token_verified(kind_label(kind), claims.user_id()),
        Err(err) => refused(kind, err),
    }
}

/// Reports a refused token; configuration, key and store failures are not
/// refusals of the token and are not reported here.
pub(super) fn refused(kind: Option<TokenKind>, err: &TokenError) {
    if observe::ENABLED && err.is_rejection() {
        observe::token_refused(&Refused {
            kind: kind_label(kind),
            reason: reason(err),
            code: err.code(),
            rule: rule(err),
        });
    }
}

/// Reports a refresh's end (`rotated` when a new refresh token was minted).
pub(super) fn refreshed(result: Result<bool, &TokenError>, user_id: Option<&str>) {
    let result = match result {
        Ok(true) => RefreshResult::Rotated,
        Ok(false) => RefreshResult::Refreshed,
        Err(TokenError::Reused) => RefreshResult::Reused,
        Err(_) => RefreshResult::Refused,
    };
    observe::token_refreshed(result, user_id);
}

/// The `reason` label of a refusal.
fn reason(err: &TokenError) -> TokenRefusal {
    match err {
        TokenError::Expired | TokenError::RefreshExpired => TokenRefusal::Expired,
        TokenError::NoType | TokenError::WrongType => TokenRefusal::WrongType,
        TokenError::Blacklisted => TokenRefusal::Blacklisted,
        TokenError::Reused => TokenRefusal::Reused,
        TokenError::PasswordChanged => TokenRefusal::PasswordChanged,
        TokenError::Invalid(_)
        | TokenError::NoExpiry
        | TokenError::NoId
        | TokenError::NoUserId
        | TokenError::BadAuthorizationHeader
        | TokenError::Config { .. }
        | TokenError::Key(_)
        | TokenError::Store(_) => TokenRefusal::Invalid,
    }
}

/// The `rule` field: which check refused the token.
fn rule(err: &TokenError) -> &'static str {
    match err {
        TokenError::Invalid(invalid) => match invalid {
            Invalid::TooLarge => "too_large",
            Invalid::Malformed => "malformed",
            Invalid::Algorithm => "algorithm",
            Invalid::UnknownKey => "unknown_key",
            Invalid::ForbiddenHeader => "forbidden_header",
            Invalid::Critical => "critical",
            Invalid::Signature => "signature",
            Invalid::ClaimType => "claim_type",
            Invalid::NotYetValid => "not_yet_valid",
            Invalid::IssuedInFuture => "issued_in_future",
            Invalid::TooOld => "too_old",
            Invalid::Audience => "audience",
            Invalid::Issuer => "issuer",
            Invalid::NotEncrypted => "not_encrypted",
        },
        TokenError::Expired => "expired",
        TokenError::NoExpiry => "no_expiry",
        TokenError::RefreshExpired => "refresh_expired",
        TokenError::NoType => "no_type",
        TokenError::WrongType => "wrong_type",
        TokenError::NoId => "no_id",
        TokenError::NoUserId => "no_user_id",
        TokenError::PasswordChanged => "password_changed",
        TokenError::Blacklisted => "blacklisted",
        TokenError::Reused => "reused",
        TokenError::BadAuthorizationHeader => "bad_authorization_header",
        TokenError::Config { .. } => "config",
        TokenError::Key(_) => "key",
        TokenError::Store(_) => "store",
    }
}
