//! Compact JWEs of any shape must decrypt or fail cleanly, never panic; whatever
//! decrypts re-encrypts with the same algorithms and decrypts back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::jose::jwe::{self, ContentEncryption, JweDecryptor, JweKey, KeyManagement};

const KEYS: [&str; 4] = [
    r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#,
    r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#,
    r#"{"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck","d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}"#,
    r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#,
];

fn key(jwk: &str) -> JweKey {
    JweKey::from_jwk(jwk).expect("the fixed keys load")
}

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    for jwk in KEYS {
        let Ok(opened) = JweDecryptor::new(key(jwk)).decrypt(&token) else {
            continue;
        };
        let names = |m: &str| opened.header()[m].as_str().map(str::to_owned);
        let (Some(alg), Some(enc)) = (names("alg"), names("enc")) else {
            panic!("an accepted header names alg and enc");
        };
        let alg = KeyManagement::from_name(&alg).expect("an accepted alg parses");
        let enc = ContentEncryption::from_name(&enc).expect("an accepted enc parses");
        let again = jwe::encrypt(&key(jwk), alg, enc, opened.plaintext()).expect("re-encrypts");
        let back = JweDecryptor::new(key(jwk)).decrypt(&again).expect("decrypts back");
        assert_eq!(back.plaintext(), opened.plaintext());
    }
});
