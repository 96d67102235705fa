//! Rate limiting a small API: a per-endpoint table enforced by one
//! `TableLimiter`, client keys from behind one proxy, HTTP 429 responses, and a
//! login lockout.
//!
//! ```text
//! cargo run --example rate_limit
//! ```
//!
//! Time is simulated (a fixed clock), so the run is instant and repeatable.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use portcullis::clock::{Clock, FixedClock, UnixTime};
use portcullis::ratelimit::lockout::{FailureState, LoginGuard, LoginStates};
use portcullis::ratelimit::{
    ClientKey, Gcra, KeyedLimiterConfig, RateTable, TableLimiter, client_ip,
};

fn main() -> Result<(), portcullis::Error> {
    let clock = FixedClock::new(UnixTime::from_secs(1_800_000_000).unwrap_or(UnixTime::EPOCH));
    endpoints(&clock)?;
    login(&clock);
    println!("rate_limit: done");
    Ok(())
}

/// Per-endpoint rates as they sit in DRF settings, enforced by one table limiter.
fn endpoints(clock: &FixedClock) -> Result<(), portcullis::Error> {
    println!("== per-endpoint table");
    let table = RateTable::from_pairs([("oauth:start", "5/m"), ("posts:create", "50/h")])?
        .with_anonymous("100/hour".parse()?)
        .with_user("1000/hour".parse()?);

    // The service runs behind one reverse proxy, which appends the peer it saw.
    let proxy: IpAddr = "10.0.0.2".parse().unwrap_or(IpAddr::from([10, 0, 0, 2]));
    let forwarded = "198.51.100.1, 2001:db8:5:6:1::77";
    let client = ClientKey::ip(client_ip(proxy, Some(forwarded), 1));
    println!("X-Forwarded-For {forwarded:?} via 1 trusted proxy -> key {client}");

    // One limiter for the whole table: a store per rate, header options built once.
    let limiter: TableLimiter<Gcra> =
        TableLimiter::new(&table, KeyedLimiterConfig::default())?.with_legacy(true);
    for attempt in 1..=6 {
        let Some(response) = limiter.check("oauth:start", &client, clock.now())? else {
            continue;
        };
        println!("oauth:start attempt {attempt}: {}", response.status);
        if let Some(body) = &response.body {
            for (name, value) in &response.headers {
                println!("  {name}: {value}");
            }
            println!("  {body}");
        }
        clock.advance(Duration::from_secs(1));
    }
    let user = ClientKey::user("42");
    if let Some(limit) = table.resolve("posts:list", &user) {
        println!(
            "posts:list for {user}: no scope entry, the user default {} applies under key {}",
            limit.rate, limit.key
        );
    }
    Ok(())
}

/// A login endpoint: three failure counters kept in a map (Redis in production).
fn login(clock: &FixedClock) {
    println!("== login lockout");
    let guard = LoginGuard::default();
    let mut store: HashMap<String, FailureState> = HashMap::new();
    let ip = ClientKey::ip(
        "203.0.113.9"
            .parse()
            .unwrap_or(IpAddr::from([203, 0, 113, 9])),
    );
    let (pair_key, ip_key, account_key) = LoginGuard::keys("alice", &ip.to_string());
    let load = |store: &HashMap<String, FailureState>| LoginStates {
        pair: store.get(&pair_key).copied(),
        ip: store.get(&ip_key).copied(),
        account: store.get(&account_key).copied(),
    };
    let save = |store: &mut HashMap<String, FailureState>, states: LoginStates| {
        for (key, state) in [
            (&pair_key, states.pair),
            (&ip_key, states.ip),
            (&account_key, states.account),
        ] {
            match state {
                Some(state) => store.insert(key.clone(), state),
                None => store.remove(key),
            };
        }
    };
    for attempt in 1..=7 {
        let states = load(&store);
        let status = guard.status(&states, clock.now());
        if status.is_open() {
            println!("attempt {attempt}: wrong password");
            save(&mut store, guard.record_failure(&states, clock.now()));
        } else {
            println!("attempt {attempt}: locked ({status:?})");
            clock.advance(Duration::from_secs(61));
        }
    }
    let states = load(&store);
    save(&mut store, guard.record_success(&states));
    let after = load(&store);
    println!(
        "right password: pair and account counters cleared ({}), IP counter kept at {} failures",
        after.pair.is_none() && after.account.is_none(),
        after.ip.map_or(0, |s| s.failures())
    );
}
