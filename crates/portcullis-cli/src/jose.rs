//! `jwe encrypt|decrypt`: compact JWE (RFC 7516) with one JWK from `--key-env VAR`.
//!
//! Plaintext travels as standard base64, one value per line. The key variable
//! holds one JWK as JSON: `oct` for `dir` and A*KW, EC P-256 or OKP X25519 for
//! ECDH-ES (public to encrypt, private to decrypt).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use portcullis::jose::jwe::{
    self, ContentEncryption, JweDecryptor, JweError, JweKey, KeyManagement,
};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line};

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match op {
        "encrypt" => {
            let flags = Flags::parse(args, &["key-env", "alg", "enc"], &[])?;
            let key = load_key(flags.require("key-env")?)?;
            let alg = parse(KeyManagement::from_name(flags.require("alg")?), "alg")?;
            let enc = parse(ContentEncryption::from_name(flags.require("enc")?), "enc")?;
            if !key.allows(alg) || !key.allows_enc(enc) {
                return Err(UsageError::new(format!(
                    "the key in --key-env does not allow --alg {} with --enc {}",
                    alg.name(),
                    enc.name()
                )));
            }
            for_each_line(|line| {
                let plain = STANDARD.decode(line).map(Zeroizing::new).map_err(|_| {
                    Failure::new("invalid_input", "the line is not standard base64")
                })?;
                let token = jwe::encrypt(&key, alg, enc, &plain).map_err(failure)?;
                Ok(Map::from_iter([("jwe".to_owned(), Value::String(token))]))
            })
        }
        "decrypt" => {
            let flags = Flags::parse(args, &["key-env", "alg"], &[])?;
            let key = load_key(flags.require("key-env")?)?;
            if !key.can_decrypt() {
                return Err(UsageError::new(
                    "the key in --key-env is a public key; decryption needs the private key",
                ));
            }
            let mut decryptor = JweDecryptor::new(key);
            if let Some(alg) = flags.get("alg") {
                decryptor = decryptor.expect_alg(parse(KeyManagement::from_name(alg), "alg")?);
            }
            for_each_line(|token| {
                let opened = decryptor.decrypt(token).map_err(failure)?;
                Ok(Map::from_iter([
                    (
                        "plaintext_b64".to_owned(),
                        Value::String(STANDARD.encode(opened.plaintext())),
                    ),
                    ("header".to_owned(), Value::Object(opened.header().clone())),
                ]))
            })
        }
        other => Err(UsageError::new(format!(
            "unknown jwe op `{other}`; expected encrypt or decrypt"
        ))),
    }
}

fn load_key(var: &str) -> Result<JweKey, UsageError> {
    let text = Zeroizing::new(std::env::var(var).map_err(|_| {
        UsageError::new(format!(
            "environment variable {var} is not set or not UTF-8"
        ))
    })?);
    JweKey::from_jwk(&text).map_err(|e| UsageError::new(format!("{var}: {e}")))
}

fn parse<T>(parsed: Result<T, JweError>, flag: &str) -> Result<T, UsageError> {
    parsed.map_err(|e| UsageError::new(format!("--{flag}: {e}")))
}

fn failure(err: JweError) -> Failure {
    let code = match err {
        JweError::TooLarge { .. } => "too_large",
        JweError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
        _ => "invalid_token",
    };
    Failure::new(code, err.to_string())
}
