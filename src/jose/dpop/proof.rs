//! The proof verifier (RFC 9449 section 4.3): one function of the proof, the
//! request, the settings and `now`, then the replay step.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use super::error::{DpopError, ProofDefect};
use super::htu::normalize_htu;
use super::replay::{ReplayKey, ReplayStore, Seen};
use super::thumbprint::Jkt;
use crate::clock::UnixTime;
use crate::jose::json::{StrictError, parse_object};
use crate::token::jwk::{Jwk, PRIVATE_JWK_MEMBERS};
use crate::token::{Algorithm, KeyFamily, VerifyingKey};

/// The asymmetric algorithms a proof may use, in the order `algs` lists them.
pub const ALLOWED_ALGORITHMS: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// The request a proof must be made for, as the host received it.
///
/// Its `Debug` never shows the access token.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request with this HTTP method (compared case-sensitively, as HTTP does) and
    /// absolute URL (its query and fragment are ignored).
    pub const fn new(method: &'a str, url: &'a str) -> Self {
        Self {
            method,
            url,
            access_token: None,
            nonce: None,
        }
    }

    /// The access token presented with the proof: the proof's `ath` must then be
    /// its base64url SHA-256 (RFC 9449 section 4.3, step 12).
    #[must_use]
    pub const fn with_access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The server nonce the proof must carry (RFC 9449 section 8).
    #[must_use]
    pub const fn with_nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("access_token", &self.access_token.map(|_| "[REDACTED]"))
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// Checks DPoP proofs. Defaults: a 60 s window, 5 s of future skew, proofs up to
/// 16 KiB, every algorithm of [`ALLOWED_ALGORITHMS`].
#[derive(Clone, Debug)]
pub struct DpopVerifier {
    max_age: Duration,
    future_skew: Duration,
    max_len: usize,
    algorithms: Vec<Algorithm>,
}

impl Default for DpopVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl DpopVerifier {
    /// The longest accepted `max_age`; a longer window makes replay state grow.
    pub const MAX_AGE_LIMIT: Duration = Duration::from_secs(3600);
    /// The largest accepted future skew.
    pub const FUTURE_SKEW_LIMIT: Duration = Duration::from_secs(300);

    /// A verifier with the defaults.
    pub fn new() -> Self {
        Self {
            max_age: Duration::from_secs(60),
            future_skew: Duration::from_secs(5),
            max_len: 16 * 1024,
            algorithms: ALLOWED_ALGORITHMS.to_vec(),
        }
    }

    /// How old (by its `iat`) a proof may be, 1 s to 1 h.
    ///
    /// # Errors
    /// [`DpopError::Config`] naming `max_age` outside that range.
    pub fn with_max_age(mut self, max_age: Duration) -> Result<Self, DpopError> {
        if max_age < Duration::from_secs(1) || max_age > Self::MAX_AGE_LIMIT {
            return Err(config("max_age", "must be 1 to 3600 seconds"));
        }
        self.max_age = max_age;
        Ok(self)
    }

    /// How far in the future a proof's `iat` may be (client clocks run fast), 0 to 300 s.
    ///
    /// # Errors
    /// [`DpopError::Config`] naming `future_skew` outside that range.
    pub fn with_future_skew(mut self, skew: Duration) -> Result<Self, DpopError> {
        if skew > Self::FUTURE_SKEW_LIMIT {
            return Err(config("future_skew", "must be 0 to 300 seconds"));
        }
        self.future_skew = skew;
        Ok(self)
    }

    /// The longest proof accepted, checked before decoding: 1 KiB to 64 KiB.
    ///
    /// # Errors
    /// [`DpopError::Config`] naming `max_proof_len` outside that range.
    pub fn with_max_proof_len(mut self, len: usize) -> Result<Self, DpopError> {
        if !(1024..=64 * 1024).contains(&len) {
            return Err(config("max_proof_len", "must be 1024 to 65536 bytes"));
        }
        self.max_len = len;
        Ok(self)
    }

    /// Accept only these algorithms (a non-empty subset of [`ALLOWED_ALGORITHMS`]).
    ///
    /// # Errors
    /// [`DpopError::Config`] naming `algorithms` if the list is empty or names
    /// another algorithm.
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> Result<Self, DpopError> {
        if algorithms.is_empty() || algorithms.iter().any(|a| !ALLOWED_ALGORITHMS.contains(a)) {
            return Err(config(
                "algorithms",
                "must be a non-empty subset of ES256, ES384, EdDSA, RS256, PS256",
            ));
        }
        self.algorithms = algorithms.to_vec();
        Ok(self)
    }

