//! Properties of the five rate-limit algorithms, checked against independent models.

use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::ratelimit::{
    Algorithm, Decision, FixedWindow, FixedWindowState, Gcra, GcraState, Rate, SlidingLog,
    SlidingLogState, SlidingWindow, SlidingWindowState, TokenBucket, TokenBucketState,
};
use proptest::prelude::*;

/// A non-zero `u32` for a rate.
fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).expect("a non-zero count")
}

const SEC: u64 = 1_000_000_000;
/// A start time that is not aligned to any window, to catch alignment slips.
const START: u64 = 1_700_000_000 * SEC + 123_456_789;

/// A small rate and a run of (time step, cost) requests with time never going back.
fn scenario() -> impl Strategy<Value = (Rate, Vec<(u64, u32)>)> {
    (1u32..=8, 1u32..=4).prop_flat_map(|(limit, period_s)| {
        let rate = Rate::new(nz(limit), nz(period_s));
        let period = u64::from(period_s) * SEC;
        let step = prop_oneof![
            3 => Just(0u64),
            3 => 0..period / 4,
            2 => 0..period * 2,
            1 => (0..4u64).prop_map(move |k| k * period / u64::from(limit)),
        ];
        let cost = prop_oneof![4 => Just(1u32), 1 => 0..=limit];
        (Just(rate), prop::collection::vec((step, cost), 1..60))
    })
}

/// Runs the requests; returns (time, cost, decision) for each.
fn run<A: Algorithm>(rate: &Rate, steps: &[(u64, u32)]) -> Vec<(u64, u32, Decision)> {
    let mut now = START;
    let mut state: Option<A::State> = None;
    let mut out = Vec::new();
    for &(step, cost) in steps {
        now += step;
        let t = UnixTime::from_nanos(now);
        let (decision, next) = A::decide(rate, state.as_ref(), t, cost).unwrap();
        if cost == 0 {
            let again = A::decide(rate, Some(&next), t, 0).unwrap().0;
            assert_eq!(again, decision, "a peek changes nothing");
        }
        // Retry-after is never early and never needlessly late.
        if !decision.allowed {
            let r = u64::try_from(decision.retry_after.as_nanos()).unwrap();
            assert!(r > 0, "a refusal has a positive retry_after");
            let at = |d: u64| {
                A::decide(
                    rate,
                    Some(&next),
                    UnixTime::from_nanos(now + d),
                    cost.max(1),
                )
                .unwrap()
                .0
                .allowed
            };
            assert!(at(r), "waiting retry_after ({r} ns) must succeed");
            assert!(!at(r - 1), "one nanosecond less must still be refused");
        } else {
            assert_eq!(decision.retry_after, Duration::ZERO);
        }
        assert!(decision.remaining <= rate.limit());
        assert_eq!(decision.limit, rate.limit());
        state = Some(next);
        out.push((now, cost, decision));
    }
    out
}

fn admitted(log: &[(u64, u32, Decision)]) -> Vec<(u64, u64)> {
    log.iter()
        .filter(|(_, cost, d)| d.allowed && *cost > 0)
        .map(|(t, cost, _)| (*t, u64::from(*cost)))
        .collect()
}

