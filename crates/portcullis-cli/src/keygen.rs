//! `keygen <kind>`: one freshly generated key, printed as a JSON line.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use serde_json::{Map, Value};

use portcullis::crypto::{Fernet, SealedKey};
use portcullis::secret::{Encoding, SecretBytes};

use crate::cli::{Flags, Outcome, UsageError, print_ok};

pub(crate) fn run(kind: &str, _flags: Flags) -> Result<Outcome, UsageError> {
    let key = match kind {
        // An HMAC key is the raw text of its variable (as Django's SECRET_KEY is
        // SimpleJWT's): 48 random bytes as unpadded base64url, 64 characters.
        "hs256" => {
            let bytes = SecretBytes::generate(48).map_err(portcullis::Error::from)?;
            let text = bytes.encode(Encoding::Base64Url);
            text.expose_secret().trim_end_matches('=').to_owned()
        }
        "es256" => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| UsageError::new("the system random generator failed"))?;
            pem("PRIVATE KEY", pkcs8.as_ref())
        }
        "ed25519" => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| UsageError::new("the system random generator failed"))?;
            pem("PRIVATE KEY", pkcs8.as_ref())
        }
        // A Fernet key as Python's Fernet.generate_key() prints it.
        "fernet" => Fernet::generate_key()
            .map_err(portcullis::Error::from)?
            .expose_secret()
            .to_owned(),
        // `<kid>:<key>`, the form SealedKeyset reads; the id is 8 random characters.
        "sealed" => {
            let id = SecretBytes::generate(6).map_err(portcullis::Error::from)?;
            let kid = id.encode(Encoding::Base64Url);
            SealedKey::generate(kid.expose_secret())
                .map_err(portcullis::Error::from)?
                .to_text()
                .expose_secret()
                .to_owned()
        }
        other => {
            return Err(UsageError::new(format!(
                "unknown key kind `{other}`; expected hs256, es256, ed25519, fernet or sealed"
            )));
        }
    };
    let mut fields = Map::new();
    fields.insert("kind".into(), Value::String(kind.to_owned()));
    fields.insert("key".into(), Value::String(key));
    print_ok(fields);
    Ok(Outcome::AllOk)
}

/// RFC 7468 text encoding: base64 in 64-character lines between labels.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
