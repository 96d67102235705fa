//! Password hashing: Argon2id in PHC strings by default, and Django's formats so
//! a Rust service and a Django service can share `auth_user.password` both ways.
//!
//! A [`Hasher`] is the *preferred* configuration, like the first entry of
//! Django's `PASSWORD_HASHERS`. [`Hasher::verify`] follows Django's
//! `verify_password`:
//!
//! * the stored hash's own format and parameters decide how it is checked
//!   (`pbkdf2_sha256$…`, `pbkdf2_sha1$…`, `argon2$argon2id$…`, `scrypt$…`,
//!   `bcrypt_sha256$…`, and native `$argon2id$…` PHC strings);
//! * `must_update` is true when the stored hash uses another format than the
//!   preferred one, or other parameters, or a salt under 128 bits: rehash it
//!   with [`Hasher::hash`] after a successful login;
//! * an unusable password (`!…`, Django's `set_unusable_password`) or a hash in
//!   a format this crate does not compute (unknown, or Django's legacy `md5`,
//!   `bcrypt`, unsalted `sha1`, …) is a failed check that costs one preferred
//!   hash, as in Django; so is an unknown user ([`Hasher::verify_unknown_user`]);
//! * **every failed check costs at least one preferred hash**: a wrong password
//!   against a hash cheaper than preferred (a legacy format, or lower costs) also
//!   runs one preferred hash of a random string, where Django's `harden_runtime`
//!   only tops up the preferred format, so an attacker cannot tell unknown users,
//!   unusable hashes and cheap legacy hashes apart by timing.
//!   [`Hasher::verify_with_work`] returns the derivations run ([`Work`]), which
//!   is how the tests check it, by parameters rather than wall time.
//!
//! Comparisons are constant-time. Stored hashes are parsed strictly and their
//! costs are bounded twice: absolutely ([`MAX_ARGON2_MEMORY_KIB`],
//! [`MAX_PBKDF2_ITERATIONS`], [`MAX_BCRYPT_COST`], scrypt within Django's own
//! 32 MiB) and relative to the configured parameters of the hash's family (at
//! most [`DEFAULT_MAX_STORED_COST_FACTOR`] times, see
//! [`Hasher::with_max_stored_cost_factor`]; beyond it verification refuses with
//! [`PasswordError::StoredCostTooHigh`]), so a planted or imported hash cannot
//! make each login for its account a minute of CPU and a gigabyte.
//!
//! ```
//! use portcullis::password::hash::{Argon2Params, HashFormat, Hasher};
//!
//! # fn main() -> Result<(), portcullis::password::PasswordError> {
//! // Small parameters to keep the example fast; production uses the defaults.
//! let hasher = Hasher::new(HashFormat::DjangoArgon2).with_argon2_params(Argon2Params::new(64, 1, 1)?);
//! let stored = hasher.hash("correct horse battery staple")?;
//! assert!(stored.starts_with("argon2$argon2id$v=19$m=64,t=1,p=1$"));
//!
//! let check = hasher.verify("correct horse battery staple", &stored)?;
//! assert!(check.is_correct && !check.must_update);
//! assert!(!hasher.verify("wrong", &stored)?.is_correct);
//!
//! // A Django PBKDF2 hash verifies, and must be upgraded to the preferred format.
//! let django = "pbkdf2_sha256$1000$MXYqYNrzq2y90VeJzB4UUc$CblBNUPgdXLIO0qsMsMZaPTSqTQP0bcF7KC2q6WdP0Y=";
//! let check = hasher.verify("correct horse battery staple", django)?;
//! assert!(check.is_correct && check.must_update);
//! # Ok(())
//! # }
//! ```

mod argon2;
mod bcrypt;
mod django;
mod pbkdf2;
mod scrypt;
#[cfg(test)]
mod tests;

pub use self::argon2::Argon2Params;
pub use self::bcrypt::{DJANGO_BCRYPT_COST, MAX_BCRYPT_COST};
pub use self::scrypt::ScryptParams;

