//! The format dispatcher: which hasher family a stored string belongs to, as
//! Django's `identify_hasher`.

use subtle::ConstantTimeEq;

use super::argon2::Argon2Stored;
use super::bcrypt::BcryptStored;
use super::pbkdf2::{Pbkdf2Digest, Pbkdf2Stored, pbkdf2_encode};
use super::scrypt::{ScryptStored, scrypt_encode};
use super::{Computation, HashFormat, MAX_ENCODED_LEN, malformed, stored_format_name};
use crate::password::PasswordError;

/// A stored hash in a supported format, borrowed from the encoded string.
pub(super) enum Stored<'a> {
    Pbkdf2(Pbkdf2Stored<'a>),
    Argon2(Argon2Stored),
    Scrypt(ScryptStored<'a>),
    Bcrypt(BcryptStored<'a>),
}

impl Stored<'_> {
    /// `None` for an unusable (`!…`) or unknown hash, as Django's `identify_hasher` failing.
    pub(super) fn parse(encoded: &str) -> Result<Option<Stored<'_>>, PasswordError> {
        if encoded.starts_with('!') {
            return Ok(None);
        }
        let (algorithm, rest) = encoded.split_once('$').unwrap_or((encoded, ""));
        let format = match algorithm {
            "pbkdf2_sha256" => HashFormat::DjangoPbkdf2Sha256,
            "pbkdf2_sha1" => HashFormat::DjangoPbkdf2Sha1,
            "argon2" => HashFormat::DjangoArgon2,
            "scrypt" => HashFormat::DjangoScrypt,
            "bcrypt_sha256" => HashFormat::DjangoBcryptSha256,
            "" if rest.starts_with("argon2") => HashFormat::Argon2id,
            _ => return Ok(None),
        };
        let name = stored_format_name(format);
        if encoded.len() > MAX_ENCODED_LEN {
            return Err(malformed(name, "it is longer than 512 bytes"));
        }
        Ok(Some(match format {
            HashFormat::DjangoPbkdf2Sha256 => {
                Stored::Pbkdf2(Pbkdf2Stored::parse(Pbkdf2Digest::Sha256, rest)?)
            }
            HashFormat::DjangoPbkdf2Sha1 => {
                Stored::Pbkdf2(Pbkdf2Stored::parse(Pbkdf2Digest::Sha1, rest)?)
            }
            HashFormat::DjangoArgon2 => Stored::Argon2(Argon2Stored::parse(true, rest)?),
            HashFormat::Argon2id => Stored::Argon2(Argon2Stored::parse(false, rest)?),
            HashFormat::DjangoScrypt => Stored::Scrypt(ScryptStored::parse(rest)?),
            HashFormat::DjangoBcryptSha256 => Stored::Bcrypt(BcryptStored::parse(rest)?),
        }))
    }

    pub(super) fn format(&self) -> HashFormat {
        match self {
            Stored::Pbkdf2(p) => match p.digest {
                Pbkdf2Digest::Sha256 => HashFormat::DjangoPbkdf2Sha256,
                Pbkdf2Digest::Sha1 => HashFormat::DjangoPbkdf2Sha1,
            },
            Stored::Argon2(a) if a.django => HashFormat::DjangoArgon2,
            Stored::Argon2(_) => HashFormat::Argon2id,
            Stored::Scrypt(_) => HashFormat::DjangoScrypt,
            Stored::Bcrypt(_) => HashFormat::DjangoBcryptSha256,
        }
    }

    /// The derivation [`Stored::matches`] runs.
    pub(super) fn computation(&self) -> Computation {
        match self {
            Stored::Pbkdf2(p) => Computation::Pbkdf2 {
                iterations: p.iterations.get(),
            },
            Stored::Argon2(a) => Computation::Argon2(a.params),
            Stored::Scrypt(s) => Computation::Scrypt(s.params),
            Stored::Bcrypt(b) => Computation::Bcrypt { cost: b.cost },
        }
    }

    pub(super) fn matches(&self, password: &str, encoded: &str) -> Result<bool, PasswordError> {
        match self {
            // Django re-encodes and compares the whole string.
            Stored::Pbkdf2(p) => {
                let again = pbkdf2_encode(p.digest, password, p.salt, p.iterations);
                Ok(bool::from(again.as_bytes().ct_eq(encoded.as_bytes())))
            }
            Stored::Argon2(a) => {
                let tag = a.compute(password.as_bytes())?;
                Ok(bool::from(tag.as_slice().ct_eq(&a.tag)))
            }
            Stored::Scrypt(s) => {
                let again = scrypt_encode(password, s.salt, s.params)?;
                Ok(bool::from(again.as_bytes().ct_eq(encoded.as_bytes())))
            }
            Stored::Bcrypt(b) => Ok(b.matches(password)),
        }
    }
}
