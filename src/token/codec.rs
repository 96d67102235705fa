//! Compact JWS framing (RFC 7515), strict on the way in.
//!
//! Order of work on an untrusted token: size cap, three base64url segments, header
//! rules, key by `kid`, `alg` equal to the key's, signature; only then is the
//! payload decoded.

use std::borrow::Cow;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use serde::de::{self, MapAccess};
use serde_json::{Map, Value};

use super::error::{Invalid, TokenError};
use super::json::{AnyJson, Members, Scalar, read_object};
use super::{Algorithm, Keyring, SigningKey};

/// The header members this crate reads, borrowed from the header text; any other
/// member is parsed and ignored (RFC 7515 section 4). A member this crate reads
/// that is present with `null` is malformed, never "absent" (the crate's parse,
/// don't validate rule): `kid: null` is refused, `crit: null` is a `crit`.
#[derive(Default)]
struct Header<'de> {
    alg: Option<Cow<'de, str>>,
    kid: Option<Cow<'de, str>>,
    typ: Option<Cow<'de, str>>,
    /// A `crit` member, whatever its value.
    critical: bool,
    /// A `cty`, `jwk`, `jku`, `x5u` or `x5c` member, whatever its value.
    forbidden: bool,
}

impl<'de> Members<'de> for Header<'de> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, access: &mut A) -> Result<(), A::Error> {
        match key {
            "alg" => match access.next_value()? {
                Scalar::Text(alg) => self.alg = Some(alg),
                _ => return Err(de::Error::custom("alg is not a string")),
            },
            "kid" | "typ" => {
                let Scalar::Text(text) = access.next_value()? else {
                    return Err(de::Error::custom("not a string"));
                };
                if key == "kid" {
                    self.kid = Some(text);
                } else {
                    self.typ = Some(text);
                }
            }
            "crit" => {
                access.next_value::<AnyJson>()?;
                self.critical = true;
            }
            "cty" | "jwk" | "jku" | "x5u" | "x5c" => {
                access.next_value::<AnyJson>()?;
                self.forbidden = true;
            }
            _ => {
                access.next_value::<AnyJson>()?;
            }
        }
        Ok(())
    }
}

/// Decoded header and signature segments of a token this size or smaller stay on
/// the stack (an RSA-4096 signature is 512 bytes).
const STACK_SEGMENT: usize = 512;

const fn invalid(why: Invalid) -> TokenError {
    TokenError::Invalid(why)
}

fn b64(segment: &str) -> Result<Vec<u8>, TokenError> {
    super::b64::decode(segment).map_err(|_| invalid(Invalid::Malformed))
}

/// Decodes `segment` into `buf` when it fits, else onto the heap.
fn b64_into<'b>(segment: &str, buf: &'b mut [u8]) -> Result<Cow<'b, [u8]>, TokenError> {
    let len = super::b64::decoded_len(segment.len()).map_err(|_| invalid(Invalid::Malformed))?;
    let Some(slot) = buf.get_mut(..len) else {
        return b64(segment).map(Cow::Owned);
    };
    super::b64::decode_to_slice(segment.as_bytes(), slot)
        .map_err(|_| invalid(Invalid::Malformed))?;
    Ok(Cow::Borrowed(slot))
}

fn split(token: &str, max_bytes: usize) -> Result<(&str, &str, &str), TokenError> {
    if token.len() > max_bytes {
        return Err(invalid(Invalid::TooLarge));
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) if !h.is_empty() && !p.is_empty() => Ok((h, p, s)),
        _ => Err(invalid(Invalid::Malformed)),
    }
}

/// The header segment of `{"alg":"<alg>","typ":"JWT"}`, as PyJWT (so SimpleJWT)
/// and this crate write it, for every algorithm.
fn plain_headers() -> &'static [(Algorithm, String)] {
    static HEADERS: OnceLock<Vec<(Algorithm, String)>> = OnceLock::new();
    HEADERS.get_or_init(|| {
        Algorithm::ALL
            .iter()
            .map(|&alg| {
                let text = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.as_str());
                (alg, URL_SAFE_NO_PAD.encode(text))
            })
            .collect()
    })
}

/// The algorithm of a header segment that is exactly a plain header: base64url
/// without padding has one encoding per text (trailing bits are refused), so such
/// a segment decodes to that text and its reading is known.
fn plain_header(segment: &str) -> Option<Algorithm> {
    plain_headers()
        .iter()
        .find(|(_, plain)| plain == segment)
        .map(|&(alg, _)| alg)
}

/// Reads a decoded header whole, as `inspect` does: every member's UTF-8 (RFC 8725
/// 3.7) and syntax is checked and duplicates are refused, unknown members included.
fn read_header(bytes: &[u8]) -> Result<Header<'_>, TokenError> {
    let text = std::str::from_utf8(bytes).map_err(|_| invalid(Invalid::Malformed))?;
    let mut header = Header::default();
    read_object(text, &mut header).map_err(|_| invalid(Invalid::Malformed))?;
    Ok(header)
}

