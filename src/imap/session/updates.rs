//! The selected folder as this session's client knows it, and the untagged
//! responses that bring the client up to date with what every session
//! changed (RFC 9051 section 7.5.1): EXISTS, EXPUNGE (or VANISHED under
//! QRESYNC) and FETCH FLAGS. Messages expunged elsewhere keep their
//! sequence numbers until an EXPUNGE may be sent (never during FETCH,
//! STORE or SEARCH); the session's numbers never change behind its back.

use popstore_formats::folder::SystemFlags;

use super::{Response, Session};
use crate::imap::types::{Flag, SeqSet};
use crate::imap::write::{self, fetch::Fetch};
use crate::store::acl::Rights;
use crate::store::{Folder, FolderMessage};

/// A message as the client knows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Known {
    pub uid: u32,
    /// The MODSEQ of the flags the client was last told.
    pub modseq: u64,
    /// Expunged, not yet told.
    pub gone: bool,
}

/// The selected folder.
#[derive(Debug)]
pub struct Selected {
    pub(super) folder: Folder,
    pub(super) read_only: bool,
    /// What the user's rights let them change (RFC 4314).
    pub(super) may: super::rights::Changeable,
    /// The user may expunge (`e`).
    pub(super) may_expunge: bool,
    pub(super) view: Vec<Known>,
    /// UIDNEXT and HIGHESTMODSEQ of the last look.
    last: (u32, u64),
    /// Some expunges are known but not told.
    pending: bool,
    /// The SEARCHRES result `$` (RFC 5182), as UIDs; empty after SELECT.
    pub(super) saved: Vec<u32>,
}

/// The flags of a message as FETCH writes them.
pub(super) fn flags_of(m: &FolderMessage) -> Vec<Flag> {
    let mut v = Vec::with_capacity(5 + m.keywords.len());
    for (bit, f) in [
        (SystemFlags::SEEN, Flag::Seen),
        (SystemFlags::ANSWERED, Flag::Answered),
        (SystemFlags::FLAGGED, Flag::Flagged),
        (SystemFlags::DELETED, Flag::Deleted),
        (SystemFlags::DRAFT, Flag::Draft),
    ] {
        if m.flags.contains(bit) {
            v.push(f);
        }
    }
    v.extend(m.keywords.iter().map(|k| Flag::Keyword(k.clone())));
    v
}

/// Merges sorted, possibly overlapping index ranges `[lo, hi)`.
fn merged(mut r: Vec<(usize, usize)>) -> Vec<usize> {
    r.sort_unstable();
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    for (lo, hi) in r {
        match &mut cur {
            Some((_, h)) if lo <= *h => *h = (*h).max(hi),
            _ => {
                if let Some((a, b)) = cur {
                    out.extend(a..b);
                }
                cur = Some((lo, hi));
            }
        }
    }
    if let Some((a, b)) = cur {
        out.extend(a..b);
    }
    out
}

impl Selected {
    /// The client's view of a folder just opened.
    pub(super) fn new(folder: Folder, read_only: bool, rights: Rights) -> Selected {
        let view = folder
            .entries()
            .iter()
            .map(|e| Known {
                uid: e.uid,
                modseq: e.modseq,
                gone: false,
            })
            .collect();
        let last = (folder.uidnext(), folder.highestmodseq());
        Selected {
            folder,
            read_only,
            may: super::rights::Changeable::of(rights),
            may_expunge: rights.contains(Rights::EXPUNGE),
            view,
            last,
            pending: false,
            saved: Vec::new(),
        }
    }

