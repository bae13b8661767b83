//! Search keys compiled against one folder view ([`Node`]) and
//! evaluated message by message.
//!
//! Compiling resolves what does not depend on the message once: `*` and
//! `$` in sets (merged into sorted ranges, binary-searched), keyword names
//! to the folder's keyword table, dates to day numbers, and the string
//! keys' needles (decoded from the command's charset and folded). `OR`
//! chains and nested `AND` lists are flattened, and each list is ordered
//! cheapest first: keys answered from the folder view (flags, dates,
//! sizes, sets) before keys that read the message header, before keys
//! that read its body. A message file is only opened when a key that
//! needs it is reached.

use std::cell::OnceCell;

use encoding_rs::Encoding;
use popstore_formats::folder::{FolderEntry, SystemFlags};

use crate::imap::parse::SearchKey;
use crate::imap::types::{Date, SeqSet};
use crate::store::{Folder, Store};

use super::SearchError;
use super::budget::Budget;
use super::date::{parse_date, search_day, unix_day};
use super::message::Loaded;
use super::text::{contains, fold};

/// How a date key compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `BEFORE`: strictly earlier day.
    Before,
    /// `ON`: the same day.
    On,
    /// `SINCE`: that day or later.
    Since,
}

impl Cmp {
    fn test(self, day: i64, key: i64) -> bool {
        match self {
            Cmp::Before => day < key,
            Cmp::On => day == key,
            Cmp::Since => day >= key,
        }
    }
}

/// Inclusive ranges, sorted and merged.
#[derive(Debug, Clone, Default)]
pub struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    fn from_pairs(mut v: Vec<(u32, u32)>) -> Ranges {
        v.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        Ranges(out)
    }

    fn of_set(set: &SeqSet, largest: u32) -> Ranges {
        match set {
            SeqSet::Saved => Ranges::default(),
            SeqSet::Ranges(r) => {
                Ranges::from_pairs(r.iter().filter_map(|r| r.bounds(largest)).collect())
            }
        }
    }

    fn contains(&self, n: u32) -> bool {
        let i = self.0.partition_point(|&(_, hi)| hi < n);
        self.0.get(i).is_some_and(|&(lo, _)| lo <= n)
    }
}

/// A compiled search key.
#[derive(Debug, Clone)]
pub enum Node {
    /// Always true.
    True,
    /// Always false.
    False,
    /// A system flag set (`true`) or unset.
    Flag(SystemFlags, bool),
    /// One of these keyword table indexes set (or none of them).
    Keyword(Vec<u16>, bool),
    /// Sequence numbers.
    Seq(Ranges),
    /// UIDs.
    Uid(Ranges),
    /// INTERNALDATE's (UTC) day against a day.
    Internal(Cmp, i64),
    /// The Date header's day as written against a day.
    Sent(Cmp, i64),
    /// RFC822.SIZE above.
    Larger(u64),
    /// RFC822.SIZE below.
    Smaller(u64),
    /// MODSEQ at least.
    ModSeq(u64),
    /// INTERNALDATE at or before this instant (OLDER).
    OlderThan(i64),
    /// INTERNALDATE after this instant (YOUNGER).
    YoungerThan(i64),
    /// A header field (lower-cased name) containing a folded needle (an
    /// empty needle: the field is present).
    Header(Vec<u8>, String),
    /// An address field (From, To, Cc, Bcc; lower-cased name) as parsed
    /// and written back containing a folded needle.
    Address(Vec<u8>, String),
    /// The body text contains it.
    Body(String),
    /// The header or body contains it.
    Text(String),
    /// Negation.
    Not(Box<Node>),
    /// Every one.
    And(Vec<Node>),
    /// Any one.
    Or(Vec<Node>),
}

impl Node {
    /// 0: answered from the view; 1: reads the header; 2: reads the body.
    fn cost(&self) -> u8 {
        match self {
            Node::Sent(..) | Node::Header(..) | Node::Address(..) => 1,
            Node::Body(_) | Node::Text(_) => 2,
            Node::Not(n) => n.cost(),
            Node::And(v) | Node::Or(v) => v.iter().map(Node::cost).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether the key uses MODSEQ (the SEARCH response then carries the
    /// highest MODSEQ of the matches, RFC 7162 3.1.5).
    pub fn uses_modseq(&self) -> bool {
        match self {
            Node::ModSeq(_) => true,
            Node::Not(n) => n.uses_modseq(),
            Node::And(v) | Node::Or(v) => v.iter().any(Node::uses_modseq),
            _ => false,
        }
    }
}

/// What compiling needs besides the key.
#[derive(Debug)]
pub struct Compiler<'a> {
    /// The folder view.
    pub folder: &'a Folder,
    /// The SEARCHRES result (UIDs).
    pub saved: Option<&'a [u32]>,
    /// The charset of the key's strings.
    pub charset: &'static Encoding,
    /// Now, seconds since the epoch (OLDER/YOUNGER).
    pub now: i64,
}

impl Compiler<'_> {
    fn needle(&self, s: &[u8]) -> String {
        let (t, _) = self.charset.decode_without_bom_handling(s);
        fold(&t)
    }

    fn saved(&self) -> Ranges {
        Ranges::from_pairs(self.saved.unwrap_or(&[]).iter().map(|&u| (u, u)).collect())
    }

    fn header(&self, name: &str, s: &[u8]) -> Node {
        Node::Header(name.as_bytes().to_ascii_lowercase(), self.needle(s))
    }

    fn keyword(&self, k: &str, set: bool) -> Node {
        let idx = self
            .folder
            .keywords()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.eq_ignore_ascii_case(k))
            .filter_map(|(i, _)| u16::try_from(i).ok())
            .collect();
        Node::Keyword(idx, set)
    }