/// GCRA and token bucket: in any closed interval [a, b], at most
/// `limit + (b - a) * limit / period` units (burst plus steady refill).
fn assert_bucket_bound(rate: &Rate, admitted: &[(u64, u64)]) {
    let period = u64::from(rate.period_secs()) * SEC;
    let limit = u64::from(rate.limit());
    for (i, (a, _)) in admitted.iter().enumerate() {
        let mut units = 0;
        for (b, cost) in &admitted[i..] {
            units += cost;
            let bound = limit
                + u64::try_from(u128::from(b - a) * u128::from(limit) / u128::from(period))
                    .unwrap();
            assert!(units <= bound, "{units} units in [{a}, {b}] > {bound}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn gcra_never_exceeds_burst_plus_refill((rate, steps) in scenario()) {
        assert_bucket_bound(&rate, &admitted(&run::<Gcra>(&rate, &steps)));
    }

    #[test]
    fn token_bucket_never_exceeds_burst_plus_refill((rate, steps) in scenario()) {
        assert_bucket_bound(&rate, &admitted(&run::<TokenBucket>(&rate, &steps)));
    }

    #[test]
    fn gcra_and_token_bucket_agree_on_a_forward_clock((rate, steps) in scenario()) {
        let gcra = run::<Gcra>(&rate, &steps);
        let bucket = run::<TokenBucket>(&rate, &steps);
        for (g, b) in gcra.iter().zip(&bucket) {
            prop_assert_eq!(g, b);
        }
    }

    #[test]
    fn fixed_window_admits_at_most_limit_per_aligned_window((rate, steps) in scenario()) {
        let period = u64::from(rate.period_secs()) * SEC;
        let mut per_window = std::collections::BTreeMap::new();
        for (t, cost) in admitted(&run::<FixedWindow>(&rate, &steps)) {
            *per_window.entry(t / period).or_insert(0) += cost;
        }
        for units in per_window.values() {
            prop_assert!(*units <= u64::from(rate.limit()));
        }
    }

    #[test]
    fn sliding_log_admits_at_most_limit_in_any_period((rate, steps) in scenario()) {
        let period = u64::from(rate.period_secs()) * SEC;
        let log = run::<SlidingLog>(&rate, &steps);
        let admitted = admitted(&log);
        // Any window (t - period, t] ending at an admission.
        for (t, _) in &admitted {
            let units: u64 = admitted.iter().filter(|(s, _)| s + period > *t && s <= t).map(|(_, c)| c).sum();
            prop_assert!(units <= u64::from(rate.limit()));
        }
        // DRF: with the log full, a refusal's wait is the oldest entry's expiry.
        for (now, cost, d) in &log {
            if !d.allowed && *cost <= 1 {
                let oldest = admitted.iter().map(|(s, _)| *s).find(|s| s + period > *now).unwrap();
                let live: u64 = admitted.iter().filter(|(s, _)| s + period > *now && s <= now).map(|(_, c)| c).sum();
                if live == u64::from(rate.limit()) {
                    prop_assert_eq!(d.retry_after, Duration::from_nanos(oldest + period - now));
                }
            }
        }
    }

    #[test]
    fn sliding_window_matches_its_estimate_exactly((rate, steps) in scenario()) {
        let period = u64::from(rate.period_secs()) * SEC;
        let limit = u128::from(rate.limit());
        let log = run::<SlidingWindow>(&rate, &steps);
        let mut history: Vec<(u64, u64)> = Vec::new();
        for (now, cost, d) in &log {
            let window = now / period;
            let count = |w: u64| -> u128 {
                history.iter().filter(|(t, _)| t / period == w).map(|(_, c)| u128::from(*c)).sum()
            };
            let previous = if window == 0 { 0 } else { count(window - 1) };
            let current = count(window);
            let elapsed = u128::from(now % period);
            let p = u128::from(period);
            // The previous window weighs in whole units, rounded down.
            let fits = previous * (p - elapsed) / p + current + u128::from((*cost).max(1)) <= limit;
            prop_assert_eq!(d.allowed, fits);
            prop_assert!(current <= limit);
            if d.allowed && *cost > 0 {
                history.push((*now, u64::from(*cost)));
            }
        }
    }

    #[test]
    fn states_round_trip_through_bytes_and_serde((rate, steps) in scenario()) {
        let mut now = START;
        let (mut g, mut b, mut f, mut w, mut l) = (None, None, None, None, None);
        for (step, cost) in steps {
            now += step;
            let t = UnixTime::from_nanos(now);
            g = Some(Gcra::decide(&rate, g.as_ref(), t, cost).unwrap().1);
            b = Some(TokenBucket::decide(&rate, b.as_ref(), t, cost).unwrap().1);
            f = Some(FixedWindow::decide(&rate, f.as_ref(), t, cost).unwrap().1);
            w = Some(SlidingWindow::decide(&rate, w.as_ref(), t, cost).unwrap().1);
            l = Some(SlidingLog::decide(&rate, l.as_ref(), t, cost).unwrap().1);
        }
        let (g, b, f, w, l) = (g.unwrap(), b.unwrap(), f.unwrap(), w.unwrap(), l.unwrap());
        prop_assert_eq!(GcraState::from_bytes(g.to_bytes()), g);
        prop_assert_eq!(TokenBucketState::from_bytes(b.to_bytes()), b);
        prop_assert_eq!(FixedWindowState::from_bytes(f.to_bytes()), f);
        prop_assert_eq!(SlidingWindowState::from_bytes(w.to_bytes()), w);
        prop_assert_eq!(&SlidingLogState::from_bytes(&l.to_bytes(), &rate).unwrap(), &l);
        prop_assert!(l.units() <= u64::from(rate.limit()));
        // The trait's one codec agrees with each state's own byte form.
        prop_assert_eq!(Gcra::decode(&rate, &Gcra::encode(&g)).unwrap(), g);
        prop_assert_eq!(TokenBucket::decode(&rate, &TokenBucket::encode(&b)).unwrap(), b);
        prop_assert_eq!(FixedWindow::decode(&rate, &FixedWindow::encode(&f)).unwrap(), f);
        prop_assert_eq!(SlidingWindow::decode(&rate, &SlidingWindow::encode(&w)).unwrap(), w);
        prop_assert_eq!(&SlidingLog::decode(&rate, &SlidingLog::encode(&l)).unwrap(), &l);
        prop_assert!(Gcra::decode(&rate, &[0; 7]).is_err());
        let json = serde_json::to_string(&(g, b, f, w, &l)).unwrap();
        let back: (GcraState, TokenBucketState, FixedWindowState, SlidingWindowState, SlidingLogState) =
            serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, (g, b, f, w, l));
    }

    #[test]
    fn rate_display_round_trips(limit in 1u32.., period in 1u32..) {
        let rate = Rate::new(nz(limit), nz(period));
        prop_assert_eq!(rate.to_string().parse::<Rate>().unwrap(), rate);
    }

    #[test]
    fn rate_parser_never_panics(text in "\\PC{0,24}") {
        if let Ok(rate) = text.parse::<Rate>() {
            prop_assert_eq!(rate.to_string().parse::<Rate>().unwrap(), rate);
        }
    }

    #[test]
    fn arbitrary_states_and_times_never_panic(
        bytes in prop::array::uniform16(any::<u8>()),
        now in any::<u64>(),
        cost in 0u32..=3,
        limit in 1u32..=3,
        period in 1u32..,
    ) {
        let rate = Rate::new(nz(limit), nz(period));
        let t = UnixTime::from_nanos(now);
        let mut g = GcraState::from_bytes(bytes[..8].try_into().unwrap());
        let mut b = TokenBucketState::from_bytes(bytes);
        let mut f = FixedWindowState::from_bytes(bytes[..12].try_into().unwrap());
        let mut w = SlidingWindowState::from_bytes(bytes);
        let cost = cost.min(limit);
        let _ = Gcra::apply(&rate, &mut g, t, cost).unwrap();
        let _ = TokenBucket::apply(&rate, &mut b, t, cost).unwrap();
        let _ = FixedWindow::apply(&rate, &mut f, t, cost).unwrap();
        let _ = SlidingWindow::apply(&rate, &mut w, t, cost).unwrap();
        if let Ok(mut l) = SlidingLogState::from_bytes(&bytes[..12], &rate) {
            let _ = SlidingLog::apply(&rate, &mut l, t, cost).unwrap();
        }
    }
}
