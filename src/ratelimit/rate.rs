//! The rate grammar: `100/hour`, `5/m`, `10/5m`, `100/300s`.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use super::RateLimitError;

/// A quota: at most `limit` units per `period`.
///
/// Parsed from the strings DRF and django-ratelimit users already write in their
/// settings. The accepted grammar (everything else is an error):
///
/// ```text
/// rate       = count "/" [multiplier] unit      ; 100/hour, 5/m, 10/5m, 100/300s
///            | count "/" seconds                ; 100/300 (django-ratelimit: no unit = seconds)
/// count      = 1 ..= 4294967295                 ; decimal digits only
/// multiplier = 1 ..                             ; decimal digits only
/// unit       = s | sec | secs | second | seconds
///            | m | min | mins | minute | minutes
///            | h | hr | hrs | hour | hours
///            | d | day | days                   ; lower case only
/// period     = 1 s ..= 4294967295 s (about 136 years)
/// ```
///
/// How this relates to the Python packages (checked against them, see
/// `tests/data/ratelimit/`):
///
/// - DRF's `SimpleRateThrottle.parse_rate` reads only the *first character* of the
///   unit, so `5/minute`, `5/m` and also `5/mars` are 5 per minute; it has no
///   multiplier (`10/5m` raises `KeyError`). Every DRF rate written with a real
///   unit word parses here to the same quota; nonsense words such as `mars` are
///   refused.
/// - django-ratelimit matches `count/[multiplier][unit]` with a lower-case unit
///   letter and ignores whatever follows, so `10/M` silently means 10 per *second*
///   and `5/minute` works by accident. Here upper case is an error, and full unit
///   words are accepted on purpose.
///
/// `Display` prints the canonical form (the largest unit that divides the
/// period), which parses back to an equal `Rate`:
///
/// ```
/// use portcullis::ratelimit::Rate;
///
/// let rate: Rate = "100/300s".parse()?;
/// assert_eq!(rate.to_string(), "100/5m");
/// assert_eq!(rate.to_string().parse::<Rate>()?, rate);
/// assert_eq!("5/minute".parse::<Rate>()?, Rate::per_minute(5.try_into().unwrap()));
/// assert!("10/M".parse::<Rate>().is_err());
/// # Ok::<(), portcullis::ratelimit::RateLimitError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    limit: u32,
    period_s: u32,
    /// `ceil(period / limit)` in nanoseconds: the GCRA emission interval. Rounding
    /// up makes the limiter at most one nanosecond per request stricter than the
    /// exact quota, never looser.
    emission_ns: u64,
}

/// The accepted forms, quoted in every parse error.
pub(crate) const ACCEPTED_FORMS: &str = "accepted forms: `100/hour`, `5/m`, `1000/day`, \
     `10/5m`, `100/300s`, `100/300` (count/[multiplier]unit with a lower-case unit: s, sec, \
     second(s), m, min, minute(s), h, hr, hour(s), d, day(s); count 1 to 4294967295; period \
     1 s to 4294967295 s)";

const NANOS_PER_SEC: u64 = 1_000_000_000;
const SECS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(60).unwrap();
const SECS_PER_HOUR: NonZeroU32 = NonZeroU32::new(3600).unwrap();
const SECS_PER_DAY: NonZeroU32 = NonZeroU32::new(86_400).unwrap();

const UNITS: [(&str, u32); 19] = [
    ("s", 1),
    ("sec", 1),
    ("secs", 1),
    ("second", 1),
    ("seconds", 1),
    ("m", 60),
    ("min", 60),
    ("mins", 60),
    ("minute", 60),
    ("minutes", 60),
    ("h", 3600),
    ("hr", 3600),
    ("hrs", 3600),
    ("hour", 3600),
    ("hours", 3600),
    ("d", 86_400),
    ("day", 86_400),
    ("days", 86_400),
    // A bare count of seconds, as django-ratelimit reads `100/300`.
    ("", 1),
];

impl Rate {
    /// `limit` units per `period_secs` seconds (any non-zero values are valid).
    pub const fn new(limit: NonZeroU32, period_secs: NonZeroU32) -> Self {
        let (limit, period_s) = (limit.get(), period_secs.get());
        let period_ns = period_s as u64 * NANOS_PER_SEC;
        Self {
            limit,
            period_s,
            emission_ns: period_ns.div_ceil(limit as u64),
        }
    }

    /// `limit` per second.
    pub const fn per_second(limit: NonZeroU32) -> Self {
        Self::new(limit, NonZeroU32::MIN)
    }

    /// `limit` per minute.
    pub const fn per_minute(limit: NonZeroU32) -> Self {
        Self::new(limit, SECS_PER_MINUTE)
    }

    /// `limit` per hour.
    pub const fn per_hour(limit: NonZeroU32) -> Self {
        Self::new(limit, SECS_PER_HOUR)
    }

    /// `limit` per day.
    pub const fn per_day(limit: NonZeroU32) -> Self {
        Self::new(limit, SECS_PER_DAY)
    }

    /// The number of units allowed per period (also the burst).
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// The period in whole seconds.
    pub const fn period_secs(&self) -> u32 {
        self.period_s
    }

    /// The period.
    pub const fn period(&self) -> Duration {
        Duration::from_secs(self.period_s as u64)
    }

    /// The period in nanoseconds.
    pub(crate) const fn period_ns(&self) -> u64 {
        self.period_s as u64 * NANOS_PER_SEC
    }

