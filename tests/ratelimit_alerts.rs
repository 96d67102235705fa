//! `ratelimit::alert`: each rule fires on the N+1-th event within its window, fires
//! once, re-arms after a quiet window, and keeps its memory bounded.

use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::alert::{
    Alert, AlertCounter, AlertPolicy, AlertRule, InvalidTokenAlerts, KeyedAlerts, RefreshAlerts,
};
use portcullis::ratelimit::state::{Write, rate_limit_step};
use portcullis::ratelimit::{FixedWindow, KeyedLimiterConfig, SlidingLog};
use portcullis::store::StoreErrorKind;

const T0: u64 = 1_800_000_000; // a multiple of 60: the start of a minute

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn config(max_keys: usize) -> KeyedLimiterConfig {
    let mut config = KeyedLimiterConfig::default();
    config.max_keys = max_keys;
    config.shards = 1;
    config
}

fn rules(alerts: &[Alert]) -> Vec<(&'static str, Option<&str>)> {
    alerts
        .iter()
        .map(|a| (a.rule.name(), a.key.as_deref()))
        .collect()
}

#[test]
fn the_global_invalid_token_rule_fires_on_the_event_after_n() {
    let alerts: InvalidTokenAlerts<FixedWindow> =
        InvalidTokenAlerts::per_minute(5, 100, config(16)).unwrap();
    for i in 0..5 {
        assert!(alerts.observe(None, at(T0 + i)).is_empty(), "event {i}");
    }
    let fired = alerts.observe(None, at(T0 + 10));
    assert_eq!(rules(&fired), [("invalid_tokens", None)]);
    let alert = &fired[0];
    assert_eq!(alert.threshold, 5);
    assert_eq!(alert.window, Duration::from_secs(60));
    assert_eq!(alert.at, at(T0 + 10));
    assert_eq!(
        alert.to_string(),
        "alert invalid_tokens: more than 5 events within 60 s"
    );
}

#[test]
fn the_per_client_rule_counts_each_client_apart() {
    let alerts: InvalidTokenAlerts<FixedWindow> =
        InvalidTokenAlerts::per_minute(1_000, 2, config(16)).unwrap();
    let now = at(T0);
    for _ in 0..2 {
        assert!(alerts.observe(Some("ip:198.51.100.7"), now).is_empty());
        assert!(alerts.observe(Some("ip:203.0.113.9"), now).is_empty());
    }
    let fired = alerts.observe(Some("ip:198.51.100.7"), now);
    assert_eq!(
        rules(&fired),
        [("invalid_tokens_per_client", Some("ip:198.51.100.7"))]
    );
    // The other client fires on its own third event, not before.
    let fired = alerts.observe(Some("ip:203.0.113.9"), now);
    assert_eq!(
        rules(&fired),
        [("invalid_tokens_per_client", Some("ip:203.0.113.9"))]
    );
    assert_eq!(alerts.per_client().len(), 2);
}

#[test]
fn global_and_client_rules_fire_together() {
    let alerts: InvalidTokenAlerts<SlidingLog> =
        InvalidTokenAlerts::per_minute(1, 1, config(16)).unwrap();
    assert!(alerts.observe(Some("user:42"), at(T0)).is_empty());
    let fired = alerts.observe(Some("user:42"), at(T0 + 1));
    assert_eq!(
        rules(&fired),
        [
            ("invalid_tokens", None),
            ("invalid_tokens_per_client", Some("user:42"))
        ]
    );
}

#[test]
fn an_alert_fires_once_while_the_flood_goes_on() {
    let counter: AlertCounter<SlidingLog> = AlertCounter::new(
        AlertPolicy::new(AlertRule::InvalidTokens, 3, Duration::from_secs(60)).unwrap(),
    );
    let mut fired = 0;
    // Ten events a second for five minutes: one alert.
    for tenth in 0..3_000 {
        let now = UnixTime::from_nanos(T0 * 1_000_000_000 + tenth * 100_000_000);
        fired += usize::from(counter.observe(now).is_some());
    }
    assert_eq!(fired, 1);
}

#[test]
fn an_alert_re_arms_after_a_quiet_window_only() {
    let counter: AlertCounter<SlidingLog> = AlertCounter::new(
        AlertPolicy::new(AlertRule::InvalidTokens, 2, Duration::from_secs(60)).unwrap(),
    );
    assert!(counter.observe(at(T0)).is_none());
    assert!(counter.observe(at(T0)).is_none());
    assert!(counter.observe(at(T0)).is_some());
    // Over the threshold again 30 s later: still firing, silent; it restarts the
    // quiet window, which now ends at T0 + 90.
    assert!(counter.observe(at(T0 + 30)).is_none());
    assert!(counter.observe(at(T0 + 30)).is_none());
    assert!(counter.observe(at(T0 + 30)).is_none());
    // Within the window below the threshold: quiet, but the window has not passed.
    assert!(counter.observe(at(T0 + 89)).is_none());
    assert!(counter.observe(at(T0 + 89)).is_none()); // 2 in the last 60 s
    assert!(counter.observe(at(T0 + 89)).is_none()); // the 3rd, still firing
    // From T0 + 149 the last event over the threshold is a whole window back.
    assert!(counter.observe(at(T0 + 150)).is_none());
    assert!(counter.observe(at(T0 + 150)).is_none());
    assert!(
        counter.observe(at(T0 + 150)).is_some(),
        "re-armed, fires again"
    );
}

