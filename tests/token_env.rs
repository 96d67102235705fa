//! `token::token_config_from_lookup`: every variable, the prefix, each error.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

use portcullis::token::{Algorithm, EnvError, TokenConfig, token_config_from_lookup};

const KEY: &str = "a-very-secret-signing-key-of-40-bytes!!!";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn every_variable_is_read() {
    let s = token_config_from_lookup(
        "",
        TokenConfig::simplejwt_defaults(),
        env(&[
            ("JWT_SIGNING_KEY", KEY),
            ("ACCESS_TOKEN_LIFETIME_MINUTES", "15"),
            ("REFRESH_TOKEN_LIFETIME_DAYS", "7"),
            ("JWT_ALGORITHM", "HS512"),
            ("JWT_ISSUER", "https://auth.example"),
        ]),
    )
    .unwrap();
    assert_eq!(s.signing_key.expose_secret(), KEY);
    assert_eq!(s.config.access_token_lifetime, Duration::from_secs(900));
    assert_eq!(
        s.config.refresh_token_lifetime,
        Duration::from_secs(7 * 86_400)
    );
    assert_eq!(s.config.algorithms, vec![Algorithm::HS512]);
    assert_eq!(s.config.issuer.as_deref(), Some("https://auth.example"));
    s.config.validate().unwrap();
}

#[test]
fn missing_optional_variables_keep_the_defaults() {
    let s = token_config_from_lookup(
        "",
        TokenConfig::hardened(),
        env(&[("JWT_SIGNING_KEY", KEY)]),
    )
    .unwrap();
    assert_eq!(s.config, TokenConfig::hardened());
}

#[test]
fn the_prefix_is_applied_to_every_name() {
    let lookup = env(&[
        ("MYAPP_JWT_SIGNING_KEY", KEY),
        ("MYAPP_ACCESS_TOKEN_LIFETIME_MINUTES", "10"),
        ("MYAPP_REFRESH_TOKEN_LIFETIME_DAYS", "2"),
        ("MYAPP_JWT_ALGORITHM", "HS384"),
        ("MYAPP_JWT_ISSUER", "me"),
        ("ACCESS_TOKEN_LIFETIME_MINUTES", "0"),
    ]);
    let s = token_config_from_lookup("MYAPP_", TokenConfig::default(), &lookup).unwrap();
    assert_eq!(s.config.access_token_lifetime, Duration::from_secs(600));
    assert_eq!(
        s.config.refresh_token_lifetime,
        Duration::from_secs(2 * 86_400)
    );
    assert_eq!(s.config.algorithms, vec![Algorithm::HS384]);
    assert_eq!(s.config.issuer.as_deref(), Some("me"));
    // Without the prefix the unprefixed names are read: here a bad lifetime.
    let err = token_config_from_lookup("", TokenConfig::default(), &lookup).unwrap_err();
    assert_eq!(
        err,
        EnvError::Zero {
            var: "ACCESS_TOKEN_LIFETIME_MINUTES".into()
        }
    );
    let err = token_config_from_lookup("OTHER_", TokenConfig::default(), &lookup).unwrap_err();
    assert!(err.to_string().contains("`OTHER_JWT_SIGNING_KEY`"), "{err}");
}

fn err_for(var: &str, value: &str) -> EnvError {
    let mut pairs = vec![("P_JWT_SIGNING_KEY", KEY)];
    pairs.push((var, value));
    token_config_from_lookup("P_", TokenConfig::default(), env(&pairs)).unwrap_err()
}

#[test]
fn each_error_names_the_variable() {
    for var in [
        "P_ACCESS_TOKEN_LIFETIME_MINUTES",
        "P_REFRESH_TOKEN_LIFETIME_DAYS",
    ] {
        let e = err_for(var, "ten");
        assert_eq!(e, EnvError::NotInteger { var: var.into() });
        assert!(e.to_string().contains(var), "{e}");
        let e = err_for(var, "-3");
        assert!(matches!(e, EnvError::NotInteger { .. }), "{e}");
        let e = err_for(var, "0");
        assert_eq!(e, EnvError::Zero { var: var.into() });
        assert!(e.to_string().contains("at least 1"), "{e}");
        let e = err_for(var, "184467440737095516160");
        assert!(
            matches!(&e, EnvError::Overflow { var: v, .. } if v == var),
            "{e}"
        );
        assert!(e.to_string().contains("accepted range is 1 to"), "{e}");
    }
    let e = err_for("P_REFRESH_TOKEN_LIFETIME_DAYS", "3651");
    assert!(matches!(e, EnvError::Overflow { max: 3650, .. }), "{e}");
    let e = err_for("P_JWT_ALGORITHM", "none");
    assert_eq!(
        e,
        EnvError::UnknownAlgorithm {
            var: "P_JWT_ALGORITHM".into()
        }
    );
    assert!(e.to_string().contains("HS256"), "{e}");
}

#[test]
fn a_short_hmac_key_is_refused_but_not_a_pem_key() {
    let short = "short-secret";
    let e = token_config_from_lookup(
        "",
        TokenConfig::default(),
        env(&[("JWT_SIGNING_KEY", short)]),
    )
    .unwrap_err();
    assert_eq!(
        e,
        EnvError::KeyTooShort {
            var: "JWT_SIGNING_KEY".into(),
            len: short.len(),
            min: 32
        }
    );
    assert!(!e.to_string().contains(short) && !format!("{e:?}").contains(short));
    // The HMAC rule does not apply to asymmetric algorithms' key text.
    let s = token_config_from_lookup(
        "",
        TokenConfig::default(),
        env(&[("JWT_SIGNING_KEY", short), ("JWT_ALGORITHM", "ES256")]),
    )
    .unwrap();
    assert_eq!(s.config.algorithms, vec![Algorithm::ES256]);
}

#[cfg(unix)]
#[test]
fn non_utf8_values_are_refused_by_name() {
    use std::os::unix::ffi::OsStringExt;
    for var in [
        "JWT_SIGNING_KEY",
        "ACCESS_TOKEN_LIFETIME_MINUTES",
        "REFRESH_TOKEN_LIFETIME_DAYS",
        "JWT_ALGORITHM",
        "JWT_ISSUER",
    ] {
        let lookup = |name: &str| {
            if name == var {
                Some(OsString::from_vec(vec![0x66, 0xff, 0x6f]))
            } else if name == "JWT_SIGNING_KEY" {
                Some(OsString::from(KEY))
            } else {
                None
            }
        };
        let e = token_config_from_lookup("", TokenConfig::default(), lookup).unwrap_err();
        assert_eq!(e, EnvError::NotUnicode { var: var.into() });
        assert!(e.to_string().contains(var), "{e}");
    }
}

#[test]
fn the_key_is_never_in_debug_or_display() {
    let s = token_config_from_lookup("", TokenConfig::default(), env(&[("JWT_SIGNING_KEY", KEY)]))
        .unwrap();
    assert!(!format!("{s:?}").contains(KEY));
    assert!(!format!("{:?}", s.signing_key).contains(KEY));
    assert!(!s.signing_key.to_string().contains(KEY));
    for (var, value) in [
        ("P_ACCESS_TOKEN_LIFETIME_MINUTES", "x"),
        ("P_JWT_ALGORITHM", "x"),
    ] {
        let e = err_for(var, value);
        assert!(!format!("{e:?}").contains(KEY) && !e.to_string().contains(KEY));
    }
}
