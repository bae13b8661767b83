//! The store engine: accounts, groups, quotas, forwarding, single-copy
//! delivery and maildrop sessions, over the `Platform` trait.
//!
//! Every tool and server uses this API; the on-disk bytes are those of
//! `formats/SPEC.md`.
//!
//! - [`Store::init`] / [`Store::open`] a store on an `Arc<dyn Platform>`.
//! - Accounts: [`Store::create_account`], [`Store::copy_account`],
//!   [`Store::rename_account`], [`Store::modify_account`] (several fields,
//!   one atomic replace), [`Store::delete_account`], [`Store::show_account`],
//!   [`Store::list_accounts`] (streaming walk of the hashed tree).
//! - Managers: [`Store::manager`] logs a MANAGE account in as an
//!   [`groups::Actor`]; every management call takes the actor and refuses
//!   what lies outside its reach.
//! - Groups: [`Store::add_group`], [`Store::move_group`],
//!   [`Store::delete_group`], [`Store::group_tree`].
//! - Forwarding: [`Store::add_forwarding`], [`Store::delete_forwarding`],
//!   [`Store::forwardings`], [`Store::resolve`].
//! - Delivery: `impl crate::delivery::Delivery for Store`; external
//!   targets go through the [`Relay`] set with [`Store::set_relay`].
//! - Folder ACLs (RFC 4314) are evaluated by [`acl::rights`]; the store
//!   side (GETACL, SETACL, MYRIGHTS, folders shared by other users) is in
//!   [`shared`], the public folders in [`public`].
//! - Reading: [`Store::open_maildrop`] gives a [`Maildrop`] (snapshot,
//!   mark deleted, commit at close, "in use" for a second session).

mod account;
pub mod acl;
mod admin;
mod convert;
mod deliver;
mod deliver_folders;
mod deliver_public;
pub mod disk;
mod engine;
mod error;
pub mod expire;
mod filter;
pub mod flags;
pub mod folder_name;
pub mod folder_tree;
pub mod folders;
pub mod forward;
pub mod groups;
pub mod import;
pub mod layout;
mod list;
mod maildrop;
mod messages;
pub mod name;
pub mod password;
pub mod public;
pub mod quota;
pub mod reconstruct;
mod repair;
pub mod scrub;
mod share_index;
pub mod shared;
pub mod sieve;
pub mod spool;
pub mod tokens;
pub mod trace;
pub mod units;
pub mod vacation;

pub use account::{AccountChanges, AccountInfo, DeleteMode, Profile, StoreType};
pub use convert::Converted;
pub use deliver::return_notice;
pub use engine::{Relay, Settings, Store, now};
pub use error::{Result, StoreError};
pub use folders::{Folder, FolderMessage};
pub use list::JOURNAL_FOLD_AT;
pub use maildrop::Maildrop;
pub use messages::{MessageBody, MessageView, new_message_id};
pub use repair::{REPAIR_GRACE_SECONDS, RepairReport};
