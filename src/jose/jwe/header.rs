//! The compact serialization (RFC 7516 §7.1) and the protected header: framing,
//! size cap and header checks, all decided before any key is touched.
//!
//! The header is read in one pass (the token room's strict reader): the members
//! the checks need are kept, every other one is parsed and dropped, and a member
//! named twice is refused. The `serde_json::Value` form that
//! [`super::Decrypted::header`] shows is built only when asked for.

use serde::de::MapAccess;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{ContentEncryption, JweError, KeyManagement};
use crate::token::b64;
use crate::token::json::{AnyJson, Members, Scalar, read_object};

/// The five parts of a compact JWE, decoded, with the header checked.
pub(crate) struct Compact<'a> {
    /// The encoded protected header: the AAD.
    pub(crate) aad: &'a str,
    /// The decoded protected header: JSON text, an object with unique members.
    pub(crate) header_json: Vec<u8>,
    pub(crate) alg: KeyManagement,
    pub(crate) enc: ContentEncryption,
    /// The `epk` member, as JSON.
    pub(crate) epk: Option<Value>,
    /// The `apu` and `apv` members (base64url text), decoded only for ECDH-ES.
    pub(crate) apu: Option<String>,
    pub(crate) apv: Option<String>,
    pub(crate) encrypted_key: Vec<u8>,
    pub(crate) iv: Short,
    /// The ciphertext, decoded into the buffer AES-GCM opens in place; it then
    /// holds the plaintext, hence the wipe on drop.
    pub(crate) ciphertext: Zeroizing<Vec<u8>>,
    pub(crate) tag: Short,
}

/// The longest IV or tag any supported algorithm takes (A256CBC-HS512's tag).
const SHORT_MAX: usize = 32;

/// A part that is short in every valid token (the IV, the tag), decoded on the stack.
pub(crate) struct Short {
    bytes: [u8; SHORT_MAX],
    len: usize,
}

impl Short {
    /// The decoded bytes. A part longer than any algorithm takes reads as empty:
    /// no algorithm takes an empty IV or tag either, so it fails the same opaque
    /// length check at decryption.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// Decodes one unpadded base64url part; padding, whitespace and stray bits are refused.
pub(crate) fn part(text: &str, reason: &'static str) -> Result<Vec<u8>, JweError> {
    b64::decode(text).map_err(|_| JweError::malformed(reason))
}

/// [`part`] for an IV or a tag, onto the stack; an over-long one is still checked.
fn short(text: &str, reason: &'static str) -> Result<Short, JweError> {
    let malformed = |_| JweError::malformed(reason);
    let len = b64::decoded_len(text.len()).map_err(malformed)?;
    let mut bytes = [0u8; SHORT_MAX];
    match bytes.get_mut(..len) {
        Some(slot) => b64::decode_to_slice(text.as_bytes(), slot).map_err(malformed)?,
        None => drop(part(text, reason)?),
    }
    Ok(Short { bytes, len })
}

/// The header members the checks read.
#[derive(Default)]
struct Header<'de> {
    alg: Option<Scalar<'de>>,
    enc: Option<Scalar<'de>>,
    apu: Option<Scalar<'de>>,
    apv: Option<Scalar<'de>>,
    epk: Option<Value>,
    /// A `zip` member, whatever its value.
    zip: bool,
    /// A `crit` member, whatever its value.
    crit: bool,
}

impl<'de> Members<'de> for Header<'de> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, access: &mut A) -> Result<(), A::Error> {
        let slot = match key {
            "alg" => &mut self.alg,
            "enc" => &mut self.enc,
            "apu" => &mut self.apu,
            "apv" => &mut self.apv,
            "epk" => {
                self.epk = Some(access.next_value()?);
                return Ok(());
            }
            _ => {
                access.next_value::<AnyJson>()?;
                self.zip |= key == "zip";
                self.crit |= key == "crit";
                return Ok(());
            }
        };
        *slot = Some(access.next_value()?);
        Ok(())
    }
}

/// The text of `alg` or `enc`.
fn name<'h>(member: &'h Option<Scalar<'_>>) -> Result<&'h str, JweError> {
    match member {
        Some(Scalar::Text(text)) => Ok(text),
        Some(_) => Err(JweError::malformed("`alg` and `enc` must be strings")),
        None => Err(JweError::malformed("the header needs `alg` and `enc`")),
    }
}

/// The text of `apu` or `apv`, if present.
fn party(member: Option<Scalar<'_>>) -> Result<Option<String>, JweError> {
    match member {
        None => Ok(None),
        Some(Scalar::Text(text)) => Ok(Some(text.into_owned())),
        Some(_) => Err(JweError::malformed("`apu` and `apv` must be strings")),
    }
}

/// What the header checks keep, owned.
struct Checked {
    alg: KeyManagement,
    enc: ContentEncryption,
    epk: Option<Value>,
    apu: Option<String>,
    apv: Option<String>,
}

/// Reads the decoded header and applies the header rules, in the order their
/// refusals take precedence.
fn check_header(json: &[u8]) -> Result<Checked, JweError> {
    let not_object =
        || JweError::malformed("the header is not a JSON object with unique member names");
    let text = std::str::from_utf8(json).map_err(|_| not_object())?;
    let mut header = Header::default();
    read_object(text, &mut header).map_err(|_| not_object())?;
    let alg = KeyManagement::from_name(name(&header.alg)?)?;
    let enc = ContentEncryption::from_name(name(&header.enc)?)?;
    if header.zip {
        return Err(JweError::malformed(
            "`zip` is refused: decompression is a denial-of-service lever",
        ));
    }
    if header.crit {
        return Err(JweError::malformed(
            "`crit` names an extension this crate does not implement",
        ));
    }
    Ok(Checked {
        alg,
        enc,
        apu: party(header.apu)?,
        apv: party(header.apv)?,
        epk: header.epk,
    })
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
    let header_json = part(h, "the header is not unpadded base64url")?;
    let checked = check_header(&header_json)?;
    let mut ciphertext = Zeroizing::new(Vec::new());
    b64::decode_append(c, &mut ciphertext).map_err(|_| {
        if c.contains('.') {
            five_parts()
        } else {
            JweError::malformed("the ciphertext is not unpadded base64url")
        }
    })?;
    let tag = short(t, "the tag is not unpadded base64url")?;
    Ok(Compact {
        aad: h,
        alg: checked.alg,
        enc: checked.enc,
        epk: checked.epk,
        apu: checked.apu,
        apv: checked.apv,
        encrypted_key: part(k, "the encrypted key is not unpadded base64url")?,
        iv: short(iv, "the IV is not unpadded base64url")?,
        ciphertext,
        tag,
        header_json,
    })
}
