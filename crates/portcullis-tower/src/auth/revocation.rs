//! The async revocation seam the authentication layer awaits.

use std::future::Future;
use std::sync::Arc;

use portcullis::store::StoreError;
use portcullis::token::{Lookup, MemoryRevocationStore, RevocationStore, Status};

/// Where the authentication layer asks whether a verified token is revoked.
///
/// The layer runs the core's sans-I/O step: [`Tokens::verify`] (pure), then
/// this lookup on [`Verified::lookup`], then [`Verified::finish`] with the
/// answer. An implementation over the network (Redis) returns a future that
/// does the round trip, so no runtime thread blocks; the in-memory store
/// answers at once. A failure is a [`StoreError`]: the layer answers 503 with
/// a fixed body, never the error's text.
///
/// [`Tokens::verify`]: portcullis::token::Tokens::verify
/// [`Verified::lookup`]: portcullis::token::Verified::lookup
/// [`Verified::finish`]: portcullis::token::Verified::finish
///
/// ```
/// use std::future::Future;
/// use portcullis::store::StoreError;
/// use portcullis::token::{Lookup, Status};
/// use portcullis_tower::RevocationCheck;
///
/// /// A deployment that revokes nothing but a fixed list of token ids.
/// struct Denylist(Vec<String>);
///
/// impl RevocationCheck for Denylist {
///     fn status(&self, lookup: &Lookup<'_>) -> impl Future<Output = Result<Status, StoreError>> + Send {
///         let revoked = self.0.iter().any(|jti| jti == lookup.jti);
///         std::future::ready(Ok(if revoked { Status::Revoked } else { Status::Active }))
///     }
/// }
/// ```
pub trait RevocationCheck: Send + Sync + 'static {
    /// Whether the token `lookup` describes is revoked (its id, family or
    /// user cutoff).
    ///
    /// # Errors
    /// A [`StoreError`] when the backend fails; the request is refused with 503.
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send;
}

/// The core's bounded in-memory store answers without I/O.
impl RevocationCheck for MemoryRevocationStore {
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send {
        std::future::ready(RevocationStore::status(self, lookup))
    }
}

/// A shared store (the same store the host's login and logout flows write).
impl<T: RevocationCheck> RevocationCheck for Arc<T> {
    fn status(
        &self,
        lookup: &Lookup<'_>,
    ) -> impl Future<Output = Result<Status, StoreError>> + Send {
        T::status(self, lookup)
    }
}
