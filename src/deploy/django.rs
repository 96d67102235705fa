//! Django 5.2's deployment checks (`django.core.checks.security`), as Django reports
//! them when SecurityMiddleware, SessionMiddleware (with `django.contrib.sessions`
//! installed), CsrfViewMiddleware and XFrameOptionsMiddleware are all installed.
//!
//! Messages are Django's text; where Django gives a hint, the message is followed by
//! `"\n\tHINT: "` and the hint, as `CheckMessage.__str__` renders them. Findings
//! come in the order the checks appear in Django's source (its registry is a set).

use super::{Finding, Level, Settings};

const REFERRER_POLICY_VALUES: [&str; 8] = [
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

const CROSS_ORIGIN_OPENER_POLICY_VALUES: [&str; 3] =
    ["same-origin", "same-origin-allow-popups", "unsafe-none"];

const SECRET_KEY_INSECURE_PREFIX: &str = "django-insecure-";
const SECRET_KEY_MIN_LENGTH: usize = 50;
const SECRET_KEY_MIN_UNIQUE_CHARACTERS: usize = 5;

const W004: &str = "You have not set a value for the SECURE_HSTS_SECONDS setting. If your entire site is served only over SSL, you may want to consider setting a value and enabling HTTP Strict Transport Security. Be sure to read the documentation first; enabling HSTS carelessly can cause serious, irreversible problems.";
const W005: &str = "You have not set the SECURE_HSTS_INCLUDE_SUBDOMAINS setting to True. Without this, your site is potentially vulnerable to attack via an insecure connection to a subdomain. Only set this to True if you are certain that all subdomains of your domain should be served exclusively via SSL.";
const W006: &str = "Your SECURE_CONTENT_TYPE_NOSNIFF setting is not set to True, so your pages will not be served with an 'X-Content-Type-Options: nosniff' header. You should consider enabling this header to prevent the browser from identifying content types incorrectly.";
const W008: &str = "Your SECURE_SSL_REDIRECT setting is not set to True. Unless your site should be available over both SSL and non-SSL connections, you may want to either set this setting True or configure a load balancer or reverse-proxy server to redirect all connections to HTTPS.";
const W012: &str = "SESSION_COOKIE_SECURE is not set to True. Using a secure-only session cookie makes it more difficult for network traffic sniffers to hijack user sessions.";
const W015: &str = "SESSION_COOKIE_HTTPONLY is not set to True. Using an HttpOnly session cookie makes it more difficult for cross-site scripting attacks to hijack user sessions.";
const W016: &str = "You have 'django.middleware.csrf.CsrfViewMiddleware' in your MIDDLEWARE, but you have not set CSRF_COOKIE_SECURE to True. Using a secure-only CSRF cookie makes it more difficult for network traffic sniffers to steal the CSRF token.";
const W018: &str = "You should not have DEBUG set to True in deployment.";
const W019: &str = "You have 'django.middleware.clickjacking.XFrameOptionsMiddleware' in your MIDDLEWARE, but X_FRAME_OPTIONS is not set to 'DENY'. Unless there is a good reason for your site to serve other parts of itself in a frame, you should change it to 'DENY'.";
const W020: &str = "ALLOWED_HOSTS must not be empty in deployment.";
const W021: &str = "You have not set the SECURE_HSTS_PRELOAD setting to True. Without this, your site cannot be submitted to the browser preload list.";
const W022: &str = "You have not set the SECURE_REFERRER_POLICY setting. Without this, your site will not send a Referrer-Policy header. You should consider enabling this header to protect user privacy.";
const E023: &str = "You have set the SECURE_REFERRER_POLICY setting to an invalid value.\n\tHINT: Valid values are: no-referrer, no-referrer-when-downgrade, origin, origin-when-cross-origin, same-origin, strict-origin, strict-origin-when-cross-origin, unsafe-url.";
const E024: &str = "You have set the SECURE_CROSS_ORIGIN_OPENER_POLICY setting to an invalid value.\n\tHINT: Valid values are: same-origin, same-origin-allow-popups, unsafe-none.";

/// Django's W009/W025 text for the setting `name`.
fn secret_key_message(name: &str) -> String {
    format!(
        "Your {name} has less than {SECRET_KEY_MIN_LENGTH} characters, less than \
         {SECRET_KEY_MIN_UNIQUE_CHARACTERS} unique characters, or it's prefixed with \
         '{SECRET_KEY_INSECURE_PREFIX}' indicating that it was generated automatically by \
         Django. Please generate a long and random value, otherwise many of Django's \
         security-critical features will be vulnerable to attack."
    )
}

/// Django's `_check_secret_key`: lengths in code points, as Python counts them.
fn secret_key_ok(key: &str) -> bool {
    let unique: std::collections::BTreeSet<char> = key.chars().collect();
    unique.len() >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
        && key.chars().count() >= SECRET_KEY_MIN_LENGTH
        && !key.starts_with(SECRET_KEY_INSECURE_PREFIX)
}

/// Python's `str.strip()` whitespace: Unicode whitespace plus the separators U+001C..U+001F.
fn python_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn referrer_policy_valid(policy: &super::settings::ReferrerPolicy) -> bool {
    use super::settings::ReferrerPolicy;
    match policy {
        ReferrerPolicy::Text(text) => text
            .split(',')
            .all(|v| REFERRER_POLICY_VALUES.contains(&python_strip(v))),
        ReferrerPolicy::List(values) => values
            .iter()
            .all(|v| REFERRER_POLICY_VALUES.contains(&v.as_str())),
    }
}

/// Django's security findings for `s`, in Django's source order.
pub(super) fn check(s: &Settings, out: &mut Vec<Finding>) {
    let warn = |id, message: &str| Finding::new(id, Level::Warning, message.to_owned());
    if s.secure_hsts_seconds == 0 {
        out.push(warn("security.W004", W004));
    } else {
        if !s.secure_hsts_include_subdomains {
            out.push(warn("security.W005", W005));
        }
        if !s.secure_hsts_preload {
            out.push(warn("security.W021", W021));
        }
    }
    if !s.secure_content_type_nosniff {
        out.push(warn("security.W006", W006));
    }
    if !s.secure_ssl_redirect {
        out.push(warn("security.W008", W008));
    }
    if !secret_key_ok(s.secret_key.expose_secret()) {
        out.push(warn("security.W009", &secret_key_message("SECRET_KEY")));
    }
    for (index, key) in s.secret_key_fallbacks.iter().enumerate() {
        if !secret_key_ok(key.expose_secret()) {
            let name = format!("SECRET_KEY_FALLBACKS[{index}]");
            out.push(warn("security.W025", &secret_key_message(&name)));
        }
    }
    if s.debug {
        out.push(warn("security.W018", W018));
    }
    if s.x_frame_options != "DENY" {
        out.push(warn("security.W019", W019));
    }
    if s.allowed_hosts.is_empty() {
        out.push(warn("security.W020", W020));
    }
    match &s.secure_referrer_policy {
        None => out.push(warn("security.W022", W022)),
        Some(policy) if !referrer_policy_valid(policy) => {
            out.push(Finding::new("security.E023", Level::Error, E023.to_owned()));
        }
        Some(_) => {}
    }
    if let Some(coop) = &s.secure_cross_origin_opener_policy
        && !CROSS_ORIGIN_OPENER_POLICY_VALUES.contains(&coop.as_str())
    {
        out.push(Finding::new("security.E024", Level::Error, E024.to_owned()));
    }
    if !s.csrf_use_sessions && !s.csrf_cookie_secure {
        out.push(warn("security.W016", W016));
    }
    if !s.session_cookie_secure {
        out.push(warn("security.W012", W012));
    }
    if !s.session_cookie_httponly {
        out.push(warn("security.W015", W015));
    }
}
