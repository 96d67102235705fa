//! Fernet compatibility: the official spec vectors, tokens made by Python's
//! `cryptography` (tests/data/crypto/python_fernet.json), and Python's verdicts
//! on tokens made here (tests/data/crypto/rust_fernet.json). The generating
//! script is tests/data/crypto/generate.py.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portcullis::clock::UnixTime;
use portcullis::crypto::{CryptoError, Fernet, MultiFernet};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/crypto")
            .join(name),
    )
    .unwrap()
}

fn json(name: &str) -> Value {
    serde_json::from_str(&data(name)).unwrap()
}

fn unix(rfc3339: &str) -> UnixTime {
    at(u64::try_from(
        OffsetDateTime::parse(rfc3339, &Rfc3339)
            .unwrap()
            .unix_timestamp(),
    )
    .unwrap())
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

// The `generate` vector (fixed IV) is checked by a unit test in src/crypto/fernet.rs,
// where the IV can be injected without making that a public API.

#[test]
fn spec_verify_vector_decrypts() {
    let vectors = json("fernet-spec/verify.json");
    for v in vectors.as_array().unwrap() {
        let f = Fernet::from_key_text(s(&v["secret"])).unwrap();
        let plain = f
            .decrypt_at_time(s(&v["token"]), u(&v["ttl_sec"]), unix(s(&v["now"])))
            .unwrap();
        assert_eq!(plain.expose_secret(), s(&v["src"]).as_bytes());
    }
}

#[test]
fn spec_invalid_vectors_are_all_rejected() {
    let vectors = json("fernet-spec/invalid.json");
    let vectors = vectors.as_array().unwrap();
    assert_eq!(vectors.len(), 8);
    for v in vectors {
        let f = Fernet::from_key_text(s(&v["secret"])).unwrap();
        let keys = MultiFernet::new(vec![Fernet::from_key_text(s(&v["secret"])).unwrap()]).unwrap();
        let (token, ttl, now) = (s(&v["token"]), u(&v["ttl_sec"]), unix(s(&v["now"])));
        assert_eq!(
            f.decrypt_at_time(token, ttl, now).unwrap_err(),
            CryptoError::InvalidToken,
            "{}",
            v["desc"]
        );
        assert!(
            keys.decrypt_at_time(token, ttl, now).is_err(),
            "{}",
            v["desc"]
        );
    }
}

struct Fixture {
    doc: Value,
    keys: HashMap<String, String>,
}

impl Fixture {
    fn load() -> Self {
        let doc = json("python_fernet.json");
        let keys = doc["keys"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), s(v).to_owned()))
            .collect();
        Self { doc, keys }
    }

    fn fernet(&self, name: &str) -> Fernet {
        Fernet::from_key_text(&self.keys[name]).unwrap()
    }

    fn multi(&self, names: &[&str]) -> MultiFernet {
        MultiFernet::new(names.iter().map(|n| self.fernet(n)).collect()).unwrap()
    }
}

#[test]
fn python_tokens_decrypt_with_their_timestamps() {
    let fx = Fixture::load();
    let tokens = fx.doc["tokens"].as_array().unwrap();
    assert!(tokens.len() >= 9);
    for t in tokens {
        let f = fx.fernet(s(&t["key"]));
        let token = s(&t["token"]);
        let expected = STANDARD.decode(s(&t["plaintext_b64"])).unwrap();
        assert_eq!(
            f.decrypt(token, None).unwrap().expose_secret(),
            expected,
            "{}",
            t["name"]
        );
        assert_eq!(
            f.extract_timestamp(token).unwrap(),
            u(&t["timestamp"]),
            "{}",
            t["name"]
        );
        // Every other key refuses it.
        for other in ["a", "b", "c"].into_iter().filter(|k| *k != s(&t["key"])) {
            assert!(fx.fernet(other).decrypt(token, None).is_err());
        }
    }
}

