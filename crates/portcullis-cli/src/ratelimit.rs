//! `ratelimit parse|simulate`: the rate grammar and the five algorithms, line by line;
//! `ratelimit inspect|clear`: the live rate-limit and lockout keys in Redis.

use serde_json::{Map, Value, json};

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{
    Algorithm, Decision, FixedWindow, Gcra, Rate, SlidingLog, SlidingWindow, TokenBucket,
};

use portcullis_redis::{BlockingStores, KeyState, LiveKey, Options, Selector};

use crate::cli::{
    Failure, Flags, Outcome, UsageError, for_each_line, for_each_line_with_fields, print_failure,
    print_ok,
};

pub(crate) fn run(op: &str, args: &[String]) -> Result<Outcome, UsageError> {
    match op {
        "parse" => {
            Flags::parse(args, &[], &[])?;
            for_each_line(parse_line)
        }
        "simulate" => {
            let flags = Flags::parse(args, &["rate", "algorithm", "cost"], &[])?;
            let rate: Rate = flags
                .require("rate")?
                .parse()
                .map_err(|e| UsageError::new(format!("--rate: {e}")))?;
            let simulate = algorithm_named(flags.require("algorithm")?)?;
            let cost = match flags.get("cost") {
                None => 1,
                Some(text) => text
                    .parse::<u32>()
                    .ok()
                    .filter(|c| *c <= rate.limit())
                    .ok_or_else(|| {
                        UsageError::new(format!(
                            "--cost must be a whole number from 0 to the limit ({})",
                            rate.limit()
                        ))
                    })?,
            };
            simulate(&rate, cost)
        }
        "inspect" | "clear" => {
            let flags = Flags::parse(args, &["redis-url", "prefix", "client", "scope"], &[])?;
            redis_keys(op == "clear", &flags)
        }
        other => Err(UsageError::new(format!(
            "unknown ratelimit op `{other}`; expected parse, simulate, inspect or clear"
        ))),
    }
}

/// A simulation over one algorithm.
type Simulate = fn(&Rate, u32) -> Result<Outcome, UsageError>;

/// The command line's algorithm names (the contract's `--algorithm` values).
const ALGORITHMS: [(&str, Simulate); 5] = [
    ("gcra", simulate::<Gcra>),
    ("token-bucket", simulate::<TokenBucket>),
    ("fixed-window", simulate::<FixedWindow>),
    ("sliding-log", simulate::<SlidingLog>),
    ("sliding-window", simulate::<SlidingWindow>),
];

fn algorithm_named(name: &str) -> Result<Simulate, UsageError> {
    ALGORITHMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, simulate)| *simulate)
        .ok_or_else(|| {
            UsageError::new(
                "--algorithm: invalid setting algorithm: expected one of gcra, token-bucket, \
                 fixed-window, sliding-log, sliding-window",
            )
        })
}

fn parse_line(line: &str) -> Result<Map<String, Value>, Failure> {
    let rate: Rate = line
        .parse()
        .map_err(|e: portcullis::ratelimit::RateLimitError| {
            Failure::new("invalid_rate", e.to_string())
        })?;
    let mut fields = Map::new();
    fields.insert("rate".into(), json!(rate.to_string()));
    fields.insert("limit".into(), json!(rate.limit()));
    fields.insert("period_s".into(), json!(rate.period_secs()));
    Ok(fields)
}

/// Replays one Unix time per line through algorithm `A`, carrying its state.
fn simulate<A: Algorithm>(rate: &Rate, cost: u32) -> Result<Outcome, UsageError> {
    let mut state: Option<A::State> = None;
    for_each_line_with_fields(|line| {
        let now = parse_unix_time(line).ok_or_else(|| {
            let failure = Failure::new(
                "invalid_time",
                "expected a Unix time in seconds (a non-negative number)",
            );
            (failure, Map::new())
        })?;
        let (decision, next) = A::decide(rate, state.as_ref(), now, cost)
            .map_err(|e| (Failure::new("invalid_cost", e.to_string()), Map::new()))?;
        state = Some(next);
        let fields = decision_fields(&decision);
        if decision.allowed {
            Ok(fields)
        } else {
            let message = format!(
                "rate limited: retry after {} s",
                decision.retry_after.as_secs_f64()
            );
            Err((Failure::new("rate_limited", message), fields))
        }
    })
}

