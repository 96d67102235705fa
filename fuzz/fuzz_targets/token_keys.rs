//! Key parsing on hostile input: PEM (PKCS#8, PKCS#1, SPKI), PKCS#8 DER and SPKI DER.
//! The first byte picks the algorithm (`% 12`) and the loader (`/ 12 % 4`); the rest
//! is the key text or DER. Never a panic; and a key that loads round-trips: its
//! public JWK loads back to a key with the same JWK, and a loaded private key
//! (not RSA, whose signing is too slow to fuzz) signs a token its public half
//! verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::token::{
    Algorithm, KeyFamily, Keyring, SigningKey, TokenConfig, TokenService, VerifyingKey,
};

const NOW: u64 = 1_800_000_000;

/// The public JWK of `key` loads back to a key that exports the same JWK.
fn assert_round_trips(key: &VerifyingKey) {
    let jwk = key
        .to_public_jwk()
        .expect("an asymmetric key always has a public JWK");
    let back = VerifyingKey::from_jwk(key.algorithm(), &jwk).expect("our own JWK loads");
    assert_eq!(back.algorithm(), key.algorithm());
    assert_eq!(back.to_public_jwk(), Some(jwk));
}

fn assert_signs(key: SigningKey) {
    let alg = key.algorithm();
    if alg.family() == KeyFamily::Rsa {
        return;
    }
    let mut config = TokenConfig::hardened();
    config.algorithms = vec![alg];
    let service = TokenService::in_memory(config, Keyring::new(key)).expect("a valid service");
    let now = UnixTime::from_secs(NOW).expect("in range");
    let pair = service
        .issue_pair("42", &serde_json::json!({}), now)
        .expect("a loaded key signs");
    service
        .verify_access(&pair.access, now)
        .expect("its own token verifies");
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some(&alg) = Algorithm::ALL.get(usize::from(selector) % Algorithm::ALL.len()) else {
        return;
    };
    match selector / 12 % 4 {
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(key) = SigningKey::from_pem(alg, text) {
                assert_eq!(key.algorithm(), alg);
                assert_round_trips(key.verifying_key());
                assert_signs(key);
            }
        }
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(key) = VerifyingKey::from_pem(alg, text) {
                assert_eq!(key.algorithm(), alg);
                assert_round_trips(&key);
            }
        }
        2 => {
            if let Ok(key) = SigningKey::from_pkcs8_der(alg, rest) {
                assert_eq!(key.algorithm(), alg);
                assert_round_trips(key.verifying_key());
                assert_signs(key);
            }
        }
        _ => {
            if let Ok(key) = VerifyingKey::from_spki_der(alg, rest) {
                assert_eq!(key.algorithm(), alg);
                assert_round_trips(&key);
            }
        }
    }
});
