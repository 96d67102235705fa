//! Compatibility with the Python packages, from fixtures they produced
//! (`tests/data/ratelimit/generate.py`): DRF's and django-ratelimit's rate
//! parsing, and DRF's `SimpleRateThrottle` decisions and `wait()`.

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{Algorithm, Rate, SlidingLog};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/ratelimit/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn accepted_rates_mean_what_drf_and_django_ratelimit_read() {
    let fixtures = fixture("rates.json");
    let mut refused = Vec::new();
    for entry in fixtures["rates"].as_array().unwrap() {
        let text = entry["rate"].as_str().unwrap();
        match text.parse::<Rate>() {
            Ok(rate) => {
                let ours = (u64::from(rate.limit()), u64::from(rate.period_secs()));
                let mut agreed = 0;
                for package in ["drf", "django_ratelimit"] {
                    if let Some(pair) = entry[package].as_array() {
                        let theirs = (pair[0].as_u64().unwrap(), pair[1].as_u64().unwrap());
                        assert_eq!(ours, theirs, "{text:?}: {package} reads it differently");
                        agreed += 1;
                    }
                }
                assert!(agreed > 0, "{text:?} is accepted by neither package");
            }
            Err(err) => {
                assert!(err.to_string().contains("accepted forms"), "{err}");
                refused.push(text);
            }
        }
    }
    // Everything refused, and why: each is an error in at least one package, or a
    // silent misreading there (`10/M` is 10 per second in django-ratelimit,
    // `5/mars` is 5 per minute in both, `5/fortnight` 5 per second in
    // django-ratelimit), or a zero, negative or overflowing quota.
    assert_eq!(
        refused,
        [
            "10/M",
            "10/H",
            "5/mars",
            "5/fortnight",
            "0/m",
            "10/",
            "10",
            "/m",
            "-1/m",
            "5/m/s",
            "10/0m",
            "1e3/m",
            "5/ m",
            " 5/m",
            "99999999999/m",
            "5//m",
        ]
    );
}

#[test]
fn sliding_log_decides_and_waits_as_drf_simple_rate_throttle() {
    let fixtures = fixture("drf_throttle.json");
    let mut refusals = 0;
    for run in fixtures["runs"].as_array().unwrap() {
        let rate: Rate = run["rate"].as_str().unwrap().parse().unwrap();
        let mut state = None;
        for request in run["requests"].as_array().unwrap() {
            let t = request["time"].as_f64().unwrap();
            let now = UnixTime::from_secs_f64(t).unwrap();
            let (decision, next) = SlidingLog::decide(&rate, state.as_ref(), now, 1).unwrap();
            assert_eq!(
                decision.allowed,
                request["allowed"].as_bool().unwrap(),
                "{rate} at {t}"
            );
            if let Some(wait) = request["wait"].as_f64() {
                refusals += 1;
                let ours = decision.retry_after.as_secs_f64();
                assert!(
                    (ours - wait).abs() < 1e-6,
                    "{rate} at {t}: {ours} vs DRF {wait}"
                );
                // DRF's `Throttled` rounds up for Retry-After; so do we.
                assert_eq!(
                    portcullis::ratelimit::http::retry_after_secs(decision.retry_after),
                    wait.ceil() as u64
                );
            }
            state = Some(next);
        }
    }
    assert!(refusals >= 10);
}

#[test]
fn drf_body_matches_drf_exception_handler() {
    use portcullis::ratelimit::http::ErrorBody;
    use std::time::Duration;
    let fixture = fixture("drf_throttled.json");
    for response in fixture["responses"].as_array().unwrap() {
        let wait = Duration::from_secs_f64(response["wait"].as_f64().unwrap());
        let secs = portcullis::ratelimit::http::retry_after_secs(wait);
        assert_eq!(secs.to_string(), response["retry_after"].as_str().unwrap());
        assert_eq!(
            ErrorBody::drf().render(secs),
            response["body"].as_str().unwrap(),
            "wait {wait:?}"
        );
    }
}
