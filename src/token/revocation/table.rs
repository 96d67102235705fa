//! The table of revoked and consumed jtis: as a rule one 64-byte line of it per
//! lookup, after a summary word that stays cached.
//!
//! A jti is kept as its 64-bit keyed digest (see [`super::Digest`]); its state
//! rides in the digest's low bit, so a line of eight words holds eight ids, and a
//! lookup reads the id's home line and stops there unless that line is full (it
//! then reads the next, as linear probing does over lines). The keep-until times
//! live in a parallel array of whole seconds that only inserts and purges read.
//! At most three quarters of the slots are used, so a full line, and with it a
//! second read, is rare: at a million ids the lookup lines are 16 MiB and the
//! times 8 MiB, where a SwissTable of 16-byte slots takes 34 MiB. A 4-byte
//! summary per line (1 MiB more: 25 bytes an entry) turns most lookups of an id
//! that is not held away before they read a line.

use crate::clock::UnixTime;

/// Ids per line: eight 8-byte words fill one cache line.
const SLOTS: usize = 8;

/// Nanoseconds in a second.
const NANOS: u64 = 1_000_000_000;

/// One line of tagged ids; `0` is an empty slot. The alignment makes a line
/// exactly one cache line, so a lookup that stops at its home line reads one.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Line([u64; SLOTS]);

/// Whether a jti was revoked, or consumed (a refresh token used once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JtiState {
    Consumed,
    Revoked,
}

/// A jti's state and keep-until time, as the table keeps it: the time rounded up
/// to the second (an entry is kept at most a second longer than asked), and a
/// time at or past `u32::MAX` seconds (February 2106) kept forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct JtiEntry {
    state: JtiState,
    until_secs: u32,
}

impl JtiEntry {
    pub(super) fn new(state: JtiState, until: UnixTime) -> Self {
        let secs = until.as_nanos().div_ceil(NANOS);
        Self {
            state,
            until_secs: u32::try_from(secs).unwrap_or(u32::MAX),
        }
    }

    pub(super) fn state(self) -> JtiState {
        self.state
    }

    pub(super) fn until(self) -> UnixTime {
        if self.until_secs == u32::MAX {
            UnixTime::from_nanos(u64::MAX)
        } else {
            UnixTime::from_nanos(u64::from(self.until_secs) * NANOS)
        }
    }
}

/// The id part of a slot word: the digest without its low bit, never `0` (a
/// digest of `0` or `1` is kept as `2`: it then shares its id with `2` and `3`,
/// which can only make an unrevoked token read as revoked, with probability 2^-62).
fn id_of(digest: u64) -> u64 {
    match digest & !1 {
        0 => 2,
        id => id,
    }
}

/// Two bits of a 32-bit word chosen by an id's top ten bits (the home line
/// comes from its low bits): with four ids a line, as at a million, about one
/// lookup in twenty of an id not held gets past the summary.
fn sign(id: u64) -> u32 {
    (1 << ((id >> 59) & 31)) | (1 << ((id >> 54) & 31))
}

fn word_of(id: u64, state: JtiState) -> u64 {
    id | u64::from(state == JtiState::Consumed)
}

fn state_of(word: u64) -> JtiState {
    if word & 1 == 1 {
        JtiState::Consumed
    } else {
        JtiState::Revoked
    }
}

/// The jtis of a [`MemoryRevocationStore`](super::MemoryRevocationStore), keyed
/// by digest. Entries leave only through [`JtiTable::retain`], which re-places
/// the survivors: so a line's used slots come first, and a line with an empty
/// slot ends every probe that reaches it.
#[derive(Debug, Default)]
pub(super) struct JtiTable {
    /// A power of two of lines, or none before the first insert.
    lines: Vec<Line>,
    /// The keep-until seconds of slot `s` of line `l` at `l * SLOTS + s`.
    untils: Vec<u32>,
    /// Per line, the [`sign`] of every id whose probe starts there, ORed: a
    /// lookup whose bits are missing stops before reading any line. At 4 bytes
    /// a line it is an eighth of the lines' size, so it stays cached where the
    /// lines cannot, and most lookups of an id not held read nothing else.
    summary: Vec<u32>,
    len: usize,
}

impl JtiTable {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The line an id's probe starts at (the low bit is the state: skip it).
    fn home(&self, id: u64) -> usize {
        let mask = self.lines.len().saturating_sub(1);
        usize::try_from(id >> 1).map_or(0, |bits| bits & mask)
    }

