//! [`TokenConfig`] and the signing key text from environment variables, under the
//! names the replaced services use (`JWT_SIGNING_KEY`, `ACCESS_TOKEN_LIFETIME_MINUTES`,
//! `REFRESH_TOKEN_LIFETIME_DAYS`, `JWT_ALGORITHM`, `JWT_ISSUER`), with an optional
//! name prefix.
//!
//! [`token_config_from_lookup`] is pure: the environment is an injected lookup.
//! [`token_config_from_env`] is a thin wrapper over [`std::env::var_os`].

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use zeroize::Zeroize;

use super::config::TokenConfig;
use super::{Algorithm, KeyFamily, MIN_HMAC_SECRET};
use crate::secret::SecretString;

/// The signing key text (required).
pub const ENV_SIGNING_KEY: &str = "JWT_SIGNING_KEY";
/// Access token lifetime in whole minutes (optional, at least 1).
pub const ENV_ACCESS_MINUTES: &str = "ACCESS_TOKEN_LIFETIME_MINUTES";
/// Refresh token lifetime in whole days (optional, at least 1).
pub const ENV_REFRESH_DAYS: &str = "REFRESH_TOKEN_LIFETIME_DAYS";
/// The signing algorithm, such as `HS256` (optional).
pub const ENV_ALGORITHM: &str = "JWT_ALGORITHM";
/// The issuer (`iss`) issued tokens carry and verified tokens must (optional).
pub const ENV_ISSUER: &str = "JWT_ISSUER";

const ALGORITHMS: &str =
    "HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA";

/// A [`TokenConfig`] and the signing key text read from the environment.
///
/// Debug shows the key as `[REDACTED]`.
#[derive(Debug)]
#[non_exhaustive]
pub struct EnvTokenSettings {
    /// The base config with the variables that were set applied.
    pub config: TokenConfig,
    /// The text of `JWT_SIGNING_KEY` (an HMAC secret or a PEM private key).
    pub signing_key: SecretString,
}

/// Why the environment could not be read; each variant names the full variable
/// name (prefix included) and never carries the key's value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvError {
    /// A required variable is not set.
    Missing {
        /// The variable.
        var: String,
    },
    /// The value is not valid UTF-8.
    NotUnicode {
        /// The variable.
        var: String,
    },
    /// The value is not a whole number.
    NotInteger {
        /// The variable.
        var: String,
    },
    /// The value is zero; lifetimes must be at least 1.
    Zero {
        /// The variable.
        var: String,
    },
    /// The value is too large to be a lifetime.
    Overflow {
        /// The variable.
        var: String,
        /// The largest accepted value.
        max: u64,
    },
    /// The value is not a supported algorithm name.
    UnknownAlgorithm {
        /// The variable.
        var: String,
    },
    /// An HMAC signing key shorter than [`MIN_HMAC_SECRET`] bytes.
    KeyTooShort {
        /// The variable.
        var: String,
        /// The key's length in bytes.
        len: usize,
        /// The minimum length in bytes.
        min: usize,
    },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { var } => write!(f, "environment variable `{var}` is required"),
            Self::NotUnicode { var } => {
                write!(f, "environment variable `{var}` is not valid UTF-8")
            }
            Self::NotInteger { var } => write!(
                f,
                "environment variable `{var}` must be a whole number of at least 1"
            ),
            Self::Zero { var } => write!(
                f,
                "environment variable `{var}` is 0; it must be at least 1"
            ),
            Self::Overflow { var, max } => write!(
                f,
                "environment variable `{var}` is too large; accepted range is 1 to {max}"
            ),
            Self::UnknownAlgorithm { var } => write!(
                f,
                "environment variable `{var}` is not a supported algorithm; use one of {ALGORITHMS}"
            ),
            Self::KeyTooShort { var, len, min } => write!(
                f,
                "environment variable `{var}` holds a {len} byte HMAC secret; it must be at least {min} bytes"
            ),
        }
    }
}

impl std::error::Error for EnvError {}

/// Ten years, the longest lifetime [`TokenConfig::validate`] accepts.
const MAX_SECS: u64 = 10 * 365 * 24 * 3600;

