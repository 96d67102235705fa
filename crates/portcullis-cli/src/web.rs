//! `csrf mask|check`, `apikey generate|verify` and `audit verify`.

use serde_json::{Map, Value};

use portcullis::apikey::{ApiKey, ApiKeyDigest, ApiKeyError, ApiKeyPepper};
use portcullis::audit::{AuditKey, AuditRecord, AuditVerifier};
use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::web::WebError;
use portcullis::web::csrf::CsrfSecret;

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line, print_ok};

pub(crate) fn run(domain: &str, op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match (domain, op) {
        ("csrf", "mask") => {
            Flags::parse(args, &[], &[])?;
            for_each_line(csrf_mask)
        }
        ("csrf", "check") => {
            Flags::parse(args, &[], &[])?;
            for_each_line(csrf_check)
        }
        ("apikey", "generate") => {
            apikey_generate(&Flags::parse(args, &["prefix", "pepper-env"], &[])?)
        }
        ("apikey", "verify") => apikey_verify(&Flags::parse(args, &["pepper-env", "now"], &[])?),
        ("audit", "verify") => audit_verify(&Flags::parse(args, &["key-env"], &[])?),
        (domain, op) => Err(UsageError::new(format!(
            "unknown operation `{domain} {op}`; expected csrf mask|check, apikey generate|verify or audit verify"
        ))),
    }
}

/// The JSON object on a stdin line, and its string fields.
fn object(line: &str) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Failure::new(
            "invalid_input",
            "each line must be one JSON object",
        )),
    }
}

fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Result<&'a str, Failure> {
    map.get(name).and_then(Value::as_str).ok_or_else(|| {
        Failure::new(
            "invalid_input",
            format!("the \"{name}\" string field is required"),
        )
    })
}

fn csrf_secret(map: &Map<String, Value>) -> Result<CsrfSecret, Failure> {
    CsrfSecret::parse(field(map, "secret")?).map_err(|e| {
        Failure::new(
            "csrf_bad_cookie",
            format!("the secret is not a CSRF secret: {e}"),
        )
    })
}

fn csrf_mask(line: &str) -> Result<Map<String, Value>, Failure> {
    let secret = csrf_secret(&object(line)?)?;
    let token = secret
        .mask()
        .map_err(|e| Failure::new("random_unavailable", e.to_string()))?;
    let mut out = Map::new();
    out.insert("token".into(), Value::String(token));
    Ok(out)
}

fn csrf_check(line: &str) -> Result<Map<String, Value>, Failure> {
    let map = object(line)?;
    let secret = csrf_secret(&map)?;
    match secret.verify_token(field(&map, "token")?) {
        Ok(()) => Ok(Map::new()),
        Err(WebError::CsrfFormat {
            reason: "incorrect",
            ..
        }) => Err(Failure::new(
            "csrf_token_incorrect",
            "CSRF token incorrect.",
        )),
        Err(e) => Err(Failure::new("csrf_bad_token_format", e.to_string())),
    }
}

fn pepper(flags: &Flags) -> Result<ApiKeyPepper, UsageError> {
    Ok(ApiKeyPepper::from_env(flags.require("pepper-env")?).map_err(portcullis::Error::from)?)
}

fn apikey_generate(flags: &Flags) -> Result<Outcome, UsageError> {
    let prefix = flags.require("prefix")?;
    let pepper = pepper(flags)?;
    let key = ApiKey::generate(prefix).map_err(portcullis::Error::from)?;
    let mut out = Map::new();
    out.insert("key".into(), Value::String(key.expose_secret().to_owned()));
    out.insert(
        "lookup_id".into(),
        Value::String(key.lookup_id().to_owned()),
    );
    out.insert(
        "digest".into(),
        Value::String(key.digest(&pepper).to_string()),
    );
    print_ok(out);
    Ok(Outcome::AllOk)
}

fn now(flags: &Flags) -> Result<UnixTime, UsageError> {
    match flags.get("now") {
        None => Ok(SystemClock.now()),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .and_then(UnixTime::from_secs_f64)
            .ok_or_else(|| {
                UsageError::new(format!("--now {text:?} is not a Unix time in seconds"))
            }),
    }
}

fn apikey_failure(err: &ApiKeyError) -> Failure {
    let code = match err {
        ApiKeyError::Malformed { .. } => "malformed_key",
        ApiKeyError::ChecksumMismatch => "checksum_mismatch",
        ApiKeyError::MalformedDigest => "malformed_digest",
        ApiKeyError::Expired => "expired",
        _ => "invalid_key",
    };
    Failure::new(code, err.to_string())
}

fn apikey_verify(flags: &Flags) -> Result<Outcome, UsageError> {
    let pepper = pepper(flags)?;
    let now = now(flags)?;
    for_each_line(|line| {
        let map = object(line)?;
        let key = ApiKey::parse(field(&map, "key")?).map_err(|e| apikey_failure(&e))?;
        let digest =
            ApiKeyDigest::from_hex(field(&map, "digest")?).map_err(|e| apikey_failure(&e))?;
        let expires_at = match map.get("expires_at") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().and_then(UnixTime::from_secs).ok_or_else(|| {
                Failure::new("invalid_input", "\"expires_at\" must be Unix seconds")
            })?),
        };
        key.verify(&pepper, &digest, expires_at, now)
            .map_err(|e| apikey_failure(&e))?;
        Ok(Map::new())
    })
}

fn audit_verify(flags: &Flags) -> Result<Outcome, UsageError> {
    let key = AuditKey::from_env(flags.require("key-env")?).map_err(portcullis::Error::from)?;
    let mut verifier = AuditVerifier::new(&key);
    let mut line_no = 0usize;
    for_each_line(|line| {
        line_no += 1;
        let record = AuditRecord::from_json_line(line).map_err(|e| {
            Failure::new("malformed_record", format!("record on line {line_no}: {e}"))
        })?;
        verifier.check(&record).map_err(|b| {
            Failure::new(
                b.kind.code(),
                format!(
                    "record on line {line_no} (seq {}) does not fit the chain: {b}",
                    b.seq
                ),
            )
        })?;
        Ok(Map::new())
    })
}
