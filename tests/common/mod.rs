//! Helpers shared by the integration tests that drive the `portcullis` CLI example.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The example binary that `cargo test` builds next to the test binaries.
pub(crate) fn cli_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    profile_dir
        .join("examples")
        .join(format!("portcullis{}", std::env::consts::EXE_SUFFIX))
}

/// Runs the CLI with `args`, feeding `stdin`, with the extra environment `env`.
pub(crate) fn run_cli(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(cli_path())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the portcullis example is built by `cargo test`");
    // A usage error may exit before reading stdin: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// Every stdout line, parsed as JSON (the contract: one object per line).
pub(crate) fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
