//! Stored hash strings of any shape must parse or fail cleanly: never panic, and
//! an unusable or unknown hash never counts as needing a rehash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::password::hash::{HashFormat, Hasher};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in HashFormat::ALL {
        // Parsing only: `needs_rehash` never computes a hash, so planted costs are harmless here.
        if let Ok(rehash) = Hasher::new(format).needs_rehash(text) {
            if text.starts_with('!') {
                assert!(!rehash);
            }
        }
    }
});
