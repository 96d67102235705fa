use super::*;
use crate::clock::UnixTime;
use crate::store::StoreErrorKind;
use std::time::Duration;

fn event(id: &str, secs: u64) -> AuditEvent {
    AuditEvent::new(
        "user:1",
        "post:publish",
        "post",
        id,
        UnixTime::from_secs(secs).unwrap(),
    )
    .unwrap()
}

fn key() -> AuditKey {
    AuditKey::new(SecretBytes::from_slice(&[5; 32])).unwrap()
}

fn chain_of(n: u64) -> Vec<AuditRecord> {
    let mut chain = AuditChain::new(key());
    let mut sink = MemorySink::new(100);
    for i in 0..n {
        let event = AuditEvent::new(
            "user:1",
            "post:publish",
            "post",
            &i.to_string(),
            UnixTime::from_secs(1_700_000_000 + i).unwrap(),
        )
        .unwrap()
        .with_ip("203.0.113.9".parse().unwrap())
        .with_user_agent("curl/8")
        .with_metadata(serde_json::json!({"b": 1, "a": [true, null, "x"]}))
        .unwrap();
        chain.record(event, &mut sink).unwrap();
    }
    sink.records().to_vec()
}

#[test]
fn an_intact_chain_verifies_and_survives_json_lines() {
    let records = chain_of(5);
    let summary = verify_chain(&key(), &records).unwrap();
    assert_eq!(summary.count, 5);
    assert_eq!(summary.head_mac, records[4].mac);
    assert_eq!(records[0].prev_mac, "0".repeat(64));
    let mut sink = MemorySink::new(10);
    for r in &records {
        sink.write(r).unwrap();
    }
    let back: Vec<AuditRecord> = sink
        .to_json_lines()
        .lines()
        .map(|l| AuditRecord::from_json_line(l).unwrap())
        .collect();
    assert_eq!(back, records);
    assert!(verify_chain(&key(), &back).is_ok());
}

#[test]
fn modification_removal_and_reordering_are_named() {
    let records = chain_of(5);
    let mut modified = records.clone();
    modified[2].event = AuditEvent::new(
        "user:2",
        "post:publish",
        "post",
        "2",
        modified[2].event.at(),
    )
    .unwrap();
    assert_eq!(
        verify_chain(&key(), &modified).unwrap_err(),
        ChainBreak {
            index: 2,
            seq: 2,
            kind: BreakKind::Modified
        }
    );
    let mut meta = records.clone();
    meta[3].event = meta[3]
        .event
        .clone()
        .with_metadata(serde_json::json!({"b": 2, "a": [true, null, "x"]}))
        .unwrap();
    assert_eq!(verify_chain(&key(), &meta).unwrap_err().index, 3);

    let mut removed = records.clone();
    removed.remove(1);
    assert_eq!(
        verify_chain(&key(), &removed).unwrap_err(),
        ChainBreak {
            index: 1,
            seq: 2,
            kind: BreakKind::Missing
        }
    );
    let mut swapped = records.clone();
    swapped.swap(1, 3);
    assert_eq!(
        verify_chain(&key(), &swapped).unwrap_err(),
        ChainBreak {
            index: 1,
            seq: 3,
            kind: BreakKind::Missing
        }
    );
    let mut back = records.clone();
    back.swap(2, 1);
    let err = verify_chain(&key(), &back).unwrap_err();
    assert_eq!(err.index, 1);
    let mut repeated = records.clone();
    repeated.insert(3, records[1].clone());
    assert_eq!(
        verify_chain(&key(), &repeated).unwrap_err(),
        ChainBreak {
            index: 3,
            seq: 1,
            kind: BreakKind::Reordered
        }
    );
    let other = AuditKey::new(SecretBytes::from_slice(&[6; 32])).unwrap();
    assert_eq!(
        verify_chain(&other, &records).unwrap_err().kind,
        BreakKind::Modified
    );
}

#[test]
fn metadata_key_order_does_not_matter() {
    let records = chain_of(1);
    let line = records[0].to_json_line().replace(
        r#"{"a":[true,null,"x"],"b":1}"#,
        r#"{"b":1,"a":[true,null,"x"]}"#,
    );
    let reparsed = AuditRecord::from_json_line(&line).unwrap();
    assert!(verify_chain(&key(), &[reparsed]).is_ok());
}

