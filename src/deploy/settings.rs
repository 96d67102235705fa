//! The settings the deployment check reads, with Django's names, from any serde format.
//!
//! Deserialization is hand-written so that every error names the setting it is
//! about (`setting SECURE_HSTS_SECONDS: invalid type ...`), unknown names are
//! skipped (a Django settings dump has hundreds), a setting given twice is refused,
//! and a secret's value never appears in an error.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::crypto::ENV_ENCRYPTION_KEY;
use crate::ratelimit::Rate;
use crate::secret::SecretString;
use crate::token::parse_duration;

/// The settings of one deployment, with Django's names and defaults.
///
/// Deserialize it from a JSON or TOML object (or build it from [`Settings::default`],
/// which is Django's global defaults, and set fields). Every field a document leaves
/// out keeps Django's (or the owning package's) default; names the check does not
/// read are ignored. A known setting of the wrong type is an error naming it.
///
/// ```
/// let settings: portcullis::deploy::Settings =
///     serde_json::from_str(r#"{"DEBUG": true, "INSTALLED_APPS": ["x"]}"#)?;
/// assert!(settings.debug);
/// let err = serde_json::from_str::<portcullis::deploy::Settings>(r#"{"DEBUG": "yes"}"#)
///     .unwrap_err();
/// assert!(err.to_string().starts_with("setting DEBUG: "));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Settings {
    /// `DEBUG` (default false).
    pub debug: bool,
    /// `SECRET_KEY` (default empty, as in Django's global settings).
    pub secret_key: SecretString,
    /// `SECRET_KEY_FALLBACKS` (default none).
    pub secret_key_fallbacks: Vec<SecretString>,
    /// `ALLOWED_HOSTS` (default none).
    pub allowed_hosts: Vec<String>,
    /// `SECURE_HSTS_SECONDS` (default 0: no HSTS).
    pub secure_hsts_seconds: u64,
    /// `SECURE_HSTS_INCLUDE_SUBDOMAINS` (default false).
    pub secure_hsts_include_subdomains: bool,
    /// `SECURE_HSTS_PRELOAD` (default false).
    pub secure_hsts_preload: bool,
    /// `SECURE_CONTENT_TYPE_NOSNIFF` (default true).
    pub secure_content_type_nosniff: bool,
    /// `SECURE_SSL_REDIRECT` (default false).
    pub secure_ssl_redirect: bool,
    /// `X_FRAME_OPTIONS` (default `DENY`).
    pub x_frame_options: String,
    /// `SECURE_REFERRER_POLICY` (default `same-origin`; JSON `null` is Django's `None`).
    pub secure_referrer_policy: Option<ReferrerPolicy>,
    /// `SECURE_CROSS_ORIGIN_OPENER_POLICY` (default `same-origin`; `null` is `None`).
    pub secure_cross_origin_opener_policy: Option<String>,
    /// `SESSION_COOKIE_SECURE` (default false).
    pub session_cookie_secure: bool,
    /// `SESSION_COOKIE_HTTPONLY` (default true).
    pub session_cookie_httponly: bool,
    /// `CSRF_COOKIE_SECURE` (default false).
    pub csrf_cookie_secure: bool,
    /// `CSRF_USE_SESSIONS` (default false).
    pub csrf_use_sessions: bool,
    /// `SIMPLE_JWT` (default SimpleJWT's defaults).
    pub simple_jwt: SimpleJwt,
    /// `CORS_ALLOW_ALL_ORIGINS` (django-cors-headers; default false).
    pub cors_allow_all_origins: bool,
    /// `CORS_ALLOW_CREDENTIALS` (default false).
    pub cors_allow_credentials: bool,
    /// `CORS_ALLOWED_ORIGINS` (default none).
    pub cors_allowed_origins: Vec<String>,
    /// `CORS_ALLOWED_ORIGIN_REGEXES` (default none).
    pub cors_allowed_origin_regexes: Vec<String>,
    /// `AUTH_PASSWORD_VALIDATORS` (default none, as in Django's global settings).
    pub auth_password_validators: Vec<PasswordValidator>,
    /// `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`: scope to rate (`null`: no limit).
    pub throttle_rates: BTreeMap<String, Option<Rate>>,
    /// `PORTCULLIS_LOGIN_THROTTLE_SCOPE`: the throttle scope of the login view
    /// (default `login`).
    pub login_throttle_scope: String,
    /// `ENCRYPTION_KEY`: the Fernet key (or comma-separated keys) of encrypted fields.
    pub encryption_key: Option<SecretString>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            debug: false,
            secret_key: SecretString::new(String::new()),
            secret_key_fallbacks: Vec::new(),
            allowed_hosts: Vec::new(),
            secure_hsts_seconds: 0,
            secure_hsts_include_subdomains: false,
            secure_hsts_preload: false,
            secure_content_type_nosniff: true,
            secure_ssl_redirect: false,
            x_frame_options: "DENY".to_owned(),
            secure_referrer_policy: Some(ReferrerPolicy::Text("same-origin".to_owned())),
            secure_cross_origin_opener_policy: Some("same-origin".to_owned()),
            session_cookie_secure: false,
            session_cookie_httponly: true,
            csrf_cookie_secure: false,
            csrf_use_sessions: false,
            simple_jwt: SimpleJwt::default(),
            cors_allow_all_origins: false,
            cors_allow_credentials: false,
            cors_allowed_origins: Vec::new(),
            cors_allowed_origin_regexes: Vec::new(),
            auth_password_validators: Vec::new(),
            throttle_rates: BTreeMap::new(),
            login_throttle_scope: "login".to_owned(),
            encryption_key: None,
        }
    }
}

