//! `dpop verify`: DPoP proofs (RFC 9449), one per line, for one request.

use std::time::Duration;

use serde_json::{Map, json};

use portcullis::clock::{Clock as _, SystemClock, UnixTime};
use portcullis::jose::dpop::{DpopVerifier, MemoryReplayStore, Request, normalize_htu};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line};

/// Proofs remembered for replay in one run; a run with more fresh proofs than this
/// within one window reports `store_unavailable` for the excess.
const REPLAY_CAPACITY: usize = 1_000_000;

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    if op != "verify" {
        return Err(UsageError::new(format!(
            "unknown dpop op `{op}`; expected verify"
        )));
    }
    let flags = Flags::parse(
        args,
        &["htm", "htu", "access-token-env", "nonce", "max-age", "now"],
        &[],
    )?;
    let htm = flags.require("htm")?;
    let htu = flags.require("htu")?;
    if normalize_htu(htu).is_none() {
        return Err(UsageError::new(
            "--htu must be an absolute http or https URL",
        ));
    }
    let access_token = match flags.get("access-token-env") {
        None => None,
        Some(var) => Some(std::env::var(var).map_err(|_| {
            UsageError::new(format!(
                "--access-token-env: the variable {var} is not set or not UTF-8"
            ))
        })?),
    };
    let mut verifier = DpopVerifier::new();
    if let Some(text) = flags.get("max-age") {
        let secs: u64 = text
            .parse()
            .map_err(|_| UsageError::new("--max-age must be whole seconds from 1 to 3600"))?;
        verifier = verifier
            .with_max_age(Duration::from_secs(secs))
            .map_err(|e| UsageError::new(format!("--max-age: {e}")))?;
    }
    let now = match flags.get("now") {
        None => SystemClock.now(),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .and_then(UnixTime::from_secs)
            .ok_or_else(|| UsageError::new("--now must be whole Unix seconds"))?,
    };
    let mut request = Request::new(htm, htu);
    if let Some(token) = access_token.as_deref() {
        request = request.with_access_token(token);
    }
    if let Some(nonce) = flags.get("nonce") {
        request = request.with_nonce(nonce);
    }
    let store = MemoryReplayStore::new(REPLAY_CAPACITY);
    for_each_line(|line| {
        let verified = verifier
            .verify(line, &request, &store, now)
            .map_err(|e| Failure::new(e.code(), e.to_string()))?;
        let mut fields = Map::new();
        fields.insert("jkt".into(), json!(verified.jkt().as_str()));
        Ok(fields)
    })
}