#[test]
fn streaming_verifier_reports_each_break_once() {
    let mut records = chain_of(5);
    records[1].event = event("999", 1_700_000_001);
    let key = key();
    let mut verifier = AuditVerifier::new(&key);
    let results: Vec<bool> = records.iter().map(|r| verifier.check(r).is_ok()).collect();
    assert_eq!(results, [true, false, true, true, true]);
}

#[test]
fn the_chain_resumes_and_the_sink_is_bounded() {
    let records = chain_of(2);
    let mut chain = AuditChain::resume(key(), &records[1]).unwrap();
    let mut sink = MemorySink::new(1);
    let event = AuditEvent::new("u", "a:b", "t", "1", UnixTime::EPOCH).unwrap();
    let third = chain.record(event.clone(), &mut sink).unwrap();
    let mut all = records.clone();
    all.push(third);
    assert!(verify_chain(&key(), &all).is_ok());
    assert_eq!(
        chain.record(event, &mut sink).unwrap_err(),
        AuditError::Sink(StoreError::full())
    );
    assert_eq!(sink.dropped(), 1);
    assert_eq!(chain.dropped(), 1);
}

#[test]
fn bad_events_and_keys_are_refused() {
    for action in ["publish", "post:", ":x", "Post:publish", "a:b:c", "a b:c"] {
        assert!(
            AuditEvent::new("u", action, "t", "1", UnixTime::EPOCH).is_err(),
            "{action}"
        );
    }
    assert_eq!(
        AuditEvent::new("", "a:b", "t", "1", UnixTime::EPOCH).unwrap_err(),
        AuditError::InvalidField { field: "actor" }
    );
    assert!(AuditKey::new(SecretBytes::from_slice(&[1; 31])).is_err());
    assert!(AuditRecord::from_json_line("{}").is_err());
    assert!(AuditRecord::from_json_line("not json").is_err());
}

