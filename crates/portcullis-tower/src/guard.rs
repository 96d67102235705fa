//! The one service shape the synchronous layers share: look at the request,
//! answer it or pass it on, then add to the inner service's answer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use tower::Service;

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

pin_project_lite::pin_project! {
    /// The future of a [`Guarded`] service: the layer's own answer, or the inner
    /// service's future and what to add to its answer. No allocation.
    #[project = GuardedProjection]
    #[derive(Debug)]
    pub enum GuardedFuture<F, G, P, B> {
        /// The layer answered (taken when polled).
        Answered { response: Option<Response<B>> },
        /// The inner service is running.
        Running { #[pin] future: F, guard: G, pass: Option<P> },
    }
}

impl<F, G, B, E> Future for GuardedFuture<F, G, G::Pass, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    G: Guard,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            // Polled again after it completed (a caller's bug): it never
            // completes again, rather than panicking.
            GuardedProjection::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
            GuardedProjection::Running {
                future,
                guard,
                pass,
            } => {
                let mut response = ready!(future.poll(cx))?;
                if let Some(pass) = pass.take() {
                    guard.finish(pass, response.headers_mut());
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

impl<S, G, ReqBody, ResBody> Service<Request<ReqBody>> for Guarded<S, G>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    G: Guard,
    ResBody: From<Bytes>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GuardedFuture<S::Future, G, G::Pass, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self.guard.check(&request) {
            Err(answer) => GuardedFuture::Answered {
                response: Some(answer),
            },
            Ok(pass) => GuardedFuture::Running {
                guard: self.guard.clone(),
                pass: Some(pass),
                future: self.inner.call(request),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Nothing;

    impl Guard for Nothing {
        type Pass = ();

        fn check<T, B: From<Bytes>>(&self, _: &Request<T>) -> Result<(), Response<B>> {
            Ok(())
        }

        fn finish(&self, (): (), _: &mut HeaderMap) {}
    }

    #[test]
    fn an_answer_polled_again_stays_pending_instead_of_panicking() {
        let mut future: GuardedFuture<
            std::future::Ready<Result<Response<Bytes>, ()>>,
            Nothing,
            (),
            Bytes,
        > = GuardedFuture::Answered {
            response: Some(Response::new(Bytes::new())),
        };
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut pinned = Pin::new(&mut future);
        assert!(matches!(pinned.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
        assert!(pinned.as_mut().poll(&mut cx).is_pending());
    }
}
