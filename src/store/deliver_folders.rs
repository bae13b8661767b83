//! Delivery into a MessageStore account's folders: where each copy goes
//! (INBOX, the folder a `user+folder` subaddress names, the folders a
//! Sieve script files into) and the appends that put it there.
//!
//! Rules (README "MessageStore accounts"):
//! - Without a script, a message goes to INBOX; `user+folder@domain`
//!   files it into `folder` when that folder exists (PMDF's form). Levels
//!   may be written with `/` or `.` (`user+lists.rust` is `lists/rust`);
//!   the name is matched exactly first, then without regard to case when
//!   exactly one folder matches; otherwise INBOX.
//! - A Sieve `fileinto` files into the folder it names; `:create`
//!   (RFC 5490) makes the folder when missing; a `fileinto` to a missing
//!   folder without `:create` lands in INBOX, logged (RFC 5228 4.1 lets
//!   the implementation choose; losing the copy is never the choice).
//! - imap4flags' flags (`\Seen`, `\Answered`, `\Flagged`, `\Deleted`,
//!   `\Draft`) and keywords are stored on the copy.
//! - Every copy references the one message file: the file's count counts
//!   each folder entry.

use std::collections::BTreeMap;

use popstore_formats::folder::SystemFlags;
use popstore_formats::mailboxes::SpecialUse;

use super::engine::Store;
use super::error::Result;
use super::folder_name::FolderName;
use super::folders::NewEntry;
use super::layout::MessageId;
use super::name::AccountName;
use crate::sieve::plan::{Folder, Store as SieveCopy};

/// Where one copy of a message goes in a MessageStore account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// The folder asked for (INBOX when none).
    pub folder: String,
    /// Make the folder when it is missing (Sieve `:create`).
    pub create: bool,
    /// System flags of the copy.
    pub flags: SystemFlags,
    /// Keywords of the copy.
    pub keywords: Vec<String>,
}

impl Place {
    /// INBOX, no flags.
    pub fn inbox() -> Place {
        Place {
            folder: "INBOX".into(),
            create: false,
            flags: SystemFlags::default(),
            keywords: Vec::new(),
        }
    }
}

/// The places a Sieve plan's copies ask for (each folder once, flags
/// merged).
pub(crate) fn places_from_sieve(stores: &[SieveCopy]) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    for s in stores {
        let folder = match &s.folder {
            Folder::Inbox => "INBOX".to_string(),
            Folder::Named(f) => f.clone(),
        };
        let (mut flags, mut keywords) = (SystemFlags::default(), Vec::new());
        for f in &s.flags {
            match system_flag(f) {
                Some(bit) => flags = SystemFlags(flags.0 | bit.0),
                None if f.starts_with('\\') || f.is_empty() => {}
                None => keywords.push(f.clone()),
            }
        }
        match out.iter_mut().find(|p| p.folder == folder) {
            Some(p) => {
                p.create |= s.create;
                p.flags = SystemFlags(p.flags.0 | flags.0);
                for k in keywords {
                    if !p.keywords.contains(&k) {
                        p.keywords.push(k);
                    }
                }
            }
            None => out.push(Place {
                folder,
                create: s.create,
                flags,
                keywords,
            }),
        }
    }
    out
}

fn system_flag(f: &str) -> Option<SystemFlags> {
    [
        ("\\Seen", SystemFlags::SEEN),
        ("\\Answered", SystemFlags::ANSWERED),
        ("\\Flagged", SystemFlags::FLAGGED),
        ("\\Deleted", SystemFlags::DELETED),
        ("\\Draft", SystemFlags::DRAFT),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(f))
    .map(|(_, b)| b)
}

impl Store {
    /// The existing selectable folder a subaddress or `fileinto` names,
    /// matched as the module says; `None`: no such folder.
    pub(crate) fn find_folder(&self, acct: &AccountName, asked: &str) -> Result<Option<u32>> {
        let list = self.mailbox_list(acct)?;
        let selectable = list.mailboxes.iter().filter(|m| {
            !m.flags
                .contains(popstore_formats::mailboxes::MailboxFlags::NOSELECT)
        });
        let mut candidates = vec![asked.to_string()];
        if asked.contains('.') && !asked.contains('/') {
            candidates.push(asked.replace('.', "/"));
        }
        for c in &candidates {
            let Ok(name) = FolderName::new(c) else {
                continue;
            };
            if let Some(m) = selectable.clone().find(|m| m.name == name.as_str()) {
                return Ok(Some(m.folder_id));
            }
        }
        for c in &candidates {
            let matches: Vec<u32> = selectable
                .clone()
                .filter(|m| m.name.eq_ignore_ascii_case(c))
                .map(|m| m.folder_id)
                .collect();
            if let [one] = matches[..] {
                return Ok(Some(one));
            }
        }
        Ok(None)
    }

    /// Whether `name` is an existing folder of `acct` (Sieve's
    /// `mailboxexists`; INBOX always is).
    pub(crate) fn folder_exists(&self, acct: &AccountName, name: &str) -> bool {
        name.eq_ignore_ascii_case("INBOX") || self.find_folder(acct, name).ok().flatten().is_some()
    }

    /// Files message `id` into the places given (its count already counts
    /// one reference per place): missing folders made for `:create`,
    /// others replaced by INBOX; one append per folder.
    pub(crate) fn file_into_folders(
        &self,
        acct: &AccountName,
        id: MessageId,
        size: u64,
        created: i64,
        places: &[Place],
    ) -> Result<()> {
        let mut by_folder: BTreeMap<u32, Vec<NewEntry>> = BTreeMap::new();
        for p in places {
            let mut folder = self.find_folder(acct, &p.folder)?;
            if folder.is_none()
                && p.create
                && let Ok(name) = FolderName::new(&p.folder)
            {
                match self.create_folder(acct, &name, SpecialUse::NONE) {
                    Ok(f) => folder = Some(f),
                    Err(e) => {
                        tracing::warn!(account = %acct, "fileinto :create {:?}: {e}", p.folder)
                    }
                }
            }
            let folder = match folder {
                Some(f) => f,
                // A public folder deleted since RCPT TO: never its INBOX.
                None if super::public::is_public(acct) => {
                    return Err(super::folder_tree::FolderError::NotFound(p.folder.clone()).into());
                }
                None => {
                    if !p.folder.eq_ignore_ascii_case("INBOX") {
                        tracing::info!(
                            account = %acct,
                            "no folder {:?}: delivered to INBOX",
                            p.folder
                        );
                    }
                    self.find_folder(acct, "INBOX")?.unwrap_or(1)
                }
            };
            by_folder.entry(folder).or_default().push(NewEntry {
                message: id,
                size,
                flags: p.flags,
                keywords: p.keywords.clone(),
                internal_date: created,
            });
        }
        for (folder, entries) in by_folder {
            self.append_entries(acct, folder, &entries)?;
        }
        Ok(())
    }
}