/// `SECURE_REFERRER_POLICY`: Django takes a comma-separated string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub enum ReferrerPolicy {
    /// One policy, or several separated by commas (fallbacks for old browsers).
    Text(String),
    /// Several policies.
    List(Vec<String>),
}

/// The `SIMPLE_JWT` settings the check reads; absent keys take SimpleJWT's defaults.
#[derive(Debug)]
#[non_exhaustive]
pub struct SimpleJwt {
    /// `ACCESS_TOKEN_LIFETIME` (default 5 minutes).
    pub access_token_lifetime: Duration,
    /// `REFRESH_TOKEN_LIFETIME` (default 1 day).
    pub refresh_token_lifetime: Duration,
    /// `ROTATE_REFRESH_TOKENS` (default false).
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION` (default false).
    pub blacklist_after_rotation: bool,
    /// `ALGORITHM` (default `HS256`), kept as text: the check reports a bad name.
    pub algorithm: String,
    /// `SIGNING_KEY`; `None` is SimpleJWT's default, `SECRET_KEY` itself.
    pub signing_key: Option<SecretString>,
}

impl Default for SimpleJwt {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(5 * 60),
            refresh_token_lifetime: Duration::from_secs(86_400),
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            algorithm: "HS256".to_owned(),
            signing_key: None,
        }
    }
}

/// One entry of `AUTH_PASSWORD_VALIDATORS`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PasswordValidator {
    /// `NAME`: the validator's dotted path.
    #[serde(rename = "NAME")]
    pub name: String,
    /// `OPTIONS["min_length"]`, for `MinimumLengthValidator` (Django's default 8).
    #[serde(rename = "OPTIONS", default, deserialize_with = "min_length")]
    pub min_length: Option<u64>,
}

impl PasswordValidator {
    /// A validator entry, for settings built in Rust rather than deserialized.
    #[must_use]
    pub fn new(name: impl Into<String>, min_length: Option<u64>) -> Self {
        Self {
            name: name.into(),
            min_length,
        }
    }
}

fn min_length<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Options {
        min_length: Option<u64>,
    }
    Ok(Options::deserialize(d)?.min_length)
}

/// Reads the value of setting `name`, prefixing any error with the name.
fn value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    name: &str,
) -> Result<T, A::Error> {
    map.next_value::<T>()
        .map_err(|e| de::Error::custom(format_args!("setting {name}: {e}")))
}

/// Stores `value` in `slot`, refusing a second value for one setting.
fn once<T, E: de::Error>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom(format_args!("setting {name} given twice")));
    }
    Ok(())
}

/// A secret setting: a wrong type is reported without echoing the value.
struct Secret(SecretString);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)
            .map(|s| Self(SecretString::new(s)))
            .map_err(|_| de::Error::custom("expected a string (the value is not shown)"))
    }
}

/// A list of secret settings, with the same care.
struct Secrets(Vec<SecretString>);

impl<'de> Deserialize<'de> for Secrets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(d)
            .map(|v| Self(v.into_iter().map(SecretString::new).collect()))
            .map_err(|_| de::Error::custom("expected a list of strings (the values are not shown)"))
    }
}

/// A SimpleJWT duration: whole or fractional seconds, or the crate's text form.
struct Lifetime(Duration);

impl<'de> Deserialize<'de> for Lifetime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Lifetime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("seconds (a non-negative number) or a duration like \"15m\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lifetime, E> {
                Ok(Lifetime(Duration::from_secs(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lifetime, E> {
                u64::try_from(v)
                    .map(|v| Lifetime(Duration::from_secs(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lifetime, E> {
                Duration::try_from_secs_f64(v)
                    .map(Lifetime)
                    .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lifetime, E> {
                parse_duration(v).map(Lifetime).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SettingsVisitor)
    }
}

struct SettingsVisitor;

impl<'de> Visitor<'de> for SettingsVisitor {
    type Value = Settings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of Django settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Settings, A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        let mut s = Settings::default();
        while let Some(key) = map.next_key::<String>()? {
            let name = key.as_str();
            if is_known(name) && !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "setting {name} given twice"
                )));
            }
            match name {
                "DEBUG" => s.debug = value(&mut map, name)?,
                "SECRET_KEY" => s.secret_key = value::<_, Secret>(&mut map, name)?.0,
                "SECRET_KEY_FALLBACKS" => {
                    s.secret_key_fallbacks = value::<_, Secrets>(&mut map, name)?.0;
                }
                "ALLOWED_HOSTS" => s.allowed_hosts = value(&mut map, name)?,
                "SECURE_HSTS_SECONDS" => s.secure_hsts_seconds = value(&mut map, name)?,
                "SECURE_HSTS_INCLUDE_SUBDOMAINS" => {
                    s.secure_hsts_include_subdomains = value(&mut map, name)?;
                }
                "SECURE_HSTS_PRELOAD" => s.secure_hsts_preload = value(&mut map, name)?,
                "SECURE_CONTENT_TYPE_NOSNIFF" => {
                    s.secure_content_type_nosniff = value(&mut map, name)?;
                }
                "SECURE_SSL_REDIRECT" => s.secure_ssl_redirect = value(&mut map, name)?,
                "X_FRAME_OPTIONS" => s.x_frame_options = value(&mut map, name)?,
                "SECURE_REFERRER_POLICY" => s.secure_referrer_policy = value(&mut map, name)?,
                "SECURE_CROSS_ORIGIN_OPENER_POLICY" => {
                    s.secure_cross_origin_opener_policy = value(&mut map, name)?;
                }
                "SESSION_COOKIE_SECURE" => s.session_cookie_secure = value(&mut map, name)?,
                "SESSION_COOKIE_HTTPONLY" => s.session_cookie_httponly = value(&mut map, name)?,
                "CSRF_COOKIE_SECURE" => s.csrf_cookie_secure = value(&mut map, name)?,
                "CSRF_USE_SESSIONS" => s.csrf_use_sessions = value(&mut map, name)?,
                "SIMPLE_JWT" => s.simple_jwt = map.next_value()?,
                "CORS_ALLOW_ALL_ORIGINS" => s.cors_allow_all_origins = value(&mut map, name)?,
                "CORS_ALLOW_CREDENTIALS" => s.cors_allow_credentials = value(&mut map, name)?,
                "CORS_ALLOWED_ORIGINS" => s.cors_allowed_origins = value(&mut map, name)?,
                "CORS_ALLOWED_ORIGIN_REGEXES" => {
                    s.cors_allowed_origin_regexes = value(&mut map, name)?;
                }
                "AUTH_PASSWORD_VALIDATORS" => {
                    s.auth_password_validators = value(&mut map, name)?;
                }
                "REST_FRAMEWORK" => s.throttle_rates = map.next_value::<RestFramework>()?.0,
                "PORTCULLIS_LOGIN_THROTTLE_SCOPE" => {
                    s.login_throttle_scope = value(&mut map, name)?;
                }
                ENV_ENCRYPTION_KEY => {
                    s.encryption_key = value::<_, Option<Secret>>(&mut map, name)?.map(|k| k.0);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(s)
    }
}

/// The top-level names [`Settings`] reads.
const KNOWN: [&str; 25] = [
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_SSL_REDIRECT",
    "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_USE_SESSIONS",
    "SIMPLE_JWT",
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "AUTH_PASSWORD_VALIDATORS",
    "REST_FRAMEWORK",
    "PORTCULLIS_LOGIN_THROTTLE_SCOPE",
    ENV_ENCRYPTION_KEY,
];

fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
}

impl<'de> Deserialize<'de> for SimpleJwt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SimpleJwtVisitor)
    }
}

struct SimpleJwtVisitor;

impl<'de> Visitor<'de> for SimpleJwtVisitor {
    type Value = SimpleJwt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("setting SIMPLE_JWT: an object of SimpleJWT settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SimpleJwt, A::Error> {
        let mut s = SimpleJwt::default();
        let (mut access, mut refresh, mut rotate, mut blacklist, mut alg, mut key) =
            (None, None, None, None, None, None);
        while let Some(key_name) = map.next_key::<String>()? {
            let name = format!("SIMPLE_JWT.{key_name}");
            match key_name.as_str() {
                "ACCESS_TOKEN_LIFETIME" => {
                    once(&mut access, &name, value::<_, Lifetime>(&mut map, &name)?.0)?;
                }
                "REFRESH_TOKEN_LIFETIME" => {
                    once(
                        &mut refresh,
                        &name,
                        value::<_, Lifetime>(&mut map, &name)?.0,
                    )?;
                }
                "ROTATE_REFRESH_TOKENS" => once(&mut rotate, &name, value(&mut map, &name)?)?,
                "BLACKLIST_AFTER_ROTATION" => {
                    once(&mut blacklist, &name, value(&mut map, &name)?)?;
                }
                "ALGORITHM" => once(&mut alg, &name, value(&mut map, &name)?)?,
                "SIGNING_KEY" => once(
                    &mut key,
                    &name,
                    value::<_, Option<Secret>>(&mut map, &name)?.map(|k| k.0),
                )?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(v) = access {
            s.access_token_lifetime = v;
        }
        if let Some(v) = refresh {
            s.refresh_token_lifetime = v;
        }
        if let Some(v) = rotate {
            s.rotate_refresh_tokens = v;
        }
        if let Some(v) = blacklist {
            s.blacklist_after_rotation = v;
        }
        if let Some(v) = alg {
            s.algorithm = v;
        }
        s.signing_key = key.flatten();
        Ok(s)
    }
}

/// `REST_FRAMEWORK`, of which the check reads `DEFAULT_THROTTLE_RATES`.
struct RestFramework(BTreeMap<String, Option<Rate>>);

impl<'de> Deserialize<'de> for RestFramework {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RestFrameworkVisitor)
    }
}

struct RestFrameworkVisitor;

impl<'de> Visitor<'de> for RestFrameworkVisitor {
    type Value = RestFramework;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("setting REST_FRAMEWORK: an object of Django REST framework settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RestFramework, A::Error> {
        let mut rates = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "DEFAULT_THROTTLE_RATES" {
                let name = "REST_FRAMEWORK.DEFAULT_THROTTLE_RATES";
                let text: BTreeMap<String, Option<String>> = value(&mut map, name)?;
                let mut parsed = BTreeMap::new();
                for (scope, rate) in text {
                    let rate = rate.map(|r| r.parse::<Rate>()).transpose().map_err(|e| {
                        de::Error::custom(format_args!("setting {name}.{scope}: {e}"))
                    })?;
                    parsed.insert(scope, rate);
                }
                once(&mut rates, name, parsed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(RestFramework(rates.unwrap_or_default()))
    }
}
