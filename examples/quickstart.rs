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
    tokens()?;
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

/// Tokens: SimpleJWT-compatible pairs, strict verification, rotation with reuse detection.
fn tokens() -> Result<(), portcullis::Error> {
    use portcullis::token::{Algorithm, Keyring, SigningKey, TokenConfig, TokenService};

    println!("== tokens");
    let secret = SecretBytes::from_slice(b"the same SECRET_KEY the Django service uses");
    let keyring = Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret)?);
    let service = TokenService::in_memory(TokenConfig::hardened(), keyring)?;
    let now = UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::EPOCH);

    let pair = service.issue_pair("42", &serde_json::json!({"role": "staff"}), now)?;
    let claims = service.verify_access(&pair.access, now)?;
    println!(
        "issued a pair for user {:?}; the access token verifies with role {:?}",
        claims.user_id(),
        claims.get("role")
    );
    let wrong = service
        .refresh(&pair.access, now)
        .err()
        .map(|e| e.to_string());
    println!("an access token offered as a refresh token: {wrong:?}");
    let rotated = service.refresh(&pair.refresh, now)?;
    let replay = service
        .refresh(&pair.refresh, now)
        .err()
        .map(|e| e.to_string());
    let after = service
        .verify_access(&rotated.access, now)
        .err()
        .map(|e| e.to_string());
    println!(
        "refreshed once; replaying the old refresh token: {replay:?}; its family now: {after:?}"
    );
    Ok(())
}
