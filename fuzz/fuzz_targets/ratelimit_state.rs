//! Stored rate-limit state read back from arbitrary bytes (a tampered Redis
//! value) must never make a decision panic, at any time and cost.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::ratelimit::{
    Algorithm, FixedWindow, FixedWindowState, Gcra, GcraState, Rate, SlidingLog,
    SlidingLogState, SlidingWindow, SlidingWindowState, TokenBucket, TokenBucketState,
};

fn take<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, d) in out.iter_mut().zip(data) {
        *o = *d;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let header: [u8; 16] = take(data);
    let body = data.get(16..).unwrap_or_default();
    let limit = u32::from_be_bytes(take(&header[..4])).max(1);
    let period = u32::from_be_bytes(take(&header[4..8])).max(1);
    let now = UnixTime::from_nanos(u64::from_be_bytes(take(&header[8..16])));
    let Ok(rate) = Rate::new(limit, period) else { return };
    let cost = limit.min(u32::from(body.first().copied().unwrap_or(1)));
    let _ = Gcra::apply(&rate, &mut GcraState::from_bytes(take(body)), now, cost);
    let _ = TokenBucket::apply(&rate, &mut TokenBucketState::from_bytes(take(body)), now, cost);
    let _ = FixedWindow::apply(&rate, &mut FixedWindowState::from_bytes(take(body)), now, cost);
    let _ = SlidingWindow::apply(&rate, &mut SlidingWindowState::from_bytes(take(body)), now, cost);
    if let Ok(mut log) = SlidingLogState::from_bytes(body, &rate) {
        let before = log.units();
        let decision = SlidingLog::apply(&rate, &mut log, now, cost);
        assert!(decision.is_ok());
        assert!(log.units() <= before.max(u64::from(limit)));
    }
});
