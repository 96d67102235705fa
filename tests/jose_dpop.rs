//! DPoP (RFC 9449): the RFC's example proofs and RFC 7638's thumbprint example as
//! known-answer tests, proofs made by jwcrypto 1.6.1 (tests/data/jose), one test per
//! rejection, the replay seam, and tokens bound with `cnf.jkt`.

use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::jose::dpop::{
    DpopError, DpopVerifier, Jkt, MemoryReplayStore, ProofDefect, Request, Seen, cnf_claims,
    verify_binding,
};
use portcullis::secret::SecretBytes;
use portcullis::token::{Algorithm, Keyring, SigningKey, TokenConfig, TokenService};
use serde_json::Value;

const RFC_4_1: &str = include_str!("data/jose/rfc9449_4_1_proof.txt");
const RFC_7_1: &str = include_str!("data/jose/rfc9449_7_1_proof.txt");
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const RFC_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
const TOKEN_URL: &str = "https://server.example.com/token";
const RESOURCE_URL: &str = "https://resource.example.org/protectedresource";

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn rfc_4_1() -> &'static str {
    RFC_4_1.trim_end()
}

fn verify_at(proof: &str, request: &Request<'_>, now: u64) -> Result<Jkt, DpopError> {
    let store = MemoryReplayStore::new(100);
    DpopVerifier::new()
        .verify(proof, request, &store, at(now))
        .map(|v| v.jkt().clone())
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("data/jose/dpop_jwcrypto.json")).unwrap()
}

#[test]
fn rfc9449_section_4_1_example_proof_verifies_with_its_thumbprint() {
    let jkt = verify_at(rfc_4_1(), &Request::new("POST", TOKEN_URL), 1_562_262_616).unwrap();
    assert_eq!(jkt.as_str(), RFC_JKT);
}

#[test]
fn rfc9449_section_7_1_example_proof_binds_its_access_token() {
    let request = Request::new("GET", RESOURCE_URL).with_access_token(RFC_ACCESS_TOKEN);
    let jkt = verify_at(RFC_7_1.trim_end(), &request, 1_562_262_618).unwrap();
    assert_eq!(jkt.as_str(), RFC_JKT);
    let other = Request::new("GET", RESOURCE_URL).with_access_token("another token");
    assert_eq!(
        verify_at(RFC_7_1.trim_end(), &other, 1_562_262_618),
        Err(DpopError::InvalidProof(ProofDefect::AccessTokenHash))
    );
}

