//! Parity with the real Django: fixtures made by `tests/data/password/generate.py`
//! (Django 6.1, argon2-cffi) are replayed through the Rust validators and hashers.

use std::collections::BTreeMap;

use portcullis::password::common;
use portcullis::password::hash::{Argon2Params, HashFormat, Hasher, ScryptParams, Verification};
use portcullis::password::policy::{MinimumLength, UserAttributeSimilarity};
use portcullis::password::{Policy, UserAttributes};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/password/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn jsonl(name: &str) -> Vec<Value> {
    data(name)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn profile(name: &str) -> Policy {
    match name {
        "django" => Policy::django(),
        "production" => Policy::production(),
        "custom" => Policy::new()
            .with(
                UserAttributeSimilarity::new(UserAttributeSimilarity::DEFAULT_USER_ATTRIBUTES, 0.5)
                    .unwrap(),
            )
            .with(MinimumLength::new(1)),
        "similarity_1_0" => Policy::new().with(
            UserAttributeSimilarity::new(UserAttributeSimilarity::DEFAULT_USER_ATTRIBUTES, 1.0)
                .unwrap(),
        ),
        other => panic!("unknown profile {other}"),
    }
}

fn user(value: &Value) -> Option<UserAttributes> {
    let map = value.as_object()?;
    Some(map.iter().fold(UserAttributes::new(), |u, (k, v)| {
        u.with(k, v.as_str().unwrap())
    }))
}

#[test]
fn validate_password_verdicts_codes_and_messages_match_django() {
    let rows = jsonl("validate.jsonl");
    assert!(rows.len() > 10_000, "the corpus is the whole fixture");
    let policies: BTreeMap<&str, Policy> = ["django", "production", "custom", "similarity_1_0"]
        .into_iter()
        .map(|n| (n, profile(n)))
        .collect();
    let mut mismatches = Vec::new();
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        let password = row["password"].as_str().unwrap();
        let user = user(&row["user"]);
        let got: Vec<(String, String)> = policies[row["profile"].as_str().unwrap()]
            .check(password, user.as_ref())
            .iter()
            .map(|v| (v.code().to_owned(), v.message().to_owned()))
            .collect();
        let want: Vec<(String, String)> = row["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let code = v["code"].as_str().unwrap().to_owned();
                *per_code.entry(code.clone()).or_default() += 1;
                (code, v["message"].as_str().unwrap().to_owned())
            })
            .collect();
        if got != want {
            mismatches.push(format!(
                "{} {password:?} {}: got {got:?}, Django {want:?}",
                row["profile"], row["user"]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        rows.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    // The corpus exercises every code.
    for code in [
        "password_too_similar",
        "password_too_short",
        "password_too_common",
        "password_entirely_numeric",
    ] {
        assert!(per_code.get(code).copied().unwrap_or(0) > 50, "{code}");
    }
}

#[test]
fn help_texts_match_django() {
    let helps: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&data("help_texts.json")).unwrap();
    assert_eq!(helps.len(), 4);
    for (name, texts) in helps {
        assert_eq!(profile(&name).help_texts(), texts, "{name}");
    }
}

#[test]
fn similarity_config_error_matches_django() {
    let errors: Value = serde_json::from_str(&data("config_errors.json")).unwrap();
    let err = UserAttributeSimilarity::new(["username"], 0.09).unwrap_err();
    assert_eq!(err.to_string(), errors["max_similarity_0_09"]);
}

#[test]
fn common_list_is_django_s() {
    assert_eq!(common::entries().count(), 19_640);
    assert!(common::contains("password"));
}

#[test]
fn lowercasing_matches_python_for_every_assigned_code_point() {
    let table: Value = serde_json::from_str(&data("lowercase.json")).unwrap();
    let lower = table["lower"].as_object().unwrap();
    assert!(lower.len() > 1000);
    let mut differ = Vec::new();
    for (hex, want) in lower {
        let c = char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap();
        let got: String = c.to_lowercase().collect();
        if got != want.as_str().unwrap() {
            differ.push(format!("U+{hex}: {got:?} vs {want}"));
        }
    }
    assert!(differ.is_empty(), "{differ:?}");
}

/// The preferred hasher described by `preferred.json`.
fn preferred(config: &Value) -> Hasher {
    match config["algorithm"].as_str().unwrap() {
        "argon2" => Hasher::new(HashFormat::DjangoArgon2).with_argon2_params(
            Argon2Params::new(
                config["memory_cost"].as_u64().unwrap() as u32,
                config["time_cost"].as_u64().unwrap() as u32,
                config["parallelism"].as_u64().unwrap() as u32,
            )
            .unwrap(),
        ),
        "scrypt" => Hasher::new(HashFormat::DjangoScrypt).with_scrypt_params(
            ScryptParams::new(
                config["work_factor"].as_u64().unwrap().trailing_zeros() as u8,
                config["block_size"].as_u64().unwrap() as u32,
                config["parallelism"].as_u64().unwrap() as u32,
            )
            .unwrap(),
        ),
        "bcrypt_sha256" => Hasher::new(HashFormat::DjangoBcryptSha256)
            .with_bcrypt_cost(config["rounds"].as_u64().unwrap() as u32)
            .unwrap(),
        algorithm => {
            let format = match algorithm {
                "pbkdf2_sha256" => HashFormat::DjangoPbkdf2Sha256,
                "pbkdf2_sha1" => HashFormat::DjangoPbkdf2Sha1,
                other => panic!("{other}"),
            };
            Hasher::new(format)
                .with_pbkdf2_iterations(config["iterations"].as_u64().unwrap() as u32)
                .unwrap()
        }
    }
}

#[test]
fn django_hashes_verify_with_django_s_verdicts() {
    let configs: BTreeMap<String, Value> = serde_json::from_str(&data("preferred.json")).unwrap();
    let hashers: BTreeMap<&str, Hasher> = configs
        .iter()
        .map(|(k, v)| (k.as_str(), preferred(v)))
        .collect();
    // Django 6.1's defaults are this crate's Django defaults.
    assert_eq!(
        hashers["pbkdf2_sha256@default"],
        Hasher::new(HashFormat::DjangoPbkdf2Sha256)
    );
    assert_eq!(
        hashers["argon2@default"],
        Hasher::new(HashFormat::DjangoArgon2)
    );
    assert_eq!(
        hashers["scrypt@default"],
        Hasher::new(HashFormat::DjangoScrypt)
    );
    assert_eq!(
        hashers["bcrypt_sha256@default"],
        Hasher::new(HashFormat::DjangoBcryptSha256)
    );
    let mut checked = 0;
    for row in jsonl("hashes.jsonl") {
        let password = row["password"].as_str().unwrap();
        let encoded = row["encoded"].as_str().unwrap();
        let full_cost = row["full_cost"].as_bool().unwrap();
        for verdict in row["verdicts"].as_array().unwrap() {
            let name = verdict["preferred"].as_str().unwrap();
            let hasher = &hashers[name];
            let want = Verification {
                is_correct: verdict["is_correct"].as_bool().unwrap(),
                must_update: verdict["must_update"].as_bool().unwrap(),
            };
            let wrong = verdict["attempt"] == "wrong";
            // Full-cost hashes: one real check each (a right password); the
            // rest is covered at low cost.
            if full_cost && wrong {
                assert_eq!(hasher.needs_rehash(encoded).unwrap(), want.must_update);
                continue;
            }
            let attempt = if wrong {
                format!("{password}x")
            } else {
                password.to_owned()
            };
            let got = hasher.verify(&attempt, encoded).unwrap();
            assert_eq!(
                got, want,
                "{} under {name}, {} password: {encoded}",
                row["label"], verdict["attempt"]
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn rust_made_hashes_were_accepted_by_django_and_argon2_cffi() {
    let configs: BTreeMap<String, Value> = serde_json::from_str(&data("preferred.json")).unwrap();
    let rows = jsonl("rust_made.jsonl");
    assert_eq!(rows.len(), 20);
    for row in rows {
        let password = row["password"].as_str().unwrap();
        let encoded = row["encoded"].as_str().unwrap();
        let label = row["label"].as_str().unwrap();
        let hasher = match row["preferred"].as_str() {
            Some(name) => {
                // Django accepted the hash, rejected a wrong password, saw nothing to update.
                assert_eq!(row["django_is_correct"], true, "{label}: {encoded}");
                assert_eq!(row["django_wrong_is_correct"], false, "{label}");
                assert_eq!(row["django_must_update"], false, "{label}");
                preferred(&configs[name])
            }
            None => {
                assert_eq!(row["argon2_cffi_is_correct"], true, "{label}: {encoded}");
                assert_eq!(row["argon2_cffi_wrong_is_correct"], false, "{label}");
                assert_eq!(row["argon2_cffi_needs_rehash"], false, "{label}");
                Hasher::default().with_argon2_params(Argon2Params::new(64, 1, 1).unwrap())
            }
        };
        // And the Rust side agrees (full-cost ones are parsed, not recomputed).
        assert!(!hasher.needs_rehash(encoded).unwrap(), "{label}");
        if !row["full_cost"].as_bool().unwrap() {
            let check = hasher.verify(password, encoded).unwrap();
            assert!(check.is_correct && !check.must_update, "{label}");
            assert!(!hasher.verify("wrong", encoded).unwrap().is_correct);
        }
    }
}
