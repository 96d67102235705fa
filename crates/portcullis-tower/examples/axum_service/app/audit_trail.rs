//! The service's audit trail: every security-relevant flow records an event in the
//! HMAC chain; 429s are aggregated per client and window so a flood cannot fill it.

use std::net::IpAddr;
use std::sync::PoisonError;

use portcullis::audit::{AuditEvent, Refusal, verify_chain};
use serde_json::{Value, json};

use super::{App, REFUSAL_WINDOW, Reply, RequestInfo, Scope, now};

impl App {
    pub(super) fn audit(
        &self,
        actor: &str,
        action: &str,
        entity: &str,
        id: &str,
        info: &RequestInfo,
    ) {
        let event = match AuditEvent::new(actor, action, entity, id, now()) {
            Ok(event) => event.with_metadata(json!({"instance": self.instance})),
            Err(e) => Err(e),
        };
        let mut event = match event {
            Ok(event) => event,
            Err(e) => {
                tracing::error!("audit event refused: {e}");
                return;
            }
        };
        if let Some(ip) = info.peer {
            event = event.with_ip(ip);
        }
        if let Some(agent) = &info.user_agent {
            // Capped by the event (MAX_USER_AGENT_LEN).
            event = event.with_user_agent(agent);
        }
        self.write_audit(event);
    }

    pub(super) fn write_audit(&self, event: AuditEvent) {
        let mut guard = self.audit.lock().unwrap_or_else(PoisonError::into_inner);
        let (chain, sink) = &mut *guard;
        match chain.record(event, sink) {
            // The record's canonical JSON line, as one field of the log line.
            Ok(record) => tracing::info!(record = record.to_json_line().as_str(), "audit"),
            // The alert: an error-level line per lost record, and /healthz says so.
            Err(e) => tracing::error!(unrecorded = chain.dropped(), "audit record lost: {e}"),
        }
    }

    /// Whether the audit trail is keeping every record, and how many it lost.
    pub(crate) fn audit_health(&self) -> Value {
        let guard = self.audit.lock().unwrap_or_else(PoisonError::into_inner);
        let (chain, sink) = &*guard;
        json!({
            "ok": chain.dropped() == 0 && !sink.is_full(),
            "dropped": sink.dropped(),
        })
    }

    /// Audits a 429 only when it is the client's first in the window (without the
    /// User-Agent, which the flooding client chooses), and one summary per window.
    pub(crate) fn audit_refusal(&self, key: &str, scope: Scope, peer: Option<IpAddr>) {
        let now = now();
        let agg_key = format!("{}/{key}", scope.name());
        let (verdict, mut summaries) = {
            let mut guard = self.refusals.lock().unwrap_or_else(PoisonError::into_inner);
            let (agg, last_drain) = &mut *guard;
            let verdict = agg.refuse(&agg_key, now);
            // Closed windows of other clients, at most once a window.
            let due = last_drain
                .checked_add(REFUSAL_WINDOW)
                .is_none_or(|t| now >= t);
            let closed = if due {
                *last_drain = now;
                agg.drain(now)
            } else {
                Vec::new()
            };
            (verdict, closed)
        };
        if let Refusal::Record { previous } = verdict {
            summaries.extend(previous);
            let event = AuditEvent::new(key, "ratelimit:refuse", "scope", scope.name(), now)
                .and_then(|e| e.with_metadata(json!({"instance": self.instance})));
            match event {
                Ok(event) => self.write_audit(match peer {
                    Some(ip) => event.with_ip(ip),
                    None => event,
                }),
                Err(e) => tracing::error!("audit event refused: {e}"),
            }
        }
        for summary in summaries {
            let (scope, client) = summary
                .key()
                .split_once('/')
                .unwrap_or(("*", summary.key()));
            let event = AuditEvent::new(client, "ratelimit:refuse-summary", "scope", scope, now)
                .and_then(|e| e.with_metadata(summary.metadata()));
            match event {
                Ok(event) => self.write_audit(event),
                Err(e) => tracing::error!("audit event refused: {e}"),
            }
        }
    }

    /// `GET /api/audit/`: the chain's length and whether it verifies.
    pub(crate) fn audit_summary(&self) -> Reply {
        let guard = self.audit.lock().unwrap_or_else(PoisonError::into_inner);
        let records = guard.1.records();
        let actions: Vec<&str> = records.iter().map(|r| r.event.action()).collect();
        match verify_chain(&self.audit_key, records) {
            Ok(summary) => Reply::new(
                200,
                json!({
                    "count": summary.count,
                    "intact": true,
                    "dropped": summary.dropped,
                    "actions": actions,
                }),
            ),
            Err(e) => Reply::new(
                200,
                json!({"count": records.len(), "intact": false, "break": e.to_string()}),
            ),
        }
    }
}
