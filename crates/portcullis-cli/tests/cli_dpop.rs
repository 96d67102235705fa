//! `portcullis dpop verify` through the built binary: RFC 9449's example proofs,
//! jwcrypto's proofs, replay within a run, `ath`, the nonce, the window, and the
//! line and usage contract.

mod common;

use common::{json_lines, run_cli};
use serde_json::Value;

const RFC_4_1: &str = include_str!("../../../tests/data/jose/rfc9449_4_1_proof.txt");
const RFC_7_1: &str = include_str!("../../../tests/data/jose/rfc9449_7_1_proof.txt");
const JWCRYPTO: &str = include_str!("../../../tests/data/jose/dpop_jwcrypto.json");
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const TOKEN_URL: &str = "https://server.example.com/token";

fn verify(extra: &[&str], stdin: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec!["dpop", "verify"];
    args.extend_from_slice(extra);
    run_cli(&args, stdin, env)
}

fn rfc_request(now: &str) -> Vec<&str> {
    vec!["--htm", "POST", "--htu", TOKEN_URL, "--now", now]
}

#[test]
fn the_rfc_example_proof_prints_its_jkt() {
    let out = verify(&rfc_request("1562262616"), RFC_4_1, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["jkt"], RFC_JKT);
}

#[test]
fn a_jti_seen_earlier_in_the_run_is_a_replay() {
    let stdin = format!("{}{}", RFC_4_1, RFC_4_1);
    let out = verify(&rfc_request("1562262616"), &stdin, &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["code"], "dpop_replay");
}

#[test]
fn the_access_token_comes_from_the_environment_and_must_match_ath() {
    let args = [
        "--htm",
        "GET",
        "--htu",
        "https://resource.example.org/protectedresource",
        "--access-token-env",
        "AT",
        "--now",
        "1562262618",
    ];
    let good = verify(
        &args,
        RFC_7_1,
        &[("AT", "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")],
    );
    assert_eq!(good.status.code(), Some(0), "{good:?}");
    assert_eq!(json_lines(&good)[0]["jkt"], RFC_JKT);
    let bad = verify(&args, RFC_7_1, &[("AT", "another token")]);
    assert_eq!(bad.status.code(), Some(1));
    let line = &json_lines(&bad)[0];
    assert_eq!(line["code"], "invalid_dpop_proof");
    assert!(!line["message"].as_str().unwrap().contains("another token"));
    let unset = verify(&args, RFC_7_1, &[]);
    assert_eq!(unset.status.code(), Some(2));
    assert!(unset.stdout.is_empty());
}

#[test]
fn a_required_nonce_missing_asks_for_one() {
    let mut args = rfc_request("1562262616");
    args.extend_from_slice(&["--nonce", "n-1"]);
    let out = verify(&args, RFC_4_1, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["code"], "use_dpop_nonce");
}

#[test]
fn max_age_widens_the_window() {
    let late = verify(&rfc_request("1562262716"), RFC_4_1, &[]);
    assert_eq!(json_lines(&late)[0]["code"], "invalid_dpop_proof");
    let mut args = rfc_request("1562262716");
    args.extend_from_slice(&["--max-age", "120"]);
    let out = verify(&args, RFC_4_1, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn lines_are_taken_byte_for_byte() {
    let proof = RFC_4_1.trim_end();
    let stdin = format!("{proof}\r\n {proof}\n{proof} \n");
    // The first line (CRLF ending) is the proof; the others differ by a space.
    let out = verify(&rfc_request("1562262616"), &stdin, &[]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["code"], "invalid_dpop_proof");
    assert_eq!(lines[2]["code"], "invalid_dpop_proof");
}

#[test]
fn jwcrypto_proofs_verify_with_their_thumbprints() {
    let fixture: Value = serde_json::from_str(JWCRYPTO).unwrap();
    let now = fixture["now"].to_string();
    let args = ["--htm", "POST", "--htu", TOKEN_URL, "--now", now.as_str()];
    let plain: Vec<&Value> = fixture["valid"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["access_token"].is_null() && c["nonce"].is_null())
        .collect();
    let stdin: String = plain
        .iter()
        .map(|c| format!("{}\n", c["proof"].as_str().unwrap()))
        .collect();
    let out = verify(&args, &stdin, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), plain.len());
    for (line, case) in lines.iter().zip(&plain) {
        assert_eq!(line["jkt"], case["expected_jkt"], "{}", case["name"]);
    }
}

#[test]
fn usage_errors_exit_2_with_no_stdout() {
    for args in [
        vec!["--htu", TOKEN_URL],
        vec!["--htm", "POST"],
        vec!["--htm", "POST", "--htu", "ftp://server.example.com/"],
        vec!["--htm", "POST", "--htu", TOKEN_URL, "--max-age", "0"],
        vec!["--htm", "POST", "--htu", TOKEN_URL, "--max-age", "x"],
        vec!["--htm", "POST", "--htu", TOKEN_URL, "--now", "soon"],
        vec!["--htm", "POST", "--htu", TOKEN_URL, "--key-env", "K"],
    ] {
        let out = verify(&args, RFC_4_1, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = run_cli(&["dpop", "sign"], "", &[]);
    assert_eq!(out.status.code(), Some(2));
}
