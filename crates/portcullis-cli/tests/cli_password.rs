//! `portcullis password validate|hash|verify` through the built example binary.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

use serde_json::{Value, json};

fn run(args: &[&str], stdin: &str) -> Output {
    run_cli(args, stdin, &[])
}

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

const SMALL_ARGON2: [&str; 6] = [
    "--memory-kib",
    "64",
    "--time-cost",
    "1",
    "--parallelism",
    "1",
];

#[test]
fn validate_lists_every_violation_with_django_codes() {
    let input = lines(&[
        json!({"password": "doejohn", "user": {"username": "john_doe", "email": "john@example.com"}}),
        json!({"password": "a sturdy passphrase", "user": {"username": "john_doe"}}),
        json!({"password": "12345678"}),
    ]);
    let out = run(&["password", "validate", "--profile", "django"], &input);
    assert_eq!(out.status.code(), Some(1));
    let got = json_lines(&out);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["ok"], false);
    assert_eq!(got[0]["code"], "password_too_similar");
    assert_eq!(
        got[0]["violations"],
        json!([
            {"code": "password_too_similar", "message": "The password is too similar to the username."},
            {"code": "password_too_short", "message": "This password is too short. It must contain at least 8 characters."},
        ])
    );
    assert_eq!(got[1], json!({"ok": true, "violations": []}));
    assert_eq!(got[2]["code"], "password_too_common");
    assert_eq!(got[2]["violations"].as_array().unwrap().len(), 2);
}

#[test]
fn validate_profiles_differ_and_all_ok_exits_0() {
    let input = lines(&[json!({"password": "a sturdy passphrase"})]);
    for profile in ["django", "production", "nist"] {
        let out = run(&["password", "validate", "--profile", profile], &input);
        assert_eq!(out.status.code(), Some(0), "{profile}");
    }
    let short = lines(&[json!({"password": "elevenchars"})]);
    assert_eq!(
        run(&["password", "validate", "--profile", "django"], &short)
            .status
            .code(),
        Some(0)
    );
    let out = run(&["password", "validate", "--profile", "production"], &short);
    assert_eq!(json_lines(&out)[0]["code"], "password_too_short");
    let out = run(
        &[
            "password",
            "validate",
            "--profile",
            "nist",
            "--context-words",
            "acme,portcullis",
        ],
        &lines(&[json!({"password": "my acme account password"})]),
    );
    assert_eq!(
        json_lines(&out)[0]["code"],
        "password_contains_context_word"
    );
}

#[test]
fn hash_then_verify_in_every_format() {
    for format in [
        "argon2",
        "django-argon2",
        "django-pbkdf2_sha256",
        "django-pbkdf2_sha1",
        "django-scrypt",
        "django-bcrypt_sha256",
    ] {
        let mut args = vec![
            "password",
            "hash",
            "--format",
            format,
            "--iterations",
            "1000",
        ];
        args.extend(SMALL_ARGON2);
        args.extend([
            "--scrypt-log-n",
            "4",
            "--scrypt-r",
            "8",
            "--scrypt-p",
            "1",
            "--bcrypt-cost",
            "4",
        ]);
        let out = run(&args, &lines(&[json!({"password": "s3cret pass"})]));
        assert_eq!(out.status.code(), Some(0), "{format}");
        let hash = json_lines(&out)[0]["hash"].as_str().unwrap().to_owned();
        assert!(!hash.contains("s3cret"));

        args[1] = "verify";
        let input = lines(&[
            json!({"password": "s3cret pass", "hash": hash}),
            json!({"password": "wrong", "hash": hash}),
        ]);
        let out = run(&args, &input);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let got = json_lines(&out);
        assert_eq!(
            got[0],
            json!({"ok": true, "must_update": false}),
            "{format}"
        );
        assert_eq!(got[1]["ok"], false);
        assert_eq!(got[1]["code"], "password_incorrect");
    }
}

#[test]
fn verify_reports_must_update_unusable_and_malformed_hashes() {
    let django =
        "pbkdf2_sha256$1000$MXYqYNrzq2y90VeJzB4UUc$CblBNUPgdXLIO0qsMsMZaPTSqTQP0bcF7KC2q6WdP0Y=";
    let mut args = vec!["password", "verify"];
    args.extend(SMALL_ARGON2);
    let input = lines(&[
        json!({"password": "correct horse battery staple", "hash": django}),
        json!({"password": "x", "hash": "!unusable"}),
        json!({"password": "x", "hash": "pbkdf2_sha256$many$salt$hash"}),
        json!({"hash": django}),
    ]);
    let out = run(&args, &input);
    assert_eq!(out.status.code(), Some(1));
    let got = json_lines(&out);
    assert_eq!(got[0], json!({"ok": true, "must_update": true}));
    assert_eq!(got[1]["code"], "password_incorrect");
    assert_eq!(got[2]["code"], "malformed_hash");
    assert_eq!(got[3]["code"], "invalid_input");
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    for args in [
        &["password", "validate", "--profile", "strict"][..],
        &["password", "hash", "--format", "md5"][..],
        &["password", "hash", "--iterations", "lots"][..],
        &["password", "hash", "--iterations", "0"][..],
        &["password", "hash", "--memory-kib", "64"][..],
        &["password", "hash", "--scrypt-log-n", "4"][..],
        &["password", "hash", "--bcrypt-cost", "40"][..],
        &["password", "verify", "--bogus"][..],
        &["password", "crack"][..],
    ] {
        let out = run(args, "{\"password\": \"x\"}\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!out.stderr.is_empty(), "{args:?} gave no message");
    }
}
