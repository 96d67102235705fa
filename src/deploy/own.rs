//! The crate's own rules, beyond Django's: what a token, CORS, password, throttle
//! and field-encryption configuration of a service built on this crate gets wrong.
//! Each rule's reason is in the module docs of [`crate::deploy`].

use std::time::Duration;

use subtle::ConstantTimeEq;

use super::{Finding, Level, Settings};
use crate::crypto::MultiFernet;
use crate::token::{Algorithm, KeyFamily, MIN_HMAC_SECRET};

/// The longest access lifetime the check accepts without a finding.
const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(3600);
/// The crate's recommended minimum password length (its production profile's).
const MIN_PASSWORD_LENGTH: u64 = 12;
/// Django's `MinimumLengthValidator` default.
const DJANGO_DEFAULT_MIN_LENGTH: u64 = 8;
const MINIMUM_LENGTH_VALIDATOR: &str =
    "django.contrib.auth.password_validation.MinimumLengthValidator";

fn warn(id: &'static str, message: String) -> Finding {
    Finding::new(id, Level::Warning, message)
}

/// The crate's findings for `s`, in id order.
pub(super) fn check(s: &Settings, out: &mut Vec<Finding>) {
    token(s, out);
    cors(s, out);
    password(s, out);
    throttle(s, out);
    crypto(s, out);
}

fn token(s: &Settings, out: &mut Vec<Finding>) {
    let jwt = &s.simple_jwt;
    let signing_key = jwt.signing_key.as_ref().unwrap_or(&s.secret_key);
    let same_as_secret_key: bool = signing_key
        .expose_secret()
        .as_bytes()
        .ct_eq(s.secret_key.expose_secret().as_bytes())
        .into();
    if same_as_secret_key {
        out.push(warn(
            "portcullis.token.W001",
            "SIMPLE_JWT.SIGNING_KEY is SECRET_KEY (SimpleJWT's default when it is unset). \
             Give tokens their own key, so that rotating one secret does not force the other \
             and a leak of one does not expose both."
                .to_owned(),
        ));
    }
    let algorithm = jwt.algorithm.parse::<Algorithm>().ok();
    let hmac = algorithm.is_some_and(|a| a.family() == KeyFamily::Hmac);
    if hmac && signing_key.len() < MIN_HMAC_SECRET {
        out.push(warn(
            "portcullis.token.W002",
            format!(
                "SIMPLE_JWT.SIGNING_KEY is shorter than {MIN_HMAC_SECRET} bytes. An HMAC key \
                 shorter than the hash output (RFC 7518 section 3.2) can be brute-forced from \
                 any token; generate one with `portcullis keygen hs256`."
            ),
        ));
    }
    if jwt.access_token_lifetime > MAX_ACCESS_LIFETIME {
        out.push(warn(
            "portcullis.token.W003",
            format!(
                "SIMPLE_JWT.ACCESS_TOKEN_LIFETIME is {} seconds, over one hour. An access token \
                 cannot be withdrawn before it expires; keep it short (15 minutes is the \
                 crate's preset) and let the refresh token carry the session.",
                jwt.access_token_lifetime.as_secs()
            ),
        ));
    }
    if jwt.rotate_refresh_tokens && !jwt.blacklist_after_rotation {
        out.push(warn(
            "portcullis.token.W004",
            "SIMPLE_JWT.ROTATE_REFRESH_TOKENS is on but BLACKLIST_AFTER_ROTATION is off. \
             Every rotated refresh token stays valid until it expires, so a stolen one keeps \
             working beside its successor and reuse is never detected."
                .to_owned(),
        ));
    }
    if algorithm.is_none() {
        let message = if jwt.algorithm.eq_ignore_ascii_case("none") {
            "SIMPLE_JWT.ALGORITHM is none: unsigned tokens can be forged by anyone.".to_owned()
        } else {
            "SIMPLE_JWT.ALGORITHM is not supported; use one of HS256, HS384, HS512, RS256, \
             RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA."
                .to_owned()
        };
        out.push(warn("portcullis.token.W005", message));
    }
    if jwt.refresh_token_lifetime < jwt.access_token_lifetime {
        out.push(warn(
            "portcullis.token.W006",
            "SIMPLE_JWT.REFRESH_TOKEN_LIFETIME is shorter than ACCESS_TOKEN_LIFETIME. Refresh \
             tokens then expire before the access tokens they renew, so either the refresh \
             flow is dead or the access lifetime is longer than intended."
                .to_owned(),
        ));
    }
}