use std::fmt;
use std::num::NonZeroU32;

use self::argon2::Argon2Stored;
use self::bcrypt::bcrypt_input;
use self::django::Stored;
use self::pbkdf2::{Pbkdf2Digest, pbkdf2_encode};
use self::scrypt::scrypt_encode;
use super::PasswordError;
use crate::secret::fill_random;

/// The longest password hashed or verified, in bytes: a guard against
/// denial of service through very long inputs (Django sets no limit; its
/// users with longer passwords could not log in here).
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// The most memory a stored Argon2 hash may ask for, in KiB (1 GiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;

/// The most passes a stored Argon2 hash may ask for.
pub const MAX_ARGON2_TIME_COST: u32 = 64;

/// The most lanes a stored Argon2 hash may ask for.
pub const MAX_ARGON2_PARALLELISM: u32 = 255;

/// The most iterations a stored PBKDF2 hash may ask for (33 times Django 6.1's).
pub const MAX_PBKDF2_ITERATIONS: u32 = 50_000_000;

/// How many times the configured cost a stored hash may ask for, by default.
pub const DEFAULT_MAX_STORED_COST_FACTOR: u32 = 4;

/// Django 6.1's PBKDF2 iteration count (`PBKDF2PasswordHasher.iterations`).
pub const DJANGO_PBKDF2_ITERATIONS: u32 = 1_500_000;

/// The longest stored hash accepted (Django's column holds 128 characters).
const MAX_ENCODED_LEN: usize = 512;

/// Django salts: 22 characters of `[a-zA-Z0-9]`, just over 128 bits.
const DJANGO_SALT_LEN: usize = 22;
const SALT_ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Native PHC salts: 16 random bytes.
const NATIVE_SALT_LEN: usize = 16;

/// Argon2 tag length, the argon2-cffi and RustCrypto default.
const ARGON2_OUTPUT_LEN: usize = 32;

/// The string format a [`Hasher`] produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashFormat {
    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (PHC; what `argon2` and most
    /// libraries read). The default, at OWASP's parameters.
    Argon2id,
    /// Django's `Argon2PasswordHasher`: `argon2` + the argon2-cffi PHC string,
    /// with a 22-character text salt; Django's parameters by default.
    DjangoArgon2,
    /// Django's `PBKDF2PasswordHasher` (its default): `pbkdf2_sha256$iterations$salt$hash`.
    DjangoPbkdf2Sha256,
    /// Django's `PBKDF2SHA1PasswordHasher`: `pbkdf2_sha1$iterations$salt$hash`.
    DjangoPbkdf2Sha1,
    /// Django's `ScryptPasswordHasher`: `scrypt$N$salt$r$p$hash`.
    DjangoScrypt,
    /// Django's `BCryptSHA256PasswordHasher`: `bcrypt_sha256$$2b$cost$salthash`,
    /// bcrypt over the hex SHA-256 of the password (no 72-byte truncation).
    DjangoBcryptSha256,
}

impl HashFormat {
    /// Every format, in the order of [`HashFormat::name`]'s documentation.
    pub const ALL: [Self; 6] = [
        Self::Argon2id,
        Self::DjangoArgon2,
        Self::DjangoPbkdf2Sha256,
        Self::DjangoPbkdf2Sha1,
        Self::DjangoScrypt,
        Self::DjangoBcryptSha256,
    ];

    /// The CLI name: `argon2`, `django-argon2`, `django-pbkdf2_sha256`,
    /// `django-pbkdf2_sha1`, `django-scrypt`, `django-bcrypt_sha256`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Argon2id => "argon2",
            Self::DjangoArgon2 => "django-argon2",
            Self::DjangoPbkdf2Sha256 => "django-pbkdf2_sha256",
            Self::DjangoPbkdf2Sha1 => "django-pbkdf2_sha1",
            Self::DjangoScrypt => "django-scrypt",
            Self::DjangoBcryptSha256 => "django-bcrypt_sha256",
        }
    }

    /// The format with this [`HashFormat::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for HashFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The answer of [`Hasher::verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Verification {
    /// The password matches the stored hash.
    pub is_correct: bool,
    /// The stored hash should be replaced by [`Hasher::hash`] of the password
    /// (other format, other parameters, or a weak salt), as Django's `must_update`.
    pub must_update: bool,
}

