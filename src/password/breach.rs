//! Breached-password checks through the Pwned Passwords range API (k-anonymity).
//!
//! Only the first five hex characters of the password's SHA-1 leave the host:
//! [`RangeQuery::prefix`] is the path segment of `GET /range/{prefix}`. The answer
//! lists the suffixes of every breached hash with that prefix as `SUFFIX:COUNT`
//! lines; [`RangeQuery::breach_count`] parses it (strictly and with bounds, the
//! body comes from the network) and finds this password's count. The crate does
//! no I/O: the host sends the request, ideally with `Add-Padding: true`, whose
//! padding lines (count 0) are ignored here.
//!
//! ```
//! use portcullis::password::breach::RangeQuery;
//!
//! # fn main() -> Result<(), portcullis::password::PasswordError> {
//! let query = RangeQuery::new("password");
//! assert_eq!(query.prefix(), "5BAA6");
//! let body = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n\
//!             0000000000000000000000000000000000A:0\r\n";
//! assert_eq!(query.breach_count(body)?, 10434004);
//! assert_eq!(RangeQuery::new("a rarer passphrase").breach_count(body)?, 0);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use zeroize::Zeroizing;

use super::PasswordError;

/// The largest response body accepted, in bytes (real padded answers are under 40 KB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The most lines accepted (real answers have about 500 to 2,000).
pub const MAX_RESPONSE_LINES: usize = 8192;

/// The lookup for one password: the prefix to send and the suffix to find.
///
/// `Debug` shows the prefix only; the suffix, which with the prefix is the
/// password's unsalted SHA-1, is wiped on drop.
pub struct RangeQuery {
    prefix: String,
    suffix: Zeroizing<String>,
}

impl RangeQuery {
    /// Hashes `password` with SHA-1 (upper-case hex, as the API uses).
    pub fn new(password: &str) -> Self {
        let digest =
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
        let mut hex = Zeroizing::new(String::with_capacity(40));
        for byte in digest.as_ref() {
            hex.push(nibble(byte >> 4));
            hex.push(nibble(byte & 0x0f));
        }
        let (prefix, suffix) = hex.split_at(5);
        Self {
            prefix: prefix.to_owned(),
            suffix: Zeroizing::new(suffix.to_owned()),
        }
    }

    /// The five upper-case hex characters to request: `GET /range/{prefix}`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How many times this password appears in the breach corpus according to
    /// `body`, the range response for [`RangeQuery::prefix`]; 0 when absent.
    ///
    /// # Errors
    /// As [`parse_range_response`]: the whole body is checked, not just up to a match.
    pub fn breach_count(&self, body: &str) -> Result<u64, PasswordError> {
        let entries = parse_range_response(body)?;
        Ok(entries
            .iter()
            .find(|e| e.suffix.eq_ignore_ascii_case(&self.suffix))
            .map_or(0, |e| e.count))
    }
}

impl fmt::Debug for RangeQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RangeQuery")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn nibble(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

/// One `SUFFIX:COUNT` line of a range response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeEntry<'a> {
    /// The 35 hex characters after the prefix, as sent (either case).
    pub suffix: &'a str,
    /// How many times the hash was seen in breaches (never 0: padding is dropped).
    pub count: u64,
}

/// Parses a range response: `SUFFIX:COUNT` lines separated by `\n` or `\r\n`,
/// a trailing newline allowed. Padding lines (count 0) are dropped.
///
/// # Errors
/// [`PasswordError::RangeResponseTooLarge`] beyond [`MAX_RESPONSE_BYTES`] or
/// [`MAX_RESPONSE_LINES`]; [`PasswordError::MalformedRangeResponse`] naming the
/// first line whose suffix is not 35 hex characters or whose count is not a
/// decimal number that fits in 64 bits.
pub fn parse_range_response(body: &str) -> Result<Vec<RangeEntry<'_>>, PasswordError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(PasswordError::RangeResponseTooLarge {
            limit: "1048576 bytes",
        });
    }
    let body = body.strip_suffix('\n').unwrap_or(body);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let mut entries = Vec::new();
    if body.is_empty() {
        return Ok(entries);
    }
    for (index, raw) in body.split('\n').enumerate() {
        if index >= MAX_RESPONSE_LINES {
            return Err(PasswordError::RangeResponseTooLarge {
                limit: "8192 lines",
            });
        }
        let line = index.saturating_add(1);
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        let bad = |reason| PasswordError::MalformedRangeResponse { line, reason };
        let (suffix, count) = text.split_once(':').ok_or(bad("no `:` separator"))?;
        if suffix.len() != 35 || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the suffix is not 35 hex characters"));
        }
        if count.is_empty() || count.len() > 20 || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the count is not a decimal number"));
        }
        let count: u64 = count
            .parse()
            .map_err(|_| bad("the count does not fit in 64 bits"))?;
        if count > 0 {
            entries.push(RangeEntry { suffix, count });
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_suffix_are_the_sha1_of_the_password() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
        let q = RangeQuery::new("password");
        assert_eq!(q.prefix(), "5BAA6");
        assert_eq!(q.suffix.as_str(), "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
        assert!(!format!("{q:?}").contains("1E4C9"));
    }

    #[test]
    fn padding_is_dropped_and_case_is_ignored() {
        let body = "1e4c9b93f3f0682250b6cf8331b7ee68fd8:3\n0000000000000000000000000000000000A:0";
        let entries = parse_range_response(body).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(RangeQuery::new("password").breach_count(body).unwrap(), 3);
        assert!(parse_range_response("").unwrap().is_empty());
        assert!(parse_range_response("\r\n").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_name_their_number() {
        let good = "0000000000000000000000000000000000A:1";
        for (body, line, reason) in [
            (format!("{good}\nnot a line"), 2, "no `:`"),
            (format!("{good}\n\n{good}"), 2, "no `:`"),
            (format!("{good}\nABC:1"), 2, "35 hex"),
            (
                format!("{good}\n000000000000000000000000000000000ZZ:1"),
                2,
                "35 hex",
            ),
            (format!("{good}:2"), 1, "decimal"),
            (
                format!("{good}\n0000000000000000000000000000000000A:-1"),
                2,
                "decimal",
            ),
            (
                "0000000000000000000000000000000000A:".to_owned(),
                1,
                "decimal",
            ),
            (
                "0000000000000000000000000000000000A:99999999999999999999".to_owned(),
                1,
                "64 bits",
            ),
        ] {
            let err = parse_range_response(&body).unwrap_err();
            assert!(
                matches!(err, PasswordError::MalformedRangeResponse { line: l, .. } if l == line),
                "{body:?}: {err}"
            );
            assert!(err.to_string().contains(reason), "{body:?}: {err}");
        }
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let line = "0000000000000000000000000000000000A:1\n";
        let many = line.repeat(MAX_RESPONSE_LINES + 1);
        assert!(many.len() < MAX_RESPONSE_BYTES);
        assert!(matches!(
            parse_range_response(&many),
            Err(PasswordError::RangeResponseTooLarge { .. })
        ));
        let big = "x".repeat(MAX_RESPONSE_BYTES + 1);
        assert!(matches!(
            parse_range_response(&big),
            Err(PasswordError::RangeResponseTooLarge { .. })
        ));
    }
}
