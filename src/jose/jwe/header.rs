//! The compact serialization (RFC 7516 §7.1) and the protected header: framing,
//! size cap and header checks, all decided before any key is touched.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{ContentEncryption, JweError, KeyManagement};

/// The five parts of a compact JWE, decoded, with the header checked.
pub(crate) struct Compact<'a> {
    /// The encoded protected header: the AAD.
    pub(crate) aad: &'a str,
    pub(crate) header: Map<String, Value>,
    pub(crate) alg: KeyManagement,
    pub(crate) enc: ContentEncryption,
    pub(crate) encrypted_key: Vec<u8>,
    pub(crate) iv: Vec<u8>,
    /// The ciphertext followed by the tag, decoded into one buffer so AES-GCM
    /// opens it in place; it then holds the plaintext, hence the wipe on drop.
    pub(crate) body: Zeroizing<Vec<u8>>,
    /// How many bytes at the end of `body` are the tag.
    pub(crate) tag_len: usize,
}

/// Decodes one unpadded base64url part; padding, whitespace and stray bits are refused.
pub(crate) fn part(text: &str, reason: &'static str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JweError::malformed(reason))
}

/// Splits and decodes `token`; refuses it if over `max_len` bytes before any work.
pub(crate) fn parse(token: &str, max_len: usize) -> Result<Compact<'_>, JweError> {
    if token.len() > max_len {
        return Err(JweError::TooLarge {
            len: token.len(),
            max: max_len,
        });
    }
    // The short parts are cut from either end, so the long ciphertext in the
    // middle is never scanned for dots: its base64url decoding refuses one.
    let five_parts = || JweError::malformed("a compact JWE has exactly five parts");
    let (h, rest) = token.split_once('.').ok_or_else(five_parts)?;
    let (k, rest) = rest.split_once('.').ok_or_else(five_parts)?;
    let (iv, rest) = rest.split_once('.').ok_or_else(five_parts)?;
    let (c, t) = rest.rsplit_once('.').ok_or_else(five_parts)?;
    let header_bytes = part(h, "the header is not unpadded base64url")?;
    let UniqueMembers(header) = serde_json::from_slice(&header_bytes).map_err(|_| {
        JweError::malformed("the header is not a JSON object with unique member names")
    })?;
    let name = |member: &str| -> Result<&str, JweError> {
        match header.get(member) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(JweError::malformed("`alg` and `enc` must be strings")),
            None => Err(JweError::malformed("the header needs `alg` and `enc`")),
        }
    };
    let alg = KeyManagement::from_name(name("alg")?)?;
    let enc = ContentEncryption::from_name(name("enc")?)?;
    if header.contains_key("zip") {
        return Err(JweError::malformed(
            "`zip` is refused: decompression is a denial-of-service lever",
        ));
    }
    if header.contains_key("crit") {
        return Err(JweError::malformed(
            "`crit` names an extension this crate does not implement",
        ));
    }
    for member in ["apu", "apv"] {
        match header.get(member) {
            None | Some(Value::String(_)) => {}
            Some(_) => return Err(JweError::malformed("`apu` and `apv` must be strings")),
        }
    }
    let mut body = Zeroizing::new(Vec::with_capacity(
        base64::decoded_len_estimate(c.len()).saturating_add(base64::decoded_len_estimate(t.len())),
    ));
    URL_SAFE_NO_PAD.decode_vec(c, &mut body).map_err(|_| {
        if c.contains('.') {
            five_parts()
        } else {
            JweError::malformed("the ciphertext is not unpadded base64url")
        }
    })?;
    let ciphertext_len = body.len();
    URL_SAFE_NO_PAD
        .decode_vec(t, &mut body)
        .map_err(|_| JweError::malformed("the tag is not unpadded base64url"))?;
    Ok(Compact {
        aad: h,
        alg,
        enc,
        encrypted_key: part(k, "the encrypted key is not unpadded base64url")?,
        iv: part(iv, "the IV is not unpadded base64url")?,
        tag_len: body.len().saturating_sub(ciphertext_len),
        body,
        header,
    })
}

/// A header member holding base64url bytes (`apu`, `apv`), empty when absent.
pub(crate) fn b64_member(header: &Map<String, Value>, member: &str) -> Result<Vec<u8>, JweError> {
    match header.get(member).and_then(Value::as_str) {
        Some(text) => part(text, "`apu` or `apv` is not unpadded base64url"),
        None => Ok(Vec::new()),
    }
}

/// A JSON object whose member names are unique: `{"alg":"dir","alg":"A128KW"}`
/// means different things to first-wins and last-wins readers, so it is refused.
struct UniqueMembers(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = UniqueMembers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<UniqueMembers, A::Error> {
                let mut map = Map::new();
                while let Some((name, value)) = access.next_entry::<String, Value>()? {
                    if map.insert(name, value).is_some() {
                        return Err(de::Error::custom("duplicate member"));
                    }
                }
                Ok(UniqueMembers(map))
            }
        }
        deserializer.deserialize_map(Members)
    }
}
