//! Configuration mirroring SimpleJWT's `SIMPLE_JWT` settings.
//!
//! Deserializable from any serde source (TOML, JSON); durations are whole seconds
//! or human text such as `"15m"`, `"7d"`, `"1h30m"`. [`TokenConfig::validate`]
//! (called by every constructor that takes a config) rejects out-of-range values
//! with an error naming the setting.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Algorithm;
use super::error::TokenError;
use super::nesting::NestingLayer;

/// SimpleJWT-compatible token settings. Field names are SimpleJWT's in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenConfig {
    /// ACCESS_TOKEN_LIFETIME.
    #[serde(with = "human_duration")]
    pub access_token_lifetime: Duration,
    /// REFRESH_TOKEN_LIFETIME.
    #[serde(with = "human_duration")]
    pub refresh_token_lifetime: Duration,
    /// SLIDING_TOKEN_LIFETIME.
    #[serde(with = "human_duration")]
    pub sliding_token_lifetime: Duration,
    /// SLIDING_TOKEN_REFRESH_LIFETIME.
    #[serde(with = "human_duration")]
    pub sliding_token_refresh_lifetime: Duration,
    /// ROTATE_REFRESH_TOKENS: a refresh also returns a new refresh token.
    pub rotate_refresh_tokens: bool,
    /// BLACKLIST_AFTER_ROTATION: the presented refresh token is consumed (single use,
    /// with reuse detection). Without it, a rotated-out token stays usable, as in SimpleJWT.
    pub blacklist_after_rotation: bool,
    /// LEEWAY for `exp`, `nbf` and `iat`.
    #[serde(with = "human_duration")]
    pub leeway: Duration,
    /// AUDIENCE: when set, issued tokens carry it and verified tokens must.
    pub audience: Option<String>,
    /// ISSUER: when set, issued tokens carry it and verified tokens must.
    pub issuer: Option<String>,
    /// The algorithms keys may use (SimpleJWT's ALGORITHM, as a list for rotation).
    pub algorithms: Vec<Algorithm>,
    /// AUTH_HEADER_TYPES, such as `["Bearer"]`.
    pub auth_header_types: Vec<String>,
    /// USER_ID_CLAIM.
    pub user_id_claim: String,
    /// TOKEN_TYPE_CLAIM.
    pub token_type_claim: String,
    /// JTI_CLAIM.
    pub jti_claim: String,
    /// SLIDING_TOKEN_REFRESH_EXP_CLAIM.
    pub sliding_token_refresh_exp_claim: String,
    /// Cookie holding the access token, for hosts that use cookies.
    pub access_cookie_name: Option<String>,
    /// Cookie holding the refresh token, for hosts that use cookies.
    pub refresh_cookie_name: Option<String>,
    /// Tokens longer than this are refused before any decoding (bytes).
    pub max_token_bytes: usize,
    /// When set, tokens whose `iat` is older than this are refused.
    #[serde(with = "human_duration_opt")]
    pub max_token_age: Option<Duration>,
    /// CHECK_REVOKE_TOKEN: every issued token carries SimpleJWT's hash of the user's
    /// stored password hash under `revoke_token_claim`, and
    /// [`Tokens::check_password`](super::Tokens::check_password), run where the host
    /// loads the user, refuses a token whose hash no longer matches: a password
    /// change revokes the user's older tokens with no revocation store involved.
    pub check_revoke_token: bool,
    /// REVOKE_TOKEN_CLAIM: the claim holding that hash (SimpleJWT's `hash_password`).
    pub revoke_token_claim: String,
    /// When set, every token issued is signed, then wrapped by this layer (a
    /// nested JWT: the jose room's `NestedJwe` encrypts it), and every token
    /// verified is unwrapped by it first. Set in code, never read from a file: the
    /// layer holds a key.
    #[serde(skip)]
    pub nesting: Option<NestingLayer>,
    /// UPDATE_LAST_LOGIN: a login ([`Tokens::login`](super::Tokens::login)) asks
    /// the host to set the user's `last_login` ([`LastLogin`](super::LastLogin)).
    pub update_last_login: bool,
}

impl Default for TokenConfig {
    /// SimpleJWT's own defaults (5 minute access, 1 day refresh, no rotation).
    fn default() -> Self {
        Self::simplejwt_defaults()
    }
}

const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

