//! SEARCH, SORT and THREAD in the selected state (RFC 9051 6.4.4, RFC
//! 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 5256, RFC 7162 MODSEQ): the
//! evaluation is [`crate::imap::search`]'s, over the folder as the store
//! has it; this file turns the session's message numbers into UIDs before
//! and back after, so that messages expunged elsewhere and not yet told
//! (RFC 9051 7.5.1: no EXPUNGE during SEARCH) keep their numbers.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use super::{Response, Session};
use crate::imap::parse::{SearchKey, SearchReturn, SortCriterion};
use crate::imap::search::{self, SearchContext, SearchError, ThreadAlgorithm};
use crate::imap::types::{SeqNum, SeqRange, SeqSet};
use crate::imap::write::data::{Esearch, ThreadNode};
use crate::imap::write::{self, Code, Status};

/// What the client asked for.
pub(super) enum Program {
    Search {
        charset: Option<String>,
        returns: Option<Vec<SearchReturn>>,
    },
    Sort {
        criteria: Vec<SortCriterion>,
        charset: String,
    },
    Thread {
        algorithm: String,
        charset: String,
    },
}

/// The capabilities this file answers for.
pub(super) const CAPABILITIES: [&str; 6] = [
    "ESEARCH",
    "SEARCHRES",
    "SORT",
    "SORT=DISPLAY",
    "THREAD=ORDEREDSUBJECT",
    "THREAD=REFERENCES",
];

impl Session {
    pub(super) fn search_command(
        &mut self,
        tag: &str,
        uid: bool,
        program: Program,
        key: SearchKey,
    ) -> Response {
        let budget = Duration::from_millis(self.settings.search_budget_ms);
        let condstore = search::uses_modseq(&key);
        if condstore {
            self.enabled.condstore = true;
        }
        let mut r = Response::new();
        // New messages may be told (EXISTS), expunges not.
        self.sync(&mut r, false);
        let Some(sel) = self.selected.as_mut() else {
            return self.bad(tag, "no mailbox selected");
        };
        let key = sel.numbers_to_uids(key);
        let saved = sel.saved.clone();
        let charset = match &program {
            Program::Search { charset, .. } => charset.clone(),
            Program::Sort { charset, .. } | Program::Thread { charset, .. } => {
                Some(charset.clone())
            }
        };
        let ctx = SearchContext {
            store: &self.store,
            folder: &sel.folder,
            saved: Some(&saved),
            charset: charset.as_deref(),
            deadline: Instant::now() + budget,
        };
        let save = matches!(&program, Program::Search { returns: Some(rs), .. }
            if rs.contains(&SearchReturn::Save));
        let found = match &program {
            Program::Search { .. } => search::search(&ctx, &key).map(Found::Seqs),
            Program::Sort { criteria, .. } => search::sort(&ctx, criteria, &key).map(Found::Seqs),
            Program::Thread { algorithm, .. } => match ThreadAlgorithm::from_name(algorithm) {
                None => return self.bad(tag, "unknown THREAD algorithm"),
                Some(a) => search::thread(&ctx, a, &key).map(Found::Threads),
            },
        };
        let done = found.map(|found| match (found, &program) {
            (Found::Seqs(seqs), Program::Search { returns, .. }) => match returns {
                None => {
                    let m = if condstore {
                        search::highest_modseq(&sel.folder, &seqs)
                    } else {
                        None
                    };
                    write::data::search(&mut r.text, &sel.numbers(&seqs, uid), m);
                }
                Some(rs) => {
                    if save {
                        sel.saved = search::saved_result(&sel.folder, &seqs, rs);
                    }
                    if search::esearch_wanted(rs) {
                        let e = esearch(sel, &seqs, rs, condstore, uid);
                        write::data::esearch(&mut r.text, tag, uid, &e);
                    }
                }
            },
            (Found::Seqs(seqs), _) => write::data::sort(&mut r.text, &sel.numbers(&seqs, uid)),
            (Found::Threads(mut roots), _) => {
                sel.renumber_threads(&mut roots, uid);
                write::data::thread(&mut r.text, &roots);
            }
        });
        match done {
            Ok(()) => {
                r.tagged(tag, Status::Ok, None, "SEARCH completed");
                r
            }
            Err(e) => {
                // RFC 5182 2.1: a SEARCH that fails leaves `$` empty.
                if save && let Some(sel) = self.selected.as_mut() {
                    sel.saved.clear();
                }
                match e {
                    SearchError::BudgetExceeded => {
                        Self::no(tag, Some(Code::Limit), "search took too long")
                    }
                    SearchError::BadCharset(_) => Self::no(
                        tag,
                        Some(Code::BadCharset(
                            search::CHARSETS.iter().map(|c| c.to_string()).collect(),
                        )),
                        "unsupported charset",
                    ),
                    SearchError::Store(e) => self.store_error(tag, &e),
                }
            }
        }
    }
}

