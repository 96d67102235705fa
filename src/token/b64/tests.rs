//! The decoder against the `base64` crate's strict `URL_SAFE_NO_PAD` engine (its
//! default configuration: padding refused, non-zero trailing bits refused): the
//! same texts are accepted, with the same bytes, and the same texts refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use super::*;

/// This module's answer for arbitrary bytes.
fn ours(text: &[u8]) -> Result<Vec<u8>, Invalid> {
    let mut out = vec![0u8; decoded_len(text.len())?];
    decode_to_slice(text, &mut out)?;
    Ok(out)
}

fn assert_same(text: &[u8]) {
    let reference = URL_SAFE_NO_PAD.decode(text).ok();
    assert_eq!(ours(text).ok(), reference, "{text:?}");
    if let Ok(text) = std::str::from_utf8(text) {
        assert_eq!(decode(text).ok(), reference, "{text:?}");
        let mut appended = b"kept".to_vec();
        let appending = decode_append(text, &mut appended);
        match &reference {
            Some(bytes) => assert_eq!(appended, [&b"kept"[..], bytes].concat()),
            None => assert_eq!((appending, &appended[..]), (Err(Invalid), &b"kept"[..])),
        }
    }
}

/// Characters that make a text almost valid: the alphabet, the standard
/// alphabet's `+/`, padding, whitespace, a dot, NUL and non-ASCII bytes.
const NEAR: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \t\r\n.\0\x7f\x80\xff";

#[test]
fn every_text_of_up_to_two_bytes_and_near_three_char_texts_agree() {
    assert_same(b"");
    for a in 0..=255u8 {
        assert_same(&[a]);
        for b in 0..=255u8 {
            assert_same(&[a, b]);
        }
    }
    for &a in NEAR {
        for &b in NEAR {
            for &c in NEAR {
                assert_same(&[a, b, c]);
                assert_same(&[b'Q', b'U', b'J', b'D', a, b, c]);
            }
        }
    }
}

#[test]
fn non_canonical_trailing_bits_are_refused() {
    // "QQ" is the canonical encoding of "A"; "QR".."QV" set spare bits.
    assert_eq!(decode("QQ"), Ok(b"A".to_vec()));
    for text in ["QR", "QS", "QT", "QU", "QV", "QUF", "QUG", "QUH"] {
        assert_eq!(decode(text), Err(Invalid), "{text}");
        assert!(URL_SAFE_NO_PAD.decode(text).is_err(), "{text}");
    }
    assert_eq!(decode("QUE"), Ok(b"AA".to_vec()));
}

#[test]
fn padding_whitespace_and_the_standard_alphabet_are_refused_anywhere() {
    let good = URL_SAFE_NO_PAD.encode([0xfbu8; 100]);
    for at in 0..good.len() {
        for bad in ["=", " ", "\n", "+", "/", "."] {
            let mut text = good.clone();
            text.replace_range(at..=at, bad);
            assert_eq!(decode(&text), Err(Invalid), "{text}");
        }
    }
    assert_eq!(decode(&good), Ok(vec![0xfb; 100]));
    assert_eq!(decode("QUE="), Err(Invalid));
    assert_eq!(decode_to_slice(b"QUFB", &mut [0u8; 2]), Err(Invalid));
}

proptest! {
    #[test]
    fn encodings_of_random_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = URL_SAFE_NO_PAD.encode(&bytes);
        prop_assert_eq!(decode(&text), Ok(bytes));
    }

    #[test]
    fn random_near_texts_agree(text in proptest::collection::vec(proptest::sample::select(NEAR), 0..80)) {
        assert_same(&text);
    }

    #[test]
    fn random_texts_agree(text in proptest::collection::vec(any::<u8>(), 0..80)) {
        assert_same(&text);
    }

    #[test]
    fn one_changed_byte_in_an_encoding_agrees(
        bytes in proptest::collection::vec(any::<u8>(), 1..200),
        at in any::<proptest::sample::Index>(),
        with in any::<u8>(),
    ) {
        let mut text = URL_SAFE_NO_PAD.encode(&bytes).into_bytes();
        let at = at.index(text.len());
        text[at] = with;
        assert_same(&text);
        text.truncate(at);
        assert_same(&text);
    }
}
