//! A user's own messages over the web: a page of the list, one message
//! (marked seen, as POP3 and IMAP do), deletion. Each call opens the
//! maildrop as a POP3 session would (refused while one is open) and
//! commits at once. Messages are named by their UIDL.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::Store;
use crate::store::{Result, StoreError};

/// A message of the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageSummary {
    /// The message's id (its UIDL).
    pub id: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was delivered (seconds since 1970).
    pub delivered: Option<i64>,
    /// The `Date` field.
    pub date: String,
    /// The `From` field, decoded.
    pub from: String,
    /// The `Subject` field, decoded.
    pub subject: String,
    /// It has been read.
    pub seen: bool,
}

/// A page of the list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    /// The messages.
    pub messages: Vec<MessageSummary>,
    /// All messages held.
    pub total: usize,
    /// The offset of the next page; `null` on the last.
    pub next_offset: Option<usize>,
}

fn head(raw: &[u8]) -> crate::sieve::Message {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .map_or(raw.len(), |e| e + 2);
    crate::sieve::Message::parse(&raw[..end], "", "")
}

fn first(m: &crate::sieve::Message, name: &str) -> String {
    m.header(name).into_iter().next().unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM UTC` of a time in seconds since 1970.
pub fn utc(t: i64) -> String {
    let (y, m, d) = crate::imap::types::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60
    )
}

/// The Date (or nothing), From and Subject of a message, decoded.
pub fn head_fields(raw: &[u8]) -> (String, String, String) {
    let h = head(raw);
    (first(&h, "date"), first(&h, "from"), first(&h, "subject"))
}

/// A page of `account`'s messages, newest first.
pub fn list(store: &Arc<Store>, account: &str, offset: usize, limit: usize) -> Result<MessagePage> {
    let name = store.name(account)?;
    let drop = store.open_maildrop(&name)?;
    let n = drop.entries().len();
    let mut messages = Vec::new();
    for i in (0..n).rev().skip(offset).take(limit) {
        let e = &drop.entries()[i];
        let Some(body) = drop.peek(i)? else { continue };
        let h = head(body.body());
        messages.push(MessageSummary {
            id: e.uidl.clone(),
            size: e.size,
            delivered: e.delivered,
            date: match first(&h, "date") {
                d if d.is_empty() => e.delivered.map(utc).unwrap_or_default(),
                d => d,
            },
            from: first(&h, "from"),
            subject: first(&h, "subject"),
            seen: e
                .flags
                .contains(popstore_formats::msglist::EntryFlags::SEEN),
        });
    }
    drop.abandon()?;
    Ok(MessagePage {
        messages,
        total: n,
        next_offset: (offset + limit < n).then_some(offset + limit),
    })
}

/// The whole message `id` of `account`, marked seen.
pub fn fetch(store: &Arc<Store>, account: &str, id: &str) -> Result<Vec<u8>> {
    let name = store.name(account)?;
    let mut drop = store.open_maildrop(&name)?;
    let i = drop
        .entries()
        .iter()
        .position(|e| e.uidl == id)
        .ok_or_else(|| StoreError::Invalid(format!("no message {id}")))?;
    let bytes = drop
        .message(i)?
        .map(|b| b.body().to_vec())
        .ok_or_else(|| StoreError::Invalid(format!("no message {id}")))?;
    drop.commit()?;
    Ok(bytes)
}

/// Deletes message `id` of `account`.
pub fn delete(store: &Arc<Store>, account: &str, id: &str) -> Result<()> {
    let name = store.name(account)?;
    let mut drop = store.open_maildrop(&name)?;
    let i = drop
        .entries()
        .iter()
        .position(|e| e.uidl == id)
        .ok_or_else(|| StoreError::Invalid(format!("no message {id}")))?;
    drop.mark_deleted(i);
    drop.commit()
}

/// A part the view page offers as a download.
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    /// Its number in [`crate::web::parts::leaves`].
    pub index: usize,
    /// Its declared type.
    pub content_type: String,
    /// The name it is saved under.
    pub name: String,
    /// Its size in bytes (decoded).
    pub size: usize,
}

/// A message as the view page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    /// From, To, Date, Subject (decoded).
    pub headers: Vec<(String, String)>,
    /// Text parts, as text.
    pub texts: Vec<String>,
    /// HTML parts, sanitised (no script, no remote content).
    pub htmls: Vec<String>,
    /// The other parts, to download.
    pub downloads: Vec<Download>,
}

/// Splits a message into what the view page shows.
pub fn render(raw: &[u8]) -> Rendered {
    let (fields, _) = crate::sieve::util::split_head(raw);
    let headers = ["From", "To", "Cc", "Date", "Subject"]
        .iter()
        .filter_map(|h| {
            fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(h))
                .map(|f| {
                    (
                        h.to_string(),
                        crate::sieve::util::decode_words(f.raw.trim_end()),
                    )
                })
        })
        .collect();
    let (mut texts, mut htmls, mut downloads) = (Vec::new(), Vec::new(), Vec::new());
    for (index, p) in crate::web::parts::leaves(raw).into_iter().enumerate() {
        if p.inline() {
            let text = crate::sieve::util::to_text(&p.data, &p.charset);
            if p.content_type == "text/html" {
                htmls.push(sanitise(&text));
            } else {
                texts.push(text);
            }
        } else {
            downloads.push(Download {
                index,
                name: p.download_name(index),
                size: p.data.len(),
                content_type: p.content_type,
            });
        }
    }
    Rendered {
        headers,
        texts,
        htmls,
        downloads,
    }
}

/// HTML from a message, made safe to show: ammonia's allow-list, links
/// opened without referrer, no images or styles from elsewhere.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .rm_tags(&["img"])
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_loses_its_script() {
        let s = sanitise("<p onclick=\"x()\">hi<script>alert(1)</script><img src=http://x/></p>");
        assert_eq!(s, "<p>hi</p>");
        let r = render(b"Subject: <script>x</script>\r\nContent-Type: text/plain\r\n\r\nbody\r\n");
        assert_eq!(r.headers[0].1, "<script>x</script>");
        assert_eq!(r.texts, vec!["body\r\n".to_string()]);
        assert!(r.downloads.is_empty());
    }
}
