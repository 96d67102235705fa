//! A fetched JWKS document on hostile input, as `jose::jwks::parse_jwks` reads it,
//! and the cache policy fed with it. Never a panic; every kept key has a distinct
//! `kid` that selects it, its entry carries no private member and no `use` but
//! `sig`; a refused document leaves the cache's last good set in place; and the
//! freshness taken from the bytes as a `Cache-Control` value stays within bounds.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::jose::jwks::{JwksCache, JwksPolicy, parse_jwks};
use serde_json::Value;

const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
const GOOD: &str = r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "good", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = JwksPolicy::default();
    let fresh = policy.freshness(Some(text));
    assert!(fresh >= Duration::from_secs(60) && fresh <= Duration::from_secs(86_400));

    let mut cache = JwksCache::new(policy);
    let t0 = UnixTime::from_secs(1_800_000_000).expect("a valid time");
    cache.fetched(GOOD, None, t0).expect("the good set parses");
    let t1 = UnixTime::from_secs(1_800_000_100).expect("a valid time");
    let Ok(set) = cache.fetched(text, Some(text), t1) else {
        assert!(cache.key("good").is_some(), "a refused set keeps the last good one");
        return;
    };
    let doc: Value = serde_json::from_str(text).expect("an accepted set is JSON");
    let entries = doc["keys"].as_array().expect("an accepted set has keys");
    assert_eq!(entries.len(), set.len() + set.skipped().len());
    for key in set.keys() {
        let kid = key.kid().expect("kept keys have a kid");
        assert!(std::ptr::eq(set.select(kid).expect("its kid selects it"), key));
        let entry = entries
            .iter()
            .find(|e| e["kid"].as_str() == Some(kid))
            .expect("a kept key comes from an entry");
        for member in PRIVATE {
            assert!(entry.get(member).is_none(), "private `{member}` accepted");
        }
        if let Some(usage) = entry.get("use") {
            assert_eq!(usage, "sig");
        }
    }
});
