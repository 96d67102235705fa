//! Token kinds and claims: parsed strictly (types checked, duplicates refused).

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::error::{Invalid, TokenError};

/// SimpleJWT's token kinds, by their `token_type` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A short-lived token that authorizes requests.
    Access,
    /// A long-lived token that only mints access tokens.
    Refresh,
    /// SimpleJWT's sliding token: authorizes requests and is renewed until `refresh_exp`.
    Sliding,
}

impl TokenKind {
    /// The `token_type` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Sliding => "sliding",
        }
    }

    /// The kind named by a `token_type` value.
    pub fn from_claim(value: &str) -> Option<Self> {
        match value {
            "access" => Some(Self::Access),
            "refresh" => Some(Self::Refresh),
            "sliding" => Some(Self::Sliding),
            _ => None,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The claim names in use (configurable as in SimpleJWT).
#[derive(Clone, Debug)]
pub(crate) struct ClaimNames {
    pub(crate) user_id: String,
    pub(crate) token_type: String,
    pub(crate) jti: String,
    pub(crate) refresh_exp: String,
}

/// A verified (or, from [`super::inspect`], merely decoded) claim set.
///
/// The registered and SimpleJWT claims are parsed into typed fields up front; every
/// claim, including custom ones, stays available through [`Claims::get`] and
/// [`Claims::custom`].
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
    exp: u64,
    iat: Option<u64>,
    nbf: Option<u64>,
    refresh_exp: Option<u64>,
    token_type: Option<String>,
    jti: Option<String>,
    user_id: Option<String>,
    family: Option<String>,
}

impl Claims {
    /// Parses `payload` (JSON) with the claim `names`: a claim of the wrong type is
    /// an error, never "absent".
    pub(crate) fn parse(payload: &[u8], names: &ClaimNames) -> Result<Self, TokenError> {
        let map = parse_object(payload)?;
        Self::from_map(map, names)
    }

    pub(crate) fn from_map(
        map: Map<String, Value>,
        names: &ClaimNames,
    ) -> Result<Self, TokenError> {
        let exp = numeric(&map, "exp")?.ok_or(TokenError::NoExpiry)?;
        let iat = numeric(&map, "iat")?;
        let nbf = numeric(&map, "nbf")?;
        let refresh_exp = numeric(&map, &names.refresh_exp)?;
        let token_type = string(&map, &names.token_type)?;
        let jti = string(&map, &names.jti)?;
        let family = string(&map, super::FAMILY_CLAIM)?;
        let user_id = match map.get(&names.user_id) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            // Tokens from SimpleJWT before 5.5.1 carry the id as a number.
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(_) => return Err(TokenError::Invalid(Invalid::ClaimType)),
        };
        for name in ["iss", "sub"] {
            string(&map, name)?;
        }
        match map.get("aud") {
            None | Some(Value::String(_)) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => return Err(TokenError::Invalid(Invalid::ClaimType)),
        }
        Ok(Self {
            map,
            exp,
            iat,
            nbf,
            refresh_exp,
            token_type,
            jti,
            user_id,
            family,
        })
    }

    /// `exp`, Unix seconds.
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// `iat`, Unix seconds.
    pub fn iat(&self) -> Option<u64> {
        self.iat
    }

    /// `nbf`, Unix seconds.
    pub fn nbf(&self) -> Option<u64> {
        self.nbf
    }

    /// A sliding token's `refresh_exp`, Unix seconds.
    pub fn refresh_exp(&self) -> Option<u64> {
        self.refresh_exp
    }

    /// The token type claim's value.
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// The kind the token type claim names, if it names one.
    pub fn kind(&self) -> Option<TokenKind> {
        self.token_type().and_then(TokenKind::from_claim)
    }

    /// The token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// The user id, as a string (an integer id from older SimpleJWT is converted).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The refresh family this token belongs to (this crate's `family` claim).
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }

    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.map.get("iss").and_then(Value::as_str)
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.map.get("sub").and_then(Value::as_str)
    }

    /// Whether `aud` names `audience` (a string, or an array containing it).
    pub fn has_audience(&self, audience: &str) -> bool {
        match self.map.get("aud") {
            Some(Value::String(s)) => s == audience,
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(audience)),
            _ => false,
        }
    }

    /// Any claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// Every claim.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Every claim, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// The claims deserialized into the host's own type (custom claims through serde).
    ///
    /// # Errors
    /// [`Invalid::ClaimType`] if they do not fit `T`.
    pub fn custom<T: DeserializeOwned>(&self) -> Result<T, TokenError> {
        T::deserialize(&Value::Object(self.map.clone()))
            .map_err(|_| TokenError::Invalid(Invalid::ClaimType))
    }
}

fn numeric(map: &Map<String, Value>, name: &str) -> Result<Option<u64>, TokenError> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or(TokenError::Invalid(Invalid::ClaimType)),
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, TokenError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::Invalid(Invalid::ClaimType)),
    }
}

/// A JSON object whose keys must be unique (serde_json keeps the last duplicate).
struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with unique keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.insert(key, value).is_some() {
                        return Err(de::Error::custom("duplicate claim"));
                    }
                }
                Ok(StrictObject(map))
            }
        }
        d.deserialize_map(V)
    }
}

/// Parses a JSON object, refusing duplicate top-level keys.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, TokenError> {
    serde_json::from_slice::<StrictObject>(bytes)
        .map(|o| o.0)
        .map_err(|e| {
            if e.to_string().starts_with("duplicate claim") {
                TokenError::Invalid(Invalid::ClaimType)
            } else {
                TokenError::Invalid(Invalid::Malformed)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ClaimNames {
        ClaimNames {
            user_id: "user_id".into(),
            token_type: "token_type".into(),
            jti: "jti".into(),
            refresh_exp: "refresh_exp".into(),
        }
    }

    fn parse(json: &str) -> Result<Claims, TokenError> {
        Claims::parse(json.as_bytes(), &names())
    }

    #[test]
    fn wrong_types_are_errors_not_absent() {
        let bad = TokenError::Invalid(Invalid::ClaimType);
        assert_eq!(parse(r#"{"exp":"1"}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":-1}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1.5}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"nbf":"0"}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"iat":null}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"jti":5}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"user_id":[1]}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"aud":[1]}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1,"iss":{}}"#), Err(bad));
        assert_eq!(parse(r#"{"iat":1}"#), Err(TokenError::NoExpiry));
        assert_eq!(parse("[1]"), Err(TokenError::Invalid(Invalid::Malformed)));
    }

    #[test]
    fn duplicate_claims_are_refused() {
        assert_eq!(
            parse(r#"{"exp":1,"role":"user","role":"admin"}"#),
            Err(TokenError::Invalid(Invalid::ClaimType))
        );
    }

    #[test]
    fn integer_user_ids_from_old_simplejwt_become_strings() {
        let c = parse(r#"{"exp":1,"user_id":42,"aud":["a","b"]}"#).unwrap();
        assert_eq!(c.user_id(), Some("42"));
        assert!(c.has_audience("b") && !c.has_audience("c"));
    }
}
