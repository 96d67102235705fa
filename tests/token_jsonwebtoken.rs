//! The ring `CryptoProvider` drives `jsonwebtoken` 11 for every algorithm family, and
//! tokens pass between `jsonwebtoken` and this crate in both directions.

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::provider::install_ring_provider;
use portcullis::token::{
    Algorithm, KeyFamily, Keyring, SigningKey, TokenConfig, TokenKind, TokenService, VerifyingKey,
};
use serde_json::{Value, json};

const NOW: u64 = 1_800_000_000;

fn keys() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/token/simplejwt_tokens.json"
    );
    serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn tokens_cross_between_jsonwebtoken_and_portcullis() {
    install_ring_provider();
    let data = keys();
    let secret = data["secret_key"].as_str().unwrap();
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let pem_alg = match alg {
            Algorithm::PS256 => "RS256",
            other => other.as_str(),
        };
        let private = data["keys"][pem_alg]["private"].as_str().unwrap_or(secret);
        let public = data["keys"][pem_alg]["public"].as_str().unwrap_or(secret);
        let (enc, dec) = match alg.family() {
            KeyFamily::Hmac => (
                EncodingKey::from_secret(secret.as_bytes()),
                DecodingKey::from_secret(secret.as_bytes()),
            ),
            KeyFamily::Rsa => (
                EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
            ),
            KeyFamily::Ec => (
                EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_ec_pem(public.as_bytes()).unwrap(),
            ),
            KeyFamily::Ed => (
                EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_ed_pem(public.as_bytes()).unwrap(),
            ),
        };
        let (signing, verifying) = match alg.family() {
            KeyFamily::Hmac => {
                let s = SecretBytes::from_slice(secret.as_bytes());
                (
                    SigningKey::hmac(alg, &s).unwrap(),
                    VerifyingKey::hmac(alg, &s).unwrap(),
                )
            }
            _ => (
                SigningKey::from_pem(alg, private).unwrap(),
                VerifyingKey::from_pem(alg, public).unwrap(),
            ),
        };
        let mut config = TokenConfig::simplejwt_defaults();
        config.algorithms = vec![alg];
        let now = UnixTime::from_secs(NOW).unwrap();

        // jsonwebtoken (ring provider) -> portcullis
        let claims = json!({"token_type": "access", "exp": NOW + 60, "iat": NOW,
            "jti": "0123456789abcdef0123456789abcdef", "user_id": "5"});
        let token =
            jsonwebtoken::encode(&Header::new(alg.to_jsonwebtoken()), &claims, &enc).unwrap();
        let reader =
            TokenService::in_memory(config.clone(), Keyring::verify_only(verifying)).unwrap();
        let seen = reader.verify(&token, TokenKind::Access, now).unwrap();
        assert_eq!(seen.user_id(), Some("5"), "{alg}");

        // portcullis -> jsonwebtoken (ring provider); its clock is the real one, so
        // issue at the real time.
        let writer = TokenService::in_memory(config, Keyring::new(signing)).unwrap();
        let real_now = portcullis::clock::Clock::now(&portcullis::clock::SystemClock);
        let ours = writer.issue_pair("5", &json!({}), real_now).unwrap().access;
        let decoded =
            jsonwebtoken::decode::<Value>(&ours, &dec, &Validation::new(alg.to_jsonwebtoken()))
                .unwrap();
        assert_eq!(decoded.claims["user_id"], "5", "{alg}");
    }
}
