//! Delivery semantics: turns a run's [`Outcome`] into a [`Plan`] the
//! delivery channel carries out (store, forward, refuse, reply). Only the
//! wiring is left to the channel: storing is the store's job, sending is
//! the SMTP relay's, refusing is LMTP's reply.
//!
//! Rules: a runtime error falls back to the implicit keep (RFC 5228
//! 2.10.6); `keep` and the implicit keep store into INBOX; `fileinto`
//! stores into a MessageStore folder, or into the single maildrop of a
//! popstore account; `redirect` forwards with loop protection; `reject`
//! and `ereject` refuse with `550 5.7.1` at delivery time (RFC 5429);
//! `vacation` replies under RFC 3834 and RFC 5230 rules, tracked per user.

use super::action::{Action, Outcome};
use super::error::RuntimeError;
use super::message::Message;
use super::vacation::{self, Outgoing, ResponseTracker, Suppressed, User};
use crate::delivery::Refusal;

/// The header a redirect adds, naming the recipient that redirected; a
/// message that already carries it for the same recipient is not
/// redirected again (loop protection).
pub const REDIRECT_HEADER: &str = "X-Popstore-Redirected-By";

/// Most `Received` fields a message may carry and still be redirected.
pub const MAX_RECEIVED: usize = 30;

/// What kind of account the recipient has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A popstore account: one maildrop, `fileinto` lands there.
    Popstore,
    /// A MessageStore account: folders.
    MessageStore,
}

/// Where a copy is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folder {
    /// The INBOX (or the popstore maildrop).
    Inbox,
    /// A named MessageStore folder.
    Named(String),
}

/// One copy to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The folder.
    pub folder: Folder,
    /// IMAP flags to set on it.
    pub flags: Vec<String>,
    /// Create the folder when missing (`:create`, RFC 5490).
    pub create: bool,
}

/// One forward through the SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The new recipient.
    pub to: String,
    /// The envelope sender to use (the original one, RFC 5228 4.2).
    pub mail_from: String,
    /// A header line (with CRLF) to prepend to the message.
    pub prepend: String,
}

/// What the channel does with the message for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Copies to store (none: the message is not stored).
    pub stores: Vec<Store>,
    /// Forwards.
    pub forwards: Vec<Forward>,
    /// Refuse the message: LMTP answers this for the recipient
    /// (`550 5.7.1 reason`) and nothing is stored.
    pub refusal: Option<Refusal>,
    /// Messages to send (vacation replies).
    pub replies: Vec<Outgoing>,
    /// What happened, for the log (runtime errors, suppressed replies,
    /// dropped redirects).
    pub notes: Vec<String>,
}

/// Everything the planner needs besides the outcome.
pub struct Input<'a> {
    /// The message with its envelope.
    pub msg: &'a Message,
    /// The recipient and their addresses.
    pub user: User<'a>,
    /// The account kind.
    pub kind: AccountKind,
    /// Now (seconds since 1970).
    pub now: i64,
    /// The user's vacation response tracking.
    pub tracker: &'a mut dyn ResponseTracker,
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("user", &self.user)
            .field("kind", &self.kind)
            .finish()
    }
}

fn add_store(stores: &mut Vec<Store>, s: Store) {
    match stores.iter_mut().find(|o| o.folder == s.folder) {
        Some(o) => {
            for f in s.flags {
                if !o.flags.iter().any(|x| x.eq_ignore_ascii_case(&f)) {
                    o.flags.push(f);
                }
            }
            o.create |= s.create;
        }
        None => stores.push(s),
    }
}

/// Whether redirecting this message for `recipient` would loop.
pub fn redirect_loops(msg: &Message, recipient: &str) -> bool {
    msg.header_raw("received").len() > MAX_RECEIVED
        || msg
            .header_raw(REDIRECT_HEADER)
            .iter()
            .chain(msg.header_raw("delivered-to").iter())
            .any(|h| {
                h.trim()
                    .trim_matches(['<', '>'])
                    .eq_ignore_ascii_case(recipient)
            })
}

/// Builds the plan for one recipient.
pub fn plan(result: Result<Outcome, RuntimeError>, input: Input<'_>) -> Plan {
    let mut p = Plan::default();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            p.notes
                .push(format!("sieve runtime error: {e}; implicit keep"));
            p.stores.push(Store {
                folder: Folder::Inbox,
                flags: Vec::new(),
                create: false,
            });
            return p;
        }
    };
    let folder = |name: &str| match input.kind {
        AccountKind::Popstore => Folder::Inbox,
        AccountKind::MessageStore if name.eq_ignore_ascii_case("INBOX") => Folder::Inbox,
        AccountKind::MessageStore => Folder::Named(name.to_string()),
    };
    let mut keep_fallback = false;
    for a in outcome.all() {
        match a {
            Action::Keep { flags, .. } => add_store(
                &mut p.stores,
                Store {
                    folder: Folder::Inbox,
                    flags,
                    create: false,
                },
            ),
            Action::Fileinto {
                mailbox,
                flags,
                create,
                ..
            } => add_store(
                &mut p.stores,
                Store {
                    folder: folder(&mailbox),
                    flags,
                    create,
                },
            ),
            Action::Discard => p.notes.push("discarded by sieve".into()),
            Action::Redirect { address, copy } => {
                if redirect_loops(input.msg, input.user.recipient) {
                    p.notes
                        .push(format!("redirect to {address} dropped: mail loop"));
                    keep_fallback |= !copy;
                } else {
                    p.forwards.push(Forward {
                        to: address,
                        mail_from: input.msg.env_from.clone(),
                        prepend: format!("{REDIRECT_HEADER}: <{}>\r\n", input.user.recipient),
                    });
                }
            }
            Action::Reject { reason } | Action::Ereject { reason } => {
                let text: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
                p.refusal = Some(Refusal::new(550, (5, 7, 1), text));
            }
            Action::Vacation(v) => {
                match vacation::decide(&v, input.msg, &input.user, input.now, &mut *input.tracker) {
                    Ok(()) => {
                        p.replies
                            .push(vacation::build(&v, input.msg, &input.user, input.now))
                    }
                    Err(why) => p
                        .notes
                        .push(format!("vacation reply not sent: {}", describe(&why))),
                }
            }
        }
    }
    if keep_fallback && p.stores.is_empty() && p.forwards.is_empty() {
        add_store(
            &mut p.stores,
            Store {
                folder: Folder::Inbox,
                flags: Vec::new(),
                create: false,
            },
        );
    }
    if p.refusal.is_some() {
        p.stores.clear();
    }
    p
}

fn describe(s: &Suppressed) -> &'static str {
    match s {
        Suppressed::NullSender => "null sender",
        Suppressed::OwnAddress => "sender is the user",
        Suppressed::SystemSender => "sender is a list or daemon address",
        Suppressed::AutoSubmitted => "message is auto-submitted",
        Suppressed::Precedence => "bulk/list/junk precedence",
        Suppressed::MailingList => "message is from a mailing list",
        Suppressed::NotAddressed => "user not in To/Cc/Bcc",
        Suppressed::AlreadyReplied => "already replied within the period",
    }
}
