//! Servers the suite starts for itself.

pub(crate) mod cluster;
pub(crate) mod server;
