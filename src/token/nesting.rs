//! The seam for nested tokens (RFC 7519 section 11.2: sign, then encrypt), so an
//! access token's claims are not readable by the client that holds it.
//!
//! The token room only signs; the encryption lives in the jose room
//! (`portcullis::jose::nested::NestedJwe`, behind the `jose` feature), which
//! implements [`Nesting`]. The engine calls it once when it issues a token (after
//! signing) and once when it verifies one (before the signature check), so
//! refresh, rotation and revocation work unchanged on nested tokens. Without a
//! [`TokenConfig::nesting`](super::TokenConfig::nesting) the plain JWS path pays
//! one `Option` check.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::error::TokenError;

/// An outer layer around the compact JWS tokens the engine signs.
pub trait Nesting: Send + Sync + fmt::Debug {
    /// Wraps a freshly signed compact JWS into the token handed out.
    ///
    /// # Errors
    /// [`TokenError::Key`] when the layer cannot be made (its key, the random
    /// generator).
    fn seal(&self, jws: String) -> Result<String, TokenError>;

    /// Unwraps a presented token into the compact JWS inside it, refusing it when
    /// it is not in the layer's form; `max_bytes` caps the presented token.
    ///
    /// # Errors
    /// [`TokenError::Invalid`]: one opaque [`Invalid::Signature`](super::Invalid::Signature)
    /// for every failure that involves the key.
    fn open<'a>(&self, token: &'a str, max_bytes: usize) -> Result<Cow<'a, str>, TokenError>;
}

/// A shared [`Nesting`] layer, as [`TokenConfig::nesting`](super::TokenConfig::nesting)
/// holds it. Two handles are equal when they share one layer (the key inside is
/// never compared).
#[derive(Clone)]
pub struct NestingLayer(Arc<dyn Nesting>);

impl<T: Nesting + 'static> From<T> for NestingLayer {
    fn from(layer: T) -> Self {
        Self(Arc::new(layer))
    }
}

impl PartialEq for NestingLayer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for NestingLayer {}

impl fmt::Debug for NestingLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `jws` wrapped by `layer`, or unchanged without one.
pub(crate) fn seal(layer: Option<&NestingLayer>, jws: String) -> Result<String, TokenError> {
    match layer {
        Some(layer) => layer.0.seal(jws),
        None => Ok(jws),
    }
}

/// The JWS inside `token`, or `token` itself without a layer.
pub(crate) fn open<'a>(
    layer: Option<&NestingLayer>,
    token: &'a str,
    max_bytes: usize,
) -> Result<Cow<'a, str>, TokenError> {
    match layer {
        Some(layer) => layer.0.open(token, max_bytes),
        None => Ok(Cow::Borrowed(token)),
    }
}
