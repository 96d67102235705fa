//! The `fernet`, `sealed` and `keygen fernet|sealed` subcommands through the built CLI.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

fn run(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    run_cli(args, stdin, env)
}

fn keygen(kind: &str) -> String {
    let out = run(&["keygen", kind], "", &[]);
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], kind);
    lines[0]["key"].as_str().unwrap().to_owned()
}

#[test]
fn keygen_fernet_and_sealed_print_loadable_keys() {
    let fernet = keygen("fernet");
    assert_eq!(fernet.len(), 44);
    assert!(fernet.ends_with('='));
    assert!(portcullis::crypto::Fernet::from_key_text(&fernet).is_ok());
    assert_ne!(fernet, keygen("fernet"));

    let sealed = keygen("sealed");
    let key = portcullis::crypto::SealedKey::from_text(&sealed).unwrap();
    assert_eq!(key.kid().len(), 8);
}

#[test]
fn fernet_encrypt_decrypt_with_ttl_and_now() {
    let key = keygen("fernet");
    let env = [("FERNET_KEY", key.as_str())];
    // "hello" and the empty plaintext.
    let out = run(
        &[
            "fernet",
            "encrypt",
            "--key-env",
            "FERNET_KEY",
            "--now",
            "1000",
        ],
        "aGVsbG8=\n\n",
        &env,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    let tokens: Vec<&str> = lines.iter().map(|l| l["token"].as_str().unwrap()).collect();

    let input = format!("{}\n{}\n", tokens[0], tokens[1]);
    let args = [
        "fernet",
        "decrypt",
        "--key-env",
        "FERNET_KEY",
        "--ttl",
        "10",
        "--now",
    ];
    let fresh = run(&[&args[..], &["1010"]].concat(), &input, &env);
    assert_eq!(fresh.status.code(), Some(0));
    let lines = json_lines(&fresh);
    assert_eq!(lines[0]["plaintext_b64"], "aGVsbG8=");
    assert_eq!(lines[0]["timestamp"], 1000);
    assert_eq!(lines[1]["plaintext_b64"], "");

    let stale = run(&[&args[..], &["1011"]].concat(), &input, &env);
    assert_eq!(stale.status.code(), Some(1));
    for line in json_lines(&stale) {
        assert_eq!(line["ok"], false);
        assert_eq!(line["code"], "invalid_token");
    }

    // Without --ttl the age is not checked, as in Python.
    let out = run(
        &["fernet", "decrypt", "--key-env", "FERNET_KEY"],
        &input,
        &env,
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn fernet_rotate_moves_tokens_to_the_first_key_keeping_the_timestamp() {
    let (old, new) = (keygen("fernet"), keygen("fernet"));
    let token = run(
        &["fernet", "encrypt", "--key-env", "K", "--now", "4242"],
        "c2VjcmV0\n",
        &[("K", old.as_str())],
    );
    let token = json_lines(&token)[0]["token"].as_str().unwrap().to_owned();
    let both = format!("{new},{old}");
    let rotated = run(
        &["fernet", "rotate", "--key-env", "K"],
        &format!("{token}\nnot-a-token\n"),
        &[("K", both.as_str())],
    );
    assert_eq!(rotated.status.code(), Some(1));
    let lines = json_lines(&rotated);
    assert_eq!(lines[1]["code"], "invalid_token");
    let rotated = lines[0]["token"].as_str().unwrap();
    let out = run(
        &["fernet", "decrypt", "--key-env", "K"],
        &format!("{rotated}\n"),
        &[("K", new.as_str())],
    );
    let line = &json_lines(&out)[0];
    assert_eq!(line["plaintext_b64"], "c2VjcmV0");
    assert_eq!(line["timestamp"], 4242);
}

#[test]
fn sealed_round_trip_and_context_binding() {
    let key = keygen("sealed");
    let env = [("SEALED_KEY", key.as_str())];
    let out = run(
        &[
            "sealed",
            "encrypt",
            "--key-env",
            "SEALED_KEY",
            "--context",
            "users:oauth:7",
        ],
        "aGVsbG8=\n",
        &env,
    );
    assert_eq!(out.status.code(), Some(0));
    let sealed = json_lines(&out)[0]["sealed"].as_str().unwrap().to_owned();
    assert!(sealed.starts_with("s1."));
    // The CLI's context equals Context::row in the library.
    let keys = portcullis::crypto::SealedKeyset::from_text(&key).unwrap();
    let ctx = portcullis::crypto::Context::row("users", "oauth", "7");
    assert_eq!(keys.open(&sealed, &ctx).unwrap().expose_secret(), b"hello");

    let input = format!("{sealed}\n");
    let same = run(
        &[
            "sealed",
            "decrypt",
            "--key-env",
            "SEALED_KEY",
            "--context",
            "users:oauth:7",
        ],
        &input,
        &env,
    );
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(json_lines(&same)[0]["plaintext_b64"], "aGVsbG8=");
    let other_row = run(
        &[
            "sealed",
            "decrypt",
            "--key-env",
            "SEALED_KEY",
            "--context",
            "users:oauth:8",
        ],
        &input,
        &env,
    );
    assert_eq!(other_row.status.code(), Some(1));
    assert_eq!(json_lines(&other_row)[0]["code"], "invalid_token");

    let other_key = keygen("sealed");
    let unknown = run(
        &["sealed", "decrypt", "--key-env", "K"],
        &input,
        &[("K", other_key.as_str())],
    );
    assert_eq!(json_lines(&unknown)[0]["code"], "unknown_key");
}

#[test]
fn bad_input_lines_fail_without_stopping_the_run() {
    let key = keygen("fernet");
    let out = run(
        &["fernet", "encrypt", "--key-env", "K"],
        "!!!\naGk=\n",
        &[("K", key.as_str())],
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["code"], "invalid_input");
    assert_eq!(lines[1]["ok"], true);
}

#[test]
fn configuration_errors_exit_2_and_never_print_the_key() {
    let bad_key = "c2hvcnQta2V5LXZhbHVl"; // 15 bytes
    for (args, env) in [
        (&["fernet", "decrypt"][..], vec![]),
        (
            &["fernet", "decrypt", "--key-env", "UNSET_VAR_FOR_TEST"][..],
            vec![],
        ),
        (
            &["fernet", "decrypt", "--key-env", "K"][..],
            vec![("K", bad_key)],
        ),
        (
            &["fernet", "decrypt", "--key-env", "K"][..],
            vec![("K", "")],
        ),
        (
            &["fernet", "decrypt", "--key-env", "K", "--ttl", "-1"][..],
            vec![("K", "x")],
        ),
        (
            &["fernet", "frobnicate", "--key-env", "K"][..],
            vec![("K", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")],
        ),
        (
            &["sealed", "encrypt", "--key-env", "K"][..],
            vec![("K", bad_key)],
        ),
        (
            &["sealed", "encrypt", "--key-env", "K"][..],
            vec![("K", "k:c2hvcnQta2V5LXZhbHVl")],
        ),
        (&["keygen", "rot13"][..], vec![]),
    ] {
        let out = run(args, "", &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.is_empty(), "{args:?}");
        assert!(
            !stderr.contains(bad_key),
            "{args:?} printed the key: {stderr}"
        );
    }
    let out = run(
        &["fernet", "decrypt", "--key-env", "K"],
        "",
        &[("K", bad_key)],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("environment variable K"));
}
