//! `password validate|hash|verify`: policy checks and Django-compatible hashes.
//!
//! Passwords come on stdin, one JSON object a line, never on the command line.

use serde_json::{Map, Value, json};

use portcullis::password::hash::{Argon2Params, HashFormat, Hasher, ScryptParams};
use portcullis::password::{PasswordError, Policy, UserAttributes};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line, for_each_line_with_fields};

const COST_FLAGS: [&str; 9] = [
    "format",
    "iterations",
    "memory-kib",
    "time-cost",
    "parallelism",
    "scrypt-log-n",
    "scrypt-r",
    "scrypt-p",
    "bcrypt-cost",
];

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match op {
        "validate" => validate(&Flags::parse(args, &["profile", "context-words"], &[])?),
        "hash" => hash(&hasher(&Flags::parse(args, &COST_FLAGS, &[])?)?),
        "verify" => verify(&hasher(&Flags::parse(args, &COST_FLAGS, &[])?)?),
        other => Err(UsageError::new(format!(
            "unknown password operation `{other}`; expected validate, hash or verify"
        ))),
    }
}

fn policy(flags: &Flags) -> Result<Policy, UsageError> {
    let profile = flags.get("profile").unwrap_or("django");
    let policy = match profile {
        "django" => Policy::django(),
        "production" => Policy::production(),
        "nist" => Policy::nist_800_63b4(),
        other => {
            return Err(UsageError::new(format!(
                "unknown --profile `{other}`; expected django, production or nist"
            )));
        }
    };
    Ok(match flags.get("context-words") {
        Some(words) => policy.with_context_words(words.split(',')),
        None => policy,
    })
}

fn invalid_input(message: impl Into<String>) -> Failure {
    Failure::new("invalid_input", message)
}

/// The JSON object on one stdin line.
fn object(line: &str) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_input("each line must be a JSON object")),
        Err(e) => Err(invalid_input(format!("the line is not JSON: {e}"))),
    }
}

fn string_field<'a>(map: &'a Map<String, Value>, name: &str) -> Result<&'a str, Failure> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_input(format!("field \"{name}\" must be a string")))
}

fn validate(flags: &Flags) -> Result<Outcome, UsageError> {
    let policy = policy(flags)?;
    for_each_line_with_fields(|line| {
        let input = object(line).map_err(|f| (f, Map::new()))?;
        let password = string_field(&input, "password").map_err(|f| (f, Map::new()))?;
        // Like Django, attributes that are not strings are ignored.
        let user = match input.get("user") {
            None | Some(Value::Null) => None,
            Some(Value::Object(attrs)) => Some(attrs.iter().fold(
                UserAttributes::new(),
                |user, (name, value)| match value.as_str() {
                    Some(text) => user.with(name, text),
                    None => user,
                },
            )),
            Some(_) => {
                return Err((
                    invalid_input("field \"user\" must be an object of attributes"),
                    Map::new(),
                ));
            }
        };
        let violations = policy.check(password, user.as_ref());
        let list: Vec<Value> = violations
            .iter()
            .map(|v| json!({"code": v.code(), "message": v.message()}))
            .collect();
        let mut fields = Map::new();
        fields.insert("violations".into(), Value::Array(list));
        match violations.first() {
            None => Ok(fields),
            Some(first) => {
                let message = violations
                    .iter()
                    .map(|v| v.message())
                    .collect::<Vec<_>>()
                    .join(" ");
                Err((Failure::new(first.code(), message), fields))
            }
        }
    })
}

fn number(flags: &Flags, name: &str) -> Result<Option<u32>, UsageError> {
    flags
        .get(name)
        .map(|text| {
            text.parse::<u32>().map_err(|_| {
                UsageError::new(format!("--{name} must be a whole number, got `{text}`"))
            })
        })
        .transpose()
}

fn hasher(flags: &Flags) -> Result<Hasher, UsageError> {
    let name = flags.get("format").unwrap_or("argon2");
    let format = HashFormat::from_name(name).ok_or_else(|| {
        UsageError::new(format!(
            "unknown --format `{name}`; expected argon2, django-argon2, django-pbkdf2_sha256, django-pbkdf2_sha1, django-scrypt or django-bcrypt_sha256"
        ))
    })?;
    let mut hasher = Hasher::new(format);
    if let Some(iterations) = number(flags, "iterations")? {
        hasher = hasher
            .with_pbkdf2_iterations(iterations)
            .map_err(|e| UsageError::new(format!("--iterations: {e}")))?;
    }
    let costs = [
        number(flags, "memory-kib")?,
        number(flags, "time-cost")?,
        number(flags, "parallelism")?,
    ];
    if costs.iter().any(Option::is_some) {
        let [Some(m), Some(t), Some(p)] = costs else {
            return Err(UsageError::new(
                "--memory-kib, --time-cost and --parallelism go together",
            ));
        };
        let params = Argon2Params::new(m, t, p).map_err(|e| UsageError::new(e.to_string()))?;
        hasher = hasher.with_argon2_params(params);
    }
    let scrypt = [
        number(flags, "scrypt-log-n")?,
        number(flags, "scrypt-r")?,
        number(flags, "scrypt-p")?,
    ];
    if scrypt.iter().any(Option::is_some) {
        let [Some(log_n), Some(r), Some(p)] = scrypt else {
            return Err(UsageError::new(
                "--scrypt-log-n, --scrypt-r and --scrypt-p go together",
            ));
        };
        let log_n = u8::try_from(log_n)
            .map_err(|_| UsageError::new("--scrypt-log-n must be between 1 and 20"))?;
        let params = ScryptParams::new(log_n, r, p).map_err(|e| UsageError::new(e.to_string()))?;
        hasher = hasher.with_scrypt_params(params);
    }
    if let Some(cost) = number(flags, "bcrypt-cost")? {
        hasher = hasher
            .with_bcrypt_cost(cost)
            .map_err(|e| UsageError::new(format!("--bcrypt-cost: {e}")))?;
    }
    Ok(hasher)
}

fn failure(err: &PasswordError) -> Failure {
    let code = match err {
        PasswordError::TooLong { .. } => "password_too_long",
        PasswordError::MalformedHash { .. } => "malformed_hash",
        PasswordError::UnsupportedParameters { .. } => "unsupported_hash_parameters",
        _ => "hash_failed",
    };
    Failure::new(code, err.to_string())
}

fn hash(hasher: &Hasher) -> Result<Outcome, UsageError> {
    for_each_line(|line| {
        let input = object(line)?;
        let password = string_field(&input, "password")?;
        let hash = hasher.hash(password).map_err(|e| failure(&e))?;
        let mut fields = Map::new();
        fields.insert("hash".into(), Value::String(hash));
        Ok(fields)
    })
}

fn verify(hasher: &Hasher) -> Result<Outcome, UsageError> {
    for_each_line(|line| {
        let input = object(line)?;
        let password = string_field(&input, "password")?;
        let encoded = string_field(&input, "hash")?;
        let check = hasher.verify(password, encoded).map_err(|e| failure(&e))?;
        if !check.is_correct {
            // Django's code for a wrong current password.
            return Err(Failure::new(
                "password_incorrect",
                "The password does not match the stored hash.",
            ));
        }
        let mut fields = Map::new();
        fields.insert("must_update".into(), Value::Bool(check.must_update));
        Ok(fields)
    })
}
