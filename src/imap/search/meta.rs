//! What SORT and THREAD read of each message: dates, sizes, the base
//! subject, the first addresses, and the thread identifiers.

use crate::mime::address::{self, Address};
use crate::store::Store;

use super::SearchError;
use super::date::parse_date;
use super::eval::Msg;
use super::subject::{BaseSubject, base_subject};
use super::text::{casemap, decode_header};

/// One message's sort and thread data.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Sequence number.
    pub seq: u32,
    /// INTERNALDATE.
    pub arrival: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// The Date header's instant, or INTERNALDATE when there is none
    /// that parses (RFC 5256 section 2.2).
    pub sent: i64,
    /// The base subject.
    pub subject: BaseSubject,
    /// The addr-mailbox of the first From, To and Cc address, in
    /// `i;unicode-casemap` form.
    pub from: String,
    /// See `from`.
    pub to: String,
    /// See `from`.
    pub cc: String,
    /// RFC 5957 display forms of the first From and To address, in
    /// `i;unicode-casemap` form.
    pub display_from: String,
    /// See `display_from`.
    pub display_to: String,
    /// The Message-ID (without angle brackets), if valid.
    pub message_id: Option<String>,
    /// References, or else the first In-Reply-To id.
    pub references: Vec<String>,
}

/// The first address of a field as the ENVELOPE lists it (a group's
/// start counts: its name is the mailbox, as Dovecot sorts it).
fn first_address(value: Option<&[u8]>) -> Option<Address> {
    address::parse(value?).into_iter().next()
}

fn mailbox_key(a: &Option<Address>) -> String {
    a.as_ref()
        .and_then(|a| a.mailbox.as_ref())
        .map(|m| casemap(&String::from_utf8_lossy(m)))
        .unwrap_or_default()
}

fn display_key(a: &Option<Address>) -> String {
    let Some(a) = a else {
        return String::new();
    };
    if let Some(n) = a.name.as_ref().filter(|n| !n.is_empty()) {
        return casemap(&decode_header(n));
    }
    let mut s = String::from_utf8_lossy(a.mailbox.as_deref().unwrap_or(b"")).into_owned();
    if let Some(d) = &a.domain {
        s.push('@');
        s.push_str(&String::from_utf8_lossy(d));
    }
    casemap(&s)
}

/// The `msg-id`s (`<left@right>`) in a header value, comments skipped,
/// without their brackets; ids without `@` or with white space inside
/// are skipped as invalid.
pub fn message_ids(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0u32;
    while i < value.len() {
        match value[i] {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b'<' if depth == 0 => {
                let Some(end) = value[i + 1..].iter().position(|&b| b == b'>') else {
                    break;
                };
                let id = &value[i + 1..i + 1 + end];
                if id.contains(&b'@') && !id.iter().any(|b| b.is_ascii_whitespace() || *b == b'<') {
                    out.push(String::from_utf8_lossy(id).into_owned());
                }
                i += end + 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// What of the message to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Only the folder view's data (ARRIVAL, SIZE).
    View,
    /// The header too.
    Header,
}

/// Reads a message's meta data.
pub fn read(store: &Store, m: &Msg<'_>, need: Need) -> Result<Meta, SearchError> {
    let mut meta = Meta {
        seq: m.seq,
        arrival: m.entry.internal_date,
        size: m.entry.size,
        sent: m.entry.internal_date,
        ..Meta::default()
    };
    if need == Need::View {
        return Ok(meta);
    }
    let Some(l) = m.loaded(store)? else {
        return Ok(meta);
    };
    if let Some(d) = l.first("Date").and_then(parse_date) {
        meta.sent = d.unix;
    }
    meta.subject = base_subject(l.first("Subject").unwrap_or(b""));
    let from = first_address(l.first("From"));
    let to = first_address(l.first("To"));
    meta.from = mailbox_key(&from);
    meta.to = mailbox_key(&to);
    meta.cc = mailbox_key(&first_address(l.first("Cc")));
    meta.display_from = display_key(&from);
    meta.display_to = display_key(&to);
    meta.message_id = l
        .first("Message-ID")
        .and_then(|v| message_ids(v).into_iter().next());
    meta.references = l.first("References").map(message_ids).unwrap_or_default();
    if meta.references.is_empty() {
        meta.references = l
            .first("In-Reply-To")
            .and_then(|v| message_ids(v).into_iter().next())
            .into_iter()
            .collect();
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(
            message_ids(b"<a@b> (c <x@y>)\r\n <c@d> <bad> <sp ace@x>"),
            ["a@b", "c@d"]
        );
        assert!(message_ids(b"").is_empty());
        assert_eq!(message_ids(b"<a@b"), Vec::<String>::new());
    }

    #[test]
    fn address_keys() {
        let a = first_address(Some(b"\"Zed\" <alice@example.org>, bob@x"));
        assert_eq!(mailbox_key(&a), "ALICE");
        assert_eq!(display_key(&a), "ZED");
        let a = first_address(Some(b"alice@example.org"));
        assert_eq!(display_key(&a), "ALICE@EXAMPLE.ORG");
        let a = first_address(Some(b"=?utf-8?Q?=C3=A9mile?= <e@x>"));
        assert_eq!(display_key(&a), "E\u{301}MILE");
        assert_eq!(mailbox_key(&None), "");
    }
}
