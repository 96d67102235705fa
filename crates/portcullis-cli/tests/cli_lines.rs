//! The line contract: each stdin line is taken byte for byte except its line
//! ending (`\n` or `\r\n`); nothing is trimmed, so a value the library refuses is
//! refused through the CLI too.

mod common;

use common::{json_lines, run_cli};
use serde_json::Value;

const KEY: (&str, &str) = (
    "PORTCULLIS_TEST_JWT_KEY",
    "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz",
);
const FERNET: (&str, &str) = (
    "PORTCULLIS_TEST_FERNET_KEY",
    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
);
const NOW: &str = "1800000000";

fn token_args<'a>(op: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "token",
        op,
        "--alg",
        "HS256",
        "--key-env",
        KEY.0,
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    args
}

fn issue(kind: &str) -> String {
    let out = run_cli(
        &token_args("issue", &["--kind", kind]),
        "{\"user_id\": \"42\"}\n",
        &[KEY],
    );
    assert_eq!(out.status.code(), Some(0));
    json_lines(&out)[0]["token"].as_str().unwrap().to_owned()
}

/// The three damaged forms of `token` the issue names: a leading space, a
/// trailing tab, an inner space.
fn wrapped(token: &str) -> [String; 3] {
    let (head, tail) = token.split_at(10);
    [
        format!(" {token}"),
        format!("{token}\t"),
        format!("{head} {tail}"),
    ]
}

fn verdicts(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (Option<i32>, Vec<Value>) {
    let out = run_cli(args, stdin, env);
    (out.status.code(), json_lines(&out))
}

#[test]
fn token_verify_refuses_a_wrapped_token_and_accepts_crlf() {
    let token = issue("access");
    let [lead, tab, inner] = wrapped(&token);
    let stdin = format!("{lead}\n{tab}\n{inner}\n{token}\r\n");
    let (code, lines) = verdicts(&token_args("verify", &[]), &[KEY], &stdin);
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 4);
    for line in &lines[..3] {
        assert_eq!(line["ok"], false, "{line}");
        assert_eq!(line["code"], "token_not_valid", "{line}");
    }
    assert_eq!(lines[3]["ok"], true, "CRLF is a line ending: {}", lines[3]);
}

#[test]
fn token_refresh_and_inspect_refuse_a_wrapped_token() {
    let refresh = issue("refresh");
    let [lead, tab, inner] = wrapped(&refresh);
    let stdin = format!("{lead}\n{tab}\n{inner}\n");
    let (code, lines) = verdicts(&token_args("refresh", &[]), &[KEY], &stdin);
    assert_eq!(code, Some(1));
    assert!(lines.iter().all(|l| l["ok"] == false), "{lines:?}");
    let (code, lines) = verdicts(&["token", "inspect"], &[], &stdin);
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["ok"] == false), "{lines:?}");
}

#[test]
fn only_one_carriage_return_belongs_to_the_line_ending() {
    let token = issue("access");
    let (code, lines) = verdicts(
        &token_args("verify", &[]),
        &[KEY],
        &format!("{token}\r\r\n"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(lines[0]["ok"], false, "{}", lines[0]);
}

#[test]
fn a_line_that_is_not_utf8_is_one_refused_input_not_a_usage_error() {
    let token = issue("access");
    let mut stdin = b"\xff\xfe\n".to_vec();
    stdin.extend_from_slice(format!("{token}\n").as_bytes());
    let out = common::run_cli_bytes(&token_args("verify", &[]), &stdin, &[KEY]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(lines[0]["code"], "invalid_input");
    assert_eq!(lines[1]["ok"], true);
}

#[test]
fn fernet_decrypt_refuses_a_wrapped_token() {
    let out = run_cli(
        &["fernet", "encrypt", "--key-env", FERNET.0, "--now", NOW],
        "aGVsbG8=\n",
        &[FERNET],
    );
    assert_eq!(out.status.code(), Some(0));
    let token = json_lines(&out)[0]["token"].as_str().unwrap().to_owned();
    let [lead, tab, inner] = wrapped(&token);
    let stdin = format!("{lead}\n{tab}\n{inner}\n{token}\n");
    let (code, lines) = verdicts(
        &["fernet", "decrypt", "--key-env", FERNET.0, "--now", NOW],
        &[FERNET],
        &stdin,
    );
    assert_eq!(code, Some(1));
    for line in &lines[..3] {
        assert_eq!(line["code"], "invalid_token", "{line}");
    }
    assert_eq!(lines[3]["ok"], true);
}

#[test]
fn fernet_encrypt_refuses_wrapped_base64() {
    let (code, lines) = verdicts(
        &["fernet", "encrypt", "--key-env", FERNET.0, "--now", NOW],
        &[FERNET],
        " aGVsbG8=\naGVsbG8=\t\n",
    );
    assert_eq!(code, Some(1));
    assert!(
        lines.iter().all(|l| l["code"] == "invalid_input"),
        "{lines:?}"
    );
}

#[test]
fn ratelimit_simulate_refuses_a_wrapped_time() {
    let (code, lines) = verdicts(
        &[
            "ratelimit",
            "simulate",
            "--rate",
            "5/m",
            "--algorithm",
            "gcra",
        ],
        &[],
        " 1800000000\n1800000000.5\t\n1800000001\n",
    );
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ok"], false, "{}", lines[0]);
    assert_eq!(lines[1]["ok"], false, "{}", lines[1]);
    assert_eq!(lines[2]["ok"], true, "{}", lines[2]);
}
