//! Every preset policy must judge any password against any user without panicking
//! (Unicode case mapping, splitting and NFKC included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::password::{Policy, UserAttributes};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first line is the password, the rest the username and email.
    let mut lines = text.splitn(3, '\n');
    let password = lines.next().unwrap_or_default();
    let user = UserAttributes::new()
        .with("username", lines.next().unwrap_or_default())
        .with("email", lines.next().unwrap_or_default());
    for policy in [Policy::django(), Policy::production(), Policy::nist_800_63b4()] {
        let violations = policy.check(password, Some(&user));
        assert!(violations.len() <= 5);
    }
});
