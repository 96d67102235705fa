//! Django's PBKDF2 hashers: `pbkdf2_sha256$…` and `pbkdf2_sha1$…` (ring's PBKDF2).

use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{HashFormat, MAX_PBKDF2_ITERATIONS, malformed, stored_format_name};
use crate::password::PasswordError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pbkdf2Digest {
    Sha256,
    Sha1,
}

impl Pbkdf2Digest {
    pub(super) fn algorithm(self) -> ring::pbkdf2::Algorithm {
        match self {
            Self::Sha256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
            Self::Sha1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        }
    }

    pub(super) fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha1 => 20,
        }
    }

    pub(super) fn prefix(self) -> &'static str {
        match self {
            Self::Sha256 => "pbkdf2_sha256",
            Self::Sha1 => "pbkdf2_sha1",
        }
    }
}

pub(super) struct Pbkdf2Stored<'a> {
    pub(super) digest: Pbkdf2Digest,
    pub(super) iterations: NonZeroU32,
    pub(super) salt: &'a str,
}

impl<'a> Pbkdf2Stored<'a> {
    /// `iterations$salt$hash` (after the algorithm), split as Django's `split("$", 3)`.
    pub(super) fn parse(digest: Pbkdf2Digest, rest: &'a str) -> Result<Self, PasswordError> {
        let name = stored_format_name(match digest {
            Pbkdf2Digest::Sha256 => HashFormat::DjangoPbkdf2Sha256,
            Pbkdf2Digest::Sha1 => HashFormat::DjangoPbkdf2Sha1,
        });
        let mut fields = rest.splitn(3, '$');
        let (Some(iterations), Some(salt), Some(_hash)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed(name, "expected algorithm$iterations$salt$hash"));
        };
        if iterations.is_empty()
            || iterations.len() > 10
            || !iterations.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed(name, "the iteration count is not a number"));
        }
        let count: u64 = iterations
            .parse()
            .map_err(|_| malformed(name, "the iteration count is not a number"))?;
        let iterations = u32::try_from(count)
            .ok()
            .and_then(NonZeroU32::new)
            .filter(|n| n.get() <= MAX_PBKDF2_ITERATIONS)
            .ok_or(PasswordError::UnsupportedParameters {
                format: name,
                parameter: "iterations",
                value: count,
                accepted: "1 to 50000000",
            })?;
        if salt.is_empty() {
            return Err(malformed(name, "the salt is empty"));
        }
        Ok(Self {
            digest,
            iterations,
            salt,
        })
    }
}

fn pbkdf2_tag(
    digest: Pbkdf2Digest,
    password: &str,
    salt: &str,
    iterations: NonZeroU32,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; digest.len()]);
    ring::pbkdf2::derive(
        digest.algorithm(),
        iterations,
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    out
}

/// Django's `PBKDF2PasswordHasher.encode`.
pub(super) fn pbkdf2_encode(
    digest: Pbkdf2Digest,
    password: &str,
    salt: &str,
    iterations: NonZeroU32,
) -> String {
    let tag = pbkdf2_tag(digest, password, salt, iterations);
    format!(
        "{}${}${}${}",
        digest.prefix(),
        iterations,
        salt,
        STANDARD.encode(tag.as_slice())
    )
}
