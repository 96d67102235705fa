//! The deployment check: Django parity against Django's own output, the crate's own
//! rules (each firing and not firing), the hardened configuration, and parsing.

use portcullis::deploy::{self, Finding, Level, Settings};
use serde_json::{Value, json};

/// The crate's recommended configuration: Django's secure settings, SimpleJWT at
/// 15 minutes / 7 days with rotation, blacklist and its own key, CORS with listed
/// origins, Django's four validators at 12, and anon/user/login throttle rates.
fn hardened() -> Value {
    serde_json::from_str(include_str!("data/deploy/hardened.json")).unwrap()
}

fn findings(settings: &Value) -> Vec<Finding> {
    let settings: Settings = serde_json::from_value(settings.clone()).unwrap();
    deploy::check(&settings)
}

fn ids(settings: &Value) -> Vec<&'static str> {
    findings(settings).iter().map(Finding::id).collect()
}

/// `hardened()` with `path` (dot-separated) set to `value`, or removed for `None`.
fn with(path: &str, value: Option<Value>) -> Value {
    let mut settings = hardened();
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut node = &mut settings;
    for part in parts {
        node = node.get_mut(part).unwrap();
    }
    let map = node.as_object_mut().unwrap();
    match value {
        Some(v) => map.insert(last.to_owned(), v),
        None => map.remove(last),
    };
    settings
}

#[test]
fn replays_every_case_django_generated() {
    let fixture: Value =
        serde_json::from_str(include_str!("data/deploy/django_checks.json")).unwrap();
    assert!(fixture["django"].as_str().unwrap().starts_with("5.2."));
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 300, "{} cases", cases.len());
    for case in cases {
        let got: Vec<Value> = findings(&case["settings"])
            .iter()
            .filter(|f| f.id().starts_with("security."))
            .map(|f| serde_json::to_value(f).unwrap())
            .collect();
        assert_eq!(
            Value::Array(got),
            case["findings"],
            "settings: {}",
            case["settings"]
        );
    }
}

#[test]
fn the_hardened_configuration_has_no_finding() {
    assert_eq!(findings(&hardened()), Vec::<Finding>::new());
}

#[test]
fn the_readme_shows_the_hardened_configuration() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("## Deployment check")
        .expect("a Deployment check section");
    let block = &readme[start..];
    let json_start = block.find("```json\n").unwrap() + "```json\n".len();
    let json_end = block[json_start..].find("```").unwrap() + json_start;
    let shown: Value = serde_json::from_str(&block[json_start..json_end]).unwrap();
    assert_eq!(shown, hardened());
}

#[test]
fn empty_settings_report_django_defaults_and_every_own_rule_that_applies() {
    let ids = ids(&json!({}));
    for id in [
        "security.W004",
        "security.W008",
        "security.W009",
        "security.W020",
        "security.W016",
        "security.W012",
        "portcullis.token.W001",
        "portcullis.password.W001",
        "portcullis.ratelimit.W001",
        "portcullis.ratelimit.W002",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!ids.contains(&"portcullis.crypto.W001"), "{ids:?}");
}

#[test]
fn levels_follow_django() {
    let f = findings(&with("SECURE_REFERRER_POLICY", Some(json!("nonsense"))));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].level(), Level::Error);
    assert!(
        f[0].message()
            .contains("\n\tHINT: Valid values are: no-referrer, ")
    );
    let f = findings(&with("DEBUG", Some(json!(true))));
    assert_eq!((f[0].id(), f[0].level()), ("security.W018", Level::Warning));
}

fn fires(settings: &Value, id: &str) {
    let got = ids(settings);
    assert_eq!(got, vec![id], "settings: {settings}");
}

#[test]
fn token_w001_signing_key_equal_to_secret_key() {
    let key = hardened()["SECRET_KEY"].clone();
    fires(
        &with("SIMPLE_JWT.SIGNING_KEY", Some(key)),
        "portcullis.token.W001",
    );
    fires(
        &with("SIMPLE_JWT.SIGNING_KEY", None),
        "portcullis.token.W001",
    );
    fires(
        &with("SIMPLE_JWT.SIGNING_KEY", Some(Value::Null)),
        "portcullis.token.W001",
    );
}

#[test]
fn token_w002_short_hmac_signing_key() {
    let short = "k".repeat(31);
    fires(
        &with("SIMPLE_JWT.SIGNING_KEY", Some(json!(short))),
        "portcullis.token.W002",
    );
    let exactly = "k".repeat(32);
    assert_eq!(
        ids(&with("SIMPLE_JWT.SIGNING_KEY", Some(json!(exactly)))),
        Vec::<&str>::new()
    );
    // An asymmetric algorithm's key is a PEM document, not an HMAC secret.
    let mut es = with("SIMPLE_JWT.SIGNING_KEY", Some(json!(short)));
    es["SIMPLE_JWT"]["ALGORITHM"] = json!("ES256");
    assert_eq!(ids(&es), Vec::<&str>::new());
}

