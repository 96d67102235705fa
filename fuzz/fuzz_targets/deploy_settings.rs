//! Settings documents of any shape must parse or fail cleanly, and the check must
//! run on whatever parses: never a panic; every finding has a known id prefix and a
//! message; a parse error names a setting or is a JSON syntax/shape error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::deploy::{self, Settings};

fuzz_target!(|data: &[u8]| {
    match serde_json::from_slice::<Settings>(data) {
        Ok(settings) => {
            for finding in deploy::check(&settings) {
                assert!(
                    finding.id().starts_with("security.") || finding.id().starts_with("portcullis."),
                    "{}",
                    finding.id()
                );
                assert!(!finding.message().is_empty());
            }
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
