//! The MessageStore's folders in the store engine (SPEC.md 8, 8.1, 9).
//!
//! A MessageStore account (store type `imap`) has a mailbox list naming
//! its folders, INBOX being folder 1, and for each selectable folder an
//! index (`Fxxxxxxxx.PFI`) and, in a store with the `folder-journal`
//! feature, a journal beside it (`Fxxxxxxxx.PFJ`) that every change is
//! appended to. Every tool and server works on folders through these
//! methods of [`Store`](super::Store):
//!
//! - The hierarchy: [`Store::mailbox_list`], [`Store::list_folders`],
//!   [`Store::create_folder`], [`Store::delete_folder`],
//!   [`Store::rename_folder`], [`Store::subscribe_folder`],
//!   [`Store::set_special_use`], [`Store::folder_id`] (rules of RFC 9051
//!   6.3, in [`folder_tree`](super::folder_tree)).
//! - A session's view: [`Store::open_folder`] gives a [`Folder`] (UIDs,
//!   flags, keywords, sizes, MODSEQs); [`Store::refresh_folder`] brings it
//!   up to date and returns what other sessions changed since, cheaply.
//! - Changes: [`Store::append_message`] (a new message file),
//!   [`Store::append_entries`] (references to existing files),
//!   [`Store::copy_to`], [`Store::move_to`], [`Store::store_flags`]
//!   (with UNCHANGEDSINCE), [`Store::expunge`].
//!
//! Each change is one synced append to the folder's journal under the
//! folder's lock, so its cost does not grow with the folder; the journal
//! is folded into the index once it holds [`FOLD_AT`] records.
//!
//! Every copy of a message, in any folder of any user, references its one
//! message file; the file goes with its last reference (SPEC.md 15).

mod append;
mod changeable;
mod io;
mod ops;
mod tree;
mod usage;
mod view;

pub use append::NewMessage;
pub use changeable::Changeable;
pub use io::FOLD_AT;
pub use ops::{Copied, FlagOp, FlagsOutcome, NewEntry};
pub use tree::FolderListing;
pub use view::{Folder, FolderMessage};
