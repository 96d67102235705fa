use super::*;

fn small() -> Argon2Params {
    Argon2Params::new(64, 1, 1).unwrap()
}

#[test]
fn every_format_round_trips_and_rejects_a_wrong_password() {
    for format in HashFormat::ALL {
        let hasher = Hasher::new(format)
            .with_argon2_params(small())
            .with_scrypt_params(ScryptParams::new(4, 8, 1).unwrap())
            .with_bcrypt_cost(4)
            .unwrap()
            .with_pbkdf2_iterations(10)
            .unwrap();
        let stored = hasher.hash("pässwörd 🔑").unwrap();
        let ok = hasher.verify("pässwörd 🔑", &stored).unwrap();
        assert_eq!(
            ok,
            Verification {
                is_correct: true,
                must_update: false
            },
            "{format}: {stored}"
        );
        assert!(!hasher.verify("pässwörd", &stored).unwrap().is_correct);
        assert!(!hasher.needs_rehash(&stored).unwrap());
    }
}

#[test]
fn native_phc_string_shape_and_parameter_change() {
    let hasher = Hasher::default().with_argon2_params(small());
    let stored = hasher.hash("x").unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{stored}"
    );
    let stronger = Hasher::default().with_argon2_params(Argon2Params::new(128, 1, 1).unwrap());
    assert!(stronger.needs_rehash(&stored).unwrap());
    let check = stronger.verify("x", &stored).unwrap();
    assert!(check.is_correct && check.must_update);
}

#[test]
fn unusable_and_unknown_hashes_fail_without_error() {
    let hasher = Hasher::new(HashFormat::DjangoPbkdf2Sha256)
        .with_pbkdf2_iterations(10)
        .unwrap();
    for encoded in ["!abc", "", "md5$salt$0123", "bcrypt$$2b$12$x", "$2b$12$x"] {
        assert_eq!(
            hasher.verify("x", encoded).unwrap(),
            Verification {
                is_correct: false,
                must_update: false
            },
            "{encoded}"
        );
        assert!(!hasher.needs_rehash(encoded).unwrap());
    }
}

#[test]
fn malformed_hashes_are_precise_errors() {
    let hasher = Hasher::default();
    let cases = [
        ("pbkdf2_sha256$abc$salt$hash", "iteration count"),
        (
            "pbkdf2_sha256$1000$salt",
            "expected algorithm$iterations$salt$hash",
        ),
        ("pbkdf2_sha256$1000$$hash", "salt is empty"),
        (
            "argon2$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            "variant",
        ),
        (
            "argon2$argon2id$v=20$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            "version",
        ),
        (
            "argon2$argon2id$v=19$m=64,p=1,t=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            "costs",
        ),
        (
            "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2g",
            "salt must be",
        ),
        (
            "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2g",
            "salt is not",
        ),
    ];
    for (encoded, needle) in cases {
        let err = hasher.verify("x", encoded).unwrap_err();
        assert!(
            matches!(err, PasswordError::MalformedHash { .. }),
            "{encoded}: {err}"
        );
        assert!(err.to_string().contains(needle), "{encoded}: {err}");
    }
    let err = hasher
        .verify(
            "x",
            "argon2$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the stored Django argon2 hash asks for memory_cost 4194304; accepted: 8 KiB per lane to 1048576 KiB (1 GiB)"
    );
    let err = hasher.verify("x", "pbkdf2_sha256$0$salt$hash").unwrap_err();
    assert!(matches!(err, PasswordError::UnsupportedParameters { .. }));
    let cases = [
        ("scrypt$16384$salt$8$5", "expected scrypt$N$salt$r$p$hash"),
        (
            "scrypt$16384$salt$8$5$h$extra",
            "expected scrypt$N$salt$r$p$hash",
        ),
        ("scrypt$1000$salt$8$5$h", "power of two"),
        ("scrypt$16384$$8$5$h", "salt is empty"),
        ("bcrypt_sha256$2b$12$x", "expected bcrypt_sha256$$2b$cost$"),
        (
            "bcrypt_sha256$$2c$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
            "expected",
        ),
        (
            "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
            "expected",
        ),
        (
            "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz!",
            "expected",
        ),
    ];
    for (encoded, needle) in cases {
        let err = hasher.verify("x", encoded).unwrap_err();
        assert!(
            matches!(err, PasswordError::MalformedHash { .. }),
            "{encoded}: {err}"
        );
        assert!(err.to_string().contains(needle), "{encoded}: {err}");
    }
    for encoded in [
        "scrypt$2097152$salt$8$1$h",
        "scrypt$16384$salt$64$1$h",
        "bcrypt_sha256$$2b$17$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
        "bcrypt_sha256$$2b$03$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyza",
    ] {
        let err = hasher.verify("x", encoded).unwrap_err();
        assert!(
            matches!(err, PasswordError::UnsupportedParameters { .. }),
            "{encoded}: {err}"
        );
    }
}

