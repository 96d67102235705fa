//! Where records go.

use super::AuditRecord;
use crate::store::StoreError;

/// Where records go: a database table, a log shipper, a file.
pub trait AuditSink {
    /// Stores one record; the chain advances only if this succeeds.
    ///
    /// # Errors
    /// A [`StoreError`] saying what prevented storing it (`Full` for a bounded sink
    /// with no room), with the backend's error as its source.
    fn write(&mut self, record: &AuditRecord) -> Result<(), StoreError>;
}

/// Records in memory, at most `limit` of them; counts the records it refused.
#[derive(Clone, Debug)]
pub struct MemorySink {
    records: Vec<AuditRecord>,
    limit: usize,
    dropped: u64,
}

impl MemorySink {
    /// An empty sink that refuses records beyond `limit`.
    pub fn new(limit: usize) -> Self {
        Self {
            records: Vec::new(),
            limit,
            dropped: 0,
        }
    }

    /// The records so far, in order.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// How many records this sink refused because it was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the next record would be refused.
    pub fn is_full(&self) -> bool {
        self.records.len() >= self.limit
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
    fn write(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        if self.is_full() {
            self.dropped = self.dropped.saturating_add(1);
            return Err(StoreError::full());
        }
        self.records.push(record.clone());
        Ok(())
    }
}
