//! The message-list journal of a popstore user (`MESSAGES.PMJ`, SPEC.md
//! 7.1), as verify sees it: its entries are references like the list's
//! (so the message files of fresh deliveries are not orphans), and what
//! a crash or damage left is reported.
//!
//! - a torn tail (an append a crash cut short, never acknowledged): a note,
//!   not a problem; the next delivery, or `verify --repair`, folds it;
//! - a stale journal (base below the list's next UIDL: a fold interrupted
//!   after the list was replaced): a leftover, `--repair` removes it;
//! - a journal ahead of its list (base above the list's next UIDL): a
//!   problem; `--repair` keeps the entries the list lacks;
//! - a corrupt journal: a problem; the entries still whole count as
//!   references, and `--repair` rebuilds the journal from them.

use std::collections::HashSet;

use popstore_formats::StoreFile;
use popstore_formats::journal::{MessageJournal, salvage};
use popstore_formats::msglist::{Entry, MessageList};
use popstore_formats::path::StorePath;

use super::{Problem, Walk};

/// What the account's list is, as far as its journal is concerned.
pub(super) enum ListState<'a> {
    /// No list file (a new account: next UIDL 1).
    Absent,
    /// The list file, read.
    Read(&'a MessageList),
    /// A list file that does not read (already reported).
    Unreadable,
}

/// Entries and bytes a journal adds to an account's holdings.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Held {
    pub entries: u64,
    pub bytes: u64,
}

impl Walk<'_> {
    pub(super) fn note(&mut self, path: String, reason: String) {
        self.report.notes.push(Problem { path, reason });
    }

    /// Checks one journal; `account` names it for `--repair`. Returns what
    /// it adds to the account's usage.
    pub(super) fn journal(
        &mut self,
        path: &StorePath,
        feature: bool,
        list: ListState<'_>,
        account: Option<&str>,
    ) -> Held {
        let from = self.store.spell(path);
        if !feature {
            self.problem(
                from,
                "message-list journal in a store without the list-journal feature \
                 (readers ignore it)",
            );
            return Held::default();
        }
        let Some(bytes) = self.read(path) else {
            return Held::default();
        };
        let in_list: HashSet<&str> = match &list {
            ListState::Read(l) => l.entries.iter().map(|e| e.uidl.as_str()).collect(),
            _ => HashSet::new(),
        };
        let mut reconcile = false;
        let held = match MessageJournal::decode(&bytes) {
            Err(e) => {
                let (base, mut entries) = salvage(&bytes);
                if let (Some(b), ListState::Read(l)) = (base, &list)
                    && b < l.next_uidl
                {
                    entries.clear(); // stale: its entries are in the list
                }
                self.problem(
                    from.clone(),
                    format!(
                        "corrupt message-list journal: {e}; {} whole entr{} still readable \
                         (verify --repair rebuilds the journal from them)",
                        entries.len(),
                        if entries.len() == 1 { "y" } else { "ies" }
                    ),
                );
                let lacking = entries
                    .iter()
                    .filter(|e| !in_list.contains(e.uidl.as_str()));
                self.journal_references(&from, lacking, " (salvageable)");
                reconcile = true;
                Held::default()
            }
            Ok(j) => {
                if j.torn_tail > 0 {
                    self.note(
                        from.clone(),
                        format!(
                            "torn tail of {} bytes after the last whole record: an append a \
                             crash cut short, never acknowledged (the next delivery or \
                             verify --repair folds the journal)",
                            j.torn_tail
                        ),
                    );
                }
                let next = match &list {
                    ListState::Absent => Some(1),
                    ListState::Read(l) => Some(l.next_uidl),
                    ListState::Unreadable => None,
                };
                match next {
                    // The list can't be compared: keep the files anyway.
                    None => {
                        self.journal_references(&from, j.entries.iter(), "");
                        Held::default()
                    }
                    Some(next) if j.base < next => {
                        self.problem(
                            from.clone(),
                            format!(
                                "stale journal (base {} below the list's next UIDL {next}): \
                                 left by an interrupted fold, its entries are in the list; \
                                 verify --repair removes it",
                                j.base
                            ),
                        );
                        Held::default()
                    }
                    Some(next) => {
                        if j.base > next {
                            self.problem(
                                from.clone(),
                                format!(
                                    "journal base {} is ahead of the list's next UIDL {next} \
                                     (a list older than its journal, e.g. restored from a \
                                     backup); verify --repair keeps the entries the list lacks",
                                    j.base
                                ),
                            );
                            reconcile = true;
                        }
                        let (both, lacking): (Vec<&Entry>, Vec<&Entry>) = j
                            .entries
                            .iter()
                            .partition(|e| in_list.contains(e.uidl.as_str()));
                        for e in &both {
                            self.problem(
                                from.clone(),
                                format!(
                                    "UIDL {} is both in the message list and in the journal \
                                     (verify --repair drops the journal's)",
                                    e.uidl
                                ),
                            );
                            reconcile = true;
                        }
                        self.journal_references(&from, lacking.iter().copied(), "");
                        Held {
                            entries: lacking.len() as u64,
                            bytes: lacking.iter().map(|e| e.size).sum(),
                        }
                    }
                }
            }
        };
        if reconcile && let Some(a) = account {
            self.report.journals_to_reconcile.push(a.to_owned());
        }
        held
    }

    fn journal_references<'e>(
        &mut self,
        from: &str,
        entries: impl Iterator<Item = &'e Entry>,
        tag: &str,
    ) {
        for e in entries {
            self.reference(
                e.message,
                from,
                e.size,
                format!("UIDL {} in the journal{tag}", e.uidl),
            );
        }
    }
}
