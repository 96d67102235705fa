//! `observe` with the `tracing` and `metrics` features: every decision point emits
//! its documented event (name, target, fields) and moves its documented metric
//! (name, labels), and no secret reaches either. A small `Subscriber` captures the
//! events; metrics-util's `DebuggingRecorder` captures the metrics. Both are
//! installed per thread, so the tests run in parallel.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use portcullis::apikey::ApiKeyPepper;
use portcullis::clock::UnixTime;
use portcullis::observe::{self, TARGET, event, metric};
use portcullis::password::Policy;
use portcullis::ratelimit::alert::{InvalidTokenAlerts, RefreshAlerts};
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{
    ClientKey, Gcra, KeyedLimiterConfig, RateTable, SlidingLog, TableLimiter,
};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, SigningKey, TokenConfig, TokenError, TokenPair, TokenService,
};
use portcullis::web::cors::{CorsDecision, CorsPolicy, CorsRequest};
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest};
use portcullis::web::drf_token::{self, DrfToken};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const SIGNING_KEY: &[u8] = b"the-signing-key-nobody-may-ever-log-0123456789";
const NOW: u64 = 1_800_000_000;
const PASSWORD: &str = "1234567";

/// One captured event or span: its name, target, level and fields as text.
#[derive(Clone, Debug)]
struct Captured {
    name: String,
    target: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A subscriber that keeps every event and span it sees.
#[derive(Clone, Default)]
struct Capture {
    events: Arc<Mutex<Vec<Captured>>>,
    spans: Arc<Mutex<Vec<Captured>>>,
    next_id: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

fn captured(meta: &Metadata<'_>, record: impl FnOnce(&mut Fields<'_>)) -> Captured {
    let mut fields = BTreeMap::new();
    record(&mut Fields(&mut fields));
    Captured {
        name: meta.name().to_owned(),
        target: meta.target().to_owned(),
        level: *meta.level(),
        fields,
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let span = captured(span.metadata(), |fields| span.record(fields));
        self.spans.lock().unwrap().push(span);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let event = captured(event.metadata(), |fields| event.record(fields));
        self.events.lock().unwrap().push(event);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// One metric as the recorder saw it.
struct Metric {
    name: String,
    labels: Vec<(String, String)>,
    description: Option<String>,
    value: DebugValue,
}

/// A counter's name, its labels and the count it should show.
type Expected<'a> = (&'a str, &'a [(&'a str, &'a str)], u64);

/// What `run` observed.
struct Observed {
    events: Vec<Captured>,
    spans: Vec<Captured>,
    metrics: Vec<Metric>,
}

impl Observed {
    fn named(&self, name: &str) -> Vec<&Captured> {
        self.events.iter().filter(|e| e.name == name).collect()
    }

    fn one(&self, name: &str) -> &Captured {
        let found = self.named(name);
        assert_eq!(found.len(), 1, "{name}: {:#?}", self.events);
        found[0]
    }

    /// The counter `name` with exactly `labels` (0 when never incremented).
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.metrics
            .iter()
            .filter(|m| m.name == name && same_labels(&m.labels, labels))
            .map(|m| match &m.value {
                DebugValue::Counter(n) => *n,
                other => panic!("{name} is not a counter: {other:?}"),
            })
            .sum()
    }

    /// Asserts each `(metric, labels, count)`.
    fn assert_counters(&self, expected: &[Expected<'_>]) {
        for (name, labels, count) in expected {
            assert_eq!(self.counter(name, labels), *count, "{name} {labels:?}");
        }
    }

    /// Asserts one `event` with `code`, counted once under `metric` with `check`.
    fn assert_refusal(&self, event: &str, metric: &str, check: &str, code: &str) {
        assert_eq!(self.one(event).field("code"), Some(code), "{event}");
        let labels = [("check", check), ("code", code)];
        assert_eq!(self.counter(metric, &labels), 1, "{metric} {labels:?}");
    }

    fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.metrics
            .iter()
            .filter(|m| m.name == name && same_labels(&m.labels, labels))
            .flat_map(|m| match &m.value {
                DebugValue::Histogram(values) => values.iter().map(|v| v.0).collect::<Vec<_>>(),
                other => panic!("{name} is not a histogram: {other:?}"),
            })
            .collect()
    }

    /// Asserts that none of `secrets` occurs in any event or span field, metric
    /// name or label.
    fn assert_no_secret(&self, secrets: &[&str]) {
        let mut texts: Vec<String> = Vec::new();
        for e in self.events.iter().chain(&self.spans) {
            texts.extend(e.fields.values().cloned());
        }
        for m in &self.metrics {
            texts.push(m.name.clone());
            texts.extend(m.labels.iter().map(|(k, v)| format!("{k}={v}")));
        }
        for secret in secrets {
            for text in &texts {
                assert!(!text.contains(secret), "{secret:?} leaked into {text:?}");
            }
        }
    }
}

fn same_labels(got: &[(String, String)], want: &[(&str, &str)]) -> bool {
    let mut got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut want = want.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    got == want
}

/// Runs `body` with the capturing subscriber and a debugging recorder installed
/// on this thread.
fn run(body: impl FnOnce()) -> Observed {
    let capture = Capture::default();
    let recorder = DebuggingRecorder::new();
    let snapshotter: Snapshotter = recorder.snapshotter();
    tracing::subscriber::with_default(capture.clone(), || {
        metrics::with_local_recorder(&recorder, body);
    });
    let metrics = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, description, value)| {
            let labels = key
                .key()
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            Metric {
                name: key.key().name().to_owned(),
                labels,
                description: description.map(|d| d.to_string()),
                value,
            }
        })
        .collect();
    let events = capture.events.lock().unwrap().clone();
    let spans = capture.spans.lock().unwrap().clone();
    Observed {
        events,
        spans,
        metrics,
    }
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

/// Runs `body` on a fresh service and a pair issued for user 42 at [`NOW`],
/// observed as [`run`] does.
fn run_with_pair(body: impl FnOnce(&TokenService, &TokenPair)) -> Observed {
    run(|| {
        let tokens = service();
        let pair = tokens.issue_pair("42", &(), at(NOW)).unwrap();
        body(&tokens, &pair);
    })
}

fn service() -> TokenService {
    let key = SecretBytes::from_slice(SIGNING_KEY);
    let keyring = Keyring::new(SigningKey::hmac(Algorithm::HS256, &key).unwrap());
    TokenService::in_memory(TokenConfig::hardened(), keyring).unwrap()
}

#[test]
fn events_have_the_documented_target_and_event_field() {
    let seen = run_with_pair(|tokens, pair| {
        tokens.verify_access(&pair.access, at(NOW)).unwrap();
    });
    assert!(!seen.events.is_empty());
    for e in &seen.events {
        assert_eq!(e.target, TARGET);
        assert_eq!(e.field("event"), Some(e.name.as_str()));
        assert!(e.name.starts_with("portcullis."), "{}", e.name);
    }
}

#[test]
fn issuing_and_verifying_report_kind_and_user() {
    let now = at(NOW);
    let mut tokens_seen = Vec::new();
    let seen = run_with_pair(|tokens, pair| {
        tokens.verify_access(&pair.access, now).unwrap();
        tokens_seen.extend([pair.access.clone(), pair.refresh.clone()]);
    });
    let issued = seen.named(event::TOKEN_ISSUED);
    let kinds: Vec<_> = issued.iter().map(|e| e.field("kind").unwrap()).collect();
    assert_eq!(kinds, ["refresh", "access"]);
    assert!(issued.iter().all(|e| e.field("user.id") == Some("42")));
    assert!(issued.iter().all(|e| e.level == tracing::Level::INFO));
    let verified = seen.one(event::TOKEN_VERIFIED);
    assert_eq!(verified.field("kind"), Some("access"));
    assert_eq!(verified.field("user.id"), Some("42"));
    seen.assert_counters(&[
        (metric::TOKENS_ISSUED, &[("kind", "access")], 1),
        (metric::TOKENS_ISSUED, &[("kind", "refresh")], 1),
        (
            metric::TOKEN_VERIFICATIONS,
            &[("kind", "access"), ("result", "ok")],
            1,
        ),
    ]);
    let secrets: Vec<&str> = tokens_seen.iter().map(String::as_str).collect();
    seen.assert_no_secret(&secrets);
    seen.assert_no_secret(&[std::str::from_utf8(SIGNING_KEY).unwrap()]);
}

#[test]
fn refusals_carry_the_simplejwt_code_reason_and_rule() {
    let now = at(NOW);
    let mut presented = Vec::new();
    let seen = run_with_pair(|tokens, pair| {
        // Expired: an hour after a 15-minute access token.
        let late = at(NOW + 3_600);
        assert_eq!(
            tokens.verify_access(&pair.access, late),
            Err(TokenError::Expired)
        );
        // Wrong type: the refresh token where an access token is needed.
        assert_eq!(
            tokens.verify_access(&pair.refresh, now),
            Err(TokenError::WrongType)
        );
        // A token signed with another key.
        let other = SecretBytes::from_slice(b"another-signing-key-of-at-least-32-bytes");
        let other = Keyring::new(SigningKey::hmac(Algorithm::HS256, &other).unwrap());
        let other = TokenService::in_memory(TokenConfig::hardened(), other).unwrap();
        let forged = other.issue_pair("42", &(), now).unwrap().access;
        assert!(tokens.verify_access(&forged, now).is_err());
        presented.extend([pair.access.clone(), pair.refresh.clone(), forged]);
    });
    let refused = seen.named(event::TOKEN_REFUSED);
    let summary: Vec<_> = refused
        .iter()
        .map(|e| {
            (
                e.field("kind").unwrap(),
                e.field("code").unwrap(),
                e.field("reason").unwrap(),
                e.field("rule").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("access", "token_not_valid", "expired", "expired"),
            ("access", "token_not_valid", "wrong_type", "wrong_type"),
            ("access", "token_not_valid", "invalid", "signature"),
        ]
    );
    assert!(refused.iter().all(|e| e.level == tracing::Level::WARN));
    let refusal = |reason| {
        (
            metric::TOKEN_REFUSALS,
            [("kind", "access"), ("reason", reason)],
        )
    };
    let refusals = [
        refusal("expired"),
        refusal("wrong_type"),
        refusal("invalid"),
    ];
    let mut expected: Vec<Expected<'_>> = refusals.iter().map(|(m, l)| (*m, &l[..], 1)).collect();
    let refused_verifications = [("kind", "access"), ("result", "refused")];
    expected.push((metric::TOKEN_VERIFICATIONS, &refused_verifications, 3));
    seen.assert_counters(&expected);
    let secrets: Vec<&str> = presented.iter().map(String::as_str).collect();
    seen.assert_no_secret(&secrets);
}

#[test]
fn rotation_reuse_and_revoke_all_are_reported() {
    let now = at(NOW);
    let seen = run_with_pair(|tokens, pair| {
        let next = tokens.refresh(&pair.refresh, now).unwrap();
        assert_eq!(tokens.refresh(&pair.refresh, now), Err(TokenError::Reused));
        // The family is revoked: its access token is blacklisted.
        assert_eq!(
            tokens.verify_access(&next.access, now),
            Err(TokenError::Blacklisted)
        );
        tokens.revoke_user_before("42", now).unwrap();
    });
    let results: Vec<_> = seen
        .named(event::TOKEN_REFRESHED)
        .iter()
        .map(|e| e.field("result").unwrap())
        .collect();
    assert_eq!(results, ["rotated", "reused"]);
    assert_eq!(seen.one(event::TOKEN_ROTATED).field("user.id"), Some("42"));
    let reuse = seen.one(event::TOKEN_REUSE_DETECTED);
    assert_eq!(reuse.field("user.id"), Some("42"));
    assert_eq!(reuse.level, tracing::Level::WARN);
    assert_eq!(
        seen.one(event::TOKEN_REVOKED_ALL).field("user.id"),
        Some("42")
    );
    seen.assert_counters(&[
        (metric::TOKEN_REFRESHES, &[("result", "rotated")], 1),
        (metric::TOKEN_REFRESHES, &[("result", "reused")], 1),
        (metric::TOKEN_REVOCATIONS, &[("scope", "family")], 1),
        (metric::TOKEN_REVOCATIONS, &[("scope", "user")], 1),
        (
            metric::TOKEN_REFUSALS,
            &[("kind", "access"), ("reason", "blacklisted")],
            1,
        ),
    ]);
}

#[test]
fn a_refused_refresh_counts_as_refused() {
    let now = at(NOW);
    let seen = run(|| {
        let tokens = service();
        assert!(tokens.refresh("not.a.token", now).is_err());
    });
    assert_eq!(
        seen.counter(metric::TOKEN_REFRESHES, &[("result", "refused")]),
        1
    );
    let refused = seen.one(event::TOKEN_REFUSED);
    assert_eq!(refused.field("kind"), Some("refresh"));
    assert_eq!(refused.field("rule"), Some("malformed"));
}

#[test]
fn rate_limit_decisions_label_the_scope_and_log_the_client() {
    let now = at(NOW);
    let seen = run(|| {
        let table = RateTable::from_pairs([("login", "1/m")]).unwrap();
        let limiter: TableLimiter<Gcra> =
            TableLimiter::new(&table, KeyedLimiterConfig::default()).unwrap();
        let client = ClientKey::ip("203.0.113.7".parse().unwrap());
        assert_eq!(
            limiter
                .check("login", &client, now)
                .unwrap()
                .unwrap()
                .status,
            200
        );
        assert_eq!(
            limiter
                .check("login", &client, now)
                .unwrap()
                .unwrap()
                .status,
            429
        );
    });
    let limited = seen.one(event::RATE_LIMITED);
    assert_eq!(limited.field("scope"), Some("login"));
    assert_eq!(limited.field("client"), Some("ip:203.0.113.7"));
    assert_eq!(limited.field("retry_after_s"), Some("60.0"));
    for result in ["allowed", "limited"] {
        let labels = [("scope", "login"), ("result", result)];
        assert_eq!(seen.counter(metric::RATELIMIT_DECISIONS, &labels), 1);
    }
    assert_eq!(
        seen.histogram(metric::RATELIMIT_RETRY_AFTER, &[("scope", "login")]),
        [60.0]
    );
    // The client key is an event field, never a label.
    for m in &seen.metrics {
        assert!(m.labels.iter().all(|(_, v)| !v.contains("203.0.113.7")));
    }
}

#[test]
fn lockouts_are_reported_once_when_engaged_and_when_released() {
    let now = at(NOW);
    let seen = run(|| {
        let guard = LoginGuard::default();
        let mut states = Default::default();
        for _ in 0..8 {
            states = guard.record_failure(&states, now);
        }
        assert!(!guard.status(&states, now).is_open());
        guard.unlock(&states);
    });
    let engaged = seen.one(event::LOCKOUT_ENGAGED);
    assert_eq!(engaged.field("lockout_s"), Some("60.0"));
    assert_eq!(
        seen.one(event::LOCKOUT_RELEASED).field("cause"),
        Some("unlock")
    );
    assert_eq!(seen.counter(metric::LOCKOUTS, &[("event", "engaged")]), 1);
    assert_eq!(seen.counter(metric::LOCKOUTS, &[("event", "released")]), 1);
    assert_eq!(seen.histogram(metric::LOCKOUT_DURATION, &[]), [60.0]);
}

#[test]
fn password_verdicts_report_codes_and_never_the_password() {
    let seen = run(|| {
        let policy = Policy::django();
        assert!(!policy.check(PASSWORD, None).is_empty());
        assert!(
            policy
                .check("a long and unusual passphrase", None)
                .is_empty()
        );
    });
    let rejected = seen.one(event::PASSWORD_REJECTED);
    assert_eq!(
        rejected.field("codes"),
        Some("password_too_short,password_too_common,password_entirely_numeric")
    );
    seen.assert_counters(&[
        (metric::PASSWORD_VERDICTS, &[("result", "rejected")], 1),
        (metric::PASSWORD_VERDICTS, &[("result", "accepted")], 1),
        (
            metric::PASSWORD_REJECTIONS,
            &[("code", "password_too_common")],
            1,
        ),
    ]);
    seen.assert_no_secret(&[PASSWORD, "a long and unusual passphrase"]);
}

#[test]
fn csrf_and_cors_refusals_report_their_codes() {
    let seen = run(|| {
        let csrf = CsrfPolicy::new(&[], None).unwrap();
        let request = CsrfRequest {
            method: "POST",
            secure: true,
            host: Some("app.example"),
            port: 443,
            origin: Some("https://evil.example"),
            referer: None,
            cookie: None,
            form_token: None,
            header_token: None,
        };
        assert!(csrf.check(&request).is_err());
        let cors = CorsPolicy::builder()
            .allow_origin("https://app.example")
            .build()
            .unwrap();
        let request = CorsRequest {
            method: "GET",
            origin: Some("https://evil.example"),
            request_method: None,
            request_headers: None,
        };
        assert!(matches!(
            cors.evaluate(&request),
            CorsDecision::Rejected { .. }
        ));
    });
    seen.assert_refusal(
        event::CSRF_REFUSED,
        metric::WEB_REFUSALS,
        "csrf",
        "csrf_bad_origin",
    );
    let code = "cors_origin_not_allowed";
    seen.assert_refusal(event::CORS_REFUSED, metric::WEB_REFUSALS, "cors", code);
}

#[test]
fn the_request_span_carries_the_client_address() {
    let seen = run(|| {
        let span = observe::request_span(Some("203.0.113.7"), Some("42"));
        let _entered = span.enter();
    });
    let span = seen
        .spans
        .iter()
        .find(|s| s.name == "portcullis.request")
        .unwrap();
    assert_eq!(span.target, TARGET);
    assert_eq!(span.field("client.ip"), Some("203.0.113.7"));
    assert_eq!(span.field("user.id"), Some("42"));
}

#[test]
fn every_metric_is_described_and_named_by_the_convention() {
    let seen = run(|| {
        observe::describe_metrics();
        // Describing alone registers nothing; touch each to see its description.
        for (name, _) in metric::ALL {
            if name.ends_with("_seconds") {
                metrics::histogram!(name).record(1.0);
            } else {
                metrics::counter!(name).increment(1);
            }
        }
    });
    let mut names: Vec<&str> = metric::ALL.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), metric::ALL.len(), "duplicate metric names");
    for (name, help) in metric::ALL {
        assert!(name.starts_with("portcullis_"), "{name}");
        assert!(
            name.ends_with("_total") || name.ends_with("_seconds"),
            "{name}"
        );
        let described = seen
            .metrics
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.description.clone());
        assert_eq!(described.as_deref(), Some(help), "{name}");
    }
}

