//! A MessageStore account's folders other than INBOX over the web: a page
//! of a folder's messages, one message (flagged `\Seen`, as IMAP FETCH
//! does), deletion (`\Deleted` and an expunge of that UID). Messages are
//! named by their UID. INBOX goes through the maildrop, as POP3 sees it
//! ([`super::mail`]).

use std::sync::Arc;

use popstore_formats::folder::SystemFlags;

use super::mail::{MessagePage, MessageSummary};
use crate::store::folder_name::FolderName;
use crate::store::folders::FlagOp;
use crate::store::{Result, Store, StoreError};

/// True for a folder name the maildrop serves (INBOX).
pub fn is_inbox(folder: &str) -> bool {
    folder.is_empty() || folder.eq_ignore_ascii_case("INBOX")
}

fn open(store: &Store, account: &str, folder: &str) -> Result<crate::store::Folder> {
    let name = store.name(account)?;
    store.open_folder(&name, &FolderName::new(folder)?)
}

fn uid(id: &str) -> Result<u32> {
    id.parse()
        .map_err(|_| StoreError::Invalid(format!("no message {id}")))
}

/// A page of `folder`'s messages, newest first.
pub fn list(
    store: &Arc<Store>,
    account: &str,
    folder: &str,
    offset: usize,
    limit: usize,
) -> Result<MessagePage> {
    let f = open(store, account, folder)?;
    let all: Vec<_> = f.messages().collect();
    let mut messages = Vec::new();
    for m in all.iter().rev().skip(offset).take(limit) {
        let body = store.open_body(m.message)?;
        let h = super::mail::head_fields(body.body());
        messages.push(MessageSummary {
            id: m.uid.to_string(),
            size: m.size,
            delivered: Some(m.internal_date),
            date: if h.0.is_empty() {
                super::mail::utc(m.internal_date)
            } else {
                h.0
            },
            from: h.1,
            subject: h.2,
            seen: m.flags.contains(SystemFlags::SEEN),
        });
    }
    let total = all.len();
    Ok(MessagePage {
        messages,
        total,
        next_offset: (offset + limit < total).then_some(offset + limit),
    })
}

/// Message `id` (a UID) of `folder`, flagged `\Seen`.
pub fn fetch(store: &Arc<Store>, account: &str, folder: &str, id: &str) -> Result<Vec<u8>> {
    let mut f = open(store, account, folder)?;
    let uid = uid(id)?;
    let (_, m) = f
        .by_uid(uid)
        .ok_or_else(|| StoreError::Invalid(format!("no message {id}")))?;
    let bytes = store.open_body(m.message)?.body().to_vec();
    store.store_flags(&mut f, &[uid], FlagOp::Add, SystemFlags::SEEN, &[], None)?;
    Ok(bytes)
}

/// Deletes message `id` (a UID) of `folder`.
pub fn delete(store: &Arc<Store>, account: &str, folder: &str, id: &str) -> Result<()> {
    let mut f = open(store, account, folder)?;
    let uid = uid(id)?;
    if f.by_uid(uid).is_none() {
        return Err(StoreError::Invalid(format!("no message {id}")));
    }
    store.store_flags(&mut f, &[uid], FlagOp::Add, SystemFlags::DELETED, &[], None)?;
    store.expunge(&mut f, Some(&[uid]))?;
    Ok(())
}
