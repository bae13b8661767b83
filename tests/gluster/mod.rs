//! Helpers of the shared-store test (tests/shared_store_gluster.rs): a
//! GlusterFS volume mounted twice, and plain LMTP and POP3 clients.

pub mod volume;
pub mod wire;
