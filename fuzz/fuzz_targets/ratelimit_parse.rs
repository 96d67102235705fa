//! Rate strings of any shape must parse or fail cleanly: never panic; an
//! accepted rate prints in a form that parses back to the same rate, and its
//! error messages name the accepted forms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::ratelimit::Rate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match text.parse::<Rate>() {
        Ok(rate) => {
            let shown = rate.to_string();
            assert_eq!(shown.parse::<Rate>().ok(), Some(rate), "{shown}");
            assert!(rate.limit() > 0 && rate.period_secs() > 0);
        }
        Err(err) => assert!(err.to_string().contains("accepted forms")),
    }
});
