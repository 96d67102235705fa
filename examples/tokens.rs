//! Tokens end to end: issue a pair, verify, refresh with rotation, catch a replayed
//! refresh token (its whole family is revoked), revoke everything a user holds,
//! rotate the signing key, and answer like SimpleJWT does.
//!
//! ```text
//! cargo run --example tokens
//! ```

use std::time::Duration;

use portcullis::clock::{Clock, FixedClock, UnixTime};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, SigningKey, TokenConfig, TokenError, TokenService,
    parse_authorization_header, www_authenticate,
};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use serde_json::json;

fn main() -> Result<(), portcullis::Error> {
    // The same secret a Django service uses as SECRET_KEY (SimpleJWT's signing key).
    let secret = SecretBytes::from_slice(b"django-insecure-example-secret-key-0123456789");
    let key = SigningKey::hmac(Algorithm::HS256, &secret)?.with_kid("2026-11");
    let mut config = TokenConfig::hardened();
    config.algorithms = vec![Algorithm::HS256, Algorithm::EdDSA];
    let mut service = TokenService::in_memory(config, Keyring::new(key))?;
    let clock = FixedClock::new(UnixTime::from_secs(1_800_000_000).unwrap_or_default());

    println!("== issue and verify");
    let pair = service.issue_pair("42", &json!({"role": "staff"}), clock.now())?;
    let header = format!("Bearer {}", pair.access);
    let token = parse_authorization_header(&header, &service.tokens().config().auth_header_types)?
        .unwrap_or_default();
    let claims = service.verify_access(token, clock.now())?;
    println!(
        "access token for user {:?} with role {:?}, expires at {}",
        claims.user_id(),
        claims.get("role"),
        claims.exp().as_secs()
    );

    println!("== refresh with rotation");
    clock.advance(Duration::from_secs(600));
    let rotated = service.refresh(&pair.refresh, clock.now())?;
    println!(
        "new access token, and a new refresh token: {}",
        rotated.refresh.is_some()
    );

    println!("== reuse detection");
    let replay = service.refresh(&pair.refresh, clock.now());
    println!("replaying the old refresh token: {replay:?}");
    let victim = service.verify_access(&rotated.access, clock.now());
    println!("the family is revoked, so the rotated access token is too: {victim:?}");
    if let Err(err) = &victim {
        println!(
            "401 body {} with WWW-Authenticate: {}",
            err.response_body(),
            www_authenticate(&service.tokens().config().auth_header_types)
        );
    }

    println!("== revoke everything issued up to now (password change)");
    let phone = service.issue_pair("42", &json!({}), clock.now())?;
    service.revoke_user_before("42", clock.now())?;
    // The login right after, in the same second: `iat` carries milliseconds.
    clock.advance(Duration::from_millis(250));
    let fresh = service.issue_pair("42", &json!({}), clock.now())?;
    println!(
        "older session: {:?}; session after the change: {}",
        service.verify_access(&phone.access, clock.now()).err(),
        service.verify_access(&fresh.access, clock.now()).is_ok()
    );

    println!("== key rotation");
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| TokenError::Key("the system random generator failed".into()))?;
    let next = SigningKey::from_pkcs8_der(Algorithm::EdDSA, pkcs8.as_ref())?.with_kid("2026-12");
    service.tokens_mut().rotate_signing_key(next)?;
    let newer = service.issue_pair("42", &json!({}), clock.now())?;
    println!(
        "old HS256 token still verifies: {}; new EdDSA token verifies: {}",
        service.verify_access(&fresh.access, clock.now()).is_ok(),
        service.verify_access(&newer.access, clock.now()).is_ok()
    );
    let jwks = serde_json::to_string(&service.tokens().keyring().jwks()).unwrap_or_default();
    println!("JWKS (public keys only): {jwks}");
    clock.advance(Duration::from_secs(15 * 60));
    service.tokens_mut().remove_key("2026-11");
    println!(
        "after the grace period the old key is dropped: {:?}",
        service.verify_access(&fresh.access, clock.now()).err()
    );
    println!(
        "expired revocation entries purged: {}",
        service.purge_expired(
            clock
                .now()
                .checked_add(Duration::from_secs(30 * 86_400))
                .unwrap_or(clock.now())
        )?
    );
    Ok(())
}
