//! `check deploy`: each stdin line is one JSON object of settings (Django's names);
//! each answer lists the deployment check's findings.

use serde_json::{Map, Value, json};

use portcullis::deploy::{self, Settings};

use crate::cli::{Failure, Flags, Outcome, UsageError, for_each_line_with_fields};

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match op {
        "deploy" => {
            Flags::parse(args, &[], &[])?;
            for_each_line_with_fields(check_line)
        }
        other => Err(UsageError::new(format!(
            "unknown operation `check {other}`; expected check deploy"
        ))),
    }
}

/// One settings line: ok with no findings, or `deploy_findings` with every finding
/// (any level counts: the contract's ok means "nothing to report").
fn check_line(line: &str) -> Result<Map<String, Value>, (Failure, Map<String, Value>)> {
    let fail = |code, message: String| (Failure::new(code, message), Map::new());
    let value: Value = serde_json::from_str(line).map_err(|e| {
        fail(
            "invalid_input",
            format!("each line must be one JSON object of settings: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(fail(
            "invalid_input",
            "each line must be one JSON object of settings".to_owned(),
        ));
    }
    let settings = serde_json::from_value::<Settings>(value)
        .map_err(|e| fail("invalid_settings", e.to_string()))?;
    let findings = deploy::check(&settings);
    let listed = findings
        .iter()
        .map(|f| json!({"id": f.id(), "level": f.level().as_str(), "message": f.message()}))
        .collect();
    let mut fields = Map::new();
    fields.insert("findings".into(), Value::Array(listed));
    if findings.is_empty() {
        return Ok(fields);
    }
    let message = format!(
        "{} finding(s): {}",
        findings.len(),
        findings
            .iter()
            .map(|f| f.id())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Err((Failure::new("deploy_findings", message), fields))
}