impl TokenConfig {
    /// SimpleJWT's defaults: 5 min access, 1 day refresh, 5 min / 1 day sliding,
    /// no rotation, no leeway, HS256, `Bearer`.
    pub fn simplejwt_defaults() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(5 * 60),
            refresh_token_lifetime: Duration::from_secs(24 * 3600),
            sliding_token_lifetime: Duration::from_secs(5 * 60),
            sliding_token_refresh_lifetime: Duration::from_secs(24 * 3600),
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            leeway: Duration::ZERO,
            audience: None,
            issuer: None,
            algorithms: vec![Algorithm::HS256],
            auth_header_types: vec!["Bearer".to_owned()],
            user_id_claim: "user_id".to_owned(),
            token_type_claim: "token_type".to_owned(),
            jti_claim: "jti".to_owned(),
            sliding_token_refresh_exp_claim: "refresh_exp".to_owned(),
            access_cookie_name: None,
            refresh_cookie_name: None,
            max_token_bytes: 8 * 1024,
            max_token_age: None,
            check_revoke_token: false,
            revoke_token_claim: "hash_password".to_owned(),
            nesting: None,
            update_last_login: false,
        }
    }

    /// The profile this crate recommends for production: 15 min access, 7 day
    /// refresh, rotation with single-use refresh tokens (reuse detection), 30 s leeway.
    pub fn hardened() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(15 * 60),
            refresh_token_lifetime: Duration::from_secs(7 * 24 * 3600),
            rotate_refresh_tokens: true,
            blacklist_after_rotation: true,
            leeway: Duration::from_secs(30),
            ..Self::simplejwt_defaults()
        }
    }

    /// Checks every setting; the error names the first one out of range.
    ///
    /// # Errors
    /// [`TokenError::Config`].
    pub fn validate(&self) -> Result<(), TokenError> {
        for (setting, value) in [
            ("access_token_lifetime", self.access_token_lifetime),
            ("refresh_token_lifetime", self.refresh_token_lifetime),
            ("sliding_token_lifetime", self.sliding_token_lifetime),
            (
                "sliding_token_refresh_lifetime",
                self.sliding_token_refresh_lifetime,
            ),
        ] {
            if value < Duration::from_secs(1) || value > MAX_LIFETIME {
                return Err(TokenError::config(
                    setting,
                    format!(
                        "is {}s; accepted range is 1s to {}s",
                        value.as_secs(),
                        MAX_LIFETIME.as_secs()
                    ),
                ));
            }
        }
        if self.refresh_token_lifetime < self.access_token_lifetime {
            return Err(TokenError::config(
                "refresh_token_lifetime",
                "is shorter than access_token_lifetime; it must be at least as long",
            ));
        }
        if self.sliding_token_refresh_lifetime < self.sliding_token_lifetime {
            return Err(TokenError::config(
                "sliding_token_refresh_lifetime",
                "is shorter than sliding_token_lifetime; it must be at least as long",
            ));
        }
        if self.leeway > Duration::from_secs(3600) {
            return Err(TokenError::config(
                "leeway",
                "accepted range is 0s to 3600s",
            ));
        }
        if self.algorithms.is_empty() {
            return Err(TokenError::config(
                "algorithms",
                "is empty; list at least one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA",
            ));
        }
        if self.auth_header_types.is_empty()
            || self
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || t.contains(char::is_whitespace))
        {
            return Err(TokenError::config(
                "auth_header_types",
                "must list at least one scheme, each non-empty without whitespace",
            ));
        }
        let names = [
            ("user_id_claim", &self.user_id_claim),
            ("token_type_claim", &self.token_type_claim),
            ("jti_claim", &self.jti_claim),
            (
                "sliding_token_refresh_exp_claim",
                &self.sliding_token_refresh_exp_claim,
            ),
            ("revoke_token_claim", &self.revoke_token_claim),
        ];
        for (i, (setting, name)) in names.iter().enumerate() {
            if name.is_empty() || RESERVED.contains(&name.as_str()) {
                return Err(TokenError::config(
                    setting,
                    format!("must be non-empty and not one of {}", RESERVED.join(", ")),
                ));
            }
            if names.iter().skip(i + 1).any(|(_, other)| other == name) {
                return Err(TokenError::config(
                    setting,
                    "uses the same claim name as another *_claim setting",
                ));
            }
        }
        if !(256..=1024 * 1024).contains(&self.max_token_bytes) {
            return Err(TokenError::config(
                "max_token_bytes",
                "accepted range is 256 to 1048576",
            ));
        }
        if self.max_token_age.is_some_and(|d| d.is_zero()) {
            return Err(TokenError::config(
                "max_token_age",
                "must be at least 1s when set",
            ));
        }
        Ok(())
    }
}

/// Registered claims the configurable claim names may not take.
const RESERVED: [&str; 8] = [
    "exp",
    "iat",
    "nbf",
    "iss",
    "aud",
    "sub",
    super::FAMILY_CLAIM,
    "kid",
];

