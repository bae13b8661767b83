//! popstore: a mail-store appliance. The store engine, the protocol servers
//! (POP3, IMAP4, LMTP), authentication, and the command line.

pub mod cli;
pub mod config;
pub mod delivery;
pub mod lmtp;
pub mod relay;
pub mod serve;
pub mod sieve;
pub mod store;
pub mod verify;
