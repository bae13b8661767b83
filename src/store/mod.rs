//! The store engine: accounts, groups, quotas, forwarding, single-copy
//! delivery and maildrop sessions, over the `Platform` trait.
//!
//! Every tool and server uses this API; the on-disk bytes are those of
//! `formats/SPEC.md`.

pub mod flags;
pub mod forward;
pub mod groups;
pub mod name;
pub mod password;
pub mod quota;
pub mod units;
pub mod wire;
