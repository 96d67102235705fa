//! Key text of any shape must load or fail cleanly: never panic, and a loaded key
//! must re-encode to text that loads to the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::secret::{Encoding, KeyLength, SecretBytes};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for encoding in [Encoding::Base64, Encoding::Base64Url] {
        for length in [KeyLength::Exactly(32), KeyLength::AtLeast(0)] {
            if let Ok(key) = SecretBytes::from_encoded(text, encoding, length) {
                let again = key.encode(encoding);
                let back = SecretBytes::from_encoded(again.expose_secret(), encoding, length);
                assert!(back.is_ok_and(|b| b == key));
            }
        }
    }
});