/// What an evaluation found.
enum Found {
    /// The folder's message numbers (SEARCH ascending, SORT in order).
    Seqs(Vec<u32>),
    /// THREAD's trees, in the folder's message numbers.
    Threads(Vec<ThreadNode>),
}

/// ESEARCH data (RFC 4731) over `seqs` (the folder's numbers), written in
/// the session's message numbers (or UIDs with `uid`).
fn esearch(
    sel: &super::Selected,
    seqs: &[u32],
    returns: &[SearchReturn],
    modseq: bool,
    uid: bool,
) -> Esearch {
    let folder = &sel.folder;
    let n = sel.numbers(seqs, uid);
    let want = |r| returns.contains(&r);
    let all = returns.is_empty() || want(SearchReturn::All);
    let mut e = search::esearch_data(folder, seqs, returns, false, modseq);
    e.min = want(SearchReturn::Min)
        .then(|| n.first().copied())
        .flatten();
    e.max = want(SearchReturn::Max).then(|| n.last().copied()).flatten();
    e.all = (all && !n.is_empty()).then(|| n.clone());
    e.count = want(SearchReturn::Count).then_some(n.len() as u32);
    e
}

impl super::Selected {
    /// The program with every message-number set (and `$`, which the
    /// evaluation takes from the context) as UID ranges of this session's
    /// view: a number names the message the client knows by it, even when
    /// messages before it were expunged elsewhere and not yet told.
    fn numbers_to_uids(&self, key: SearchKey) -> SearchKey {
        let mut key = key;
        let mut stack = vec![&mut key];
        while let Some(k) = stack.pop() {
            match k {
                SearchKey::Seq(SeqSet::Ranges(ranges)) => {
                    *k = match self.uid_ranges(ranges) {
                        Some(uids) => SearchKey::Uid(uids),
                        // No message: matches nothing.
                        None => SearchKey::Not(Box::new(SearchKey::All)),
                    };
                }
                SearchKey::And(v) => stack.extend(v.iter_mut()),
                SearchKey::Or(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                SearchKey::Not(a) => stack.push(a),
                _ => {}
            }
        }
        key
    }

    /// Message-number ranges as the UID ranges they cover in the view
    /// (`None` when they cover no message).
    fn uid_ranges(&self, ranges: &[SeqRange]) -> Option<SeqSet> {
        let n = u32::try_from(self.view.len()).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        for r in ranges {
            let Some((lo, hi)) = r.bounds(n) else {
                continue;
            };
            let (lo, hi) = (lo.max(1), hi.min(n));
            if lo > hi {
                continue;
            }
            let uid = |i: u32| NonZeroU32::new(self.view[i as usize - 1].uid).map(SeqNum::Value);
            if let (Some(from), Some(to)) = (uid(lo), uid(hi)) {
                out.push(SeqRange { from, to });
            }
        }
        (!out.is_empty()).then_some(SeqSet::Ranges(out))
    }

    /// The folder's numbers `seqs` as this session's message numbers (or
    /// UIDs with `uid`), in the order given; a message the view does not
    /// know yet is left out.
    fn numbers(&self, seqs: &[u32], uid: bool) -> Vec<u32> {
        let uids = search::to_uids(&self.folder, seqs);
        if uid {
            return uids;
        }
        uids.iter()
            .filter_map(|u| self.view.binary_search_by_key(u, |k| k.uid).ok())
            .map(|i| i as u32 + 1)
            .collect()
    }

    /// THREAD's tree in this session's numbers (or UIDs).
    fn renumber_threads(&self, roots: &mut [ThreadNode], uid: bool) {
        let mut stack: Vec<&mut ThreadNode> = roots.iter_mut().collect();
        while let Some(node) = stack.pop() {
            if let Some(id) = node.id {
                node.id = self.numbers(&[id], uid).first().copied();
            }
            stack.extend(node.children.iter_mut());
        }
    }
}
