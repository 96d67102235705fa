//! `token issue|verify|inspect|refresh`: SimpleJWT-compatible tokens on stdin/stdout.
//!
//! The key is the text of `--key-env VAR`: an HMAC secret as-is (Django's
//! `SECRET_KEY`), or a PEM key for RS*/PS*/ES*/EdDSA (private to issue or refresh,
//! public or private to verify).

use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::secret::{KeyLength, SecretString};
use portcullis::token::{
    Algorithm, KeyFamily, Keyring, SigningKey, TokenConfig, TokenError, TokenKind, TokenService,
    VerifyingKey, inspect,
};
use serde_json::{Map, Value};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line};

const CLAIM_FLAGS: [&str; 8] = [
    "leeway",
    "audience",
    "issuer",
    "user-id-claim",
    "token-type-claim",
    "jti-claim",
    "now",
    "kid",
];

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match op {
        "verify" => {
            let flags = parse(args, &["alg", "key-env", "kind"], &[])?;
            verify(&flags)
        }
        "issue" => {
            let flags = parse(args, &["alg", "key-env", "kind"], &[])?;
            issue(&flags)
        }
        "refresh" => {
            let flags = parse(args, &["alg", "key-env"], &["rotate"])?;
            refresh(&flags)
        }
        "inspect" => {
            Flags::parse(args, &[], &[])?;
            inspect_tokens()
        }
        other => Err(UsageError::new(format!(
            "unknown token op `{other}`; expected issue, verify, inspect or refresh"
        ))),
    }
}

fn parse(args: &[String], own: &[&str], switches: &[&str]) -> Result<Flags, UsageError> {
    let valued: Vec<&str> = own.iter().chain(CLAIM_FLAGS.iter()).copied().collect();
    Flags::parse(args, &valued, switches)
}

fn failure(err: &TokenError) -> Failure {
    Failure::new(err.code(), err.to_string())
}

fn now(flags: &Flags) -> Result<UnixTime, UsageError> {
    match flags.get("now") {
        None => Ok(SystemClock.now()),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .and_then(UnixTime::from_secs)
            .ok_or_else(|| UsageError::new("--now must be whole Unix seconds")),
    }
}

fn config(flags: &Flags, rotate: bool) -> Result<TokenConfig, UsageError> {
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![algorithm(flags)?];
    if let Some(text) = flags.get("leeway") {
        config.leeway = portcullis::token::parse_duration(text)
            .map_err(|e| UsageError::new(format!("--leeway: {e}")))?;
    }
    config.audience = flags.get("audience").map(str::to_owned);
    config.issuer = flags.get("issuer").map(str::to_owned);
    for (flag, field) in [
        ("user-id-claim", &mut config.user_id_claim),
        ("token-type-claim", &mut config.token_type_claim),
        ("jti-claim", &mut config.jti_claim),
    ] {
        if let Some(name) = flags.get(flag) {
            *field = name.to_owned();
        }
    }
    config.rotate_refresh_tokens = rotate;
    config.blacklist_after_rotation = rotate;
    Ok(config)
}

fn algorithm(flags: &Flags) -> Result<Algorithm, UsageError> {
    flags
        .require("alg")?
        .parse::<Algorithm>()
        .map_err(|e| UsageError::new(format!("--alg: {e}")))
}

fn key_text(flags: &Flags) -> Result<SecretString, UsageError> {
    let var = flags.require("key-env")?;
    SecretString::from_env(var, KeyLength::AtLeast(1))
        .map_err(|e| UsageError::from(portcullis::Error::from(e)))
}

fn signing_keyring(flags: &Flags) -> Result<Keyring, UsageError> {
    let alg = algorithm(flags)?;
    let text = key_text(flags)?;
    let key = match alg.family() {
        KeyFamily::Hmac => SigningKey::hmac(alg, &text.to_bytes()),
        _ => SigningKey::from_pem(alg, text.expose_secret()),
    }
    .map_err(|e| UsageError::new(e.to_string()))?;
    Ok(Keyring::new(match flags.get("kid") {
        Some(kid) => key.with_kid(kid),
        None => key,
    }))
}

