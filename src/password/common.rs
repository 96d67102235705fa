//! Django's list of 19,640 common passwords, shipped inside the crate.
//!
//! The list is Django's `django/contrib/auth/common-passwords.txt.gz` (20,000
//! passwords from Royce Williams' gist, "unhexed, lowercased and
//! deduplicated"), each line stripped exactly as `CommonPasswordValidator`
//! loads it, then sorted by UTF-8 bytes. It is compiled in with
//! `include_str!` and searched in place by bisection over the text: there is
//! nothing to build at start-up and a lookup allocates nothing
//! (about 15 comparisons of short strings).
//!
//! Django is distributed under the BSD 3-clause licence; its notice, which
//! covers the list, is reproduced in `src/password/data/DJANGO-LICENSE` and in
//! [`DJANGO_LICENSE`].

use std::cmp::Ordering;

/// The sorted list, one password per line.
static LIST: &str = include_str!("data/common-passwords.txt");

/// The BSD 3-clause notice of Django, whose common-password list this crate ships.
pub static DJANGO_LICENSE: &str = include_str!("data/DJANGO-LICENSE");

/// The number of entries in the built-in list.
pub const LEN: usize = 19_640;

/// Whether `candidate` is, byte for byte, an entry of Django's list.
///
/// The caller normalises first: Django compares `password.lower().strip()`
/// (see [`super::policy::CommonPassword`], which does exactly that).
///
/// ```
/// use portcullis::password::common::contains;
/// assert!(contains("password"));
/// assert!(contains("пароль"));
/// assert!(!contains("Password"));
/// assert!(!contains("correct horse battery staple"));
/// ```
pub fn contains(candidate: &str) -> bool {
    let bytes = LIST.as_bytes();
    let needle = candidate.as_bytes();
    // Invariant: `lo` and `hi` are line starts (or the end), and the needle, if
    // present, is on a line in `lo..hi`.
    let (mut lo, mut hi) = (0usize, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let before = bytes.get(lo..mid).unwrap_or_default();
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |p| lo + p + 1);
        let after = bytes.get(start..hi).unwrap_or_default();
        let end = after
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |p| start + p);
        let line = bytes.get(start..end).unwrap_or_default();
        match line.cmp(needle) {
            Ordering::Equal => return true,
            Ordering::Less => lo = end.saturating_add(1).min(hi),
            Ordering::Greater => hi = start,
        }
    }
    false
}

/// Every entry of the built-in list, in byte order.
pub fn entries() -> impl Iterator<Item = &'static str> {
    LIST.lines()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_django_sized_sorted_and_unique() {
        let all: Vec<&str> = entries().collect();
        assert_eq!(all.len(), LEN);
        assert!(all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    }

    #[test]
    fn every_entry_is_found_and_neighbours_are_not() {
        for entry in entries() {
            assert!(contains(entry), "{entry}");
            let longer = format!("{entry}\u{0}");
            assert!(!contains(&longer), "{entry}");
        }
        for absent in ["", "\u{0}", "\u{10ffff}", "~~~~~~~~~~~~~~~~~", "PASSWORD"] {
            assert!(!contains(absent), "{absent:?}");
        }
    }

    #[test]
    fn the_licence_notice_is_django_s() {
        assert!(DJANGO_LICENSE.contains("Django Software Foundation"));
    }
}
