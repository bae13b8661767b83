//! ENVELOPE (RFC 3501 section 7.4.2 / RFC 9051 section 7.5.2): built from a
//! message header and written exactly as Dovecot 2.3 writes it.

use super::address::{self, Address};
use super::header::Fields;
use super::imap_string::{append_nstring_nolf, append_string_for_humans};

/// The envelope fields of one message header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Date, raw.
    pub date: Option<Vec<u8>>,
    /// Subject, raw (encoded words are not decoded).
    pub subject: Option<Vec<u8>>,
    /// From addresses.
    pub from: Vec<Address>,
    /// Sender addresses.
    pub sender: Vec<Address>,
    /// Reply-To addresses.
    pub reply_to: Vec<Address>,
    /// To addresses.
    pub to: Vec<Address>,
    /// Cc addresses.
    pub cc: Vec<Address>,
    /// Bcc addresses.
    pub bcc: Vec<Address>,
    /// In-Reply-To, raw.
    pub in_reply_to: Option<Vec<u8>>,
    /// Message-ID, raw.
    pub message_id: Option<Vec<u8>>,
}

impl Envelope {
    /// Reads the envelope fields of a header. Several address headers of
    /// one kind add up (as if comma-separated); for the other fields the
    /// last one counts.
    pub fn from_fields(fields: &Fields) -> Envelope {
        let mut e = Envelope::default();
        for f in &fields.list {
            let name = f.name.to_ascii_lowercase();
            let list = match name.as_slice() {
                b"date" => {
                    e.date = Some(f.value.clone());
                    continue;
                }
                b"subject" => {
                    e.subject = Some(f.value.clone());
                    continue;
                }
                b"in-reply-to" => {
                    e.in_reply_to = Some(f.value.clone());
                    continue;
                }
                b"message-id" => {
                    e.message_id = Some(f.value.clone());
                    continue;
                }
                b"from" => &mut e.from,
                b"sender" => &mut e.sender,
                b"reply-to" => &mut e.reply_to,
                b"to" => &mut e.to,
                b"cc" => &mut e.cc,
                b"bcc" => &mut e.bcc,
                _ => continue,
            };
            list.extend(address::parse(&f.value));
        }
        e
    }

    /// Writes the parenthesised list's contents (without the outer
    /// parentheses), as in `ENVELOPE (...)`.
    pub fn write(&self, out: &mut Vec<u8>) {
        append_nstring_nolf(out, self.date.as_deref());
        out.push(b' ');
        match &self.subject {
            None => out.extend_from_slice(b"NIL"),
            Some(s) => append_string_for_humans(out, s),
        }
        let or_from = |l: &'_ Vec<Address>| -> Vec<Address> {
            if l.is_empty() {
                self.from.clone()
            } else {
                l.clone()
            }
        };
        for list in [
            &self.from,
            &or_from(&self.sender),
            &or_from(&self.reply_to),
            &self.to,
            &self.cc,
            &self.bcc,
        ] {
            out.push(b' ');
            write_addresses(out, list);
        }
        out.push(b' ');
        append_nstring_nolf(out, self.in_reply_to.as_deref());
        out.push(b' ');
        append_nstring_nolf(out, self.message_id.as_deref());
    }
}

fn write_addresses(out: &mut Vec<u8>, list: &[Address]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        match &a.name {
            None => out.extend_from_slice(b"NIL"),
            Some(n) => append_string_for_humans(out, n),
        }
        out.push(b' ');
        append_nstring_nolf(out, a.route.as_deref());
        out.push(b' ');
        append_nstring_nolf(out, a.mailbox.as_deref());
        out.push(b' ');
        append_nstring_nolf(out, a.domain.as_deref());
        out.push(b')');
    }
    out.push(b')');
}
