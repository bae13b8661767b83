//! SEARCH, SORT and THREAD evaluated over a folder view, without sockets
//! (RFC 9051 6.4.4 and RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 5182
//! SEARCHRES, RFC 7162 MODSEQ, RFC 5256 SORT and THREAD, RFC 5957
//! DISPLAYFROM/DISPLAYTO, RFC 5032 OLDER/YOUNGER).
//!
//! # What the session calls
//! ```text
//! let ctx = SearchContext { store, folder, saved: self.saved.as_deref(),
//!                           charset: charset.as_deref(), deadline: now + budget };
//! search(&ctx, &key)            -> Result<Vec<u32>, SearchError>  // sequence numbers, ascending
//! sort(&ctx, &criteria, &key)   -> Result<Vec<u32>, SearchError>  // sequence numbers, sorted
//! thread(&ctx, algorithm, &key) -> Result<Vec<ThreadNode>, SearchError> // ids are sequence numbers
//! ```
//! then, for the reply:
//! - UID forms: [`to_uids`] (SEARCH/SORT) or [`thread_to_uids`].
//! - Plain SEARCH: `write::data::search(out, &nums, modseq)` where
//!   `modseq` is [`highest_modseq`] when [`uses_modseq`] (RFC 7162 3.1.5).
//! - `SEARCH RETURN (...)`: when [`esearch_wanted`], write
//!   [`esearch_data`] with `write::data::esearch`; when the options hold
//!   `SAVE`, keep [`saved_result`] (UIDs) as the session's `$`.
//! - Errors: [`SearchError::BudgetExceeded`] is `NO [LIMIT]`;
//!   [`SearchError::BadCharset`] is `NO [BADCHARSET (UTF-8 US-ASCII)]`
//!   ([`CHARSETS`]); [`SearchError::Store`] is a temporary failure
//!   (`NO [UNAVAILABLE]`, never a path). RFC 5182: after a failed
//!   SEARCH with SAVE the saved result becomes empty.
//!
//! # Semantics
//! - Flags, keywords, sizes, dates, MODSEQ and sets come from the folder
//!   view; a message file is opened only when a key needs its header or
//!   body, and only once per message ([`eval`]).
//! - There is no `\Recent`: RECENT and NEW never match, OLD always does.
//! - BEFORE/ON/SINCE compare INTERNALDATE's UTC day (the view keeps no
//!   zone); SENTBEFORE/SENTON/SENTSINCE the `Date:` header's day as
//!   written, time and zone ignored; a message without a readable date
//!   matches none of them.
//! - String keys are case-insensitive substrings on decoded text: RFC
//!   2047 words in headers, quoted-printable/base64 text parts in their
//!   charsets, white space runs as one space ([`text`]). `HEADER f ""`
//!   matches when the field is present. As Dovecot 2.3 answers (checked
//!   by `tests/imap_search_dovecot.rs`): FROM/TO/CC/BCC search the parsed
//!   address list written back (`"Name" <box@host>`,
//!   [`message::address_text`]), SUBJECT and HEADER the decoded field;
//!   BODY searches the parts without Content-Type or with a `text/...`
//!   or `message/...` one and a known transfer encoding; TEXT adds every
//!   header block (the message's, each MIME header, each attached
//!   message's).
//! - SORT and THREAD compare strings in `i;unicode-casemap` form (RFC
//!   5051: upper case, NFKD), addresses by the first address's mailbox
//!   (DISPLAYFROM/DISPLAYTO: its decoded name, else `box@host`), dates by
//!   the `Date:` instant, INTERNALDATE where there is none.
//! - `$` is the saved result (UIDs); with none saved it matches nothing.
//! - MODSEQ compares the message's MODSEQ (per-flag entries are accepted
//!   and read as the message's, which RFC 7162 allows).
//! - Budget: the deadline is checked every few hundred key evaluations
//!   and between messages; programs are flattened (`OR` chains become one
//!   list), and nesting is bounded by the parser's `Limits::max_depth`.

pub mod budget;
pub mod date;
pub mod eval;
pub mod message;
pub mod meta;
mod results;
pub mod sort;
pub mod subject;
pub mod text;
pub mod thread;

#[cfg(test)]
mod tests;

use std::time::Instant;

use encoding_rs::Encoding;

use crate::imap::parse::{SearchKey, SortCriterion};
use crate::imap::write::data::ThreadNode;
use crate::store::{Folder, Store, StoreError};

pub use results::{
    esearch_data, esearch_wanted, highest_modseq, saved_result, thread_to_uids, to_uids,
    uses_modseq,
};

use budget::Budget;
use eval::{Compiler, Evaluator, Msg};
use meta::{Meta, Need};

/// The charsets named in `[BADCHARSET (...)]` (others that `encoding_rs`
/// knows are accepted too).
pub const CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

/// The THREAD algorithms, as CAPABILITY names them (`THREAD=...`).
pub const THREAD_ALGORITHMS: [&str; 2] = ["ORDEREDSUBJECT", "REFERENCES"];