    /// The position (line, slot) holding `id`, or `None`.
    fn find(&self, id: u64) -> Option<(usize, usize)> {
        let mask = self.lines.len().saturating_sub(1);
        let mut at = self.home(id);
        if self.summary.get(at)? & sign(id) != sign(id) {
            return None;
        }
        // Bounded: at most three quarters of the slots are used, so some line
        // has an empty slot and ends the probe.
        for _ in 0..self.lines.len() {
            for (slot, &word) in self.lines.get(at)?.0.iter().enumerate() {
                if word == 0 {
                    // A line's used slots come first: `id` is not further on,
                    // and a line with room ends every probe that reaches it.
                    return None;
                }
                if word & !1 == id {
                    return Some((at, slot));
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Whether `digest` is held, revoked or consumed: one line read, as a rule.
    pub(super) fn contains(&self, digest: u64) -> bool {
        self.find(id_of(digest)).is_some()
    }

    pub(super) fn get(&self, digest: u64) -> Option<JtiEntry> {
        let (line, slot) = self.find(id_of(digest))?;
        Some(JtiEntry {
            state: state_of(*self.lines.get(line)?.0.get(slot)?),
            until_secs: *self.untils.get(line * SLOTS + slot)?,
        })
    }

    /// Sets `digest`'s entry, adding it if it is not held.
    pub(super) fn insert(&mut self, digest: u64, entry: JtiEntry) {
        let id = id_of(digest);
        if let Some((line, slot)) = self.find(id) {
            self.set(line, slot, id, entry);
            return;
        }
        if (self.len + 1) * 4 > self.lines.len() * SLOTS * 3 {
            self.grow();
        }
        self.place(id, entry);
        self.len += 1;
    }

    fn set(&mut self, line: usize, slot: usize, id: u64, entry: JtiEntry) {
        if let Some(word) = self.lines.get_mut(line).and_then(|l| l.0.get_mut(slot)) {
            *word = word_of(id, entry.state);
        }
        if let Some(until) = self.untils.get_mut(line * SLOTS + slot) {
            *until = entry.until_secs;
        }
    }

    /// Puts an id the table does not hold into the first empty slot from its
    /// home line on (the caller made room), so each line's used slots stay first.
    fn place(&mut self, id: u64, entry: JtiEntry) {
        let mask = self.lines.len().saturating_sub(1);
        let mut at = self.home(id);
        if let Some(summary) = self.summary.get_mut(at) {
            *summary |= sign(id);
        }
        for _ in 0..self.lines.len() {
            let open = self
                .lines
                .get(at)
                .and_then(|l| l.0.iter().position(|&w| w == 0));
            if let Some(slot) = open {
                self.set(at, slot, id, entry);
                return;
            }
            at = (at + 1) & mask;
        }
    }

    /// Every entry, in no particular order.
    pub(super) fn values(&self) -> impl Iterator<Item = JtiEntry> + '_ {
        occupied(&self.lines, &self.untils).map(|(_, entry)| entry)
    }

    /// Doubles the lines (one, at first) and re-places every entry.
    fn grow(&mut self) {
        self.rebuild((self.lines.len() * 2).max(1), |_| true);
    }

    /// Keeps the entries `keep` says to keep; the survivors are placed again so
    /// that no probe stops early at a slot an entry left.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(JtiEntry) -> bool) {
        if !self.values().all(&mut keep) {
            self.rebuild(self.lines.len(), keep);
        }
    }

    /// Moves the entries `keep` keeps into `lines` fresh lines.
    fn rebuild(&mut self, lines: usize, mut keep: impl FnMut(JtiEntry) -> bool) {
        let old_lines = std::mem::replace(&mut self.lines, vec![Line::default(); lines]);
        let old_untils = std::mem::replace(&mut self.untils, vec![0; lines * SLOTS]);
        self.summary = vec![0; lines];
        self.len = 0;
        for (id, entry) in occupied(&old_lines, &old_untils) {
            if keep(entry) {
                self.place(id, entry);
                self.len += 1;
            }
        }
    }
}

/// The (id, entry) of every used slot of `lines`, whose times are `untils`.
fn occupied<'a>(
    lines: &'a [Line],
    untils: &'a [u32],
) -> impl Iterator<Item = (u64, JtiEntry)> + 'a {
    lines
        .iter()
        .flat_map(|line| line.0.iter())
        .zip(untils)
        .filter(|&(&word, _)| word != 0)
        .map(|(&word, &until_secs)| {
            let state = state_of(word);
            (word & !1, JtiEntry { state, until_secs })
        })
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