#[test]
fn python_one_mib_token_decrypts() {
    let fx = Fixture::load();
    let big = &fx.doc["big"];
    let token = data(s(&big["file"]));
    let plain = fx
        .fernet(s(&big["key"]))
        .decrypt(token.trim_end(), None)
        .unwrap();
    let len = usize::try_from(u(&big["len"])).unwrap();
    let expected: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    assert!(plain.expose_secret() == expected.as_slice());
    // The default limit (16 MiB of text) admits it; a tight one refuses it.
    let tight = fx.fernet("a").with_max_token_len(1 << 20);
    assert!(matches!(
        tight.decrypt(token.trim_end(), None),
        Err(CryptoError::TooLarge { .. })
    ));
}

#[test]
fn multifernet_verdicts_match_python() {
    let fx = Fixture::load();
    for case in fx.doc["multi"].as_array().unwrap() {
        let names: Vec<&str> = case["keys"].as_array().unwrap().iter().map(s).collect();
        let keys = fx.multi(&names);
        let ok = case["ok"].as_bool().unwrap();
        assert_eq!(
            keys.decrypt(s(&case["token"]), None).is_ok(),
            ok,
            "{names:?}"
        );
        assert_eq!(
            keys.extract_timestamp(s(&case["token"])).is_ok(),
            ok,
            "{names:?}"
        );
    }
}

#[test]
fn python_rotation_keeps_the_timestamp_and_rust_rotation_matches_it() {
    let fx = Fixture::load();
    let r = &fx.doc["rotation"];
    let expected = STANDARD.decode(s(&r["plaintext_b64"])).unwrap();
    let new = fx.fernet(s(&r["new_key"]));
    assert_eq!(
        new.decrypt(s(&r["rotated"]), None).unwrap().expose_secret(),
        expected
    );
    assert_eq!(
        new.extract_timestamp(s(&r["rotated"])).unwrap(),
        u(&r["timestamp"])
    );
    assert_eq!(
        fx.fernet(s(&r["original_key"]))
            .decrypt(s(&r["rotated"]), None)
            .is_ok(),
        r["old_key_opens_rotated"].as_bool().unwrap()
    );
    // The same rotation done here.
    let ours = fx.multi(&["a", "b"]).rotate(s(&r["original"])).unwrap();
    assert_ne!(ours, s(&r["rotated"]), "a fresh IV");
    assert_eq!(new.extract_timestamp(&ours).unwrap(), u(&r["timestamp"]));
    assert_eq!(new.decrypt(&ours, None).unwrap().expose_secret(), expected);
    // A token no key opens cannot be rotated.
    assert!(fx.multi(&["c"]).rotate(s(&r["original"])).is_err());
}

#[test]
fn ttl_and_skew_verdicts_match_python() {
    let fx = Fixture::load();
    let f = fx.fernet("a");
    let keys = fx.multi(&["c", "a"]);
    let token = s(&fx.doc["ttl_token"]);
    let cases = fx.doc["ttl_cases"].as_array().unwrap();
    assert!(cases.iter().any(|c| c["ok"] == true) && cases.iter().any(|c| c["ok"] == false));
    for c in cases {
        let (ttl, now, ok) = (u(&c["ttl"]), at(u(&c["now"])), c["ok"].as_bool().unwrap());
        assert_eq!(
            f.decrypt_at_time(token, ttl, now).is_ok(),
            ok,
            "ttl {ttl} now {now:?}"
        );
        assert_eq!(
            keys.decrypt_at_time(token, ttl, now).is_ok(),
            ok,
            "ttl {ttl} now {now:?}"
        );
    }
    let future = &fx.doc["no_ttl_future"];
    assert_eq!(
        f.decrypt(s(&future["token"]), None).is_ok(),
        future["ok"].as_bool().unwrap()
    );
    assert!(f.decrypt(s(&future["token"]), Some(60)).is_err());
}

