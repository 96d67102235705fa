//! Token kinds and claims: parsed strictly (types checked, duplicates refused).
//!
//! NumericDate claims (`exp`, `nbf`, `iat`, `refresh_exp`) may be fractional, as
//! RFC 7519 section 2 allows and PyJWT accepts. JSON numbers arrive as `f64`, which
//! at today's epoch values resolves about a quarter of a microsecond, so a fractional
//! value is rounded to the nearest microsecond: `1893456000.5` is exactly half a
//! second past `1893456000`. Strings, booleans, negatives and values past the end of
//! [`UnixTime`]'s range (the year 2554) are refused.

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::error::{Invalid, TokenError};
use crate::clock::UnixTime;

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
/// [`Claims::custom`]. NumericDates (`exp`, `nbf`, `iat`, `refresh_exp`) may be
/// fractional (RFC 7519 section 2, as PyJWT accepts); a JSON number is an `f64`,
/// which at today's epoch values resolves about a quarter of a microsecond, so a
/// fraction is rounded to the microsecond. Strings, booleans, negatives and values
/// past the year 2554 are refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
    exp: UnixTime,
    iat: Option<UnixTime>,
    nbf: Option<UnixTime>,
    refresh_exp: Option<UnixTime>,
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

    /// `exp` (to the microsecond when fractional).
    pub fn exp(&self) -> UnixTime {
        self.exp
    }

    /// `iat` (to the microsecond when fractional).
    pub fn iat(&self) -> Option<UnixTime> {
        self.iat
    }

    /// `nbf` (to the microsecond when fractional).
    pub fn nbf(&self) -> Option<UnixTime> {
        self.nbf
    }

    /// A sliding token's `refresh_exp` (to the microsecond when fractional).
    pub fn refresh_exp(&self) -> Option<UnixTime> {
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

fn numeric(map: &Map<String, Value>, name: &str) -> Result<Option<UnixTime>, TokenError> {
    match map.get(name) {
        None => Ok(None),
        Some(v) => numeric_date(v)
            .map(Some)
            .ok_or(TokenError::Invalid(Invalid::ClaimType)),
    }
}

/// A NumericDate: a non-negative JSON number of seconds, fractions rounded to the
/// microsecond; `None` for anything else or past the end of [`UnixTime`]'s range.
pub(crate) fn numeric_date(value: &Value) -> Option<UnixTime> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(secs) = n.as_u64() {
        return UnixTime::from_secs(secs);
    }
    let secs = n.as_f64()?;
    // Also refuses NaN; u64 seconds past 1e11 are out of range anyway.
    if !(0.0..1e11).contains(&secs) {
        return None;
    }
    let whole = secs.trunc();
    let micros = ((secs - whole) * 1e6).round();
    // In range by the check above: whole < 1e11, 0 <= micros <= 1e6.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (whole, micros) = (whole as u64, micros as u64);
    UnixTime::from_secs(whole)?.checked_add(std::time::Duration::from_micros(micros))
}

/// A time as a NumericDate claim value: whole seconds when it has no milliseconds,
/// else seconds with three decimals (the precision this crate's `iat` carries).
pub(crate) fn numeric_date_value(time: UnixTime) -> Value {
    let millis = time.as_nanos() / 1_000_000 % 1000;
    if millis == 0 {
        return Value::from(time.as_secs());
    }
    #[allow(clippy::cast_precision_loss)]
    let secs = time.as_secs() as f64 + millis as f64 / 1000.0;
    Value::from(secs)
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
        assert_eq!(parse(r#"{"exp":-0.5}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":1e12}"#), Err(bad.clone()));
        assert_eq!(parse(r#"{"exp":true}"#), Err(bad.clone()));
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
    fn fractional_numeric_dates_keep_their_microseconds() {
        let c = parse(r#"{"exp":1.5,"iat":1893456000.123456,"nbf":0.0000004}"#).unwrap();
        assert_eq!(c.exp().as_nanos(), 1_500_000_000);
        assert_eq!(
            c.iat().map(UnixTime::as_nanos),
            Some(1_893_456_000_123_456_000)
        );
        assert_eq!(c.nbf(), Some(UnixTime::EPOCH));
        assert!(parse("{\"exp\":1e400}").is_err(), "no infinity");
    }

    #[test]
    fn issued_numeric_dates_round_trip_to_the_millisecond() {
        for nanos in [
            1_800_000_000_000_000_000,
            1_800_000_000_123_999_999,
            999_000_000,
        ] {
            let t = UnixTime::from_nanos(nanos);
            let back = numeric_date(&numeric_date_value(t)).unwrap();
            assert_eq!(back.as_nanos(), nanos / 1_000_000 * 1_000_000, "{nanos}");
        }
        assert!(numeric_date_value(UnixTime::from_secs(7).unwrap()).is_u64());
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
