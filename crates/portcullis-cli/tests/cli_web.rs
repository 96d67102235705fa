//! The `csrf`, `apikey` and `audit` subcommands through the built CLI binary.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

use portcullis::audit::{AuditChain, AuditEvent, AuditKey, MemorySink};
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::web::csrf::CsrfSecret;
use serde_json::json;

const PEPPER: &str = "a-pepper-of-at-least-thirty-two-bytes!!";
const AUDIT_KEY: &str = "an-audit-key-of-at-least-thirty-two-bytes";
const SECRET: &str = "abcdefghijklmnopqrstuvwxyzABCDEF";

fn run(args: &[&str], stdin: &str) -> Output {
    run_cli(
        args,
        stdin,
        &[
            ("WEB_TEST_PEPPER", PEPPER),
            ("WEB_TEST_AUDIT_KEY", AUDIT_KEY),
            ("WEB_TEST_SHORT", "short"),
        ],
    )
}

#[test]
fn csrf_mask_gives_tokens_the_library_accepts() {
    let input = format!(
        "{}\n{}\n",
        json!({"secret": SECRET}),
        json!({"secret": SECRET})
    );
    let out = run(&["csrf", "mask"], &input);
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    let secret = CsrfSecret::parse(SECRET).unwrap();
    let a = lines[0]["token"].as_str().unwrap();
    let b = lines[1]["token"].as_str().unwrap();
    assert_ne!(a, b, "a fresh mask per token");
    secret.verify_token(a).unwrap();
    secret.verify_token(b).unwrap();
}

