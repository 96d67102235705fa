//! `check deploy` through the built CLI binary: JSON lines in, findings out, exit codes.

mod common;

use common::{json_lines, run_cli};
use serde_json::{Value, json};

fn hardened() -> Value {
    serde_json::from_str(include_str!("../../../tests/data/deploy/hardened.json")).unwrap()
}

fn check(stdin: &str) -> std::process::Output {
    run_cli(&["check", "deploy"], stdin, &[])
}

#[test]
fn the_hardened_configuration_is_ok_with_no_findings() {
    let out = check(&format!("{}\n", hardened()));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(json_lines(&out), [json!({"ok": true, "findings": []})]);
}

#[test]
fn findings_make_the_line_not_ok_with_each_id_level_and_message() {
    let mut settings = hardened();
    settings["DEBUG"] = json!(true);
    settings["SECURE_REFERRER_POLICY"] = json!("bogus");
    let out = check(&format!("{settings}\n{}\n", hardened()));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], json!(false));
    assert_eq!(lines[0]["code"], json!("deploy_findings"));
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("security.W018")
    );
    let findings = lines[0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["id"], json!("security.W018"));
    assert_eq!(findings[0]["level"], json!("warning"));
    assert_eq!(
        findings[0]["message"],
        json!("You should not have DEBUG set to True in deployment.")
    );
    assert_eq!(findings[1]["id"], json!("security.E023"));
    assert_eq!(findings[1]["level"], json!("error"));
    assert_eq!(findings[0].as_object().unwrap().len(), 3);
    assert_eq!(lines[1], json!({"ok": true, "findings": []}));
}

#[test]
fn a_warning_alone_makes_the_line_not_ok() {
    let mut settings = hardened();
    settings["SIMPLE_JWT"]["ACCESS_TOKEN_LIFETIME"] = json!("8h");
    let out = check(&format!("{settings}\n"));
    assert_eq!(out.status.code(), Some(1));
    let line = &json_lines(&out)[0];
    assert_eq!(line["findings"][0]["id"], json!("portcullis.token.W003"));
}

#[test]
fn malformed_lines_are_not_ok_and_do_not_stop_the_run() {
    let input = format!(
        "not json\n[1,2]\n{{\"DEBUG\": \"no\"}}\n\n{}\r\n",
        hardened()
    );
    let out = check(&input);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 5);
    for line in &lines[..2] {
        assert_eq!(line["ok"], json!(false));
        assert_eq!(line["code"], json!("invalid_input"));
    }
    assert_eq!(lines[2]["code"], json!("invalid_settings"));
    assert!(
        lines[2]["message"]
            .as_str()
            .unwrap()
            .starts_with("setting DEBUG: "),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3]["code"], json!("invalid_input"));
    assert_eq!(lines[4], json!({"ok": true, "findings": []}));
}

#[test]
fn a_secret_never_reaches_stdout() {
    let mut settings = hardened();
    settings["SECRET_KEY"] = json!("short-secret-hunter2");
    settings["ENCRYPTION_KEY"] = json!("bad-key-hunter2");
    settings["SECRET_KEY_FALLBACKS"] = json!(["old-hunter2"]);
    let out = check(&format!(
        "{settings}\n{}\n",
        json!({"SIMPLE_JWT": {"SIGNING_KEY": 7}})
    ));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(!stdout.contains("\"SIGNING_KEY\": 7"));
}

#[test]
fn flags_and_unknown_operations_are_usage_errors() {
    for args in [
        &["check", "deploy", "--strict"][..],
        &["check", "settings"][..],
    ] {
        let out = run_cli(args, "{}\n", &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}
