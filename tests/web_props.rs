//! Property tests for the parsers that read attacker input: Origin, Referer,
//! Cookie header and API keys.

use portcullis::apikey::{ApiKey, ApiKeyError};
use portcullis::web::cookie::parse_cookie_header;
use portcullis::web::origin::{Origin, Referer, RequestOrigin};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(128)
}

fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?"
}

fn host() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|l| l.join("."))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn origin_parse_never_panics_and_round_trips(text in "\\PC{0,64}") {
        if let Ok(origin) = Origin::parse(&text) {
            let again = Origin::parse(&origin.to_string()).unwrap();
            prop_assert_eq!(&again, &origin);
            prop_assert_eq!(again.to_string(), origin.to_string());
        }
        let _ = RequestOrigin::parse(&text);
    }

    #[test]
    fn generated_origins_normalize(
        scheme in prop::sample::select(vec!["http", "https", "HTTPS", "wss"]),
        host in host(),
        port in prop::option::of(1u16..),
    ) {
        let text = match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        let origin = Origin::parse(&text).unwrap();
        prop_assert_eq!(origin.scheme(), scheme.to_ascii_lowercase());
        prop_assert_eq!(origin.host(), host.to_ascii_lowercase());
        let upper = Origin::parse(&text.to_ascii_uppercase()).unwrap();
        prop_assert_eq!(&upper, &origin);
        // A path, user info or trailing slash is never an origin.
        let slash = format!("{text}/");
        let user = format!("{scheme}://u@{host}");
        prop_assert!(Origin::parse(&slash).is_err());
        prop_assert!(Origin::parse(&user).is_err());
    }

    #[test]
    fn referer_parse_never_panics(text in "\\PC{0,64}") {
        if let Ok(r) = Referer::parse(&text) {
            prop_assert!(!r.netloc().is_empty());
            prop_assert!(!r.netloc().contains(['/', '?', '#']));
            prop_assert!(!r.scheme().is_empty());
            prop_assert_eq!(Referer::parse(&r.to_string()).unwrap(), r);
        }
    }

    #[test]
    fn generated_referers_split_like_urlsplit(
        host in host(),
        path in "(/[a-z0-9._~-]{0,8}){0,3}",
        query in "[a-z0-9=&]{0,8}",
    ) {
        let text = format!("https://{host}{path}?{query}");
        let r = Referer::parse(&text).unwrap();
        prop_assert_eq!(r.scheme(), "https");
        prop_assert_eq!(r.netloc(), host.as_str());
    }

    #[test]
    fn cookie_header_parse_never_panics(text in "\\PC{0,96}") {
        if let Ok(jar) = parse_cookie_header(&text) {
            prop_assert!(jar.len() + jar.skipped() > 0);
            for (name, value) in jar.iter() {
                prop_assert!(!name.is_empty());
                prop_assert!(!value.contains([';', ' ', ',']));
            }
        }
    }

    #[test]
    fn generated_cookie_headers_round_trip(
        pairs in prop::collection::vec(("[A-Za-z0-9_-]{1,12}", "[A-Za-z0-9%._-]{0,24}"), 1..8),
    ) {
        let header = pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let jar = parse_cookie_header(&header).unwrap();
        let got: Vec<(String, String)> = jar.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        prop_assert_eq!(got, pairs);
    }

    #[test]
    fn apikey_parse_never_panics(text in "\\PC{0,96}") {
        let _ = ApiKey::parse(&text);
    }

    #[test]
    fn every_substitution_or_swap_is_a_checksum_error(
        prefix in "[a-z][a-z0-9]{0,6}",
        position in 0usize..50,
        replacement in "[0-9A-Za-z]",
    ) {
        let key = ApiKey::generate(&prefix).unwrap();
        let text = key.expose_secret();
        let at = prefix.len() + 1 + position;
        let original = &text[at..=at];
        if original != replacement {
            let typo = format!("{}{}{}", &text[..at], replacement, &text[at + 1..]);
            prop_assert_eq!(ApiKey::parse(&typo).unwrap_err(), ApiKeyError::ChecksumMismatch);
        }
        if at + 1 < text.len() && text[at..=at] != text[at + 1..=at + 1] {
            let mut bytes = text.as_bytes().to_vec();
            bytes.swap(at, at + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(ApiKey::parse(&swapped).unwrap_err(), ApiKeyError::ChecksumMismatch);
        }
        let reparsed = ApiKey::parse(text).unwrap();
        prop_assert_eq!(reparsed.lookup_id(), key.lookup_id());
    }
}
