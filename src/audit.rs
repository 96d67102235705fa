//! A tamper-evident audit trail.
//!
//! An [`AuditEvent`] says who did what to which entity, when, from where. An
//! [`AuditChain`] turns events into [`AuditRecord`]s: each carries a sequence
//! number, the previous record's MAC and its own MAC, an HMAC-SHA256 over the
//! previous MAC and the record's canonical form. Changing, removing or
//! reordering a record breaks the chain at that point, and [`verify_chain`] (or
//! the streaming [`AuditVerifier`]) names the first record that does not fit.
//! Cutting records off the end leaves a valid shorter chain: keep the latest
//! sequence number and MAC somewhere the log's writer cannot rewrite to catch that.
//!
//! Records go to an [`AuditSink`]; [`MemorySink`] keeps them in memory (bounded)
//! and exports JSON lines.
//!
//! ```
//! use portcullis::audit::{AuditChain, AuditEvent, AuditKey, MemorySink, verify_chain};
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//!
//! let now = UnixTime::from_secs(1_700_000_000).unwrap_or_default();
//! let mut chain = AuditChain::new(AuditKey::new(SecretBytes::from_slice(&[9; 32]))?);
//! let mut sink = MemorySink::new(1000);
//! let event = AuditEvent::new("user:42", "post:publish", "post", "7", now)?;
//! chain.record(event, &mut sink)?;
//!
//! let verifier_key = AuditKey::new(SecretBytes::from_slice(&[9; 32]))?;
//! assert_eq!(verify_chain(&verifier_key, sink.records())?.count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::IpAddr;

use ring::hmac;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::UnixTime;
use crate::secret::{KeyError, KeyLength, SecretBytes, SecretString};

/// Shortest audit key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;
/// Longest action, actor, entity type or entity id accepted.
pub const MAX_FIELD_LEN: usize = 256;

const MAC_CONTEXT: &[u8] = b"portcullis-audit-v1\0";
const GENESIS: [u8; 32] = [0; 32];

/// Why an audit operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The action is not `resource:verb`.
    #[error(
        "audit action {action:?} refused: expected resource:verb, each part 1+ characters of a-z, 0-9, _ . -"
    )]
    InvalidAction {
        /// The refused action.
        action: String,
    },
    /// A field is empty or too long.
    #[error("audit field {field} must be 1 to 256 bytes")]
    InvalidField {
        /// The field's name.
        field: &'static str,
    },
    /// The key is too short.
    #[error("audit key is {actual} bytes; expected at least 32 bytes")]
    KeyTooShort {
        /// Its length (not secret).
        actual: usize,
    },
    /// The in-memory sink is full.
    #[error("audit sink full: it holds at most {limit} records")]
    SinkFull {
        /// The configured bound.
        limit: usize,
    },
    /// A record could not be read from JSON.
    #[error("malformed audit record: {reason}")]
    MalformedRecord {
        /// What was wrong.
        reason: String,
    },
    /// The sequence number would overflow.
    #[error("audit sequence number exhausted")]
    SequenceExhausted,
    /// The key could not be loaded from its environment variable.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The HMAC key of the chain; wiped on drop (the key schedule is derived per record).
#[derive(Debug)]
pub struct AuditKey(SecretBytes);

impl AuditKey {
    /// A key from at least 32 bytes.
    ///
    /// # Errors
    /// [`AuditError::KeyTooShort`].
    pub fn new(bytes: SecretBytes) -> Result<Self, AuditError> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(AuditError::KeyTooShort {
                actual: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }

    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.expose_secret())
    }

    /// The raw text of environment variable `var` (at least 32 bytes) as the key.
    ///
    /// # Errors
    /// [`AuditError::Key`] naming `var` when it is unset, not UTF-8 or too short.
    pub fn from_env(var: &str) -> Result<Self, AuditError> {
        let text = SecretString::from_env(var, KeyLength::AtLeast(MIN_KEY_LEN))?;
        Self::new(text.to_bytes())
    }
}