    /// The accepted algorithms (what a challenge's `algs` lists).
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The window a proof is accepted in after its `iat`.
    pub const fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Checks everything but replay, for hosts whose replay store is async: record
    /// [`Checked::replay_key`] until [`Checked::replay_expires_at`] atomically, then
    /// call [`Checked::finish`].
    ///
    /// # Errors
    /// [`DpopError::InvalidProof`] naming the rule broken, [`DpopError::UseNonce`],
    /// or [`DpopError::RequestUrl`] if `request`'s URL is not an http(s) URL.
    pub fn check(
        &self,
        proof: &str,
        request: &Request<'_>,
        now: UnixTime,
    ) -> Result<Checked, DpopError> {
        self.check_proof(proof, request, now)
            .inspect_err(|err| crate::observe::dpop_refused(err.code()))
    }

    /// [`DpopVerifier::check`] without the report of a refusal.
    fn check_proof(
        &self,
        proof: &str,
        request: &Request<'_>,
        now: UnixTime,
    ) -> Result<Checked, DpopError> {
        let expected_url = normalize_htu(request.url).ok_or(DpopError::RequestUrl)?;
        if proof.len() > self.max_len {
            return Err(ProofDefect::TooLarge.into());
        }
        let mut parts = proof.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ProofDefect::Malformed.into());
        };
        let header = decode_object(header_b64)?;
        if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
            return Err(ProofDefect::Type.into());
        }
        if header.contains_key("crit") {
            return Err(ProofDefect::Critical.into());
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|name| self.algorithms.iter().copied().find(|a| a.as_str() == name))
            .ok_or(ProofDefect::Algorithm)?;
        let jwk = header
            .get("jwk")
            .and_then(Value::as_object)
            .ok_or(ProofDefect::Key)?;
        let (key, jkt) = public_key(alg, jwk)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| ProofDefect::Malformed)?;
        let signing_input_len = header_b64.len() + 1 + payload_b64.len();
        let signing_input = proof
            .get(..signing_input_len)
            .ok_or(ProofDefect::Malformed)?;
        key.verify(signing_input.as_bytes(), &signature)
            .map_err(|_| ProofDefect::Signature)?;
        let claims = decode_object(payload_b64)?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let (Some(jti), Some(htm), Some(htu), Some(iat)) = (
            text("jti").filter(|j| !j.is_empty()),
            text("htm"),
            text("htu"),
            claims.get("iat").and_then(Value::as_u64),
        ) else {
            return Err(ProofDefect::Claims.into());
        };
        if htm != request.method {
            return Err(ProofDefect::Method.into());
        }
        if normalize_htu(htu).as_deref() != Some(expected_url.as_str()) {
            return Err(ProofDefect::Uri.into());
        }
        let now_s = now.as_secs();
        let latest = now_s.saturating_add(self.future_skew.as_secs());
        if iat > latest {
            return Err(ProofDefect::Future.into());
        }
        // Accepted while `now` (whole seconds) is at most iat + max_age: the replay
        // entry must outlive that last second.
        let expires_s = iat.saturating_add(self.max_age.as_secs());
        if now_s > expires_s {
            return Err(ProofDefect::Expired.into());
        }
        if let Some(token) = request.access_token {
            let want = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()));
            let got = text("ath").ok_or(ProofDefect::AccessTokenHash)?;
            if !bool::from(got.as_bytes().ct_eq(want.as_bytes())) {
                return Err(ProofDefect::AccessTokenHash.into());
            }
        }
        if let Some(nonce) = request.nonce
            && text("nonce") != Some(nonce)
        {
            return Err(DpopError::UseNonce);
        }
        let replay_expires_at = expires_s
            .checked_add(1)
            .and_then(UnixTime::from_secs)
            .ok_or(ProofDefect::Future)?;
        Ok(Checked {
            replay_key: ReplayKey::new(jkt.as_str(), jti),
            replay_expires_at,
            verified: Verified { jkt, alg, iat },
        })
    }

    /// Checks `proof` for `request` at `now`, recording its `jti` in `store`.
    ///
    /// ```
    /// use portcullis::clock::UnixTime;
    /// use portcullis::jose::dpop::{DpopVerifier, MemoryReplayStore, Request};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // RFC 9449 section 4.1's example proof, at the time it was made.
    /// let proof = include_str!("../../../tests/data/jose/rfc9449_4_1_proof.txt").trim_end();
    /// let store = MemoryReplayStore::new(10_000);
    /// let now = UnixTime::from_secs(1_562_262_616).ok_or("time")?;
    /// let request = Request::new("POST", "https://server.example.com/token");
    /// let verified = DpopVerifier::new().verify(proof, &request, &store, now)?;
    /// assert_eq!(verified.jkt().as_str(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    /// // The same proof again is a replay.
    /// assert!(DpopVerifier::new().verify(proof, &request, &store, now).is_err());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`DpopVerifier::check`], and [`DpopError::Replay`] or [`DpopError::Store`].
    pub fn verify(
        &self,
        proof: &str,
        request: &Request<'_>,
        store: &(impl ReplayStore + ?Sized),
        now: UnixTime,
    ) -> Result<Verified, DpopError> {
        let checked = self.check(proof, request, now)?;
        let seen = store.check_and_insert(&checked.replay_key, checked.replay_expires_at, now)?;
        checked.finish(seen)
    }
}

