//! The sliding window under steady overload, at one instant, and on rolling windows.

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{Algorithm, Rate, SlidingWindow};
use proptest::prelude::*;

/// A non-zero `u32` for a rate.
fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).expect("a non-zero count")
}

const SEC: u64 = 1_000_000_000;
/// Not aligned to any window.
const START: u64 = 1_800_000_000 * SEC + 300_000_000;

/// Admitted requests of a steady stream of `per_period` requests per period for
/// `periods` periods.
fn steady(rate: &Rate, per_period: u64, periods: u64) -> u64 {
    let period = u64::from(rate.period_secs()) * SEC;
    let gap = period / per_period;
    let mut state = None;
    let mut admitted = 0;
    for i in 0..per_period * periods {
        let now = UnixTime::from_nanos(START + i * gap);
        let (decision, next) = SlidingWindow::decide(rate, state.as_ref(), now, 1).unwrap();
        state = Some(next);
        admitted += u64::from(decision.allowed);
    }
    admitted
}

#[test]
fn steady_threefold_overload_admits_the_rate_within_five_percent() {
    for (text, periods) in [("5/m", 20), ("10/5m", 20)] {
        let rate: Rate = text.parse().unwrap();
        let per_period = u64::from(rate.limit()) * 3;
        let admitted = steady(&rate, per_period, periods);
        let allowed = u64::from(rate.limit()) * periods;
        assert!(
            admitted * 100 >= allowed * 95 && admitted <= allowed,
            "{text}: admitted {admitted} of {allowed} over {periods} periods"
        );
    }
}

#[test]
fn a_burst_at_one_instant_is_exactly_the_limit() {
    for text in ["1/s", "5/m", "10/5m", "100/h"] {
        let rate: Rate = text.parse().unwrap();
        let now = UnixTime::from_nanos(START);
        let mut state = None;
        let mut admitted = 0;
        for _ in 0..rate.limit() * 2 {
            let (decision, next) = SlidingWindow::decide(&rate, state.as_ref(), now, 1).unwrap();
            state = Some(next);
            admitted += u32::from(decision.allowed);
        }
        assert_eq!(admitted, rate.limit(), "{text}");
    }
}

#[test]
fn the_rolling_window_bound_is_reached() {
    // The documented bound, 2 * limit in some interval of one period: a full
    // window at its very end, then a full window once the previous weighs under 1.
    let rate: Rate = "5/m".parse().unwrap();
    let t = |s: u64, ms: u64| UnixTime::from_nanos(s * SEC + ms * 1_000_000);
    let mut state = None;
    let mut times = Vec::new();
    for at in [t(1_800_000_059, 900); 5]
        .into_iter()
        .chain([t(1_800_000_108, 100); 5])
    {
        let (decision, next) = SlidingWindow::decide(&rate, state.as_ref(), at, 1).unwrap();
        state = Some(next);
        assert!(decision.allowed, "at {at:?}");
        times.push(at.as_nanos());
    }
    let span = times.last().unwrap() - times.first().unwrap();
    assert!(span < 60 * SEC, "10 admitted within {span} ns");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// In any interval of one period, at most `2 * limit` units are admitted, and
    /// at most `limit` within one epoch-aligned window.
    #[test]
    fn rolling_windows_hold_at_most_twice_the_limit(
        limit in 1u32..=8,
        period_s in 1u32..=4,
        steps in prop::collection::vec((0u64..2_000, 1u32..=2), 1..120),
    ) {
        let rate = Rate::new(nz(limit), nz(period_s));
        let period = u64::from(period_s) * SEC;
        let mut now = START;
        let mut state = None;
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for (step_ms, cost) in steps {
            now += step_ms * 1_000_000 * u64::from(period_s) / 4;
            let cost = cost.min(limit);
            let (decision, next) =
                SlidingWindow::decide(&rate, state.as_ref(), UnixTime::from_nanos(now), cost).unwrap();
            state = Some(next);
            if decision.allowed {
                admitted.push((now, u64::from(cost)));
            }
        }
        for &(start, _) in &admitted {
            let rolling: u64 = admitted
                .iter()
                .filter(|(t, _)| *t >= start && *t < start + period)
                .map(|(_, c)| c)
                .sum();
            prop_assert!(rolling <= 2 * u64::from(limit), "{rolling} in one period");
            let aligned: u64 = admitted
                .iter()
                .filter(|(t, _)| t / period == start / period)
                .map(|(_, c)| c)
                .sum();
            prop_assert!(aligned <= u64::from(limit));
        }
    }
}
