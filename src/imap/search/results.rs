//! Turning results into replies: UIDs, ESEARCH data (RFC 4731, with
//! RFC 7162's MODSEQ), the SEARCHRES saved result (RFC 5182).

use crate::imap::parse::{SearchKey, SearchReturn};
use crate::imap::write::data::{Esearch, ThreadNode};
use crate::store::Folder;

/// The UIDs of sequence numbers (numbers outside the view are dropped).
pub fn to_uids(folder: &Folder, seqs: &[u32]) -> Vec<u32> {
    seqs.iter()
        .filter_map(|&s| folder.entries().get((s as usize).checked_sub(1)?))
        .map(|e| e.uid)
        .collect()
}

/// Renumbers THREAD results from sequence numbers to UIDs (UID THREAD).
pub fn thread_to_uids(folder: &Folder, roots: &mut [ThreadNode]) {
    let mut stack: Vec<&mut ThreadNode> = roots.iter_mut().collect();
    while let Some(n) = stack.pop() {
        if let Some(id) = n.id {
            n.id = to_uids(folder, &[id]).first().copied();
        }
        stack.extend(n.children.iter_mut());
    }
}

/// Whether the program has a MODSEQ key: the reply then carries the
/// highest MODSEQ of what it returns (RFC 7162 3.1.5).
pub fn uses_modseq(key: &SearchKey) -> bool {
    let mut stack = vec![key];
    while let Some(k) = stack.pop() {
        match k {
            SearchKey::ModSeq { .. } => return true,
            SearchKey::Not(k) => stack.push(k),
            SearchKey::Or(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            SearchKey::And(v) => stack.extend(v.iter()),
            _ => {}
        }
    }
    false
}

/// The highest MODSEQ among these sequence numbers (`None` when empty).
pub fn highest_modseq(folder: &Folder, seqs: &[u32]) -> Option<u64> {
    seqs.iter()
        .filter_map(|&s| folder.entries().get((s as usize).checked_sub(1)?))
        .map(|e| e.modseq)
        .max()
}

/// Whether a `SEARCH RETURN (...)` gets an ESEARCH response: not when
/// SAVE is the only option (RFC 5182 section 2.1).
pub fn esearch_wanted(returns: &[SearchReturn]) -> bool {
    returns.is_empty() || returns.iter().any(|r| *r != SearchReturn::Save)
}

/// The messages the options return: all of them for ALL or COUNT (or
/// `RETURN ()`, or SAVE alone), else only the lowest and highest.
fn returned(seqs: &[u32], returns: &[SearchReturn]) -> Vec<u32> {
    let all = returns.is_empty()
        || returns
            .iter()
            .any(|r| matches!(r, SearchReturn::All | SearchReturn::Count))
        || returns.iter().all(|r| *r == SearchReturn::Save);
    if all {
        return seqs.to_vec();
    }
    let mut v = Vec::new();
    if returns.contains(&SearchReturn::Min) {
        v.extend(seqs.first());
    }
    if returns.contains(&SearchReturn::Max) {
        v.extend(seqs.last());
    }
    v.dedup();
    v
}

/// ESEARCH data for `seqs` (ascending sequence numbers): MIN, MAX, ALL
/// and COUNT as asked (`RETURN ()` is ALL), as UIDs when `uid`; with
/// `modseq` (the program used MODSEQ) the highest MODSEQ of what is
/// returned. Nothing matching gives only `COUNT 0` when asked (RFC 4731).
pub fn esearch_data(
    folder: &Folder,
    seqs: &[u32],
    returns: &[SearchReturn],
    uid: bool,
    modseq: bool,
) -> Esearch {
    let nums = if uid {
        to_uids(folder, seqs)
    } else {
        seqs.to_vec()
    };
    let want = |r| returns.contains(&r);
    let all = returns.is_empty() || want(SearchReturn::All);
    Esearch {
        min: if want(SearchReturn::Min) {
            nums.first().copied()
        } else {
            None
        },
        max: if want(SearchReturn::Max) {
            nums.last().copied()
        } else {
            None
        },
        all: (all && !nums.is_empty()).then(|| nums.clone()),
        count: want(SearchReturn::Count).then_some(nums.len() as u32),
        modseq: if modseq {
            highest_modseq(folder, &returned(seqs, returns))
        } else {
            None
        },
    }
}

/// The UIDs SAVE keeps as `$` (RFC 5182 2.4): only the MIN and/or MAX
/// message when those are asked without ALL or COUNT, else every match.
pub fn saved_result(folder: &Folder, seqs: &[u32], returns: &[SearchReturn]) -> Vec<u32> {
    to_uids(folder, &returned(seqs, returns))
}
