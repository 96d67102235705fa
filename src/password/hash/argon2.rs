//! Argon2: native PHC strings (`$argon2id$…`) and Django's `argon2$argon2id$…`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use zeroize::Zeroizing;

use super::{
    ARGON2_OUTPUT_LEN, HashFormat, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM,
    MAX_ARGON2_TIME_COST, malformed, parse_cost, stored_format_name,
};
use crate::password::PasswordError;

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

pub(super) struct Argon2Stored {
    pub(super) django: bool,
    pub(super) variant: argon2::Algorithm,
    pub(super) version: argon2::Version,
    pub(super) params: Argon2Params,
    pub(super) salt: Vec<u8>,
    pub(super) tag: Vec<u8>,
}

impl Argon2Stored {
    pub(super) fn preferred(params: Argon2Params, salt: Vec<u8>) -> Self {
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
    pub(super) fn parse(django: bool, rest: &str) -> Result<Self, PasswordError> {
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

    pub(super) fn compute(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, PasswordError> {
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
    pub(super) fn encode(&self, prefix: &str, tag: &[u8]) -> String {
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
