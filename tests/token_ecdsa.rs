//! ECDSA malleability: for an ES256 token signed `(r, s)`, the string signed
//! `(r, n - s)` verifies too (high-S is not refused: issuers such as Python's
//! `cryptography` produce either). Token strings are therefore not unique;
//! revocation keys on `jti`, so both forms share one revocation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::clock::UnixTime;
use portcullis::token::{
    Algorithm, Keyring, Revocation, RevocationStore, SigningKey, TokenConfig, TokenError,
    TokenService, VerifyingKey,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::json;

const NOW: u64 = 1_800_000_000;

/// The order of the P-256 group, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

/// `a - b` on 32-byte big-endian numbers, `None` if it would go below zero.
fn checked_sub(a: &[u8; 32], b: &[u8; 32]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let (x, y) = (u16::from(a[i]), u16::from(b[i]) + borrow);
        borrow = u16::from(x < y);
        out[i] = u8::try_from(x + (borrow << 8) - y).ok()?;
    }
    (borrow == 0).then_some(out)
}

/// The same token with its ES256 signature `(r, s)` replaced by `(r, n - s)`.
fn other_s(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(
        signature.len(),
        64,
        "ES256 signatures are r || s, 32 bytes each"
    );
    let (r, s) = signature.split_at(32);
    let s: [u8; 32] = s.try_into().unwrap();
    let flipped = checked_sub(&P256_N, &s).expect("s < n");
    assert_ne!(flipped, s);
    let mut out = r.to_vec();
    out.extend_from_slice(&flipped);
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(out))
}

fn es256_service() -> TokenService {
    let rng = SystemRandom::new();
    let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key = SigningKey::from_pkcs8_der(Algorithm::ES256, der.as_ref()).unwrap();
    let mut config = TokenConfig::hardened();
    config.algorithms = vec![Algorithm::ES256];
    TokenService::in_memory(config, Keyring::new(key)).unwrap()
}

#[test]
fn the_subtraction_is_checked() {
    let one = {
        let mut v = [0u8; 32];
        v[31] = 1;
        v
    };
    assert_eq!(checked_sub(&one, &one), Some([0u8; 32]));
    assert_eq!(checked_sub(&[0u8; 32], &one), None);
    let mut n_minus_one = P256_N;
    n_minus_one[31] -= 1;
    assert_eq!(checked_sub(&P256_N, &one), Some(n_minus_one));
    assert_eq!(checked_sub(&P256_N, &n_minus_one), Some(one));
}

#[test]
fn low_s_and_high_s_forms_both_verify_and_share_one_revocation() {
    let svc = es256_service();
    let pair = svc.issue_pair("42", &json!({}), at(NOW)).unwrap();
    let twin = other_s(&pair.access);
    assert_ne!(twin, pair.access, "two distinct strings for one token");

    // Both forms verify, and carry one jti.
    let first = svc.verify_access(&pair.access, at(NOW)).unwrap();
    let second = svc.verify_access(&twin, at(NOW)).unwrap();
    assert_eq!(first, second);
    let jti = second.jti().unwrap().to_owned();

    // Revoke by the jti read from one form: the other is refused as well.
    svc.store()
        .revoke(Revocation::Jti {
            jti,
            until: at(NOW + 3600),
        })
        .unwrap();
    assert_eq!(
        svc.verify_access(&pair.access, at(NOW)).unwrap_err(),
        TokenError::Blacklisted
    );
    assert_eq!(
        svc.verify_access(&twin, at(NOW)).unwrap_err(),
        TokenError::Blacklisted
    );
}

#[test]
fn logout_with_one_form_of_a_refresh_token_refuses_the_other() {
    let svc = es256_service();
    let pair = svc.issue_pair("42", &json!({}), at(NOW)).unwrap();
    let twin = other_s(&pair.refresh);
    svc.logout(&twin, at(NOW)).unwrap();
    assert_eq!(
        svc.refresh(&pair.refresh, at(NOW)).unwrap_err(),
        TokenError::Blacklisted
    );
}

/// The ES256 tokens PyJWT (Python's `cryptography`) signed for the SimpleJWT
/// fixtures (tests/data/token/generate.py) are high-S: they verify here, so do their
/// low-S twins, and revoking the jti refuses both.
#[test]
fn python_made_high_s_tokens_and_their_low_s_twins_share_one_revocation() {
    let path = format!(
        "{}/tests/data/token/simplejwt_tokens.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let public = data["keys"]["ES256"]["public"].as_str().unwrap();
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["alg"] == "ES256" && c["kind"] == "access")
        .unwrap();
    let token = case["token"].as_str().unwrap();
    let issued = case["claims"]["iat"].as_u64().unwrap();

    let signature = URL_SAFE_NO_PAD
        .decode(token.rsplit_once('.').unwrap().1)
        .unwrap();
    let s: [u8; 32] = signature[32..].try_into().unwrap();
    let twin_s = checked_sub(&P256_N, &s).unwrap();
    assert!(s > twin_s, "the fixture's signature is high-S (s > n - s)");

    let key = VerifyingKey::from_pem(Algorithm::ES256, public).unwrap();
    let mut config = TokenConfig::simplejwt_defaults();
    config.algorithms = vec![Algorithm::ES256];
    let svc = TokenService::in_memory(config, Keyring::verify_only(key)).unwrap();
    let twin = other_s(token);
    let high = svc.verify_access(token, at(issued)).unwrap();
    let low = svc.verify_access(&twin, at(issued)).unwrap();
    assert_eq!(high, low);

    svc.store()
        .revoke(Revocation::Jti {
            jti: low.jti().unwrap().to_owned(),
            until: at(issued + 3600),
        })
        .unwrap();
    for form in [token, twin.as_str()] {
        assert_eq!(
            svc.verify_access(form, at(issued)).unwrap_err(),
            TokenError::Blacklisted
        );
    }
}