#[test]
fn over_long_passwords_are_refused_before_any_work() {
    let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    assert!(matches!(
        Hasher::default().hash(&long),
        Err(PasswordError::TooLong { max: 4096, .. })
    ));
    assert!(Hasher::default().verify(&long, "!").is_err());
}

#[test]
fn bcrypt_harden_runtime_still_answers_no() {
    let weak = Hasher::new(HashFormat::DjangoBcryptSha256)
        .with_bcrypt_cost(4)
        .unwrap();
    let stored = weak.hash("x").unwrap();
    assert!(stored.starts_with("bcrypt_sha256$$2b$04$"), "{stored}");
    let stronger = weak.clone().with_bcrypt_cost(5).unwrap();
    let check = stronger.verify("y", &stored).unwrap();
    assert!(!check.is_correct && check.must_update);
}

#[test]
fn settings_are_bounded() {
    assert!(Argon2Params::new(7, 1, 1).is_err());
    assert!(Argon2Params::new(64, 0, 1).is_err());
    assert!(Argon2Params::new(64, 1, 0).is_err());
    assert!(Argon2Params::new(MAX_ARGON2_MEMORY_KIB + 1, 1, 1).is_err());
    assert!(Hasher::default().with_pbkdf2_iterations(0).is_err());
    assert!(Hasher::default().with_bcrypt_cost(3).is_err());
    assert!(Hasher::default().with_bcrypt_cost(17).is_err());
    assert!(ScryptParams::new(0, 8, 1).is_err());
    assert!(ScryptParams::new(15, 8, 1).is_err()); // 32 MiB + 1 KiB: over OpenSSL's limit
    assert!(ScryptParams::new(14, 8, 16).is_ok());
    assert!(
        Hasher::default()
            .with_pbkdf2_iterations(MAX_PBKDF2_ITERATIONS + 1)
            .is_err()
    );
}

#[test]
fn django_salts_are_22_alphanumerics() {
    let salt = django_salt().unwrap();
    assert_eq!(salt.len(), 22);
    assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()));
}

#[test]
fn format_names_round_trip() {
    for format in HashFormat::ALL {
        assert_eq!(HashFormat::from_name(format.name()), Some(format));
    }
    assert_eq!(HashFormat::from_name("bcrypt"), None);
}

/// A preferred Django Argon2 hasher with small costs, PBKDF2 at 1000 iterations.
fn preferred_argon2() -> Hasher {
    Hasher::new(HashFormat::DjangoArgon2)
        .with_argon2_params(small())
        .with_pbkdf2_iterations(1000)
        .unwrap()
        .with_bcrypt_cost(5)
        .unwrap()
        .with_scrypt_params(ScryptParams::new(4, 8, 1).unwrap())
}

