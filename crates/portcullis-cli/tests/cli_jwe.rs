//! `jwe encrypt|decrypt` through the built CLI: JSON lines, exit codes 0/1/2, the
//! codes DESIGN.md fixes, and a key never in output.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

const OCT16: &str = r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#;
const OCT32: &str = r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#;
const X25519_PRIVATE: &str = r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#;
const X25519_PUBLIC: &str =
    r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}"#;
/// RFC 7516 Appendix A.3: "Live long and prosper." under `OCT16`.
const RFC7516_A3: &str = "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.6KB707dM9YTIgHtLvtgWQ8mKwboJW3of9locizkDTHzBC2IlrT1oOQ.AxY8DCtDaGlsbGljb3RoZQ.KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY.U0m_YmjN04DJvceFICbCVQ";

fn run(args: &[&str], stdin: &str, key: &str) -> Output {
    run_cli(args, stdin, &[("JWE_KEY", key)])
}

fn assert_no_secret(out: &Output, secrets: &[&str]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in secrets {
        assert!(!text.contains(secret), "output leaks {secret}: {text}");
    }
}

#[test]
fn decrypt_reads_the_rfc7516_example() {
    let out = run(
        &["jwe", "decrypt", "--key-env", "JWE_KEY"],
        &format!("{RFC7516_A3}\n"),
        OCT16,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(
        lines[0]["plaintext_b64"],
        "TGl2ZSBsb25nIGFuZCBwcm9zcGVyLg=="
    );
    assert_eq!(lines[0]["header"]["alg"], "A128KW");
    assert_no_secret(&out, &["GawgguFyGrWKav7AX4VKUg"]);
}

#[test]
fn encrypt_to_a_public_key_then_decrypt_with_the_private_key() {
    let out = run(
        &[
            "jwe",
            "encrypt",
            "--key-env",
            "JWE_KEY",
            "--alg",
            "ECDH-ES+A256KW",
            "--enc",
            "A256GCM",
        ],
        "aGVsbG8=\n\n",
        X25519_PUBLIC,
    );
    assert_eq!(out.status.code(), Some(0));
    let tokens: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["jwe"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 2);
    let out = run(
        &[
            "jwe",
            "decrypt",
            "--key-env",
            "JWE_KEY",
            "--alg",
            "ECDH-ES+A256KW",
        ],
        &format!("{}\r\n{}\n", tokens[0], tokens[1]),
        X25519_PRIVATE,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["plaintext_b64"], "aGVsbG8=");
    assert_eq!(lines[1]["plaintext_b64"], "");
    assert_eq!(lines[0]["header"]["epk"]["crv"], "X25519");
    assert_no_secret(&out, &["XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"]);
}

#[test]
fn each_refusal_has_its_code_and_exit_1() {
    let unsupported = "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4R0NNIn0.AA.AA.AA.AA";
    let oversized = "A".repeat(300 * 1024);
    let tampered = RFC7516_A3.replace("U0m_", "U1m_");
    let stdin =
        format!("{RFC7516_A3}\n{unsupported}\n{oversized}\n{tampered}\n{RFC7516_A3} \nnot a jwe\n");
    let out = run(&["jwe", "decrypt", "--key-env", "JWE_KEY"], &stdin, OCT16);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let codes: Vec<&str> = lines
        .iter()
        .map(|l| l.get("code").and_then(|c| c.as_str()).unwrap_or("ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "unsupported_algorithm",
            "too_large",
            "invalid_token",
            "invalid_token",
            "invalid_token"
        ]
    );
    assert!(lines[3]["message"].is_string());
    assert_no_secret(&out, &["GawgguFyGrWKav7AX4VKUg"]);
}

#[test]
fn an_expected_alg_and_the_key_family_are_enforced() {
    let out = run(
        &["jwe", "decrypt", "--key-env", "JWE_KEY", "--alg", "dir"],
        &format!("{RFC7516_A3}\n"),
        OCT16,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["code"], "invalid_token");
    let out = run(
        &["jwe", "decrypt", "--key-env", "JWE_KEY"],
        &format!("{RFC7516_A3}\n"),
        OCT32,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["code"], "invalid_token");
}

#[test]
fn bad_plaintext_lines_are_invalid_input() {
    let out = run(
        &[
            "jwe",
            "encrypt",
            "--key-env",
            "JWE_KEY",
            "--alg",
            "dir",
            "--enc",
            "A128GCM",
        ],
        "not base64!\n",
        OCT16,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["code"], "invalid_input");
}

#[test]
fn usage_and_configuration_errors_exit_2_with_nothing_on_stdout() {
    let cases: [(&[&str], &str); 7] = [
        (&["jwe", "decrypt"], OCT16),
        (&["jwe", "decrypt", "--key-env", "JWE_KEY"], "{not json"),
        (&["jwe", "decrypt", "--key-env", "JWE_KEY"], X25519_PUBLIC),
        (
            &[
                "jwe",
                "encrypt",
                "--key-env",
                "JWE_KEY",
                "--alg",
                "RSA1_5",
                "--enc",
                "A128GCM",
            ],
            OCT16,
        ),
        (
            &[
                "jwe",
                "encrypt",
                "--key-env",
                "JWE_KEY",
                "--alg",
                "A256KW",
                "--enc",
                "A128GCM",
            ],
            OCT16,
        ),
        (
            &["jwe", "encrypt", "--key-env", "JWE_KEY", "--alg", "dir"],
            OCT16,
        ),
        (&["jwe", "wrap", "--key-env", "JWE_KEY"], OCT16),
    ];
    for (args, key) in cases {
        let out = run(args, "", key);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert_no_secret(&out, &["GawgguFyGrWKav7AX4VKUg", "3p7bfXt9wbTTW2HC7OQ1Nz"]);
    }
    let out = run_cli(
        &["jwe", "decrypt", "--key-env", "JWE_UNSET_VARIABLE"],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}
