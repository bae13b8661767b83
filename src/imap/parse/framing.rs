//! Framing: where one command ends in the incoming bytes, with its
//! literals, and the limits enforced before the grammar runs.

use super::command::{Command, parse_command};
use super::stream::{self, AppendHead};
use super::{ErrorCode, Limits, ParseError};

/// What the session does next with its input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Read more bytes, append them to the buffer and call again.
    NeedMore,
    /// A synchronizing literal of `size` bytes is announced: send a
    /// continuation request (`+ Ready`), then read more and call again.
    /// The buffer must still hold the command's bytes so far.
    Continue {
        /// The literal's announced size.
        size: u64,
    },
    /// A whole command: drop `consumed` bytes from the buffer and run it.
    Command {
        /// The command.
        command: Box<Command>,
        /// Bytes of the buffer it took.
        consumed: usize,
    },
    /// With [`CommandReader::stream_append`]: an APPEND message literal
    /// is announced. Drop `consumed` bytes, send a continuation when
    /// `head.sync`, copy the next `head.size` bytes to the store, drop
    /// them, and call again (more messages, or [`Outcome::AppendDone`]).
    AppendMessage {
        /// The APPEND's tag.
        tag: String,
        /// The message's flags, date and size (and the folder, first).
        head: Box<AppendHead>,
        /// Bytes of the buffer up to the literal's data.
        consumed: usize,
    },
    /// The streamed APPEND ended (its final CRLF): drop `consumed` bytes
    /// and send the tagged reply.
    AppendDone {
        /// The APPEND's tag.
        tag: String,
        /// Bytes to drop.
        consumed: usize,
    },
    /// A command that is refused: send the `BAD` (tagged when the tag was
    /// readable), drop `consumed` bytes; when `error.fatal`, send `BYE`
    /// and close instead.
    Error {
        /// Why.
        error: ParseError,
        /// Bytes of the buffer to drop.
        consumed: usize,
    },
}

/// The incremental command reader: one per connection.
#[derive(Debug, Clone)]
pub struct CommandReader {
    /// The limits in force.
    pub limits: Limits,
    /// UTF8=ACCEPT or IMAP4rev2 is enabled: names and quoted strings are
    /// UTF-8. The session sets it after ENABLE.
    pub utf8: bool,
    /// LITERAL+ is advertised (otherwise LITERAL-: non-synchronizing
    /// literals up to 4096 bytes only, RFC 7888 section 4).
    pub literal_plus: bool,
    /// Where the next line segment of the current command starts.
    scan: usize,
    /// Start offset of the literal a continuation was already sent for.
    acked: Option<usize>,
    /// Bytes of the current segment already searched for CRLF (so a
    /// client sending a byte at a time costs linear time, not quadratic).
    searched: usize,
    /// Hand APPEND message literals to the session instead of buffering
    /// them ([`Outcome::AppendMessage`]).
    pub stream_append: bool,
    /// The tag of the APPEND being streamed, and whether its last
    /// message was `UTF8 (...)` (a `)` follows its data).
    appending: Option<(String, bool)>,
}

/// RFC 7888: the largest non-synchronizing literal under LITERAL-.
pub const LITERAL_MINUS_MAX: u64 = 4096;

impl CommandReader {
    /// A reader with these limits.
    pub fn new(limits: Limits) -> Self {
        CommandReader {
            limits,
            utf8: false,
            literal_plus: true,
            scan: 0,
            acked: None,
            searched: 0,
            stream_append: false,
            appending: None,
        }
    }

    fn reset(&mut self) {
        self.searched = 0;
        self.scan = 0;
        self.acked = None;
    }

