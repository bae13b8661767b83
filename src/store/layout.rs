//! Where each file of the store lives, as logical [`StorePath`]s: the
//! format crate's [`Layout`] (SPEC.md section 14), plus the lock names the
//! engine uses beside the files they protect.
//!
//! Lock files (empty, never replaced or removed while in use):
//! `ROOT0:[000000]GROUPS.LCK` and `FORWARD.LCK`; in a user's subtree
//! `ACCOUNT.LCK` (changes to the profile and message list) and
//! `SESSION.LCK` (held by a maildrop session for its life); in its
//! `[.FOLDERS]` directory `Fxxxxxxxx.LCK` (changes to one folder's index
//! and journal, SPEC.md 8.1); in a message
//! directory `REFS.LCK` (reference-count changes of its files).

use popstore_formats::layout::{Layout, UserDir};
use popstore_formats::path::{Ods2Name, StorePath};
use popstore_platform::DirPath;

pub use popstore_formats::layout::MessageId;

use super::name::AccountName;

fn n(s: &str) -> Ods2Name {
    // Only called with the built-in names below.
    Ods2Name::new(s).unwrap_or_else(|_| unreachable!("invalid built-in name {s:?}"))
}

/// The store descriptor.
pub fn descriptor() -> StorePath {
    Layout::descriptor()
}

/// The group tree.
pub fn groups() -> StorePath {
    Layout::groups()
}

/// The forwarding database.
pub fn forwardings() -> StorePath {
    Layout::forwarding()
}

/// The lock of the group tree.
pub fn groups_lock() -> StorePath {
    DirPath::root(0).file(n("GROUPS"), n("LCK"))
}

/// The lock of the forwarding database.
pub fn forwardings_lock() -> StorePath {
    DirPath::root(0).file(n("FORWARD"), n("LCK"))
}

/// The top of the user subtrees on root 0.
pub fn users_dir() -> DirPath {
    users_dir_on(0)
}

/// The top of the user subtrees on root `root` (a store's users roots are
/// in its descriptor, SPEC 14.4).
pub fn users_dir_on(root: u8) -> DirPath {
    DirPath::root(root).child(n(popstore_formats::layout::USERS_DIR))
}

/// The top of the message directories on root 0.
pub fn messages_dir() -> DirPath {
    DirPath::root(0).child(n(popstore_formats::layout::MESSAGES_DIR))
}

/// The paths of one store (from its descriptor's fanout and roots).
#[derive(Debug, Clone)]
pub struct Paths {
    /// The format crate's path computer.
    pub layout: Layout,
}

impl Paths {
    /// The subtree of an account.
    pub fn user(&self, name: &AccountName) -> UserDir {
        self.layout
            .user_dir(name.as_str())
            .unwrap_or_else(|| unreachable!("account names are never empty"))
    }

    /// The directory of an account's subtree.
    pub fn user_dir(&self, name: &AccountName) -> DirPath {
        let u = self.user(name);
        DirPath {
            root: u.root,
            dirs: u.dirs,
        }
    }

    /// An account's profile.
    pub fn profile(&self, name: &AccountName) -> StorePath {
        self.user(name).profile()
    }

    /// An account's message list.
    pub fn message_list(&self, name: &AccountName) -> StorePath {
        self.user(name).message_list()
    }

    /// The lock serialising changes to an account's profile and list.
    pub fn account_lock(&self, name: &AccountName) -> StorePath {
        self.user(name).file("ACCOUNT", "LCK")
    }

    /// The lock a maildrop session holds for its whole life.
    pub fn session_lock(&self, name: &AccountName) -> StorePath {
        self.user(name).file("SESSION", "LCK")
    }

    /// The directory of a MessageStore account's folder indexes and
    /// journals (`[.FOLDERS]`).
    pub fn folders_dir(&self, name: &AccountName) -> DirPath {
        DirPath::of(&self.user(name).folder_index(1))
    }

    /// The lock serialising changes to one folder's index and journal
    /// (`[.FOLDERS]Fxxxxxxxx.LCK`, SPEC.md 8.1).
    pub fn folder_lock(&self, name: &AccountName, folder_id: u32) -> StorePath {
        let mut p = self.user(name).folder_index(folder_id);
        p.ftype = n("LCK");
        p
    }

    /// A message file.
    pub fn message(&self, id: MessageId) -> StorePath {
        self.layout.message_file(id)
    }

    /// The lock for reference-count changes of the files in `id`'s directory.
    pub fn refs_lock(&self, id: MessageId) -> StorePath {
        let mut p = self.message(id);
        p.name = n("REFS");
        p.ftype = n("LCK");
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_layout() {
        let p = Paths {
            layout: Layout::default(),
        };
        let john = AccountName::from_stored("john");
        assert_eq!(
            p.profile(&john).to_string(),
            "ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.PRF"
        );
        assert_eq!(
            p.account_lock(&john).to_string(),
            "ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.LCK"
        );
        let id = MessageId(0x2A);
        assert_eq!(p.refs_lock(id).dirs, p.message(id).dirs);
    }
}