/// Reads the settings through `lookup`, which returns a variable's raw value.
///
/// Each name is `prefix` followed by the `ENV_*` name (`"MYAPP_"` reads
/// `MYAPP_JWT_SIGNING_KEY`; `""` reads `JWT_SIGNING_KEY`). Unset optional variables
/// keep `base`'s values; `JWT_ALGORITHM` replaces `base.algorithms` with that one
/// algorithm; `JWT_ISSUER` sets `issuer`. The signing key is required; with an
/// HMAC algorithm it must be at least [`MIN_HMAC_SECRET`] bytes. Call
/// [`TokenConfig::validate`] (every constructor does) for the cross-setting rules.
///
/// ```
/// use std::ffi::OsString;
/// use std::time::Duration;
/// use portcullis::token::{TokenConfig, token_config_from_lookup};
///
/// let env = |name: &str| match name {
///     "MYAPP_JWT_SIGNING_KEY" => Some(OsString::from("a signing secret of at least 32 bytes")),
///     "MYAPP_ACCESS_TOKEN_LIFETIME_MINUTES" => Some(OsString::from("15")),
///     _ => None,
/// };
/// let s = token_config_from_lookup("MYAPP_", TokenConfig::simplejwt_defaults(), env).unwrap();
/// assert_eq!(s.config.access_token_lifetime, Duration::from_secs(900));
/// ```
///
/// # Errors
/// [`EnvError`] naming the first variable that is missing or malformed.
pub fn token_config_from_lookup(
    prefix: &str,
    base: TokenConfig,
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<EnvTokenSettings, EnvError> {
    let mut config = base;
    let text = |name: &str| -> Result<Option<(String, String)>, EnvError> {
        let var = format!("{prefix}{name}");
        match lookup(&var) {
            None => Ok(None),
            Some(raw) => match raw.into_string() {
                Ok(s) => Ok(Some((var, s))),
                Err(mut raw) => {
                    let mut bytes = std::mem::take(&mut raw).into_encoded_bytes();
                    bytes.zeroize();
                    Err(EnvError::NotUnicode { var })
                }
            },
        }
    };
    if let Some((var, value)) = text(ENV_ACCESS_MINUTES)? {
        config.access_token_lifetime = lifetime(var, &value, 60)?;
    }
    if let Some((var, value)) = text(ENV_REFRESH_DAYS)? {
        config.refresh_token_lifetime = lifetime(var, &value, 86_400)?;
    }
    if let Some((var, value)) = text(ENV_ALGORITHM)? {
        let alg: Algorithm = value
            .trim()
            .parse()
            .map_err(|_| EnvError::UnknownAlgorithm { var })?;
        config.algorithms = vec![alg];
    }
    if let Some((_, value)) = text(ENV_ISSUER)? {
        config.issuer = Some(value);
    }
    let (var, key) = text(ENV_SIGNING_KEY)?.ok_or_else(|| EnvError::Missing {
        var: format!("{prefix}{ENV_SIGNING_KEY}"),
    })?;
    let signing_key = SecretString::new(key);
    let hmac = config
        .algorithms
        .first()
        .is_some_and(|a| a.family() == KeyFamily::Hmac);
    if hmac && signing_key.len() < MIN_HMAC_SECRET {
        return Err(EnvError::KeyTooShort {
            var,
            len: signing_key.len(),
            min: MIN_HMAC_SECRET,
        });
    }
    Ok(EnvTokenSettings {
        config,
        signing_key,
    })
}

/// [`token_config_from_lookup`] over the process environment ([`std::env::var_os`]).
///
/// # Errors
/// As [`token_config_from_lookup`].
pub fn token_config_from_env(
    prefix: &str,
    base: TokenConfig,
) -> Result<EnvTokenSettings, EnvError> {
    token_config_from_lookup(prefix, base, |name| std::env::var_os(name))
}

fn lifetime(var: String, value: &str, unit: u64) -> Result<Duration, EnvError> {
    let max = MAX_SECS / unit;
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EnvError::NotInteger { var });
    }
    let n: u64 = value.parse().map_err(|_| EnvError::Overflow {
        var: var.clone(),
        max,
    })?;
    if n == 0 {
        return Err(EnvError::Zero { var });
    }
    if n > max {
        return Err(EnvError::Overflow { var, max });
    }
    Ok(Duration::from_secs(n * unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_bounds() {
        assert_eq!(lifetime("V".into(), "2", 60), Ok(Duration::from_secs(120)));
        assert!(matches!(
            lifetime("V".into(), "0", 60),
            Err(EnvError::Zero { .. })
        ));
        assert!(matches!(
            lifetime("V".into(), "-1", 60),
            Err(EnvError::NotInteger { .. })
        ));
        assert!(matches!(
            lifetime("V".into(), "99999999999999999999999", 60),
            Err(EnvError::Overflow { .. })
        ));
        assert!(matches!(
            lifetime("V".into(), "3651", 86_400),
            Err(EnvError::Overflow { max: 3650, .. })
        ));
    }
}
