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
//!   hash, as in Django, so it does not reveal itself through timing;
//! * a wrong password against a PBKDF2 or bcrypt hash cheaper than preferred
//!   runs the missing work (Django's `harden_runtime`).
//!
//! Comparisons are constant-time. Stored hashes are parsed strictly and their
//! costs are bounded ([`MAX_ARGON2_MEMORY_KIB`], [`MAX_PBKDF2_ITERATIONS`],
//! [`MAX_BCRYPT_COST`], scrypt within Django's own 32 MiB) so a
//! planted hash cannot make verification allocate or spin without limit.
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

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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

/// Argon2 cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Argon2Params {
    memory_kib: u32,
    time_cost: u32,
    parallelism: u32,
}

impl Argon2Params {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        time_cost: 2,
        parallelism: 1,
    };

    /// Django's `Argon2PasswordHasher`: 100 MiB, 2 passes, 8 lanes.
    pub const DJANGO: Self = Self {
        memory_kib: 102_400,
        time_cost: 2,
        parallelism: 8,
    };

    /// Custom costs.
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] naming the parameter, unless
    /// 1 <= `parallelism` <= 255, 1 <= `time_cost` <= 64 and
    /// 8 x `parallelism` <= `memory_kib` <= 1 GiB.
    pub fn new(memory_kib: u32, time_cost: u32, parallelism: u32) -> Result<Self, PasswordError> {
        if !(1..=MAX_ARGON2_PARALLELISM).contains(&parallelism) {
            return Err(PasswordError::InvalidSetting {
                setting: "argon2 parallelism",
                expected: "between 1 and 255",
            });
        }
        if !(1..=MAX_ARGON2_TIME_COST).contains(&time_cost) {
            return Err(PasswordError::InvalidSetting {
                setting: "argon2 time_cost",
                expected: "between 1 and 64",
            });
        }
        if memory_kib < parallelism.saturating_mul(8) || memory_kib > MAX_ARGON2_MEMORY_KIB {
            return Err(PasswordError::InvalidSetting {
                setting: "argon2 memory_cost",
                expected: "at least 8 KiB per lane and at most 1048576 KiB (1 GiB)",
            });
        }
        Ok(Self {
            memory_kib,
            time_cost,
            parallelism,
        })
    }

    /// Memory in KiB.
    pub const fn memory_kib(self) -> u32 {
        self.memory_kib
    }

    /// Passes over memory.
    pub const fn time_cost(self) -> u32 {
        self.time_cost
    }

    /// Lanes.
    pub const fn parallelism(self) -> u32 {
        self.parallelism
    }
}

/// Scrypt cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScryptParams {
    log_n: u8,
    r: u32,
    p: u32,
}

impl ScryptParams {
    /// Django's `ScryptPasswordHasher`: N = 2^14, r = 8, p = 5.
    pub const DJANGO: Self = Self {
        log_n: 14,
        r: 8,
        p: 5,
    };

    /// N = 2^`log_n`, block size `r`, parallelism `p`.
    ///
    /// # Errors
    /// [`PasswordError::InvalidSetting`] unless 1 <= `log_n` <= 20, 1 <= `r` <= 32,
    /// 1 <= `p` <= 16 and the memory, 128·r·(N + 2 + p) bytes, fits in 32 MiB
    /// (the OpenSSL limit Django runs under: beyond it Django cannot verify).
    pub fn new(log_n: u8, r: u32, p: u32) -> Result<Self, PasswordError> {
        if !(1..=20).contains(&log_n) || !(1..=32).contains(&r) || !(1..=16).contains(&p) {
            return Err(PasswordError::InvalidSetting {
                setting: "scrypt parameters",
                expected: "log2(N) 1 to 20, r 1 to 32, p 1 to 16",
            });
        }
        let params = Self { log_n, r, p };
        if params.memory_bytes() > SCRYPT_MAX_MEMORY {
            return Err(PasswordError::InvalidSetting {
                setting: "scrypt memory 128*r*(N+2+p)",
                expected: "at most 32 MiB (Django's OpenSSL limit)",
            });
        }
        Ok(params)
    }