/// Parses `"90"`, `"90s"`, `"15m"`, `"2h"`, `"7d"`, `"1w"` and sums like `"1h30m"`.
///
/// # Errors
/// A message saying what is accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const HELP: &str =
        "expected whole seconds or a duration like \"90s\", \"15m\", \"1h30m\", \"7d\", \"1w\"";
    let text = text.trim();
    if text.is_empty() {
        return Err(HELP.to_owned());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d)))
                .ok_or_else(|| HELP.to_owned())?;
            number = Some(n);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(HELP.to_owned()),
        };
        let n = number.take().ok_or_else(|| HELP.to_owned())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| HELP.to_owned())?;
    }
    if number.is_some() {
        return Err(HELP.to_owned());
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration the way [`parse_duration`] reads it back (largest exact unit).
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs != 0 && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Secs(secs) => Ok(Duration::from_secs(secs)),
            Raw::Text(text) => super::parse_duration(&text).map_err(D::Error::custom),
        }
    }
}

mod human_duration_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    struct Wrap(#[serde(with = "super::human_duration")] Duration);

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_match_their_sources() {
        let d = TokenConfig::simplejwt_defaults();
        d.validate().unwrap();
        assert_eq!(d.access_token_lifetime, Duration::from_secs(300));
        assert_eq!(d.refresh_token_lifetime, Duration::from_secs(86_400));
        assert!(!d.rotate_refresh_tokens);
        let h = TokenConfig::hardened();
        h.validate().unwrap();
        assert_eq!(h.access_token_lifetime, Duration::from_secs(900));
        assert_eq!(h.refresh_token_lifetime, Duration::from_secs(7 * 86_400));
        assert!(h.rotate_refresh_tokens && h.blacklist_after_rotation);
    }

    #[test]
    fn durations_parse_and_format() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        for bad in ["", "m", "15x", "1h30", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
    }

    #[test]
    fn loads_from_json_with_human_durations() {
        let c: TokenConfig = serde_json::from_str(
            r#"{"access_token_lifetime": "15m", "refresh_token_lifetime": 604800,
                "algorithms": ["ES256"], "leeway": "30s", "max_token_age": "1d"}"#,
        )
        .unwrap();
        assert_eq!(c.access_token_lifetime, Duration::from_secs(900));
        assert_eq!(c.refresh_token_lifetime, Duration::from_secs(604_800));
        assert_eq!(c.algorithms, vec![Algorithm::ES256]);
        assert_eq!(c.max_token_age, Some(Duration::from_secs(86_400)));
        c.validate().unwrap();
        let back: TokenConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<TokenConfig>(r#"{"acces_token_lifetime": 1}"#).is_err());
        assert!(serde_json::from_str::<TokenConfig>(r#"{"leeway": "soon"}"#).is_err());
    }

    #[test]
    fn revoke_token_settings_load_with_simplejwt_defaults() {
        let d = TokenConfig::simplejwt_defaults();
        assert!(!d.check_revoke_token);
        assert_eq!(d.revoke_token_claim, "hash_password");
        let c: TokenConfig =
            serde_json::from_str(r#"{"check_revoke_token": true, "revoke_token_claim": "pw"}"#)
                .unwrap();
        assert!(c.check_revoke_token);
        c.validate().unwrap();
        let mut clash = TokenConfig::simplejwt_defaults();
        clash.revoke_token_claim = "exp".into();
        assert!(matches!(
            clash.validate(),
            Err(TokenError::Config {
                setting: "revoke_token_claim",
                ..
            })
        ));
        clash.revoke_token_claim = "user_id".into();
        assert!(matches!(clash.validate(), Err(TokenError::Config { .. })));
    }

    #[test]
    fn validation_names_the_setting() {
        let mut c = TokenConfig::simplejwt_defaults();
        c.refresh_token_lifetime = Duration::from_secs(60);
        assert!(matches!(
            c.validate(),
            Err(TokenError::Config {
                setting: "refresh_token_lifetime",
                ..
            })
        ));
        let mut c = TokenConfig::simplejwt_defaults();
        c.algorithms.clear();
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("`algorithms`"), "{err}");
        let mut c = TokenConfig::simplejwt_defaults();
        c.jti_claim = "user_id".into();
        assert!(matches!(c.validate(), Err(TokenError::Config { .. })));
        let mut c = TokenConfig::simplejwt_defaults();
        c.user_id_claim = "exp".into();
        assert!(matches!(
            c.validate(),
            Err(TokenError::Config {
                setting: "user_id_claim",
                ..
            })
        ));
        let mut c = TokenConfig::simplejwt_defaults();
        c.max_token_bytes = 10;
        assert!(matches!(
            c.validate(),
            Err(TokenError::Config {
                setting: "max_token_bytes",
                ..
            })
        ));
    }
}
