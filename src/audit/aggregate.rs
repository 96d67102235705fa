//! Aggregating repeated refusals, so a flood of 429s costs a few records.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{AuditError, MAX_FIELD_LEN};
use crate::clock::UnixTime;

/// The key that counts refusals of new keys while the aggregator is full.
pub const OVERFLOW_KEY: &str = "*";

/// What to do with one refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The first refusal of this key in its window: audit it. `previous` is the
    /// summary of the key's last window, when refusals in it were suppressed.
    Record {
        /// The key's previous window, to audit as a summary.
        previous: Option<RefusalSummary>,
    },
    /// Counted into the key's open window: do not audit it now.
    Suppressed,
}

/// The refusals of one key in one window that were counted, not audited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalSummary {
    key: String,
    start: UnixTime,
    suppressed: u64,
}

impl RefusalSummary {
    /// The key (cut to [`MAX_FIELD_LEN`] bytes), or [`OVERFLOW_KEY`].
    pub fn key(&self) -> &str {
        &self.key
    }

    /// When the window opened (its first, audited refusal).
    pub fn start(&self) -> UnixTime {
        self.start
    }

    /// Refusals after the first, counted and not audited.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// `{"suppressed": n, "window_start": unix_seconds}`, for an audit event's metadata.
    pub fn metadata(&self) -> Value {
        json!({"suppressed": self.suppressed, "window_start": self.start.as_secs()})
    }
}

#[derive(Clone, Copy, Debug)]
struct Window {
    start: UnixTime,
    suppressed: u64,
}

/// Decides which refusals to audit: the first of each key per window, plus one
/// summary per window with the count of the rest. Pure (time is an argument) and
/// bounded: at most `max_keys` open windows; refusals of new keys beyond that
/// share the window of [`OVERFLOW_KEY`].
///
/// ```
/// use std::time::Duration;
/// use portcullis::audit::{Refusal, RefusalAggregator};
/// use portcullis::clock::UnixTime;
///
/// let mut agg = RefusalAggregator::new(Duration::from_secs(60), 10_000)?;
/// let t = |s| UnixTime::from_secs(s).unwrap_or_default();
/// assert!(matches!(agg.refuse("203.0.113.9", t(100)), Refusal::Record { previous: None }));
/// assert_eq!(agg.refuse("203.0.113.9", t(101)), Refusal::Suppressed);
/// let closed = agg.drain(t(160));
/// assert_eq!(closed.len(), 1);
/// assert_eq!(closed[0].suppressed(), 1);
/// # Ok::<(), portcullis::audit::AuditError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RefusalAggregator {
    window: Duration,
    max_keys: usize,
    open: HashMap<String, Window>,
}

impl RefusalAggregator {
    /// An aggregator with windows of `window` (1 second to 1 day) and at most
    /// `max_keys` (at least 1) keys tracked at once.
    ///
    /// # Errors
    /// [`AuditError::InvalidConfig`] naming the setting.
    pub fn new(window: Duration, max_keys: usize) -> Result<Self, AuditError> {
        if window < Duration::from_secs(1) || window > Duration::from_secs(86_400) {
            return Err(AuditError::InvalidConfig {
                setting: "window",
                value: window.as_secs(),
                expected: "1 to 86400 seconds",
            });
        }
        if max_keys == 0 {
            return Err(AuditError::InvalidConfig {
                setting: "max_keys",
                value: 0,
                expected: "at least 1",
            });
        }
        Ok(Self {
            window,
            max_keys,
            open: HashMap::new(),
        })
    }

    /// Keys with an open (or not yet drained) window.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Counts one refusal of `key` at `now` and says whether to audit it.
    pub fn refuse(&mut self, key: &str, now: UnixTime) -> Refusal {
        let key = cut(key);
        if !self.open.contains_key(key) && self.open.len() >= self.max_keys {
            self.open
                .retain(|_, w| w.suppressed > 0 || !closed(self.window, w, now));
        }
        let key = if self.open.contains_key(key) || self.open.len() < self.max_keys {
            key
        } else {
            OVERFLOW_KEY
        };
        let fresh = Window {
            start: now,
            suppressed: 0,
        };
        match self.open.get(key).copied() {
            Some(w) if !closed(self.window, &w, now) => {
                if let Some(open) = self.open.get_mut(key) {
                    open.suppressed = open.suppressed.saturating_add(1);
                }
                Refusal::Suppressed
            }
            Some(w) => {
                self.open.insert(key.to_owned(), fresh);
                Refusal::Record {
                    previous: (w.suppressed > 0).then(|| summary(key, w)),
                }
            }
            None => {
                self.open.insert(key.to_owned(), fresh);
                Refusal::Record { previous: None }
            }
        }
    }

    /// Removes the windows closed at `now`, returning those with suppressed
    /// refusals to audit as summaries (call it on a timer, or on each refusal).
    pub fn drain(&mut self, now: UnixTime) -> Vec<RefusalSummary> {
        let mut out = Vec::new();
        let window = self.window;
        self.open.retain(|key, w| {
            if !closed(window, w, now) {
                return true;
            }
            if w.suppressed > 0 {
                out.push(summary(key, *w));
            }
            false
        });
        out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.key.cmp(&b.key)));
        out
    }
}

fn closed(window: Duration, w: &Window, now: UnixTime) -> bool {
    w.start.checked_add(window).is_none_or(|end| now >= end)
}

fn summary(key: &str, w: Window) -> RefusalSummary {
    RefusalSummary {
        key: key.to_owned(),
        start: w.start,
        suppressed: w.suppressed,
    }
}

/// `key` cut to [`MAX_FIELD_LEN`] bytes at a character boundary.
fn cut(key: &str) -> &str {
    let mut end = key.len().min(MAX_FIELD_LEN);
    while !key.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    key.get(..end).unwrap_or_default()
}
