//! `portcullis ratelimit parse|simulate` through the built example binary.

mod common;

use common::{json_lines, run_cli};
use std::process::Output;

fn run(args: &[&str], stdin: &str) -> Output {
    run_cli(args, stdin, &[])
}

#[test]
fn parse_prints_limit_and_period() {
    let out = run(&["ratelimit", "parse"], "100/hour\n5/m\n10/5m\n100/300s\n");
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    let got: Vec<(u64, u64)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["ok"], true);
            (
                l["limit"].as_u64().unwrap(),
                l["period_s"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(100, 3600), (5, 60), (10, 300), (100, 300)]);
}

#[test]
fn parse_reports_bad_rates_per_line_and_exits_1() {
    let out = run(&["ratelimit", "parse"], "5/m\n5/fortnight\n");
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["code"], "invalid_rate");
    assert!(
        lines[1]["message"]
            .as_str()
            .unwrap()
            .contains("accepted forms")
    );
}

#[test]
fn simulate_replays_timestamps_through_each_algorithm() {
    let times = "1800000000\n1800000000\n1800000000.25\n1800000030\n1800000060\n";
    for algorithm in [
        "gcra",
        "token-bucket",
        "fixed-window",
        "sliding-log",
        "sliding-window",
    ] {
        let out = run(
            &[
                "ratelimit",
                "simulate",
                "--rate",
                "2/m",
                "--algorithm",
                algorithm,
            ],
            times,
        );
        assert_eq!(out.status.code(), Some(1), "{algorithm}");
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 5);
        let ok: Vec<bool> = lines.iter().map(|l| l["ok"].as_bool().unwrap()).collect();
        assert_eq!(&ok[..3], [true, true, false], "{algorithm}");
        assert_eq!(lines[2]["code"], "rate_limited");
        assert_eq!(lines[1]["remaining"], 0);
        let retry = lines[2]["retry_after_s"].as_f64().unwrap();
        let expected = match algorithm {
            // One token back after period / limit.
            "gcra" | "token-bucket" => 29.75,
            // The previous window's 2 must weigh under 2 whole units: one
            // nanosecond into the next window.
            "sliding-window" => 59.750_000_001,
            // The window (aligned to the epoch) or the oldest entry ends at +60.
            _ => 59.75,
        };
        assert!((retry - expected).abs() < 1e-9, "{algorithm}: {retry}");
        assert_eq!(lines[4]["ok"], algorithm != "sliding-window", "{algorithm}");
    }
}

#[test]
fn simulate_flags_are_checked_before_any_output() {
    for args in [
        &[
            "ratelimit",
            "simulate",
            "--rate",
            "2/x",
            "--algorithm",
            "gcra",
        ][..],
        &[
            "ratelimit",
            "simulate",
            "--rate",
            "2/m",
            "--algorithm",
            "leaky",
        ],
        &["ratelimit", "simulate", "--algorithm", "gcra"],
        &[
            "ratelimit",
            "simulate",
            "--rate",
            "2/m",
            "--algorithm",
            "gcra",
            "--cost",
            "3",
        ],
        &["ratelimit", "frobnicate"],
    ] {
        let out = run(args, "1800000000\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn simulate_reports_bad_times_and_honours_cost() {
    let out = run(
        &[
            "ratelimit",
            "simulate",
            "--rate",
            "4/s",
            "--algorithm",
            "gcra",
            "--cost",
            "3",
        ],
        "1800000000\n-5\nnan\n1800000000\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["remaining"], 1);
    assert_eq!(lines[1]["code"], "invalid_time");
    assert_eq!(lines[2]["code"], "invalid_time");
    assert_eq!(lines[3]["code"], "rate_limited");
}

#[test]
fn redis_clear_without_a_client_is_a_usage_error() {
    let out = run(
        &["ratelimit", "clear", "--redis-url", "redis://127.0.0.1:1/0"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--client"));
}

#[test]
fn an_unreachable_redis_is_a_configuration_error_naming_the_flag_not_the_url() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let url = format!("redis://:hunter2@127.0.0.1:{port}/0");
    let out = run(&["ratelimit", "inspect", "--redis-url", &url], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--redis-url"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