/// Who did what to which entity, when and from where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Who acted (`user:42`, `service:billing`).
    pub actor: String,
    /// What they did, as `resource:verb` (`post:publish`).
    pub action: String,
    /// The kind of entity acted on (`post`).
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// When, in Unix seconds.
    pub time: u64,
    /// The client address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The client's User-Agent, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Anything else, as JSON (`null` when absent).
    #[serde(default)]
    pub metadata: Value,
}

impl AuditEvent {
    /// An event at `now`, with the action checked to be `resource:verb`.
    ///
    /// # Errors
    /// [`AuditError::InvalidAction`] or [`AuditError::InvalidField`].
    pub fn new(
        actor: &str,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        now: UnixTime,
    ) -> Result<Self, AuditError> {
        for (field, value) in [
            ("actor", actor),
            ("entity_type", entity_type),
            ("entity_id", entity_id),
        ] {
            if value.is_empty() || value.len() > MAX_FIELD_LEN {
                return Err(AuditError::InvalidField { field });
            }
        }
        if !is_action(action) {
            return Err(AuditError::InvalidAction {
                action: action.to_owned(),
            });
        }
        Ok(Self {
            actor: actor.to_owned(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            time: now.as_secs(),
            ip: None,
            user_agent: None,
            metadata: Value::Null,
        })
    }

    /// Adds the client address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip.to_string());
        self
    }

    /// Adds the client's User-Agent.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = Some(user_agent.to_owned());
        self
    }

    /// Adds metadata.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = metadata;
        self
    }
}

fn is_action(action: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    };
    action.len() <= MAX_FIELD_LEN
        && action
            .split_once(':')
            .is_some_and(|(resource, verb)| part(resource) && part(verb))
}

/// One link of the chain: the event, its position and the MACs, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// The event.
    pub event: AuditEvent,
    /// The previous record's MAC, hex (64 zeros for the first record).
    pub prev_mac: String,
    /// HMAC-SHA256 over `prev_mac` and the canonical form of `seq` and `event`, hex.
    pub mac: String,
}

impl AuditRecord {
    /// The record as one JSON line (no newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a record from one JSON line.
    ///
    /// # Errors
    /// [`AuditError::MalformedRecord`] saying what serde found wrong.
    pub fn from_json_line(line: &str) -> Result<Self, AuditError> {
        serde_json::from_str(line).map_err(|e| AuditError::MalformedRecord {
            reason: e.to_string(),
        })
    }
}

/// Where records go: a database table, a log shipper, a file.
pub trait AuditSink {
    /// Stores one record; the chain advances only if this succeeds.
    ///
    /// # Errors
    /// Whatever prevented storing it.
    fn write(&mut self, record: &AuditRecord) -> Result<(), AuditError>;
}

/// Records in memory, at most `limit` of them.
#[derive(Clone, Debug)]
pub struct MemorySink {
    records: Vec<AuditRecord>,
    limit: usize,
}

impl MemorySink {
    /// An empty sink that refuses records beyond `limit`.
    pub fn new(limit: usize) -> Self {
        Self {
            records: Vec::new(),
            limit,
        }
    }

    /// The records so far, in order.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// All records as JSON lines, each ending in a newline.
    pub fn to_json_lines(&self) -> String {
        self.records
            .iter()
            .map(|r| r.to_json_line() + "\n")
            .collect()
    }
}

impl AuditSink for MemorySink {
    fn write(&mut self, record: &AuditRecord) -> Result<(), AuditError> {
        if self.records.len() >= self.limit {
            return Err(AuditError::SinkFull { limit: self.limit });
        }
        self.records.push(record.clone());
        Ok(())
    }
}

