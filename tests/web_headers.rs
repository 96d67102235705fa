//! Security headers and the HTTPS redirect against Django's SecurityMiddleware
//! and XFrameOptionsMiddleware, on fixtures the real Django produced
//! (tests/data/web/generate.py).

use std::collections::BTreeMap;

use portcullis::web::headers::{
    CrossOriginOpenerPolicy, FrameOptions, ReferrerPolicy, SecurityConfig,
};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/web/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn referrer(name: &str) -> ReferrerPolicy {
    match name {
        "no-referrer" => ReferrerPolicy::NoReferrer,
        "same-origin" => ReferrerPolicy::SameOrigin,
        "strict-origin-when-cross-origin" => ReferrerPolicy::StrictOriginWhenCrossOrigin,
        other => panic!("add {other} to the test"),
    }
}

/// Django's settings (missing = Django's default) as a `SecurityConfig`.
fn config(settings: &Value) -> SecurityConfig {
    let mut c = SecurityConfig::default();
    let get = |k: &str| settings.get(k);
    if let Some(v) = get("SECURE_HSTS_SECONDS") {
        c.hsts_seconds = v.as_u64().unwrap();
    }
    if let Some(v) = get("SECURE_HSTS_INCLUDE_SUBDOMAINS") {
        c.hsts_include_subdomains = v.as_bool().unwrap();
    }
    if let Some(v) = get("SECURE_HSTS_PRELOAD") {
        c.hsts_preload = v.as_bool().unwrap();
    }
    if let Some(v) = get("SECURE_CONTENT_TYPE_NOSNIFF") {
        c.content_type_nosniff = v.as_bool().unwrap();
    }
    if let Some(v) = get("SECURE_REFERRER_POLICY") {
        c.referrer_policy = match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|i| referrer(i.as_str().unwrap()))
                .collect(),
            other => vec![referrer(other.as_str().unwrap())],
        };
    }
    if let Some(v) = get("SECURE_CROSS_ORIGIN_OPENER_POLICY") {
        c.cross_origin_opener_policy = match v.as_str() {
            None => None,
            Some("same-origin") => Some(CrossOriginOpenerPolicy::SameOrigin),
            Some("same-origin-allow-popups") => {
                Some(CrossOriginOpenerPolicy::SameOriginAllowPopups)
            }
            Some(other) => panic!("add {other} to the test"),
        };
    }
    if let Some(v) = get("X_FRAME_OPTIONS") {
        c.x_frame_options = match v.as_str().unwrap() {
            "DENY" => Some(FrameOptions::Deny),
            "SAMEORIGIN" => Some(FrameOptions::SameOrigin),
            other => panic!("add {other} to the test"),
        };
    }
    if let Some(v) = get("SECURE_SSL_REDIRECT") {
        c.ssl_redirect = v.as_bool().unwrap();
    }
    if let Some(v) = get("SECURE_SSL_HOST") {
        c.ssl_host = v.as_str().map(str::to_owned);
    }
    if let Some(v) = get("SECURE_REDIRECT_EXEMPT") {
        // Django's anchored regular expressions `^prefix` are this crate's prefixes.
        c.redirect_exempt = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().strip_prefix('^').unwrap().to_owned())
            .collect();
    }
    c
}

#[test]
fn headers_and_redirects_match_django() {
    let data = fixture("security_headers.json");
    let configs: Vec<_> = data["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| config(s).build().unwrap())
        .collect();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 200);
    let mut redirects = 0;
    for case in cases {
        let headers = &configs[usize::try_from(case["settings"].as_u64().unwrap()).unwrap()];
        let secure = case["secure"].as_bool().unwrap();
        let preset: Vec<&str> = case["preset"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let got: BTreeMap<String, String> = headers
            .headers_for(secure, &preset)
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        let want: BTreeMap<String, String> = case["added"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got, want, "case {case}");
        let path = case["path"].as_str().unwrap();
        let location = headers.redirect(secure, "www.example.com", path).unwrap();
        assert_eq!(
            location.as_deref(),
            case["redirect"].as_str(),
            "case {case}"
        );
        redirects += usize::from(location.is_some());
    }
    assert!(redirects > 10);
}
