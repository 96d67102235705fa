//! Time as an input.
//!
//! Every decision in the crate (token validity, rate limits, lockouts, TTLs) is a
//! function of an explicit [`UnixTime`]. The [`Clock`] trait exists only for the
//! convenience wrappers that read "now" for you; tests pass a [`FixedClock`] and
//! never sleep. [`CoarseClock`] is the cheap one for hot paths: one atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An absolute point in time: nanoseconds since the Unix epoch.
///
/// Absolute time (rather than a process-relative `Instant`) is what lets state
/// produced on one machine be checked on another, or stored in Redis.
/// The range ends in the year 2554; constructors that could overflow are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self(0);

    const NANOS_PER_SEC: u64 = 1_000_000_000;

    /// A time from whole seconds since the epoch; `None` past the year 2554.
    pub const fn from_secs(secs: u64) -> Option<Self> {
        match secs.checked_mul(Self::NANOS_PER_SEC) {
            Some(nanos) => Some(Self(nanos)),
            None => None,
        }
    }

    /// A time from nanoseconds since the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// A time from fractional seconds, as Python's `time.time()` gives them.
    ///
    /// `None` for a negative, non-finite or out-of-range value.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        let nanos = secs * Self::NANOS_PER_SEC as f64;
        // u64::MAX as f64 rounds up to 2^64, so `<` keeps the cast in range.
        if nanos < u64::MAX as f64 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(Self(nanos as u64))
        } else {
            None
        }
    }

    /// Whole seconds since the epoch (truncated).
    pub const fn as_secs(self) -> u64 {
        self.0 / Self::NANOS_PER_SEC
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Fractional seconds since the epoch.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::NANOS_PER_SEC as f64
    }

    /// `self + duration`, or `None` if that leaves the representable range.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        let nanos = u64::try_from(duration.as_nanos()).ok()?;
        self.0.checked_add(nanos).map(Self)
    }

    /// `self - duration`, or `None` before the epoch.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        let nanos = u64::try_from(duration.as_nanos()).ok()?;
        self.0.checked_sub(nanos).map(Self)
    }

    /// The time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// A source of the current time, injected wherever "now" is needed.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        // A clock set before 1970 reads as the epoch; one past 2554 as the end of range.
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        UnixTime(u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// The system time as a background thread last read it: a clock for hot paths,
/// where reading [`SystemClock`] per decision would cost more than the decision.
///
/// A read is one atomic load (a few nanoseconds; a system clock read costs tens of
/// nanoseconds on a virtual machine). The first read in a process starts one
/// thread, named `portcullis-clock`, that reads [`SystemClock`] every
/// [`CoarseClock::RESOLUTION`] for the life of the process; it never stops, and
/// every `CoarseClock` shares it.
///
/// **Resolution.** A reading is at most [`CoarseClock::RESOLUTION`] behind the
/// system clock while the thread is scheduled on time, and later on a starved
/// machine: it never runs ahead. Decisions made on it are therefore made slightly
/// in the past: a rate limiter refills a little later (the strict side), a token
/// expires up to that much later (well inside any leeway). Like [`SystemClock`]
/// it follows the system clock, steps back included. If the thread cannot be
/// started, every read falls back to reading [`SystemClock`].
///
/// ```
/// use portcullis::clock::{Clock, CoarseClock, SystemClock};
///
/// let coarse = CoarseClock.now();
/// let system = SystemClock.now();
/// assert!(coarse <= system);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CoarseClock;

impl CoarseClock {
    /// How often the background thread reads the system clock.
    pub const RESOLUTION: Duration = Duration::from_millis(1);
}

/// The latest reading of the background thread, or `None` when it could not start.
fn coarse_reading() -> Option<&'static AtomicU64> {
    static READING: OnceLock<Option<&'static AtomicU64>> = OnceLock::new();
    *READING.get_or_init(|| {
        static NANOS: AtomicU64 = AtomicU64::new(0);
        NANOS.store(SystemClock.now().0, Ordering::Relaxed);
        let started = std::thread::Builder::new()
            .name("portcullis-clock".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(CoarseClock::RESOLUTION);
                    NANOS.store(SystemClock.now().0, Ordering::Relaxed);
                }
            });
        started.ok().map(|_| &NANOS)
    })
}

impl Clock for CoarseClock {
    fn now(&self) -> UnixTime {
        match coarse_reading() {
            Some(nanos) => UnixTime(nanos.load(Ordering::Relaxed)),
            None => SystemClock.now(),
        }
    }
}

/// A clock that stands still until told to move: for tests and simulations.
///
/// It is shared by reference across threads; [`FixedClock::advance`] and
/// [`FixedClock::set`] take `&self`.
#[derive(Debug, Default)]
pub struct FixedClock {
    nanos: AtomicU64,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub const fn new(now: UnixTime) -> Self {
        Self {
            nanos: AtomicU64::new(now.0),
        }
    }

    /// Moves the clock to `now` (backwards too, to test clock skew).
    pub fn set(&self, now: UnixTime) {
        self.nanos.store(now.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`, saturating at the end of the range.
    pub fn advance(&self, by: Duration) {
        let step = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // fetch_update only fails when the closure returns None, which it never does.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(step))
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_stands_still_and_advances() {
        let clock = FixedClock::new(UnixTime::from_secs(1_700_000_000).unwrap());
        assert_eq!(clock.now().as_secs(), 1_700_000_000);
        assert_eq!(clock.now(), clock.now());
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now().as_nanos(), 1_700_000_001_500_000_000);
        clock.set(UnixTime::EPOCH);
        assert_eq!(clock.now(), UnixTime::EPOCH);
    }

    #[test]
    fn advance_saturates_instead_of_wrapping() {
        let clock = FixedClock::new(UnixTime::from_nanos(u64::MAX - 1));
        clock.advance(Duration::from_secs(10));
        assert_eq!(clock.now().as_nanos(), u64::MAX);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().as_secs() > 1_577_836_800);
    }

    #[test]
    fn coarse_clock_trails_the_system_clock_by_about_its_resolution() {
        let before = SystemClock.now();
        let coarse = CoarseClock.now();
        let after = SystemClock.now();
        assert!(coarse <= after, "never ahead");
        // The first read stores a fresh reading; later ones trail by the thread's
        // period (generous bound for a loaded machine).
        assert!(before.saturating_since(coarse) < Duration::from_secs(5));
        let later = (0..200)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(5));
                CoarseClock.now()
            })
            .find(|t| *t > coarse);
        assert!(later.is_some(), "the background thread moves it");
    }

    #[test]
    fn conversions_are_checked() {
        assert_eq!(UnixTime::from_secs(u64::MAX), None);
        assert_eq!(UnixTime::from_secs_f64(-1.0), None);
        assert_eq!(UnixTime::from_secs_f64(f64::NAN), None);
        assert_eq!(UnixTime::from_secs_f64(1e300), None);
        assert_eq!(
            UnixTime::from_secs_f64(1.5).map(UnixTime::as_nanos),
            Some(1_500_000_000)
        );
        let t = UnixTime::from_secs(10).unwrap();
        assert_eq!(t.checked_sub(Duration::from_secs(11)), None);
        assert_eq!(
            UnixTime::from_nanos(u64::MAX).checked_add(Duration::from_nanos(1)),
            None
        );
        assert_eq!(
            t.saturating_since(UnixTime::from_secs(20).unwrap()),
            Duration::ZERO
        );
    }
}
