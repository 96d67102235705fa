//! Bound tokens (RFC 9449 section 6): an access token's `cnf.jkt` names the key its
//! proofs must be signed with; and the `WWW-Authenticate: DPoP` challenge a
//! protected resource answers with (section 7.1).

use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::error::DpopError;
use super::thumbprint::Jkt;
use crate::token::{Algorithm, Claims};

/// The extra claims that bind a token to `jkt`: `{"cnf": {"jkt": ...}}`, for
/// [`Tokens::issue`](crate::token::Tokens::issue) (merge them with others if any).
pub fn cnf_claims(jkt: &Jkt) -> Value {
    json!({"cnf": {"jkt": jkt.as_str()}})
}

/// Whether a verified token's `cnf.jkt` is the proof key's thumbprint `jkt`.
///
/// # Errors
/// [`DpopError::Unbound`] (`invalid_token`) if the token has no `cnf.jkt` or
/// another one.
pub fn verify_binding(claims: &Claims, jkt: &Jkt) -> Result<(), DpopError> {
    let bound = claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jkt"))
        .and_then(Value::as_str)
        .ok_or(DpopError::Unbound)?;
    if bool::from(bound.as_bytes().ct_eq(jkt.as_str().as_bytes())) {
        Ok(())
    } else {
        Err(DpopError::Unbound)
    }
}

/// A 401 answer's DPoP headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The `WWW-Authenticate` value.
    pub www_authenticate: String,
    /// The `DPoP-Nonce` value, sent with `use_dpop_nonce`.
    pub dpop_nonce: Option<String>,
}

/// The challenge for `error` (none: the request had no DPoP credentials), listing
/// `algs`, as RFC 9449 section 7.1 words it: `error="invalid_dpop_proof"` for a
/// refused or replayed proof, `"use_dpop_nonce"` with `DPoP-Nonce: fresh_nonce`,
/// `"invalid_token"` for a token not bound to the proof's key. The descriptions
/// are fixed texts: nothing from the request is echoed into a header.
///
/// A [`DpopError::Store`] or [`DpopError::Config`] is the server's failure, not the
/// client's: answer 503 or 500, not this challenge.
///
/// ```
/// use portcullis::jose::dpop::{DpopError, challenge};
/// use portcullis::token::Algorithm;
///
/// let c = challenge(Some(&DpopError::UseNonce), &[Algorithm::ES256], Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"))?;
/// assert_eq!(
///     c.www_authenticate,
///     r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256""#
/// );
/// assert_eq!(c.dpop_nonce.as_deref(), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// # Ok::<(), DpopError>(())
/// ```
///
/// # Errors
/// [`DpopError::Config`] naming `dpop_nonce` if `fresh_nonce` is not RFC 9449's
/// `1*NQCHAR`, or is missing for [`DpopError::UseNonce`].
pub fn challenge(
    error: Option<&DpopError>,
    algs: &[Algorithm],
    fresh_nonce: Option<&str>,
) -> Result<Challenge, DpopError> {
    let (code, description) = match error {
        Some(DpopError::InvalidProof(_) | DpopError::Replay) => {
            (Some("invalid_dpop_proof"), "Invalid DPoP proof")
        }
        Some(DpopError::UseNonce) => (
            Some("use_dpop_nonce"),
            "Resource server requires nonce in DPoP proof",
        ),
        Some(DpopError::Unbound) => (
            Some("invalid_token"),
            "The access token is not bound to the DPoP proof key",
        ),
        _ => (None, ""),
    };
    let mut value = String::from("DPoP");
    let mut params: Vec<String> = Vec::new();
    if let Some(code) = code {
        params.push(format!("error=\"{code}\""));
        params.push(format!("error_description=\"{description}\""));
    }
    if !algs.is_empty() {
        let names: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
        params.push(format!("algs=\"{}\"", names.join(" ")));
    }
    if !params.is_empty() {
        value.push(' ');
        value.push_str(&params.join(", "));
    }
    let dpop_nonce = match (error, fresh_nonce) {
        (_, Some(nonce)) => {
            let nqchar = |b: u8| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E);
            if nonce.is_empty() || !nonce.bytes().all(nqchar) {
                return Err(DpopError::Config {
                    setting: "dpop_nonce",
                    message:
                        "a nonce is 1 or more visible ASCII characters other than `\"` and `\\`"
                            .to_owned(),
                });
            }
            Some(nonce.to_owned())
        }
        (Some(DpopError::UseNonce), None) => {
            return Err(DpopError::Config {
                setting: "dpop_nonce",
                message: "`use_dpop_nonce` must send the nonce to use".to_owned(),
            });
        }
        (_, None) => None,
    };
    Ok(Challenge {
        www_authenticate: value,
        dpop_nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::dpop::ProofDefect;

    const ALGS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::PS256];

    fn header(error: Option<&DpopError>) -> String {
        challenge(error, &ALGS, None)
            .map(|c| c.www_authenticate)
            .unwrap_or_default()
    }

    #[test]
    fn challenges_follow_rfc_9449_section_7_1() {
        // RFC 9449 section 7.1, figure 14: no credentials.
        assert_eq!(header(None), r#"DPoP algs="ES256 PS256""#);
        assert_eq!(
            header(Some(&DpopError::InvalidProof(ProofDefect::Signature))),
            r#"DPoP error="invalid_dpop_proof", error_description="Invalid DPoP proof", algs="ES256 PS256""#
        );
        assert_eq!(
            header(Some(&DpopError::Replay)),
            header(Some(&DpopError::InvalidProof(ProofDefect::Uri)))
        );
        assert!(header(Some(&DpopError::Unbound)).starts_with(r#"DPoP error="invalid_token""#));
    }

    #[test]
    fn use_dpop_nonce_needs_a_well_formed_nonce() {
        assert!(challenge(Some(&DpopError::UseNonce), &ALGS, None).is_err());
        assert!(challenge(Some(&DpopError::UseNonce), &ALGS, Some("a\"b")).is_err());
        assert!(
            challenge(
                Some(&DpopError::UseNonce),
                &ALGS,
                Some("a\r\nSet-Cookie: x")
            )
            .is_err()
        );
        assert!(challenge(Some(&DpopError::UseNonce), &ALGS, Some("")).is_err());
    }
}
