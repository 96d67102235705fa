//! Stored rate-limit and lockout state read back from arbitrary bytes (a tampered
//! Redis value) must never make a decision panic, at any time and cost; every
//! state that decodes encodes back to the same bytes, and a decision's new state
//! round-trips through the codec.
#![no_main]

use std::num::NonZeroU32;

use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::ratelimit::lockout::{FailureState, LockoutPolicy, LockoutStatus, LoginGuard, LoginStates};
use portcullis::ratelimit::{
    Algorithm, FixedWindow, Gcra, Rate, SlidingLog, SlidingWindow, TokenBucket,
};

fn take<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, d) in out.iter_mut().zip(data) {
        *o = *d;
    }
    out
}

/// Decodes `body` as `A`'s state; if it decodes, checks the round trip and
/// decides on it, then checks the new state's round trip.
fn check<A: Algorithm>(rate: &Rate, body: &[u8], now: UnixTime, cost: u32) {
    let Ok(state) = A::decode(rate, body) else {
        return;
    };
    assert_eq!(A::encode(&state), body, "decode then encode is the identity");
    let (_, next) = A::decide(rate, Some(&state), now, cost).expect("cost is within the limit");
    let bytes = A::encode(&next);
    assert_eq!(A::decode(rate, &bytes).expect("a decided state decodes"), next);
}

fn check_lockout(body: &[u8], now: UnixTime) {
    let Ok(state) = FailureState::decode(body) else {
        return;
    };
    assert_eq!(state.to_bytes().as_slice(), body);
    let guard = LoginGuard::default();
    // A stored last failure may lie ahead of `now` by up to one cap.
    let ahead = std::time::Duration::from_nanos(
        state.last_failure().as_nanos().saturating_sub(now.as_nanos()),
    );
    for policy in [guard.pair, guard.ip, guard.account, LockoutPolicy::per_account()] {
        // No stored state locks for longer than the policy's cap past its last failure.
        if let LockoutStatus::Locked { retry_after } = policy.status(Some(&state), now) {
            assert!(retry_after <= policy.max_lockout() + ahead.min(policy.max_lockout()));
        }
        let next = policy.record_failure(Some(&state), now);
        assert_eq!(FailureState::decode(&next.to_bytes()).expect("decodes"), next);
        if let LockoutStatus::Locked { retry_after } = policy.status(Some(&next), now) {
            assert!(retry_after <= policy.max_lockout() + ahead.min(policy.max_lockout()));
        }
    }
    let states = LoginStates { pair: Some(state), ip: Some(state), account: Some(state) };
    let _ = guard.status(&guard.record_failure(&states, now), now);
}

fuzz_target!(|data: &[u8]| {
    let header: [u8; 16] = take(data);
    let body = data.get(16..).unwrap_or_default();
    let limit = NonZeroU32::new(u32::from_be_bytes(take(&header[..4]))).unwrap_or(NonZeroU32::MIN);
    let period = NonZeroU32::new(u32::from_be_bytes(take(&header[4..8]))).unwrap_or(NonZeroU32::MIN);
    let now = UnixTime::from_nanos(u64::from_be_bytes(take(&header[8..16])));
    let rate = Rate::new(limit, period);
    let cost = limit.get().min(u32::from(body.first().copied().unwrap_or(1)));
    check::<Gcra>(&rate, body, now, cost);
    check::<TokenBucket>(&rate, body, now, cost);
    check::<FixedWindow>(&rate, body, now, cost);
    check::<SlidingWindow>(&rate, body, now, cost);
    check::<SlidingLog>(&rate, body, now, cost);
    check_lockout(body, now);
    // Any prefix of the right size also decides without a panic (the old form).
    for len in [8, 12, 16, 20] {
        let padded: Vec<u8> = body.iter().copied().chain(std::iter::repeat(0)).take(len).collect();
        check::<Gcra>(&rate, &padded, now, cost);
        check::<TokenBucket>(&rate, &padded, now, cost);
        check::<FixedWindow>(&rate, &padded, now, cost);
        check::<SlidingWindow>(&rate, &padded, now, cost);
        check_lockout(&padded, now);
    }
});
