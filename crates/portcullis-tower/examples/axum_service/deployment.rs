//! The deployment check at start: what the service really does, in Django's
//! names (`portcullis::deploy::Settings`), checked by `portcullis::deploy::check`;
//! every finding is logged, and an error-level finding stops the start unless
//! `allow_deploy_errors` is set (development only).
//!
//! How the service maps onto Django's settings:
//!
//! | Django setting | from |
//! | --- | --- |
//! | `SECRET_KEY` | `audit_key`, the service's other HMAC key (so one secret for both is `portcullis.token.W001`); a generated key counts as its 44-character base64url text, Django's W009 until an `audit_key` of 50+ characters is set |
//! | `SIMPLE_JWT` | the token engine's configuration: lifetimes, rotation and blacklist, algorithm, `jwt_secret` as `SIGNING_KEY` |
//! | `SECURE_*`, `X_FRAME_OPTIONS` | the security headers the service sends (`cross_origin_opener_policy`) |
//! | `SESSION_COOKIE_*`, `CSRF_COOKIE_SECURE` | the `__Host-` cookies: always `Secure`, the access cookie `HttpOnly` |
//! | `CORS_*` | `cors_origins`, with credentials |
//! | `DEFAULT_THROTTLE_RATES` | `anon`: `api_rate` (every `/api/` route per client address); `login`: `login_rate` |
//! | `AUTH_PASSWORD_VALIDATORS` | none: the service sets no passwords (its users come with hashes), so it applies none |
//! | `ALLOWED_HOSTS` | none: the service answers any `Host` |
//!
//! The loopback defaults give warnings only (no HSTS and no HTTPS redirect on
//! plain HTTP, the generated audit key, any `Host`, no password validators):
//! they start. Django's E024 (an opener policy Django does not know, such as
//! `noopener-allow-popups`) is the error a configuration can make.

use portcullis::deploy::{self, Finding, Level, ReferrerPolicy, Settings};
use portcullis::ratelimit::Rate;
use portcullis::secret::{Encoding, SecretBytes, SecretString};
use portcullis::token::{Algorithm, TokenConfig};
use portcullis::web::headers::{
    ContentSecurityPolicy, CrossOriginOpenerPolicy, FrameOptions, SecurityConfig,
};

use crate::BoxError;
use crate::config::Config;

/// The security headers the service sends: Django's defaults, a strict CSP,
/// and the configured `Cross-Origin-Opener-Policy`.
///
/// # Errors
/// An opener policy that is not one of the four the header takes.
pub(crate) fn security_config(
    cross_origin_opener_policy: &str,
) -> Result<SecurityConfig, BoxError> {
    let coop = match cross_origin_opener_policy {
        "same-origin" => CrossOriginOpenerPolicy::SameOrigin,
        "same-origin-allow-popups" => CrossOriginOpenerPolicy::SameOriginAllowPopups,
        "noopener-allow-popups" => CrossOriginOpenerPolicy::NoopenerAllowPopups,
        "unsafe-none" => CrossOriginOpenerPolicy::UnsafeNone,
        _ => {
            return Err("cross_origin_opener_policy: expected same-origin, \
                 same-origin-allow-popups, noopener-allow-popups or unsafe-none"
                .into());
        }
    };
    let mut config = SecurityConfig::default();
    config.content_security_policy = Some(ContentSecurityPolicy::strict_default());
    config.cross_origin_opener_policy = Some(coop);
    Ok(config)
}

/// What the service runs with, as the deployment check needs it.
pub(crate) struct Deployed<'a> {
    pub(crate) config: &'a Config,
    pub(crate) tokens: &'a TokenConfig,
    pub(crate) algorithm: Algorithm,
    pub(crate) jwt_secret: &'a SecretBytes,
    pub(crate) audit_key: &'a SecretBytes,
    pub(crate) security: &'a SecurityConfig,
    pub(crate) login_rate: &'a Rate,
    pub(crate) api_rate: &'a Rate,
}

/// A key as the text Django's settings would hold: the configured text, or a
/// generated key's base64url form.
fn key_text(key: &SecretBytes) -> SecretString {
    match std::str::from_utf8(key.expose_secret()) {
        Ok(text) => SecretString::new(text.to_owned()),
        Err(_) => key.encode(Encoding::Base64Url),
    }
}

impl Deployed<'_> {
    /// The service's configuration in Django's names (the table above).
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.secret_key = key_text(self.audit_key);

        let security = self.security;
        s.secure_hsts_seconds = security.hsts_seconds;
        s.secure_hsts_include_subdomains = security.hsts_include_subdomains;
        s.secure_hsts_preload = security.hsts_preload;
        s.secure_content_type_nosniff = security.content_type_nosniff;
        s.secure_ssl_redirect = security.ssl_redirect;
        s.x_frame_options = match security.x_frame_options {
            Some(FrameOptions::Deny) => "DENY".into(),
            Some(FrameOptions::SameOrigin) => "SAMEORIGIN".into(),
            None => String::new(),
        };
        s.secure_referrer_policy = (!security.referrer_policy.is_empty()).then(|| {
            ReferrerPolicy::List(
                security
                    .referrer_policy
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            )
        });
        s.secure_cross_origin_opener_policy =
            security.cross_origin_opener_policy.map(|p| p.to_string());

        // The `__Host-` cookies are always `Secure`; the access cookie is HttpOnly.
        s.session_cookie_secure = true;
        s.session_cookie_httponly = true;
        s.csrf_cookie_secure = true;

        let jwt = &mut s.simple_jwt;
        jwt.access_token_lifetime = self.tokens.access_token_lifetime;
        jwt.refresh_token_lifetime = self.tokens.refresh_token_lifetime;
        jwt.rotate_refresh_tokens = self.tokens.rotate_refresh_tokens;
        jwt.blacklist_after_rotation = self.tokens.blacklist_after_rotation;
        jwt.algorithm = self.algorithm.to_string();
        jwt.signing_key = Some(key_text(self.jwt_secret));

        s.cors_allow_credentials = true;
        s.cors_allowed_origins.clone_from(&self.config.cors_origins);

        s.throttle_rates = [
            ("anon".to_owned(), Some(*self.api_rate)),
            ("login".to_owned(), Some(*self.login_rate)),
        ]
        .into();
        s
    }
}