/// Checks framing, header and signature; returns the decoded payload text.
pub(crate) fn verify_signature(
    token: &str,
    keyring: &Keyring,
    max_bytes: usize,
) -> Result<String, TokenError> {
    let (h, p, s) = split(token, max_bytes)?;
    let mut header_buf = [0u8; STACK_SEGMENT];
    let header_bytes;
    let header = match plain_header(h) {
        Some(alg) => Header {
            alg: Some(Cow::Borrowed(alg.as_str())),
            typ: Some(Cow::Borrowed("JWT")),
            ..Header::default()
        },
        None => {
            header_bytes = b64_into(h, &mut header_buf)?;
            read_header(&header_bytes)?
        }
    };
    let alg = header.alg.ok_or(invalid(Invalid::Malformed))?;
    if header.critical {
        return Err(invalid(Invalid::Critical));
    }
    if header.forbidden
        || header
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return Err(invalid(Invalid::ForbiddenHeader));
    }
    let key = keyring
        .select(header.kid.as_deref())
        .ok_or(invalid(Invalid::UnknownKey))?;
    if alg != key.algorithm().as_str() {
        return Err(invalid(Invalid::Algorithm));
    }
    let mut signature_buf = [0u8; STACK_SEGMENT];
    let signature = b64_into(s, &mut signature_buf)?;
    let signing_input_len = h.len() + 1 + p.len();
    let signing_input = token
        .get(..signing_input_len)
        .ok_or(invalid(Invalid::Malformed))?;
    key.verify(signing_input.as_bytes(), &signature)?;
    String::from_utf8(b64(p)?).map_err(|_| invalid(Invalid::Malformed))
}

/// Signs `claims` with `key` as a compact JWS: header `{"alg","typ":"JWT"[,"kid"]}`.
pub(crate) fn encode(
    claims: &Map<String, Value>,
    key: &SigningKey,
    rng: &SystemRandom,
) -> Result<String, TokenError> {
    let header = match key.kid() {
        Some(kid) => {
            let kid = serde_json::to_string(kid).map_err(|_| invalid(Invalid::Malformed))?;
            format!(
                r#"{{"alg":"{}","typ":"JWT","kid":{kid}}}"#,
                key.algorithm().as_str()
            )
        }
        None => format!(r#"{{"alg":"{}","typ":"JWT"}}"#, key.algorithm().as_str()),
    };
    let payload = serde_json::to_vec(claims).map_err(|_| invalid(Invalid::Malformed))?;
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let signature = key.sign(token.as_bytes(), rng)?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// A token's header and claims, decoded WITHOUT any verification.
#[derive(Clone, Debug, PartialEq)]
pub struct Unverified {
    /// The header, as sent.
    pub header: Map<String, Value>,
    /// The claims, as sent.
    pub claims: Map<String, Value>,
}

/// Decodes a token's header and claims without checking anything but their shape.
///
/// For debugging and for choosing which flow a token belongs to; nothing in the
/// result may be trusted. Duplicate keys are still refused, and the signature
/// segment must be base64url like the others (it is decoded, not checked).
///
/// # Errors
/// [`Invalid::TooLarge`] or [`Invalid::Malformed`] (or [`Invalid::ClaimType`] for duplicates).
pub fn inspect(token: &str, max_bytes: usize) -> Result<Unverified, TokenError> {
    let (h, p, s) = split(token, max_bytes)?;
    b64(s)?;
    Ok(Unverified {
        header: super::claims::parse_object(&b64(h)?)?,
        claims: super::claims::parse_object(&b64(p)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretBytes;

    #[test]
    fn plain_headers_are_exactly_what_encode_writes() {
        let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[7u8; 32])).unwrap();
        let token = encode(&Map::new(), &key, &SystemRandom::new()).unwrap();
        let segment = token.split('.').next().unwrap_or_default();
        assert_eq!(plain_header(segment), Some(Algorithm::HS256));
        for other in [
            r#"{"typ":"JWT","alg":"HS256"}"#,
            r#"{"alg":"HS256","typ":"JWT" }"#,
            r#"{"alg":"HS256"}"#,
        ] {
            assert_eq!(
                plain_header(&URL_SAFE_NO_PAD.encode(other)),
                None,
                "{other}"
            );
        }
        // Such headers are read in full and accepted all the same.
        let keyring = Keyring::new(key);
        let typ_first = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#),
            token.split('.').nth(1).unwrap_or_default()
        );
        let signature = keyring
            .signing_key()
            .unwrap()
            .sign(typ_first.as_bytes(), &SystemRandom::new())
            .unwrap();
        let resigned = format!("{typ_first}.{}", URL_SAFE_NO_PAD.encode(signature));
        assert_eq!(verify_signature(&resigned, &keyring, 8192).unwrap(), "{}");
    }

    /// A header over an empty payload, signed with `keyring`'s signing key.
    fn signed_with_header(keyring: &Keyring, header: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode("{}")
        );
        let key = keyring.signing_key().unwrap();
        let signature = key.sign(input.as_bytes(), &SystemRandom::new()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn a_null_header_member_is_malformed_not_absent() {
        let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(&[7u8; 32])).unwrap();
        let keyring = Keyring::new(key);
        let plain = signed_with_header(&keyring, r#"{"alg":"HS256","typ":"JWT","x":null}"#);
        assert_eq!(verify_signature(&plain, &keyring, 8192).unwrap(), "{}");
        for header in [
            r#"{"alg":"HS256","kid":null}"#,
            r#"{"alg":"HS256","typ":null}"#,
            r#"{"alg":"HS256","crit":null}"#,
            r#"{"alg":"HS256","cty":null}"#,
            r#"{"alg":"HS256","jku":null}"#,
        ] {
            let token = signed_with_header(&keyring, header);
            assert!(
                matches!(
                    verify_signature(&token, &keyring, 8192),
                    Err(TokenError::Invalid(_))
                ),
                "{header} was accepted"
            );
        }
    }
}