#[test]
fn the_refresh_rule_fires_per_family_and_per_user() {
    let alerts: RefreshAlerts<SlidingLog> =
        RefreshAlerts::new(3, Duration::from_secs(300), config(16)).unwrap();
    for i in 0..3 {
        let fired = alerts
            .observe(Some("family-a"), Some("42"), at(T0 + i * 60))
            .unwrap();
        assert!(fired.is_empty(), "attempt {i}");
    }
    // A fourth attempt within 300 s, on another family of the same user.
    let fired = alerts
        .observe(Some("family-b"), Some("42"), at(T0 + 200))
        .unwrap();
    assert_eq!(rules(&fired), [("refresh_attempts_per_user", Some("42"))]);
    // The first family reaches its fourth attempt (T0 .. T0 + 240 within 300 s).
    let fired = alerts
        .observe(Some("family-a"), None, at(T0 + 240))
        .unwrap();
    assert_eq!(
        rules(&fired),
        [("refresh_attempts_per_family", Some("family-a"))]
    );
}

#[test]
fn refresh_attempts_spread_beyond_the_window_never_fire() {
    let alerts: RefreshAlerts<SlidingLog> =
        RefreshAlerts::new(2, Duration::from_secs(60), config(16)).unwrap();
    for i in 0..20 {
        let fired = alerts
            .observe(Some("f"), Some("u"), at(T0 + i * 31))
            .unwrap();
        assert!(fired.is_empty(), "attempt {i}");
    }
}

#[test]
fn a_fixed_window_counts_per_clock_minute() {
    let counter: AlertCounter<FixedWindow> = AlertCounter::new(
        AlertPolicy::new(AlertRule::InvalidTokens, 2, Duration::from_secs(60)).unwrap(),
    );
    // Two at the end of a minute and two at the start of the next: never 3 in one.
    for secs in [T0 + 58, T0 + 59, T0 + 60, T0 + 61] {
        assert!(counter.observe(at(secs)).is_none());
    }
    assert!(counter.observe(at(T0 + 62)).is_some());
}

#[test]
fn the_key_table_is_bounded_and_frees_quiet_keys() {
    let policy = AlertPolicy::new(
        AlertRule::InvalidTokensPerClient,
        1,
        Duration::from_secs(60),
    )
    .unwrap();
    let alerts: KeyedAlerts<SlidingLog> = KeyedAlerts::new(policy, config(2)).unwrap();
    alerts.observe("a", at(T0)).unwrap();
    alerts.observe("b", at(T0)).unwrap();
    let err = alerts.observe("c", at(T0 + 1)).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Full);
    assert_eq!(alerts.len(), 2);
    // A window later "a" and "b" no longer matter: "c" takes a freed place.
    assert_eq!(alerts.observe("c", at(T0 + 60)), Ok(None));
    assert!(alerts.len() <= 2);
    let held = alerts.len();
    assert_eq!(alerts.sweep(at(T0 + 200)), held);
    assert!(alerts.is_empty());
}

#[test]
fn a_firing_key_is_kept_until_its_quiet_window_passes() {
    let policy = AlertPolicy::new(
        AlertRule::InvalidTokensPerClient,
        1,
        Duration::from_secs(60),
    )
    .unwrap();
    let alerts: KeyedAlerts<SlidingLog> = KeyedAlerts::new(policy, config(1)).unwrap();
    alerts.observe("a", at(T0)).unwrap();
    assert!(alerts.observe("a", at(T0 + 50)).unwrap().is_some());
    // Its count expires at T0 + 60, but it fires until T0 + 110: not evicted.
    assert_eq!(
        alerts.observe("b", at(T0 + 80)).unwrap_err().kind(),
        StoreErrorKind::Full
    );
    assert_eq!(alerts.observe("b", at(T0 + 110)), Ok(None));
}

#[test]
fn a_host_can_store_alert_state_as_bytes() {
    use portcullis::ratelimit::alert::Alerting;
    let policy = AlertPolicy::new(
        AlertRule::RefreshAttemptsPerUser,
        1,
        Duration::from_secs(60),
    )
    .unwrap();
    let rate = policy.rate();
    let (first, write) = rate_limit_step::<Alerting<SlidingLog>>(rate, None, at(T0), 1).unwrap();
    assert!(first.allowed);
    let Write::Put { bytes, expires_at } = write else {
        panic!("the first event is stored");
    };
    assert_eq!(expires_at, at(T0 + 60));
    let (second, write) =
        rate_limit_step::<Alerting<SlidingLog>>(rate, Some(&bytes), at(T0 + 1), 1).unwrap();
    assert!(!second.allowed, "the second event is over the threshold");
    let Write::Put { expires_at, .. } = write else {
        panic!("the re-arm time is stored");
    };
    assert_eq!(
        expires_at,
        at(T0 + 61),
        "kept until the quiet window passes"
    );
}