/// One key derivation a verification ran, with its cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Computation {
    /// Argon2 (any variant) at these costs.
    Argon2(Argon2Params),
    /// PBKDF2 (SHA-256 or SHA-1) with this many iterations.
    Pbkdf2 {
        /// The iteration count.
        iterations: u32,
    },
    /// scrypt at these costs.
    Scrypt(ScryptParams),
    /// bcrypt at this work factor.
    Bcrypt {
        /// The work factor (2^cost rounds).
        cost: u32,
    },
}

/// The key derivations one [`Hasher::verify_with_work`] ran, in order: what the
/// timing defence is checked by (every failure includes the preferred one), and
/// what a host may count in its metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Work {
    runs: Vec<Computation>,
}

impl Work {
    /// Every derivation, in order.
    pub fn runs(&self) -> &[Computation] {
        &self.runs
    }

    /// Whether `computation` was among them.
    pub fn includes(&self, computation: Computation) -> bool {
        self.runs.contains(&computation)
    }

    fn push(&mut self, computation: Computation) {
        self.runs.push(computation);
    }
}

/// The preferred hashing configuration; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hasher {
    format: HashFormat,
    argon2: Argon2Params,
    iterations: NonZeroU32,
    scrypt: ScryptParams,
    bcrypt_cost: u32,
    max_cost_factor: u32,
}

impl Verification {
    /// A failed check with nothing to upgrade.
    const NO: Self = Self {
        is_correct: false,
        must_update: false,
    };
}

impl Default for Hasher {
    /// Argon2id PHC strings at OWASP's parameters.
    fn default() -> Self {
        Self::new(HashFormat::Argon2id)
    }
}

impl Hasher {
    /// `format` with its default costs: OWASP's for [`HashFormat::Argon2id`],
    /// Django 6.1's for the Django formats.
    pub fn new(format: HashFormat) -> Self {
        let argon2 = match format {
            HashFormat::DjangoArgon2 => Argon2Params::DJANGO,
            _ => Argon2Params::OWASP,
        };
        Self {
            format,
            argon2,
            iterations: NonZeroU32::new(DJANGO_PBKDF2_ITERATIONS).unwrap_or(NonZeroU32::MIN),
            scrypt: ScryptParams::DJANGO,
            bcrypt_cost: DJANGO_BCRYPT_COST,
            max_cost_factor: DEFAULT_MAX_STORED_COST_FACTOR,
        }
    }

    /// Uses `params` for [`HashFormat::DjangoScrypt`].
    #[must_use]
    pub fn with_scrypt_params(mut self, params: ScryptParams) -> Self {
        self.scrypt = params;
        self
    }

