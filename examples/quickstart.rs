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
    web_tour()?;
    crypto_tour()?;
    rate_limits()?;
    passwords_tour()?;
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

/// Web hardening: Django's security headers, a CSRF token Django would accept,
/// an API key checked before lookup, and an audit chain that shows tampering.
fn web_tour() -> Result<(), portcullis::Error> {
    use portcullis::apikey::{ApiKey, ApiKeyPepper};
    use portcullis::audit::{AuditChain, AuditEvent, AuditKey, MemorySink, verify_chain};
    use portcullis::web::cors::{CorsPolicy, CorsRequest};
    use portcullis::web::csrf::CsrfSecret;
    use portcullis::web::headers::SecurityConfig;

    println!("== web");
    let headers = SecurityConfig::default().build()?;
    let names: Vec<&str> = headers
        .headers_for(true, &[])
        .iter()
        .map(|(n, _)| *n)
        .collect();
    println!("Django's default security headers: {}", names.join(", "));

    let secret = CsrfSecret::generate()?;
    let token = secret.mask()?;
    println!(
        "CSRF: a 64-character masked token validates against the cookie secret: {}",
        secret.verify_token(&token).is_ok()
    );

    let cors = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .build()?;
    let decision = cors.evaluate(&CorsRequest {
        method: "GET",
        origin: Some("https://evil.example"),
        ..CorsRequest::default()
    });
    println!("CORS from an unlisted origin: {decision:?}");

    let pepper = ApiKeyPepper::new(SecretBytes::generate(32)?)?;
    let key = ApiKey::generate("demo")?;
    let digest = key.digest(&pepper);
    let now = SystemClock.now();
    println!(
        "API key with lookup id {} verifies: {}",
        key.lookup_id(),
        key.verify(&pepper, &digest, None, now).is_ok()
    );

    let audit_key = SecretBytes::generate(32)?;
    let mut chain = AuditChain::new(AuditKey::new(audit_key.duplicate())?);
    let mut sink = MemorySink::new(10);
    for id in ["1", "2"] {
        chain.record(
            AuditEvent::new("user:1", "post:publish", "post", id, now)?,
            &mut sink,
        )?;
    }
    let mut records = sink.records().to_vec();
    records.swap(0, 1);
    let verdict = verify_chain(&AuditKey::new(audit_key)?, &records);
    println!(
        "audit chain with two records swapped: {}",
        verdict.err().map(|b| b.to_string()).unwrap_or_default()
    );
    Ok(())
}

/// Field encryption: Fernet tokens Python can read, and sealed values bound to their row.
fn crypto_tour() -> Result<(), portcullis::Error> {
    use portcullis::crypto::{Context, Fernet, MultiFernet, SealedKey, SealedKeyset};

    println!("== field encryption");
    let key = Fernet::generate_key()?;
    let fernet = MultiFernet::from_keys_text(key.expose_secret())?;
    let at = |secs| UnixTime::from_secs(secs).unwrap_or(UnixTime::EPOCH);
    let token = fernet.encrypt_at_time(b"oauth-token", at(1_700_000_000))?;
    let plain = fernet.decrypt_at_time(&token, 300, at(1_700_000_299))?;
    println!(
        "Fernet token {}... decrypts within its 300 s TTL to {} bytes ({plain:?})",
        token.get(..12).unwrap_or_default(),
        plain.len()
    );
    let expired = fernet
        .decrypt_at_time(&token, 300, at(1_700_000_301))
        .is_err();
    println!("one second past the TTL it is refused: {expired}");

    let keys = SealedKeyset::new(SealedKey::generate("k1")?);
    let sealed = keys.seal(b"oauth-token", &Context::row("accounts", "token", "7"))?;
    let elsewhere = keys
        .open(&sealed, &Context::row("accounts", "token", "8"))
        .is_err();
    println!(
        "sealed {}...; copied to another row it does not open: {elsewhere}",
        sealed.get(..12).unwrap_or_default()
    );
    Ok(())
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
