//! SEARCH (RFC 9051 section 6.4.4, RFC 3501 6.4.4), ESEARCH return
//! options (RFC 4731, RFC 5182 SAVE), MODSEQ (RFC 7162), and the SORT and
//! THREAD commands (RFC 5256) that share its search program.

use super::command::CommandBody;
use super::cursor::{Cursor, PResult};
use super::{Limits, ParseError};
use crate::imap::types::{Date, SeqSet};

/// One `search-key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchKey {
    /// A parenthesized list, or the whole program: every key matches.
    And(Vec<SearchKey>),
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `BCC string`
    Bcc(Vec<u8>),
    /// `BEFORE date`
    Before(Date),
    /// `BODY string`
    Body(Vec<u8>),
    /// `CC string`
    Cc(Vec<u8>),
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `FROM string`
    From(Vec<u8>),
    /// `HEADER field-name string`
    Header(String, Vec<u8>),
    /// `KEYWORD flag-keyword`
    Keyword(String),
    /// `LARGER n`
    Larger(u64),
    /// `NEW` (IMAP4rev1)
    New,
    /// `NOT key`
    Not(Box<SearchKey>),
    /// `OLD` (IMAP4rev1)
    Old,
    /// `ON date`
    On(Date),
    /// `OR key key`
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT` (IMAP4rev1)
    Recent,
    /// `SEEN`
    Seen,
    /// `SENTBEFORE date`
    SentBefore(Date),
    /// `SENTON date`
    SentOn(Date),
    /// `SENTSINCE date`
    SentSince(Date),
    /// `SINCE date`
    Since(Date),
    /// `SMALLER n`
    Smaller(u64),
    /// `SUBJECT string`
    Subject(Vec<u8>),
    /// `TEXT string`
    Text(Vec<u8>),
    /// `TO string`
    To(Vec<u8>),
    /// `UID set`
    Uid(SeqSet),
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNKEYWORD flag-keyword`
    Unkeyword(String),
    /// `UNSEEN`
    Unseen,
    /// A sequence set (or `$`).
    Seq(SeqSet),
    /// `MODSEQ [entry-name entry-type] modseq` (RFC 7162): the entry is
    /// kept as written.
    ModSeq {
        /// `"/flags/\\Seen" shared` and the like.
        entry: Option<(Vec<u8>, String)>,
        /// Mod-sequence (0 allowed).
        modseq: u64,
    },
    /// `OLDER n` (RFC 5032 WITHIN).
    Older(u32),
    /// `YOUNGER n` (RFC 5032 WITHIN).
    Younger(u32),
}

/// A `search-return-opt` (RFC 4731, RFC 5182).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturn {
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `ALL`
    All,
    /// `COUNT`
    Count,
    /// `SAVE`
    Save,
}

/// A SORT key (RFC 5256, RFC 5957 DISPLAY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `ARRIVAL`
    Arrival,
    /// `CC`
    Cc,
    /// `DATE`
    Date,
    /// `FROM`
    From,
    /// `SIZE`
    Size,
    /// `SUBJECT`
    Subject,
    /// `TO`
    To,
    /// `DISPLAYFROM`
    DisplayFrom,
    /// `DISPLAYTO`
    DisplayTo,
}

/// Names of the SORT keys.
pub const SORT_KEYS: [(SortKey, &str); 9] = [
    (SortKey::Arrival, "ARRIVAL"),
    (SortKey::Cc, "CC"),
    (SortKey::Date, "DATE"),
    (SortKey::From, "FROM"),
    (SortKey::Size, "SIZE"),
    (SortKey::Subject, "SUBJECT"),
    (SortKey::To, "TO"),
    (SortKey::DisplayFrom, "DISPLAYFROM"),
    (SortKey::DisplayTo, "DISPLAYTO"),
];

/// `sort-criterion`: `["REVERSE" SP] sort-key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// Counts search keys and nesting while a program is read.
struct Budget {
    keys: usize,
    max: usize,
}

/// `search` after the verb.
pub fn parse_search(c: &mut Cursor, limits: &Limits, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let mut returns = None;
    if c.keyword("RETURN") {
        c.sp()?;
        returns = Some(c.paren_list(true, |c| {
            let a = c.atom()?.to_ascii_uppercase();
            Ok(match a.as_str() {
                "MIN" => SearchReturn::Min,
                "MAX" => SearchReturn::Max,
                "ALL" => SearchReturn::All,
                "COUNT" => SearchReturn::Count,
                "SAVE" => SearchReturn::Save,
                _ => return Err(c.err("unknown SEARCH return option")),
            })
        })?);
        c.sp()?;
    }
    let mut charset = None;
    if c.keyword("CHARSET") {
        c.sp()?;
        charset = Some(c.astring_text()?.to_ascii_uppercase());
        c.sp()?;
    }
    let key = program(c, limits)?;
    Ok(CommandBody::Search {
        uid,
        charset,
        returns,
        key,
    })
}

/// `1*(SP search-key)` with the first SP already read: an `And`.
fn program(c: &mut Cursor, limits: &Limits) -> PResult<SearchKey> {
    let mut budget = Budget {
        keys: 0,
        max: limits.max_items,
    };
    let mut keys = vec![search_key(c, &mut budget)?];
    while c.eat(b' ') {
        keys.push(search_key(c, &mut budget)?);
    }
    Ok(SearchKey::And(keys))
}

