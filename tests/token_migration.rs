//! Moving from a kid-less HS256 key (what SimpleJWT writes) to an Ed25519 or an
//! ES256 key with a `kid`, at runtime, through a shared service: both verify during
//! the move, new tokens are signed with the new key, the old default is then
//! removed, and the JWKS export carries only the public key. Every test runs once
//! per target key.

use std::sync::{Arc, RwLock};

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Invalid, Keyring, SigningKey, TokenConfig, TokenError, TokenService, inspect,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};

const HS_SECRET: &[u8] = b"django-insecure-portcullis-fixture-key-0123456789abcdef";

/// The asymmetric key a service moves to.
#[derive(Clone, Copy, Debug)]
enum Target {
    Ed25519,
    Es256,
}

const TARGETS: [Target; 2] = [Target::Ed25519, Target::Es256];

impl Target {
    const fn alg(self) -> Algorithm {
        match self {
            Self::Ed25519 => Algorithm::EdDSA,
            Self::Es256 => Algorithm::ES256,
        }
    }

    const fn kid(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed-2026",
            Self::Es256 => "es-2026",
        }
    }

    /// A fresh signing key with the target's kid.
    fn signing_key(self) -> SigningKey {
        let rng = SystemRandom::new();
        let der = match self {
            Self::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng).unwrap(),
            Self::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap()
            }
        };
        SigningKey::from_pkcs8_der(self.alg(), der.as_ref())
            .unwrap()
            .with_kid(self.kid())
    }

    /// The public JWK's `kty`, `crv` and coordinate members.
    const fn jwk_shape(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Self::Ed25519 => ("OKP", "Ed25519", &["x"]),
            Self::Es256 => ("EC", "P-256", &["x", "y"]),
        }
    }
}

/// What a service holds: one `TokenService` behind a lock, shared by request
/// handlers (readers) and the key-management task (the writer).
type Shared = Arc<RwLock<TokenService>>;

fn now() -> UnixTime {
    UnixTime::from_secs(1_795_512_418).unwrap()
}

/// The service before the move: signs kid-less HS256 tokens, and already lists
/// the target's algorithm in `algorithms` so the new key can be rotated in
/// without a rebuild.
fn service(target: Target) -> Shared {
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![Algorithm::HS256, target.alg()];
    let old = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(HS_SECRET)).unwrap();
    let service = TokenService::in_memory(config, Keyring::new(old)).unwrap();
    Arc::new(RwLock::new(service))
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

/// The key change a deploy makes: the target key with a kid takes over signing.
fn rotate_to(shared: &Shared, target: Target) {
    shared
        .write()
        .unwrap()
        .tokens_mut()
        .rotate_signing_key(target.signing_key())
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
    for target in TARGETS {
        let shared = service(target);
        let old = access(&shared);
        assert_eq!(header(&old, "alg").as_deref(), Some("HS256"));
        assert_eq!(header(&old, "kid"), None, "SimpleJWT's shape: no kid");
        verify(&shared, &old).unwrap();

        rotate_to(&shared, target);
        verify(&shared, &old).unwrap();
    }
}

#[test]
fn after_rotation_new_tokens_carry_the_kid_and_alg_and_old_ones_still_verify() {
    for target in TARGETS {
        let shared = service(target);
        let old = access(&shared);
        rotate_to(&shared, target);

        let new = access(&shared);
        assert_eq!(header(&new, "alg").as_deref(), Some(target.alg().as_str()));
        assert_eq!(header(&new, "kid").as_deref(), Some(target.kid()));
        verify(&shared, &new).unwrap();
        verify(&shared, &old).unwrap();
    }
}

#[test]
fn removing_the_old_default_at_runtime_fails_old_tokens_only() {
    for target in TARGETS {
        let shared = service(target);
        let old = access(&shared);
        // While the kid-less key signs, it cannot be removed.
        assert!(!shared.write().unwrap().tokens_mut().remove_default_key());
        rotate_to(&shared, target);
        let new = access(&shared);

        // A handler running on another thread sees the change without a restart.
        let (before_old, before_new) = verify_on_another_thread(&shared, &old, &new);
        assert!(before_old.is_ok() && before_new.is_ok(), "{target:?}");

        assert!(shared.write().unwrap().tokens_mut().remove_default_key());
        let (after_old, after_new) = verify_on_another_thread(&shared, &old, &new);
        assert!(
            matches!(after_old, Err(TokenError::Invalid(Invalid::UnknownKey))),
            "{target:?} old token: {after_old:?}"
        );
        after_new.unwrap();
    }
}

#[test]
fn the_jwks_export_holds_only_the_public_key() {
    for target in TARGETS {
        let shared = service(target);
        rotate_to(&shared, target);
        let jwks = shared.read().unwrap().tokens().keyring().jwks();
        let json = serde_json::to_value(&jwks).unwrap();
        let keys = json["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "the HS256 key is never published: {json}");
        let key = keys[0].as_object().unwrap();
        let (kty, crv, coordinates) = target.jwk_shape();
        assert_eq!(key["kid"], target.kid());
        assert_eq!(key["kty"], kty);
        assert_eq!(key["crv"], crv);
        for member in coordinates {
            assert!(key.contains_key(*member), "{member} missing: {json}");
        }
        assert!(!key.contains_key("d"), "no private member: {json}");
        assert!(!key.contains_key("k"), "no symmetric member: {json}");
        let text = json.to_string();
        assert!(!text.contains("django-insecure"));
        assert!(!text.contains(&base64_url(HS_SECRET)));
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
