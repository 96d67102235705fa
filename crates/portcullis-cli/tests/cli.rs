//! The CLI contract (see crates/portcullis-cli): JSON lines, exit codes, keys never in output.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

fn run(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    run_cli(args, stdin, env)
}

#[test]
fn keygen_hs256_prints_one_ok_line_with_a_64_char_key() {
    let out = run(&["keygen", "hs256"], "", &[]);
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["ok"], true);
    let key = lines[0]["key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}

#[test]
fn keygen_asymmetric_kinds_print_pkcs8_pem_that_ring_loads() {
    for kind in ["es256", "ed25519"] {
        let out = run(&["keygen", kind], "", &[]);
        assert_eq!(out.status.code(), Some(0), "{kind}");
        let lines = json_lines(&out);
        let pem = lines[0]["key"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{kind}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{kind}");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let rng = ring::rand::SystemRandom::new();
        let loads = match kind {
            "es256" => ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &der,
                &rng,
            )
            .is_ok(),
            _ => ring::signature::Ed25519KeyPair::from_pkcs8(&der).is_ok(),
        };
        assert!(loads, "{kind} PEM must hold a valid PKCS#8 key");
    }
}

#[test]
fn two_keygens_differ() {
    let a = json_lines(&run(&["keygen", "hs256"], "", &[]));
    let b = json_lines(&run(&["keygen", "hs256"], "", &[]));
    assert_ne!(a[0]["key"], b[0]["key"]);
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    for args in [
        &["keygen", "rsa1024"][..],
        &["nosuchdomain", "op"][..],
        &["keygen"][..],
        &["keygen", "hs256", "--bogus"][..],
        &[][..],
    ] {
        let out = run(args, "", &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!out.stderr.is_empty(), "{args:?} gave no message");
    }
}

#[test]
fn help_exits_0() {
    let out = run(&["--help"], "", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: portcullis"));
}
