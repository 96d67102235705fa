//! Python's view of Unicode, where Django's validators depend on it: `\w` in
//! `re.split(r"\W+", ...)`, `str.isdigit`, `str.strip` and `str.lower`.

use super::generated::unicode_tables::{DIGIT, SPACE, WORD};

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `re` `\w` for a str pattern: Unicode letters, numbers and `_`.
pub(super) fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && in_table(WORD, c))
}

/// `str.isdigit()` for one character (decimal digits plus superscripts, circled digits, ...).
pub(super) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && in_table(DIGIT, c))
}

/// `str.isspace()` for one character (Rust's whitespace plus U+001C..U+001F).
pub(super) fn is_space(c: char) -> bool {
    in_table(SPACE, c)
}

/// `str.isdigit()`: non-empty and every character a digit.
pub(super) fn is_all_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_digit)
}

/// `str.strip()`.
pub(super) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.lower()`: full case mapping with the final-sigma rule, as Rust's.
pub(super) fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// `re.split(r"\W+", s)`: empty strings at the ends when `s` starts or ends with a separator.
pub(super) fn split_non_word(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_separator = false;
    let mut separator_start = 0;
    for (i, c) in s.char_indices() {
        let word = is_word(c);
        if !word && !in_separator {
            in_separator = true;
            separator_start = i;
        } else if word && in_separator {
            in_separator = false;
            parts.push(s.get(start..separator_start).unwrap_or_default());
            start = i;
        }
    }
    if in_separator {
        parts.push(s.get(start..separator_start).unwrap_or_default());
        start = s.len();
    }
    parts.push(s.get(start..).unwrap_or_default());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_matches_python_re_split() {
        assert_eq!(
            split_non_word("john.doe@example.com"),
            ["john", "doe", "example", "com"]
        );
        assert_eq!(split_non_word(".a."), ["", "a", ""]);
        assert_eq!(split_non_word(""), [""]);
        assert_eq!(split_non_word("..."), ["", ""]);
        assert_eq!(split_non_word("john_doe"), ["john_doe"]);
        assert_eq!(split_non_word("mañana.42"), ["mañana", "42"]);
    }

    #[test]
    fn python_digit_and_space_classes() {
        assert!(is_all_digits("١٢٣"));
        assert!(is_all_digits("²³"));
        assert!(!is_all_digits(""));
        assert!(!is_all_digits("12a"));
        assert!(!is_all_digits("一二"));
        assert_eq!(strip("\u{1c}\u{a0}x \u{3000}"), "x");
        assert!(!is_space('\u{200b}'));
    }
}