#[test]
fn every_failed_verification_includes_the_preferred_work() {
    let hasher = preferred_argon2();
    let preferred = hasher.preferred_computation();
    assert_eq!(preferred, Computation::Argon2(small()));
    let legacy = |format, iterations| {
        Hasher::new(format)
            .with_pbkdf2_iterations(iterations)
            .unwrap()
            .with_bcrypt_cost(4)
            .unwrap()
            .with_scrypt_params(ScryptParams::new(4, 8, 1).unwrap())
            .with_argon2_params(Argon2Params::new(32, 1, 1).unwrap())
            .hash("right")
            .unwrap()
    };
    let stored = [
        "!unusable".to_owned(),
        "md5$salt$0123".to_owned(),
        "".to_owned(),
        legacy(HashFormat::DjangoPbkdf2Sha256, 1),
        legacy(HashFormat::DjangoPbkdf2Sha1, 10),
        legacy(HashFormat::DjangoBcryptSha256, 1),
        legacy(HashFormat::DjangoScrypt, 1),
        legacy(HashFormat::Argon2id, 1),
        // The preferred format at cheaper costs.
        legacy(HashFormat::DjangoArgon2, 1),
    ];
    for encoded in &stored {
        let (check, work) = hasher.verify_with_work("wrong", encoded).unwrap();
        assert!(!check.is_correct);
        assert!(work.includes(preferred), "{encoded:?}: {work:?}");
    }
    let (check, work) = hasher.verify_unknown_user("wrong").unwrap();
    assert!(!check.is_correct);
    assert_eq!(work.runs(), [preferred]);
    // A hash at the preferred parameters costs exactly one preferred run.
    let own = hasher.hash("right").unwrap();
    let (_, work) = hasher.verify_with_work("wrong", &own).unwrap();
    assert_eq!(work.runs(), [preferred]);
    // A success does not pay for a decoy.
    let (check, work) = hasher.verify_with_work("right", &stored[3]).unwrap();
    assert!(check.is_correct && check.must_update);
    assert_eq!(work.runs(), [Computation::Pbkdf2 { iterations: 1 }]);
}

#[test]
fn stored_costs_beyond_four_times_preferred_are_refused() {
    let hasher = preferred_argon2();
    let expensive = [
        // 5x the preferred Argon2 memory, then passes.
        (
            Hasher::new(HashFormat::DjangoArgon2)
                .with_argon2_params(Argon2Params::new(320, 1, 1).unwrap()),
            "memory_cost",
        ),
        (
            Hasher::new(HashFormat::DjangoArgon2)
                .with_argon2_params(Argon2Params::new(64, 5, 1).unwrap()),
            "time_cost",
        ),
        (
            Hasher::new(HashFormat::DjangoPbkdf2Sha256)
                .with_pbkdf2_iterations(4001)
                .unwrap(),
            "iterations",
        ),
        (
            Hasher::new(HashFormat::DjangoScrypt)
                .with_scrypt_params(ScryptParams::new(7, 8, 1).unwrap()),
            "N*r*p",
        ),
        (
            Hasher::new(HashFormat::DjangoBcryptSha256)
                .with_bcrypt_cost(8)
                .unwrap(),
            "cost",
        ),
    ];
    for (maker, parameter) in expensive {
        let encoded = maker.hash("right").unwrap();
        match hasher.verify("right", &encoded) {
            Err(PasswordError::StoredCostTooHigh { parameter: p, .. }) => {
                assert_eq!(p, parameter, "{encoded}")
            }
            other => panic!("{encoded}: {other:?}"),
        }
    }
    // At most 4x is verified.
    let at_cap = [
        Hasher::new(HashFormat::DjangoArgon2)
            .with_argon2_params(Argon2Params::new(256, 4, 1).unwrap()),
        Hasher::new(HashFormat::DjangoPbkdf2Sha256)
            .with_pbkdf2_iterations(4000)
            .unwrap(),
        Hasher::new(HashFormat::DjangoScrypt)
            .with_scrypt_params(ScryptParams::new(6, 8, 1).unwrap()),
        Hasher::new(HashFormat::DjangoBcryptSha256)
            .with_bcrypt_cost(7)
            .unwrap(),
    ];
    for maker in at_cap {
        let encoded = maker.hash("right").unwrap();
        assert!(
            hasher.verify("right", &encoded).unwrap().is_correct,
            "{encoded}"
        );
    }
    // The factor is configurable.
    let strict = preferred_argon2().with_max_stored_cost_factor(1).unwrap();
    let twice = Hasher::new(HashFormat::DjangoPbkdf2Sha256)
        .with_pbkdf2_iterations(2000)
        .unwrap();
    assert!(
        strict
            .verify("right", &twice.hash("right").unwrap())
            .is_err()
    );
    assert!(preferred_argon2().with_max_stored_cost_factor(0).is_err());
    let message = hasher
        .verify(
            "x",
            &Hasher::new(HashFormat::DjangoPbkdf2Sha256)
                .with_pbkdf2_iterations(9000)
                .unwrap()
                .hash("x")
                .unwrap(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("9000") && message.contains("4000"),
        "{message}"
    );
}
