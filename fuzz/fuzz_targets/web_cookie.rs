//! Cookie headers of any shape must parse or fail cleanly (malformed pairs are
//! skipped), and whatever cookies parse must rebuild into a header that parses
//! to the same cookies, with nothing skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::web::cookie::parse_cookie_header;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(jar) = parse_cookie_header(text) {
        assert!(jar.len() + jar.skipped() > 0);
        if jar.is_empty() {
            return;
        }
        let rebuilt = jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let again = parse_cookie_header(&rebuilt).map(|j| (j.iter().collect::<Vec<_>>(), j.skipped()));
        assert_eq!(again.ok(), Some((jar.iter().collect::<Vec<_>>(), 0)));
    }
});
