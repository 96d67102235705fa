//! Token kinds and claims: parsed strictly (types checked, duplicates refused).
//!
//! NumericDate claims (`exp`, `nbf`, `iat`, `refresh_exp`) may be fractional, as
//! RFC 7519 section 2 allows and PyJWT accepts. JSON numbers arrive as `f64`, which
//! at today's epoch values resolves about a quarter of a microsecond, so a fractional
//! value is rounded to the nearest microsecond: `1893456000.5` is exactly half a
//! second past `1893456000`. Strings, booleans, negatives and values past the end of
//! [`UnixTime`]'s range (the year 2554) are refused.

use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::error::{Invalid, TokenError};
use super::json::{AnyJson, Members, ObjectError, read_object};
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

/// A verified claim set.
///
/// The registered and SimpleJWT claims are parsed into typed fields up front; every
/// claim, including custom ones, stays available through [`Claims::get`] and
/// [`Claims::custom`]. NumericDates (`exp`, `nbf`, `iat`, `refresh_exp`) may be
/// fractional (RFC 7519 section 2, as PyJWT accepts); a JSON number is an `f64`,
/// which at today's epoch values resolves about a quarter of a microsecond, so a
/// fraction is rounded to the microsecond. Strings, booleans, negatives and values
/// past the year 2554 are refused.
///
/// The claims' text is checked whole when the token is verified (syntax, UTF-8,
/// duplicates, the typed claims' types), but the map of every claim is built only
/// the first time something asks for it, so a per-request verify that reads only
/// the typed claims builds none.
#[derive(Clone)]
pub struct Claims {
    /// The claims' JSON text, as verified.
    json: String,
    /// Every claim, parsed from `json` on first use.
    map: OnceLock<Map<String, Value>>,
    exp: UnixTime,
    iat: Option<UnixTime>,
    nbf: Option<UnixTime>,
    refresh_exp: Option<UnixTime>,
    token_type: Option<String>,
    jti: Option<String>,
    user_id: Option<String>,
    family: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<Value>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(self.as_map()).finish()
    }
}

impl PartialEq for Claims {
    /// The same claims (the typed fields follow from them and the claim names).
    fn eq(&self, other: &Self) -> bool {
        self.typed() == other.typed() && self.as_map() == other.as_map()
    }
}

/// How many claims are typed: `exp`, `iat`, `nbf`, `refresh_exp`, the token type, `jti`,
/// `family`, the user id, `iss`, `sub` and `aud`, in the order they are checked.
const TYPED: usize = 11;

/// The typed claims' values, found in one pass over the claims' text.
struct TypedMembers<'n> {
    names: [&'n str; TYPED],
    slots: [Option<Value>; TYPED],
}

impl<'de> Members<'de> for TypedMembers<'_> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, access: &mut A) -> Result<(), A::Error> {
        let mut slots = self
            .names
            .iter()
            .zip(self.slots.iter_mut())
            .filter(|(name, _)| **name == key)
            .map(|(_, slot)| slot);
        let Some(first) = slots.next() else {
            access.next_value::<AnyJson>()?;
            return Ok(());
        };
        let value: Value = access.next_value()?;
        // Configured names may coincide (a user id claim named `sub`): each role
        // gets the value.
        for slot in slots {
            *slot = Some(value.clone());
        }
        *first = Some(value);
        Ok(())
    }
}

impl Claims {
    /// Parses `payload` (JSON) with the claim `names`: a claim of the wrong type is
    /// an error, never "absent".
    pub(crate) fn parse(payload: String, names: &ClaimNames) -> Result<Self, TokenError> {
        let mut typed = TypedMembers {
            names: [
                "exp",
                "iat",
                "nbf",
                &names.refresh_exp,
                &names.token_type,
                &names.jti,
                super::FAMILY_CLAIM,
                &names.user_id,
                "iss",
                "sub",
                "aud",
            ],
            slots: Default::default(),
        };
        read_object(&payload, &mut typed).map_err(|e| match e {
            ObjectError::Duplicate => TokenError::Invalid(Invalid::ClaimType),
            ObjectError::Syntax => TokenError::Invalid(Invalid::Malformed),
        })?;
        let [
            exp,
            iat,
            nbf,
            refresh_exp,
            token_type,
            jti,
            family,
            user_id,
            iss,
            sub,
            aud,
        ] = typed.slots;
        // Checked in this order (a struct expression evaluates its fields as written).
        Ok(Self {
            exp: numeric(exp.as_ref())?.ok_or(TokenError::NoExpiry)?,
            iat: numeric(iat.as_ref())?,
            nbf: numeric(nbf.as_ref())?,
            refresh_exp: numeric(refresh_exp.as_ref())?,
            token_type: string(token_type)?,
            jti: string(jti)?,
            family: string(family)?,
            user_id: user_id_text(user_id)?,
            issuer: string(iss)?,
            subject: string(sub)?,
            audience: audience(aud)?,
            json: payload,
            map: OnceLock::new(),
        })
    }

    /// The typed fields, for comparison.
    #[allow(clippy::type_complexity)]
    fn typed(&self) -> (UnixTime, [Option<UnixTime>; 3], [Option<&str>; 4]) {
        (
            self.exp,
            [self.iat, self.nbf, self.refresh_exp],
            [self.token_type(), self.jti(), self.user_id(), self.family()],
        )
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
        self.issuer.as_deref()
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// Whether `aud` names `audience` (a string, or an array containing it).
    pub fn has_audience(&self, audience: &str) -> bool {
        match &self.audience {
            Some(Value::String(s)) => s == audience,
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(audience)),
            _ => false,
        }
    }

    /// Whether the token carries `aud` at all.
    pub(crate) fn has_any_audience(&self) -> bool {
        self.audience.is_some()
    }

    /// Any claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// Every claim.
    pub fn as_map(&self) -> &Map<String, Value> {
        // The text passed the same checks at verification (one-pass reading accepts
        // exactly what this parse accepts), so the fallback is never taken.
        self.map
            .get_or_init(|| parse_object(self.json.as_bytes()).unwrap_or_default())
    }

    /// Every claim, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.as_map();
        self.map.into_inner().unwrap_or_default()
    }

    /// The claims deserialized into the host's own type (custom claims through serde).
    ///
    /// # Errors
    /// [`Invalid::ClaimType`] if they do not fit `T`.
    pub fn custom<T: DeserializeOwned>(&self) -> Result<T, TokenError> {
        T::deserialize(&Value::Object(self.as_map().clone()))
            .map_err(|_| TokenError::Invalid(Invalid::ClaimType))
    }
}

fn numeric(value: Option<&Value>) -> Result<Option<UnixTime>, TokenError> {
    match value {
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

fn string(value: Option<Value>) -> Result<Option<String>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::Invalid(Invalid::ClaimType)),
    }
}

/// The user id claim as text.
fn user_id_text(value: Option<Value>) -> Result<Option<String>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        // Tokens from SimpleJWT before 5.5.1 carry the id as a number.
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(TokenError::Invalid(Invalid::ClaimType)),
    }
}

/// `aud`: a string or an array of strings.
fn audience(value: Option<Value>) -> Result<Option<Value>, TokenError> {
    match &value {
        None | Some(Value::String(_)) => Ok(value),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(value),
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
        Claims::parse(json.to_owned(), &names())
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