/// The writing end of the chain: the key, the next sequence number, the last MAC.
#[derive(Debug)]
pub struct AuditChain {
    key: AuditKey,
    next_seq: u64,
    last_mac: [u8; 32],
}

impl AuditChain {
    /// A new, empty chain.
    pub fn new(key: AuditKey) -> Self {
        Self {
            key,
            next_seq: 0,
            last_mac: GENESIS,
        }
    }

    /// Continues after `last`, the newest stored record (after a restart).
    ///
    /// # Errors
    /// [`AuditError::MalformedRecord`] if its MAC is not 64 hex characters, or
    /// [`AuditError::SequenceExhausted`].
    pub fn resume(key: AuditKey, last: &AuditRecord) -> Result<Self, AuditError> {
        Ok(Self {
            key,
            next_seq: last
                .seq
                .checked_add(1)
                .ok_or(AuditError::SequenceExhausted)?,
            last_mac: from_hex(&last.mac).ok_or_else(|| AuditError::MalformedRecord {
                reason: "mac must be 64 hexadecimal characters".into(),
            })?,
        })
    }

    /// Links `event` into the chain and writes it to `sink`.
    ///
    /// # Errors
    /// The sink's error (the chain does not advance), or [`AuditError::SequenceExhausted`].
    pub fn record(
        &mut self,
        event: AuditEvent,
        sink: &mut impl AuditSink,
    ) -> Result<AuditRecord, AuditError> {
        let seq = self.next_seq;
        let next = seq.checked_add(1).ok_or(AuditError::SequenceExhausted)?;
        let tag = hmac::sign(
            &self.key.hmac_key(),
            &mac_input(&self.last_mac, seq, &event),
        );
        let record = AuditRecord {
            seq,
            event,
            prev_mac: to_hex(&self.last_mac),
            mac: to_hex(tag.as_ref()),
        };
        sink.write(&record)?;
        self.last_mac.copy_from_slice(tag.as_ref());
        self.next_seq = next;
        Ok(record)
    }
}

/// How a record fails to fit the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakKind {
    /// Its content or MAC was changed (or its MAC is not ours).
    Modified,
    /// It is authentic but skips ahead: the records expected before it were
    /// removed, or moved later.
    Missing,
    /// It is authentic but belongs earlier in the chain (moved or repeated).
    Reordered,
}

impl BreakKind {
    /// A stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Modified => "record_modified",
            Self::Missing => "record_missing",
            Self::Reordered => "record_reordered",
        }
    }
}

/// The first record that does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at record {index} (seq {seq}): {}", match kind {
    BreakKind::Modified => "modified",
    BreakKind::Missing => "records expected before it are missing (removed or moved)",
    BreakKind::Reordered => "out of order (it belongs earlier in the chain)",
})]
pub struct ChainBreak {
    /// Its position in the input, from 0.
    pub index: usize,
    /// The sequence number it claims.
    pub seq: u64,
    /// What is wrong.
    pub kind: BreakKind,
}

/// A verified chain: how many records and the last MAC (keep it to detect truncation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    /// Number of records.
    pub count: usize,
    /// The last record's MAC, hex (64 zeros for an empty chain).
    pub head_mac: String,
}

/// Checks records one at a time, in order; after a break it continues from the
/// bad record, so each break is reported once.
#[derive(Debug)]
pub struct AuditVerifier<'k> {
    key: &'k AuditKey,
    index: usize,
    expected_seq: u64,
    prev: [u8; 32],
}

