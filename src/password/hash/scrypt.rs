//! Django's `ScryptPasswordHasher`: `scrypt$N$salt$r$p$hash`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{malformed, parse_cost};
use crate::password::PasswordError;

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

    /// The work, N·r·p (what the stored-cost cap compares).
    pub(super) fn work(self) -> u64 {
        (1u64 << self.log_n)
            .saturating_mul(u64::from(self.r))
            .saturating_mul(u64::from(self.p))
    }

    /// What OpenSSL charges against its 32 MiB default `maxmem`.
    pub(super) fn memory_bytes(self) -> u64 {
        let n = 1u64 << self.log_n;
        128 * u64::from(self.r) * (n + 2 + u64::from(self.p))
    }
}

/// OpenSSL's default `maxmem` for `EVP_PBE_scrypt`, which Django's `maxmem=0` keeps.
const SCRYPT_MAX_MEMORY: u64 = 32 * 1024 * 1024;

pub(super) struct ScryptStored<'a> {
    pub(super) params: ScryptParams,
    pub(super) salt: &'a str,
}

impl<'a> ScryptStored<'a> {
    /// `N$salt$r$p$hash` (after the algorithm): exactly six fields, as Django's unpacking.
    pub(super) fn parse(rest: &'a str) -> Result<Self, PasswordError> {
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
pub(super) fn scrypt_encode(
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