/// A Unix time in seconds. Plain decimals (`1800000000.25`) are read exactly to
/// the nanosecond (an `f64` holds only about 0.2 microseconds at today's times);
/// other float syntax (`1.8e9`) goes through `f64`.
fn parse_unix_time(text: &str) -> Option<UnixTime> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !whole.is_empty() && digits(whole) && digits(fraction) {
        let secs: u64 = whole.parse().ok()?;
        let mut nanos = 0u64;
        for (i, b) in fraction.bytes().take(9).enumerate() {
            nanos += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
        }
        return UnixTime::from_secs(secs)?.checked_add(std::time::Duration::from_nanos(nanos));
    }
    text.parse::<f64>().ok().and_then(UnixTime::from_secs_f64)
}

fn decision_fields(decision: &Decision) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("allowed".into(), json!(decision.allowed));
    fields.insert("limit".into(), json!(decision.limit));
    fields.insert("remaining".into(), json!(decision.remaining));
    fields.insert(
        "retry_after_s".into(),
        json!(decision.retry_after.as_secs_f64()),
    );
    fields.insert(
        "reset_after_s".into(),
        json!(decision.reset_after.as_secs_f64()),
    );
    fields
}

/// How long each Redis call of `inspect` and `clear` may take.
const REDIS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `inspect` (one line per live key) or `clear` (one line per deleted key) on
/// the keys `--client` and `--scope` select.
fn redis_keys(clear: bool, flags: &Flags) -> Result<Outcome, UsageError> {
    let options = Options::new()
        .with_prefix(flags.get("prefix").unwrap_or_default())
        .and_then(|o| o.with_timeout(REDIS_TIMEOUT))
        .map_err(|e| UsageError::new(format!("--prefix: {e}")))?;
    let selector = Selector {
        client: flags.get("client"),
        scope: flags.get("scope"),
    };
    if clear && selector.client.is_none() {
        return Err(UsageError::new(
            "ratelimit clear needs --client (clearing every client is not an operator's fix)",
        ));
    }
    // The URL may hold a password: the message names the flag, never the value.
    let stores = BlockingStores::connect(flags.require("redis-url")?, options)
        .map_err(|e| UsageError::new(format!("--redis-url: cannot use redis: {}", describe(&e))))?;
    let listed = if clear {
        stores.clear_keys(selector).map(|keys| {
            keys.into_iter()
                .map(|key| {
                    let mut fields = Map::new();
                    fields.insert("key".into(), json!(key));
                    fields.insert("cleared".into(), json!(true));
                    fields
                })
                .collect::<Vec<_>>()
        })
    } else {
        stores
            .list_keys(selector)
            .map(|keys| keys.iter().map(live_key_fields).collect())
    };
    match listed {
        Ok(lines) => {
            lines.into_iter().for_each(print_ok);
            Ok(Outcome::AllOk)
        }
        Err(e) => {
            print_failure(Failure::new("store_unavailable", describe(&e)), Map::new());
            Ok(Outcome::SomeFailed)
        }
    }
}

/// The error and its first cause (the Redis error's own text).
fn describe(e: &portcullis_redis::Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

fn live_key_fields(live: &LiveKey) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("key".into(), json!(live.key));
    fields.insert("client".into(), json!(live.client));
    fields.insert("ttl_ms".into(), json!(live.ttl_ms));
    match &live.state {
        KeyState::RateLimit {
            endpoint_hash,
            algorithm,
            state_hex,
        } => {
            fields.insert("kind".into(), json!("ratelimit"));
            fields.insert("endpoint_hash".into(), json!(endpoint_hash));
            fields.insert("algorithm".into(), json!(algorithm));
            fields.insert("state_hex".into(), json!(state_hex));
        }
        KeyState::Lockout {
            counter,
            failures,
            last_failure,
        } => {
            fields.insert("kind".into(), json!("lockout"));
            fields.insert("counter".into(), json!(counter));
            fields.insert("failures".into(), json!(failures));
            fields.insert(
                "last_failure_s".into(),
                json!(last_failure.map(|t| t.as_secs())),
            );
        }
        _ => {
            fields.insert("kind".into(), json!("unknown"));
        }
    }
    fields
}