    /// Frames and parses the next command at the start of `buf`. The
    /// buffer must hold the same bytes between calls until a
    /// `Command` or `Error` outcome says how many to drop (more may be
    /// appended).
    pub fn next(&mut self, buf: &[u8]) -> Outcome {
        if let Some((tag, close)) = self.appending.clone() {
            let Some(out) =
                stream::after_message(buf, &tag, self.utf8, self.limits.max_line, close)
            else {
                return Outcome::NeedMore;
            };
            self.appending = None;
            return match out {
                Outcome::AppendMessage { head, consumed, .. }
                    if head.size > self.limits.max_append =>
                {
                    Outcome::Error {
                        error: ParseError {
                            tag: Some(tag),
                            code: ErrorCode::TooBig,
                            text: "message too large".into(),
                            fatal: !head.sync,
                        },
                        consumed,
                    }
                }
                Outcome::AppendMessage {
                    tag,
                    head,
                    consumed,
                } => {
                    self.appending = Some((tag.clone(), head.utf8));
                    Outcome::AppendMessage {
                        tag,
                        head,
                        consumed,
                    }
                }
                other => other,
            };
        }
        loop {
            let seg = buf.get(self.scan..).unwrap_or_default();
            let window = &seg[..seg.len().min(self.limits.max_line)];
            // Resume one byte back: a CR may have ended the last search.
            let from = self.searched.saturating_sub(1).min(window.len());
            let found = window[from..].windows(2).position(|w| w == b"\r\n");
            let Some(lf) = found.map(|i| i + from) else {
                self.searched = window.len();
                if seg.len() >= self.limits.max_line {
                    return self.fail(
                        buf,
                        ErrorCode::TooBig,
                        "command line too long",
                        true,
                        buf.len(),
                    );
                }
                return Outcome::NeedMore;
            };
            let line_end = self.scan + lf + 2;
            let line = &seg[..lf];
            let Some((size, sync)) = literal_at_end(line) else {
                return self.finish(buf, line_end);
            };
            let size = match size {
                Some(s) => s,
                None => {
                    return self.fail(
                        buf,
                        ErrorCode::TooBig,
                        "literal size too large",
                        !sync,
                        line_end,
                    );
                }
            };
            let max = if is_append(buf) {
                self.limits.max_append
            } else {
                self.limits.max_literal
            };
            if !sync && !self.literal_plus && size > LITERAL_MINUS_MAX {
                return self.fail(
                    buf,
                    ErrorCode::TooBig,
                    "non-synchronizing literal over 4096 bytes (LITERAL-)",
                    true,
                    line_end,
                );
            }
            if size > max || (line_end as u64).saturating_add(size) > self.limits.max_command {
                // A refused synchronizing literal never comes: the command
                // ends at this line. A non-synchronizing one is on its way.
                return self.fail(buf, ErrorCode::TooBig, "literal too large", !sync, line_end);
            }
            let streamed = (self.stream_append && is_append(buf))
                .then(|| stream::first_head(&buf[..line_end], self.utf8))
                .flatten();
            if let Some((tag, head)) = streamed {
                self.reset();
                self.appending = Some((tag.clone(), head.utf8));
                return Outcome::AppendMessage {
                    tag,
                    head: Box::new(head),
                    consumed: line_end,
                };
            }
            let data_end = line_end + size as usize;
            if buf.len() < data_end {
                if sync && self.acked != Some(line_end) {
                    self.acked = Some(line_end);
                    return Outcome::Continue { size };
                }
                return Outcome::NeedMore;
            }
            self.scan = data_end;
            self.searched = 0;
        }
    }

    fn finish(&mut self, buf: &[u8], end: usize) -> Outcome {
        self.reset();
        let frame = &buf[..end];
        match parse_command(frame, &self.limits, self.utf8) {
            Ok(command) => Outcome::Command {
                command: Box::new(command),
                consumed: end,
            },
            Err(error) => Outcome::Error {
                error,
                consumed: end,
            },
        }
    }

    fn fail(
        &mut self,
        buf: &[u8],
        code: ErrorCode,
        text: &str,
        fatal: bool,
        consumed: usize,
    ) -> Outcome {
        self.reset();
        Outcome::Error {
            error: ParseError {
                tag: read_tag(buf),
                code,
                text: text.into(),
                fatal,
            },
            consumed,
        }
    }
}

/// A `{n}`, `{n+}`, `{n-}` (or `~{...}`) ending a line: `(size, sync)`,
/// size `None` when it does not fit in 63 bits.
fn literal_at_end(line: &[u8]) -> Option<(Option<u64>, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let mut digits = &inner[open + 1..];
    let mut sync = true;
    if let Some(d) = digits
        .strip_suffix(b"+")
        .or_else(|| digits.strip_suffix(b"-"))
    {
        digits = d;
        sync = false;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(v) if v <= i64::MAX as u64 => n = v,
            _ => return Some((None, sync)),
        }
    }
    Some((Some(n), sync))
}

/// Whether a line ends in a literal head (its data follows).
pub(super) fn literal_follows(line: &[u8]) -> bool {
    literal_at_end(line).is_some()
}

/// The tag at the start of a command, when it is a valid `tag`.
pub fn read_tag(buf: &[u8]) -> Option<String> {
    let end = buf.iter().position(|&b| b == b' ' || b == b'\r')?;
    let tag = &buf[..end];
    (!tag.is_empty()
        && tag
            .iter()
            .all(|&b| super::cursor::is_astring_char(b) && b != b'+'))
    .then(|| String::from_utf8_lossy(tag).into_owned())
}

/// Whether the command being framed is APPEND (its literals fall under
/// APPENDLIMIT rather than the ordinary literal limit).
fn is_append(buf: &[u8]) -> bool {
    // Only the first line counts: bytes beyond it may not have arrived.
    let line = buf
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let mut words = line.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    words
        .next()
        .is_some_and(|v| v.eq_ignore_ascii_case(b"APPEND"))
}

/// One line of a continuation response (AUTHENTICATE's client responses,
/// IDLE's `DONE`): `Ok(Some((line without CRLF, consumed)))`, `Ok(None)`
/// while it is incomplete, or an error when it exceeds `max` bytes.
pub fn read_line(buf: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, ParseError> {
    let window = &buf[..buf.len().min(max)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some((&buf[..i], i + 2))),
        None if buf.len() >= max => Err(ParseError {
            tag: None,
            code: ErrorCode::TooBig,
            text: "line too long".into(),
            fatal: true,
        }),
        None => Ok(None),
    }
}

/// Whether a line ends IDLE (`DONE`, case-insensitive, RFC 2177).
pub fn is_done(line: &[u8]) -> bool {
    line.eq_ignore_ascii_case(b"DONE")
}
