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
    rate_limits()?;
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

/// Rate limits: DRF-style rates, a pure decision over portable state, HTTP headers.
fn rate_limits() -> Result<(), portcullis::Error> {
    use portcullis::ratelimit::http::{HeaderOptions, RateLimitResponse};
    use portcullis::ratelimit::{Algorithm, Gcra, GcraState, Rate};

    println!("== rate limits");
    let rate: Rate = "5/minute".parse()?;
    println!(
        "\"5/minute\" parses to {rate} ({} per {} s)",
        rate.limit(),
        rate.period_secs()
    );
    let now = UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::EPOCH);
    let mut stored = [0u8; GcraState::BYTES]; // what Redis or a database row would hold
    for _ in 0..6 {
        let previous = (stored != [0; GcraState::BYTES]).then(|| GcraState::from_bytes(stored));
        let (decision, state) = Gcra::decide(&rate, previous.as_ref(), now, 1)?;
        stored = state.to_bytes();
        if !decision.allowed {
            let response = RateLimitResponse::new(&decision, &rate, &HeaderOptions::default(), now);
            println!(
                "6th request in the same instant: {} with {:?}",
                response.status, response.headers
            );
        }
    }
    Ok(())
}
