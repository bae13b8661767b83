//! Streaming APPEND: with [`super::CommandReader::stream_append`] on, the
//! reader hands each APPEND message literal to the session as it is
//! announced, so the session copies it from the connection to the store
//! without holding it ([`Outcome::AppendMessage`], then
//! [`Outcome::AppendDone`] after the last one, RFC 3502 MULTIAPPEND).

use super::cursor::{Cursor, PResult};
use super::framing::Outcome;
use crate::imap::types::{DateTime, Flag, MailboxArg};

/// What comes before one message literal of APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendHead {
    /// The folder (only with the first message of a command).
    pub mailbox: Option<MailboxArg>,
    /// Flags to set.
    pub flags: Vec<Flag>,
    /// INTERNALDATE to set.
    pub date: Option<DateTime>,
    /// `~{n}` (RFC 3516 literal8).
    pub binary: bool,
    /// `UTF8 (~{n})` (RFC 6855): the reader expects the `)` after the data.
    pub utf8: bool,
    /// The literal's size.
    pub size: u64,
    /// Synchronizing: send a continuation request before reading it.
    pub sync: bool,
}

/// Parses `[SP] [flag-list SP] [date-time SP] literal-head` CRLF, which
/// must end exactly at the end of `c`'s buffer.
fn message_head(c: &mut Cursor, mailbox: Option<MailboxArg>) -> PResult<AppendHead> {
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
        c.expect(b'(')?;
        if c.peek() != Some(b'~') {
            return Err(c.err("UTF8 takes a literal8"));
        }
    }
    let binary = c.eat(b'~');
    c.expect(b'{')?;
    let size = c.number64()?;
    let sync = !(c.eat(b'+') || c.eat(b'-'));
    c.expect(b'}')?;
    if !c.tag_ci("\r\n") || !c.at_end() {
        return Err(c.err("a literal's size must end the line"));
    }
    Ok(AppendHead {
        mailbox,
        flags,
        date,
        binary,
        utf8,
        size,
        sync,
    })
}

/// For the first line(s) of an APPEND ending in a literal head
/// (`frame` = the command so far, through that CRLF): the head of the
/// first message, or `None` when the literal is the mailbox name (or the
/// line does not parse as an APPEND head: ordinary framing then reports
/// the error).
pub(super) fn first_head(frame: &[u8], utf8: bool) -> Option<(String, AppendHead)> {
    let tag = super::framing::read_tag(frame)?;
    let mut c = Cursor::new(frame, 8, utf8);
    c.rewind(tag.len());
    if !(c.sp().is_ok() && c.keyword("APPEND") && c.sp().is_ok()) {
        return None;
    }
    let mailbox = MailboxArg {
        raw: c.astring().ok()?,
        utf8,
    };
    c.sp().ok()?;
    message_head(&mut c, Some(mailbox)).ok().map(|h| (tag, h))
}

/// After a streamed message: the buffer starts just past its data (and
/// the `)` closing `UTF8 (...)` when `close` says so). Either CRLF (the
/// command is complete) or SP and the next message's head. `None` while
/// the line is incomplete.
pub(super) fn after_message(
    buf: &[u8],
    tag: &str,
    utf8: bool,
    max_line: usize,
    close: bool,
) -> Option<Outcome> {
    if close {
        return match buf.first() {
            None => None,
            Some(b')') => Some(shift(
                after_message(&buf[1..], tag, utf8, max_line, false)?,
                1,
            )),
            // Nothing tells where the command ends: close.
            Some(_) => Some(bad(tag, "expected ) after a UTF8 message", true, buf.len())),
        };
    }
    let window = &buf[..buf.len().min(max_line)];
    let Some(lf) = window.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() >= max_line {
            return Some(bad(tag, "command line too long", true, buf.len()));
        }
        return None;
    };
    let end = lf + 2;
    if lf == 0 {
        return Some(Outcome::AppendDone {
            tag: tag.to_owned(),
            consumed: 2,
        });
    }
    let mut c = Cursor::new(&buf[..end], 8, utf8);
    let head = c.sp().and_then(|()| message_head(&mut c, None));
    Some(match head {
        Ok(head) => Outcome::AppendMessage {
            tag: tag.to_owned(),
            head: Box::new(head),
            consumed: end,
        },
        // A literal may follow this line whatever it was: close.
        Err(_) => bad(
            tag,
            "bad APPEND message",
            super::framing::literal_follows(&buf[..lf]),
            end,
        ),
    })
}

/// Adds `n` to the bytes an outcome consumed.
fn shift(o: Outcome, n: usize) -> Outcome {
    match o {
        Outcome::AppendMessage {
            tag,
            head,
            consumed,
        } => Outcome::AppendMessage {
            tag,
            head,
            consumed: consumed + n,
        },
        Outcome::AppendDone { tag, consumed } => Outcome::AppendDone {
            tag,
            consumed: consumed + n,
        },
        Outcome::Error { error, consumed } => Outcome::Error {
            error,
            consumed: consumed + n,
        },
        other => other,
    }
}

fn bad(tag: &str, text: &str, fatal: bool, consumed: usize) -> Outcome {
    Outcome::Error {
        error: super::ParseError {
            tag: Some(tag.to_owned()),
            fatal,
            ..super::ParseError::bad(text)
        },
        consumed,
    }
}
