use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::clock::UnixTime;

const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

fn ed(kid: &str) -> serde_json::Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "x": ED_X})
}

fn doc(keys: &[serde_json::Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(1_800_000_000 + secs).unwrap()
}

fn cache_with(kid: &str, max_age: &str) -> JwksCache {
    let mut cache = JwksCache::new(JwksPolicy::default());
    cache
        .fetched(&doc(&[ed(kid)]), Some(max_age), at(0))
        .unwrap();
    cache
}

#[test]
fn usable_keys_are_found_by_kid_and_the_rest_skipped_with_reasons() {
    let keys = [
        ed("ed-1"),
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc", "x": ED_X}),
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "ops", "key_ops": ["encrypt"], "x": ED_X}),
        json!({"kty": "PQC", "kid": "future"}),
        json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "x": ED_X}),
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "bad-alg", "alg": "HS256", "x": ED_X}),
        json!({"kty": "RSA", "kid": "rsa-no-alg", "n": "AQAB", "e": "AQAB"}),
        json!({"kty": "EC", "crv": "P-256", "kid": "short", "x": "AAAA", "y": "AAAA"}),
    ];
    let set = parse_jwks(&doc(&keys)).unwrap();
    assert_eq!(set.len(), 1);
    assert!(set.select("ed-1").is_some());
    let reasons: Vec<(usize, SkipReason)> = set
        .skipped()
        .iter()
        .map(|s| (s.index, s.reason.clone()))
        .collect();
    assert_eq!(reasons[0], (1, SkipReason::NotForSignatures));
    assert_eq!(reasons[1], (2, SkipReason::NotForSignatures));
    assert_eq!(reasons[2], (3, SkipReason::UnknownKeyType));
    assert_eq!(reasons[3], (4, SkipReason::NoKid));
    assert!(matches!(reasons[4], (5, SkipReason::InvalidKey(_))));
    assert_eq!(reasons[5], (6, SkipReason::UnsupportedAlgorithm));
    assert!(matches!(reasons[6], (7, SkipReason::InvalidKey(_))));
    assert_eq!(set.skipped()[2].kid.as_deref(), Some("future"));
}

#[test]
fn private_members_and_duplicate_kids_refuse_the_whole_set() {
    let private = json!({"kty": "OKP", "crv": "Ed25519", "kid": "p", "x": ED_X, "d": "c2VjcmV0"});
    assert!(matches!(
        parse_jwks(&doc(&[ed("ed-1"), private])),
        Err(JwksError::PrivateKey {
            index: 1,
            member: "d",
            ..
        })
    ));
    let oct = json!({"kty": "oct", "kid": "hs", "k": "c2VjcmV0"});
    let refused = parse_jwks(&doc(&[oct])).unwrap_err();
    assert!(matches!(refused, JwksError::PrivateKey { member: "k", .. }));
    assert!(
        !refused.to_string().contains("c2VjcmV0"),
        "no member value in errors"
    );
    assert_eq!(
        parse_jwks(&doc(&[ed("same"), ed("same")])).unwrap_err(),
        JwksError::DuplicateKid { kid: "same".into() }
    );
}

