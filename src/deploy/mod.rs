//! A deployment check like Django's `manage.py check --deploy`, over a service's settings.
//!
//! [`check`] takes [`Settings`] (Django's names; deserialize them from the JSON or TOML
//! of a settings dump) and returns every [`Finding`]. It is pure: no environment, no
//! files; the host loads the settings and decides what a finding means for start-up.
//!
//! ```
//! use portcullis::deploy::{self, Level, Settings};
//!
//! let settings: Settings = serde_json::from_str(r#"{"DEBUG": true}"#)?;
//! let findings = deploy::check(&settings);
//! assert!(findings.iter().any(|f| f.id() == "security.W018" && f.level() == Level::Warning));
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Django's rules
//!
//! For the settings Django's `check --deploy` reads, the check reports exactly the
//! ids, levels and messages Django 5.2 reports, given that the service runs the
//! equivalents of Django's SecurityMiddleware, SessionMiddleware (with
//! `django.contrib.sessions` installed), CsrfViewMiddleware and
//! XFrameOptionsMiddleware: security.W004, W005, W006, W008, W009, W012, W015, W016,
//! W018, W019, W020, W021, W022, W025, E023 and E024. (W001, W002, W003, W010, W011,
//! W013 and W014 concern a missing middleware or app, which this service never lacks;
//! with both the sessions app and middleware present Django reports W012 and W015 in
//! their place.) A Django hint is appended to the message as Django prints it,
//! `"\n\tHINT: "` and the hint, so a finding keeps the three fields `id`, `level`,
//! `message`. `tests/data/deploy/` holds the cases Django itself generated, and a test
//! replays them all.
//!
//! # The crate's own rules
//!
//! All at [`Level::Warning`]:
//!
//! | id | fires when | why |
//! |---|---|---|
//! | `portcullis.token.W001` | `SIMPLE_JWT.SIGNING_KEY` is `SECRET_KEY` (or unset, SimpleJWT's default) | one leak exposes sessions, CSRF, password reset *and* tokens; rotating one forces the other |
//! | `portcullis.token.W002` | an HMAC `ALGORITHM` with a signing key under 32 bytes | RFC 7518 §3.2: shorter keys can be brute-forced offline from any token |
//! | `portcullis.token.W003` | `ACCESS_TOKEN_LIFETIME` over one hour | an access token cannot be withdrawn before it expires (the 8-hour setting some services ship) |
//! | `portcullis.token.W004` | `ROTATE_REFRESH_TOKENS` without `BLACKLIST_AFTER_ROTATION` | a rotated-out refresh token keeps working, so theft is never detected |
//! | `portcullis.token.W005` | `ALGORITHM` is `none` or not one of [`crate::token::Algorithm`] | unsigned tokens are forgeable; an unknown name fails at start-up or, worse, in SimpleJWT only |
//! | `portcullis.token.W006` | `REFRESH_TOKEN_LIFETIME` shorter than `ACCESS_TOKEN_LIFETIME` | the refresh flow cannot work as configured |
//! | `portcullis.cors.W001` | `CORS_ALLOW_CREDENTIALS` with `CORS_ALLOW_ALL_ORIGINS`, a `"*"` in `CORS_ALLOWED_ORIGINS`, or a match-all regex (`.*`, `^.+$`: only `^$.*+`) in `CORS_ALLOWED_ORIGIN_REGEXES` | any web page can make credentialed requests and read the answers |
//! | `portcullis.password.W001` | `AUTH_PASSWORD_VALIDATORS` empty (Django's default) | any password, even one character, is accepted |
//! | `portcullis.password.W002` | no `MinimumLengthValidator`, or its `min_length` (default 8) under 12 | short passwords fall to guessing; 12 is the crate's recommendation (NIST SP 800-63B-4 asks 15 for a password used alone) |
//! | `portcullis.ratelimit.W001` | no `REST_FRAMEWORK.DEFAULT_THROTTLE_RATES` rate for `anon` (or `null`) | anonymous clients are unlimited |
//! | `portcullis.ratelimit.W002` | no rate for the login scope (`PORTCULLIS_LOGIN_THROTTLE_SCOPE`, default `login`) | online password guessing is unlimited |
//! | `portcullis.crypto.W001` | `ENCRYPTION_KEY` present but not one Fernet key or several separated by commas | every encrypted field fails at run time |
//!
//! # Settings
//!
//! Unknown names are ignored (a settings dump has hundreds); a known setting of the
//! wrong type is an error that names it (`setting SIMPLE_JWT.ALGORITHM: ...`), and a
//! secret's value never appears in one. A setting left out keeps Django's default
//! (SimpleJWT's, DRF's, django-cors-headers' for theirs). `SIMPLE_JWT` durations are
//! seconds (a non-negative number) or the crate's text form (`"15m"`, `"8h"`,
//! [`crate::token::parse_duration`]); Python `timedelta` values must be converted to
//! seconds first. Throttle rates must parse as [`crate::ratelimit::Rate`] (`"5/min"`);
//! `null` is DRF's "no limit". JSON `null` for `SECURE_REFERRER_POLICY` and
//! `SECURE_CROSS_ORIGIN_OPENER_POLICY` is Django's `None`.
//!
//! # What is "not ok"
//!
//! Every finding counts, whatever its level: a settings value with any finding
//! is not ready to deploy (Django's `check --deploy`
//! fails only on errors and prints warnings; a deployment that wants Django's exit
//! behaviour filters on [`Finding::level`]).

mod django;
mod own;
mod settings;

use serde::Serialize;

pub use settings::{PasswordValidator, ReferrerPolicy, Settings, SimpleJwt};

/// How serious a finding is: Django's check levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Level {
    /// Django's DEBUG level.
    Debug,
    /// Django's INFO level.
    Info,
    /// A setting that weakens the deployment.
    Warning,
    /// A setting Django refuses as invalid.
    Error,
    /// Django's CRITICAL level.
    Critical,
}

impl Level {
    /// The lowercase name (`"warning"`), as reports print it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// One problem with a deployment's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    id: &'static str,
    level: Level,
    message: String,
}

impl Finding {
    fn new(id: &'static str, level: Level, message: String) -> Self {
        Self { id, level, message }
    }

    /// The stable id: Django's (`security.W004`) or the crate's (`portcullis.token.W001`).
    #[must_use]
    pub const fn id(&self) -> &'static str {
        self.id
    }

    /// The level.
    #[must_use]
    pub const fn level(&self) -> Level {
        self.level
    }

    /// What is wrong and what to do; never contains a secret.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every finding for `settings`: Django's first, in Django's order, then the crate's.
#[must_use]
pub fn check(settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    django::check(settings, &mut findings);
    own::check(settings, &mut findings);
    findings
}
