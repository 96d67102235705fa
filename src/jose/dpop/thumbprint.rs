//! RFC 7638 JWK thumbprints: SHA-256 over the key's required members, in
//! lexicographic order, with no whitespace; base64url without padding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use serde_json::{Map, Value};

use super::error::ProofDefect;

/// A JWK's RFC 7638 SHA-256 thumbprint (base64url), as a token's `cnf.jkt` carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Jkt(String);

impl Jkt {
    /// The thumbprint of a public JWK given as a JSON object: `EC` (`crv`, `kty`, `x`,
    /// `y`), `RSA` (`e`, `kty`, `n`) or `OKP` (`crv`, `kty`, `x`).
    ///
    /// ```
    /// use portcullis::jose::dpop::Jkt;
    ///
    /// let jwk = serde_json::json!({"kty": "EC", "crv": "P-256",
    ///     "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
    ///     "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"});
    /// let jkt = Jkt::of_jwk(jwk.as_object().unwrap()).unwrap();
    /// assert_eq!(jkt.as_str(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    /// ```
    ///
    /// # Errors
    /// [`ProofDefect::Key`] if `kty` is another type or a required member is missing
    /// or not a string.
    pub fn of_jwk(jwk: &Map<String, Value>) -> Result<Self, ProofDefect> {
        let kty = member(jwk, "kty")?;
        let names: &[&str] = match kty {
            "EC" => &["crv", "kty", "x", "y"],
            "RSA" => &["e", "kty", "n"],
            "OKP" => &["crv", "kty", "x"],
            _ => return Err(ProofDefect::Key),
        };
        let mut canonical = String::from("{");
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                canonical.push(',');
            }
            // serde_json writes a string with JSON's minimal escaping, as RFC 7638 asks.
            let value = serde_json::to_string(member(jwk, name)?).map_err(|_| ProofDefect::Key)?;
            canonical.push('"');
            canonical.push_str(name);
            canonical.push_str("\":");
            canonical.push_str(&value);
        }
        canonical.push('}');
        let hash = digest::digest(&digest::SHA256, canonical.as_bytes());
        Ok(Self(URL_SAFE_NO_PAD.encode(hash.as_ref())))
    }

    /// A thumbprint received as text (from a token's `cnf.jkt`), taken as given.
    pub fn from_encoded(encoded: impl Into<String>) -> Self {
        Self(encoded.into())
    }

    /// The base64url text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Jkt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, ProofDefect> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(ProofDefect::Key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn member_order_and_extra_members_do_not_change_the_thumbprint() {
        let a = obj(serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "abc"}));
        let b = obj(serde_json::json!({"x": "abc", "kid": "k", "crv": "Ed25519", "kty": "OKP"}));
        assert_eq!(Jkt::of_jwk(&a), Jkt::of_jwk(&b));
    }

    #[test]
    fn unknown_kty_or_missing_members_are_refused() {
        for bad in [
            serde_json::json!({"kty": "oct", "k": "abc"}),
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": "a"}),
            serde_json::json!({"kty": "RSA", "n": "a", "e": 3}),
            serde_json::json!({"crv": "Ed25519", "x": "a"}),
        ] {
            assert_eq!(Jkt::of_jwk(&obj(bad)), Err(ProofDefect::Key));
        }
    }
}