    /// Uses work factor `cost` for [`HashFormat::DjangoBcryptSha256`].
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] unless 4 <= `cost` <= [`MAX_BCRYPT_COST`].
    pub fn with_bcrypt_cost(mut self, cost: u32) -> Result<Self, PasswordError> {
        if !(4..=MAX_BCRYPT_COST).contains(&cost) {
            return Err(PasswordError::InvalidSetting {
                setting: "bcrypt cost",
                expected: "between 4 and 16",
            });
        }
        self.bcrypt_cost = cost;
        Ok(self)
    }

    /// Uses `params` for the Argon2 formats.
    #[must_use]
    pub fn with_argon2_params(mut self, params: Argon2Params) -> Self {
        self.argon2 = params;
        self
    }

    /// Uses `iterations` for the PBKDF2 formats (Django's own setting, when it
    /// differs from 6.1's, keeps `must_update` in agreement).
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] unless 1 <= `iterations` <= [`MAX_PBKDF2_ITERATIONS`].
    pub fn with_pbkdf2_iterations(mut self, iterations: u32) -> Result<Self, PasswordError> {
        self.iterations = NonZeroU32::new(iterations)
            .filter(|n| n.get() <= MAX_PBKDF2_ITERATIONS)
            .ok_or(PasswordError::InvalidSetting {
                setting: "pbkdf2 iterations",
                expected: "between 1 and 50000000",
            })?;
        Ok(self)
    }

    /// Refuses to verify a stored hash costing more than `factor` times this
    /// configuration's parameters for its family (Argon2 memory and passes,
    /// PBKDF2 iterations, scrypt N·r·p, bcrypt 2^cost; default
    /// [`DEFAULT_MAX_STORED_COST_FACTOR`]): a planted or imported hash cannot make
    /// each login for its account cost a minute of CPU or a gigabyte.
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] unless 1 <= `factor` <= 64.
    pub fn with_max_stored_cost_factor(mut self, factor: u32) -> Result<Self, PasswordError> {
        if !(1..=64).contains(&factor) {
            return Err(PasswordError::InvalidSetting {
                setting: "max stored cost factor",
                expected: "between 1 and 64",
            });
        }
        self.max_cost_factor = factor;
        Ok(self)
    }

    /// The format [`Hasher::hash`] produces.
    pub fn format(&self) -> HashFormat {
        self.format
    }

    /// A new hash of `password` with a fresh salt, in the preferred format.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`] beyond [`MAX_PASSWORD_BYTES`];
    /// [`PasswordError::Key`] if no salt can be drawn.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_length(password)?;
        match self.format {
            HashFormat::Argon2id => {
                let mut salt = [0u8; NATIVE_SALT_LEN];
                fill_random(&mut salt)?;
                let params = Argon2Stored::preferred(self.argon2, salt.to_vec());
                let tag = params.compute(password.as_bytes())?;
                Ok(params.encode("", &tag))
            }
            HashFormat::DjangoArgon2 => {
                let salt = django_salt()?;
                let params = Argon2Stored::preferred(self.argon2, salt.into_bytes());
                let tag = params.compute(password.as_bytes())?;
                Ok(params.encode("argon2", &tag))
            }
            HashFormat::DjangoPbkdf2Sha256 | HashFormat::DjangoPbkdf2Sha1 => {
                let digest = if self.format == HashFormat::DjangoPbkdf2Sha1 {
                    Pbkdf2Digest::Sha1
                } else {
                    Pbkdf2Digest::Sha256
                };
                let salt = django_salt()?;
                Ok(pbkdf2_encode(digest, password, &salt, self.iterations))
            }
            HashFormat::DjangoScrypt => {
                let salt = django_salt()?;
                scrypt_encode(password, &salt, self.scrypt)
            }
            HashFormat::DjangoBcryptSha256 => {
                let mut salt = [0u8; 16];
                fill_random(&mut salt)?;
                let parts = ::bcrypt::hash_with_salt(
                    bcrypt_input(password).as_bytes(),
                    self.bcrypt_cost,
                    salt,
                )
                .map_err(|_| PasswordError::InvalidSetting {
                    setting: "bcrypt cost",
                    expected: "between 4 and 16",
                })?;
                Ok(format!(
                    "bcrypt_sha256${}",
                    parts.format_for_version(::bcrypt::Version::TwoB)
                ))
            }
        }
    }

    /// Checks `password` against the stored `encoded` hash, as Django's
    /// `verify_password` with this hasher preferred.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`] for an over-long password;
    /// [`PasswordError::MalformedHash`] or [`PasswordError::UnsupportedParameters`]
    /// when `encoded` names a supported format but does not follow it. An
    /// unusable or unknown hash is not an error: it fails the check.
    pub fn verify(&self, password: &str, encoded: &str) -> Result<Verification, PasswordError> {
        self.verify_with_work(password, encoded).map(|(v, _)| v)
    }

    /// [`Hasher::verify`], also returning the derivations it ran.
    ///
    /// # Errors
    /// As [`Hasher::verify`].
    pub fn verify_with_work(
        &self,
        password: &str,
        encoded: &str,
    ) -> Result<(Verification, Work), PasswordError> {
        check_length(password)?;
        let mut work = Work::default();
        let Some(stored) = Stored::parse(encoded)? else {
            // Django: hash a random string with the preferred hasher, answer no.
            self.decoy(&mut work)?;
            return Ok((Verification::NO, work));
        };
        let hasher_changed = stored.format() != self.format;
        let must_update = hasher_changed || self.must_update(&stored);
        self.check_stored_cost(&stored)?;
        work.push(stored.computation());
        let is_correct = stored.matches(password, encoded)?;
        // A failure costs at least the preferred hash, whatever the stored format
        // (Django's `harden_runtime` only tops up the preferred format's own).
        if !is_correct && !work.includes(self.preferred_computation()) {
            self.decoy(&mut work)?;
        }
        Ok((
            Verification {
                is_correct,
                must_update,
            },
            work,
        ))
    }

    /// The answer for a user that does not exist, at the cost of a failed
    /// verification: one preferred hash of a random string (Django's
    /// `ModelBackend` runs the hasher for a missing user for the same reason).
    ///
    /// # Errors
    /// [`PasswordError::TooLong`], [`PasswordError::Key`].
    pub fn verify_unknown_user(
        &self,
        password: &str,
    ) -> Result<(Verification, Work), PasswordError> {
        check_length(password)?;
        let mut work = Work::default();
        self.decoy(&mut work)?;
        Ok((Verification::NO, work))
    }

    /// The derivation [`Hasher::hash`] runs: what every failure costs at least.
    pub fn preferred_computation(&self) -> Computation {
        match self.format {
            HashFormat::Argon2id | HashFormat::DjangoArgon2 => Computation::Argon2(self.argon2),
            HashFormat::DjangoPbkdf2Sha256 | HashFormat::DjangoPbkdf2Sha1 => Computation::Pbkdf2 {
                iterations: self.iterations.get(),
            },
            HashFormat::DjangoScrypt => Computation::Scrypt(self.scrypt),
            HashFormat::DjangoBcryptSha256 => Computation::Bcrypt {
                cost: self.bcrypt_cost,
            },
        }
    }

    /// Refuses a stored hash that costs more than `max_cost_factor` times this
    /// configuration's parameters for its family.
    fn check_stored_cost(&self, stored: &Stored<'_>) -> Result<(), PasswordError> {
        let factor = u64::from(self.max_cost_factor);
        let check = |parameter, value: u64, preferred: u64| {
            let max = preferred.saturating_mul(factor);
            if value > max {
                return Err(PasswordError::StoredCostTooHigh {
                    format: stored_format_name(stored.format()),
                    parameter,
                    value,
                    max,
                });
            }
            Ok(())
        };
        match stored.computation() {
            Computation::Argon2(params) => {
                check(
                    "memory_cost",
                    u64::from(params.memory_kib()),
                    u64::from(self.argon2.memory_kib()),
                )?;
                check(
                    "time_cost",
                    u64::from(params.time_cost()),
                    u64::from(self.argon2.time_cost()),
                )
            }
            Computation::Pbkdf2 { iterations } => check(
                "iterations",
                u64::from(iterations),
                u64::from(self.iterations.get()),
            ),
            Computation::Scrypt(params) => check("N*r*p", params.work(), self.scrypt.work()),
            // Work doubles per step of the cost: compare 2^cost.
            Computation::Bcrypt { cost } => check(
                "cost",
                1u64.checked_shl(cost).unwrap_or(u64::MAX),
                1u64.checked_shl(self.bcrypt_cost).unwrap_or(u64::MAX),
            )
            .map_err(|_| PasswordError::StoredCostTooHigh {
                format: stored_format_name(stored.format()),
                parameter: "cost",
                value: u64::from(cost),
                max: u64::from(self.bcrypt_cost)
                    .saturating_add(u64::from(self.max_cost_factor.ilog2())),
            }),
        }
    }

    /// One preferred hash of a random string.
    fn decoy(&self, work: &mut Work) -> Result<(), PasswordError> {
        let decoy = django_salt()?;
        let _ = self.hash(&decoy)?;
        work.push(self.preferred_computation());
        Ok(())
    }

    /// Whether `encoded` should be rehashed with this configuration (Django's
    /// `must_update`, with a format change counting). Parses without hashing.
    ///
    /// # Errors
    /// As [`Hasher::verify`] for a malformed hash; an unusable or unknown hash
    /// answers `false` (there is nothing to upgrade until the password is set).
    pub fn needs_rehash(&self, encoded: &str) -> Result<bool, PasswordError> {
        Ok(match Stored::parse(encoded)? {
            None => false,
            Some(stored) => stored.format() != self.format || self.must_update(&stored),
        })
    }

    /// The preferred hasher's `must_update` for a hash in its own format.
    fn must_update(&self, stored: &Stored<'_>) -> bool {
        match stored {
            Stored::Pbkdf2(p) => {
                p.iterations != self.iterations || p.salt.chars().count() < DJANGO_SALT_LEN
            }
            Stored::Scrypt(s) => s.params != self.scrypt,
            Stored::Bcrypt(b) => b.cost != self.bcrypt_cost,
            Stored::Argon2(a) => {
                let weak_salt = if a.django {
                    a.salt.len() < DJANGO_SALT_LEN
                } else {
                    a.salt.len() < NATIVE_SALT_LEN
                };
                a.variant != ::argon2::Algorithm::Argon2id
                    || a.version != ::argon2::Version::V0x13
                    || a.params != self.argon2
                    || a.tag.len() != ARGON2_OUTPUT_LEN
                    || weak_salt
            }
        }
    }
}

