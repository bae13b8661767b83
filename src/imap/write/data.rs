//! Untagged data responses (RFC 9051 section 7.2-7.5 and the extensions):
//! CAPABILITY, ENABLED, FLAGS, EXISTS, EXPUNGE, VANISHED, SEARCH, ESEARCH,
//! SORT, THREAD, LIST, LSUB, STATUS, NAMESPACE, QUOTA, QUOTAROOT, ACL,
//! LISTRIGHTS, MYRIGHTS, ID (FETCH is [`super::fetch`]).

use super::strings::{astring, mailbox, nstring, string};
use super::{flag_list, number_set, push_fmt};
use crate::imap::parse::StatusItem;
use crate::imap::types::{DateTime, Flag, MONTHS, civil_from_days};
use crate::store::folder_name::FolderName;

fn words(out: &mut Vec<u8>, head: &str, items: &[impl AsRef<str>]) {
    out.extend_from_slice(head.as_bytes());
    for i in items {
        out.push(b' ');
        out.extend_from_slice(i.as_ref().as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `* CAPABILITY cap...`
pub fn capability(out: &mut Vec<u8>, caps: &[impl AsRef<str>]) {
    words(out, "* CAPABILITY", caps);
}

/// `* ENABLED cap...` (RFC 5161)
pub fn enabled(out: &mut Vec<u8>, caps: &[impl AsRef<str>]) {
    words(out, "* ENABLED", caps);
}

/// `* FLAGS (flags)`
pub fn flags(out: &mut Vec<u8>, f: &[Flag]) {
    out.extend_from_slice(b"* FLAGS ");
    flag_list(out, f);
    out.extend_from_slice(b"\r\n");
}

/// `* n EXISTS`
pub fn exists(out: &mut Vec<u8>, n: u32) {
    push_fmt(out, format_args!("* {n} EXISTS\r\n"));
}

/// `* n RECENT` (IMAP4rev1)
pub fn recent(out: &mut Vec<u8>, n: u32) {
    push_fmt(out, format_args!("* {n} RECENT\r\n"));
}

/// `* n EXPUNGE`
pub fn expunge(out: &mut Vec<u8>, n: u32) {
    push_fmt(out, format_args!("* {n} EXPUNGE\r\n"));
}

/// `* VANISHED [(EARLIER)] uids` (RFC 7162 section 3.2.10); nothing for
/// no UIDs.
pub fn vanished(out: &mut Vec<u8>, earlier: bool, uids: &[u32]) {
    if uids.is_empty() {
        return;
    }
    out.extend_from_slice(if earlier {
        b"* VANISHED (EARLIER) "
    } else {
        b"* VANISHED "
    });
    number_set(out, uids);
    out.extend_from_slice(b"\r\n");
}

/// `* SEARCH n...` [`(MODSEQ m)`] (IMAP4rev1 SEARCH; RFC 7162 MODSEQ).
pub fn search(out: &mut Vec<u8>, nums: &[u32], modseq: Option<u64>) {
    out.extend_from_slice(b"* SEARCH");
    for n in nums {
        push_fmt(out, format_args!(" {n}"));
    }
    if let Some(m) = modseq {
        push_fmt(out, format_args!(" (MODSEQ {m})"));
    }
    out.extend_from_slice(b"\r\n");
}

/// `* SORT n...` (RFC 5256)
pub fn sort(out: &mut Vec<u8>, nums: &[u32]) {
    out.extend_from_slice(b"* SORT");
    for n in nums {
        push_fmt(out, format_args!(" {n}"));
    }
    out.extend_from_slice(b"\r\n");
}

/// What an ESEARCH response carries (RFC 4731, RFC 9051 7.3.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Esearch {
    /// `MIN`
    pub min: Option<u32>,
    /// `MAX`
    pub max: Option<u32>,
    /// `ALL` (written compactly; omitted when empty, as RFC 4731 says)
    pub all: Option<Vec<u32>>,
    /// `COUNT`
    pub count: Option<u32>,
    /// `MODSEQ` (RFC 7162)
    pub modseq: Option<u64>,
}

/// `* ESEARCH (TAG "tag") [UID] items`
pub fn esearch(out: &mut Vec<u8>, tag: &str, uid: bool, e: &Esearch) {
    out.extend_from_slice(b"* ESEARCH (TAG ");
    string(out, tag.as_bytes());
    out.push(b')');
    if uid {
        out.extend_from_slice(b" UID");
    }
    if let Some(n) = e.min {
        push_fmt(out, format_args!(" MIN {n}"));
    }
    if let Some(n) = e.max {
        push_fmt(out, format_args!(" MAX {n}"));
    }
    if let Some(all) = e.all.as_ref().filter(|a| !a.is_empty()) {
        out.extend_from_slice(b" ALL ");
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        number_set(out, &sorted);
    }
    if let Some(n) = e.count {
        push_fmt(out, format_args!(" COUNT {n}"));
    }
    if let Some(m) = e.modseq {
        push_fmt(out, format_args!(" MODSEQ {m}"));
    }
    out.extend_from_slice(b"\r\n");
}

/// A thread of RFC 5256: a message (or a missing parent, `None`) and its
/// children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadNode {
    /// The message number or UID; `None` for a dummy parent.
    pub id: Option<u32>,
    /// Replies.
    pub children: Vec<ThreadNode>,
}

impl Drop for ThreadNode {
    /// Takes the tree apart without recursion: a reply chain thousands of
    /// messages deep must not exhaust the stack.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.children);
        while let Some(mut n) = stack.pop() {
            stack.append(&mut n.children);
        }
    }
}

