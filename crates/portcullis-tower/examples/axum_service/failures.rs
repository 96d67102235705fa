//! The in-memory login failure table (the Redis backend keeps the same states).
//!
//! Two bounded maps: one for known accounts and client networks, one for
//! usernames that match no account, so a flood of random usernames cannot crowd
//! out real users' state. When a map is full, expired entries go first, then
//! the oldest unlocked ones; only a map full of live locks refuses a failure
//! (fail closed, 503). A success only clears or updates entries already held,
//! so it never needs room and never fails for lack of it.

use std::collections::HashMap;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::{FailureState, LockoutPolicy, LoginGuard, LoginStates};

/// The table has no room for a failure record: every entry is a live lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Failure states by key, for known accounts and for unknown usernames apart.
#[derive(Debug)]
pub(crate) struct FailureTable {
    /// Known accounts' pair and account states, and every network's state.
    known: HashMap<String, FailureState>,
    /// Pair and account states of usernames that match no account.
    unknown: HashMap<String, FailureState>,
    /// The most entries each map holds.
    capacity: usize,
}

impl FailureTable {
    /// A table of at most `capacity` entries per map.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            known: HashMap::new(),
            unknown: HashMap::new(),
            capacity: capacity.max(3),
        }
    }

    /// The entries held, both maps together.
    pub(crate) fn len(&self) -> usize {
        self.known.len() + self.unknown.len()
    }

    /// The three states of `username` from `ip`; `known` says whether the
    /// username names an account.
    pub(crate) fn states(&self, username: &str, ip: &str, known: bool) -> LoginStates {
        let (pair, ip, account) = LoginGuard::keys(username, ip);
        let users = if known { &self.known } else { &self.unknown };
        LoginStates {
            pair: users.get(&pair).copied(),
            ip: self.known.get(&ip).copied(),
            account: users.get(&account).copied(),
        }
    }

    /// Records a login attempt's outcome.
    pub(crate) fn record(
        &mut self,
        guard: &LoginGuard,
        username: &str,
        ip: &str,
        known: bool,
        ok: bool,
        now: UnixTime,
    ) -> Result<(), Full> {
        let (pair_key, ip_key, account_key) = LoginGuard::keys(username, ip);
        let states = self.states(username, ip, known);
        if ok {
            let next = guard.record_success(&states);
            let users = if known {
                &mut self.known
            } else {
                &mut self.unknown
            };
            update_held(users, pair_key, next.pair);
            update_held(users, account_key, next.account);
            update_held(&mut self.known, ip_key, next.ip);
            return Ok(());
        }
        let next = guard.record_failure(&states, now);
        let capacity = self.capacity;
        let new_ip = usize::from(!self.known.contains_key(&ip_key));
        if known {
            let new_users = [&pair_key, &account_key]
                .iter()
                .filter(|k| !self.known.contains_key(**k))
                .count();
            make_room(
                &mut self.known,
                capacity,
                new_ip + new_users,
                guard,
                now,
                false,
            )?;
        } else {
            make_room(&mut self.known, capacity, new_ip, guard, now, false)?;
            make_room(&mut self.unknown, capacity, 2, guard, now, true)?;
        }
        let users = if known {
            &mut self.known
        } else {
            &mut self.unknown
        };
        for (key, state) in [(pair_key, next.pair), (account_key, next.account)] {
            if let Some(state) = state {
                users.insert(key, state);
            }
        }
        if let Some(state) = next.ip {
            self.known.insert(ip_key, state);
        }
        Ok(())
    }
}

/// Sets or clears `key` if it is held; never adds an entry.
fn update_held(map: &mut HashMap<String, FailureState>, key: String, state: Option<FailureState>) {
    match state {
        Some(state) => {
            if let Some(slot) = map.get_mut(&key) {
                *slot = state;
            }
        }
        None => {
            map.remove(&key);
        }
    }
}

fn policy_of<'g>(guard: &'g LoginGuard, key: &str) -> &'g LockoutPolicy {
    if key.starts_with("login:pair:") {
        &guard.pair
    } else if key.starts_with("login:ip:") {
        &guard.ip
    } else {
        &guard.account
    }
}

/// Frees room for `needed` new entries: expired entries first, then the oldest
/// unlocked ones (down to 7/8 of capacity, so a flood sorts once per many
/// inserts), then, when `evict_locked`, the oldest of any.
fn make_room(
    map: &mut HashMap<String, FailureState>,
    capacity: usize,
    needed: usize,
    guard: &LoginGuard,
    now: UnixTime,
    evict_locked: bool,
) -> Result<(), Full> {
    if map.len() + needed <= capacity {
        return Ok(());
    }
    map.retain(|key, state| policy_of(guard, key).expires_at(state) > now);
    let target = (capacity - capacity / 8).min(capacity.saturating_sub(needed));
    for only_unlocked in [true, false] {
        if map.len() <= target || (!only_unlocked && !evict_locked) {
            break;
        }
        let mut candidates: Vec<(UnixTime, String)> = map
            .iter()
            .filter(|(key, state)| {
                !only_unlocked || policy_of(guard, key).status(Some(state), now).is_open()
            })
            .map(|(key, state)| (state.last_failure(), key.clone()))
            .collect();
        candidates.sort_unstable();
        let excess = map.len() - target;
        for (_, key) in candidates.into_iter().take(excess) {
            map.remove(&key);
        }
    }
    if map.len() + needed <= capacity {
        Ok(())
    } else {
        Err(Full)
    }
}

#[cfg(test)]
mod tests {
    use super::FailureTable;

    #[test]
    fn a_flood_of_unknown_users_never_fails_a_rightful_login() {
        use portcullis::clock::UnixTime;
        use portcullis::ratelimit::lockout::LoginGuard;

        let guard = LoginGuard::default();
        let t = |s: u64| UnixTime::from_secs(1_800_000_000 + s).unwrap();
        let mut table = FailureTable::new(64);
        // bob is locked (for a minute) by five failures from his network before the flood.
        for _ in 0..5 {
            table
                .record(&guard, "bob", "ip:192.0.2.9", true, false, t(0))
                .unwrap();
        }
        // A flood of random usernames from many networks, as fast as it likes.
        let mut refused = 0;
        for i in 0..10_000u64 {
            let user = format!("nobody-{i}");
            let ip = format!("ip:2001:db8:{:x}::/56", i % 4096);
            refused += u32::from(
                table
                    .record(&guard, &user, &ip, false, false, t(1 + i / 250))
                    .is_err(),
            );
        }
        assert_eq!(
            refused, 0,
            "unknown-user failures have their own bounded room"
        );
        assert!(table.len() <= 64 * 2, "bounded: {}", table.len());
        let now = t(41);
        // A success never fails for lack of room, and a known user's failure finds room.
        table
            .record(&guard, "alice", "ip:198.51.100.7", true, true, now)
            .expect("a success always has room");
        table
            .record(&guard, "carol", "ip:198.51.100.8", true, false, now)
            .expect("old unlocked entries make room for a known user's failure");
        // The locked account was not evicted to make that room.
        let bob = table.states("bob", "ip:192.0.2.9", true);
        assert!(
            !guard.status(&bob, now).is_open(),
            "bob's lock survived the flood"
        );
    }
}
