//! The IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) server of the
//! MessageStore.
//!
//! - [`session`]: the state machine without sockets, on the store's
//!   folder engine (see its module documentation);
//! - [`server`]: the tokio glue (listeners, slots, deadlines, STARTTLS,
//!   IMAPS, IDLE polling, autologout), [`conn`] its byte stream and
//!   [`deflate`] COMPRESS=DEFLATE; [`settings`] is `[imap]`.
//!
//! The protocol foundation below them, without sockets or session state:
//!
//! - [`parse`]: [`parse::CommandReader`] frames commands out of a byte
//!   buffer as they arrive (continuation requests for synchronizing
//!   literals, limits enforced before any grammar rule runs) and parses
//!   them into [`parse::Command`]s. Never panics; every error is a
//!   [`parse::ParseError`] that maps to a `BAD` (tagged when the tag was
//!   readable) with `[LIMIT]`/`[TOOBIG]` where it applies.
//! - [`write`](mod@write): byte-exact responses: status responses with every
//!   response code, and the untagged data (FETCH, LIST, STATUS, ESEARCH,
//!   VANISHED, QUOTA, ACL, NAMESPACE, ENABLED, ID...), mailbox names in
//!   modified UTF-7 or UTF-8 as the session says.
//! - [`types`]: sequence sets, flags, mailbox arguments, dates, sections.
//!
//! # What the session (built on top) must do
//! - Keep one [`parse::CommandReader`] per connection with limits from
//!   settings (`max_append` is APPENDLIMIT); feed it the unconsumed input
//!   and act on its [`parse::Outcome`]: read more, send `+ Ready` for a
//!   synchronizing literal, run a command and drop its bytes, or send the
//!   `BAD` (and `BYE` and close when the error is fatal).
//! - Set `reader.utf8` after `ENABLE UTF8=ACCEPT` or `ENABLE IMAP4rev2`,
//!   and `reader.literal_plus` to match what CAPABILITY advertises.
//! - Check each command is valid in its state (RFC 9051 section 3); the
//!   parser accepts every command in every state.
//! - Convert [`types::MailboxArg`] with [`types::MailboxArg::folder_name`]
//!   (an invalid name is `NO [CANNOT]` or `BAD`), resolve `*` and `$` in
//!   sequence sets against the selected folder, expand fetch macros.
//! - During AUTHENTICATE and IDLE, read single lines with
//!   [`parse::read_line`]; IDLE ends on [`parse::is_done`].
//! - After STARTTLS (and COMPRESS), drop whatever is left in the input
//!   buffer before the switch: pipelined plaintext bytes are discarded.
//! - Turn on `reader.stream_append` so APPEND message literals are not
//!   buffered: on [`parse::Outcome::AppendMessage`] send `+ Ready` when
//!   the literal is synchronizing, copy `head.size` bytes from the
//!   connection to the store, and call `next` again; the command ends with
//!   [`parse::Outcome::AppendDone`] (or an error: discard what was
//!   appended for that command, RFC 3502 atomicity). Without it, APPEND
//!   arrives as one [`parse::CommandBody::Append`] held in memory (up to
//!   `max_append` per literal).

pub mod conn;
pub mod deflate;
pub mod parse;
pub mod search;
pub mod server;
pub mod session;
pub mod settings;
pub mod types;
pub mod watch;
pub mod write;

pub use settings::ImapSettings;
