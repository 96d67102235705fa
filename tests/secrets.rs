//! Loading secrets from the environment: errors name the variable and the expected
//! form, never the value.

use std::process::Command;

use portcullis::error::KeyError;
use portcullis::secret::{Encoding, KeyLength, SecretBytes, SecretString};

const CHILD_MARKER: &str = "PORTCULLIS_SECRETS_CHILD";

#[test]
fn missing_variable_is_named() {
    let err = SecretBytes::from_env(
        "PORTCULLIS_TEST_DEFINITELY_UNSET",
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )
    .unwrap_err();
    assert_eq!(
        err,
        KeyError::EnvVarMissing {
            var: "PORTCULLIS_TEST_DEFINITELY_UNSET".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "environment variable PORTCULLIS_TEST_DEFINITELY_UNSET is not set; it must hold the key"
    );
}

/// Runs `child_loads_from_environment` in a fresh process with the variables set
/// (the test process cannot set its own environment without `unsafe`).
#[test]
fn loading_from_environment_in_a_child_process() {
    let good = SecretBytes::from_slice(&[0x5a; 32]).encode(Encoding::Base64Url);
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_loads_from_environment",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MARKER, "1")
        .env("PORTCULLIS_GOOD_KEY", good.expose_secret())
        .env("PORTCULLIS_SHORT_KEY", "c2VjcmV0LXZhbHVlLTEyMw") // "secret-value-123": 16 bytes
        .env("PORTCULLIS_BAD_KEY", "not base64 !!! secret-value")
        .env("PORTCULLIS_HMAC_TEXT", "short-secret")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("child checks passed"),
        "child did not run:\n{stdout}"
    );
}

#[test]
fn child_loads_from_environment() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return; // only meaningful inside loading_from_environment_in_a_child_process
    }
    let key = SecretBytes::from_env(
        "PORTCULLIS_GOOD_KEY",
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )
    .unwrap();
    assert_eq!(key.expose_secret(), &[0x5a; 32]);

    let err = SecretBytes::from_env(
        "PORTCULLIS_SHORT_KEY",
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert_eq!(
        msg,
        "the key in environment variable PORTCULLIS_SHORT_KEY decodes to 16 bytes; expected exactly 32 bytes"
    );
    assert!(!msg.contains("c2VjcmV0") && !format!("{err:?}").contains("c2VjcmV0"));

    let err = SecretBytes::from_env(
        "PORTCULLIS_BAD_KEY",
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "the key in environment variable PORTCULLIS_BAD_KEY is not valid base64url"
        ),
        "{msg}"
    );
    assert!(!msg.contains("secret-value") && !format!("{err:?}").contains("secret-value"));

    let err = SecretString::from_env("PORTCULLIS_HMAC_TEXT", KeyLength::AtLeast(32)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the key in environment variable PORTCULLIS_HMAC_TEXT decodes to 12 bytes; expected at least 32 bytes"
    );
    assert!(!format!("{err:?}").contains("short-secret"));
    println!("child checks passed");
}