    fn date(d: &Date) -> i64 {
        search_day(*d)
    }

    /// Compiles `key`. Chains of `OR` and nested `AND` lists are walked
    /// without recursion; what recursion remains (`NOT`, an `OR` inside
    /// an `AND` inside an `OR`...) is bounded by the parser's nesting limit.
    pub fn compile(&self, key: &SearchKey) -> Node {
        use SearchKey as K;
        let flag = |f, set| Node::Flag(f, set);
        let largest_uid = self.folder.entries().last().map_or(0, |e| e.uid);
        let len = u32::try_from(self.folder.len()).unwrap_or(u32::MAX);
        match key {
            K::All | K::Old => Node::True,
            K::New | K::Recent => Node::False,
            K::Answered => flag(SystemFlags::ANSWERED, true),
            K::Deleted => flag(SystemFlags::DELETED, true),
            K::Draft => flag(SystemFlags::DRAFT, true),
            K::Flagged => flag(SystemFlags::FLAGGED, true),
            K::Seen => flag(SystemFlags::SEEN, true),
            K::Unanswered => flag(SystemFlags::ANSWERED, false),
            K::Undeleted => flag(SystemFlags::DELETED, false),
            K::Undraft => flag(SystemFlags::DRAFT, false),
            K::Unflagged => flag(SystemFlags::FLAGGED, false),
            K::Unseen => flag(SystemFlags::SEEN, false),
            K::Keyword(k) => self.keyword(k, true),
            K::Unkeyword(k) => self.keyword(k, false),
            K::Bcc(s) => Node::Address(b"bcc".to_vec(), self.needle(s)),
            K::Cc(s) => Node::Address(b"cc".to_vec(), self.needle(s)),
            K::From(s) => Node::Address(b"from".to_vec(), self.needle(s)),
            K::To(s) => Node::Address(b"to".to_vec(), self.needle(s)),
            K::Subject(s) => self.header("subject", s),
            K::Header(name, s) => self.header(name, s),
            K::Body(s) => Node::Body(self.needle(s)),
            K::Text(s) => Node::Text(self.needle(s)),
            K::Before(d) => Node::Internal(Cmp::Before, Self::date(d)),
            K::On(d) => Node::Internal(Cmp::On, Self::date(d)),
            K::Since(d) => Node::Internal(Cmp::Since, Self::date(d)),
            K::SentBefore(d) => Node::Sent(Cmp::Before, Self::date(d)),
            K::SentOn(d) => Node::Sent(Cmp::On, Self::date(d)),
            K::SentSince(d) => Node::Sent(Cmp::Since, Self::date(d)),
            K::Larger(n) => Node::Larger(*n),
            K::Smaller(n) => Node::Smaller(*n),
            K::Older(n) => Node::OlderThan(self.now - i64::from(*n)),
            K::Younger(n) => Node::YoungerThan(self.now - i64::from(*n)),
            K::ModSeq { modseq, .. } => Node::ModSeq(*modseq),
            K::Uid(SeqSet::Saved) | K::Seq(SeqSet::Saved) => Node::Uid(self.saved()),
            K::Uid(set) => Node::Uid(Ranges::of_set(set, largest_uid)),
            K::Seq(set) => Node::Seq(Ranges::of_set(set, len)),
            K::Not(k) => match self.compile(k) {
                Node::Not(inner) => *inner,
                Node::True => Node::False,
                Node::False => Node::True,
                n => Node::Not(Box::new(n)),
            },
            K::Or(..) => {
                let mut v = Vec::new();
                for k in operands(key, |k| match k {
                    K::Or(a, b) => Some(vec![&**a, &**b]),
                    _ => None,
                }) {
                    match self.compile(k) {
                        Node::Or(inner) => v.extend(inner),
                        Node::False => {}
                        Node::True => return Node::True,
                        n => v.push(n),
                    }
                }
                v.sort_by_key(Node::cost);
                Node::Or(v)
            }
            K::And(_) => {
                let mut v = Vec::new();
                for k in operands(key, |k| match k {
                    K::And(keys) => Some(keys.iter().collect()),
                    _ => None,
                }) {
                    match self.compile(k) {
                        Node::And(inner) => v.extend(inner),
                        Node::True => {}
                        Node::False => return Node::False,
                        n => v.push(n),
                    }
                }
                v.sort_by_key(Node::cost);
                Node::And(v)
            }
        }
    }
}