#[cfg(feature = "jose")]
#[test]
fn jwe_and_dpop_refusals_report_their_codes() {
    use portcullis::jose::dpop::{DpopVerifier, MemoryReplayStore, Request};
    use portcullis::jose::jwe::{JweDecryptor, JweKey};

    let seen = run(|| {
        let key = JweKey::from_jwk(r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#).unwrap();
        assert!(
            JweDecryptor::new(key)
                .decrypt("not.a.compact.jwe.!")
                .is_err()
        );
        let request = Request::new("POST", "https://api.example/token");
        let store = MemoryReplayStore::new(16);
        let verified = DpopVerifier::new().verify("not-a-proof", &request, &store, at(NOW));
        assert!(verified.is_err());
    });
    seen.assert_refusal(
        event::JWE_REFUSED,
        metric::JOSE_REFUSALS,
        "jwe",
        "invalid_token",
    );
    let code = "invalid_dpop_proof";
    seen.assert_refusal(event::DPOP_REFUSED, metric::JOSE_REFUSALS, "dpop", code);
}

#[test]
fn drf_token_checks_report_issue_verdicts_and_migration_never_the_key() {
    let now = at(NOW);
    let mut secrets = Vec::new();
    let seen = run(|| {
        let pepper = ApiKeyPepper::new(SecretBytes::from_slice(&[7; 32])).unwrap();
        let issued = DrfToken::generate().unwrap();
        let stored = issued.digest(&pepper);
        let presented = DrfToken::parse(issued.expose_secret()).unwrap();
        presented.verify(&pepper, &stored, None, now).unwrap();
        // Another key's digest: no match.
        let other = DrfToken::generate().unwrap().digest(&pepper);
        assert!(presented.verify(&pepper, &other, None, now).is_err());
        // The expiring variant, past its life.
        assert!(presented.verify(&pepper, &stored, Some(now), now).is_err());
        assert!(DrfToken::parse("not-forty-hex").is_err());
        assert!(drf_token::parse_token_header(b"Token", "Token").is_err());
        assert!(drf_token::parse_token_header(b"Token a b", "Token").is_err());
        // Another scheme is not a refusal: another authenticator may take it.
        assert_eq!(
            drf_token::parse_token_header(b"Bearer x", "Token"),
            Ok(None)
        );
        let replacement =
            drf_token::migrate_to_api_key("acme", now, std::time::Duration::from_secs(60)).unwrap();
        secrets.extend([
            issued.expose_secret().to_owned(),
            stored.to_string(),
            other.to_string(),
            replacement.key.expose_secret().to_owned(),
        ]);
    });
    assert_eq!(seen.named(event::DRF_TOKEN_ISSUED).len(), 2);
    assert_eq!(
        seen.one(event::DRF_TOKEN_VERIFIED).level,
        tracing::Level::DEBUG
    );
    let codes: Vec<_> = seen
        .named(event::DRF_TOKEN_REFUSED)
        .iter()
        .map(|e| e.field("code").unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "invalid_token",
            "expired",
            "malformed",
            "no_credentials",
            "contains_spaces"
        ]
    );
    let migrated = seen.one(event::DRF_TOKEN_MIGRATED);
    assert_eq!(migrated.field("prefix"), Some("acme"));
    let mut expected: Vec<Expected<'_>> = vec![
        (metric::DRF_TOKENS_ISSUED, &[], 2),
        (metric::DRF_TOKEN_VERIFICATIONS, &[("result", "ok")], 1),
        (metric::DRF_TOKEN_VERIFICATIONS, &[("result", "refused")], 5),
        (metric::DRF_TOKEN_MIGRATIONS, &[], 1),
    ];
    let refusals: Vec<[(&str, &str); 1]> = codes.iter().map(|code| [("code", *code)]).collect();
    expected.extend(
        refusals
            .iter()
            .map(|l| (metric::DRF_TOKEN_REFUSALS, &l[..], 1)),
    );
    seen.assert_counters(&expected);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    seen.assert_no_secret(&secrets);
}

