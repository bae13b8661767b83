//! popstore: a mail-store appliance. The store engine, the protocol servers
//! (POP3, IMAP4, LMTP), authentication, and the command line.

pub mod auth;
pub mod bounce;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod dsn;
pub mod host;
pub mod housekeeping;
pub mod imap;
pub mod legacy;
pub mod lmtp;
pub mod managesieve;
pub mod metrics;
pub mod migrate;
pub mod mime;
pub mod netio;
pub mod notify;
pub mod pop3;
pub mod poppassd;
pub mod relay;
pub mod serve;
pub mod sessionlog;
pub mod sieve;
pub mod slots;
pub mod smtp_path;
pub mod status;
pub mod store;
pub mod tls;
pub mod transfer;
pub mod verify;
pub mod web;
