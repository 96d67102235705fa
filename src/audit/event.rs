//! Events and records: what is audited, validated on construction and on reading.

use std::net::IpAddr;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::json::{check_no_duplicate_keys, depth_exceeds, write_string, write_value};
use super::{
    AuditError, GAP_ACTION, MAX_FIELD_LEN, MAX_METADATA_DEPTH, MAX_METADATA_LEN,
    MAX_RECORD_LINE_LEN, MAX_USER_AGENT_LEN,
};
use crate::clock::UnixTime;

/// Who did what to which entity, in which workspace, when and from where: the
/// fields of the replaced services' audit log model (`workspace`, `actor`,
/// `action`, `entity_type`, `entity_id`, `at`, `ip`, `user_agent`, `metadata`).
///
/// The fields are private so that every event, built here or read from a record
/// line, has passed the same checks and caps (see the [module docs](super#flooding)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEvent")]
pub struct AuditEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<String>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    #[serde(serialize_with = "secs")]
    at: UnixTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    metadata: Value,
}

fn secs<S: Serializer>(time: &UnixTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(time.as_secs())
}

/// The stored form, before the checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    #[serde(default)]
    workspace: Option<String>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    /// Records of the first format name it `time`.
    #[serde(alias = "time")]
    at: u64,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    metadata: Value,
}

impl TryFrom<RawEvent> for AuditEvent {
    type Error = AuditError;

    fn try_from(raw: RawEvent) -> Result<Self, AuditError> {
        let malformed = |reason: &str| AuditError::MalformedRecord {
            reason: reason.to_owned(),
        };
        let at = UnixTime::from_secs(raw.at).ok_or_else(|| malformed("at out of range"))?;
        let mut event = Self::new(
            &raw.actor,
            &raw.action,
            &raw.entity_type,
            &raw.entity_id,
            at,
        )?
        .with_metadata(raw.metadata)?;
        if let Some(workspace) = raw.workspace {
            event = event.with_workspace(&workspace)?;
        }
        if let Some(text) = raw.ip {
            // Only the canonical text: the MAC covers the address as written.
            let ip: IpAddr = text
                .parse()
                .ok()
                .filter(|ip: &IpAddr| ip.to_string() == text)
                .ok_or_else(|| malformed("ip is not an IP address in canonical form"))?;
            event = event.with_ip(ip);
        }
        if let Some(agent) = raw.user_agent {
            if agent.len() > MAX_USER_AGENT_LEN {
                return Err(malformed("user_agent longer than 512 bytes"));
            }
            event.user_agent = Some(agent);
        }
        Ok(event)
    }
}