    /// The time one unit of quota takes to come back, rounded up to a nanosecond.
    pub const fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.emission_ns)
    }

    pub(crate) const fn emission_ns(&self) -> u64 {
        self.emission_ns
    }

    /// `emission_interval * limit`: the GCRA burst tolerance, at least the period.
    pub(crate) const fn tolerance_ns(&self) -> u64 {
        // emission_ns <= period_ns / limit + 1, so the product is at most
        // period_ns + limit, far below u64::MAX.
        self.emission_ns.saturating_mul(self.limit as u64)
    }
}

impl FromStr for Rate {
    type Err = RateLimitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &'static str| RateLimitError::InvalidRate {
            input: truncate(text),
            reason,
        };
        let (count, per) = text.split_once('/').ok_or_else(|| invalid("missing `/`"))?;
        let limit = parse_number(count)
            .ok_or_else(|| invalid("the count must be decimal digits between 1 and 4294967295"))?;
        let digits_end = per.find(|c: char| !c.is_ascii_digit()).unwrap_or(per.len());
        let (multiplier, unit) = per.split_at(digits_end);
        let multiplier = if multiplier.is_empty() {
            if unit.is_empty() {
                return Err(invalid("missing period after `/`"));
            }
            1
        } else {
            parse_number(multiplier)
                .filter(|m| *m > 0)
                .ok_or_else(|| invalid("the period multiplier must be at least 1"))?
        };
        let unit_secs = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, secs)| *secs)
            .ok_or_else(|| invalid("unknown unit"))?;
        let period_secs = multiplier
            .checked_mul(unit_secs)
            .ok_or_else(|| invalid("the period is longer than 4294967295 seconds"))?;
        let limit =
            NonZeroU32::new(limit).ok_or_else(|| invalid("the count must be at least 1"))?;
        let period_secs = NonZeroU32::new(period_secs)
            .ok_or_else(|| invalid("the period multiplier must be at least 1"))?;
        Ok(Self::new(limit, period_secs))
    }
}

/// A `u32` from ASCII digits only: no sign, no spaces, no overflow.
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The offending input for an error message, cut short so a huge setting cannot
/// flood a log.
fn truncate(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (multiplier, unit) = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
            .into_iter()
            .find(|(secs, _)| self.period_s.is_multiple_of(*secs))
            .map_or((self.period_s, "s"), |(secs, unit)| {
                (self.period_s / secs, unit)
            });
        if multiplier == 1 {
            write!(f, "{}/{unit}", self.limit)
        } else {
            write!(f, "{}/{multiplier}{unit}", self.limit)
        }
    }
}

impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::nz;

    fn rate(text: &str) -> (u32, u32) {
        let r: Rate = text.parse().unwrap();
        (r.limit(), r.period_secs())
    }

    #[test]
    fn accepts_drf_and_django_ratelimit_forms() {
        assert_eq!(rate("100/hour"), (100, 3600));
        assert_eq!(rate("5/m"), (5, 60));
        assert_eq!(rate("5/minute"), (5, 60));
        assert_eq!(rate("1000/day"), (1000, 86_400));
        assert_eq!(rate("10/5m"), (10, 300));
        assert_eq!(rate("100/300s"), (100, 300));
        assert_eq!(rate("100/300"), (100, 300));
        assert_eq!(rate("1/seconds"), (1, 1));
        assert_eq!(rate("7/2hours"), (7, 7200));
        assert_eq!(rate("4294967295/4294967295s"), (u32::MAX, u32::MAX));
    }

    #[test]
    fn refuses_everything_else_and_names_the_accepted_forms() {
        for bad in [
            "",
            "10",
            "10/",
            "/m",
            "0/m",
            "10/M",
            "5/fortnight",
            "5/mars",
            "10/0m",
            "-1/m",
            "+1/m",
            " 5/m",
            "5/m ",
            "5/ m",
            "5//m",
            "5/m/s",
            "4294967296/m",
            "10/4294967296",
            "10/49711d",
            "1e3/m",
            "٣/m",
        ] {
            let err = bad.parse::<Rate>().unwrap_err().to_string();
            assert!(err.contains("accepted forms"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for (text, shown) in [
            ("100/hour", "100/h"),
            ("100/300s", "100/5m"),
            ("10/90s", "10/90s"),
            ("3/86400", "3/d"),
            ("3/172800", "3/2d"),
        ] {
            let r: Rate = text.parse().unwrap();
            assert_eq!(r.to_string(), shown);
            assert_eq!(shown.parse::<Rate>().unwrap(), r);
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let r: Rate = serde_json::from_str("\"10/5m\"").unwrap();
        assert_eq!(r, Rate::new(nz(10), nz(300)));
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"10/5m\"");
        let err = serde_json::from_str::<Rate>("\"10/M\"").unwrap_err();
        assert!(err.to_string().contains("accepted forms"));
    }

    #[test]
    fn long_input_is_truncated_in_errors() {
        let long = "x".repeat(10_000);
        let err = long.parse::<Rate>().unwrap_err().to_string();
        assert!(err.len() < 600, "{}", err.len());
    }

    #[test]
    fn emission_interval_rounds_up() {
        let r = Rate::per_second(nz(3));
        assert_eq!(r.emission_interval(), Duration::from_nanos(333_333_334));
        assert!(r.tolerance_ns() >= r.period_ns());
    }
}