    /// The view's indexes named by a sequence set (message numbers, or
    /// UIDs with `uid`), ascending. A message number beyond the view is an
    /// error (RFC 9051 BAD); UIDs that do not exist are ignored.
    pub(super) fn indexes(&self, set: &SeqSet, uid: bool) -> Result<Vec<usize>, &'static str> {
        let SeqSet::Ranges(ranges) = set else {
            // `$`: the saved UIDs the view still has (RFC 5182 2.1).
            return Ok(self
                .saved
                .iter()
                .filter_map(|u| self.view.binary_search_by_key(u, |k| k.uid).ok())
                .collect());
        };
        let n = self.view.len();
        let mut spans = Vec::with_capacity(ranges.len());
        if uid {
            let largest = self.view.last().map_or(0, |k| k.uid);
            for r in ranges {
                let Some((lo, hi)) = r.bounds(largest) else {
                    continue;
                };
                let a = self.view.partition_point(|k| k.uid < lo);
                let b = self.view.partition_point(|k| k.uid <= hi);
                if a < b {
                    spans.push((a, b));
                }
            }
        } else {
            let largest = u32::try_from(n).unwrap_or(u32::MAX);
            for r in ranges {
                let Some((lo, hi)) = r.bounds(largest) else {
                    continue;
                };
                if hi > largest {
                    return Err("no such message (sequence number too large)");
                }
                spans.push((lo as usize - 1, hi as usize));
            }
        }
        Ok(merged(spans))
    }

    /// Whether `set` names at most `max` messages of the view (counted
    /// without building the list; overlapping ranges count twice).
    pub(super) fn count_at_most(&self, set: &SeqSet, uid: bool, max: u64) -> bool {
        let SeqSet::Ranges(ranges) = set else {
            return self.saved.len() as u64 <= max;
        };
        let n = self.view.len();
        let largest = if uid {
            self.view.last().map_or(0, |k| k.uid)
        } else {
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        let mut count = 0u64;
        for r in ranges {
            let Some((lo, hi)) = r.bounds(largest) else {
                continue;
            };
            count += if uid {
                let a = self.view.partition_point(|k| k.uid < lo);
                let b = self.view.partition_point(|k| k.uid <= hi);
                b.saturating_sub(a) as u64
            } else {
                u64::from(hi - lo) + 1
            };
            if count > max {
                return false;
            }
        }
        true
    }

    /// The message at view index `i`, unless it was expunged.
    pub(super) fn message(&self, i: usize) -> Option<FolderMessage> {
        let k = self.view.get(i)?;
        if k.gone {
            return None;
        }
        self.folder.by_uid(k.uid).map(|(_, m)| m)
    }

    /// Tells the client what changed since the last look (the folder is
    /// already refreshed): EXPUNGE/VANISHED when `expunge_ok`, EXISTS,
    /// FETCH FLAGS (with UID, and MODSEQ under CONDSTORE).
    pub(super) fn tell(
        &mut self,
        out: &mut Vec<u8>,
        expunge_ok: bool,
        qresync: bool,
        modseq: bool,
    ) {
        let f = &self.folder;
        let now = (f.uidnext(), f.highestmodseq());
        if now == self.last && !(self.pending && expunge_ok) {
            return;
        }
        self.last = now;
        let entries = f.entries();
        // Which known messages are gone.
        let mut j = 0;
        for k in self.view.iter_mut().filter(|k| !k.gone) {
            while j < entries.len() && entries[j].uid < k.uid {
                j += 1;
            }
            if j >= entries.len() || entries[j].uid != k.uid {
                k.gone = true;
                self.pending = true;
            }
        }
        if self.pending && expunge_ok {
            if qresync {
                let uids: Vec<u32> = self.view.iter().filter(|k| k.gone).map(|k| k.uid).collect();
                write::data::vanished(out, false, &uids);
            } else {
                for (i, k) in self.view.iter().enumerate().rev() {
                    if k.gone {
                        write::data::expunge(out, i as u32 + 1);
                    }
                }
            }
            self.view.retain(|k| !k.gone);
            self.pending = false;
        }
        // New messages.
        let max = self.view.last().map_or(0, |k| k.uid);
        let start = entries.partition_point(|e| e.uid <= max);
        if start < entries.len() {
            self.view.extend(entries[start..].iter().map(|e| Known {
                uid: e.uid,
                modseq: e.modseq,
                gone: false,
            }));
            write::data::exists(out, self.view.len() as u32);
        }
        // Flag changes.
        let mut j = 0;
        for (i, k) in self.view.iter_mut().enumerate() {
            while j < entries.len() && entries[j].uid < k.uid {
                j += 1;
            }
            if k.gone || j >= entries.len() || entries[j].uid != k.uid {
                continue;
            }
            if entries[j].modseq > k.modseq {
                k.modseq = entries[j].modseq;
                if let Some((_, m)) = self.folder.by_uid(k.uid) {
                    let mut w = Fetch::begin(out, i as u32 + 1);
                    w.uid(m.uid).flags(&flags_of(&m));
                    if modseq {
                        w.modseq(m.modseq);
                    }
                    w.end();
                }
            }
        }
    }

    /// Records that the client was told the flags of `uid` as of `modseq`.
    pub(super) fn told(&mut self, i: usize, modseq: u64) {
        if let Some(k) = self.view.get_mut(i) {
            k.modseq = k.modseq.max(modseq);
        }
    }
}

impl Session {
    /// Refreshes the selected folder and writes the untagged updates.
    pub(super) fn sync(&mut self, r: &mut Response, expunge_ok: bool) {
        let (qresync, modseq) = (self.enabled.qresync, self.enabled.condstore);
        let Some(sel) = self.selected.as_mut() else {
            return;
        };
        // A mail spool's INBOX: first what its MTA appended meanwhile.
        if let Some(spool) = self.spool.as_mut() {
            spool.refresh();
        }
        if let Err(e) = self.store.refresh_folder(&mut sel.folder) {
            tracing::warn!("imap: cannot refresh the selected folder: {e}");
            return;
        }
        sel.tell(&mut r.text, expunge_ok, qresync, modseq);
    }
}
