//! Grammar of the mailbox commands' arguments: SELECT parameters
//! (RFC 7162), LIST-EXTENDED (RFC 5258, 5819, 6154), STATUS items and
//! APPEND messages (RFC 3502 MULTIAPPEND, RFC 3516 literal8).

use std::num::NonZeroU32;

use super::command::CommandBody;
use super::cursor::{Cursor, PResult};
use super::{Limits, ParseError};
use crate::imap::types::{DateTime, Flag, MailboxArg, SeqSet};

/// Parameters of SELECT/EXAMINE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectParams {
    /// `CONDSTORE` (RFC 7162 section 3.1.8).
    pub condstore: bool,
    /// `QRESYNC (...)` (RFC 7162 section 3.2.5).
    pub qresync: Option<QResync>,
}

/// `QRESYNC (uidvalidity modseq [known-uids [(seq-match-data)]])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QResync {
    /// The UIDVALIDITY the client knows.
    pub uidvalidity: NonZeroU32,
    /// The last known mod-sequence.
    pub modseq: u64,
    /// Known UIDs.
    pub known_uids: Option<SeqSet>,
    /// `(known-sequence-set known-uid-set)`.
    pub seq_match: Option<(SeqSet, SeqSet)>,
}

/// `select-param`s: `(CONDSTORE)`, `(QRESYNC (...))`.
pub fn parse_select_params(c: &mut Cursor) -> PResult<SelectParams> {
    let mut params = SelectParams::default();
    c.paren_list(false, |c| {
        if c.keyword("CONDSTORE") {
            params.condstore = true;
        } else if c.keyword("QRESYNC") {
            c.sp()?;
            c.open()?;
            let uidvalidity = c.nz_number()?;
            c.sp()?;
            let modseq = c.modseq(false)?;
            let mut known_uids = None;
            let mut seq_match = None;
            if c.eat(b' ') {
                if c.peek() != Some(b'(') {
                    known_uids = Some(c.seq_set()?);
                    if !c.eat(b' ') {
                        c.close()?;
                        params.qresync = Some(QResync {
                            uidvalidity,
                            modseq,
                            known_uids,
                            seq_match,
                        });
                        return Ok(());
                    }
                }
                c.open()?;
                let seqs = c.seq_set()?;
                c.sp()?;
                let uids = c.seq_set()?;
                c.close()?;
                seq_match = Some((seqs, uids));
            }
            c.close()?;
            params.qresync = Some(QResync {
                uidvalidity,
                modseq,
                known_uids,
                seq_match,
            });
        } else {
            return Err(c.err("unknown SELECT parameter"));
        }
        Ok(())
    })?;
    Ok(params)
}

/// A `list-select-opt`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListSelect {
    /// `SUBSCRIBED`
    Subscribed,
    /// `REMOTE`
    Remote,
    /// `RECURSIVEMATCH`
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154)
    SpecialUse,
}

/// A `return-option`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListReturn {
    /// `SUBSCRIBED`
    Subscribed,
    /// `CHILDREN`
    Children,
    /// `SPECIAL-USE`
    SpecialUse,
    /// `STATUS (items)` (RFC 5819 LIST-STATUS)
    Status(Vec<StatusItem>),
}

/// A `status-att`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusItem {
    /// `MESSAGES`
    Messages,
    /// `RECENT` (IMAP4rev1)
    Recent,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
    /// `DELETED` (RFC 9051)
    Deleted,
    /// `SIZE` (RFC 8438, RFC 9051)
    Size,
    /// `HIGHESTMODSEQ` (RFC 7162)
    HighestModSeq,
    /// `APPENDLIMIT` (RFC 7889)
    AppendLimit,
}

impl StatusItem {
    /// Every item with its name.
    pub const ALL: [(StatusItem, &'static str); 9] = [
        (StatusItem::Messages, "MESSAGES"),
        (StatusItem::Recent, "RECENT"),
        (StatusItem::UidNext, "UIDNEXT"),
        (StatusItem::UidValidity, "UIDVALIDITY"),
        (StatusItem::Unseen, "UNSEEN"),
        (StatusItem::Deleted, "DELETED"),
        (StatusItem::Size, "SIZE"),
        (StatusItem::HighestModSeq, "HIGHESTMODSEQ"),
        (StatusItem::AppendLimit, "APPENDLIMIT"),
    ];

    /// The item's name on the wire.
    pub fn name(self) -> &'static str {
        StatusItem::ALL
            .iter()
            .find(|(i, _)| *i == self)
            .map_or("", |(_, n)| n)
    }
}

