//! `portcullis token ...` through the built example binary: JSON lines, exit codes.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

const KEY: (&str, &str) = (
    "PORTCULLIS_TEST_JWT_KEY",
    "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz",
);
const NOW: &str = "1800000000";

fn run(args: &[&str], stdin: &str) -> Output {
    run_cli(args, stdin, &[KEY])
}

fn issue(kind: &str, input: &str) -> String {
    let out = run(
        &[
            "token",
            "issue",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--kind",
            kind,
            "--now",
            NOW,
        ],
        input,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)[0]["token"].as_str().unwrap().to_owned()
}

#[test]
fn issue_then_verify_round_trips_with_extra_claims() {
    let token = issue("access", "{\"user_id\": \"42\", \"role\": \"staff\"}\n");
    let out = run(
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--now",
            NOW,
        ],
        &format!("{token}\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    let line = &json_lines(&out)[0];
    assert_eq!(line["ok"], true);
    assert_eq!(line["kind"], "access");
    assert_eq!(line["claims"]["user_id"], "42");
    assert_eq!(line["claims"]["role"], "staff");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY.1));
}

#[test]
fn verify_reports_simplejwt_codes_and_exits_1_when_any_line_fails() {
    let access = issue("access", "{\"user_id\": 7}\n");
    let refresh = issue("refresh", "{\"user_id\": 7}\n");
    let out = run(
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--kind",
            "access",
            "--now",
            NOW,
        ],
        &format!("{access}\n{refresh}\nnot-a-token\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let l = json_lines(&out);
    assert_eq!(l.len(), 3);
    assert_eq!(l[0]["ok"], true);
    assert_eq!(l[1]["code"], "token_not_valid");
    assert_eq!(l[1]["message"], "Token has wrong type");
    assert_eq!(l[2]["message"], "Token is invalid");
    let expired = run(
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--now",
            "1900000000",
        ],
        &format!("{access}\n"),
    );
    assert_eq!(json_lines(&expired)[0]["message"], "Token is expired");
    let any = run(
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--kind",
            "any",
            "--now",
            NOW,
        ],
        &format!("{refresh}\n"),
    );
    assert_eq!(json_lines(&any)[0]["kind"], "refresh");
}

#[test]
fn verify_refuses_an_access_or_sliding_token_without_a_user_unless_kind_is_any() {
    // Issued with the id under `user_id`; verified with `--user-id-claim uid`, the
    // tokens carry no user id at all.
    let access = issue("access", "{\"user_id\": \"7\"}\n");
    let sliding = issue("sliding", "{\"user_id\": \"7\"}\n");
    let verify = |kind: &str, token: &str| {
        run(
            &[
                "token",
                "verify",
                "--alg",
                "HS256",
                "--key-env",
                KEY.0,
                "--kind",
                kind,
                "--user-id-claim",
                "uid",
                "--now",
                NOW,
            ],
            &format!("{token}\n"),
        )
    };
    for (kind, token) in [("access", &access), ("sliding", &sliding)] {
        let out = verify(kind, token);
        assert_eq!(out.status.code(), Some(1), "{kind}");
        let line = &json_lines(&out)[0];
        assert_eq!(line["ok"], false, "{kind}");
        assert_eq!(line["code"], "token_not_valid", "{kind}");
        assert_eq!(
            line["message"], "Token contained no recognizable user identification",
            "{kind}"
        );
        let any = verify("any", token);
        assert_eq!(any.status.code(), Some(0), "{kind} as any");
        assert_eq!(json_lines(&any)[0]["kind"], kind);
    }
}

#[test]
fn refresh_rotates_and_catches_a_replay_in_the_same_run() {
    let refresh = issue("refresh", "{\"user_id\": \"7\"}\n");
    let out = run(
        &[
            "token",
            "refresh",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--rotate",
            "--now",
            NOW,
        ],
        &format!("{refresh}\n{refresh}\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let l = json_lines(&out);
    assert!(l[0]["access"].is_string() && l[0]["refresh"].is_string());
    assert_eq!(l[1]["ok"], false);
    assert_eq!(l[1]["message"], "Token is blacklisted");
    let plain = run(
        &[
            "token",
            "refresh",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--now",
            NOW,
        ],
        &format!("{refresh}\n"),
    );
    assert_eq!(plain.status.code(), Some(0));
    assert!(json_lines(&plain)[0].get("refresh").is_none());
}

#[test]
fn inspect_says_loudly_that_nothing_was_verified() {
    let token = issue("sliding", "{\"user_id\": \"7\"}\n");
    let out = run(&["token", "inspect"], &format!("{token}\n"));
    assert_eq!(out.status.code(), Some(0));
    let l = &json_lines(&out)[0];
    assert_eq!(l["verified"], false);
    assert_eq!(l["header"]["alg"], "HS256");
    assert_eq!(l["claims"]["token_type"], "sliding");
    assert!(String::from_utf8_lossy(&out.stderr).contains("WITHOUT verifying"));
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    for args in [
        &["token", "verify", "--alg", "none", "--key-env", KEY.0][..],
        &["token", "verify", "--key-env", KEY.0][..],
        &["token", "verify", "--alg", "HS256"][..],
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            "PORTCULLIS_UNSET_VAR_X",
        ][..],
        &["token", "issue", "--alg", "HS256", "--key-env", KEY.0][..],
        &[
            "token",
            "issue",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--kind",
            "any",
        ][..],
        &[
            "token",
            "verify",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--leeway",
            "soon",
        ][..],
        &["token", "verify", "--alg", "ES256", "--key-env", KEY.0][..],
        &[
            "token",
            "refresh",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--bogus",
        ][..],
        &["token", "frobnicate"][..],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_issue_input_is_an_input_failure_not_a_usage_error() {
    let out = run(
        &[
            "token",
            "issue",
            "--alg",
            "HS256",
            "--key-env",
            KEY.0,
            "--kind",
            "access",
            "--now",
            NOW,
        ],
        "{\"role\": \"x\"}\n[1]\n{\"user_id\": \"1\", \"exp\": 5}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let l = json_lines(&out);
    assert_eq!(l[0]["code"], "invalid_input");
    assert_eq!(l[1]["code"], "invalid_input");
    assert_eq!(l[2]["code"], "invalid_config");
}
