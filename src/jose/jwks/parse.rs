//! Parsing a fetched JWKS (RFC 7517 section 5) into the signature keys it offers.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::JwksError;
use crate::jose::json::{StrictError, parse_object};
use crate::token::jwk::Jwk;
use crate::token::{Algorithm, Invalid, Keyring, TokenError, VerifyingKey};

/// The largest JWKS document [`parse_jwks`] reads: 256 KiB.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The most keys one JWKS document may hold.
pub const MAX_JWKS_KEYS: usize = 256;

/// The members that make a JWK private (RFC 7518 section 6): a JWKS is public.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a key of a JWKS was left out; the rest of the set is still used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A `kty` other than `EC`, `RSA` and `OKP` (`oct` is refused instead).
    UnknownKeyType,
    /// A `use` other than `sig`, or `key_ops` without `verify`: an encryption key.
    NotForSignatures,
    /// No `kid`: tokens choose keys only by `kid`.
    NoKid,
    /// No `alg` this crate verifies (an RSA key must name one; an EC or OKP key's
    /// curve names it when it does not).
    UnsupportedAlgorithm,
    /// The key does not load for its algorithm (wrong curve, a point off the
    /// curve, an RSA modulus under 2048 bits, ...).
    InvalidKey(String),
}

/// A key left out of the set: its position, its `kid` if it had one, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The key's position in `keys`.
    pub index: usize,
    /// The key's `kid`, when it is a string.
    pub kid: Option<String>,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// The usable signature keys of one fetched JWKS, by `kid`, and the ones skipped.
#[derive(Debug)]
pub struct JwksKeys {
    keyring: Option<Keyring>,
    skipped: Vec<Skipped>,
}

impl JwksKeys {
    /// The key for `kid`.
    #[must_use]
    pub fn select(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keyring.as_ref()?.select(Some(kid))
    }

    /// The usable keys.
    pub fn keys(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.keyring.iter().flat_map(Keyring::verifying_keys)
    }

    /// How many keys are usable.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys().count()
    }

    /// Whether no key is usable.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.keyring.is_none()
    }

    /// The keys left out, in document order.
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The usable keys as a verify-only keyring (for [`crate::token::Tokens::new`]),
    /// or `None` when there is none.
    #[must_use]
    pub fn into_keyring(self) -> Option<Keyring> {
        self.keyring
    }

    /// Verifies a compact JWS with any payload by the key its `kid` selects, as
    /// [`Keyring::verify_jws`].
    ///
    /// # Errors
    /// As [`Keyring::verify_jws`]; [`Invalid::UnknownKey`] when no key is usable.
    pub fn verify_jws(&self, jws: &str, max_bytes: usize) -> Result<Vec<u8>, TokenError> {
        match &self.keyring {
            Some(keyring) => keyring.verify_jws(jws, max_bytes),
            None => Err(TokenError::Invalid(Invalid::UnknownKey)),
        }
    }
}

/// Parses a fetched JWKS document.
///
/// Refused whole ([`JwksError`]), since the publisher is misconfigured and no key
/// of it can be trusted: a document over [`MAX_JWKS_BYTES`] or
/// [`MAX_JWKS_KEYS`], not a JSON object with a `keys` array, an entry that is not
/// an object, a member name given twice in one object (readers would disagree on
/// which counts), a key with a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`,
/// `oth`, or an `oct` key's `k`), and two keys with one `kid` (a token's `kid`
/// would be ambiguous).
///
/// Skipped ([`SkipReason`]), the other keys still used, since a JWKS
/// legitimately carries keys for other purposes and future key types: an unknown
/// `kty`, a key for encryption (`use` other than `sig`, `key_ops` without
/// `verify`), a key without `kid` or usable `alg`, and a key that does not load.
///
/// # Errors
/// [`JwksError`] for a document refused whole; member values never appear in it.
pub fn parse_jwks(json: &str) -> Result<JwksKeys, JwksError> {
    if json.len() > MAX_JWKS_BYTES {
        return Err(JwksError::TooLarge { len: json.len() });
    }
    let doc = parse_object(json.as_bytes()).map_err(|e| JwksError::Malformed {
        reason: match e {
            StrictError::Duplicate => "a member name appears twice in one object",
            StrictError::Syntax => "not a JSON object",
        },
    })?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::Malformed {
            reason: "no `keys` array",
        })?;
    if entries.len() > MAX_JWKS_KEYS {
        return Err(JwksError::TooManyKeys {
            count: entries.len(),
        });
    }
    let mut objects = Vec::with_capacity(entries.len());
    let mut kids = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let object = entry.as_object().ok_or(JwksError::Malformed {
            reason: "a key is not a JSON object",
        })?;
        let kid = object.get("kid").and_then(Value::as_str);
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| object.contains_key(**m)) {
            return Err(JwksError::PrivateKey {
                index,
                kid: kid.map(str::to_owned),
                member,
            });
        }
        if let Some(kid) = kid
            && !kids.insert(kid)
        {
            return Err(JwksError::DuplicateKid {
                kid: kid.to_owned(),
            });
        }
        objects.push(object);
    }
    let mut keyring: Option<Keyring> = None;
    let mut skipped = Vec::new();
    for (index, object) in objects.into_iter().enumerate() {
        match usable_key(object) {
            Ok(key) => match &mut keyring {
                // Kids are distinct and present (checked above), so this cannot fail.
                Some(ring) => ring
                    .add_verifier(key)
                    .map_err(|_| JwksError::DuplicateKid {
                        kid: kid_of(object).unwrap_or_default(),
                    })?,
                None => keyring = Some(Keyring::verify_only(key)),
            },
            Err(reason) => skipped.push(Skipped {
                index,
                kid: kid_of(object),
                reason,
            }),
        }
    }
    Ok(JwksKeys { keyring, skipped })
}

fn kid_of(object: &Map<String, Value>) -> Option<String> {
    object.get("kid").and_then(Value::as_str).map(str::to_owned)
}

fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

/// The key an entry (with no private member) offers for verification, or why not.
fn usable_key(object: &Map<String, Value>) -> Result<VerifyingKey, SkipReason> {
    let kty = member(object, "kty");
    if !matches!(kty, Some("EC" | "RSA" | "OKP")) {
        return Err(SkipReason::UnknownKeyType);
    }
    if object.get("use").is_some_and(|u| u != "sig") {
        return Err(SkipReason::NotForSignatures);
    }
    if let Some(ops) = object.get("key_ops")
        && !ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"))
    {
        return Err(SkipReason::NotForSignatures);
    }
    if kid_of(object).is_none() {
        return Err(SkipReason::NoKid);
    }
    let alg = match (member(object, "alg"), kty, member(object, "crv")) {
        (Some(name), _, _) => name.parse::<Algorithm>().ok(),
        (None, Some("EC"), Some("P-256")) => Some(Algorithm::ES256),
        (None, Some("EC"), Some("P-384")) => Some(Algorithm::ES384),
        (None, Some("OKP"), Some("Ed25519")) => Some(Algorithm::EdDSA),
        (None, _, _) => None,
    }
    .ok_or(SkipReason::UnsupportedAlgorithm)?;
    let jwk: Jwk = serde_json::from_value(Value::Object(object.clone()))
        .map_err(|_| SkipReason::InvalidKey("not a supported JWK".to_owned()))?;
    VerifyingKey::from_jwk(alg, &jwk).map_err(|e| SkipReason::InvalidKey(e.to_string()))
}
