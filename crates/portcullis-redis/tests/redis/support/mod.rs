//! The servers the suite starts come from the crate's `test-server` module
//! (`portcullis_redis::test_server`); here a test fails with the reason when
//! one cannot start.

use portcullis_redis::test_server::TestServerError;

/// The server, cluster or answer of `result`, or the test fails with why.
pub(crate) fn ready<T>(result: Result<T, TestServerError>) -> T {
    result.unwrap_or_else(|e| panic!("{e} (scripts/ci-services.sh installs redis-server)"))
}
