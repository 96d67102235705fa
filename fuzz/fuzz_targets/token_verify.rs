//! The verify path on hostile input. The first byte picks the mode:
//! even: the rest is a token as text, checked by every verify flow;
//! odd: the rest is `header 0xFF payload`, framed and correctly HMAC-signed, so the
//! header and claim rules (not the signature) are what the input exercises.
//! Never a panic; and a token that verifies must have passed every header rule.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, SigningKey, TokenConfig, TokenKind, TokenService, inspect,
};

const SECRET: &[u8] = b"fuzzing-secret-key-0123456789abcdef";
const NOW: u64 = 1_800_000_000;

fn service() -> &'static TokenService {
    static SERVICE: OnceLock<TokenService> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET))
            .expect("a valid key");
        TokenService::in_memory(TokenConfig::hardened(), Keyring::new(key)).expect("a valid config")
    })
}

fn signed(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let svc = service();
    let now = UnixTime::from_secs(NOW).expect("in range");
    let token = if mode % 2 == 0 {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return,
        }
    } else {
        let split = rest.iter().position(|&b| b == 0xff).unwrap_or(rest.len());
        let (header, payload) = rest.split_at(split);
        signed(header, payload.get(1..).unwrap_or_default())
    };
    for kind in [TokenKind::Access, TokenKind::Refresh, TokenKind::Sliding] {
        if let Ok(claims) = svc.verify(&token, kind, now) {
            assert_eq!(claims.token_type(), Some(kind.as_str()));
            // Still inside `exp` plus the configured leeway (PyJWT: expired when exp <= now - leeway).
            let leeway = TokenConfig::hardened().leeway;
            assert!(claims.exp().checked_add(leeway).is_none_or(|limit| limit > now));
            if kind != TokenKind::Refresh {
                assert!(claims.user_id().is_some(), "an authenticating token names a user");
            }
            assert!(claims.jti().is_some());
            // The map of every claim, built on first use, agrees with the one-pass read.
            assert_eq!(claims.get("jti").and_then(|v| v.as_str()), claims.jti());
            let seen = inspect(&token, 8192).expect("a verified token decodes");
            assert_eq!(seen.header.get("alg").and_then(|v| v.as_str()), Some("HS256"));
            for forbidden in ["crit", "jwk", "jku", "x5u", "x5c", "cty", "kid"] {
                assert!(!seen.header.contains_key(forbidden), "{forbidden} accepted");
            }
        }
    }
    let _ = svc.verify_any(&token, now);
    let _ = svc.refresh(&token, now);
    let _ = svc.refresh_sliding(&token, now);
});