/// Runs the check, logs every finding, and refuses an error-level one unless
/// `allow_errors`.
///
/// # Errors
/// The ids of the error-level findings and how to proceed.
pub(crate) fn check_at_start(settings: &Settings, allow_errors: bool) -> Result<(), BoxError> {
    let findings = deploy::check(settings);
    for finding in &findings {
        log_finding(finding);
    }
    let errors: Vec<&str> = findings
        .iter()
        .filter(|f| f.level() >= Level::Error)
        .map(Finding::id)
        .collect();
    tracing::info!(
        findings = findings.len(),
        errors = errors.len(),
        "deployment check done"
    );
    if errors.is_empty() {
        return Ok(());
    }
    if allow_errors {
        tracing::warn!(
            errors = errors.join(",").as_str(),
            "starting despite error-level deployment findings (allow_deploy_errors: development only)"
        );
        return Ok(());
    }
    Err(format!(
        "deployment check: error-level finding(s) {}; refusing to start (fix the \
         configuration, or set allow_deploy_errors / PORTCULLIS_ALLOW_DEPLOY_ERRORS=true \
         for development)",
        errors.join(", ")
    )
    .into())
}

fn log_finding(finding: &Finding) {
    let (id, level, message) = (finding.id(), finding.level().as_str(), finding.message());
    if finding.level() >= Level::Error {
        tracing::error!(finding.id = id, finding.level = level, "{message}");
    } else if finding.level() == Level::Warning {
        tracing::warn!(finding.id = id, finding.level = level, "{message}");
    } else {
        tracing::info!(finding.id = id, finding.level = level, "{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings of the default configuration with these keys and headers.
    fn settings(security: &SecurityConfig, jwt: &SecretBytes, audit: &SecretBytes) -> Settings {
        let config = Config::default();
        let tokens = TokenConfig::hardened();
        let (login, api) = ("10/m".parse().unwrap(), "300/m".parse().unwrap());
        Deployed {
            config: &config,
            tokens: &tokens,
            algorithm: Algorithm::HS256,
            jwt_secret: jwt,
            audit_key: audit,
            security,
            login_rate: &login,
            api_rate: &api,
        }
        .settings()
    }

    fn ids(settings: &Settings) -> Vec<&'static str> {
        deploy::check(settings).iter().map(Finding::id).collect()
    }

    #[test]
    fn the_loopback_defaults_give_warnings_only() {
        let security = security_config("same-origin").unwrap();
        let generated = || SecretBytes::generate(32).unwrap();
        let settings = settings(&security, &generated(), &generated());
        // Plain HTTP (no HSTS, no redirect), a generated audit key's 44-character
        // text, any Host, no password validators.
        assert_eq!(
            ids(&settings),
            [
                "security.W004",
                "security.W008",
                "security.W009",
                "security.W020",
                "portcullis.password.W001",
            ]
        );
        check_at_start(&settings, false).unwrap();
    }

    #[test]
    fn an_opener_policy_django_refuses_is_an_error_and_stops_the_start() {
        let mut security = security_config("same-origin").unwrap();
        security.cross_origin_opener_policy = Some(CrossOriginOpenerPolicy::NoopenerAllowPopups);
        let key = SecretBytes::generate(32).unwrap();
        let settings = settings(&security, &key, &SecretBytes::generate(32).unwrap());
        let found = deploy::check(&settings);
        assert!(
            found
                .iter()
                .any(|f| f.id() == "security.E024" && f.level() == Level::Error)
        );
        let refused = check_at_start(&settings, false).unwrap_err().to_string();
        assert!(refused.contains("security.E024"), "{refused}");
        assert!(
            refused.contains("PORTCULLIS_ALLOW_DEPLOY_ERRORS"),
            "{refused}"
        );
        check_at_start(&settings, true).unwrap();
    }

    #[test]
    fn one_key_for_tokens_and_the_audit_chain_is_reported() {
        let security = security_config("same-origin").unwrap();
        let key = SecretBytes::from_slice(b"one secret of more than 32 bytes for both uses");
        let found = ids(&settings(&security, &key, &key));
        assert!(found.contains(&"portcullis.token.W001"), "{found:?}");
        let long = SecretBytes::from_slice(b"an audit key of fifty characters or more: 0123456789");
        let found = ids(&settings(&security, &key, &long));
        assert!(!found.contains(&"portcullis.token.W001"), "{found:?}");
        assert!(!found.contains(&"security.W009"), "{found:?}");
    }
}
