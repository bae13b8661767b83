//! Which commands the glue may run on its async thread.
//!
//! Handing a command to the blocking pool costs two thread wake-ups and a
//! few futex calls, more than the command itself when it is a FETCH of one
//! message whose pages are in memory: at one connection that hand-off was
//! most of the time per message. So commands that only read the selected
//! folder (refreshing it is one read of its journal) and a few messages run
//! where the bytes arrived, as POP3's transaction commands do; everything
//! that may write (and sync), check a password, open a folder or walk many
//! messages still goes to the blocking pool.

use popstore_formats::folder::SystemFlags;

use super::{Mode, Outcome, Response, Session};
use crate::imap::parse::{CommandBody, FetchAttr, FetchItems};
use crate::imap::types::SeqSet;

/// At most this many messages in a FETCH that runs inline.
const INLINE_FETCH_MAX: u64 = 32;

/// What [`Session::input_inline`] did.
#[derive(Debug)]
pub enum Inline {
    /// The answer (`None`: more bytes are needed first).
    Done(Option<Response>),
    /// The next step may block: call [`Session::input`] on the blocking
    /// pool with the same buffer.
    Blocking,
}

impl Session {
    /// Like [`Session::input`], but only when the next step cannot block
    /// (see the module's note); otherwise nothing is consumed and the
    /// caller runs [`Session::input`] on the blocking pool with `buf`
    /// unchanged.
    pub fn input_inline(&mut self, buf: &mut Vec<u8>) -> Inline {
        if self.logged_out || self.pending.is_some() || !matches!(self.mode, Mode::Command) {
            return Inline::Blocking;
        }
        match self.reader.next(buf) {
            Outcome::Command { command, consumed } if self.runs_inline(&command.body) => {
                buf.drain(..consumed);
                Inline::Done(Some(self.command(&command.tag, command.body)))
            }
            Outcome::NeedMore => Inline::Done(None),
            // Kept for `input`, which takes it before reading on.
            other => {
                self.pending = Some(other);
                Inline::Blocking
            }
        }
    }

    fn runs_inline(&self, body: &CommandBody) -> bool {
        use CommandBody as C;
        match body {
            C::Capability | C::Noop | C::Check | C::Id(_) => true,
            C::Fetch {
                uid, set, items, ..
            } => self.small_fetch(*uid, set, items),
            _ => false,
        }
    }

    /// A FETCH of a few messages that sets no flag.
    fn small_fetch(&self, uid: bool, set: &SeqSet, items: &FetchItems) -> bool {
        let Some(sel) = &self.selected else {
            // Answered BAD at once.
            return true;
        };
        let sets_seen = match items {
            FetchItems::Macro(_) => false,
            FetchItems::Attrs(a) => a.iter().any(|a| {
                matches!(
                    a,
                    FetchAttr::BodySection { peek: false, .. }
                        | FetchAttr::Binary { peek: false, .. }
                        | FetchAttr::Rfc822
                        | FetchAttr::Rfc822Text
                )
            }),
        };
        if sets_seen && !sel.read_only && sel.may.bits.contains(SystemFlags::SEEN) {
            return false;
        }
        sel.count_at_most(set, uid, INLINE_FETCH_MAX)
    }
}
