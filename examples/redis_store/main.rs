//! Redis-backed stores for the crate's pure state: a rate limiter, the login
//! lockout, and the token revocation store (atomic single-use refresh tokens,
//! family revocation, per-user cutoffs, expiry through Redis TTLs).
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example redis_store
//! cargo run --example redis_store     # starts its own redis-server if one is installed
//! ```
//!
//! Without `REDIS_URL` and without a `redis-server` on `PATH` it explains what it
//! needs and exits successfully. Keys live under a per-run prefix and are deleted
//! at the end.

mod server;
mod store;

use std::process::ExitCode;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{Gcra, Rate};
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, SigningKey, TokenConfig, TokenError, TokenService, Tokens,
};

use store::RedisStore;

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let (url, _server) = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => match server::RedisServer::start() {
            Ok(Some(server)) => {
                println!(
                    "REDIS_URL is not set: started a redis-server at {}",
                    server.url()
                );
                (server.url(), Some(server))
            }
            Ok(None) => {
                println!(
                    "redis_store: REDIS_URL is not set and no redis-server is installed.\n\
                     Set REDIS_URL=redis://host:port/db, or install redis-server, to run the demo."
                );
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("redis_store: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    match demo(&url) {
        Ok(()) => {
            println!("redis_store: done");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("redis_store: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo(url: &str) -> Result<(), BoxError> {
    let prefix = format!("portcullis-demo:{}:", std::process::id());
    let store = RedisStore::connect(url, &prefix)?;
    let result = run(&store);
    store.clear()?;
    result
}

fn run(store: &RedisStore) -> Result<(), BoxError> {
    let now = UnixTime::from_secs(1_800_000_000).ok_or("time out of range")?;

    println!("== rate limit: GCRA 5/m on one key, state stored by compare-and-swap");
    let rate: Rate = "5/m".parse()?;
    let mut answers = Vec::new();
    for _ in 0..7 {
        let decision = store.rate_limit::<Gcra>("rl:demo:ip:203.0.113.7", &rate, now, 1)?;
        answers.push(if decision.allowed { "ok" } else { "429" });
    }
    println!("  7 requests: {answers:?}");

    println!("== login lockout: per (user, IP), per IP, per account");
    let guard = LoginGuard::default();
    for attempt in 1..=6 {
        let states = store.login_states("alice", "ip:203.0.113.7")?;
        let status = guard.status(&states, now);
        println!("  attempt {attempt}: {status:?}");
        if status.is_open() {
            store.record_login_failure(&guard, "alice", "ip:203.0.113.7", now)?;
        }
    }

    // A success (here: a reset by an administrator) clears the pair and account counts.
    store.record_login_success(&guard, "alice", "ip:203.0.113.7")?;
    let states = store.login_states("alice", "ip:203.0.113.7")?;
    println!("  after a reset: {:?}", guard.status(&states, now));

    println!("== revocation store behind TokenService");
    let secret = SecretBytes::generate(32)?;
    let tokens = Tokens::new(
        TokenConfig::hardened(),
        Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret)?),
    )?;
    let service = TokenService::new(tokens, store);
    let pair = service.issue_pair("42", &serde_json::json!({}), now)?;
    let next = service.refresh(&pair.refresh, now)?;
    println!(
        "  refresh: rotated (new refresh token issued: {})",
        next.refresh.is_some()
    );
    let replay = service.refresh(&pair.refresh, now);
    println!("  replayed refresh: {replay:?}");
    let after = service.verify_access(&next.access, now);
    println!("  access token of the revoked family: {after:?}");
    if replay != Err(TokenError::Reused) || after != Err(TokenError::Blacklisted) {
        return Err("reuse detection did not revoke the family".into());
    }
    let other = service.issue_pair("42", &serde_json::json!({}), now)?;
    service.revoke_user_before("42", now)?;
    let later = now
        .checked_add(std::time::Duration::from_millis(5))
        .ok_or("time")?;
    let fresh = service.issue_pair("42", &serde_json::json!({}), later)?;
    let older = service.verify_access(&other.access, later);
    let newer = service.verify_access(&fresh.access, later);
    println!("  after logout-everywhere, another session's access token: {older:?}");
    println!("  a login 5 ms later, in the same second: {newer:?}");
    if older != Err(TokenError::Blacklisted) || newer.is_err() {
        return Err("logout-everywhere did not split the tokens at the call".into());
    }
    Ok(())
}
