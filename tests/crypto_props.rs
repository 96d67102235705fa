//! Properties of Fernet and sealed over random inputs (modest case counts).

use portcullis::clock::UnixTime;
use portcullis::crypto::{Context, Fernet, MultiFernet, SealedKey, SealedKeyset};
use portcullis::secret::SecretBytes;
use proptest::prelude::*;

/// The last whole second a `UnixTime` holds (in 2554).
const LAST_SECS: u64 = u64::MAX / 1_000_000_000;

const KEY_A: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const KEY_B: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fernet_time_rule_is_pythons(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        ts in prop_oneof![0u64..=LAST_SECS, 0u64..2_000_000_000, (LAST_SECS - 100)..=LAST_SECS],
        ttl in prop_oneof![any::<u64>(), 0u64..1000],
        delta in -2000i64..2000,
    ) {
        let f = Fernet::from_key_text(KEY_A).unwrap();
        let token = f.encrypt_at_time(&data, UnixTime::from_secs(ts).unwrap()).unwrap();
        let now = ts.saturating_add_signed(delta).min(LAST_SECS);
        let python = i128::from(ts) + i128::from(ttl) >= i128::from(now)
            && i128::from(now) + 60 >= i128::from(ts);
        let got = f.decrypt_at_time(&token, ttl, UnixTime::from_secs(now).unwrap());
        prop_assert_eq!(got.is_ok(), python);
        let plain = f.decrypt(&token, None).unwrap();
        prop_assert_eq!(plain.expose_secret(), data.as_slice());
        let keys = MultiFernet::from_keys_text(&format!("{KEY_B},{KEY_A}")).unwrap();
        let rotated = keys.rotate(&token).unwrap();
        prop_assert!(f.decrypt(&rotated, None).is_err());
        prop_assert_eq!(keys.extract_timestamp(&rotated).unwrap(), ts);
    }

    #[test]
    fn any_single_character_change_breaks_a_fernet_token(
        data in proptest::collection::vec(any::<u8>(), 0..64),
        pos in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let f = Fernet::from_key_text(KEY_A).unwrap();
        let token = f
            .encrypt_at_time(&data, UnixTime::from_secs(1_700_000_000).unwrap())
            .unwrap();
        let body_len = token.trim_end_matches('=').len();
        let i = pos.index(body_len);
        let c = B64URL[replacement.index(B64URL.len())];
        prop_assume!(token.as_bytes()[i] != c);
        let mut bytes = token.into_bytes();
        bytes[i] = c;
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(f.decrypt(&tampered, None).is_err());
        prop_assert!(f.extract_timestamp(&tampered).is_err());
    }

    #[test]
    fn sealed_opens_only_in_its_own_context(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        a in proptest::collection::vec("[a-z0-9:]{0,6}", 0..4),
        b in proptest::collection::vec("[a-z0-9:]{0,6}", 0..4),
    ) {
        let keys = SealedKeyset::new(SealedKey::new("k", &SecretBytes::from_slice(&[9; 32])).unwrap());
        let sealed = keys.seal(&data, &Context::from_parts(&a)).unwrap();
        let opened = keys.open(&sealed, &Context::from_parts(&b));
        prop_assert_eq!(opened.is_ok(), a == b);
        if let Ok(p) = opened {
            prop_assert_eq!(p.expose_secret(), data.as_slice());
        }
    }
}