/// The operands of a chain of one operator (`split` gives a key's
/// operands when it is that operator), in order, found without recursion:
/// a 10,000-term `OR a OR b ...` costs no stack depth.
fn operands<'k>(
    key: &'k SearchKey,
    split: impl Fn(&'k SearchKey) -> Option<Vec<&'k SearchKey>>,
) -> Vec<&'k SearchKey> {
    let mut out = Vec::new();
    let mut stack = vec![key];
    while let Some(k) = stack.pop() {
        match split(k) {
            Some(parts) => stack.extend(parts.into_iter().rev()),
            None => out.push(k),
        }
    }
    out
}

/// One message under evaluation: its entry and, once a key needed it,
/// its opened file.
#[derive(Debug)]
pub struct Msg<'a> {
    /// Sequence number.
    pub seq: u32,
    /// The folder entry.
    pub entry: &'a FolderEntry,
    loaded: OnceCell<Option<Loaded>>,
}

impl<'a> Msg<'a> {
    /// Message `seq` with entry `entry`.
    pub fn new(seq: u32, entry: &'a FolderEntry) -> Msg<'a> {
        Msg {
            seq,
            entry,
            loaded: OnceCell::new(),
        }
    }

    /// The message file, opened on first use (`None`: it is gone).
    pub fn loaded(&self, store: &Store) -> Result<Option<&Loaded>, SearchError> {
        if self.loaded.get().is_none() {
            let l = Loaded::open(store, self.entry.message).map_err(SearchError::Store)?;
            let _ = self.loaded.set(l);
        }
        Ok(self.loaded.get().and_then(Option::as_ref))
    }
}

/// Evaluates compiled keys.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// Where message files are read.
    pub store: &'a Store,
    /// The deadline.
    pub budget: &'a Budget,
}

impl Evaluator<'_> {
    /// Whether `m` matches `node`.
    pub fn matches(&self, node: &Node, m: &Msg<'_>) -> Result<bool, SearchError> {
        self.budget.tick()?;
        let e = m.entry;
        Ok(match node {
            Node::True => true,
            Node::False => false,
            Node::Flag(f, set) => e.flags.contains(*f) == *set,
            Node::Keyword(idx, set) => e.keywords.iter().any(|k| idx.contains(k)) == *set,
            Node::Seq(r) => r.contains(m.seq),
            Node::Uid(r) => r.contains(e.uid),
            Node::Internal(c, day) => c.test(unix_day(e.internal_date), *day),
            Node::Larger(n) => e.size > *n,
            Node::Smaller(n) => e.size < *n,
            Node::ModSeq(n) => e.modseq >= *n,
            Node::OlderThan(t) => e.internal_date <= *t,
            Node::YoungerThan(t) => e.internal_date > *t,
            Node::Sent(c, day) => match m.loaded(self.store)? {
                Some(l) => l
                    .first("Date")
                    .and_then(parse_date)
                    .is_some_and(|d| c.test(d.day, *day)),
                None => false,
            },
            Node::Header(name, needle) => match m.loaded(self.store)? {
                Some(l) => l
                    .folded_fields()
                    .iter()
                    .any(|(n, v)| n == name && contains(v, needle)),
                None => false,
            },
            Node::Address(name, needle) => match m.loaded(self.store)? {
                Some(l) => l
                    .folded_addresses()
                    .iter()
                    .any(|(n, v)| n == name && contains(v, needle)),
                None => false,
            },
            Node::Body(needle) => match m.loaded(self.store)? {
                Some(l) => contains(l.body_text(), needle),
                None => false,
            },
            Node::Text(needle) => match m.loaded(self.store)? {
                Some(l) => contains(l.header_text(), needle) || contains(l.body_text(), needle),
                None => false,
            },
            Node::Not(n) => !self.matches(n, m)?,
            Node::And(v) => {
                for n in v {
                    if !self.matches(n, m)? {
                        return Ok(false);
                    }
                }
                true
            }
            Node::Or(v) => {
                for n in v {
                    if self.matches(n, m)? {
                        return Ok(true);
                    }
                }
                false
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_find() {
        let r = Ranges::from_pairs(vec![(5, 7), (1, 2), (3, 3), (10, 12), (11, 20), (13, 14)]);
        assert_eq!(r.0, vec![(1, 3), (5, 7), (10, 20)]);
        for n in [1, 3, 5, 7, 10, 15, 20] {
            assert!(r.contains(n), "{n}");
        }
        for n in [0, 4, 8, 9, 21] {
            assert!(!r.contains(n), "{n}");
        }
        assert!(!Ranges::default().contains(1));
    }
}