fn check_length(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong {
            actual: password.len(),
            max: MAX_PASSWORD_BYTES,
        });
    }
    Ok(())
}

/// 22 characters from `[a-zA-Z0-9]`, as Django's `BasePasswordHasher.salt()`.
fn django_salt() -> Result<String, PasswordError> {
    let mut salt = String::with_capacity(DJANGO_SALT_LEN);
    let mut buf = [0u8; 32];
    while salt.len() < DJANGO_SALT_LEN {
        fill_random(&mut buf)?;
        // Rejection sampling: 248 = 4 x 62 keeps the choice uniform.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if salt.len() == DJANGO_SALT_LEN {
                break;
            }
            if let Some(&c) = SALT_ALPHABET.get(usize::from(b % 62)) {
                salt.push(char::from(c));
            }
        }
    }
    Ok(salt)
}

pub(super) fn stored_format_name(format: HashFormat) -> &'static str {
    match format {
        HashFormat::Argon2id => "argon2 (PHC)",
        HashFormat::DjangoArgon2 => "Django argon2",
        HashFormat::DjangoPbkdf2Sha256 => "Django pbkdf2_sha256",
        HashFormat::DjangoPbkdf2Sha1 => "Django pbkdf2_sha1",
        HashFormat::DjangoScrypt => "Django scrypt",
        HashFormat::DjangoBcryptSha256 => "Django bcrypt_sha256",
    }
}

pub(super) fn malformed(format: &'static str, reason: &'static str) -> PasswordError {
    PasswordError::MalformedHash { format, reason }
}

pub(super) fn parse_cost(name: &'static str, key: &str, value: &str) -> Result<u32, PasswordError> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(name, "a cost is not a number"));
    }
    let n: u64 = value
        .parse()
        .map_err(|_| malformed(name, "a cost is not a number"))?;
    u32::try_from(n).map_err(|_| PasswordError::UnsupportedParameters {
        format: name,
        parameter: match key {
            "m" => "memory_cost",
            "t" => "time_cost",
            "p" => "parallelism",
            "N" => "N",
            "r" => "r",
            _ => "cost",
        },
        value: n,
        accepted: "a 32-bit number",
    })
}