fn verifying_keyring(flags: &Flags) -> Result<Keyring, UsageError> {
    let alg = algorithm(flags)?;
    let text = key_text(flags)?;
    let key = match alg.family() {
        KeyFamily::Hmac => VerifyingKey::hmac(alg, &text.to_bytes()),
        _ => VerifyingKey::from_pem(alg, text.expose_secret()),
    }
    .map_err(|e| UsageError::new(e.to_string()))?;
    Ok(Keyring::verify_only(match flags.get("kid") {
        Some(kid) => key.with_kid(kid),
        None => key,
    }))
}

fn service(flags: &Flags, keyring: Keyring, rotate: bool) -> Result<TokenService, UsageError> {
    TokenService::in_memory(config(flags, rotate)?, keyring)
        .map_err(|e| UsageError::new(e.to_string()))
}

fn kind_flag(flags: &Flags, allow_any: bool) -> Result<Option<TokenKind>, UsageError> {
    match flags.get("kind") {
        None if allow_any => Ok(Some(TokenKind::Access)),
        Some("any") if allow_any => Ok(None),
        Some(text) => TokenKind::from_claim(text).map(Some).ok_or_else(|| {
            UsageError::new(format!(
                "--kind must be access, refresh, sliding{}; got `{text}`",
                if allow_any { " or any" } else { "" }
            ))
        }),
        None => Err(UsageError::new("flag --kind is required")),
    }
}

fn verify(flags: &Flags) -> Result<Outcome, UsageError> {
    let kind = kind_flag(flags, true)?;
    let svc = service(flags, verifying_keyring(flags)?, false)?;
    let now = now(flags)?;
    for_each_line(|line| {
        let claims = match kind {
            Some(kind) => svc.verify(line, kind, now),
            None => svc.verify_any(line, now),
        }
        .map_err(|e| failure(&e))?;
        let mut out = Map::new();
        out.insert(
            "kind".into(),
            claims
                .token_type()
                .map_or(Value::Null, |t| Value::String(t.to_owned())),
        );
        out.insert("claims".into(), Value::Object(claims.into_map()));
        Ok(out)
    })
}

fn issue(flags: &Flags) -> Result<Outcome, UsageError> {
    let kind =
        kind_flag(flags, false)?.ok_or_else(|| UsageError::new("flag --kind is required"))?;
    let svc = service(flags, signing_keyring(flags)?, false)?;
    let now = now(flags)?;
    for_each_line(|line| {
        let bad_input = |m: &str| Failure::new("invalid_input", m);
        let Ok(Value::Object(mut input)) = serde_json::from_str::<Value>(line) else {
            return Err(bad_input(
                "expected a JSON object like {\"user_id\": \"42\", ...}",
            ));
        };
        let user = match input.remove("user_id") {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => return Err(bad_input("\"user_id\" must be a string or an integer")),
        };
        let token = svc
            .tokens()
            .issue(kind, &user, &input, now)
            .map_err(|e| failure(&e))?;
        let mut out = Map::new();
        out.insert("token".into(), Value::String(token));
        Ok(out)
    })
}

fn refresh(flags: &Flags) -> Result<Outcome, UsageError> {
    let svc = service(flags, signing_keyring(flags)?, flags.switch("rotate"))?;
    let now = now(flags)?;
    // One store for the whole run: a token replayed later in the same input is caught.
    for_each_line(|line| {
        let out = svc.refresh(line, now).map_err(|e| failure(&e))?;
        let mut fields = Map::new();
        fields.insert("access".into(), Value::String(out.access));
        if let Some(refresh) = out.refresh {
            fields.insert("refresh".into(), Value::String(refresh));
        }
        Ok(fields)
    })
}

fn inspect_tokens() -> Result<Outcome, UsageError> {
    eprintln!(
        "portcullis: WARNING: `token inspect` decodes WITHOUT verifying; nothing it prints can be trusted"
    );
    for_each_line(|line| {
        let seen = inspect(line, 1024 * 1024).map_err(|e| failure(&e))?;
        let mut out = Map::new();
        out.insert("header".into(), Value::Object(seen.header));
        out.insert("claims".into(), Value::Object(seen.claims));
        out.insert("verified".into(), Value::Bool(false));
        Ok(out)
    })
}
