//! The checks SimpleJWT makes where it loads the user: `CHECK_REVOKE_TOKEN`.
//!
//! With `check_revoke_token` on, SimpleJWT's `for_user` writes
//! `md5(user.password).hexdigest().upper()` (the stored password *hash*, hashed
//! again) into the `revoke_token_claim` of every token, and its authentication
//! refuses a token whose claim differs from that of the user's current hash: a
//! password change revokes every older token, statelessly. The crate does the same
//! with [`password_hash_claim`] at issue time and [`Tokens::check_password`] where
//! the host has loaded the user. MD5 here is SimpleJWT's fingerprint format, not a
//! protection: the claim is signed with the token.

use md5::{Digest, Md5};
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::claims::Claims;
use super::engine::Tokens;
use super::error::TokenError;

/// SimpleJWT's `get_md5_hash_password`: the upper-case hex MD5 of the user's stored
/// password hash (Django's `user.password`), the value of `revoke_token_claim`.
///
/// ```
/// use portcullis::token::password_hash_claim;
///
/// assert_eq!(password_hash_claim(""), "D41D8CD98F00B204E9800998ECF8427E");
/// ```
pub fn password_hash_claim(password_hash: &str) -> String {
    let digest = Md5::digest(password_hash.as_bytes());
    let mut out = String::with_capacity(32);
    for byte in digest {
        for nibble in [byte >> 4, byte & 0x0f] {
            // A nibble is always a base-16 digit.
            let c = char::from_digit(u32::from(nibble), 16).unwrap_or('0');
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

impl Tokens {
    /// SimpleJWT's `CHECK_REVOKE_TOKEN` test, for the host to run once it has loaded
    /// the user the verified `claims` name: their `revoke_token_claim` must be
    /// [`password_hash_claim`] of the user's current `password_hash`. Does nothing
    /// when `check_revoke_token` is off.
    ///
    /// # Errors
    /// [`TokenError::PasswordChanged`] when the claim is missing or differs.
    pub fn check_password(&self, claims: &Claims, password_hash: &str) -> Result<(), TokenError> {
        if !self.config().check_revoke_token {
            return Ok(());
        }
        let expected = password_hash_claim(password_hash);
        match claims.get(&self.config().revoke_token_claim) {
            Some(Value::String(got)) if bool::from(got.as_bytes().ct_eq(expected.as_bytes())) => {
                Ok(())
            }
            _ => {
                super::observed::refused(claims.kind(), &TokenError::PasswordChanged);
                Err(TokenError::PasswordChanged)
            }
        }
    }

    /// With `check_revoke_token`, the claims of an issued token must carry the
    /// password-hash claim (the host passes it among the extra claims).
    pub(crate) fn check_issue_claims(
        &self,
        claims: &serde_json::Map<String, Value>,
    ) -> Result<(), TokenError> {
        let config = self.config();
        if config.check_revoke_token
            && !claims
                .get(&config.revoke_token_claim)
                .is_some_and(Value::is_string)
        {
            return Err(TokenError::config(
                "check_revoke_token",
                format!(
                    "is on: the extra claims must carry `{}` = password_hash_claim(the user's stored password hash)",
                    config.revoke_token_claim
                ),
            ));
        }
        Ok(())
    }
}
