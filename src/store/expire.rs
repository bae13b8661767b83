//! The message bouncer's work on one account: which of its messages are
//! past their time, which of those go back to their senders, and their
//! removal (the account's reference only: a shared message file goes
//! with its last reference).
//!
//! A message was retrieved when its message list entry has `SEEN` (POP3
//! RETR, TOP of the whole message, the web) or, in a MessageStore
//! account's INBOX, when it has `\Seen`. Only INBOX of a MessageStore
//! account expires: what the user filed elsewhere stays.

use std::time::Duration;

use popstore_formats::folder::SystemFlags;
use popstore_formats::msglist::EntryFlags;
use popstore_platform::LockMode;
use serde::Serialize;

use super::account::{Profile, StoreType};
use super::engine::Store;
use super::error::{Result, StoreError};
use super::folder_name::FolderName;
use super::messages::MessageView;
use super::name::AccountName;

/// What happens to an expired message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Returned to its sender (then removed).
    Return,
    /// Removed without a notice.
    Delete,
}

/// Why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Never retrieved.
    Unread,
    /// Retrieved (or marked deleted) by the user.
    Read,
    /// Unread, but its sender is null or it is itself a report: no notice.
    NoReturn,
}

/// One expired message of one account.
#[derive(Debug, Clone, Serialize)]
pub struct Expired {
    /// The account.
    pub account: String,
    /// Where: `UIDL` of the message list, or `INBOX UID`.
    pub message: String,
    /// The envelope sender.
    pub sender: String,
    /// When it was delivered (Unix seconds).
    pub delivered: i64,
    /// What was (or, dry run, would be) done.
    pub action: Action,
    /// Why.
    pub reason: Reason,
    /// The relay's refusal: the message was kept, for the next pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Sends the notice for one message (the caller builds it and relays it).
pub type Returner<'a> =
    dyn FnMut(&AccountName, &MessageView) -> std::result::Result<(), String> + 'a;

impl Store {
    /// Expires the messages of account `p` delivered `after` seconds or
    /// more before `now`. Unread ones are handed to `send` first (and kept
    /// when it fails); with `dry_run` nothing is sent or removed. An
    /// account in a POP3 session is skipped ([`StoreError::InUse`]).
    pub fn expire_account(
        &self,
        p: &Profile,
        after: i64,
        now: i64,
        dry_run: bool,
        send: &mut Returner<'_>,
    ) -> Result<Vec<Expired>> {
        let name = self.name(&p.name)?;
        let _session = self
            .fs
            .lock(
                &self.paths.session_lock(&name),
                LockMode::Exclusive,
                Duration::ZERO,
            )
            .map_err(|_| StoreError::InUse(name.to_string()))?;
        let cutoff = now - after;
        let mut out = Vec::new();
        // The message list (a MessageStore account's may still hold mail
        // from before it had folders).
        let mut gone: Vec<String> = Vec::new();
        for e in self.read_list(&name)?.entries {
            let read = e.flags.contains(EntryFlags::SEEN) || e.flags.contains(EntryFlags::DELETED);
            if let Some(d) = e.delivered
                && d > cutoff
            {
                continue;
            }
            let v = self.open_message(e.message)?;
            let delivered = e.delivered.unwrap_or(v.header.created);
            if delivered > cutoff {
                continue;
            }
            let x = self.decide(&name, &v, read, dry_run, send, e.uidl.clone(), delivered);
            if x.error.is_none() {
                gone.push(e.uidl.clone());
            }
            out.push(x);
        }
        if !dry_run && !gone.is_empty() {
            self.remove_messages(&name, |e| gone.contains(&e.uidl))?;
        }
        if p.store_type == StoreType::Imap {
            out.extend(self.expire_inbox(&name, cutoff, dry_run, send)?);
        }
        Ok(out)
    }

    fn expire_inbox(
        &self,
        name: &AccountName,
        cutoff: i64,
        dry_run: bool,
        send: &mut Returner<'_>,
    ) -> Result<Vec<Expired>> {
        let mut f = self.open_folder(name, &FolderName::inbox())?;
        let due: Vec<_> = f
            .entries()
            .iter()
            .filter(|e| e.internal_date <= cutoff)
            .cloned()
            .collect();
        let mut out = Vec::new();
        let mut uids = Vec::new();
        for e in due {
            let read =
                e.flags.contains(SystemFlags::SEEN) || e.flags.contains(SystemFlags::DELETED);
            let v = self.open_message(e.message)?;
            let x = self.decide(
                name,
                &v,
                read,
                dry_run,
                send,
                format!("INBOX {}", e.uid),
                e.internal_date,
            );
            if x.error.is_none() {
                uids.push(e.uid);
            }
            out.push(x);
        }
        if !dry_run && !uids.is_empty() {
            self.expunge_uids(&mut f, &uids, false)?;
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        name: &AccountName,
        v: &MessageView,
        read: bool,
        dry_run: bool,
        send: &mut Returner<'_>,
        message: String,
        delivered: i64,
    ) -> Expired {
        let sender = v.header.env_from.clone();
        let (action, reason) = if read {
            (Action::Delete, Reason::Read)
        } else if crate::dsn::must_not_return(&sender, v.body()) {
            (Action::Delete, Reason::NoReturn)
        } else {
            (Action::Return, Reason::Unread)
        };
        let error = if action == Action::Return && !dry_run {
            send(name, v).err()
        } else {
            None
        };
        Expired {
            account: name.to_string(),
            message,
            sender,
            delivered,
            action,
            reason,
            error,
        }
    }
}