    /// What OpenSSL charges against its 32 MiB default `maxmem`.
    fn memory_bytes(self) -> u64 {
        let n = 1u64 << self.log_n;
        128 * u64::from(self.r) * (n + 2 + u64::from(self.p))
    }
}

/// OpenSSL's default `maxmem` for `EVP_PBE_scrypt`, which Django's `maxmem=0` keeps.
const SCRYPT_MAX_MEMORY: u64 = 32 * 1024 * 1024;

/// Django's default bcrypt work factor (`BCryptSHA256PasswordHasher.rounds`).
pub const DJANGO_BCRYPT_COST: u32 = 12;

/// The highest bcrypt work factor computed (16x Django's default time).
pub const MAX_BCRYPT_COST: u32 = 16;

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

/// The preferred hashing configuration; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hasher {
    format: HashFormat,
    argon2: Argon2Params,
    iterations: NonZeroU32,
    scrypt: ScryptParams,
    bcrypt_cost: u32,
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
                let parts = bcrypt::hash_with_salt(
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
                    parts.format_for_version(bcrypt::Version::TwoB)
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
        check_length(password)?;
        let Some(stored) = Stored::parse(encoded)? else {
            // Django: hash a random string with the preferred hasher, answer no.
            let decoy = django_salt()?;
            let _ = self.hash(&decoy)?;
            return Ok(Verification {
                is_correct: false,
                must_update: false,
            });
        };
        let hasher_changed = stored.format() != self.format;
        let must_update = hasher_changed || self.must_update(&stored);
        let is_correct = stored.matches(password, encoded)?;
        if !is_correct && !hasher_changed && must_update {
            self.harden_runtime(password, &stored);
        }
        Ok(Verification {
            is_correct,
            must_update,
        })
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
                a.variant != argon2::Algorithm::Argon2id
                    || a.version != argon2::Version::V0x13
                    || a.params != self.argon2
                    || a.tag.len() != ARGON2_OUTPUT_LEN
                    || weak_salt
            }
        }
    }

    /// Django's `harden_runtime`: a wrong password against a PBKDF2 hash with
    /// fewer iterations than preferred runs the difference.
    fn harden_runtime(&self, password: &str, stored: &Stored<'_>) {
        match stored {
            Stored::Pbkdf2(p) => {
                if let Some(extra) = self
                    .iterations
                    .get()
                    .checked_sub(p.iterations.get())
                    .and_then(NonZeroU32::new)
                {
                    let _ = pbkdf2_tag(p.digest, password, p.salt, extra);
                }
            }
            // Django: 2^(preferred - stored) - 1 more hashes at the stored cost.
            Stored::Bcrypt(b) => {
                let extra = self
                    .bcrypt_cost
                    .checked_sub(b.cost)
                    .and_then(|d| 1u32.checked_shl(d))
                    .map_or(0, |n| n.saturating_sub(1));
                for _ in 0..extra {
                    let _ = b.matches(password);
                }
            }
            Stored::Argon2(_) | Stored::Scrypt(_) => {}
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

/// A stored hash in a supported format, borrowed from the encoded string.
enum Stored<'a> {
    Pbkdf2(Pbkdf2Stored<'a>),
    Argon2(Argon2Stored),
    Scrypt(ScryptStored<'a>),
    Bcrypt(BcryptStored<'a>),
}

impl Stored<'_> {
    /// `None` for an unusable (`!…`) or unknown hash, as Django's `identify_hasher` failing.
    fn parse(encoded: &str) -> Result<Option<Stored<'_>>, PasswordError> {
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

    fn format(&self) -> HashFormat {
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

    fn matches(&self, password: &str, encoded: &str) -> Result<bool, PasswordError> {
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

fn stored_format_name(format: HashFormat) -> &'static str {
    match format {
        HashFormat::Argon2id => "argon2 (PHC)",
        HashFormat::DjangoArgon2 => "Django argon2",
        HashFormat::DjangoPbkdf2Sha256 => "Django pbkdf2_sha256",
        HashFormat::DjangoPbkdf2Sha1 => "Django pbkdf2_sha1",
        HashFormat::DjangoScrypt => "Django scrypt",
        HashFormat::DjangoBcryptSha256 => "Django bcrypt_sha256",
    }
}

fn malformed(format: &'static str, reason: &'static str) -> PasswordError {
    PasswordError::MalformedHash { format, reason }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pbkdf2Digest {
    Sha256,
    Sha1,
}

impl Pbkdf2Digest {
    fn algorithm(self) -> ring::pbkdf2::Algorithm {
        match self {
            Self::Sha256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
            Self::Sha1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        }
    }

    fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha1 => 20,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Sha256 => "pbkdf2_sha256",
            Self::Sha1 => "pbkdf2_sha1",
        }
    }
}

struct Pbkdf2Stored<'a> {
    digest: Pbkdf2Digest,
    iterations: NonZeroU32,
    salt: &'a str,
}

impl<'a> Pbkdf2Stored<'a> {
    /// `iterations$salt$hash` (after the algorithm), split as Django's `split("$", 3)`.
    fn parse(digest: Pbkdf2Digest, rest: &'a str) -> Result<Self, PasswordError> {
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
fn pbkdf2_encode(
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

struct Argon2Stored {
    django: bool,
    variant: argon2::Algorithm,
    version: argon2::Version,
    params: Argon2Params,
    salt: Vec<u8>,
    tag: Vec<u8>,
}

impl Argon2Stored {
    fn preferred(params: Argon2Params, salt: Vec<u8>) -> Self {
        Self {
            django: false,
            variant: argon2::Algorithm::Argon2id,
            version: argon2::Version::V0x13,
            params,
            salt,
            tag: Vec::new(),
        }
    }

    /// `argon2id$v=19$m=…,t=…,p=…$salt$hash` (after the leading `argon2` or `$`),
    /// as argon2-cffi writes it; `v=` may be absent (version 16).
    fn parse(django: bool, rest: &str) -> Result<Self, PasswordError> {
        let name = stored_format_name(if django {
            HashFormat::DjangoArgon2
        } else {
            HashFormat::Argon2id
        });
        let fields: Vec<&str> = rest.split('$').collect();
        let (variant, version, costs, salt, tag) = match fields.as_slice() {
            [variant, version, costs, salt, tag] if version.starts_with("v=") => {
                (*variant, Some(*version), *costs, *salt, *tag)
            }
            [variant, costs, salt, tag] => (*variant, None, *costs, *salt, *tag),
            _ => {
                return Err(malformed(
                    name,
                    "expected $variant$v=19$m=…,t=…,p=…$salt$hash",
                ));
            }
        };
        let variant = match variant {
            "argon2id" => argon2::Algorithm::Argon2id,
            "argon2i" => argon2::Algorithm::Argon2i,
            "argon2d" => argon2::Algorithm::Argon2d,
            _ => return Err(malformed(name, "unknown Argon2 variant")),
        };
        let version = match version {
            None | Some("v=16") => argon2::Version::V0x10,
            Some("v=19") => argon2::Version::V0x13,
            Some(_) => return Err(malformed(name, "unknown Argon2 version")),
        };
        let mut m = None;
        let mut t = None;
        let mut p = None;
        let mut parts = costs.split(',');
        for (key, slot) in [("m", &mut m), ("t", &mut t), ("p", &mut p)] {
            let value = parts
                .next()
                .and_then(|kv| kv.strip_prefix(key))
                .and_then(|v| v.strip_prefix('='))
                .ok_or(malformed(name, "expected costs m=…,t=…,p=…"))?;
            *slot = Some(parse_cost(name, key, value)?);
        }
        if parts.next().is_some() {
            return Err(malformed(name, "expected costs m=…,t=…,p=…"));
        }
        let (Some(m), Some(t), Some(p)) = (m, t, p) else {
            return Err(malformed(name, "expected costs m=…,t=…,p=…"));
        };
        let params = stored_params(name, m, t, p)?;
        let salt = STANDARD_NO_PAD
            .decode(salt)
            .map_err(|_| malformed(name, "the salt is not unpadded base64"))?;
        if !(8..=64).contains(&salt.len()) {
            return Err(malformed(name, "the salt must be 8 to 64 bytes"));
        }
        let tag = STANDARD_NO_PAD
            .decode(tag)
            .map_err(|_| malformed(name, "the hash is not unpadded base64"))?;
        if !(4..=64).contains(&tag.len()) {
            return Err(malformed(name, "the hash must be 4 to 64 bytes"));
        }
        Ok(Self {
            django,
            variant,
            version,
            params,
            salt,
            tag,
        })
    }

    fn compute(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, PasswordError> {
        let len = if self.tag.is_empty() {
            ARGON2_OUTPUT_LEN
        } else {
            self.tag.len()
        };
        let params = argon2::Params::new(
            self.params.memory_kib,
            self.params.time_cost,
            self.params.parallelism,
            Some(len),
        )
        .map_err(|_| PasswordError::InvalidSetting {
            setting: "argon2 parameters",
            expected: "accepted by Argon2 (at least 8 KiB per lane)",
        })?;
        let mut out = Zeroizing::new(vec![0u8; len]);
        argon2::Argon2::new(self.variant, self.version, params)
            .hash_password_into(password, &self.salt, &mut out)
            .map_err(|_| PasswordError::InvalidSetting {
                setting: "argon2 salt",
                expected: "8 to 64 bytes",
            })?;
        Ok(out)
    }

    /// `prefix` + `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    fn encode(&self, prefix: &str, tag: &[u8]) -> String {
        format!(
            "{prefix}$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.memory_kib,
            self.params.time_cost,
            self.params.parallelism,
            STANDARD_NO_PAD.encode(&self.salt),
            STANDARD_NO_PAD.encode(tag)
        )
    }
}

struct ScryptStored<'a> {
    params: ScryptParams,
    salt: &'a str,
}

impl<'a> ScryptStored<'a> {
    /// `N$salt$r$p$hash` (after the algorithm): exactly six fields, as Django's unpacking.
    fn parse(rest: &'a str) -> Result<Self, PasswordError> {
        let name = "Django scrypt";
        let fields: Vec<&str> = rest.split('$').collect();
        let [n, salt, r, p, _hash] = fields.as_slice() else {
            return Err(malformed(name, "expected scrypt$N$salt$r$p$hash"));
        };
        let n = parse_cost(name, "N", n)?;
        let r = parse_cost(name, "r", r)?;
        let p = parse_cost(name, "p", p)?;
        if !n.is_power_of_two() || n < 2 {
            return Err(malformed(name, "N is not a power of two"));
        }
        if salt.is_empty() {
            return Err(malformed(name, "the salt is empty"));
        }
        let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
        let params =
            ScryptParams::new(log_n, r, p).map_err(|_| PasswordError::UnsupportedParameters {
                format: name,
                parameter: "N, r, p",
                value: u64::from(n),
                accepted: "N up to 2^20, r 1 to 32, p 1 to 16, memory within 32 MiB",
            })?;
        Ok(Self { params, salt })
    }
}

/// Django's `ScryptPasswordHasher.encode`: a 64-byte key, padded base64.
fn scrypt_encode(
    password: &str,
    salt: &str,
    params: ScryptParams,
) -> Result<String, PasswordError> {
    let invalid = PasswordError::InvalidSetting {
        setting: "scrypt parameters",
        expected: "log2(N) 1 to 20, r 1 to 32, p 1 to 16",
    };
    let raw = scrypt::Params::new(params.log_n, params.r, params.p).map_err(|_| invalid.clone())?;
    let mut out = Zeroizing::new([0u8; 64]);
    scrypt::scrypt(
        password.as_bytes(),
        salt.as_bytes(),
        &raw,
        out.as_mut_slice(),
    )
    .map_err(|_| invalid)?;
    Ok(format!(
        "scrypt${}${}${}${}${}",
        1u64 << params.log_n,
        salt,
        params.r,
        params.p,
        STANDARD.encode(out.as_slice())
    ))
}

struct BcryptStored<'a> {
    cost: u32,
    /// `$2b$12$` + 53 characters, what the bcrypt library reads.
    bcrypt: &'a str,
}

impl<'a> BcryptStored<'a> {
    /// `$2b$cost$salthash` (after `bcrypt_sha256$`).
    fn parse(rest: &'a str) -> Result<Self, PasswordError> {
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
    fn matches(&self, password: &str) -> bool {
        bcrypt::verify(bcrypt_input(password).as_bytes(), self.bcrypt).unwrap_or(false)
    }
}

/// What Django's `BCryptSHA256PasswordHasher` gives bcrypt: lower-case hex SHA-256.
fn bcrypt_input(password: &str) -> Zeroizing<String> {
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

fn parse_cost(name: &'static str, key: &str, value: &str) -> Result<u32, PasswordError> {
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

fn stored_params(
    name: &'static str,
    m: u32,
    t: u32,
    p: u32,
) -> Result<Argon2Params, PasswordError> {
    let unsupported = |parameter, value: u32, accepted| PasswordError::UnsupportedParameters {
        format: name,
        parameter,
        value: u64::from(value),
        accepted,
    };
    if !(1..=MAX_ARGON2_PARALLELISM).contains(&p) {
        return Err(unsupported("parallelism", p, "1 to 255"));
    }
    if !(1..=MAX_ARGON2_TIME_COST).contains(&t) {
        return Err(unsupported("time_cost", t, "1 to 64"));
    }
    if m < p.saturating_mul(8) || m > MAX_ARGON2_MEMORY_KIB {
        return Err(unsupported(
            "memory_cost",
            m,
            "8 KiB per lane to 1048576 KiB (1 GiB)",
        ));
    }
    Ok(Argon2Params {
        memory_kib: m,
        time_cost: t,
        parallelism: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Argon2Params {
        Argon2Params::new(64, 1, 1).unwrap()
    }

    #[test]
    fn every_format_round_trips_and_rejects_a_wrong_password() {
        for format in HashFormat::ALL {
            let hasher = Hasher::new(format)
                .with_argon2_params(small())
                .with_scrypt_params(ScryptParams::new(4, 8, 1).unwrap())
                .with_bcrypt_cost(4)
                .unwrap()
                .with_pbkdf2_iterations(10)
                .unwrap();
            let stored = hasher.hash("pässwörd 🔑").unwrap();
            let ok = hasher.verify("pässwörd 🔑", &stored).unwrap();
            assert_eq!(
                ok,
                Verification {
                    is_correct: true,
                    must_update: false
                },
                "{format}: {stored}"
            );
            assert!(!hasher.verify("pässwörd", &stored).unwrap().is_correct);
            assert!(!hasher.needs_rehash(&stored).unwrap());
        }
    }

    #[test]
    fn native_phc_string_shape_and_parameter_change() {
        let hasher = Hasher::default().with_argon2_params(small());
        let stored = hasher.hash("x").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        let stronger = Hasher::default().with_argon2_params(Argon2Params::new(128, 1, 1).unwrap());
        assert!(stronger.needs_rehash(&stored).unwrap());
        let check = stronger.verify("x", &stored).unwrap();
        assert!(check.is_correct && check.must_update);
    }

    #[test]
    fn unusable_and_unknown_hashes_fail_without_error() {
        let hasher = Hasher::new(HashFormat::DjangoPbkdf2Sha256)
            .with_pbkdf2_iterations(10)
            .unwrap();
        for encoded in ["!abc", "", "md5$salt$0123", "bcrypt$$2b$12$x", "$2b$12$x"] {
            assert_eq!(
                hasher.verify("x", encoded).unwrap(),
                Verification {
                    is_correct: false,
                    must_update: false
                },
                "{encoded}"
            );
            assert!(!hasher.needs_rehash(encoded).unwrap());
        }
    }

    #[test]
    fn malformed_hashes_are_precise_errors() {
        let hasher = Hasher::default();
        let cases = [
            ("pbkdf2_sha256$abc$salt$hash", "iteration count"),
            (
                "pbkdf2_sha256$1000$salt",
                "expected algorithm$iterations$salt$hash",
            ),
            ("pbkdf2_sha256$1000$$hash", "salt is empty"),
            (
                "argon2$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                "variant",
            ),
            (
                "argon2$argon2id$v=20$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                "version",
            ),
            (
                "argon2$argon2id$v=19$m=64,p=1,t=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                "costs",
            ),
            (
                "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2g",
                "salt must be",
            ),
            (
                "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2g",
                "salt is not",
            ),
        ];
        for (encoded, needle) in cases {
            let err = hasher.verify("x", encoded).unwrap_err();
            assert!(
                matches!(err, PasswordError::MalformedHash { .. }),
                "{encoded}: {err}"
            );
            assert!(err.to_string().contains(needle), "{encoded}: {err}");
        }
        let err = hasher
            .verify(
                "x",
                "argon2$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the stored Django argon2 hash asks for memory_cost 4194304; accepted: 8 KiB per lane to 1048576 KiB (1 GiB)"
        );
        let err = hasher.verify("x", "pbkdf2_sha256$0$salt$hash").unwrap_err();
        assert!(matches!(err, PasswordError::UnsupportedParameters { .. }));
        let cases = [
            ("scrypt$16384$salt$8$5", "expected scrypt$N$salt$r$p$hash"),
            (
                "scrypt$16384$salt$8$5$h$extra",
                "expected scrypt$N$salt$r$p$hash",
            ),
            ("scrypt$1000$salt$8$5$h", "power of two"),
            ("scrypt$16384$$8$5$h", "salt is empty"),
            ("bcrypt_sha256$2b$12$x", "expected bcrypt_sha256$$2b$cost$"),
            (
                "bcrypt_sha256$$2c$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
                "expected",
            ),
            (
                "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
                "expected",
            ),
            (
                "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz!",
                "expected",
            ),
        ];
        for (encoded, needle) in cases {
            let err = hasher.verify("x", encoded).unwrap_err();
            assert!(
                matches!(err, PasswordError::MalformedHash { .. }),
                "{encoded}: {err}"
            );
            assert!(err.to_string().contains(needle), "{encoded}: {err}");
        }
        for encoded in [
            "scrypt$2097152$salt$8$1$h",
            "scrypt$16384$salt$64$1$h",
            "bcrypt_sha256$$2b$17$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
            "bcrypt_sha256$$2b$03$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
        ] {
            let err = hasher.verify("x", encoded).unwrap_err();
            assert!(
                matches!(err, PasswordError::UnsupportedParameters { .. }),
                "{encoded}: {err}"
            );
        }
    }

    #[test]
    fn over_long_passwords_are_refused_before_any_work() {
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            Hasher::default().hash(&long),
            Err(PasswordError::TooLong { max: 4096, .. })
        ));
        assert!(Hasher::default().verify(&long, "!").is_err());
    }

    #[test]
    fn bcrypt_harden_runtime_still_answers_no() {
        let weak = Hasher::new(HashFormat::DjangoBcryptSha256)
            .with_bcrypt_cost(4)
            .unwrap();
        let stored = weak.hash("x").unwrap();
        assert!(stored.starts_with("bcrypt_sha256$$2b$04$"), "{stored}");
        let stronger = weak.clone().with_bcrypt_cost(5).unwrap();
        let check = stronger.verify("y", &stored).unwrap();
        assert!(!check.is_correct && check.must_update);
    }

    #[test]
    fn settings_are_bounded() {
        assert!(Argon2Params::new(7, 1, 1).is_err());
        assert!(Argon2Params::new(64, 0, 1).is_err());
        assert!(Argon2Params::new(64, 1, 0).is_err());
        assert!(Argon2Params::new(MAX_ARGON2_MEMORY_KIB + 1, 1, 1).is_err());
        assert!(Hasher::default().with_pbkdf2_iterations(0).is_err());
        assert!(Hasher::default().with_bcrypt_cost(3).is_err());
        assert!(Hasher::default().with_bcrypt_cost(17).is_err());
        assert!(ScryptParams::new(0, 8, 1).is_err());
        assert!(ScryptParams::new(15, 8, 1).is_err()); // 32 MiB + 1 KiB: over OpenSSL's limit
        assert!(ScryptParams::new(14, 8, 16).is_ok());
        assert!(
            Hasher::default()
                .with_pbkdf2_iterations(MAX_PBKDF2_ITERATIONS + 1)
                .is_err()
        );
    }

    #[test]
    fn django_salts_are_22_alphanumerics() {
        let salt = django_salt().unwrap();
        assert_eq!(salt.len(), 22);
        assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn format_names_round_trip() {
        for format in HashFormat::ALL {
            assert_eq!(HashFormat::from_name(format.name()), Some(format));
        }
        assert_eq!(HashFormat::from_name("bcrypt"), None);
    }
}
