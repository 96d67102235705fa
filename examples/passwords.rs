//! Passwords end to end: policy at sign-up, hashing, a login that upgrades a
//! Django hash, and a breach check with the host doing the HTTP request.
//!
//! ```text
//! cargo run --example passwords
//! ```

use portcullis::password::breach::RangeQuery;
use portcullis::password::hash::{HashFormat, Hasher};
use portcullis::password::{Policy, UserAttributes};

fn main() -> Result<(), portcullis::Error> {
    sign_up();
    login()?;
    breach()?;
    println!("passwords: done");
    Ok(())
}

/// Sign-up: every violation at once, with Django's codes and messages.
fn sign_up() {
    println!("== policy");
    let user = UserAttributes::new()
        .with("username", "ada_l")
        .with("first_name", "Ada")
        .with("last_name", "Lovelace")
        .with("email", "ada@analytical.example");
    let policy = Policy::production();
    for help in policy.help_texts() {
        println!("  rule: {help}");
    }
    for password in [
        "lovelace",
        "123456789",
        "ada_l analytical",
        "notes on the engine, 1843",
    ] {
        let violations = policy.check(password, Some(&user));
        if violations.is_empty() {
            println!("{password:?}: accepted");
        }
        for v in violations {
            println!("{password:?}: {} ({})", v.message(), v.code());
        }
    }
    // NIST SP 800-63B-4: NFKC first, 15 characters, no composition rules,
    // and the service's own name refused.
    let nist = Policy::nist_800_63b4().with_context_words(["analytical"]);
    let full_width = "ｐａｓｓｗｏｒｄ";
    println!(
        "NIST profile sees {full_width:?} as {:?}: {} violation(s)",
        nist.normalize(full_width),
        nist.check(full_width, Some(&user)).len()
    );
}

/// Login against a table shared with Django: verify, then rehash when told to.
fn login() -> Result<(), portcullis::Error> {
    println!("== hashing");
    // The Rust service writes Django's default format so Django can read it too.
    let hasher = Hasher::new(HashFormat::DjangoPbkdf2Sha256);
    let stored = hasher.hash("notes on the engine, 1843")?;
    println!("stored: {}…", stored.get(..40).unwrap_or(&stored));

    // A row Django wrote years ago with 1,000 iterations.
    let legacy =
        "pbkdf2_sha256$1000$MXYqYNrzq2y90VeJzB4UUc$CblBNUPgdXLIO0qsMsMZaPTSqTQP0bcF7KC2q6WdP0Y=";
    let check = hasher.verify("correct horse battery staple", legacy)?;
    println!(
        "legacy Django hash: correct = {}, must_update = {}",
        check.is_correct, check.must_update
    );
    if check.is_correct && check.must_update {
        let upgraded = hasher.hash("correct horse battery staple")?;
        println!(
            "rehashed on login; needs_rehash now {}",
            hasher.needs_rehash(&upgraded)?
        );
    }
    // Unusable passwords (Django's set_unusable_password) fail like a wrong one.
    let unusable = hasher.verify("anything", "!Xq3kH8q2vT")?;
    println!("unusable password: correct = {}", unusable.is_correct);

    // A Rust-only service: Argon2id at OWASP's parameters, PHC string.
    let argon2 = Hasher::default().hash("notes on the engine, 1843")?;
    println!("argon2id: {}…", argon2.get(..30).unwrap_or(&argon2));
    Ok(())
}

/// Breach check: send 5 hex characters, search the answer locally.
fn breach() -> Result<(), portcullis::Error> {
    println!("== breach check");
    let query = RangeQuery::new("password");
    println!(
        "GET https://<pwned passwords range API>/range/{}",
        query.prefix()
    );
    // What the host's HTTP client got back (two lines of a real answer, plus padding).
    let body = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n\
                1E4C9B93F3F0682250B6CF8331B7EE68FD9:0\r\n\
                1E4C9B9C2B2F5C3B4A7A9E2E8F7B3A9C1D0:2\r\n";
    println!("seen in breaches: {} times", query.breach_count(body)?);
    Ok(())
}
