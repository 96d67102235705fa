//! Cookie headers of any shape must parse or fail cleanly, and whatever parses
//! must rebuild into a header that parses to the same cookies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::web::cookie::parse_cookie_header;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(jar) = parse_cookie_header(text) {
        let rebuilt = jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let again = parse_cookie_header(&rebuilt).map(|j| j.iter().collect::<Vec<_>>());
        assert_eq!(again.ok(), Some(jar.iter().collect::<Vec<_>>()));
    }
});
