//! A tamper-evident audit trail.
//!
//! An [`AuditEvent`] says who did what to which entity, in which workspace, when,
//! from where (the replaced services' audit log model). An
//! [`AuditChain`] turns events into [`AuditRecord`]s: each carries a sequence
//! number, the previous record's MAC and its own MAC, an HMAC-SHA256 over the
//! previous MAC and the record's canonical form. Changing, removing or
//! reordering a record breaks the chain at that point, and [`verify_chain`] (or
//! the streaming [`AuditVerifier`]) names the first record that does not fit.
//! Cutting records off the end leaves a valid shorter chain: keep the latest
//! sequence number and MAC somewhere the log's writer cannot rewrite to catch that.
//!
//! # Formats
//!
//! The MAC covers a canonical JSON array of the fields, not the stored JSON. A
//! record of the first format (no workspace, its time stored under `time`) reads
//! and verifies unchanged: an event without a workspace has exactly the first
//! canonical form, and one with a workspace appends it as a tenth element, so no
//! record of one format can pass for one of the other. Records are written with
//! `at` and read with either name.
//!
//! Records go to an [`AuditSink`]; [`MemorySink`] keeps them in memory (bounded)
//! and exports JSON lines.
//!
//! # Flooding
//!
//! An attacker controls how often refusals happen and what some fields hold, so
//! the trail bounds both:
//!
//! - **Every field has a size cap.** `workspace`, `actor`, `action`, `entity_type`
//!   and `entity_id`: 1 to [`MAX_FIELD_LEN`] bytes, refused beyond; `ip`: an
//!   [`IpAddr`](std::net::IpAddr) (45 bytes at most); `user_agent`: cut to
//!   [`MAX_USER_AGENT_LEN`] bytes at a character boundary; `metadata`: at most
//!   [`MAX_METADATA_LEN`] bytes of canonical JSON and [`MAX_METADATA_DEPTH`] levels,
//!   refused beyond. Reading a record applies the same caps (and refuses a longer
//!   `user_agent`), so one record line stays within [`MAX_RECORD_LINE_LEN`].
//! - **Repeated refusals are aggregated.** A [`RefusalAggregator`] (pure, bounded)
//!   lets the host audit the first refusal of a key in a window and one summary
//!   with the count of the rest, instead of one record per 429.
//! - **Dropped records are visible.** A sink that cannot store a record returns a
//!   [`StoreError`]; [`MemorySink::dropped`] counts them,
//!   [`AuditChain::dropped`] says how many events are waiting to be accounted for,
//!   and the next record the sink accepts is preceded by a gap marker (action
//!   [`GAP_ACTION`], metadata `{"dropped": n, "since": t}`), which the verifier adds
//!   up in [`ChainSummary::dropped`]. A host alerts while `dropped()` is non-zero.
//! - **Duplicate keys are refused** at any depth when a record is read: the chain
//!   MACs the parsed value, so a reader that kept the first of two `role` keys would
//!   otherwise see another record than the one that verified.
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

mod aggregate;
mod chain;
mod event;
mod json;
mod sink;

pub use aggregate::{OVERFLOW_KEY, Refusal, RefusalAggregator, RefusalSummary};
pub use chain::{AuditChain, AuditVerifier, BreakKind, ChainBreak, ChainSummary, verify_chain};
pub use event::{AuditEvent, AuditRecord};
pub use sink::{AuditSink, MemorySink};

use ring::hmac;

use crate::secret::{KeyError, KeyLength, SecretBytes, SecretString};
use crate::store::StoreError;

/// Shortest audit key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;
/// Longest action, actor, entity type or entity id accepted.
pub const MAX_FIELD_LEN: usize = 256;
/// Longest User-Agent kept, in bytes; a longer one is cut at a character boundary.
pub const MAX_USER_AGENT_LEN: usize = 512;
/// Longest metadata accepted, in bytes of its canonical JSON.
pub const MAX_METADATA_LEN: usize = 4096;
/// Deepest nesting of metadata accepted (a scalar is depth 0).
pub const MAX_METADATA_DEPTH: usize = 16;
/// Longest record line [`AuditRecord::from_json_line`] reads (far above any valid record).
pub const MAX_RECORD_LINE_LEN: usize = 64 * 1024;
/// The action of the marker record that accounts for records a sink dropped.
pub const GAP_ACTION: &str = "audit:gap";

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
    /// The metadata is larger or deeper than the caps.
    #[error(
        "audit metadata refused: at most {MAX_METADATA_LEN} bytes of JSON and {MAX_METADATA_DEPTH} levels deep"
    )]
    MetadataTooLarge,
    /// The key is too short.
    #[error("audit key is {actual} bytes; expected at least 32 bytes")]
    KeyTooShort {
        /// Its length (not secret).
        actual: usize,
    },
    /// The sink did not store the record (the chain did not advance).
    #[error("audit record not stored: {0}")]
    Sink(#[source] StoreError),
    /// A record could not be read from JSON.
    #[error("malformed audit record: {reason}")]
    MalformedRecord {
        /// What was wrong.
        reason: String,
    },
    /// A setting is out of range.
    #[error("audit setting {setting} is {value}; expected {expected}")]
    InvalidConfig {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: u64,
        /// The accepted range.
        expected: &'static str,
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

#[cfg(test)]
mod tests;
