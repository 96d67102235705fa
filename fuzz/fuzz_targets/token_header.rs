//! Header and framing parsers on arbitrary text: `inspect` (unverified decode), the
//! `Authorization` header parser and algorithm names. Never a panic; what parses is
//! consistent with the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::{Algorithm, inspect, parse_authorization_header};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(seen) = inspect(text, 64 * 1024) {
        assert_eq!(text.matches('.').count(), 2);
        let _ = serde_json::to_string(&seen.header);
    }
    let types = vec!["Bearer".to_owned(), "JWT".to_owned()];
    if let Ok(Some(token)) = parse_authorization_header(text, &types) {
        assert!(text.contains(token));
        // Python's bytes.split() whitespace, as SimpleJWT splits the header.
        assert!(!token.contains([' ', '\t', '\n', '\r', '\x0b', '\x0c']));
        assert!(!token.is_empty());
    }
    if let Ok(alg) = text.parse::<Algorithm>() {
        assert_eq!(alg.as_str(), text);
    }
});
