//! The `Other Users/` namespace (RFC 2342): folders other accounts shared
//! through ACLs appear as `Other Users/OWNER/FOLDER`, with the rights the
//! owner granted (`l` to see it, `r` to select it, `w` to change flags and
//! expunge, `i` to append and copy into it).

use super::{Response, Session};
use crate::imap::types::MailboxArg;
use crate::imap::write::{self, Code};
use crate::store::StoreError;
use crate::store::acl::Rights;
use crate::store::folder_name::FolderName;
use crate::store::folder_tree::{self, FolderError};
use crate::store::name::AccountName;

/// The prefix of the other users' namespace.
pub(super) const OTHER_USERS: &str = "Other Users";

/// The prefix of the public folders' namespace.
pub(super) const PUBLIC: &str = "Public Folders";

/// A folder a mailbox argument names.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// Its account.
    pub owner: AccountName,
    /// Its name in that account.
    pub name: FolderName,
    /// The name the client uses.
    pub shown: FolderName,
    /// The rights the user holds (all of them in the user's own folders).
    pub rights: Rights,
}

impl Session {
    /// LIST's part for the public folders matching `pattern`.
    fn list_public(
        &self,
        out: &mut Vec<u8>,
        pattern: &str,
        seen: &mut std::collections::HashSet<String>,
    ) {
        if !self.store.public_tree_exists().unwrap_or(false) {
            return;
        }
        let me = self.account();
        let public = crate::store::public::public_account();
        let Ok(folders) = self.store.shared_folders(&public, Some(&me)) else {
            return;
        };
        let utf8 = self.utf8_names();
        let mut node = |out: &mut Vec<u8>, name: &str, attrs: &[&str]| {
            if folder_tree::pattern_matches(pattern, name)
                && seen.insert(name.to_string())
                && let Ok(n) = FolderName::new(name)
            {
                write::data::list(out, false, attrs, Some('/'), &n, utf8, &[]);
            }
        };
        if !folders.is_empty() {
            node(out, PUBLIC, &["\\Noselect", "\\HasChildren"]);
        }
        for f in folders {
            let mut attrs = vec![if f.folder.has_children {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            }];
            if f.folder.noselect || !f.rights.contains(Rights::READ) {
                attrs.insert(0, "\\Noselect");
            }
            node(out, &format!("{PUBLIC}/{}", f.folder.name), &attrs);
        }
    }

    /// Resolves a mailbox argument in either namespace; the folder of
    /// another account must be visible to the user (`l`).
    pub(super) fn target(&self, tag: &str, m: &MailboxArg) -> Result<Target, Response> {
        let shown = self.folder_arg(tag, m)?;
        let me = self.account();
        if let Some(rest) = shown
            .as_str()
            .strip_prefix(PUBLIC)
            .and_then(|r| r.strip_prefix('/'))
        {
            let missing = || Self::no(tag, Some(Code::NonExistent), "no such mailbox");
            let Ok(name) = FolderName::new(rest) else {
                return Err(missing());
            };
            return match self.store.public_rights(&name, Some(&me)) {
                Ok(r) if r.contains(Rights::LOOKUP) => Ok(Target {
                    owner: crate::store::public::public_account(),
                    name,
                    shown,
                    rights: r,
                }),
                Ok(_) | Err(StoreError::Folder(_)) | Err(StoreError::Invalid(_)) => Err(missing()),
                Err(e) => Err(self.store_error(tag, &e)),
            };
        }
        let mut levels = shown.as_str().splitn(3, '/');
        if levels.next() != Some(OTHER_USERS) {
            return Ok(Target {
                owner: me,
                name: shown.clone(),
                shown,
                rights: Rights::ALL,
            });
        }
        let missing = || Self::no(tag, Some(Code::NonExistent), "no such mailbox");
        let (Some(owner), Some(rest)) = (levels.next(), levels.next()) else {
            return Err(missing());
        };
        let Ok(owner) = self.store.name(owner) else {
            return Err(missing());
        };
        let Ok(name) = FolderName::new(rest) else {
            return Err(missing());
        };
        if owner == me {
            return Err(missing());
        }
        match self.store.folder_rights(&owner, &name, Some(&me)) {
            Ok(r) if r.contains(Rights::LOOKUP) => Ok(Target {
                owner,
                name,
                shown,
                rights: r,
            }),
            Ok(_)
            | Err(StoreError::Folder(FolderError::NotFound(_)))
            | Err(StoreError::UnknownAccount(_))
            | Err(StoreError::NotMessageStore(_)) => Err(missing()),
            Err(e) => Err(self.store_error(tag, &e)),
        }
    }

    /// `Err` with `NO [NOPERM]` unless the target grants `need`.
    pub(super) fn require(tag: &str, t: &Target, need: Rights) -> Result<(), Response> {
        if t.rights.contains(need) {
            Ok(())
        } else {
            Err(Self::no(tag, Some(Code::NoPerm), "permission denied"))
        }
    }

    /// LIST's part for the other users' folders matching `pattern`.
    pub(super) fn list_others(
        &self,
        out: &mut Vec<u8>,
        pattern: &str,
        seen: &mut std::collections::HashSet<String>,
    ) {
        let me = self.account();
        let utf8 = self.utf8_names();
        self.list_public(out, pattern, seen);
        let owners = match self.store.accounts_sharing_with(&me) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("imap: LIST of shared folders: {e}");
                return;
            }
        };
        let mut node = |out: &mut Vec<u8>, name: &str, attrs: &[&str]| {
            if folder_tree::pattern_matches(pattern, name)
                && seen.insert(name.to_string())
                && let Ok(n) = FolderName::new(name)
            {
                write::data::list(out, false, attrs, Some('/'), &n, utf8, &[]);
            }
        };
        for owner in owners {
            let Ok(folders) = self.store.shared_folders(&owner, Some(&me)) else {
                continue;
            };
            if folders.is_empty() {
                continue;
            }
            node(out, OTHER_USERS, &["\\Noselect", "\\HasChildren"]);
            node(
                out,
                &format!("{OTHER_USERS}/{owner}"),
                &["\\Noselect", "\\HasChildren"],
            );
            for f in folders {
                let mut attrs = vec![if f.folder.has_children {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                }];
                if f.folder.noselect || !f.rights.contains(Rights::READ) {
                    attrs.insert(0, "\\Noselect");
                }
                node(
                    out,
                    &format!("{OTHER_USERS}/{owner}/{}", f.folder.name),
                    &attrs,
                );
            }
        }
    }
}
