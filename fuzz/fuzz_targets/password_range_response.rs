//! Pwned Passwords range responses of any shape must parse or fail cleanly, and
//! whatever parses holds only 35-hex-character suffixes with non-zero counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::password::breach::{RangeQuery, parse_range_response};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    match parse_range_response(body) {
        Ok(entries) => {
            for entry in &entries {
                assert_eq!(entry.suffix.len(), 35);
                assert!(entry.suffix.bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(entry.count > 0);
            }
            assert!(RangeQuery::new("password").breach_count(body).is_ok());
        }
        Err(_) => assert!(RangeQuery::new("password").breach_count(body).is_err()),
    }
});