/// Why a SEARCH, SORT or THREAD gives no result.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The time budget ran out: `NO [LIMIT]`.
    #[error("search took too long")]
    BudgetExceeded,
    /// The charset is not supported: `NO [BADCHARSET (UTF-8 US-ASCII)]`.
    #[error("unsupported charset {0}")]
    BadCharset(String),
    /// The store failed: a temporary failure.
    #[error(transparent)]
    Store(StoreError),
}

/// What a search runs against.
#[derive(Debug, Clone, Copy)]
pub struct SearchContext<'a> {
    /// The store the message files are read from.
    pub store: &'a Store,
    /// The selected folder's view (sequence numbers are its order).
    pub folder: &'a Folder,
    /// The SEARCHRES saved result (`$`), as UIDs.
    pub saved: Option<&'a [u32]>,
    /// The command's charset (`CHARSET x` of SEARCH, that of SORT and
    /// THREAD); `None`: US-ASCII, read as UTF-8.
    pub charset: Option<&'a str>,
    /// When to give up with [`SearchError::BudgetExceeded`].
    pub deadline: Instant,
}

/// A THREAD algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT`
    OrderedSubject,
    /// `REFERENCES`
    References,
}

impl ThreadAlgorithm {
    /// The algorithm named (upper-cased) in a THREAD command.
    pub fn from_name(name: &str) -> Option<ThreadAlgorithm> {
        match name.to_ascii_uppercase().as_str() {
            "ORDEREDSUBJECT" => Some(ThreadAlgorithm::OrderedSubject),
            "REFERENCES" => Some(ThreadAlgorithm::References),
            _ => None,
        }
    }
}

fn encoding(charset: Option<&str>) -> Result<&'static Encoding, SearchError> {
    match charset {
        None => Ok(encoding_rs::UTF_8),
        Some(c) if c.eq_ignore_ascii_case("UTF-8") || c.eq_ignore_ascii_case("US-ASCII") => {
            Ok(encoding_rs::UTF_8)
        }
        Some(c) => {
            Encoding::for_label(c.as_bytes()).ok_or_else(|| SearchError::BadCharset(c.to_owned()))
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Runs `f` on every message matching `key`, in sequence order.
fn each_match(
    ctx: &SearchContext<'_>,
    key: &SearchKey,
    budget: &Budget,
    mut f: impl FnMut(&Msg<'_>) -> Result<(), SearchError>,
) -> Result<(), SearchError> {
    let program = Compiler {
        folder: ctx.folder,
        saved: ctx.saved,
        charset: encoding(ctx.charset)?,
        now: now(),
    }
    .compile(key);
    let ev = Evaluator {
        store: ctx.store,
        budget,
    };
    for (i, e) in ctx.folder.entries().iter().enumerate() {
        budget.check()?;
        let m = Msg::new(i as u32 + 1, e);
        if ev.matches(&program, &m)? {
            f(&m)?;
        }
    }
    Ok(())
}

/// SEARCH: the sequence numbers of the messages matching `key`,
/// ascending.
pub fn search(ctx: &SearchContext<'_>, key: &SearchKey) -> Result<Vec<u32>, SearchError> {
    let budget = Budget::new(ctx.deadline);
    let mut out = Vec::new();
    each_match(ctx, key, &budget, |m| {
        out.push(m.seq);
        Ok(())
    })?;
    Ok(out)
}

fn metas(ctx: &SearchContext<'_>, key: &SearchKey, need: Need) -> Result<Vec<Meta>, SearchError> {
    let budget = Budget::new(ctx.deadline);
    let mut out = Vec::new();
    each_match(ctx, key, &budget, |m| {
        out.push(meta::read(ctx.store, m, need)?);
        Ok(())
    })?;
    Ok(out)
}

/// SORT: the sequence numbers of the messages matching `key`, ordered by
/// `criteria` (ties in sequence order).
pub fn sort(
    ctx: &SearchContext<'_>,
    criteria: &[SortCriterion],
    key: &SearchKey,
) -> Result<Vec<u32>, SearchError> {
    let mut m = metas(ctx, key, sort::need(criteria))?;
    Budget::new(ctx.deadline).check()?;
    sort::sort_metas(&mut m, criteria);
    Ok(m.iter().map(|m| m.seq).collect())
}

/// THREAD: the threads of the messages matching `key` (ids are
/// sequence numbers; `None` marks a dummy parent).
pub fn thread(
    ctx: &SearchContext<'_>,
    algorithm: ThreadAlgorithm,
    key: &SearchKey,
) -> Result<Vec<ThreadNode>, SearchError> {
    let m = metas(ctx, key, Need::Header)?;
    let budget = Budget::new(ctx.deadline);
    budget.check()?;
    match algorithm {
        ThreadAlgorithm::OrderedSubject => Ok(thread::ordered_subject(&m)),
        ThreadAlgorithm::References => thread::references(&m, &budget),
    }
}