/// A proof that passed every check but replay; see [`DpopVerifier::check`].
#[derive(Clone, Debug)]
#[must_use = "a checked proof is accepted only after the replay step"]
pub struct Checked {
    replay_key: ReplayKey,
    replay_expires_at: UnixTime,
    verified: Verified,
}

impl Checked {
    /// What the replay store records.
    pub const fn replay_key(&self) -> &ReplayKey {
        &self.replay_key
    }

    /// Until when the store must keep it (the end of the proof's window).
    pub const fn replay_expires_at(&self) -> UnixTime {
        self.replay_expires_at
    }

    /// The proof, given the store's answer.
    ///
    /// # Errors
    /// [`DpopError::Replay`] when the store had seen the key.
    pub fn finish(self, seen: Seen) -> Result<Verified, DpopError> {
        match seen {
            Seen::First => Ok(self.verified),
            Seen::Again => {
                crate::observe::dpop_refused(DpopError::Replay.code());
                Err(DpopError::Replay)
            }
        }
    }
}

/// An accepted proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    jkt: Jkt,
    alg: Algorithm,
    iat: u64,
}

impl Verified {
    /// The RFC 7638 thumbprint of the proof's key (what `cnf.jkt` binds).
    pub const fn jkt(&self) -> &Jkt {
        &self.jkt
    }

    /// The proof's algorithm.
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The proof's `iat`, in seconds.
    pub const fn issued_at(&self) -> u64 {
        self.iat
    }
}

fn config(setting: &'static str, message: &str) -> DpopError {
    DpopError::Config {
        setting,
        message: message.to_owned(),
    }
}

fn decode_object(part: &str) -> Result<Map<String, Value>, ProofDefect> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofDefect::Malformed)?;
    parse_object(&bytes).map_err(|e| match e {
        StrictError::Duplicate => ProofDefect::DuplicateMember,
        StrictError::Syntax => ProofDefect::Malformed,
    })
}

/// The header's key for `alg` (public members only) and its thumbprint.
fn public_key(
    alg: Algorithm,
    jwk: &Map<String, Value>,
) -> Result<(VerifyingKey, Jkt), ProofDefect> {
    if PRIVATE_JWK_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(ProofDefect::PrivateKey);
    }
    let kty = jwk.get("kty").and_then(Value::as_str);
    let family_matches = matches!(
        (kty, alg.family()),
        (Some("EC"), KeyFamily::Ec) | (Some("RSA"), KeyFamily::Rsa) | (Some("OKP"), KeyFamily::Ed)
    );
    if !family_matches {
        return Err(ProofDefect::Key);
    }
    let jkt = Jkt::of_jwk(jwk)?;
    let parsed: Jwk =
        serde_json::from_value(Value::Object(jwk.clone())).map_err(|_| ProofDefect::Key)?;
    let key = VerifyingKey::from_jwk(alg, &parsed).map_err(|_| ProofDefect::Key)?;
    Ok((key, jkt))
}
