//! Helpers of the shared-store tests (tests/shared_*_gluster.rs): a
//! GlusterFS volume mounted twice, nodes serving it, and plain LMTP, POP3
//! and IMAP clients.

pub mod imap;
pub mod nodes;
pub mod volume;
pub mod wire;