#[test]
fn fired_alerts_report_rule_and_key_and_count_by_rule_only() {
    let now = at(NOW);
    let seen = run(|| {
        let config = KeyedLimiterConfig::default();
        let invalid: InvalidTokenAlerts<SlidingLog> =
            InvalidTokenAlerts::per_minute(2, 1, config).unwrap();
        let client = Some("ip:203.0.113.7");
        assert!(invalid.observe(client, now).is_empty());
        assert_eq!(invalid.observe(client, now).len(), 1); // the client's
        assert_eq!(invalid.observe(client, now).len(), 1); // the global one
        assert!(invalid.observe(client, now).is_empty()); // each fires once
        let window = std::time::Duration::from_secs(300);
        let refresh: RefreshAlerts<SlidingLog> = RefreshAlerts::new(1, window, config).unwrap();
        assert!(
            refresh
                .observe(Some("family-9"), Some("42"), now)
                .unwrap()
                .is_empty()
        );
        let fired = refresh.observe(Some("family-9"), Some("42"), now).unwrap();
        assert_eq!(fired.len(), 2);
    });
    let fired: Vec<_> = seen
        .named(event::ALERT_FIRED)
        .iter()
        .map(|e| {
            assert_eq!(e.level, tracing::Level::WARN);
            (
                e.field("rule").unwrap(),
                e.field("key"),
                e.field("threshold").unwrap(),
                e.field("window_s").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [
            (
                "invalid_tokens_per_client",
                Some("ip:203.0.113.7"),
                "1",
                "60"
            ),
            ("invalid_tokens", None, "2", "60"),
            ("refresh_attempts_per_family", Some("family-9"), "1", "300"),
            ("refresh_attempts_per_user", Some("42"), "1", "300"),
        ]
    );
    let rules = [
        "invalid_tokens_per_client",
        "invalid_tokens",
        "refresh_attempts_per_family",
        "refresh_attempts_per_user",
    ];
    let labels: Vec<[(&str, &str); 1]> = rules.iter().map(|rule| [("rule", *rule)]).collect();
    let expected: Vec<Expected<'_>> = labels.iter().map(|l| (metric::ALERTS, &l[..], 1)).collect();
    seen.assert_counters(&expected);
    // The keys are event fields, never labels.
    for m in seen.metrics.iter().filter(|m| m.name == metric::ALERTS) {
        assert_eq!(m.labels.len(), 1);
        assert_eq!(m.labels[0].0, "rule");
    }
}