#[test]
fn duplicate_metadata_keys_are_refused_at_any_depth() {
    let record = chain_of(1).remove(0);
    let line = record.to_json_line();
    for (from, to) in [
        (
            r#""metadata":{"#,
            r#""metadata":{"role":"admin","role":"user","#,
        ),
        (r#""a":["#, r#""a":[{"x":1,"x":2},"#),
        (r#""seq":0,"#, r#""seq":0,"seq":0,"#),
    ] {
        let doubled = line.replacen(from, to, 1);
        assert_ne!(doubled, line);
        assert!(
            matches!(
                AuditRecord::from_json_line(&doubled),
                Err(AuditError::MalformedRecord { .. })
            ),
            "accepted {doubled}"
        );
    }
}

#[test]
fn fields_are_capped_on_write_and_read() {
    let ua = "x".repeat(10_000);
    let capped = event("1", 0).with_user_agent(&ua);
    assert_eq!(capped.user_agent().map(str::len), Some(MAX_USER_AGENT_LEN));
    // A cut never splits a character.
    let wide = "é".repeat(400);
    let cut = event("1", 0).with_user_agent(&wide);
    assert_eq!(cut.user_agent().map(str::len), Some(MAX_USER_AGENT_LEN));

    let line = chain_of(1).remove(0).to_json_line();
    for (from, to) in [
        ("\"curl/8\"", format!("\"{ua}\"")),
        ("\"203.0.113.9\"", "\"not an address\"".to_owned()),
        ("\"203.0.113.9\"", "\"::ffff:203.0.113.9 \"".to_owned()),
        (
            "\"b\":1",
            format!("\"b\":\"{}\"", "v".repeat(MAX_METADATA_LEN)),
        ),
        (
            "\"entity_id\":\"0\"",
            format!("\"entity_id\":\"{}\"", "0".repeat(300)),
        ),
        (
            "\"at\":1700000000",
            "\"at\":18446744073709551615".to_owned(),
        ),
    ] {
        let bad = line.replacen(from, &to, 1);
        assert_ne!(bad, line);
        assert!(
            AuditRecord::from_json_line(&bad).is_err(),
            "accepted {from} -> {to}"
        );
    }
    let long_line = format!("{}{}", " ".repeat(MAX_RECORD_LINE_LEN), line);
    assert!(AuditRecord::from_json_line(&long_line).is_err());

    assert_eq!(
        event("1", 0).with_metadata(serde_json::json!({"k": "v".repeat(MAX_METADATA_LEN)})),
        Err(AuditError::MetadataTooLarge)
    );
    let mut deep = serde_json::json!(1);
    for _ in 0..=MAX_METADATA_DEPTH {
        deep = serde_json::json!([deep]);
    }
    assert_eq!(
        event("1", 0).with_metadata(deep),
        Err(AuditError::MetadataTooLarge)
    );
    assert!(
        event("1", 0)
            .with_metadata(serde_json::json!({"a": {"b": [1]}}))
            .is_ok()
    );
}

/// A sink that refuses while `down` is set.
struct Flaky {
    inner: MemorySink,
    down: bool,
}

impl AuditSink for Flaky {
    fn write(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        if self.down {
            return Err(StoreError::with_source(
                StoreErrorKind::Unavailable,
                std::io::Error::other("disk full"),
            ));
        }
        self.inner.write(record)
    }
}

#[test]
fn dropped_records_leave_a_gap_marker_the_verifier_counts() {
    let mut chain = AuditChain::new(key());
    let mut sink = Flaky {
        inner: MemorySink::new(100),
        down: false,
    };
    chain.record(event("0", 10), &mut sink).unwrap();
    sink.down = true;
    for i in 1..4 {
        let err = chain
            .record(event(&i.to_string(), 10 + i), &mut sink)
            .unwrap_err();
        assert!(matches!(err, AuditError::Sink(ref e) if e.kind() == StoreErrorKind::Unavailable));
    }
    assert_eq!(chain.dropped(), 3);
    sink.down = false;
    chain.record(event("4", 20), &mut sink).unwrap();
    assert_eq!(chain.dropped(), 0);

    let records = sink.inner.records();
    assert_eq!(records.len(), 3, "first, marker, last");
    let marker = &records[1].event;
    assert!(marker.is_gap_marker());
    assert_eq!(marker.action(), GAP_ACTION);
    assert_eq!(
        marker.metadata(),
        &serde_json::json!({"dropped": 3, "since": 11})
    );
    let summary = verify_chain(&key(), records).unwrap();
    assert_eq!((summary.count, summary.dropped), (3, 3));
    let lines: Vec<AuditRecord> = records
        .iter()
        .map(|r| AuditRecord::from_json_line(&r.to_json_line()).unwrap())
        .collect();
    assert_eq!(verify_chain(&key(), &lines).unwrap().dropped, 3);
}

#[test]
fn refusals_are_aggregated_per_key_and_window() {
    let t = |s| UnixTime::from_secs(s).unwrap();
    let mut agg = RefusalAggregator::new(Duration::from_secs(60), 2).unwrap();
    assert_eq!(agg.refuse("a", t(0)), Refusal::Record { previous: None });
    for s in 1..50 {
        assert_eq!(agg.refuse("a", t(s)), Refusal::Suppressed);
    }
    assert_eq!(agg.refuse("b", t(10)), Refusal::Record { previous: None });
    // Full: a third key shares the overflow window.
    assert_eq!(agg.refuse("c", t(11)), Refusal::Record { previous: None });
    assert_eq!(agg.refuse("d", t(12)), Refusal::Suppressed);
    assert_eq!(agg.len(), 2 + 1);
    // The next window of "a" is audited and carries the summary of the last.
    let Refusal::Record {
        previous: Some(prev),
    } = agg.refuse("a", t(60))
    else {
        panic!("expected a record with the previous window");
    };
    assert_eq!(
        (prev.key(), prev.start(), prev.suppressed()),
        ("a", t(0), 49)
    );
    assert_eq!(
        prev.metadata(),
        serde_json::json!({"suppressed": 49, "window_start": 0})
    );
    let drained = agg.drain(t(100));
    let keys: Vec<_> = drained.iter().map(|s| (s.key(), s.suppressed())).collect();
    assert_eq!(keys, [(OVERFLOW_KEY, 1)]);
    assert_eq!(agg.len(), 1, "only the open window of a is left");
    assert!(agg.drain(t(120)).is_empty());
    assert!(agg.is_empty());
    assert!(RefusalAggregator::new(Duration::ZERO, 1).is_err());
    assert!(RefusalAggregator::new(Duration::from_secs(60), 0).is_err());
    let long = "k".repeat(1000);
    assert_eq!(agg.refuse(&long, t(0)), Refusal::Record { previous: None });
    assert_eq!(
        agg.refuse(&long[..MAX_FIELD_LEN], t(1)),
        Refusal::Suppressed
    );
}

/// Two records written before the event gained `workspace` and `at` (the first
/// chain format): they must keep verifying.
const FIRST_FORMAT: [&str; 2] = [
    r#"{"seq":0,"event":{"actor":"user:1","action":"post:publish","entity_type":"post","entity_id":"0","time":1700000000,"ip":"203.0.113.9","user_agent":"curl/8","metadata":{"a":[true,null,"x"],"b":1}},"prev_mac":"0000000000000000000000000000000000000000000000000000000000000000","mac":"93b0ca322e6b2c3e2f8a44e655f74382068b06db7ceb8694f7b1e58b70b49788"}"#,
    r#"{"seq":1,"event":{"actor":"user:1","action":"post:publish","entity_type":"post","entity_id":"1","time":1700000001,"ip":"203.0.113.9","user_agent":"curl/8","metadata":{"a":[true,null,"x"],"b":1}},"prev_mac":"93b0ca322e6b2c3e2f8a44e655f74382068b06db7ceb8694f7b1e58b70b49788","mac":"9c60593dc4ec06a8b4542a54489e474c64ce93c6b44ac7d0233e63dc9e3a33e4"}"#,
];

#[test]
fn records_of_the_first_format_still_verify() {
    let records: Vec<AuditRecord> = FIRST_FORMAT
        .iter()
        .map(|line| AuditRecord::from_json_line(line).unwrap())
        .collect();
    assert_eq!(verify_chain(&key(), &records).unwrap().count, 2);
    assert_eq!(
        records[1].event.at(),
        UnixTime::from_secs(1_700_000_001).unwrap()
    );
    assert_eq!(records[1].event.workspace(), None);
    // Written again, the same records use the field name `at`, and still verify.
    let again: Vec<AuditRecord> = records
        .iter()
        .map(|r| AuditRecord::from_json_line(&r.to_json_line()).unwrap())
        .collect();
    assert!(records[0].to_json_line().contains(r#""at":1700000000"#));
    assert!(verify_chain(&key(), &again).is_ok());
    // A record naming its time twice is refused.
    let both = FIRST_FORMAT[0].replace(
        r#""time":1700000000"#,
        r#""time":1700000000,"at":1700000000"#,
    );
    assert!(AuditRecord::from_json_line(&both).is_err());
}

#[test]
fn the_workspace_is_recorded_checked_and_covered_by_the_mac() {
    let now = UnixTime::from_secs(1_700_000_000).unwrap();
    let event = AuditEvent::new("user:1", "member:invite", "member", "9", now)
        .unwrap()
        .with_workspace("acme")
        .unwrap();
    assert_eq!(event.workspace(), Some("acme"));
    let mut chain = AuditChain::new(key());
    let mut sink = MemorySink::new(10);
    chain.record(event, &mut sink).unwrap();
    chain
        .record(self::event("2", 1_700_000_001), &mut sink)
        .unwrap();
    let line = sink.records()[0].to_json_line();
    assert!(line.contains(r#""workspace":"acme""#), "{line}");
    let back: Vec<AuditRecord> = sink
        .to_json_lines()
        .lines()
        .map(|l| AuditRecord::from_json_line(l).unwrap())
        .collect();
    assert_eq!(verify_chain(&key(), &back).unwrap().count, 2);
    // Moving the record to another workspace, or out of any, breaks the chain.
    for forged in [
        line.replace(r#""workspace":"acme""#, r#""workspace":"other""#),
        line.replace(r#""workspace":"acme","#, ""),
    ] {
        let mut records = back.clone();
        records[0] = AuditRecord::from_json_line(&forged).unwrap();
        assert!(verify_chain(&key(), &records).is_err(), "{forged}");
    }
    for bad in ["", &"w".repeat(MAX_FIELD_LEN + 1)] {
        let refused = self::event("3", 1_700_000_002).with_workspace(bad);
        assert_eq!(
            refused.unwrap_err(),
            AuditError::InvalidField { field: "workspace" }
        );
    }
}

#[test]
fn actions_must_be_resource_colon_verb() {
    let now = UnixTime::from_secs(1_700_000_000).unwrap();
    for good in [
        "post:publish",
        "api_key:revoke",
        "member.role:change",
        "v2-export:run",
    ] {
        assert!(
            AuditEvent::new("user:1", good, "post", "1", now).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "publish",
        "post:",
        ":publish",
        "Post:publish",
        "post:pub:lish",
        "post :publish",
    ] {
        assert!(
            matches!(
                AuditEvent::new("user:1", bad, "post", "1", now),
                Err(AuditError::InvalidAction { .. })
            ),
            "{bad}"
        );
    }
}