#[test]
fn rfc7638_section_3_1_thumbprint() {
    let jwk: Value = serde_json::from_str(include_str!("data/jose/rfc7638_3_1_jwk.json")).unwrap();
    let jkt = Jkt::of_jwk(jwk.as_object().unwrap()).unwrap();
    assert_eq!(jkt.as_str(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

#[test]
fn jwcrypto_proofs_verify_with_jwcrypto_thumbprints() {
    let f = fixture();
    let (htm, htu, now) = (
        f["htm"].as_str().unwrap(),
        f["htu"].as_str().unwrap(),
        f["now"].as_u64().unwrap(),
    );
    let valid = f["valid"].as_array().unwrap();
    let mut algs: Vec<&str> = Vec::new();
    for case in valid {
        let mut request = Request::new(htm, htu);
        if let Some(t) = case["access_token"].as_str() {
            request = request.with_access_token(t);
        }
        if let Some(n) = case["nonce"].as_str() {
            request = request.with_nonce(n);
        }
        let jkt = verify_at(case["proof"].as_str().unwrap(), &request, now)
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(
            jkt.as_str(),
            case["expected_jkt"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        algs.push(case["alg"].as_str().unwrap());
    }
    for alg in ["ES256", "ES384", "EdDSA", "RS256", "PS256"] {
        assert!(algs.contains(&alg), "no {alg} proof in the fixture");
    }
}

/// Checks the fixture's invalid proof `name`: refused with `want` at the fixture's
/// time, for the fixture's request plus the case's access token and nonce.
fn refused(name: &str, want: DpopError) {
    let f = fixture();
    let case = f["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no fixture case {name:?}"));
    let mut request = Request::new(f["htm"].as_str().unwrap(), f["htu"].as_str().unwrap());
    if let Some(t) = case["access_token"].as_str() {
        request = request.with_access_token(t);
    }
    if let Some(n) = case["nonce"].as_str() {
        request = request.with_nonce(n);
    }
    let got = verify_at(
        case["proof"].as_str().unwrap(),
        &request,
        f["now"].as_u64().unwrap(),
    );
    assert_eq!(got, Err(want.clone()), "{name}");
    assert_eq!(want.code(), case["code"].as_str().unwrap(), "{name}");
}

macro_rules! rejection {
    ($test:ident, $name:literal, $want:expr) => {
        #[test]
        fn $test() {
            refused($name, $want);
        }
    };
}

use DpopError::InvalidProof as Bad;

rejection!(
    rejects_typ_other_than_dpop_jwt,
    "typ not dpop+jwt",
    Bad(ProofDefect::Type)
);
rejection!(rejects_missing_typ, "typ missing", Bad(ProofDefect::Type));
rejection!(
    rejects_symmetric_alg,
    "alg HS256 (symmetric)",
    Bad(ProofDefect::Algorithm)
);
rejection!(
    rejects_alg_outside_the_allow_list,
    "alg ES512 not allowed",
    Bad(ProofDefect::Algorithm)
);
rejection!(
    rejects_alg_not_matching_the_jwk,
    "alg does not match the jwk",
    Bad(ProofDefect::Key)
);
rejection!(
    rejects_a_private_jwk,
    "jwk holds a private key",
    Bad(ProofDefect::PrivateKey)
);
rejection!(rejects_a_missing_jwk, "jwk missing", Bad(ProofDefect::Key));
rejection!(
    rejects_a_signature_by_another_key,
    "signature by another key",
    Bad(ProofDefect::Signature)
);
rejection!(
    rejects_a_tampered_payload,
    "payload tampered after signing",
    Bad(ProofDefect::Signature)
);
rejection!(
    rejects_another_method,
    "htm differs",
    Bad(ProofDefect::Method)
);
rejection!(rejects_another_url, "htu differs", Bad(ProofDefect::Uri));
rejection!(
    rejects_a_non_http_htu,
    "htu not http(s)",
    Bad(ProofDefect::Uri)
);
rejection!(rejects_an_old_iat, "iat too old", Bad(ProofDefect::Expired));
rejection!(
    rejects_a_future_iat,
    "iat in the future",
    Bad(ProofDefect::Future)
);
rejection!(
    rejects_a_string_iat,
    "iat not a number",
    Bad(ProofDefect::Claims)
);
rejection!(
    rejects_a_missing_jti,
    "jti missing",
    Bad(ProofDefect::Claims)
);
rejection!(
    rejects_missing_ath_with_a_token,
    "ath missing with an access token",
    Bad(ProofDefect::AccessTokenHash)
);
rejection!(
    rejects_ath_of_another_token,
    "ath for another token",
    Bad(ProofDefect::AccessTokenHash)
);
rejection!(rejects_crit, "crit present", Bad(ProofDefect::Critical));
rejection!(
    rejects_a_duplicate_header_member,
    "duplicate header member",
    Bad(ProofDefect::DuplicateMember)
);
rejection!(
    rejects_a_duplicate_claim,
    "duplicate claim",
    Bad(ProofDefect::DuplicateMember)
);
rejection!(
    rejects_four_parts,
    "four parts",
    Bad(ProofDefect::Malformed)
);
rejection!(
    rejects_padded_base64,
    "padded base64",
    Bad(ProofDefect::Malformed)
);
rejection!(
    asks_for_a_missing_nonce,
    "nonce missing",
    DpopError::UseNonce
);
rejection!(asks_for_the_right_nonce, "nonce wrong", DpopError::UseNonce);

#[test]
fn every_fixture_rejection_has_a_test() {
    // The names the rejection! tests above cover; a new fixture case must get one.
    let covered = 25;
    assert_eq!(fixture()["invalid"].as_array().unwrap().len(), covered);
}

#[test]
fn a_proof_is_accepted_once() {
    let store = MemoryReplayStore::new(100);
    let verifier = DpopVerifier::new();
    let request = Request::new("POST", TOKEN_URL);
    let now = at(1_562_262_616);
    assert!(verifier.verify(rfc_4_1(), &request, &store, now).is_ok());
    assert_eq!(
        verifier.verify(rfc_4_1(), &request, &store, now),
        Err(DpopError::Replay)
    );
    assert_eq!(DpopError::Replay.code(), "dpop_replay");
}

#[test]
fn the_sans_io_step_records_the_proof_until_its_window_ends() {
    let verifier = DpopVerifier::new();
    let request = Request::new("POST", TOKEN_URL);
    let checked = verifier
        .check(rfc_4_1(), &request, at(1_562_262_616))
        .unwrap();
    // iat + 60 s is the last accepted second; the entry outlives it.
    assert_eq!(checked.replay_expires_at(), at(1_562_262_616 + 61));
    assert_eq!(checked.clone().finish(Seen::Again), Err(DpopError::Replay));
    assert_eq!(checked.finish(Seen::First).unwrap().jkt().as_str(), RFC_JKT);
}

#[test]
fn a_full_replay_store_refuses_the_proof() {
    let store = MemoryReplayStore::new(0);
    let err = DpopVerifier::new()
        .verify(
            rfc_4_1(),
            &Request::new("POST", TOKEN_URL),
            &store,
            at(1_562_262_616),
        )
        .unwrap_err();
    assert!(matches!(err, DpopError::Store(_)), "{err:?}");
}

#[test]
fn the_iat_window_is_max_age_back_and_the_skew_forward() {
    let request = Request::new("POST", TOKEN_URL);
    let iat = 1_562_262_616;
    assert!(verify_at(rfc_4_1(), &request, iat + 60).is_ok());
    assert_eq!(
        verify_at(rfc_4_1(), &request, iat + 61),
        Err(Bad(ProofDefect::Expired))
    );
    assert!(verify_at(rfc_4_1(), &request, iat - 5).is_ok());
    assert_eq!(
        verify_at(rfc_4_1(), &request, iat - 6),
        Err(Bad(ProofDefect::Future))
    );
    let store = MemoryReplayStore::new(10);
    let wide = DpopVerifier::new()
        .with_max_age(Duration::from_secs(600))
        .unwrap();
    assert!(
        wide.verify(rfc_4_1(), &request, &store, at(iat + 600))
            .is_ok()
    );
}

#[test]
fn an_oversized_proof_is_refused_before_decoding() {
    let long = format!("{}{}", rfc_4_1(), "A".repeat(16 * 1024));
    let request = Request::new("POST", TOKEN_URL);
    assert_eq!(
        verify_at(&long, &request, 1_562_262_616),
        Err(Bad(ProofDefect::TooLarge))
    );
}

#[test]
fn the_request_url_is_compared_after_normalisation() {
    let request = Request::new("POST", "HTTPS://SERVER.example.com:443/token?code=1#x");
    assert!(verify_at(rfc_4_1(), &request, 1_562_262_616).is_ok());
    let lower_method = Request::new("post", TOKEN_URL);
    assert_eq!(
        verify_at(rfc_4_1(), &lower_method, 1_562_262_616),
        Err(Bad(ProofDefect::Method))
    );
    let bad = Request::new("POST", "server.example.com/token");
    assert_eq!(
        verify_at(rfc_4_1(), &bad, 1_562_262_616),
        Err(DpopError::RequestUrl)
    );
}

#[test]
fn settings_out_of_range_name_the_setting() {
    let setting = |r: Result<DpopVerifier, DpopError>| match r {
        Err(DpopError::Config { setting, .. }) => setting,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        setting(DpopVerifier::new().with_max_age(Duration::ZERO)),
        "max_age"
    );
    assert_eq!(
        setting(DpopVerifier::new().with_max_age(Duration::from_secs(3601))),
        "max_age"
    );
    assert_eq!(
        setting(DpopVerifier::new().with_future_skew(Duration::from_secs(301))),
        "future_skew"
    );
    assert_eq!(
        setting(DpopVerifier::new().with_max_proof_len(100)),
        "max_proof_len"
    );
    assert_eq!(
        setting(DpopVerifier::new().with_algorithms(&[Algorithm::HS256])),
        "algorithms"
    );
    assert_eq!(
        setting(DpopVerifier::new().with_algorithms(&[])),
        "algorithms"
    );
    let es_only = DpopVerifier::new()
        .with_algorithms(&[Algorithm::EdDSA])
        .unwrap();
    let store = MemoryReplayStore::new(10);
    assert_eq!(
        es_only.verify(
            rfc_4_1(),
            &Request::new("POST", TOKEN_URL),
            &store,
            at(1_562_262_616)
        ),
        Err(Bad(ProofDefect::Algorithm))
    );
}

#[test]
fn tokens_issued_with_cnf_bind_to_the_proof_key() {
    let key = SigningKey::hmac(
        Algorithm::HS256,
        &SecretBytes::from_slice(b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz"),
    )
    .unwrap();
    let service =
        TokenService::in_memory(TokenConfig::simplejwt_defaults(), Keyring::new(key)).unwrap();
    let now = at(1_800_000_000);
    let jkt = Jkt::from_encoded(RFC_JKT);
    let bound = service.issue_pair("42", &cnf_claims(&jkt), now).unwrap();
    let claims = service.verify_access(&bound.access, now).unwrap();
    assert_eq!(verify_binding(&claims, &jkt), Ok(()));
    let other = Jkt::from_encoded("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_eq!(verify_binding(&claims, &other), Err(DpopError::Unbound));
    let unbound = service
        .issue_pair("42", &serde_json::json!({}), now)
        .unwrap();
    let claims = service.verify_access(&unbound.access, now).unwrap();
    assert_eq!(verify_binding(&claims, &jkt), Err(DpopError::Unbound));
    assert_eq!(DpopError::Unbound.code(), "invalid_token");
}

#[test]
fn a_request_never_shows_its_access_token() {
    let request = Request::new("GET", RESOURCE_URL).with_access_token(RFC_ACCESS_TOKEN);
    let shown = format!("{request:?}");
    assert!(!shown.contains(RFC_ACCESS_TOKEN), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
}
