//! The top-level `Error` has one variant per room: API keys and the audit trail
//! convert into their own variants, not through the web room's error.

use portcullis::Error;
use portcullis::apikey::ApiKeyError;
use portcullis::audit::AuditError;
use portcullis::web::WebError;

#[test]
fn api_key_errors_convert_to_their_own_variant() {
    let err: Error = ApiKeyError::Invalid.into();
    let shown = format!("{err:?}");
    assert!(shown.starts_with("ApiKey("), "{shown}");
    assert_eq!(err.to_string(), "invalid API key");
}

#[test]
fn audit_errors_convert_to_their_own_variant() {
    let err: Error = AuditError::SequenceExhausted.into();
    let shown = format!("{err:?}");
    assert!(shown.starts_with("Audit("), "{shown}");
    assert_eq!(err.to_string(), "audit sequence number exhausted");
}

#[test]
fn web_errors_keep_the_web_variant() {
    let err: Error = WebError::CsrfFormat {
        what: "token",
        reason: "has incorrect length",
    }
    .into();
    assert!(format!("{err:?}").starts_with("Web("));
    assert_eq!(err.to_string(), "CSRF token has incorrect length");
}

#[cfg(feature = "token")]
#[test]
fn env_errors_convert_to_their_own_variant() {
    let err: Error = portcullis::token::EnvError::Missing {
        var: "MYAPP_JWT_SIGNING_KEY".into(),
    }
    .into();
    let shown = format!("{err:?}");
    assert!(shown.starts_with("Env("), "{shown}");
    assert_eq!(
        err.to_string(),
        "environment variable `MYAPP_JWT_SIGNING_KEY` is required"
    );
}