#[test]
fn accepted_text_forms_are_the_documented_ones() {
    let fx = Fixture::load();
    let f = fx.fernet("a");
    for form in fx.doc["forms"].as_array().unwrap() {
        let ours = form["portcullis_ok"].as_bool().unwrap();
        assert_eq!(
            f.decrypt(s(&form["token"]), None).is_ok(),
            ours,
            "{}",
            form["desc"]
        );
    }
    // The canonical form is accepted by both; Python's own output is always padded.
    let first = &fx.doc["forms"][0];
    assert_eq!(first["python_ok"], true);
    assert_eq!(first["portcullis_ok"], true);
}

#[test]
fn extract_timestamp_with_the_wrong_key_fails_as_in_python() {
    let fx = Fixture::load();
    assert_eq!(fx.doc["extract_timestamp_wrong_key_ok"], false);
    assert!(
        fx.fernet("b")
            .extract_timestamp(s(&fx.doc["ttl_token"]))
            .is_err()
    );
    assert_eq!(
        fx.fernet("a")
            .extract_timestamp(s(&fx.doc["ttl_token"]))
            .unwrap(),
        u(&fx.doc["ttl_token_timestamp"])
    );
}

#[test]
fn python_accepted_every_token_made_here() {
    let doc = json("rust_fernet.json");
    let fx = Fixture::load();
    let f = fx.fernet(s(&doc["key"]));
    let tokens = doc["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 5);
    for t in tokens {
        assert_eq!(t["python_decrypts"], true, "{}", t["name"]);
        assert_eq!(
            t["python_timestamp"], t["expected_timestamp"],
            "{}",
            t["name"]
        );
        if let Some(token) = t["token"].as_str() {
            assert_eq!(
                f.extract_timestamp(token).unwrap(),
                u(&t["expected_timestamp"])
            );
        }
    }
    let r = &doc["rotation"];
    assert_eq!(r["python_decrypts_with_new_key"], true);
    assert_eq!(r["python_rejects_with_old_key"], true);
    assert_eq!(r["python_timestamp"], r["expected_timestamp"]);
    assert_eq!(f.extract_timestamp(s(&r["rotated"])).unwrap(), 777);
}

/// The replaced services read their field-encryption keys from `ENCRYPTION_KEY`.
#[test]
fn the_default_key_variable_is_the_replaced_services_name() {
    assert_eq!(portcullis::crypto::ENV_ENCRYPTION_KEY, "ENCRYPTION_KEY");
}

const ENCRYPTION_CHILD: &str = "PORTCULLIS_ENCRYPTION_KEY_CHILD";

/// Runs `child_loads_encryption_key` in a fresh process with `ENCRYPTION_KEY`
/// holding two keys (the test process cannot set its own environment without
/// `unsafe`).
#[test]
fn keys_load_from_the_default_variable_in_a_child_process() {
    let (new, old) = (
        Fernet::generate_key().unwrap(),
        Fernet::generate_key().unwrap(),
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_loads_encryption_key",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENCRYPTION_CHILD, old.expose_secret())
        .env(
            portcullis::crypto::ENV_ENCRYPTION_KEY,
            format!("{},{}", new.expose_secret(), old.expose_secret()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}");
    assert!(stdout.contains("encryption key checks passed"), "{stdout}");
}

#[test]
fn child_loads_encryption_key() {
    let Some(old_key) = std::env::var_os(ENCRYPTION_CHILD) else {
        return; // only meaningful inside the test above
    };
    let keys = MultiFernet::from_env(portcullis::crypto::ENV_ENCRYPTION_KEY).unwrap();
    assert_eq!(keys.len(), 2);
    let old = Fernet::from_key_text(old_key.to_str().unwrap()).unwrap();
    let token = old.encrypt(b"column value").unwrap();
    assert_eq!(
        keys.decrypt(&token, None).unwrap().expose_secret(),
        b"column value"
    );
    println!("encryption key checks passed");
}
