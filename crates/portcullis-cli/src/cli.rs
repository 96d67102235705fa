//! The shared conventions of every subcommand: flag parsing, JSON lines, exit codes.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use serde_json::{Map, Value};

/// A usage or configuration error: reported on stderr, exit status 2, no stdout line.
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl UsageError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<portcullis::Error> for UsageError {
    fn from(err: portcullis::Error) -> Self {
        Self(err.to_string())
    }
}

/// Whether every input was ok.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    AllOk,
    SomeFailed,
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Self::AllOk => ExitCode::SUCCESS,
            Self::SomeFailed => ExitCode::from(1),
        }
    }
}

/// Parsed `--flag value` and `--switch` arguments, checked against what the command accepts.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Flags {
    /// Parses `args`; `valued` flags take one value, `switches` take none.
    pub(crate) fn parse(
        args: &[String],
        valued: &[&str],
        switches: &[&str],
    ) -> Result<Self, UsageError> {
        let mut flags = Self::default();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| UsageError::new(format!("unexpected argument `{arg}`")))?;
            if valued.contains(&name) {
                let value = iter
                    .next()
                    .ok_or_else(|| UsageError::new(format!("flag --{name} needs a value")))?;
                if flags
                    .values
                    .insert(name.to_owned(), value.clone())
                    .is_some()
                {
                    return Err(UsageError::new(format!("flag --{name} given twice")));
                }
            } else if switches.contains(&name) {
                flags.switches.push(name.to_owned());
            } else {
                return Err(UsageError::new(format!("unknown flag --{name}")));
            }
        }
        Ok(flags)
    }

    /// The value of `--name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `--name`, or a usage error saying it is required.
    pub(crate) fn require(&self, name: &str) -> Result<&str, UsageError> {
        self.get(name)
            .ok_or_else(|| UsageError::new(format!("flag --{name} is required")))
    }

    /// Whether `--name` was given.
    pub(crate) fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// A failed input: one `"ok": false` line with a stable machine code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Prints one `"ok": true` line with `fields` added.
pub(crate) fn print_ok(fields: Map<String, Value>) {
    let mut line = Map::new();
    line.insert("ok".into(), Value::Bool(true));
    line.extend(fields);
    print_line(&Value::Object(line));
}

/// Prints one `"ok": false` line, with any extra `fields` the command reports.
pub(crate) fn print_failure(failure: Failure, fields: Map<String, Value>) {
    let mut line = Map::new();
    line.insert("ok".into(), Value::Bool(false));
    line.insert("code".into(), Value::String(failure.code));
    line.insert("message".into(), Value::String(failure.message));
    line.extend(fields);
    print_line(&Value::Object(line));
}

fn print_line(value: &Value) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (a pipe to `head`) is not an error worth a panic.
    let _ = writeln!(out, "{value}");
}

/// Runs `handle` on every stdin line, printing one JSON line for each.
pub(crate) fn for_each_line(
    mut handle: impl FnMut(&str) -> Result<Map<String, Value>, Failure>,
) -> Result<Outcome, UsageError> {
    for_each_line_with_fields(|line| handle(line).map_err(|failure| (failure, Map::new())))
}

/// Like [`for_each_line`], for commands whose `"ok": false` lines carry fields
/// too (a refused rate-limit decision still reports `remaining` and `retry_after_s`).
pub(crate) fn for_each_line_with_fields(
    mut handle: impl FnMut(&str) -> Result<Map<String, Value>, (Failure, Map<String, Value>)>,
) -> Result<Outcome, UsageError> {
    let mut outcome = Outcome::AllOk;
    let mut stdin = std::io::stdin().lock();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let read = stdin
            .read_until(b'\n', &mut raw)
            .map_err(|e| UsageError::new(format!("cannot read stdin: {e}")))?;
        if read == 0 {
            break;
        }
        let verdict = match std::str::from_utf8(strip_line_ending(&raw)) {
            Ok(line) => handle(line),
            Err(_) => Err((
                Failure::new("invalid_input", "the line is not valid UTF-8"),
                Map::new(),
            )),
        };
        match verdict {
            Ok(fields) => print_ok(fields),
            Err((failure, fields)) => {
                outcome = Outcome::SomeFailed;
                print_failure(failure, fields);
            }
        }
    }
    Ok(outcome)
}

/// The line without its ending: one `\n`, or one `\r\n`; nothing else is trimmed.
fn strip_line_ending(raw: &[u8]) -> &[u8] {
    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
    line.strip_suffix(b"\r").unwrap_or(line)
}
