//! Writing and verifying the chain.

use std::fmt;

use ring::hmac;
use serde_json::json;

use super::{AuditError, AuditEvent, AuditKey, AuditRecord, AuditSink, GAP_ACTION};
use crate::clock::UnixTime;

const MAC_CONTEXT: &[u8] = b"portcullis-audit-v1\0";
const GENESIS: [u8; 32] = [0; 32];

/// Events the sink refused since the last gap marker.
#[derive(Clone, Copy, Debug)]
struct Pending {
    count: u64,
    since: UnixTime,
}

/// The writing end of the chain: the key, the next sequence number, the last MAC,
/// and the count of events a sink refused that no gap marker accounts for yet.
#[derive(Debug)]
pub struct AuditChain {
    key: AuditKey,
    next_seq: u64,
    last_mac: [u8; 32],
    pending: Option<Pending>,
}

impl AuditChain {
    /// A new, empty chain.
    pub fn new(key: AuditKey) -> Self {
        Self {
            key,
            next_seq: 0,
            last_mac: GENESIS,
            pending: None,
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
            pending: None,
        })
    }

    /// How many events the sink refused that no gap marker records yet: non-zero
    /// means the trail is losing events, and the host should alert.
    pub fn dropped(&self) -> u64 {
        self.pending.map_or(0, |p| p.count)
    }

    /// Links `event` into the chain and writes it to `sink`.
    ///
    /// If earlier events were refused, a gap marker (action [`GAP_ACTION`],
    /// metadata `{"dropped": n, "since": unix_seconds}`) is written first.
    ///
    /// # Errors
    /// [`AuditError::Sink`] with the sink's error (the chain does not advance and
    /// the event is counted in [`dropped`](Self::dropped)), or
    /// [`AuditError::SequenceExhausted`].
    pub fn record(
        &mut self,
        event: AuditEvent,
        sink: &mut impl AuditSink,
    ) -> Result<AuditRecord, AuditError> {
        if let Some(pending) = self.pending {
            let marker = gap_marker(pending, self.next_seq, event.at())?;
            if let Err(e) = self.link(marker, sink) {
                self.note_dropped(event.at());
                return Err(e);
            }
            self.pending = None;
        }
        self.link(event.clone(), sink).inspect_err(|e| {
            if matches!(e, AuditError::Sink(_)) {
                self.note_dropped(event.at());
            }
        })
    }

    fn note_dropped(&mut self, at: UnixTime) {
        let pending = self.pending.get_or_insert(Pending {
            count: 0,
            since: at,
        });
        pending.count = pending.count.saturating_add(1);
    }

    fn link(
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
        sink.write(&record).map_err(AuditError::Sink)?;
        self.last_mac.copy_from_slice(tag.as_ref());
        self.next_seq = next;
        Ok(record)
    }
}

fn gap_marker(pending: Pending, seq: u64, now: UnixTime) -> Result<AuditEvent, AuditError> {
    AuditEvent::new(
        "system:audit",
        GAP_ACTION,
        "audit_chain",
        &seq.to_string(),
        now,
    )?
    .with_metadata(json!({"dropped": pending.count, "since": pending.since.as_secs()}))
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

/// A verified chain: how many records, the last MAC (keep it to detect
/// truncation), and how many events its writer reported dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainSummary {
    /// Number of records.
    pub count: usize,
    /// The last record's MAC, hex (64 zeros for an empty chain).
    pub head_mac: String,
    /// Events a sink refused, as the chain's gap markers report them.
    pub dropped: u64,
}

/// Checks records one at a time, in order; after a break it continues from the
/// bad record, so each break is reported once.
#[derive(Debug)]
pub struct AuditVerifier<'k> {
    key: &'k AuditKey,
    index: usize,
    expected_seq: u64,
    prev: [u8; 32],
    dropped: u64,
}

impl<'k> AuditVerifier<'k> {
    /// A verifier for a chain that starts at sequence 0.
    pub fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            index: 0,
            expected_seq: 0,
            prev: GENESIS,
            dropped: 0,
        }
    }

    /// Events reported dropped by the authentic gap markers checked so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
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
            if record.event.is_gap_marker() {
                let count = record.event.metadata().get("dropped");
                let count = count.and_then(serde_json::Value::as_u64).unwrap_or(0);
                self.dropped = self.dropped.saturating_add(count);
            }
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
        dropped: verifier.dropped(),
    })
}

fn mac_input(prev: &[u8; 32], seq: u64, event: &AuditEvent) -> Vec<u8> {
    let canonical = event.canonical(seq);
    let mut out = Vec::with_capacity(MAC_CONTEXT.len() + 32 + canonical.len());
    out.extend_from_slice(MAC_CONTEXT);
    out.extend_from_slice(prev);
    out.extend_from_slice(canonical.as_bytes());
    out
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