/// `"(" status-att *(SP status-att) ")"`
pub fn parse_status_items(c: &mut Cursor) -> PResult<Vec<StatusItem>> {
    c.paren_list(false, |c| {
        let a = c.atom()?;
        StatusItem::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(&a))
            .map(|(i, _)| *i)
            .ok_or_else(|| c.err("unknown STATUS item"))
    })
}

/// `list` of RFC 5258 section 6, after the verb.
pub fn parse_list(c: &mut Cursor, limits: &Limits) -> PResult<CommandBody> {
    c.sp()?;
    let mut selection = Vec::new();
    if c.peek() == Some(b'(') {
        selection = c.paren_list(true, |c| {
            let a = c.atom()?.to_ascii_uppercase();
            Ok(match a.as_str() {
                "SUBSCRIBED" => ListSelect::Subscribed,
                "REMOTE" => ListSelect::Remote,
                "RECURSIVEMATCH" => ListSelect::RecursiveMatch,
                "SPECIAL-USE" => ListSelect::SpecialUse,
                _ => return Err(c.err("unknown LIST selection option")),
            })
        })?;
        // RFC 5258 section 3: RECURSIVEMATCH needs another option that
        // selects (REMOTE does not count).
        if selection.contains(&ListSelect::RecursiveMatch)
            && !selection
                .iter()
                .any(|s| matches!(s, ListSelect::Subscribed | ListSelect::SpecialUse))
        {
            return Err(c.err("RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE"));
        }
        c.sp()?;
    }
    let reference = MailboxArg {
        raw: c.astring()?,
        utf8: c.utf8,
    };
    c.sp()?;
    let patterns = if c.peek() == Some(b'(') {
        c.paren_list(false, |c| {
            Ok(MailboxArg {
                raw: c.list_mailbox()?,
                utf8: c.utf8,
            })
        })?
    } else {
        vec![MailboxArg {
            raw: c.list_mailbox()?,
            utf8: c.utf8,
        }]
    };
    if patterns.len() > limits.max_items {
        return Err(ParseError::limit("too many LIST patterns"));
    }
    let mut returns = Vec::new();
    if c.eat(b' ') {
        if !c.keyword("RETURN") {
            return Err(c.err("expected RETURN"));
        }
        c.sp()?;
        returns = c.paren_list(true, |c| {
            let a = c.atom()?.to_ascii_uppercase();
            Ok(match a.as_str() {
                "SUBSCRIBED" => ListReturn::Subscribed,
                "CHILDREN" => ListReturn::Children,
                "SPECIAL-USE" => ListReturn::SpecialUse,
                "STATUS" => {
                    c.sp()?;
                    ListReturn::Status(parse_status_items(c)?)
                }
                _ => return Err(c.err("unknown LIST return option")),
            })
        })?;
    }
    Ok(CommandBody::List {
        selection,
        reference,
        patterns,
        returns,
    })
}

/// One message of APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set.
    pub flags: Vec<Flag>,
    /// INTERNALDATE to set.
    pub date: Option<DateTime>,
    /// The message bytes.
    pub data: Vec<u8>,
    /// Sent as `literal8` (`~{n}`, RFC 3516): may hold NUL and binary.
    pub binary: bool,
    /// Sent as `UTF8 (~{n})` (RFC 6855 section 4: a message with UTF-8
    /// headers, only valid after `ENABLE UTF8=ACCEPT`; the session checks).
    pub utf8: bool,
}

/// `append` of RFC 3502 after the verb: mailbox, then messages.
pub fn parse_append(c: &mut Cursor) -> PResult<CommandBody> {
    c.sp()?;
    let mailbox = MailboxArg {
        raw: c.astring()?,
        utf8: c.utf8,
    };
    let mut messages = Vec::new();
    while c.eat(b' ') {
        let mut flags = Vec::new();
        let mut date = None;
        if c.peek() == Some(b'(') {
            flags = c.flag_list()?;
            c.sp()?;
        }
        if c.peek() == Some(b'"') {
            date = Some(c.date_time()?);
            c.sp()?;
        }
        let utf8 = c.keyword("UTF8");
        if utf8 {
            c.sp()?;
            c.open()?;
            if c.peek() != Some(b'~') {
                return Err(c.err("UTF8 takes a literal8"));
            }
        }
        let (data, binary) = c.literal(true)?;
        if utf8 {
            c.close()?;
        }
        messages.push(AppendMessage {
            flags,
            date,
            data: data.to_vec(),
            binary,
            utf8,
        });
    }
    if messages.is_empty() {
        return Err(c.err("APPEND needs a message"));
    }
    Ok(CommandBody::Append { mailbox, messages })
}
