//! JWE: known answers (RFC 7516 A.3, RFC 7520 §5), Wycheproof, round trips and
//! every rejection the decryptor promises.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::jose::jwe::{
    self, ContentEncryption, JweDecryptor, JweError, JweKey, KeyManagement,
};
use serde_json::Value;

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/jose/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn decryptor(jwk: &Value) -> JweDecryptor {
    JweDecryptor::new(JweKey::from_jwk(&jwk.to_string()).expect("key"))
}

const OCT16: &str = r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#;
const OCT32: &str = r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#;
const OCT64: &str = r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw"}"#;
const P256: &str = r#"{"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck","d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}"#;
const X25519: &str = r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#;

fn key(jwk: &str) -> JweKey {
    JweKey::from_jwk(jwk).expect("key")
}

#[test]
fn rfc7516_appendix_a3_decrypts() {
    let v = data("rfc7516_a3.json");
    let opened = decryptor(&v["key"])
        .decrypt(v["compact"].as_str().unwrap())
        .expect("decrypts");
    assert_eq!(
        opened.plaintext(),
        v["plaintext"].as_str().unwrap().as_bytes()
    );
    assert_eq!(opened.header()["enc"], "A128CBC-HS256");
}

#[test]
fn rfc7520_section5_compact_examples_decrypt() {
    for name in [
        "rfc7520_5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json",
        "rfc7520_5_6.direct_encryption_using_aes-gcm.json",
        "rfc7520_5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json",
    ] {
        let v = data(name);
        let opened = decryptor(&v["input"]["key"])
            .decrypt(v["output"]["compact"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            opened.plaintext(),
            v["input"]["plaintext"].as_str().unwrap().as_bytes(),
            "{name}"
        );
        assert_eq!(opened.header()["alg"], v["input"]["alg"], "{name}");
    }
}

#[test]
fn rfc7520_5_9_compressed_content_is_refused() {
    let v = data("rfc7520_5_9.compressed_content.json");
    let err = decryptor(&v["input"]["key"])
        .decrypt(v["output"]["compact"].as_str().unwrap())
        .unwrap_err();
    assert!(
        matches!(err, JweError::Malformed { reason } if reason.contains("zip")),
        "{err:?}"
    );
}

#[test]
fn every_alg_enc_pair_round_trips() {
    let plaintext = b"the content, not a secret to the test";
    for enc in ContentEncryption::ALL {
        let dir = match enc.key_len() {
            16 => OCT16,
            32 => OCT32,
            _ => OCT64,
        };
        let cases = [
            (dir, KeyManagement::Dir),
            (OCT16, KeyManagement::A128Kw),
            (OCT32, KeyManagement::A256Kw),
            (P256, KeyManagement::EcdhEs),
            (P256, KeyManagement::EcdhEsA128Kw),
            (P256, KeyManagement::EcdhEsA256Kw),
            (X25519, KeyManagement::EcdhEs),
            (X25519, KeyManagement::EcdhEsA128Kw),
            (X25519, KeyManagement::EcdhEsA256Kw),
        ];
        for (jwk, alg) in cases {
            let token = jwe::encrypt(&key(jwk), alg, enc, plaintext).expect("encrypts");
            let opened = JweDecryptor::new(key(jwk))
                .expect_alg(alg)
                .decrypt(&token)
                .unwrap_or_else(|e| panic!("{} {}: {e}", alg.name(), enc.name()));
            assert_eq!(opened.plaintext(), plaintext);
            assert_eq!(opened.header()["enc"], enc.name());
        }
    }
}

#[test]
fn a_public_key_encrypts_but_cannot_decrypt() {
    let public =
        r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}"#;
    let token = jwe::encrypt(
        &key(public),
        KeyManagement::EcdhEs,
        ContentEncryption::A256Gcm,
        b"x",
    )
    .expect("encrypts");
    assert!(matches!(
        JweDecryptor::new(key(public)).decrypt(&token),
        Err(JweError::InvalidKey { .. })
    ));
    assert_eq!(
        JweDecryptor::new(key(X25519))
            .decrypt(&token)
            .unwrap()
            .plaintext(),
        b"x"
    );
}

fn a128kw_token() -> String {
    jwe::encrypt(
        &key(OCT16),
        KeyManagement::A128Kw,
        ContentEncryption::A128CbcHs256,
        b"hello",
    )
    .unwrap()
}

