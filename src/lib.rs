//! popstore: a mail-store appliance. The store engine, the protocol servers
//! (POP3, IMAP4, LMTP), authentication, and the command line.

pub mod cli;
pub mod delivery;
pub mod mime;
pub mod verify;
