//! The client side of IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with
//! the extensions popstore offers, parsed incrementally from a byte buffer.
//!
//! [`CommandReader::next`] frames one command out of whatever bytes have
//! arrived: it finds the line ends and literals (`{n}`, `{n+}`, `{n-}`,
//! `~{n}`), enforces the line and literal limits *before* any grammar rule
//! runs, and says what the session must do next ([`Outcome`]). Once a
//! command is complete, [`command::parse_command`] reads it with one
//! function per grammar rule.

pub mod command;
pub mod cursor;
mod fetch;
mod framing;
mod mailbox;
#[cfg(test)]
mod roundtrip;
mod search;
mod stream;
#[cfg(test)]
mod tests;

pub use command::{Command, CommandBody, IdField, StoreMode};
pub use fetch::{FetchAttr, FetchItems, FetchMacro, FetchModifiers, Partial};
pub use framing::{CommandReader, LITERAL_MINUS_MAX, Outcome, is_done, read_line, read_tag};
pub use mailbox::{AppendMessage, ListReturn, ListSelect, QResync, SelectParams, StatusItem};
pub use search::{SORT_KEYS, SearchKey, SearchReturn, SortCriterion, SortKey};
pub use stream::AppendHead;

/// Sizes the reader refuses beyond. The session takes them from settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line (one segment between literals), CRLF included.
    pub max_line: usize,
    /// Largest literal in any command but APPEND.
    pub max_literal: u64,
    /// Largest APPEND message literal (APPENDLIMIT).
    pub max_append: u64,
    /// Largest whole command (lines and literals).
    pub max_command: u64,
    /// Deepest parenthesis nesting.
    pub max_depth: usize,
    /// Most terms in one SEARCH program, ranges in a sequence set, or
    /// items in a list.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_literal: 64 * 1024,
            max_append: 64 * 1024 * 1024,
            max_command: 65 * 1024 * 1024,
            max_depth: 100,
            max_items: 10_000,
        }
    }
}

/// The response code a refused command carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Plain syntax error: `BAD`.
    Syntax,
    /// A limit on size or complexity: `BAD [LIMIT]`.
    Limit,
    /// A literal or line over its size limit: `BAD [TOOBIG]`.
    TooBig,
}

/// Why a command is refused: the `BAD` reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The command's tag, when it was readable (otherwise the reply is an
    /// untagged `* BAD`).
    pub tag: Option<String>,
    /// Response code.
    pub code: ErrorCode,
    /// Human text (never holds client bytes beyond the rule's name).
    pub text: String,
    /// The connection cannot continue (the client is sending bytes the
    /// server will not read, such as a refused non-synchronizing
    /// literal): send `BYE` and close.
    pub fatal: bool,
}

impl ParseError {
    /// A syntax error.
    pub fn bad(text: impl Into<String>) -> Self {
        ParseError {
            tag: None,
            code: ErrorCode::Syntax,
            text: text.into(),
            fatal: false,
        }
    }

    /// A complexity limit.
    pub fn limit(text: impl Into<String>) -> Self {
        ParseError {
            code: ErrorCode::Limit,
            ..ParseError::bad(text)
        }
    }
}
