//! Strict JSON for JOSE headers and claims: a member given twice is refused, where
//! `serde_json::Value` would silently keep the last one (RFC 7515 section 5.2 lets a
//! verifier refuse, and two parsers reading one proof differently is an attack).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why strict parsing failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StrictError {
    /// Not JSON.
    Syntax,
    /// A member appears twice in one object.
    Duplicate,
}

/// `bytes` as a JSON object, refusing duplicate members at any depth.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, StrictError> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(_) => Err(StrictError::Syntax),
        Err(e) if e.to_string().starts_with(DUPLICATE) => Err(StrictError::Duplicate),
        Err(_) => Err(StrictError::Syntax),
    }
}

const DUPLICATE: &str = "duplicate JSON member";

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(StrictError::Duplicate)
        );
        assert_eq!(
            parse_object(br#"{"j":{"x":1,"x":1}}"#),
            Err(StrictError::Duplicate)
        );
        assert_eq!(
            parse_object(br#"{"l":[{"x":1,"x":1}]}"#),
            Err(StrictError::Duplicate)
        );
        assert!(parse_object(br#"{"a":1,"b":{"a":2},"c":[1,"x",null,true,1.5]}"#).is_ok());
    }

    #[test]
    fn non_objects_and_bad_json_are_syntax_errors() {
        for bad in [&b"[]"[..], b"1", b"{", b"{\"a\":1}x", b"\xff"] {
            assert_eq!(parse_object(bad), Err(StrictError::Syntax), "{bad:?}");
        }
    }
}