/// `* THREAD (..)(..)`. Written without recursion, so any depth of
/// nesting costs no stack.
pub fn thread(out: &mut Vec<u8>, roots: &[ThreadNode]) {
    enum Step<'a> {
        /// `(` and the thread from this node.
        Open(&'a ThreadNode),
        /// `)`
        Close,
    }
    out.extend_from_slice(b"* THREAD");
    if !roots.is_empty() {
        out.push(b' ');
    }
    let mut stack: Vec<Step<'_>> = roots.iter().rev().map(Step::Open).collect();
    while let Some(step) = stack.pop() {
        let mut node = match step {
            Step::Close => {
                out.push(b')');
                continue;
            }
            Step::Open(n) => n,
        };
        out.push(b'(');
        let mut first = true;
        loop {
            if let Some(id) = node.id {
                if !first {
                    out.push(b' ');
                }
                push_fmt(out, format_args!("{id}"));
                first = false;
            }
            match node.children.as_slice() {
                [only] => node = only,
                many => {
                    if !first && !many.is_empty() {
                        out.push(b' ');
                    }
                    stack.push(Step::Close);
                    stack.extend(many.iter().rev().map(Step::Open));
                    break;
                }
            }
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// An extended LIST data item (RFC 5258 `mbox-list-extended`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListExtended {
    /// `CHILDINFO ("SUBSCRIBED")`
    ChildInfo(Vec<String>),
    /// `OLDNAME (name)` (RFC 9051)
    OldName(FolderName),
}

/// `* LIST (attrs) "/" name [(extended)]`, or `* LSUB` when `lsub`.
pub fn list(
    out: &mut Vec<u8>,
    lsub: bool,
    attrs: &[impl AsRef<str>],
    delimiter: Option<char>,
    name: &FolderName,
    utf8: bool,
    extended: &[ListExtended],
) {
    out.extend_from_slice(if lsub { b"* LSUB (" } else { b"* LIST (" });
    for (i, a) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(a.as_ref().as_bytes());
    }
    out.extend_from_slice(b") ");
    match delimiter {
        Some(d) => string(out, d.to_string().as_bytes()),
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    mailbox(out, name, utf8);
    if !extended.is_empty() {
        out.extend_from_slice(b" (");
        for (i, x) in extended.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            match x {
                ListExtended::ChildInfo(v) => {
                    out.extend_from_slice(b"\"CHILDINFO\" (");
                    for (j, s) in v.iter().enumerate() {
                        if j > 0 {
                            out.push(b' ');
                        }
                        string(out, s.as_bytes());
                    }
                    out.push(b')');
                }
                ListExtended::OldName(old) => {
                    out.extend_from_slice(b"\"OLDNAME\" (");
                    mailbox(out, old, utf8);
                    out.push(b')');
                }
            }
        }
        out.push(b')');
    }
    out.extend_from_slice(b"\r\n");
}

/// `* STATUS name (item value ...)`
pub fn mailbox_status(
    out: &mut Vec<u8>,
    name: &FolderName,
    utf8: bool,
    items: &[(StatusItem, u64)],
) {
    out.extend_from_slice(b"* STATUS ");
    mailbox(out, name, utf8);
    out.extend_from_slice(b" (");
    for (i, (item, v)) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_fmt(out, format_args!("{} {v}", item.name()));
    }
    out.extend_from_slice(b")\r\n");
}

