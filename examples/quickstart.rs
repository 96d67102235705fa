//! The tour: every capability of the crate on in-memory defaults, in well under a second.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::time::Duration;

use portcullis::clock::{Clock, FixedClock, SystemClock, UnixTime};
use portcullis::secret::{Encoding, KeyLength, SecretBytes, SecretString};

fn main() -> Result<(), portcullis::Error> {
    keys()?;
    time();
    passwords_tour()?;
    println!("quickstart: done");
    Ok(())
}

/// Keys: generate, encode, load back; secrets never print.
fn keys() -> Result<(), portcullis::Error> {
    println!("== keys");
    let key = SecretBytes::generate(32)?;
    let text = key.encode(Encoding::Base64Url);
    println!("generated a 32-byte key; Debug shows {key:?}, its text form shows {text}");

    let loaded = SecretBytes::from_encoded(
        text.expose_secret(),
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )?;
    println!(
        "loaded it back from base64url: equal (constant-time) = {}",
        loaded == key
    );

    let too_short = SecretBytes::generate(16)?.encode(Encoding::Base64Url);
    let err = SecretBytes::from_encoded(
        too_short.expose_secret(),
        Encoding::Base64Url,
        KeyLength::Exactly(32),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    println!("a 16-byte key where 32 are needed is refused: {err}");

    let var = "PORTCULLIS_QUICKSTART_UNSET_KEY";
    let err = SecretString::from_env(var, KeyLength::AtLeast(32))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    println!("a missing environment variable is named: {err}");
    Ok(())
}

/// Time is an input: decisions take `now`, tests use a clock that stands still.
fn time() {
    println!("== time");
    let start = UnixTime::from_secs(1_700_000_000).unwrap_or(UnixTime::EPOCH);
    let clock = FixedClock::new(start);
    clock.advance(Duration::from_secs(90));
    println!(
        "a fixed clock moved 90 s: {} -> {}; the system clock reads {}",
        start.as_secs(),
        clock.now().as_secs(),
        SystemClock.now().as_secs()
    );
}

/// Passwords: Django's validators, and a hash both a Rust and a Django service accept.
fn passwords_tour() -> Result<(), portcullis::Error> {
    use portcullis::password::hash::{HashFormat, Hasher};
    use portcullis::password::{Policy, UserAttributes};

    println!("== passwords");
    let user = UserAttributes::new().with("username", "john_doe");
    for password in ["doejohn", "correct horse battery staple"] {
        let codes: Vec<String> = Policy::django()
            .check(password, Some(&user))
            .iter()
            .map(|v| v.code().to_owned())
            .collect();
        println!("{password:?}: violations {codes:?}");
    }
    let hasher = Hasher::new(HashFormat::DjangoArgon2);
    let stored = hasher.hash("correct horse battery staple")?;
    let check = hasher.verify("correct horse battery staple", &stored)?;
    println!(
        "Django-format argon2 hash verifies: {}, must update: {}",
        check.is_correct, check.must_update
    );
    Ok(())
}
