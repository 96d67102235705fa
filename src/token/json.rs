//! One-pass strict reading of a JSON object, for the verify path.
//!
//! A token's header and claims are read in a single pass over their text: members
//! the caller types are handed to it, every other member is parsed and dropped
//! (numbers, strings and escapes checked exactly as a `serde_json::Value` parse
//! checks them, so a document this accepts is one that [`super::claims::parse_object`]
//! accepts too), and duplicate top-level keys are refused. Nothing is built for the
//! members nobody reads, which is where a `Value` parse spends its time.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why an object was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectError {
    /// Not a JSON object, or a member the reader refused.
    Syntax,
    /// A top-level key appears twice.
    Duplicate,
}

/// The members of one object, as the caller reads them.
pub(crate) trait Members<'de> {
    /// Reads the value of the member `key` (exactly one `next_value*` call on `access`).
    ///
    /// # Errors
    /// A value of a type the member does not allow.
    fn member<A: MapAccess<'de>>(&mut self, key: &str, access: &mut A) -> Result<(), A::Error>;
}

/// Reads the object `text` member by member into `members`.
pub(crate) fn read_object<'de, M: Members<'de>>(
    text: &'de str,
    members: &mut M,
) -> Result<(), ObjectError> {
    let mut duplicate = false;
    let seed = ObjectSeed {
        members,
        duplicate: &mut duplicate,
        marker: PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = seed
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match read {
        Ok(()) => Ok(()),
        Err(_) if duplicate => Err(ObjectError::Duplicate),
        Err(_) => Err(ObjectError::Syntax),
    }
}

/// Up to this many keys are checked for duplicates by a scan, beyond it by a hash set
/// (so a large object stays linear).
const SCANNED_KEYS: usize = 16;

/// The keys seen so far: the first few on the stack, then in a hash set.
#[derive(Default)]
struct SeenKeys<'de> {
    few: [Cow<'de, str>; SCANNED_KEYS],
    few_len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenKeys<'de> {
    /// Records `key`; `false` if it was seen before.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        if self.few.iter().take(self.few_len).any(|seen| *seen == key) {
            return false;
        }
        match self.few.get_mut(self.few_len) {
            Some(slot) => {
                *slot = key;
                self.few_len += 1;
            }
            None => {
                let mut many: HashSet<_> = self.few.iter_mut().map(std::mem::take).collect();
                many.insert(key);
                self.many = Some(many);
            }
        }
        true
    }
}

struct ObjectSeed<'m, 'de, M> {
    members: &'m mut M,
    duplicate: &'m mut bool,
    marker: PhantomData<&'de ()>,
}

impl<'de, M: Members<'de>> DeserializeSeed<'de> for ObjectSeed<'_, 'de, M> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, M: Members<'de>> Visitor<'de> for ObjectSeed<'_, 'de, M> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with unique keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let mut seen = SeenKeys::default();
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            self.members.member(&key, &mut access)?;
            if !seen.insert(key) {
                *self.duplicate = true;
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor).map(Key)
    }
}

/// Reads a string as borrowed text when it can.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Any JSON value, parsed as a `serde_json::Value` parse would (numbers in range,
/// escapes valid) and dropped.
pub(crate) struct AnyJson;

impl<'de> Deserialize<'de> for AnyJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_i64<E>(self, _: i64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_u64<E>(self, _: u64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_f64<E>(self, _: f64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_str<E>(self, _: &str) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_unit<E>(self) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyJson, A::Error> {
        while seq.next_element::<AnyJson>()?.is_some() {}
        Ok(AnyJson)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyJson, A::Error> {
        while map.next_key::<AnyJson>()?.is_some() {
            map.next_value::<AnyJson>()?;
        }
        Ok(AnyJson)
    }
}

/// A header member's value as the header rules need it: null (the same as absent),
/// a string, or anything else (parsed and dropped).
pub(crate) enum Scalar<'de> {
    /// `null`.
    Null,
    /// A string, borrowed unless it has escapes.
    Text(Cow<'de, str>),
    /// A number, boolean, array or object.
    Other,
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        AnyVisitor.visit_seq(seq).map(|_| Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        AnyVisitor.visit_map(map).map(|_| Scalar::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the members and keeps nothing.
    #[derive(Default)]
    struct Count(usize);

    impl<'de> Members<'de> for Count {
        fn member<A: MapAccess<'de>>(&mut self, _: &str, access: &mut A) -> Result<(), A::Error> {
            self.0 += 1;
            access.next_value::<AnyJson>().map(|_| ())
        }
    }

    fn read(text: &str) -> Result<usize, ObjectError> {
        let mut count = Count::default();
        read_object(text, &mut count).map(|()| count.0)
    }

    #[test]
    fn accepts_what_a_value_parse_accepts_and_refuses_what_it_refuses() {
        for text in [
            r#"{}"#,
            r#"{"a":1,"b":[1,"x",null,true,1.5,{"c":{}}],"d":"\u00e9\n"}"#,
            r#"{"big":100000000000000000000,"neg":-1e300,"nested":{"x":1,"x":2}}"#,
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_ok(),
                "{text}"
            );
            assert!(read(text).is_ok(), "{text}");
        }
        for text in ["[1]", "1", "\"a\"", "null"] {
            assert_eq!(read(text), Err(ObjectError::Syntax), "{text}");
        }
        for text in [
            r#"{"a":1e400}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":01}"#,
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text}"
            );
            assert_eq!(read(text), Err(ObjectError::Syntax), "{text}");
        }
    }

    #[test]
    fn refuses_duplicate_keys_few_or_many_escaped_or_not() {
        assert_eq!(read(r#"{"a":1,"b":2,"a":3}"#), Err(ObjectError::Duplicate));
        assert_eq!(read(r#"{"a":1,"\u0061":2}"#), Err(ObjectError::Duplicate));
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let unique = format!("{{{}}}", many.join(","));
        assert_eq!(read(&unique), Ok(100));
        let repeated = format!("{{{},\"k3\":0}}", many.join(","));
        assert_eq!(read(&repeated), Err(ObjectError::Duplicate));
        let late = format!("{{{},\"k99\":0}}", many.join(","));
        assert_eq!(read(&late), Err(ObjectError::Duplicate));
    }
}
