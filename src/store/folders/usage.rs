//! The quota usage of a MessageStore account: every folder counts.
//!
//! The profile's `quota_used` holds the bytes of the messages in the
//! folder *indexes*: a fold adds the journal's appends it writes into the
//! index, an expunge or a folder deletion subtracts what it removed from
//! the index. The bytes appended to journals since their last fold (and
//! not expunged since) are added when usage is asked for, so a delivery
//! neither rewrites the profile nor reads any index. Expunged space is
//! free at once.

use popstore_formats::folder_journal::{Change, FolderJournal, JournalBase, freed};
use popstore_platform::{ErrorKind, LockMode};

use super::super::account::Profile;
use super::super::engine::Store;
use super::super::error::Result;
use super::super::name::AccountName;

impl Store {
    /// Adds `delta` bytes to the profile's `quota_used` (under the account
    /// lock; never below 0).
    pub(crate) fn adjust_usage(&self, acct: &AccountName, delta: i64) -> Result<()> {
        if delta == 0 {
            return Ok(());
        }
        let _l = self.lock(&self.paths.account_lock(acct), LockMode::Exclusive)?;
        let mut p = self.existing(acct)?;
        p.quota_used = p.quota_used.saturating_add_signed(delta);
        self.write_profile(&p)
    }

    /// The bytes a MessageStore account holds: the profile's count for
    /// the indexes plus what every folder's journal appended and did not
    /// expunge since its last fold. Reads the journals (each at most
    /// [`super::FOLD_AT`] records), never an index.
    pub(crate) fn folder_usage(&self, acct: &AccountName, p: &Profile) -> Result<u64> {
        let dir = self.paths.folders_dir(acct);
        let entries = match self.fs.list(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(p.quota_used),
            Err(e) => return Err(e.into()),
        };
        let mut total = p.quota_used;
        for e in entries {
            let popstore_platform::Entry::File { name, ftype } = e else {
                continue;
            };
            if ftype.as_str() != "PFJ" {
                continue;
            }
            let Some(id) = name
                .as_str()
                .strip_prefix('F')
                .and_then(|h| u32::from_str_radix(h, 16).ok())
            else {
                continue;
            };
            let Some((j, _)) = self.read_folder_journal(acct, id)? else {
                continue;
            };
            let Some(head) = self.folder_head(acct, id)? else {
                continue;
            };
            if j.base == JournalBase::of_head(&head) {
                total = total.saturating_add_signed(journal_usage(&j));
            }
        }
        Ok(total)
    }
}

impl Store {
    /// The messages a MessageStore account holds (every folder's, and its
    /// message list's), for its message limit (RES-MESSAGE). Opens every
    /// folder: asked only of accounts that have a limit.
    pub fn message_usage(&self, acct: &AccountName, p: &Profile) -> Result<u64> {
        let list = self.mailbox_list(acct)?;
        let mut n = p.message_count;
        for m in &list.mailboxes {
            if m.flags
                .contains(popstore_formats::mailboxes::MailboxFlags::NOSELECT)
            {
                continue;
            }
            let name = super::super::folder_name::FolderName::inbox();
            n += self.load_folder(acct, m.folder_id, name)?.len() as u64;
        }
        Ok(n)
    }

    /// Whether `extra` more messages fit under the account's message
    /// limit (SPEC.md 6).
    pub(crate) fn messages_fit(&self, acct: &AccountName, p: &Profile, extra: u64) -> Result<bool> {
        match p.message_limit {
            None => Ok(true),
            Some(limit) => Ok(self.message_usage(acct, p)?.saturating_add(extra) <= limit),
        }
    }
}

/// What a journal adds to the profile's usage counter (SPEC.md 8.1): the
/// bytes of its appends that no later record of it expunged, less what
/// its FREED records say its expunges freed of the index.
pub(crate) fn journal_usage(j: &FolderJournal) -> i64 {
    let mut live: Vec<(u32, u64)> = Vec::new();
    for c in &j.changes {
        match c {
            Change::Append(a) => live.push((a.uid, a.size)),
            Change::Expunge(s) => {
                live.retain(|(uid, _)| !s.messages.iter().any(|m| m.uid == *uid));
            }
            _ => {}
        }
    }
    let appended: u64 = live.iter().map(|(_, s)| s).sum();
    let freed: u64 = freed(&j.changes).iter().map(|(_, b)| b).sum();
    appended as i64 - freed as i64
}