/// One namespace: prefix and delimiter.
pub type NamespaceDesc = (String, Option<char>);

/// `* NAMESPACE personal other shared` (RFC 2342); prefixes are given in
/// their wire form (already mUTF-7 or UTF-8).
pub fn namespace(
    out: &mut Vec<u8>,
    personal: &[NamespaceDesc],
    other: &[NamespaceDesc],
    shared: &[NamespaceDesc],
) {
    out.extend_from_slice(b"* NAMESPACE");
    for ns in [personal, other, shared] {
        out.push(b' ');
        if ns.is_empty() {
            out.extend_from_slice(b"NIL");
            continue;
        }
        out.push(b'(');
        for (prefix, delim) in ns {
            out.push(b'(');
            string(out, prefix.as_bytes());
            out.push(b' ');
            match delim {
                Some(d) => string(out, d.to_string().as_bytes()),
                None => out.extend_from_slice(b"NIL"),
            }
            out.push(b')');
        }
        out.push(b')');
    }
    out.extend_from_slice(b"\r\n");
}

/// `* QUOTA root (resource usage limit ...)` (RFC 9208)
pub fn quota(out: &mut Vec<u8>, root: &str, resources: &[(&str, u64, u64)]) {
    out.extend_from_slice(b"* QUOTA ");
    astring(out, root.as_bytes());
    out.extend_from_slice(b" (");
    for (i, (name, usage, limit)) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_fmt(out, format_args!("{name} {usage} {limit}"));
    }
    out.extend_from_slice(b")\r\n");
}

/// `* QUOTAROOT mailbox root...`
pub fn quotaroot(out: &mut Vec<u8>, name: &FolderName, utf8: bool, roots: &[&str]) {
    out.extend_from_slice(b"* QUOTAROOT ");
    mailbox(out, name, utf8);
    for r in roots {
        out.push(b' ');
        astring(out, r.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `* ACL mailbox (identifier rights)...` (RFC 4314)
pub fn acl(out: &mut Vec<u8>, name: &FolderName, utf8: bool, entries: &[(&str, &str)]) {
    out.extend_from_slice(b"* ACL ");
    mailbox(out, name, utf8);
    for (who, rights) in entries {
        out.push(b' ');
        astring(out, who.as_bytes());
        out.push(b' ');
        astring(out, rights.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `* LISTRIGHTS mailbox identifier required optional...`
pub fn listrights(
    out: &mut Vec<u8>,
    name: &FolderName,
    utf8: bool,
    who: &str,
    required: &str,
    optional: &[&str],
) {
    out.extend_from_slice(b"* LISTRIGHTS ");
    mailbox(out, name, utf8);
    out.push(b' ');
    astring(out, who.as_bytes());
    out.push(b' ');
    astring(out, required.as_bytes());
    for o in optional {
        out.push(b' ');
        astring(out, o.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `* MYRIGHTS mailbox rights`
pub fn myrights(out: &mut Vec<u8>, name: &FolderName, utf8: bool, rights: &str) {
    out.extend_from_slice(b"* MYRIGHTS ");
    mailbox(out, name, utf8);
    out.push(b' ');
    astring(out, rights.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `* ID (field value ...)` or `* ID NIL` (RFC 2971)
pub fn id(out: &mut Vec<u8>, fields: Option<&[(&str, Option<&str>)]>) {
    out.extend_from_slice(b"* ID ");
    match fields {
        None => out.extend_from_slice(b"NIL"),
        Some(fields) => {
            out.push(b'(');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                string(out, k.as_bytes());
                out.push(b' ');
                nstring(out, v.map(str::as_bytes));
            }
            out.push(b')');
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes `date-time` (`"05-Dec-2026 07:28:17 +0100"`).
pub fn date_time(out: &mut Vec<u8>, d: DateTime) {
    let local = d.unix + i64::from(d.offset_minutes) * 60;
    let (y, m, day) = civil_from_days(local.div_euclid(86400));
    let secs = local.rem_euclid(86400);
    let off = d.offset_minutes.abs();
    let sign = if d.offset_minutes < 0 { '-' } else { '+' };
    push_fmt(
        out,
        format_args!(
            "\"{day:02}-{}-{y:04} {:02}:{:02}:{:02} {sign}{:02}{:02}\"",
            MONTHS[(m as usize).saturating_sub(1) % 12],
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off / 60,
            off % 60
        ),
    );
}