impl AuditEvent {
    /// An event at `now` (kept in whole seconds), with the action checked to be
    /// `resource:verb` and each field 1 to [`MAX_FIELD_LEN`] bytes.
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
            check_field(field, value)?;
        }
        if !is_action(action) {
            return Err(AuditError::InvalidAction {
                action: action.chars().take(MAX_FIELD_LEN).collect(),
            });
        }
        Ok(Self {
            workspace: None,
            actor: actor.to_owned(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            at: UnixTime::from_secs(now.as_secs()).unwrap_or(UnixTime::EPOCH),
            ip: None,
            user_agent: None,
            metadata: Value::Null,
        })
    }

    /// Puts the event in a workspace (a tenant, an organisation), 1 to
    /// [`MAX_FIELD_LEN`] bytes.
    ///
    /// # Errors
    /// [`AuditError::InvalidField`].
    pub fn with_workspace(mut self, workspace: &str) -> Result<Self, AuditError> {
        check_field("workspace", workspace)?;
        self.workspace = Some(workspace.to_owned());
        Ok(self)
    }

    /// Adds the client address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Adds the client's User-Agent, cut to [`MAX_USER_AGENT_LEN`] bytes at a
    /// character boundary (the client chooses it, so it is never refused).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: &str) -> Self {
        let mut end = user_agent.len().min(MAX_USER_AGENT_LEN);
        while !user_agent.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        self.user_agent = user_agent.get(..end).map(str::to_owned);
        self
    }

    /// Adds metadata: at most [`MAX_METADATA_LEN`] bytes of canonical JSON and
    /// [`MAX_METADATA_DEPTH`] levels.
    ///
    /// # Errors
    /// [`AuditError::MetadataTooLarge`].
    pub fn with_metadata(mut self, metadata: Value) -> Result<Self, AuditError> {
        if depth_exceeds(&metadata, MAX_METADATA_DEPTH) {
            return Err(AuditError::MetadataTooLarge);
        }
        let mut canonical = String::new();
        write_value(&mut canonical, &metadata);
        if canonical.len() > MAX_METADATA_LEN {
            return Err(AuditError::MetadataTooLarge);
        }
        self.metadata = metadata;
        Ok(self)
    }

    /// The workspace the event belongs to, if any.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// Who acted (`user:42`, `service:billing`).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// What they did, as `resource:verb` (`post:publish`).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The kind of entity acted on (`post`).
    pub fn entity_type(&self) -> &str {
        &self.entity_type
    }

    /// The entity's id.
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// When, in whole seconds.
    pub fn at(&self) -> UnixTime {
        self.at
    }

    /// The client address, if known.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The client's User-Agent (capped), if known.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// Anything else, as JSON (`null` when absent).
    pub fn metadata(&self) -> &Value {
        &self.metadata
    }

    /// Whether this is a gap marker written for records a sink dropped.
    pub fn is_gap_marker(&self) -> bool {
        self.action == GAP_ACTION
    }

    /// The canonical form with `seq`: a JSON array of the fields in a fixed
    /// order, object keys sorted at every depth, no whitespace. The workspace,
    /// when there is one, is a tenth element after the metadata: an event without
    /// one keeps the nine-element form of the first chain format, so records
    /// written before workspaces existed verify unchanged, and no form of one
    /// kind can equal a form of the other.
    pub(super) fn canonical(&self, seq: u64) -> String {
        let mut out = String::new();
        out.push('[');
        out.push_str(&seq.to_string());
        for text in [
            &self.actor,
            &self.action,
            &self.entity_type,
            &self.entity_id,
        ] {
            out.push(',');
            write_string(&mut out, text);
        }
        out.push(',');
        out.push_str(&self.at.as_secs().to_string());
        out.push(',');
        match self.ip {
            Some(ip) => write_string(&mut out, &ip.to_string()),
            None => out.push_str("null"),
        }
        out.push(',');
        match &self.user_agent {
            Some(text) => write_string(&mut out, text),
            None => out.push_str("null"),
        }
        out.push(',');
        write_value(&mut out, &self.metadata);
        if let Some(workspace) = &self.workspace {
            out.push(',');
            write_string(&mut out, workspace);
        }
        out.push(']');
        out
    }
}

/// A text field: 1 to [`MAX_FIELD_LEN`] bytes.
fn check_field(field: &'static str, value: &str) -> Result<(), AuditError> {
    if value.is_empty() || value.len() > MAX_FIELD_LEN {
        return Err(AuditError::InvalidField { field });
    }
    Ok(())
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

    /// Reads a record from one JSON line, with the event's checks and caps, and
    /// refusing a line over [`MAX_RECORD_LINE_LEN`] bytes or one in which any JSON
    /// object repeats a key.
    ///
    /// # Errors
    /// [`AuditError::MalformedRecord`] saying what was wrong.
    pub fn from_json_line(line: &str) -> Result<Self, AuditError> {
        let malformed = |reason: String| AuditError::MalformedRecord { reason };
        if line.len() > MAX_RECORD_LINE_LEN {
            return Err(malformed(format!(
                "record line longer than {MAX_RECORD_LINE_LEN} bytes"
            )));
        }
        check_no_duplicate_keys(line).map_err(malformed)?;
        serde_json::from_str(line).map_err(|e| malformed(e.to_string()))
    }
}
