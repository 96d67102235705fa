//! DPoP proofs (RFC 9449) on hostile input, for a fixed request and time (those of
//! tests/data/jose/dpop_jwcrypto.json, whose proofs seed the corpus). Never a panic;
//! an accepted proof's `jkt` is the RFC 7638 thumbprint recomputed from its header
//! `jwk`, and the proof is a replay the second time. Also: the request-URL
//! normalisation is idempotent on whatever it accepts.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use portcullis::clock::UnixTime;
use portcullis::jose::dpop::{
    DpopError, DpopVerifier, Jkt, MemoryReplayStore, Request, normalize_htu,
};

const NOW: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(normal) = normalize_htu(text) {
        assert_eq!(normalize_htu(&normal).as_deref(), Some(normal.as_str()));
    }
    let Some(now) = UnixTime::from_secs(NOW) else {
        return;
    };
    let store = MemoryReplayStore::new(16);
    let verifier = DpopVerifier::new();
    let request = Request::new("POST", "https://server.example.com/token");
    let Ok(verified) = verifier.verify(text, &request, &store, now) else {
        return;
    };
    let header = text.split('.').next().unwrap_or_default();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("accepted: base64url"))
            .expect("accepted: JSON");
    let jwk = header["jwk"].as_object().expect("accepted: a jwk object");
    assert_eq!(Jkt::of_jwk(jwk).as_ref(), Ok(verified.jkt()));
    assert_eq!(
        verifier.verify(text, &request, &store, now),
        Err(DpopError::Replay)
    );
});