#[test]
fn documents_that_are_not_a_jwks_are_refused() {
    let twice = format!(
        r#"{{"keys": [{{"kty": "OKP", "crv": "Ed25519", "kid": "a", "kid": "b", "x": "{ED_X}"}}]}}"#
    );
    for bad in [
        twice.as_str(),
        "",
        "[]",
        "{}",
        r#"{"keys": {}}"#,
        r#"{"keys": [1]}"#,
        "{\"keys\": [",
    ] {
        assert!(
            matches!(parse_jwks(bad), Err(JwksError::Malformed { .. })),
            "{bad}"
        );
    }
    let big = format!(r#"{{"keys": [], "pad": "{}"}}"#, "a".repeat(MAX_JWKS_BYTES));
    assert!(matches!(parse_jwks(&big), Err(JwksError::TooLarge { .. })));
    let many: Vec<_> = (0..=MAX_JWKS_KEYS).map(|i| ed(&format!("k{i}"))).collect();
    assert!(matches!(
        parse_jwks(&doc(&many)),
        Err(JwksError::TooManyKeys { count: 257 })
    ));
    let empty = parse_jwks(r#"{"keys": []}"#).unwrap();
    assert!(empty.is_empty() && empty.into_keyring().is_none());
}

#[test]
fn max_age_is_read_and_kept_within_bounds() {
    let policy = JwksPolicy::default();
    let cases = [
        (None, 300),
        (Some("public, max-age=600"), 600),
        (Some("MAX-AGE=\"900\""), 900),
        (Some("max-age=5"), 60),
        (Some("max-age=99999999999999999999999"), 86_400),
        (Some("max-age=600, no-store"), 60),
        (Some("no-cache"), 60),
        (Some("max-age=60, max-age=600"), 60),
        (Some("max-age=-1"), 60),
        (Some("max-age="), 60),
        (Some("max-age"), 60),
        (Some("private"), 300),
    ];
    for (header, secs) in cases {
        assert_eq!(
            policy.freshness(header),
            Duration::from_secs(secs),
            "{header:?}"
        );
    }
}

#[test]
fn policy_settings_out_of_range_are_refused_by_name() {
    let s = Duration::from_secs;
    let setting = |r: Result<JwksPolicy, JwksError>| match r {
        Err(JwksError::InvalidConfig { setting, .. }) => setting,
        other => panic!("{other:?}"),
    };
    assert_eq!(setting(JwksPolicy::new(s(0), s(60), s(60), s(60))), "floor");
    assert_eq!(
        setting(JwksPolicy::new(s(10), s(5), s(60), s(60))),
        "min_max_age"
    );
    assert_eq!(
        setting(JwksPolicy::new(s(10), s(60), s(30), s(60))),
        "max_max_age"
    );
    let policy = JwksPolicy::new(s(5), s(30), s(90), s(1000)).unwrap();
    assert_eq!(policy.freshness(None), s(90), "the default is clamped too");
    assert_eq!(policy.floor(), s(5));
}

#[test]
fn an_empty_cache_fetches_and_a_fresh_one_with_the_kid_does_not() {
    let empty = JwksCache::new(JwksPolicy::default());
    assert_eq!(empty.decide(None, at(0)), Decision::Fetch);
    let cache = cache_with("ed-1", "max-age=600");
    assert_eq!(cache.decide(Some("ed-1"), at(1)), Decision::UseCached);
    assert_eq!(cache.decide(None, at(599)), Decision::UseCached);
    assert_eq!(
        cache.decide(Some("ed-1"), at(600)),
        Decision::Fetch,
        "stale"
    );
    assert_eq!(cache.fresh_until(), Some(at(600)));
}

#[test]
fn an_unknown_kid_fetches_but_not_more_often_than_the_floor() {
    let mut cache = cache_with("ed-1", "max-age=600");
    assert_eq!(cache.decide(Some("ed-9"), at(9)), Decision::UseCached);
    assert_eq!(cache.decide(Some("ed-9"), at(10)), Decision::Fetch);
    cache.fetch_failed(at(10));
    assert_eq!(cache.decide(Some("ed-9"), at(19)), Decision::UseCached);
    assert_eq!(cache.decide(Some("ed-9"), at(20)), Decision::Fetch);
}

#[test]
fn a_failed_fetch_keeps_the_last_good_set_even_when_stale() {
    let mut cache = cache_with("ed-1", "max-age=60");
    assert_eq!(cache.decide(Some("ed-1"), at(60)), Decision::Fetch);
    cache.fetch_failed(at(60));
    assert!(cache.key("ed-1").is_some());
    assert!(cache.fetched("not json", None, at(70)).is_err());
    assert!(cache.key("ed-1").is_some(), "a bad body is a failed fetch");
    assert_eq!(cache.decide(Some("ed-1"), at(79)), Decision::UseCached);
    assert_eq!(cache.decide(Some("ed-1"), at(80)), Decision::Fetch);
    cache.fetched(&doc(&[ed("ed-2")]), None, at(80)).unwrap();
    assert!(cache.key("ed-1").is_none() && cache.key("ed-2").is_some());
}

#[derive(Clone, Debug)]
enum Step {
    Verify { kid: u8, after: u16 },
    Answer { ok: bool },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..4, 0u16..120).prop_map(|(kid, after)| Step::Verify { kid, after }),
        any::<bool>().prop_map(|ok| Step::Answer { ok }),
    ]
}

proptest! {
    /// Whatever tokens arrive and however fetches end, two fetches are never
    /// closer than the floor, and the last good set is never lost.
    #[test]
    fn fetches_are_paced_by_the_floor(steps in proptest::collection::vec(step(), 1..80)) {
        let mut cache = JwksCache::new(JwksPolicy::default());
        let mut now = at(0);
        let mut pending = false;
        let mut last_fetch: Option<UnixTime> = None;
        let mut had_good = false;
        for step in steps {
            match step {
                Step::Verify { kid, after } => {
                    now = now.checked_add(Duration::from_secs(after.into())).unwrap();
                    let kid = format!("k{kid}");
                    if !pending && cache.decide(Some(&kid), now) == Decision::Fetch {
                        if let Some(prev) = last_fetch {
                            prop_assert!(now >= prev.checked_add(Duration::from_secs(10)).unwrap());
                        }
                        last_fetch = Some(now);
                        pending = true;
                    }
                }
                Step::Answer { ok } if pending => {
                    pending = false;
                    if ok {
                        cache.fetched(&doc(&[ed("k0"), ed("k1")]), Some("max-age=60"), now).unwrap();
                        had_good = true;
                    } else {
                        cache.fetch_failed(now);
                    }
                }
                Step::Answer { .. } => {}
            }
            prop_assert_eq!(cache.keys().is_some(), had_good);
        }
    }

    /// No `Cache-Control` value escapes the bounds (or panics).
    #[test]
    fn freshness_stays_within_bounds(header in ".{0,64}") {
        let fresh = JwksPolicy::default().freshness(Some(&header));
        prop_assert!(fresh >= Duration::from_secs(60) && fresh <= Duration::from_secs(86_400));
    }

    /// No document panics the parser, and every key it keeps has a distinct kid.
    #[test]
    fn parsing_never_panics(body in ".{0,256}") {
        if let Ok(set) = parse_jwks(&body) {
            prop_assert_eq!(set.len(), set.keys().filter_map(|k| k.kid()).count());
        }
    }
}
