//! Moving from a kid-less HS256 key (what SimpleJWT writes) to an Ed25519 key with a
//! `kid`, at runtime, through a shared service: both verify during the move, new
//! tokens are signed with the new key, the old default is then removed, and the JWKS
//! export carries only the public key.

use std::sync::{Arc, RwLock};

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Invalid, Keyring, SigningKey, TokenConfig, TokenError, TokenService, inspect,
};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

const HS_SECRET: &[u8] = b"django-insecure-portcullis-fixture-key-0123456789abcdef";
const NEW_KID: &str = "ed-2026";

/// What a service holds: one `TokenService` behind a lock, shared by request
/// handlers (readers) and the key-management task (the writer).
type Shared = Arc<RwLock<TokenService>>;

fn now() -> UnixTime {
    UnixTime::from_secs(1_795_512_418).unwrap()
}

/// The service before the move: signs kid-less HS256 tokens, and already lists
/// EdDSA in `algorithms` so the new key can be rotated in without a rebuild.
fn service() -> Shared {
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![Algorithm::HS256, Algorithm::EdDSA];
    let old = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(HS_SECRET)).unwrap();
    let service = TokenService::in_memory(config, Keyring::new(old)).unwrap();
    Arc::new(RwLock::new(service))
}

fn ed25519_key() -> SigningKey {
    let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    SigningKey::from_pkcs8_der(Algorithm::EdDSA, der.as_ref())
        .unwrap()
        .with_kid(NEW_KID)
}

fn access(shared: &Shared) -> String {
    let service = shared.read().unwrap();
    service.issue_pair("42", &(), now()).unwrap().access
}

fn verify(shared: &Shared, token: &str) -> Result<(), TokenError> {
    let claims = shared.read().unwrap().verify_access(token, now())?;
    assert_eq!(claims.user_id(), Some("42"));
    Ok(())
}

fn header(token: &str, name: &str) -> Option<String> {
    let header = inspect(token, 8192).unwrap().header;
    header.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The key change a deploy makes: the Ed25519 key with a kid takes over signing.
fn rotate_to_ed25519(shared: &Shared) {
    shared
        .write()
        .unwrap()
        .tokens_mut()
        .rotate_signing_key(ed25519_key())
        .unwrap();
}

/// Verifies both tokens from a handler thread, as a running service would.
fn verify_on_another_thread(
    shared: &Shared,
    old: &str,
    new: &str,
) -> (Result<(), TokenError>, Result<(), TokenError>) {
    let shared = Arc::clone(shared);
    let (old, new) = (old.to_owned(), new.to_owned());
    std::thread::spawn(move || (verify(&shared, &old), verify(&shared, &new)))
        .join()
        .unwrap()
}

#[test]
fn kid_less_hs256_tokens_verify_before_and_during_the_move() {
    let shared = service();
    let old = access(&shared);
    assert_eq!(header(&old, "alg").as_deref(), Some("HS256"));
    assert_eq!(header(&old, "kid"), None, "SimpleJWT's shape: no kid");
    verify(&shared, &old).unwrap();

    rotate_to_ed25519(&shared);
    verify(&shared, &old).unwrap();
}

#[test]
fn after_rotation_new_tokens_carry_the_kid_and_alg_and_old_ones_still_verify() {
    let shared = service();
    let old = access(&shared);
    rotate_to_ed25519(&shared);

    let new = access(&shared);
    assert_eq!(header(&new, "alg").as_deref(), Some("EdDSA"));
    assert_eq!(header(&new, "kid").as_deref(), Some(NEW_KID));
    verify(&shared, &new).unwrap();
    verify(&shared, &old).unwrap();
}

#[test]
fn removing_the_old_default_at_runtime_fails_old_tokens_only() {
    let shared = service();
    let old = access(&shared);
    // While the kid-less key signs, it cannot be removed.
    assert!(!shared.write().unwrap().tokens_mut().remove_default_key());
    rotate_to_ed25519(&shared);
    let new = access(&shared);

    // A handler running on another thread sees the change without a restart.
    let (before_old, before_new) = verify_on_another_thread(&shared, &old, &new);
    assert!(before_old.is_ok() && before_new.is_ok());

    assert!(shared.write().unwrap().tokens_mut().remove_default_key());
    let (after_old, after_new) = verify_on_another_thread(&shared, &old, &new);
    assert!(
        matches!(after_old, Err(TokenError::Invalid(Invalid::UnknownKey))),
        "old token: {after_old:?}"
    );
    after_new.unwrap();
}

#[test]
fn the_jwks_export_holds_only_the_public_key() {
    let shared = service();
    rotate_to_ed25519(&shared);
    let jwks = shared.read().unwrap().tokens().keyring().jwks();
    let json = serde_json::to_value(&jwks).unwrap();
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "the HS256 key is never published: {json}");
    let key = keys[0].as_object().unwrap();
    assert_eq!(key["kid"], NEW_KID);
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert!(key.contains_key("x"));
    assert!(!key.contains_key("d"), "no private member: {json}");
    assert!(!key.contains_key("k"), "no symmetric member: {json}");
    let text = json.to_string();
    assert!(!text.contains("django-insecure"));
    assert!(!text.contains(&base64_url(HS_SECRET)));
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
