//! Why a DPoP proof, or the token bound to it, was refused.

use crate::store::StoreError;

/// The rule a refused proof broke (RFC 9449 section 4.3), for logs and tests.
///
/// On the wire every defect is `invalid_dpop_proof`: the message is for the host's
/// logs. None quotes a value from the proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofDefect {
    /// The proof is longer than the configured cap (checked before decoding).
    TooLarge,
    /// Not exactly three base64url (unpadded) parts of JSON objects.
    Malformed,
    /// A JSON object has the same member twice.
    DuplicateMember,
    /// `typ` is not `dpop+jwt`.
    Type,
    /// `alg` is missing or not in the allow-list.
    Algorithm,
    /// The header has a `crit` member (no extension is understood).
    Critical,
    /// `jwk` is missing, not a public key for `alg`, or malformed.
    Key,
    /// `jwk` carries a private member (`d`, `p`, `k`, ...).
    PrivateKey,
    /// The signature does not verify with the header's key.
    Signature,
    /// A required claim (`jti`, `htm`, `htu`, `iat`) is missing or has the wrong type.
    Claims,
    /// `htm` differs from the request's method.
    Method,
    /// `htu` is not an http(s) URL, or differs from the request's URL.
    Uri,
    /// `iat` is older than the window allows.
    Expired,
    /// `iat` is further in the future than the skew allows.
    Future,
    /// `ath` is missing though an access token was presented, or does not match it.
    AccessTokenHash,
}

impl ProofDefect {
    const fn describe(self) -> &'static str {
        match self {
            Self::TooLarge => "the proof is larger than the configured cap",
            Self::Malformed => "the proof is not a compact JWS of three base64url JSON parts",
            Self::DuplicateMember => "a JSON member appears twice",
            Self::Type => "the `typ` header is not `dpop+jwt`",
            Self::Algorithm => "the `alg` header is missing or not an allowed asymmetric algorithm",
            Self::Critical => "the `crit` header names extensions that are not understood",
            Self::Key => "the `jwk` header is missing or not a public key for `alg`",
            Self::PrivateKey => "the `jwk` header carries a private key member",
            Self::Signature => "the signature does not verify",
            Self::Claims => "a required claim (`jti`, `htm`, `htu`, `iat`) is missing or malformed",
            Self::Method => "`htm` does not match the request method",
            Self::Uri => "`htu` does not match the request URL",
            Self::Expired => "`iat` is older than the accepted window",
            Self::Future => "`iat` is too far in the future",
            Self::AccessTokenHash => "`ath` is missing or does not match the access token",
        }
    }
}

/// A refused DPoP proof or binding, a failed replay store, or a bad setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The proof breaks a rule of RFC 9449 section 4.3.
    #[error("invalid DPoP proof: {}", .0.describe())]
    InvalidProof(ProofDefect),
    /// The proof's `jti` was seen before within its window.
    #[error("invalid DPoP proof: the `jti` was already used")]
    Replay,
    /// A server nonce is required and the proof has none, or another one.
    #[error("the DPoP proof must carry the server's current nonce")]
    UseNonce,
    /// The access token is not bound (`cnf.jkt`) to the proof's key.
    #[error("the access token is not bound to the DPoP proof's key")]
    Unbound,
    /// The replay store failed; the proof is refused (fail closed).
    #[error("the DPoP replay store failed: {0}")]
    Store(#[from] StoreError),
    /// A verifier setting is out of range.
    #[error("DPoP setting `{setting}`: {message}")]
    Config {
        /// The setting's name.
        setting: &'static str,
        /// What is accepted.
        message: String,
    },
    /// The request URL given by the host is not an absolute http(s) URL.
    #[error("the request URL is not an absolute http(s) URL")]
    RequestUrl,
}

impl DpopError {
    /// The stable code: RFC 9449's `invalid_dpop_proof`, `use_dpop_nonce`, RFC 6750's
    /// `invalid_token`, and the crate's `dpop_replay`, `store_unavailable`,
    /// `invalid_config`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidProof(_) => "invalid_dpop_proof",
            Self::Replay => "dpop_replay",
            Self::UseNonce => "use_dpop_nonce",
            Self::Unbound => "invalid_token",
            Self::Store(_) => "store_unavailable",
            Self::Config { .. } | Self::RequestUrl => "invalid_config",
        }
    }

    /// The defect, when this is an invalid proof.
    pub const fn defect(&self) -> Option<ProofDefect> {
        match self {
            Self::InvalidProof(d) => Some(*d),
            _ => None,
        }
    }
}

impl From<ProofDefect> for DpopError {
    fn from(defect: ProofDefect) -> Self {
        Self::InvalidProof(defect)
    }
}