#[test]
fn token_w003_access_lifetime_over_one_hour() {
    fires(
        &with("SIMPLE_JWT.ACCESS_TOKEN_LIFETIME", Some(json!("8h"))),
        "portcullis.token.W003",
    );
    fires(
        &with("SIMPLE_JWT.ACCESS_TOKEN_LIFETIME", Some(json!(3601))),
        "portcullis.token.W003",
    );
    for ok in [json!(3600), json!("1h"), json!(900.5), json!("15m")] {
        assert_eq!(
            ids(&with("SIMPLE_JWT.ACCESS_TOKEN_LIFETIME", Some(ok))),
            Vec::<&str>::new()
        );
    }
}

#[test]
fn token_w004_rotation_without_blacklist() {
    fires(
        &with("SIMPLE_JWT.BLACKLIST_AFTER_ROTATION", Some(json!(false))),
        "portcullis.token.W004",
    );
    let mut no_rotation = with("SIMPLE_JWT.BLACKLIST_AFTER_ROTATION", Some(json!(false)));
    no_rotation["SIMPLE_JWT"]["ROTATE_REFRESH_TOKENS"] = json!(false);
    assert_eq!(ids(&no_rotation), Vec::<&str>::new());
}

#[test]
fn token_w005_algorithm_none_or_unsupported() {
    for bad in ["none", "None", "HS1", "hs256", ""] {
        let f = findings(&with("SIMPLE_JWT.ALGORITHM", Some(json!(bad))));
        assert_eq!(
            f.iter().map(Finding::id).collect::<Vec<_>>(),
            ["portcullis.token.W005"],
            "{bad}"
        );
        let forged = f[0].message().contains("forged");
        assert_eq!(forged, bad.eq_ignore_ascii_case("none"), "{bad}");
    }
    assert_eq!(
        ids(&with("SIMPLE_JWT.ALGORITHM", Some(json!("HS512")))),
        Vec::<&str>::new()
    );
}

#[test]
fn token_w006_refresh_shorter_than_access() {
    let mut s = with("SIMPLE_JWT.REFRESH_TOKEN_LIFETIME", Some(json!("10m")));
    fires(&s, "portcullis.token.W006");
    s["SIMPLE_JWT"]["REFRESH_TOKEN_LIFETIME"] = json!(900);
    assert_eq!(ids(&s), Vec::<&str>::new());
}

#[test]
fn cors_w001_any_origin_with_credentials() {
    fires(
        &with("CORS_ALLOW_ALL_ORIGINS", Some(json!(true))),
        "portcullis.cors.W001",
    );
    fires(
        &with("CORS_ALLOWED_ORIGINS", Some(json!(["*"]))),
        "portcullis.cors.W001",
    );
    fires(
        &with("CORS_ALLOWED_ORIGIN_REGEXES", Some(json!(["^.*$"]))),
        "portcullis.cors.W001",
    );
    let mut no_credentials = with("CORS_ALLOW_ALL_ORIGINS", Some(json!(true)));
    no_credentials["CORS_ALLOW_CREDENTIALS"] = json!(false);
    assert_eq!(ids(&no_credentials), Vec::<&str>::new());
    let specific = with(
        "CORS_ALLOWED_ORIGIN_REGEXES",
        Some(json!([r"^https://\w+\.example\.com$"])),
    );
    assert_eq!(ids(&specific), Vec::<&str>::new());
}

#[test]
fn password_w001_no_validators() {
    fires(
        &with("AUTH_PASSWORD_VALIDATORS", Some(json!([]))),
        "portcullis.password.W001",
    );
    fires(
        &with("AUTH_PASSWORD_VALIDATORS", None),
        "portcullis.password.W001",
    );
}

#[test]
fn password_w002_minimum_length_under_12() {
    let mut s = hardened();
    s["AUTH_PASSWORD_VALIDATORS"][1]["OPTIONS"]["min_length"] = json!(11);
    fires(&s, "portcullis.password.W002");
    s["AUTH_PASSWORD_VALIDATORS"][1]["OPTIONS"] = json!({});
    fires(&s, "portcullis.password.W002");
    s["AUTH_PASSWORD_VALIDATORS"][1] =
        json!({"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"});
    fires(&s, "portcullis.password.W002");
    s["AUTH_PASSWORD_VALIDATORS"][1] = json!({
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 16},
    });
    assert_eq!(ids(&s), Vec::<&str>::new());
}

