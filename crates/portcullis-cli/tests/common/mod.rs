//! Helpers shared by the integration tests that drive the `portcullis` CLI.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The `portcullis` binary, which Cargo builds for this package's tests.
pub(crate) fn cli_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_portcullis"))
}

/// Runs the CLI with `args`, feeding `stdin`, with the extra environment `env`.
pub(crate) fn run_cli(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    run_cli_bytes(args, stdin.as_bytes(), env)
}

/// Every stdout line, parsed as JSON (the contract: one object per line).
pub(crate) fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Like [`run_cli`], with raw bytes on stdin (lines that are not UTF-8).
pub(crate) fn run_cli_bytes(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(cli_path())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Cargo builds the portcullis binary for its tests");
    // A usage error may exit before reading stdin: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}