impl<'k> AuditVerifier<'k> {
    /// A verifier for a chain that starts at sequence 0.
    pub fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            index: 0,
            expected_seq: 0,
            prev: GENESIS,
        }
    }

    /// Checks the next record.
    ///
    /// # Errors
    /// A [`ChainBreak`] naming this record.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        let index = self.index;
        self.index = self.index.saturating_add(1);
        let expected_seq = self.expected_seq;
        let expected_prev = self.prev;
        let own_prev = from_hex(&record.prev_mac);
        let own_mac = from_hex(&record.mac);
        // Whatever happens, continue from this record so one break is reported once.
        self.expected_seq = record.seq.saturating_add(1);
        self.prev = own_mac.unwrap_or(GENESIS);

        let authentic = match (own_prev, own_mac) {
            // ring's verify compares in constant time.
            (Some(prev), Some(mac)) => hmac::verify(
                &self.key.hmac_key(),
                &mac_input(&prev, record.seq, &record.event),
                &mac,
            )
            .is_ok(),
            _ => false,
        };
        let kind = if !authentic {
            BreakKind::Modified
        } else if own_prev == Some(expected_prev) && record.seq == expected_seq {
            return Ok(());
        } else if record.seq > expected_seq {
            BreakKind::Missing
        } else {
            BreakKind::Reordered
        };
        Err(ChainBreak {
            index,
            seq: record.seq,
            kind,
        })
    }
}

/// Verifies a whole chain from its first record.
///
/// # Errors
/// The first [`ChainBreak`].
pub fn verify_chain(key: &AuditKey, records: &[AuditRecord]) -> Result<ChainSummary, ChainBreak> {
    let mut verifier = AuditVerifier::new(key);
    for record in records {
        verifier.check(record)?;
    }
    Ok(ChainSummary {
        count: records.len(),
        head_mac: records
            .last()
            .map_or_else(|| to_hex(&GENESIS), |r| r.mac.clone()),
    })
}

fn mac_input(prev: &[u8; 32], seq: u64, event: &AuditEvent) -> Vec<u8> {
    let canonical = canonical(seq, event);
    let mut out = Vec::with_capacity(MAC_CONTEXT.len() + 32 + canonical.len());
    out.extend_from_slice(MAC_CONTEXT);
    out.extend_from_slice(prev);
    out.extend_from_slice(canonical.as_bytes());
    out
}

/// The canonical form: a JSON array of the fields in a fixed order, object keys
/// sorted at every depth, no whitespace.
fn canonical(seq: u64, event: &AuditEvent) -> String {
    let mut out = String::new();
    out.push('[');
    out.push_str(&seq.to_string());
    for text in [
        &event.actor,
        &event.action,
        &event.entity_type,
        &event.entity_id,
    ] {
        out.push(',');
        write_string(&mut out, text);
    }
    out.push(',');
    out.push_str(&event.time.to_string());
    for opt in [&event.ip, &event.user_agent] {
        out.push(',');
        match opt {
            Some(text) => write_string(&mut out, text),
            None => out.push_str("null"),
        }
    }
    out.push(',');
    write_value(&mut out, &event.metadata);
    out.push(']');
    out
}

fn write_string(out: &mut String, text: &str) {
    out.push_str(&Value::String(text.to_owned()).to_string());
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn to_hex(bytes: &[u8]) -> String {
    struct Hex<'a>(&'a [u8]);
    impl fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
        }
    }
    Hex(bytes).to_string()
}

fn from_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let digit = |b: Option<&u8>| match b {
            Some(b @ b'0'..=b'9') => Some(b - b'0'),
            Some(b @ b'a'..=b'f') => Some(b - b'a' + 10),
            _ => None,
        };
        *slot = (digit(pair.first())? << 4) | digit(pair.get(1))?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            .with_metadata(serde_json::json!({"b": 1, "a": [true, null, "x"]}));
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
        modified[2].event.actor = "user:2".into();
        assert_eq!(
            verify_chain(&key(), &modified).unwrap_err(),
            ChainBreak {
                index: 2,
                seq: 2,
                kind: BreakKind::Modified
            }
        );
        let mut meta = records.clone();
        meta[3].event.metadata = serde_json::json!({"b": 2, "a": [true, null, "x"]});
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
        records[1].event.entity_id = "999".into();
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
            AuditError::SinkFull { limit: 1 }
        );
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
}