#[test]
fn ratelimit_w001_w002_missing_anon_or_login_rate() {
    let mut s = hardened();
    s["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]
        .as_object_mut()
        .unwrap()
        .remove("anon");
    fires(&s, "portcullis.ratelimit.W001");
    let mut s = hardened();
    s["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["login"] = Value::Null;
    fires(&s, "portcullis.ratelimit.W002");
    // A configured login scope replaces `login`.
    s["PORTCULLIS_LOGIN_THROTTLE_SCOPE"] = json!("user");
    assert_eq!(ids(&s), Vec::<&str>::new());
    s["PORTCULLIS_LOGIN_THROTTLE_SCOPE"] = json!("signin");
    let f = findings(&s);
    assert_eq!(f.len(), 1);
    assert!(f[0].message().contains("\"signin\""), "{}", f[0].message());
}

#[test]
fn crypto_w001_invalid_encryption_key() {
    let key = "not-a-fernet-key-at-all";
    let f = findings(&with("ENCRYPTION_KEY", Some(json!(key))));
    assert_eq!(
        f.iter().map(Finding::id).collect::<Vec<_>>(),
        ["portcullis.crypto.W001"]
    );
    assert!(!f[0].message().contains(key));
    let good = portcullis::crypto::Fernet::generate_key().unwrap();
    let two = format!("{},{}", good.expose_secret(), good.expose_secret());
    assert_eq!(
        ids(&with("ENCRYPTION_KEY", Some(json!(two)))),
        Vec::<&str>::new()
    );
    assert_eq!(ids(&with("ENCRYPTION_KEY", None)), Vec::<&str>::new());
}

#[test]
fn a_wrong_type_is_an_error_naming_the_setting() {
    for (settings, name) in [
        (json!({"DEBUG": "False"}), "setting DEBUG: "),
        (
            json!({"SECURE_HSTS_SECONDS": -1}),
            "setting SECURE_HSTS_SECONDS: ",
        ),
        (
            json!({"ALLOWED_HOSTS": "example.com"}),
            "setting ALLOWED_HOSTS: ",
        ),
        (
            json!({"SECURE_REFERRER_POLICY": 5}),
            "setting SECURE_REFERRER_POLICY: ",
        ),
        (
            json!({"SIMPLE_JWT": {"ACCESS_TOKEN_LIFETIME": "forever"}}),
            "setting SIMPLE_JWT.ACCESS_TOKEN_LIFETIME: ",
        ),
        (
            json!({"SIMPLE_JWT": {"ACCESS_TOKEN_LIFETIME": -5}}),
            "setting SIMPLE_JWT.ACCESS_TOKEN_LIFETIME: ",
        ),
        (
            json!({"SIMPLE_JWT": {"ALGORITHM": 256}}),
            "setting SIMPLE_JWT.ALGORITHM: ",
        ),
        (
            json!({"REST_FRAMEWORK": {"DEFAULT_THROTTLE_RATES": {"anon": "lots"}}}),
            "setting REST_FRAMEWORK.DEFAULT_THROTTLE_RATES.anon: ",
        ),
        (
            json!({"AUTH_PASSWORD_VALIDATORS": [{"OPTIONS": {}}]}),
            "setting AUTH_PASSWORD_VALIDATORS: ",
        ),
    ] {
        let err = serde_json::from_value::<Settings>(settings.clone()).unwrap_err();
        assert!(err.to_string().starts_with(name), "{settings}: {err}");
    }
}

#[test]
fn a_secret_of_the_wrong_type_is_not_echoed() {
    for settings in [
        json!({"SECRET_KEY_FALLBACKS": "hunter2-secret"}),
        json!({"SIMPLE_JWT": {"SIGNING_KEY": ["hunter2-secret"]}}),
        json!({"ENCRYPTION_KEY": {"k": "hunter2-secret"}}),
    ] {
        let err = serde_json::from_value::<Settings>(settings).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().starts_with("setting "), "{err}");
    }
    let settings: Settings =
        serde_json::from_value(json!({"SECRET_KEY": "hunter2-secret"})).unwrap();
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn unknown_settings_are_ignored_and_a_repeated_one_is_refused() {
    let settings: Settings = serde_json::from_str(
        r#"{"INSTALLED_APPS": ["a"], "DATABASES": {"default": {}}, "DEBUG": true,
            "SIMPLE_JWT": {"AUTH_HEADER_TYPES": ["Bearer"]},
            "REST_FRAMEWORK": {"DEFAULT_AUTHENTICATION_CLASSES": []}}"#,
    )
    .unwrap();
    assert!(settings.debug);
    let err = serde_json::from_str::<Settings>(r#"{"DEBUG": false, "DEBUG": true}"#).unwrap_err();
    assert!(
        err.to_string().contains("setting DEBUG given twice"),
        "{err}"
    );
}

#[test]
fn settings_load_from_toml() {
    let text = include_str!("data/deploy/hardened.toml");
    let settings: Settings = toml::from_str(text).unwrap();
    assert_eq!(deploy::check(&settings), Vec::<Finding>::new());
    let err = toml::from_str::<Settings>("DEBUG = 1").unwrap_err();
    assert!(err.to_string().contains("setting DEBUG: "), "{err}");
}

#[test]
fn settings_built_in_rust_are_checked_alike() {
    use portcullis::deploy::PasswordValidator;
    let mut settings = Settings::default();
    settings.auth_password_validators = vec![PasswordValidator::new(
        "django.contrib.auth.password_validation.MinimumLengthValidator",
        Some(10),
    )];
    let got: Vec<&str> = deploy::check(&settings).iter().map(Finding::id).collect();
    assert!(got.contains(&"portcullis.password.W002"), "{got:?}");
    assert!(!got.contains(&"portcullis.password.W001"), "{got:?}");
}
