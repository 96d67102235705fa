//! Audit record lines of any shape must parse or fail cleanly, and a chain of
//! them must verify or break cleanly: never a panic. A parsed record must
//! re-serialize to a line that parses to the same record, and a chain that
//! verifies counts exactly the gaps its markers report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::audit::{AuditKey, AuditRecord, AuditVerifier, verify_chain};
use portcullis::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(key) = AuditKey::new(SecretBytes::from_slice(&[7; 32])) else {
        return;
    };
    let mut verifier = AuditVerifier::new(&key);
    let mut records = Vec::new();
    for line in text.lines() {
        let Ok(record) = AuditRecord::from_json_line(line) else {
            continue;
        };
        let again = AuditRecord::from_json_line(&record.to_json_line());
        assert_eq!(again.as_ref().ok(), Some(&record));
        let _ = verifier.check(&record);
        records.push(record);
    }
    if let Ok(summary) = verify_chain(&key, &records) {
        assert_eq!(summary.count, records.len());
        assert_eq!(summary.dropped, verifier.dropped());
    }
});
