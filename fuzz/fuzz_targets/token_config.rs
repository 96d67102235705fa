//! `TokenConfig` through its serde loader (durations as seconds or text such as
//! `"1h30m"`) on hostile JSON and TOML. The first byte picks the format (even: JSON,
//! odd: TOML). Never a panic; a config that loads survives a JSON round trip
//! unchanged, and `validate` answers (accepting or refusing) without panicking,
//! its verdict the same for the round-tripped copy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::TokenConfig;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let loaded = if mode % 2 == 0 {
        serde_json::from_str::<TokenConfig>(text).ok()
    } else {
        toml::from_str::<TokenConfig>(text).ok()
    };
    let Some(config) = loaded else { return };
    let json = serde_json::to_string(&config).expect("a loaded config serializes");
    let back: TokenConfig = serde_json::from_str(&json).expect("our own JSON loads");
    assert_eq!(back, config);
    assert_eq!(back.validate().is_ok(), config.validate().is_ok());
});
