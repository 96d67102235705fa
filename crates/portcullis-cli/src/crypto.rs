//! `fernet encrypt|decrypt|rotate` and `sealed encrypt|decrypt`.
//!
//! Plaintext travels as standard base64 (one line per value); keys come from
//! `--key-env VAR`: for Fernet one key or several separated by commas (first key
//! primary), for sealed `<kid>:<key>` entries separated by commas.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::crypto::{Context, CryptoError, MultiFernet, SealedKeyset};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line};

pub(crate) fn run_fernet(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    let flags = Flags::parse(args, &["key-env", "ttl", "now"], &[])?;
    let keys = MultiFernet::from_env(flags.require("key-env")?).map_err(portcullis::Error::from)?;
    let ttl = parse_u64(&flags, "ttl")?;
    let now = match parse_u64(&flags, "now")? {
        Some(secs) => UnixTime::from_secs(secs)
            .ok_or_else(|| UsageError::new("--now: expected Unix seconds before the year 2554"))?,
        None => SystemClock.now(),
    };
    match op {
        "encrypt" => {
            if ttl.is_some() {
                return Err(UsageError::new("--ttl applies to decrypt only"));
            }
            for_each_line(|line| {
                let plain = decode_plaintext(line)?;
                let token = keys.encrypt_at_time(&plain, now).map_err(failure)?;
                Ok(fields([("token", Value::String(token))]))
            })
        }
        "decrypt" => for_each_line(|token| {
            let plain = match ttl {
                Some(ttl) => keys.decrypt_at_time(token, ttl, now),
                None => keys.decrypt(token, None),
            }
            .map_err(failure)?;
            let timestamp = keys.extract_timestamp(token).map_err(failure)?;
            Ok(fields([
                (
                    "plaintext_b64",
                    Value::String(STANDARD.encode(plain.expose_secret())),
                ),
                ("timestamp", Value::from(timestamp)),
            ]))
        }),
        "rotate" => {
            if ttl.is_some() {
                return Err(UsageError::new(
                    "--ttl does not apply to rotate: rotation keeps the token's timestamp",
                ));
            }
            for_each_line(|token| {
                let rotated = keys.rotate(token).map_err(failure)?;
                Ok(fields([("token", Value::String(rotated))]))
            })
        }
        other => Err(UsageError::new(format!(
            "unknown fernet op `{other}`; expected encrypt, decrypt or rotate"
        ))),
    }
}

pub(crate) fn run_sealed(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    let flags = Flags::parse(args, &["key-env", "context"], &[])?;
    let keys =
        SealedKeyset::from_env(flags.require("key-env")?).map_err(portcullis::Error::from)?;
    // `table:column:row_id` splits into at most three parts, so the row id may
    // itself contain `:`; this equals `Context::row(table, column, row_id)`.
    let context = flags
        .get("context")
        .map_or_else(Context::none, |c| Context::from_parts(c.splitn(3, ':')));
    match op {
        "encrypt" => for_each_line(|line| {
            let plain = decode_plaintext(line)?;
            let sealed = keys.seal(&plain, &context).map_err(failure)?;
            Ok(fields([("sealed", Value::String(sealed))]))
        }),
        "decrypt" => for_each_line(|sealed| {
            let plain = keys.open(sealed, &context).map_err(failure)?;
            Ok(fields([(
                "plaintext_b64",
                Value::String(STANDARD.encode(plain.expose_secret())),
            )]))
        }),
        other => Err(UsageError::new(format!(
            "unknown sealed op `{other}`; expected encrypt or decrypt"
        ))),
    }
}

fn parse_u64(flags: &Flags, name: &str) -> Result<Option<u64>, UsageError> {
    flags
        .get(name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                UsageError::new(format!(
                    "--{name} must be a whole number of seconds from 0 to {}",
                    u64::MAX
                ))
            })
        })
        .transpose()
}

fn decode_plaintext(line: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    STANDARD
        .decode(line)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| Failure::new("invalid_input", "the line is not standard base64"))
}

fn failure(err: CryptoError) -> Failure {
    let code = match err {
        CryptoError::InvalidToken => "invalid_token",
        CryptoError::TooLarge { .. } => "too_large",
        CryptoError::UnknownKeyId { .. } => "unknown_key",
        _ => "error",
    };
    Failure::new(code, err.to_string())
}

fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