/// `sort` / `thread` after the verb.
pub fn parse_sort(
    c: &mut Cursor,
    limits: &Limits,
    uid: bool,
    thread: bool,
) -> PResult<CommandBody> {
    c.sp()?;
    if thread {
        let algorithm = c.atom()?.to_ascii_uppercase();
        c.sp()?;
        let charset = c.astring_text()?.to_ascii_uppercase();
        c.sp()?;
        let key = program(c, limits)?;
        return Ok(CommandBody::Thread {
            uid,
            algorithm,
            charset,
            key,
        });
    }
    let criteria = c.paren_list(false, |c| {
        let reverse = c.keyword("REVERSE") && c.eat(b' ');
        let a = c.atom()?;
        let key = SORT_KEYS
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(&a))
            .map(|(k, _)| *k)
            .ok_or_else(|| c.err("unknown SORT key"))?;
        Ok(SortCriterion { reverse, key })
    })?;
    c.sp()?;
    let charset = c.astring_text()?.to_ascii_uppercase();
    c.sp()?;
    let key = program(c, limits)?;
    Ok(CommandBody::Sort {
        uid,
        criteria,
        charset,
        key,
    })
}

fn nested(c: &mut Cursor, budget: &mut Budget) -> PResult<SearchKey> {
    c.depth += 1;
    if c.depth > c.max_depth {
        return Err(ParseError::limit("search program nested too deeply"));
    }
    let k = search_key(c, budget)?;
    c.depth -= 1;
    Ok(k)
}

fn sp_astring(c: &mut Cursor) -> PResult<Vec<u8>> {
    c.sp()?;
    c.astring()
}

fn sp_date(c: &mut Cursor) -> PResult<Date> {
    c.sp()?;
    c.date()
}

fn sp_number(c: &mut Cursor) -> PResult<u64> {
    c.sp()?;
    c.number64()
}

fn sp_keyword(c: &mut Cursor) -> PResult<String> {
    c.sp()?;
    c.atom()
}

fn search_key(c: &mut Cursor, budget: &mut Budget) -> PResult<SearchKey> {
    budget.keys += 1;
    if budget.keys > budget.max {
        return Err(ParseError::limit("search program too large"));
    }
    match c.peek() {
        Some(b'(') => {
            c.open()?;
            let mut keys = vec![search_key(c, budget)?];
            while c.eat(b' ') {
                keys.push(search_key(c, budget)?);
            }
            c.close()?;
            return Ok(SearchKey::And(keys));
        }
        Some(b'0'..=b'9' | b'*' | b'$') => return Ok(SearchKey::Seq(c.seq_set()?)),
        _ => {}
    }
    let word = c.atom()?.to_ascii_uppercase();
    use SearchKey as K;
    Ok(match word.as_str() {
        "ALL" => K::All,
        "ANSWERED" => K::Answered,
        "DELETED" => K::Deleted,
        "DRAFT" => K::Draft,
        "FLAGGED" => K::Flagged,
        "NEW" => K::New,
        "OLD" => K::Old,
        "RECENT" => K::Recent,
        "SEEN" => K::Seen,
        "UNANSWERED" => K::Unanswered,
        "UNDELETED" => K::Undeleted,
        "UNDRAFT" => K::Undraft,
        "UNFLAGGED" => K::Unflagged,
        "UNSEEN" => K::Unseen,
        "BCC" => K::Bcc(sp_astring(c)?),
        "BODY" => K::Body(sp_astring(c)?),
        "CC" => K::Cc(sp_astring(c)?),
        "FROM" => K::From(sp_astring(c)?),
        "SUBJECT" => K::Subject(sp_astring(c)?),
        "TEXT" => K::Text(sp_astring(c)?),
        "TO" => K::To(sp_astring(c)?),
        "HEADER" => {
            c.sp()?;
            let name = c.astring_text()?;
            K::Header(name, sp_astring(c)?)
        }
        "KEYWORD" => K::Keyword(sp_keyword(c)?),
        "UNKEYWORD" => K::Unkeyword(sp_keyword(c)?),
        "BEFORE" => K::Before(sp_date(c)?),
        "ON" => K::On(sp_date(c)?),
        "SINCE" => K::Since(sp_date(c)?),
        "SENTBEFORE" => K::SentBefore(sp_date(c)?),
        "SENTON" => K::SentOn(sp_date(c)?),
        "SENTSINCE" => K::SentSince(sp_date(c)?),
        "LARGER" => K::Larger(sp_number(c)?),
        "SMALLER" => K::Smaller(sp_number(c)?),
        "OLDER" => K::Older(u32::try_from(sp_number(c)?).map_err(|_| c.err("number too large"))?),
        "YOUNGER" => {
            K::Younger(u32::try_from(sp_number(c)?).map_err(|_| c.err("number too large"))?)
        }
        "UID" => {
            c.sp()?;
            K::Uid(c.seq_set()?)
        }
        "NOT" => {
            c.sp()?;
            K::Not(Box::new(nested(c, budget)?))
        }
        "OR" => {
            c.sp()?;
            let a = nested(c, budget)?;
            c.sp()?;
            K::Or(Box::new(a), Box::new(nested(c, budget)?))
        }
        "MODSEQ" => {
            c.sp()?;
            let mut entry = None;
            if c.peek() == Some(b'"') {
                let name = c.quoted()?;
                c.sp()?;
                let kind = c.atom()?.to_ascii_lowercase();
                if !matches!(kind.as_str(), "priv" | "shared" | "all") {
                    return Err(c.err("bad MODSEQ entry type"));
                }
                entry = Some((name, kind));
                c.sp()?;
            }
            K::ModSeq {
                entry,
                modseq: c.modseq(true)?,
            }
        }
        _ => return Err(c.err("unknown SEARCH key")),
    })
}
