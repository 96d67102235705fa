//! Django's list of 19,640 common passwords, shipped inside the crate.
//!
//! The list is Django's `django/contrib/auth/common-passwords.txt.gz` (20,000
//! passwords from Royce Williams' gist, "unhexed, lowercased and
//! deduplicated"), each line stripped exactly as `CommonPasswordValidator`
//! loads it, then sorted by UTF-8 bytes. It is compiled in with
//! `include_str!` beside a hash index generated with it (FNV-1a, open
//! addressing, 32,768 slots), so a lookup is O(1): one hash, a couple of probes
//! and one comparison. There is nothing to build at start-up and a lookup
//! allocates nothing.
//!
//! Django is distributed under the BSD 3-clause licence; its notice, which
//! covers the list, is reproduced in `src/password/data/DJANGO-LICENSE` and in
//! [`DJANGO_LICENSE`].

use super::generated::common_index as index;

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
    let needle = candidate.as_bytes();
    let mask = index::LEN - 1;
    #[allow(clippy::cast_possible_truncation)] // masked to the table size
    let mut slot = (fnv1a64(needle) as usize) & mask;
    // A miss ends at the first empty slot; no run is longer than LONGEST_RUN.
    for _ in 0..=index::LONGEST_RUN {
        let Some(&packed) = index::SLOTS.get(slot) else {
            return false;
        };
        if packed == 0 {
            return false;
        }
        if entry_at(packed) == Some(needle) {
            return true;
        }
        slot = (slot + 1) & mask;
    }
    false
}

/// The entry a slot points at: `offset << 7 | length` into the text.
fn entry_at(packed: u32) -> Option<&'static [u8]> {
    let offset = usize::try_from(packed >> 7).ok()?;
    let len = usize::try_from(packed & 0x7f).ok()?;
    LIST.as_bytes().get(offset..offset.checked_add(len)?)
}

/// FNV-1a, 64-bit: the index's hash (not a defence: the table is fixed).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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
    fn the_index_points_at_every_entry_exactly_once() {
        let mut seen: Vec<&[u8]> = index::SLOTS
            .iter()
            .filter(|&&p| p != 0)
            .map(|&p| entry_at(p).unwrap())
            .collect();
        seen.sort_unstable();
        let all: Vec<&[u8]> = entries().map(str::as_bytes).collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_licence_notice_is_django_s() {
        assert!(DJANGO_LICENSE.contains("Django Software Foundation"));
    }
}