/// A CORS regex that matches any origin: made only of `^`, `$`, `.`, `*`, `+`, with a
/// `.` (`.*`, `^.+$`, ...). Other regexes are taken as written by someone who meant them.
fn matches_everything(regex: &str) -> bool {
    regex.contains('.')
        && regex
            .chars()
            .all(|c| matches!(c, '^' | '$' | '.' | '*' | '+'))
}

fn cors(s: &Settings, out: &mut Vec<Finding>) {
    let any_origin = s.cors_allow_all_origins
        || s.cors_allowed_origins.iter().any(|o| o == "*")
        || s.cors_allowed_origin_regexes
            .iter()
            .any(|r| matches_everything(r));
    if any_origin && s.cors_allow_credentials {
        out.push(warn(
            "portcullis.cors.W001",
            "CORS_ALLOW_CREDENTIALS is on with every origin allowed (CORS_ALLOW_ALL_ORIGINS, a \
             \"*\" origin or a match-all regex). Any site a user visits can then make \
             credentialed requests and read the answers; list the origins in \
             CORS_ALLOWED_ORIGINS."
                .to_owned(),
        ));
    }
}

fn password(s: &Settings, out: &mut Vec<Finding>) {
    if s.auth_password_validators.is_empty() {
        out.push(warn(
            "portcullis.password.W001",
            "AUTH_PASSWORD_VALIDATORS is empty: any password is accepted. Use Django's four \
             validators with MinimumLengthValidator at min_length 12."
                .to_owned(),
        ));
        return;
    }
    let min_length = s
        .auth_password_validators
        .iter()
        .filter(|v| v.name == MINIMUM_LENGTH_VALIDATOR)
        .map(|v| v.min_length.unwrap_or(DJANGO_DEFAULT_MIN_LENGTH))
        .max();
    let message = match min_length {
        None => Some(
            "AUTH_PASSWORD_VALIDATORS has no MinimumLengthValidator, so short passwords are \
             accepted. Add it with min_length 12 or more (NIST SP 800-63B-4 asks 15 for a \
             password used alone)."
                .to_owned(),
        ),
        Some(n) if n < MIN_PASSWORD_LENGTH => Some(format!(
            "MinimumLengthValidator's min_length is {n}, under 12 (NIST SP 800-63B-4 asks 15 \
             for a password used alone)."
        )),
        Some(_) => None,
    };
    if let Some(message) = message {
        out.push(warn("portcullis.password.W002", message));
    }
}

fn throttle(s: &Settings, out: &mut Vec<Finding>) {
    let has_rate = |scope: &str| matches!(s.throttle_rates.get(scope), Some(Some(_)));
    if !has_rate("anon") {
        out.push(warn(
            "portcullis.ratelimit.W001",
            "REST_FRAMEWORK.DEFAULT_THROTTLE_RATES has no rate for \"anon\": anonymous clients \
             are not rate limited."
                .to_owned(),
        ));
    }
    let login = s.login_throttle_scope.as_str();
    if !has_rate(login) {
        out.push(warn(
            "portcullis.ratelimit.W002",
            format!(
                "REST_FRAMEWORK.DEFAULT_THROTTLE_RATES has no rate for the login scope \
                 \"{login}\": password guessing against the login view is not rate limited."
            ),
        ));
    }
}

fn crypto(s: &Settings, out: &mut Vec<Finding>) {
    if let Some(key) = &s.encryption_key
        && MultiFernet::from_keys_text(key.expose_secret()).is_err()
    {
        out.push(warn(
            "portcullis.crypto.W001",
            "ENCRYPTION_KEY is not a Fernet key (base64url of 32 bytes, or several separated \
                 by commas): encrypting or decrypting a field will fail at run time. Generate \
                 one with `portcullis keygen fernet`."
                .to_owned(),
        ));
    }
}
