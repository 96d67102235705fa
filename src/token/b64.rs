//! Strict unpadded base64url decoding (RFC 4648 section 5, no padding) for the
//! hot paths: a JWE's ciphertext and a JWS's segments.
//!
//! It accepts exactly what the `base64` crate's `URL_SAFE_NO_PAD` engine accepts
//! (its defaults: no padding, no whitespace, non-zero trailing bits refused), so
//! every text has one decoding and every byte string one encoding; the property
//! tests in `b64/tests.rs` hold it to that. It is faster because it decodes
//! sixteen characters at a time through four shifted tables into `u32`s, with one
//! validity check per group, straight into a buffer the caller sized once.

/// A text that is not strict unpadded base64url (a character outside the URL-safe
/// alphabet, padding, a length of 4n+1, or non-zero trailing bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// The mark an invalid character leaves in a decoded quad: any bit above the 24
/// that four characters carry.
const INVALID: u32 = 0xFF00_0000;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The value of each character shifted to its place in a quad, or [`INVALID`].
const fn table(shift: u32) -> [u32; 256] {
    let mut table = [INVALID; 256];
    let mut value: u32 = 0;
    while value < 64 {
        #[allow(clippy::indexing_slicing)] // `value` < 64 and a `u8` indexes 256 slots.
        {
            table[ALPHABET[value as usize] as usize] = value << shift;
        }
        value += 1;
    }
    table
}

static FIRST: [u32; 256] = table(18);
static SECOND: [u32; 256] = table(12);
static THIRD: [u32; 256] = table(6);
static FOURTH: [u32; 256] = table(0);

/// Four characters as 24 bits, with [`INVALID`] bits set if any is not in the alphabet.
#[inline]
fn quad(&[a, b, c, d]: &[u8; 4]) -> u32 {
    at(&FIRST, a) | at(&SECOND, b) | at(&THIRD, c) | at(&FOURTH, d)
}

/// `table[byte]`: a `u8` is always in range, so the fallback compiles away.
#[inline]
fn at(table: &[u32; 256], byte: u8) -> u32 {
    table.get(usize::from(byte)).copied().unwrap_or(INVALID)
}

/// The length `encoded_len` characters decode to.
///
/// # Errors
/// [`Invalid`] for a length of 4n+1, which no byte string encodes to.
pub(crate) const fn decoded_len(encoded_len: usize) -> Result<usize, Invalid> {
    match encoded_len % 4 {
        1 => Err(Invalid),
        0 => Ok(encoded_len / 4 * 3),
        rest => Ok(encoded_len / 4 * 3 + rest - 1),
    }
}

/// Decodes `text` into `out`, which must be exactly [`decoded_len`] long.
///
/// # Errors
/// [`Invalid`] when `text` is not strict unpadded base64url or `out` has the wrong
/// length; `out` then holds a partial decoding.
pub(crate) fn decode_to_slice(text: &[u8], out: &mut [u8]) -> Result<(), Invalid> {
    if decoded_len(text.len()) != Ok(out.len()) {
        return Err(Invalid);
    }
    let (groups, rest) = text.as_chunks::<16>();
    let (out_groups, out_rest) = out.as_chunks_mut::<12>();
    for (group, out) in groups.iter().zip(out_groups) {
        let [
            a0,
            a1,
            a2,
            a3,
            b0,
            b1,
            b2,
            b3,
            c0,
            c1,
            c2,
            c3,
            d0,
            d1,
            d2,
            d3,
        ] = *group;
        let (a, b) = (quad(&[a0, a1, a2, a3]), quad(&[b0, b1, b2, b3]));
        let (c, d) = (quad(&[c0, c1, c2, c3]), quad(&[d0, d1, d2, d3]));
        if (a | b | c | d) & INVALID != 0 {
            return Err(Invalid);
        }
        // 96 bits: a, b and the top 16 bits of c in one word, the rest in another,
        // so the group is two stores.
        let high = u64::from(a) << 40 | u64::from(b) << 16 | u64::from(c >> 8);
        let low = c << 24 | d;
        let (out_high, out_low) = out.split_at_mut(8);
        out_high.copy_from_slice(&high.to_be_bytes());
        out_low.copy_from_slice(&low.to_be_bytes());
    }
    let (quads, tail) = rest.as_chunks::<4>();
    let (out_quads, out_tail) = out_rest.as_chunks_mut::<3>();
    for (chars, out) in quads.iter().zip(out_quads) {
        let [invalid, x, y, z] = quad(chars).to_be_bytes();
        if invalid != 0 {
            return Err(Invalid);
        }
        *out = [x, y, z];
    }
    // Two characters carry one byte and four spare bits, three carry two bytes and
    // two spare bits; the spare bits must be zero (one encoding per byte string).
    let (bits, spare) = match *tail {
        [] => return Ok(()),
        [a, b] => (quad(&[a, b, b'A', b'A']), 0x0000_FFFF),
        [a, b, c] => (quad(&[a, b, c, b'A']), 0x0000_00FF),
        _ => return Err(Invalid),
    };
    if bits & (INVALID | spare) != 0 {
        return Err(Invalid);
    }
    let [_, x, y, _] = bits.to_be_bytes();
    match out_tail {
        [out] => *out = x,
        [out_x, out_y] => (*out_x, *out_y) = (x, y),
        _ => return Err(Invalid),
    }
    Ok(())
}

/// Appends the decoding of `text` to `out`, growing it once; on an error `out` is
/// left as it was.
///
/// # Errors
/// [`Invalid`] when `text` is not strict unpadded base64url.
pub(crate) fn decode_append(text: &str, out: &mut Vec<u8>) -> Result<(), Invalid> {
    let start = out.len();
    let end = start.checked_add(decoded_len(text.len())?).ok_or(Invalid)?;
    out.resize(end, 0);
    let decoded = out
        .get_mut(start..)
        .ok_or(Invalid)
        .and_then(|slot| decode_to_slice(text.as_bytes(), slot));
    if decoded.is_err() {
        out.truncate(start);
    }
    decoded
}

/// The decoding of `text`, in a buffer of exactly its length.
///
/// # Errors
/// [`Invalid`] when `text` is not strict unpadded base64url.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Invalid> {
    let mut out = Vec::with_capacity(decoded_len(text.len())?);
    decode_append(text, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
