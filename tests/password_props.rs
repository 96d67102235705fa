//! Properties of the password module over generated inputs (modest case counts).

use portcullis::password::breach::{RangeQuery, parse_range_response};
use portcullis::password::hash::{HashFormat, Hasher};
use portcullis::password::policy::{PasswordValidator, UserAttributeSimilarity};
use portcullis::password::{Policy, UserAttributes};
use proptest::prelude::*;

const CODES: [&str; 6] = [
    "password_too_similar",
    "password_too_short",
    "password_too_long",
    "password_too_common",
    "password_entirely_numeric",
    "password_contains_context_word",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any password against any user: no panic, known codes only, at most one per rule.
    #[test]
    fn policies_judge_anything(password in any::<String>(), username in any::<String>(), email in any::<String>()) {
        let user = UserAttributes::new().with("username", &username).with("email", &email);
        for policy in [Policy::django(), Policy::production(), Policy::nist_800_63b4().with_context_words(["service"])] {
            let violations = policy.check(&password, Some(&user));
            prop_assert!(violations.len() <= policy.help_texts().len());
            for v in &violations {
                prop_assert!(CODES.contains(&v.code()), "{}", v.code());
                prop_assert!(!v.message().is_empty());
            }
        }
    }

    /// `quick_ratio` counts characters, not their order: an ASCII password and
    /// any rearrangement of it get the same similarity verdict.
    #[test]
    fn similarity_ignores_character_order(password in "[a-z0-9_.@ ]{0,24}", seed in any::<u64>(), username in "[a-z0-9_.@]{1,16}") {
        let user = UserAttributes::new().with("username", &username);
        let mut chars: Vec<char> = password.chars().collect();
        // A deterministic shuffle from the seed.
        let mut state = seed;
        for i in (1..chars.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            chars.swap(i, (state >> 33) as usize % (i + 1));
        }
        let shuffled: String = chars.into_iter().collect();
        let validator = UserAttributeSimilarity::default();
        prop_assert_eq!(
            validator.validate(&password, Some(&user)).is_some(),
            validator.validate(&shuffled, Some(&user)).is_some()
        );
    }

    /// A password equal to the username (ignoring case) is always too similar.
    #[test]
    fn the_username_itself_is_refused(username in "[A-Za-z0-9_]{1,30}") {
        let user = UserAttributes::new().with("username", &username);
        let v = UserAttributeSimilarity::default().validate(&username.to_uppercase(), Some(&user));
        prop_assert_eq!(v.map(|v| v.message().to_owned()), Some("The password is too similar to the username.".to_owned()));
    }

    /// Any password round-trips through every Django PBKDF2 format and a wrong one fails.
    #[test]
    fn pbkdf2_round_trips(password in any::<String>(), suffix in "[a-z]{1,3}") {
        for format in [HashFormat::DjangoPbkdf2Sha256, HashFormat::DjangoPbkdf2Sha1] {
            let hasher = Hasher::new(format).with_pbkdf2_iterations(3).unwrap();
            let stored = hasher.hash(&password).unwrap();
            prop_assert!(hasher.verify(&password, &stored).unwrap().is_correct);
            let wrong = format!("{password}{suffix}");
            prop_assert!(!hasher.verify(&wrong, &stored).unwrap().is_correct);
        }
    }

    /// Well-formed range responses parse back to their non-zero lines, in order.
    #[test]
    fn range_responses_round_trip(lines in proptest::collection::vec(("[0-9A-Fa-f]{35}", 0u64..1_000_000), 0..50), crlf in any::<bool>()) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let body: String = lines.iter().map(|(s, c)| format!("{s}:{c}{sep}")).collect();
        let parsed = parse_range_response(&body).unwrap();
        let expected: Vec<(&str, u64)> = lines.iter().filter(|(_, c)| *c > 0).map(|(s, c)| (s.as_str(), *c)).collect();
        let got: Vec<(&str, u64)> = parsed.iter().map(|e| (e.suffix, e.count)).collect();
        prop_assert_eq!(got, expected);
        prop_assert!(RangeQuery::new("x").breach_count(&body).is_ok());
    }
}