#[test]
fn csrf_check_reports_each_line() {
    let secret = CsrfSecret::parse(SECRET).unwrap();
    let token = secret.mask().unwrap();
    let input = [
        json!({"secret": SECRET, "token": token}),
        json!({"secret": SECRET, "token": SECRET}),
        json!({"secret": SECRET, "token": "Z".repeat(64)}),
        json!({"secret": SECRET, "token": "short"}),
        json!({"secret": "bad!", "token": SECRET}),
        json!({"secret": SECRET}),
    ]
    .map(|v| v.to_string() + "\n")
    .concat()
        + "not json\n";
    let out = run(&["csrf", "check"], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let codes: Vec<&str> = lines
        .iter()
        .map(|l| l["code"].as_str().unwrap_or("ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "csrf_token_incorrect",
            "csrf_bad_token_format",
            "csrf_bad_cookie",
            "invalid_input",
            "invalid_input"
        ]
    );
    assert_eq!(lines[0].as_object().unwrap().len(), 1, "nothing but ok");
}

#[test]
fn apikey_generate_then_verify() {
    let out = run(
        &[
            "apikey",
            "generate",
            "--prefix",
            "acme_live",
            "--pepper-env",
            "WEB_TEST_PEPPER",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    let line = &json_lines(&out)[0];
    let key = line["key"].as_str().unwrap();
    let digest = line["digest"].as_str().unwrap();
    assert!(key.starts_with("acme_live_"));
    assert_eq!(&key[10..22], line["lookup_id"].as_str().unwrap());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PEPPER));

    let mut typo = key.to_owned().into_bytes();
    let last = typo.len() - 10;
    typo[last] = if typo[last] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let other_digest = "0".repeat(64);
    let input = [
        json!({"key": key, "digest": digest}),
        json!({"key": key, "digest": digest, "expires_at": 2_000_000_000u64}),
        json!({"key": key, "digest": digest, "expires_at": 1_000_000_000u64}),
        json!({"key": typo, "digest": digest}),
        json!({"key": key, "digest": other_digest}),
        json!({"key": "nope", "digest": digest}),
        json!({"key": key, "digest": "xyz"}),
    ]
    .map(|v| v.to_string() + "\n")
    .concat();
    let out = run(
        &[
            "apikey",
            "verify",
            "--pepper-env",
            "WEB_TEST_PEPPER",
            "--now",
            "1700000000",
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let codes: Vec<&str> = lines
        .iter()
        .map(|l| l["code"].as_str().unwrap_or("ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "expired",
            "checksum_mismatch",
            "invalid_key",
            "malformed_key",
            "malformed_digest"
        ]
    );
    assert_eq!(lines[0], json!({"ok": true}), "nothing but ok");
}

#[test]
fn audit_verify_names_the_first_bad_record() {
    let key = || AuditKey::new(SecretBytes::from_slice(AUDIT_KEY.as_bytes())).unwrap();
    let mut chain = AuditChain::new(key());
    let mut sink = MemorySink::new(10);
    for i in 0..4u64 {
        let event = AuditEvent::new(
            "user:1",
            "post:publish",
            "post",
            &i.to_string(),
            UnixTime::from_secs(1_700_000_000 + i).unwrap(),
        )
        .unwrap();
        chain.record(event, &mut sink).unwrap();
    }
    let good = sink.to_json_lines();
    let out = run(
        &["audit", "verify", "--key-env", "WEB_TEST_AUDIT_KEY"],
        &good,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out), vec![json!({"ok": true}); 4]);

    let tampered = good.replacen("\"entity_id\":\"2\"", "\"entity_id\":\"9\"", 1);
    let out = run(
        &["audit", "verify", "--key-env", "WEB_TEST_AUDIT_KEY"],
        &tampered,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[2]["code"], "record_modified");
    assert!(
        lines[2]["message"]
            .as_str()
            .unwrap()
            .contains("line 3 (seq 2)")
    );
    assert_eq!(lines[3]["ok"], true);

    let mut removed: Vec<&str> = good.lines().collect();
    removed.remove(1);
    let out = run(
        &["audit", "verify", "--key-env", "WEB_TEST_AUDIT_KEY"],
        &(removed.join("\n") + "\n"),
    );
    let lines = json_lines(&out);
    assert_eq!(lines[1]["code"], "record_missing");
    assert_eq!(lines.iter().filter(|l| l["ok"] == false).count(), 1);
}

#[test]
fn audit_verify_refuses_duplicate_metadata_keys() {
    let key = AuditKey::new(SecretBytes::from_slice(AUDIT_KEY.as_bytes())).unwrap();
    let mut chain = AuditChain::new(key);
    let mut sink = MemorySink::new(10);
    let event = AuditEvent::new("user:1", "user:update", "user", "1", UnixTime::EPOCH)
        .unwrap()
        .with_metadata(json!({"role": "user"}))
        .unwrap();
    chain.record(event, &mut sink).unwrap();
    let good = sink.to_json_lines();
    let doubled = good.replacen(r#"{"role":"user"}"#, r#"{"role":"admin","role":"user"}"#, 1);
    assert_ne!(doubled, good);
    let out = run(
        &["audit", "verify", "--key-env", "WEB_TEST_AUDIT_KEY"],
        &doubled,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["code"], "malformed_record");
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key")
    );
}

#[test]
fn configuration_errors_exit_2_with_nothing_on_stdout() {
    for args in [
        &["apikey", "generate", "--prefix", "acme"][..],
        &[
            "apikey",
            "generate",
            "--prefix",
            "Bad",
            "--pepper-env",
            "WEB_TEST_PEPPER",
        ][..],
        &[
            "apikey",
            "generate",
            "--prefix",
            "acme",
            "--pepper-env",
            "WEB_TEST_SHORT",
        ][..],
        &[
            "apikey",
            "generate",
            "--prefix",
            "acme",
            "--pepper-env",
            "WEB_TEST_UNSET",
        ][..],
        &[
            "apikey",
            "verify",
            "--pepper-env",
            "WEB_TEST_PEPPER",
            "--now",
            "soon",
        ][..],
        &["audit", "verify"][..],
        &["audit", "verify", "--key-env", "WEB_TEST_SHORT"][..],
        &["csrf", "mask", "--key-env", "X"][..],
        &["csrf", "sign"][..],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.is_empty(), "{args:?} gave no message");
        assert!(
            !stderr.contains(PEPPER) && !stderr.contains("short\n"),
            "{args:?} leaked a key"
        );
    }
}
