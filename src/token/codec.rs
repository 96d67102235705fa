//! Compact JWS framing (RFC 7515), strict on the way in.
//!
//! Order of work on an untrusted token: size cap, three base64url segments, header
//! rules, key by `kid`, `alg` equal to the key's, signature; only then is the
//! payload decoded.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::error::{Invalid, TokenError};
use super::{Keyring, SigningKey};

/// The header fields this crate reads; any other member is ignored (RFC 7515 section 4).
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    cty: Option<IgnoredAny>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
    #[serde(default)]
    jwk: Option<IgnoredAny>,
    #[serde(default)]
    jku: Option<IgnoredAny>,
    #[serde(default)]
    x5u: Option<IgnoredAny>,
    #[serde(default)]
    x5c: Option<IgnoredAny>,
}

const fn invalid(why: Invalid) -> TokenError {
    TokenError::Invalid(why)
}

fn b64(segment: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| invalid(Invalid::Malformed))
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

/// Checks framing, header and signature; returns the decoded payload bytes.
pub(crate) fn verify_signature(
    token: &str,
    keyring: &Keyring,
    max_bytes: usize,
) -> Result<Vec<u8>, TokenError> {
    let (h, p, s) = split(token, max_bytes)?;
    let header_bytes = b64(h)?;
    // Parsed whole first, as `inspect` does: a struct alone would skip unknown
    // members without checking their UTF-8 (RFC 8725 3.7) or their duplicates.
    let header_members =
        super::claims::parse_object(&header_bytes).map_err(|_| invalid(Invalid::Malformed))?;
    let header: Header = serde_json::from_value(Value::Object(header_members))
        .map_err(|_| invalid(Invalid::Malformed))?;
    if header.crit.is_some() {
        return Err(invalid(Invalid::Critical));
    }
    if header.jwk.is_some()
        || header.jku.is_some()
        || header.x5u.is_some()
        || header.x5c.is_some()
        || header.cty.is_some()
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
    if header.alg != key.algorithm().as_str() {
        return Err(invalid(Invalid::Algorithm));
    }
    let signature = b64(s)?;
    let signing_input_len = h.len() + 1 + p.len();
    let signing_input = token
        .get(..signing_input_len)
        .ok_or(invalid(Invalid::Malformed))?;
    key.verify(signing_input.as_bytes(), &signature)?;
    let payload = b64(p)?;
    std::str::from_utf8(&payload).map_err(|_| invalid(Invalid::Malformed))?;
    Ok(payload)
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
