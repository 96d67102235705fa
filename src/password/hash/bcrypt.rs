//! Django's `BCryptSHA256PasswordHasher`: `bcrypt_sha256$$2b$cost$…`, bcrypt over
//! the hex SHA-256 of the password.

use zeroize::Zeroizing;

use super::{malformed, parse_cost};
use crate::password::PasswordError;

/// Django's default bcrypt work factor (`BCryptSHA256PasswordHasher.rounds`).
pub const DJANGO_BCRYPT_COST: u32 = 12;

/// The highest bcrypt work factor computed (16x Django's default time).
pub const MAX_BCRYPT_COST: u32 = 16;

pub(super) struct BcryptStored<'a> {
    pub(super) cost: u32,
    /// `$2b$12$` + 53 characters, what the bcrypt library reads.
    pub(super) bcrypt: &'a str,
}

impl<'a> BcryptStored<'a> {
    /// `$2b$cost$salthash` (after `bcrypt_sha256$`).
    pub(super) fn parse(rest: &'a str) -> Result<Self, PasswordError> {
        let name = "Django bcrypt_sha256";
        let shape = "expected bcrypt_sha256$$2b$cost$ and 53 bcrypt-base64 characters";
        let fields: Vec<&str> = rest.split('$').collect();
        let ["", version, cost, data] = fields.as_slice() else {
            return Err(malformed(name, shape));
        };
        if !matches!(*version, "2a" | "2b" | "2x" | "2y") || cost.len() != 2 || data.len() != 53 {
            return Err(malformed(name, shape));
        }
        if !data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
        {
            return Err(malformed(name, shape));
        }
        let cost = parse_cost(name, "cost", cost)?;
        if !(4..=MAX_BCRYPT_COST).contains(&cost) {
            return Err(PasswordError::UnsupportedParameters {
                format: name,
                parameter: "cost",
                value: u64::from(cost),
                accepted: "4 to 16",
            });
        }
        Ok(Self { cost, bcrypt: rest })
    }

    /// The bcrypt library's check (constant-time) of the hex SHA-256.
    pub(super) fn matches(&self, password: &str) -> bool {
        bcrypt::verify(bcrypt_input(password).as_bytes(), self.bcrypt).unwrap_or(false)
    }
}

/// What Django's `BCryptSHA256PasswordHasher` gives bcrypt: lower-case hex SHA-256.
pub(super) fn bcrypt_input(password: &str) -> Zeroizing<String> {
    let digest = ring::digest::digest(&ring::digest::SHA256, password.as_bytes());
    let mut hex = Zeroizing::new(String::with_capacity(64));
    for byte in digest.as_ref() {
        for nibble in [byte >> 4, byte & 0x0f] {
            hex.push(char::from(if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            }));
        }
    }
    hex
}
