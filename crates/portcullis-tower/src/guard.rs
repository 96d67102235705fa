//! The one service shape the synchronous layers share: look at the request,
//! answer it or pass it on, then add to the inner service's answer.

use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use tower::Service;

use crate::response::BoxFuture;

/// What a synchronous layer decides. Sealed: the trait lives in a private
/// module, so only this crate's layers implement it.
pub trait Guard: Clone + Send + Sync + 'static {
    /// What the layer keeps from the request for the answer.
    type Pass: Send + 'static;

    /// Answers the request itself (`Err`), or lets it through.
    fn check<T, B: From<Bytes>>(&self, request: &Request<T>) -> Result<Self::Pass, Response<B>>;

    /// Adds to the inner service's answer.
    fn finish(&self, pass: Self::Pass, headers: &mut HeaderMap);
}

/// The service of a synchronous layer (`Cors<S>`, `Csrf<S>`, `HttpsRedirect<S>`,
/// `SecurityHeadersService<S>`): `G` is the layer.
#[derive(Clone, Debug)]
pub struct Guarded<S, G> {
    inner: S,
    guard: G,
}

impl<S, G> Guarded<S, G> {
    pub(crate) fn new(inner: S, guard: G) -> Self {
        Self { inner, guard }
    }
}

/// A layer whose service is [`Guarded`] by itself.
macro_rules! guard_layer {
    ($layer:ty) => {
        impl<S> tower::Layer<S> for $layer {
            type Service = $crate::guard::Guarded<S, $layer>;

            fn layer(&self, inner: S) -> Self::Service {
                $crate::guard::Guarded::new(inner, self.clone())
            }
        }
    };
}
pub(crate) use guard_layer;

impl<S, G, ReqBody, ResBody> Service<Request<ReqBody>> for Guarded<S, G>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    G: Guard,
    ResBody: From<Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self.guard.check(&request) {
            Err(answer) => Box::pin(std::future::ready(Ok(answer))),
            Ok(pass) => {
                let guard = self.guard.clone();
                let future = self.inner.call(request);
                Box::pin(async move {
                    let mut response = future.await?;
                    guard.finish(pass, response.headers_mut());
                    Ok(response)
                })
            }
        }
    }
}
