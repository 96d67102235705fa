//! CSRF compatibility with Django, proven on fixtures the real Django produced
//! (tests/data/web/generate.py): tokens from `get_token`, `_check_token_format`
//! verdicts, and `CsrfViewMiddleware.process_view` verdicts with their reasons.

use portcullis::web::csrf::{CsrfPolicy, CsrfRequest, CsrfSecret};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/web/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn opt(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn django_tokens_validate_here() {
    let data = fixture("csrf_tokens.json");
    let rows = data["tokens"].as_array().unwrap();
    assert!(rows.len() >= 40);
    for row in rows {
        let secret = CsrfSecret::parse(row["secret"].as_str().unwrap()).unwrap();
        let token = row["token"].as_str().unwrap();
        assert_eq!(token.len(), 64);
        secret.verify_token(token).unwrap();
        // A Django token is also accepted as a pre-4.0 masked cookie.
        assert_eq!(CsrfSecret::parse(token).unwrap(), secret);
        let other = CsrfSecret::parse(&"Q".repeat(32)).unwrap();
        assert!(other.verify_token(token).is_err());
    }
}

#[test]
fn token_format_verdicts_match_django() {
    let data = fixture("csrf_tokens.json");
    for row in data["formats"].as_array().unwrap() {
        let text = row["text"].as_str().unwrap();
        let got = CsrfSecret::parse(text).err().map(|e| match e {
            portcullis::web::WebError::CsrfFormat { reason, .. } => reason.to_owned(),
            other => panic!("unexpected {other}"),
        });
        assert_eq!(got.as_deref(), row["error"].as_str(), "format of {text:?}");
    }
}

#[test]
fn middleware_verdicts_match_django() {
    let data = fixture("csrf_middleware.json");
    let policies: Vec<CsrfPolicy> = data["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let trusted: Vec<&str> = s["trusted"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            CsrfPolicy::new(&trusted, opt(&s["cookie_domain"])).unwrap()
        })
        .collect();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() > 500);
    let mut rejected = 0;
    for case in cases {
        let policy = &policies[usize::try_from(case["settings"].as_u64().unwrap()).unwrap()];
        let req = CsrfRequest {
            method: case["method"].as_str().unwrap(),
            secure: case["secure"].as_bool().unwrap(),
            host: opt(&case["django_host"]),
            port: u16::try_from(case["port"].as_u64().unwrap()).unwrap(),
            origin: opt(&case["origin"]),
            referer: opt(&case["referer"]),
            cookie: opt(&case["cookie"]),
            form_token: opt(&case["form_token"]),
            header_token: opt(&case["header_token"]),
        };
        let got = policy.check(&req).err().map(|r| r.reason);
        assert_eq!(got.as_deref(), case["rejected"].as_str(), "case {case}");
        rejected += usize::from(got.is_some());
    }
    assert!(rejected > 100 && rejected < cases.len() - 100);
}
