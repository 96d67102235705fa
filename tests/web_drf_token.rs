//! `web::drf_token`: DRF's `TokenAuthentication` verdicts replayed from DRF itself
//! (`tests/data/web/drf_token.json`, made by `generate_drf_token.py`), the key
//! format, hashed storage, the expiring variant and the move to API keys.

use std::collections::HashMap;
use std::time::Duration;

use portcullis::apikey::{ApiKey, ApiKeyDigest, ApiKeyError, ApiKeyPepper};
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::web::drf_token::{
    DrfAuthError, DrfToken, KEY_LEN, KEYWORD, PresentedKey, expiring_token_expiry,
    migrate_to_api_key, parse_presented_key, parse_token_header,
};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/web/drf_token.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pepper() -> ApiKeyPepper {
    ApiKeyPepper::new(SecretBytes::from_slice(&[7; 32])).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

/// What this crate answers for one header, in the fixture's terms, with the
/// host's table holding digests only: digest -> (user, active).
fn authenticate(header: &[u8], table: &HashMap<String, (&str, bool)>) -> Value {
    let refused = |e: DrfAuthError| {
        serde_json::json!({
            "result": "refused",
            "detail": e.to_string(),
            "status": 401,
            "www_authenticate": KEYWORD,
        })
    };
    let credential = match parse_token_header(header, KEYWORD) {
        Ok(None) => return serde_json::json!({"result": "none"}),
        Ok(Some(credential)) => credential,
        Err(e) => return refused(e),
    };
    let Ok(token) = DrfToken::parse(credential) else {
        return refused(DrfAuthError::InvalidToken);
    };
    let digest = token.digest(&pepper());
    let Some((user, active)) = table.get(&digest.to_string()) else {
        return refused(DrfAuthError::InvalidToken);
    };
    token
        .verify(&pepper(), &digest, None, at(0))
        .expect("the row found by its digest verifies");
    if !active {
        return refused(DrfAuthError::UserInactive);
    }
    serde_json::json!({"result": "user", "user": user})
}

#[test]
fn header_verdicts_match_drf() {
    let fixture = fixture();
    let row = |key: &Value| {
        let key = DrfToken::parse(key.as_str().unwrap()).unwrap();
        key.digest(&pepper()).to_string()
    };
    let table = HashMap::from([
        (row(&fixture["active_key"]), ("alice", true)),
        (row(&fixture["inactive_key"]), ("bob", false)),
    ]);
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let header = hex(case["header_hex"].as_str().unwrap());
        let mut want = case.clone();
        want.as_object_mut().unwrap().remove("header_hex");
        assert_eq!(
            authenticate(&header, &table),
            want,
            "header {:?}",
            String::from_utf8_lossy(&header)
        );
    }
}

#[test]
fn keys_have_drf_s_format() {
    for key in fixture()["generated_keys"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        assert_eq!(DrfToken::parse(key).unwrap().expose_secret(), key);
    }
    let mine: Vec<String> = (0..32)
        .map(|_| DrfToken::generate().unwrap().expose_secret().to_owned())
        .collect();
    for key in &mine {
        assert_eq!(key.len(), KEY_LEN);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    let mut distinct = mine.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), mine.len());
    for bad in [
        "",
        "0123",
        &"g".repeat(40),
        &"A".repeat(40),
        &"0".repeat(41),
    ] {
        assert!(matches!(
            DrfToken::parse(bad),
            Err(ApiKeyError::Malformed { .. })
        ));
    }
}

#[test]
fn only_a_digest_is_stored_and_compared() {
    let token = DrfToken::generate().unwrap();
    let stored = token.digest(&pepper());
    assert!(!stored.to_string().contains(token.expose_secret()));
    assert_eq!(format!("{token:?}"), "DrfToken([REDACTED])");
    // The digest survives its text form (a database column).
    let column = ApiKeyDigest::from_hex(&stored.to_string()).unwrap();
    assert!(token.verify(&pepper(), &column, None, at(0)).is_ok());
    let other = DrfToken::generate().unwrap();
    assert_eq!(
        other.verify(&pepper(), &column, None, at(0)),
        Err(ApiKeyError::Invalid)
    );
    // Another pepper gives another digest: a stolen table alone is useless.
    let other_pepper = ApiKeyPepper::new(SecretBytes::from_slice(&[8; 32])).unwrap();
    assert_ne!(token.digest(&other_pepper), stored);
}

#[test]
fn the_expiring_variant_ends_at_created_plus_lifetime() {
    let token = DrfToken::generate().unwrap();
    let stored = token.digest(&pepper());
    let expires = expiring_token_expiry(at(1_000), Duration::from_secs(3_600));
    assert_eq!(expires, at(4_600));
    assert!(
        token
            .verify(&pepper(), &stored, Some(expires), at(4_599))
            .is_ok()
    );
    assert_eq!(
        token.verify(&pepper(), &stored, Some(expires), at(4_600)),
        Err(ApiKeyError::Expired)
    );
    // A lifetime past the end of time never expires instead of wrapping.
    let forever = expiring_token_expiry(at(1_000), Duration::MAX);
    assert!(
        token
            .verify(
                &pepper(),
                &stored,
                Some(forever),
                at(u64::MAX / 2_000_000_000)
            )
            .is_ok()
    );
}

#[test]
fn both_forms_are_told_apart_and_a_drf_key_is_replaced() {
    let drf = DrfToken::generate().unwrap();
    assert!(matches!(
        parse_presented_key(drf.expose_secret()),
        Ok(PresentedKey::Drf(_))
    ));
    let replacement =
        migrate_to_api_key("acme_live", at(1_000), Duration::from_secs(86_400)).unwrap();
    assert_eq!(replacement.retire_drf_token_at, at(87_400));
    let text = replacement.key.expose_secret();
    let Ok(PresentedKey::ApiKey(parsed)) = parse_presented_key(text) else {
        panic!("the replacement parses as an API key");
    };
    assert_eq!(parsed.lookup_id(), replacement.key.lookup_id());
    // The two digests live in separate contexts: the same pepper never maps a
    // DRF key and an API key to one digest.
    assert_ne!(
        ApiKey::parse(text).unwrap().digest(&pepper()),
        drf.digest(&pepper())
    );
    assert!(parse_presented_key("not a key").is_err());
    // The header carries either form.
    let header = format!("Token {text}");
    let credential = parse_token_header(header.as_bytes(), KEYWORD)
        .unwrap()
        .unwrap();
    assert!(matches!(
        parse_presented_key(credential),
        Ok(PresentedKey::ApiKey(_))
    ));
}

#[test]
fn refusals_have_drf_s_bodies() {
    assert_eq!(
        DrfAuthError::InvalidToken.response_body(),
        serde_json::json!({"detail": "Invalid token."})
    );
    assert_eq!(KEYWORD, "Token");
}
