//! Origin and Referer headers of any shape must parse or fail cleanly: never
//! panic; a parsed origin re-serializes to text that parses to the same origin;
//! a parsed Referer has a non-empty scheme and host. The CSRF and CORS
//! decisions that consume them must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::web::cors::{CorsPolicy, CorsRequest};
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest};
use portcullis::web::origin::{Origin, Referer, RequestOrigin};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(origin) = Origin::parse(text) {
        let again = Origin::parse(&origin.to_string());
        assert!(again.is_ok_and(|o| o == origin));
    }
    let _ = RequestOrigin::parse(text);
    if let Ok(referer) = Referer::parse(text) {
        assert!(!referer.scheme().is_empty() && !referer.netloc().is_empty());
    }
    if let Ok(policy) = CsrfPolicy::new(&["https://*.example.com"], Some(".example.com")) {
        let req = CsrfRequest {
            method: "POST",
            secure: true,
            host: Some("www.example.com"),
            port: 443,
            referer: Some(text),
            cookie: Some("abcdefghijklmnopqrstuvwxyzABCDEF"),
            header_token: Some(text),
            origin: None,
            form_token: None,
        };
        let _ = policy.check(&req);
        let _ = policy.check(&CsrfRequest { origin: Some(text), ..req });
    }
    if let Ok(cors) = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_origin_pattern("https://*.example.org")
        .allow_headers(&["content-type"])
        .build()
    {
        let _ = cors.evaluate(&CorsRequest {
            method: "OPTIONS",
            origin: Some(text),
            request_method: Some("PUT"),
            request_headers: Some(text),
        });
    }
});