fn with_part(token: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

fn header(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

#[test]
fn the_size_cap_is_checked_before_decoding() {
    let token = a128kw_token();
    let small = JweDecryptor::new(key(OCT16))
        .with_max_len(token.len() - 1)
        .unwrap();
    assert_eq!(
        small.decrypt(&token).unwrap_err(),
        JweError::TooLarge {
            len: token.len(),
            max: token.len() - 1
        }
    );
    let junk = "!".repeat(jwe::DEFAULT_MAX_LEN + 1);
    assert!(matches!(
        JweDecryptor::new(key(OCT16)).decrypt(&junk),
        Err(JweError::TooLarge { .. })
    ));
    assert!(JweDecryptor::new(key(OCT16)).with_max_len(0).is_err());
}

#[test]
fn framing_must_be_exactly_five_unpadded_parts() {
    let token = a128kw_token();
    let d = JweDecryptor::new(key(OCT16));
    let four = token.rsplit_once('.').unwrap().0.to_owned();
    let six = format!("{token}.");
    let padded = format!("{token}==");
    let spaced = token.replacen('.', ". ", 1);
    let newline = format!("{token}\n");
    for bad in [four.clone(), six.clone(), padded, spaced, newline] {
        assert!(
            matches!(d.decrypt(&bad), Err(JweError::Malformed { .. })),
            "{bad:?}"
        );
    }
    // A sixth part hidden inside the ciphertext (never scanned for dots) is named
    // as such, like the others.
    let ciphertext = token.split('.').nth(3).unwrap();
    let (front, back) = ciphertext.split_at(ciphertext.len() / 2);
    let inner = with_part(&token, 3, &format!("{front}.{back}"));
    for bad in [four, six, inner] {
        assert_eq!(
            d.decrypt(&bad).unwrap_err(),
            JweError::Malformed {
                reason: "a compact JWE has exactly five parts"
            },
            "{bad:?}"
        );
    }
}

#[test]
fn refused_algorithms_are_unsupported() {
    let d = JweDecryptor::new(key(OCT16));
    for (alg, enc) in [
        ("RSA1_5", "A128GCM"),
        ("RSA-OAEP", "A128GCM"),
        ("PBES2-HS256+A128KW", "A128GCM"),
        ("A128GCMKW", "A128GCM"),
        ("A128KW", "A192GCM"),
        ("none", "A128GCM"),
    ] {
        let h = header(&format!(r#"{{"alg":"{alg}","enc":"{enc}"}}"#));
        let token = with_part(&a128kw_token(), 0, &h);
        assert!(
            matches!(
                d.decrypt(&token),
                Err(JweError::UnsupportedAlgorithm { .. })
            ),
            "{alg} {enc}"
        );
    }
    assert!(jwe::is_refused("RSA1_5") && !jwe::is_refused("A128KW"));
}

#[test]
fn zip_crit_and_duplicate_members_are_refused() {
    let d = JweDecryptor::new(key(OCT16));
    for h in [
        r#"{"alg":"A128KW","enc":"A128CBC-HS256","zip":"DEF"}"#,
        r#"{"alg":"A128KW","enc":"A128CBC-HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"A128KW","enc":"A128CBC-HS256","enc":"A128CBC-HS256"}"#,
        r#"["alg","A128KW"]"#,
    ] {
        let token = with_part(&a128kw_token(), 0, &header(h));
        assert!(
            matches!(d.decrypt(&token), Err(JweError::Malformed { .. })),
            "{h}"
        );
    }
}

#[test]
fn the_key_fixes_the_algorithm_family() {
    let token = a128kw_token();
    // An EC key does not take an A128KW token; a 32-byte oct key is not an A128KW key.
    for jwk in [P256, OCT32] {
        assert_eq!(
            JweDecryptor::new(key(jwk)).decrypt(&token).unwrap_err(),
            JweError::AlgorithmNotAllowed { alg: "A128KW" }
        );
    }
    // An expected alg narrows further; a JWK `alg` pins the key.
    let narrowed = JweDecryptor::new(key(OCT16)).expect_alg(KeyManagement::Dir);
    assert!(matches!(
        narrowed.decrypt(&token),
        Err(JweError::AlgorithmNotAllowed { .. })
    ));
    let pinned = key(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg","alg":"dir"}"#);
    assert!(!pinned.allows(KeyManagement::A128Kw));
    assert!(
        JweKey::from_jwk(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg","alg":"ECDH-ES"}"#).is_err()
    );
    assert!(JweKey::from_jwk(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg","use":"sig"}"#).is_err());
}

#[test]
fn dir_with_an_encrypted_key_is_refused() {
    let token = jwe::encrypt(
        &key(OCT16),
        KeyManagement::Dir,
        ContentEncryption::A128Gcm,
        b"x",
    )
    .unwrap();
    let with_key = with_part(&token, 1, "AAAA");
    assert!(matches!(
        JweDecryptor::new(key(OCT16)).decrypt(&with_key),
        Err(JweError::Malformed { .. })
    ));
}

#[test]
fn every_decryption_failure_is_one_opaque_error() {
    let token = a128kw_token();
    let d = JweDecryptor::new(key(OCT16));
    let parts: Vec<&str> = token.split('.').collect();
    let flip = |part: &str| {
        let mut bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
        bytes[0] ^= 1;
        URL_SAFE_NO_PAD.encode(bytes)
    };
    let bad_key = with_part(&token, 1, &flip(parts[1]));
    let bad_iv = with_part(&token, 2, &flip(parts[2]));
    let bad_ct = with_part(&token, 3, &flip(parts[3]));
    let bad_tag = with_part(&token, 4, &flip(parts[4]));
    let short_tag = with_part(&token, 4, "AAAA");
    let other_key = JweDecryptor::new(key(r#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}"#));
    for bad in [&bad_key, &bad_iv, &bad_ct, &bad_tag, &short_tag] {
        assert_eq!(d.decrypt(bad).unwrap_err(), JweError::Decryption, "{bad}");
    }
    assert_eq!(other_key.decrypt(&token).unwrap_err(), JweError::Decryption);
    // The header is the AAD: changing it (here, adding a kid) fails the tag.
    let renamed = with_part(
        &token,
        0,
        &header(r#"{"alg":"A128KW","enc":"A128CBC-HS256","kid":"x"}"#),
    );
    assert_eq!(d.decrypt(&renamed).unwrap_err(), JweError::Decryption);
    assert_eq!(
        JweError::Decryption.to_string(),
        "the JWE could not be decrypted"
    );
}

#[test]
fn keys_and_plaintexts_are_redacted() {
    let k = key(P256);
    let shown = format!("{k:?}");
    assert!(
        shown.contains("[REDACTED]") && !shown.contains("VEmDZpDX"),
        "{shown}"
    );
    let opened = JweDecryptor::new(key(OCT16))
        .decrypt(&a128kw_token())
        .unwrap();
    let shown = format!("{opened:?}");
    assert!(
        shown.contains("[REDACTED]") && !shown.contains("hello"),
        "{shown}"
    );
}

#[test]
fn bad_jwks_are_refused_with_a_reason() {
    for bad in [
        "not json",
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
        r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg=="}"#,
        r#"{"kty":"oct","k":""}"#,
        // A point not on P-256.
        r#"{"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
        // `d` that does not match `x`.
        r#"{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    ] {
        assert!(
            matches!(JweKey::from_jwk(bad), Err(JweError::InvalidKey { .. })),
            "{bad}"
        );
    }
}

#[test]
fn jwe_errors_convert_to_the_jose_variant() {
    let err: portcullis::Error = JweError::Decryption.into();
    let shown = format!("{err:?}");
    assert!(shown.starts_with("Jose(Jwe(Decryption"), "{shown}");
    assert_eq!(err.to_string(), "the JWE could not be decrypted");
}

/// Every header refusal keeps its reason and its precedence (alg before enc before
/// `zip` before `crit` before `apu`/`apv`), whichever way the header is read.
#[test]
fn header_refusals_keep_their_reasons_and_order() {
    let d = JweDecryptor::new(key(OCT16));
    let strings = "`alg` and `enc` must be strings";
    let needs = "the header needs `alg` and `enc`";
    let not_object = "the header is not a JSON object with unique member names";
    let zip = "`zip` is refused: decompression is a denial-of-service lever";
    let crit = "`crit` names an extension this crate does not implement";
    let party = "`apu` and `apv` must be strings";
    for (h, reason) in [
        (r#"{"alg":null,"enc":"A128CBC-HS256"}"#, strings),
        (r#"{"alg":"A128KW","enc":7}"#, strings),
        (r#"{"enc":"A128CBC-HS256"}"#, needs),
        (r#"{"alg":"A128KW","zip":"DEF"}"#, needs),
        (r#"{"alg":"A128KW","enc":"A128CBC-HS256","zip":null}"#, zip),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","crit":1,"zip":1}"#,
            zip,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","crit":null}"#,
            crit,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","apu":null,"crit":[]}"#,
            crit,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","apu":null}"#,
            party,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","apv":["x"]}"#,
            party,
        ),
        (
            r#"{"alg":"A128KW","\u0061lg":"A128KW","enc":"A128CBC-HS256"}"#,
            not_object,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","x":1e400}"#,
            not_object,
        ),
        (
            r#"{"alg":"A128KW","enc":"A128CBC-HS256","x":"\ud800"}"#,
            not_object,
        ),
        (r#"{"alg":"A128KW","enc":"A128CBC-HS256"}x"#, not_object),
        (
            "{\"alg\":\"A128KW\",\"enc\":\"A128CBC-HS256\",\"x\":\"\u{fffd}\"\u{0}}",
            not_object,
        ),
    ] {
        let token = with_part(&a128kw_token(), 0, &header(h));
        assert_eq!(
            d.decrypt(&token).unwrap_err(),
            JweError::Malformed { reason },
            "{h}"
        );
    }
    let unsupported = with_part(
        &a128kw_token(),
        0,
        &header(r#"{"alg":"RSA1_5","zip":"DEF"}"#),
    );
    assert!(matches!(
        d.decrypt(&unsupported),
        Err(JweError::UnsupportedAlgorithm { .. })
    ));
    let not_utf8 =
        URL_SAFE_NO_PAD.encode(b"{\"alg\":\"A128KW\",\"enc\":\"A128CBC-HS256\",\"x\":\"\xff\"}");
    assert_eq!(
        d.decrypt(&with_part(&a128kw_token(), 0, &not_utf8))
            .unwrap_err(),
        JweError::Malformed { reason: not_object }
    );
    // Well-formed headers the token was not sealed under: the AAD differs, so the tag fails.
    for h in [
        r#" {"alg":"A128KW","enc":"A128CBC-HS256","kid":"\u0041","x":{"y":[1,{}]}} "#,
        r#"{"alg":"A128KW","enc":"A128CBC-HS256","apu":"","epk":null}"#,
    ] {
        let token = with_part(&a128kw_token(), 0, &header(h));
        assert_eq!(d.decrypt(&token).unwrap_err(), JweError::Decryption, "{h}");
    }
}

/// The IV and the tag: an over-long one that is valid base64url fails as a wrong
/// length does (opaquely); one that is not base64url is malformed, whatever its length.
#[test]
fn long_ivs_and_tags_are_opaque_failures_and_bad_ones_are_malformed() {
    let d = JweDecryptor::new(key(OCT16));
    let token = a128kw_token();
    let long = URL_SAFE_NO_PAD.encode([7u8; 40]);
    let long_bad = format!("{}=", &long[..long.len() - 1]);
    for index in [2, 4] {
        assert_eq!(
            d.decrypt(&with_part(&token, index, &long)).unwrap_err(),
            JweError::Decryption
        );
        assert!(matches!(
            d.decrypt(&with_part(&token, index, &long_bad)),
            Err(JweError::Malformed { .. })
        ));
    }
    let dir = JweDecryptor::new(key(OCT32));
    let gcm = jwe::encrypt(
        dir.key(),
        KeyManagement::Dir,
        ContentEncryption::A256Gcm,
        b"x",
    )
    .unwrap();
    let cbc_sized_tag = URL_SAFE_NO_PAD.encode([7u8; 32]);
    assert_eq!(
        dir.decrypt(&with_part(&gcm, 4, &cbc_sized_tag))
            .unwrap_err(),
        JweError::Decryption
    );
}

/// `Decrypted::header` is the whole protected header, unread members included.
#[test]
fn the_opened_header_is_the_whole_protected_header() {
    for name in [
        "rfc7520_5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json",
        "rfc7520_5_6.direct_encryption_using_aes-gcm.json",
        "rfc7520_5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json",
    ] {
        let v = data(name);
        let compact = v["output"]["compact"].as_str().unwrap();
        let opened = decryptor(&v["input"]["key"]).decrypt(compact).unwrap();
        let first = compact.split('.').next().unwrap();
        let expected: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap();
        assert!(expected.get("kid").is_some(), "{name}");
        assert_eq!(Value::Object(opened.header().clone()), expected, "{name}");
    }
}
