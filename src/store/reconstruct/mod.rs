//! `popstore reconstruct`: rebuild MessageStore accounts' mailbox lists
//! and folder indexes from what is on disk (the indexes, their journals,
//! and the message files, whose recipients name their accounts), keeping
//! UIDVALIDITY, UIDs, flags and keywords wherever they survive; fix the
//! reference counts of the files it touches and the accounts' usage.
//! Anchors: Cyrus `reconstruct` and PMDF's; unlike Cyrus it fixes the
//! quota too.
//!
//! What it does, per account (the rules of each step are in its module):
//!
//! 1. **Folders** ([`folder`]): a folder whose index reads and whose
//!    journal belongs to it is left alone; any other is rebuilt from the
//!    index's surviving entries and the journal's surviving changes,
//!    UIDs kept (UIDNEXT and HIGHESTMODSEQ raised past what the journal
//!    and its damaged bytes could have given, SPEC.md 8.1); only a folder
//!    whose UIDVALIDITY is lost gets a new one, above the mailbox list's
//!    last one and every one seen.
//! 2. **The mailbox list** ([`mailboxes`]): a missing or damaged list is
//!    rebuilt from the indexes (each FOLDER record holds its name); a list
//!    that reads takes in the indexes it lacks.
//! 3. **Lost messages** ([`census`]): a message file that names the
//!    account, that none of its folders references nor gave up (expunge
//!    histories, RELEASED records), and whose count is above the
//!    references the rest of the store holds, was a reference the account
//!    lost (an index restored from an older backup, a journal removed) or
//!    a delivery a crash cut short: it goes back into INBOX with a new UID.
//!    Which folder it was in cannot be known.
//! 4. **Writes** ([`counts`]): counts raised to the store's references,
//!    then the indexes (journals folded and removed), the mailbox list,
//!    the profile's usage; then counts lowered, when the whole store could
//!    be read and a count did not change meanwhile.
//!
//! It runs beside `serve`: it takes the account lock, then the lock of
//! every folder of the account (the servers' order), and leaves message
//! files younger than the grace period alone (a delivery may be between
//! writing the file and its reference). Sessions that have a folder open
//! see the rebuilt folder at their next refresh.
//!
//! Limits: a folder whose journal was removed, or whose index and journal
//! were both restored from an older backup, cannot be told from one that
//! never had the changes they lost; its messages come back in INBOX (step
//! 3) and the folder keeps its UIDVALIDITY and UIDNEXT.

mod account;
mod census;
mod counts;
pub(crate) mod folder;
mod mailboxes;

use crate::store::engine::{Store, now};
use crate::store::error::Result;
use crate::store::name::AccountName;

/// How to reconstruct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconstructOptions {
    /// Say what would change, change nothing.
    pub dry_run: bool,
    /// Message files younger than this many seconds are left alone (a
    /// live server may be delivering them); 0 when no server runs.
    pub grace_seconds: i64,
}

impl Default for ReconstructOptions {
    fn default() -> Self {
        ReconstructOptions {
            dry_run: false,
            grace_seconds: super::REPAIR_GRACE_SECONDS,
        }
    }
}

/// What reconstruct did to one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountReport {
    /// The account.
    pub account: String,
    /// Why it was not reconstructed (a popstore account), if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// `path: what changed` (with a dry run: what would change).
    pub changes: Vec<String>,
    /// `path: why`: what reconstruct left for a person or for
    /// `verify --repair`.
    pub kept: Vec<String>,
    /// Selectable folders after.
    pub folders: usize,
    /// Messages in them after.
    pub messages: usize,
    /// Messages given back to INBOX (lost references).
    pub restored: usize,
}

/// What reconstruct did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconstructReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// One report per account, in the order given.
    pub accounts: Vec<AccountReport>,
}

impl ReconstructReport {
    /// Number of changes made (or, with a dry run, that would be made).
    pub fn changes(&self) -> usize {
        self.accounts.iter().map(|a| a.changes.len()).sum()
    }
}

impl Store {
    /// Reconstructs the MessageStore accounts `names` (module
    /// documentation); `progress(done, total, account)` is called before
    /// each account. Popstore accounts are reported as skipped.
    pub fn reconstruct(
        &self,
        names: &[AccountName],
        opts: &ReconstructOptions,
        progress: &dyn Fn(usize, usize, &str),
    ) -> Result<ReconstructReport> {
        let mut census = self.census(now() - opts.grace_seconds.max(0))?;
        let mut report = ReconstructReport {
            dry_run: opts.dry_run,
            accounts: Vec::with_capacity(names.len()),
        };
        for (i, name) in names.iter().enumerate() {
            progress(i, names.len(), name.as_str());
            report
                .accounts
                .push(self.reconstruct_account(name, &mut census, opts)?);
        }
        progress(names.len(), names.len(), "");
        Ok(report)
    }

    /// Every MessageStore account of the store (for `reconstruct --all`),
    /// by name.
    pub fn message_store_accounts(&self) -> Result<Vec<AccountName>> {
        let mut out = Vec::new();
        for p in self.profiles() {
            let p = p?;
            if p.store_type == super::StoreType::Imap {
                out.push(AccountName::from_stored(&p.name));
            }
        }
        out.sort();
        Ok(out)
    }
}
