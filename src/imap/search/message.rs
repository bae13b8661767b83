//! One message file opened for the keys that read contents: its header
//! fields and decoded text, each computed on first use and kept while the
//! message is being evaluated.

use std::cell::OnceCell;

use popstore_platform::ErrorKind;

use crate::mime::PartEntry;
use crate::mime::address;
use crate::mime::bodystructure::Content;
use crate::mime::header::{Fields, Line, classify, line_end};
use crate::store::layout::MessageId;
use crate::store::{MessageView, Store, StoreError};

use super::text::{decode_header, decode_transfer, fold, to_text};

/// A mapped message and what has been decoded of it so far.
#[derive(Debug)]
pub struct Loaded {
    view: MessageView,
    parts: Vec<PartEntry>,
    fields: OnceCell<Fields>,
    /// Lower-cased field names and folded decoded values.
    folded: OnceCell<Vec<(Vec<u8>, String)>>,
    /// The same for address fields, parsed and written back.
    addresses: OnceCell<Vec<(Vec<u8>, String)>>,
    header_text: OnceCell<String>,
    body_text: OnceCell<String>,
}

/// The fields of a header block.
pub fn parse_fields(block: &[u8]) -> Fields {
    let mut f = Fields::default();
    let mut pos = 0;
    while pos < block.len() {
        let (next, end) = line_end(block, pos);
        let l = classify(block, pos, end, next > end);
        if l == Line::End {
            break;
        }
        f.push(block, &l);
        pos = next;
    }
    f
}

fn slice<'a>(data: &'a [u8], r: &std::ops::Range<u64>) -> &'a [u8] {
    let (a, b) = (r.start as usize, r.end as usize);
    data.get(a..b.min(data.len())).unwrap_or(&[])
}

impl Loaded {
    /// Opens message file `id`; `Ok(None)` when it is gone (expunged by
    /// another session since this view was taken: nothing in it matches).
    pub fn open(store: &Store, id: MessageId) -> Result<Option<Loaded>, StoreError> {
        let view = match store.open_message(id) {
            Ok(v) => v,
            Err(StoreError::Platform(e)) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let parts = crate::mime::stored::from_imap_data(&view.header.imap, Vec::new())
            .map(|p| p.parts)
            .map_err(|e| StoreError::Invalid(format!("message {:?}: {e}", id)))?;
        Ok(Some(Loaded {
            view,
            parts,
            fields: OnceCell::new(),
            folded: OnceCell::new(),
            addresses: OnceCell::new(),
            header_text: OnceCell::new(),
            body_text: OnceCell::new(),
        }))
    }

    fn data(&self) -> &[u8] {
        self.view.body()
    }

    fn header_block(&self) -> &[u8] {
        match self.parts.first() {
            Some(p) => slice(self.data(), &p.header),
            None => &[],
        }
    }

    /// The message's header fields, raw.
    pub fn fields(&self) -> &Fields {
        self.fields
            .get_or_init(|| parse_fields(self.header_block()))
    }

    /// The raw value of the first field named `name`.
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.fields().first(name)
    }

    /// Every field as (lower-cased name, folded decoded value).
    pub fn folded_fields(&self) -> &[(Vec<u8>, String)] {
        self.folded.get_or_init(|| {
            self.fields()
                .list
                .iter()
                .map(|f| (f.name.to_ascii_lowercase(), fold(&decode_header(&f.value))))
                .collect()
        })
    }

    /// The From, To, Cc and Bcc fields as (lower-cased name, folded
    /// [`address_text`]).
    pub fn folded_addresses(&self) -> &[(Vec<u8>, String)] {
        self.addresses.get_or_init(|| {
            self.fields()
                .list
                .iter()
                .filter(|f| {
                    [&b"from"[..], b"to", b"cc", b"bcc"]
                        .iter()
                        .any(|n| f.name.eq_ignore_ascii_case(n))
                })
                .map(|f| (f.name.to_ascii_lowercase(), fold(&address_text(&f.value))))
                .collect()
        })
    }

    /// Every header of the message, decoded and folded (for TEXT): the
    /// message's, each part's MIME header and each attached message's.
    pub fn header_text(&self) -> &str {
        self.header_text.get_or_init(|| {
            let mut blocks: Vec<&std::ops::Range<u64>> = Vec::new();
            for p in &self.parts {
                blocks.push(&p.header);
                if let Some(m) = &p.message {
                    blocks.push(&m.header);
                }
            }
            blocks.sort_by_key(|r| (r.start, r.end));
            blocks.dedup();
            let mut s = String::new();
            for r in blocks {
                for f in &parse_fields(slice(self.data(), r)).list {
                    s.push_str(&String::from_utf8_lossy(&f.name));
                    s.push_str(": ");
                    s.push_str(&decode_header(&f.value));
                    s.push('\n');
                }
            }
            fold(&s)
        })
    }

    /// The text parts, transfer encoding undone and converted from their
    /// charsets; folded. Headers (of attached messages too) are not body.
    pub fn body_text(&self) -> &str {
        self.body_text.get_or_init(|| {
            let mut s = String::new();
            for p in self.parts.iter().skip(1) {
                if p.multipart || p.message.is_some() {
                    continue;
                }
                let c = Content::from_fields(&parse_fields(slice(self.data(), &p.header)), true);
                // As Dovecot: a part is text when it has no Content-Type
                // or a `text/...` (or `message/...`) one, and an encoding
                // it can undo.
                let text = match &c.ctype {
                    None => true,
                    Some((t, sub)) => {
                        (t.eq_ignore_ascii_case(b"text") && !sub.is_empty())
                            || t.eq_ignore_ascii_case(b"message")
                    }
                };
                let known = c.cte.as_deref().is_none_or(|e| {
                    [
                        &b"7bit"[..],
                        b"8bit",
                        b"binary",
                        b"base64",
                        b"quoted-printable",
                    ]
                    .iter()
                    .any(|k| e.eq_ignore_ascii_case(k))
                });
                if !text || !known {
                    continue;
                }
                let charset = c
                    .params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(b"charset"))
                    .map(|(_, v)| v.as_slice());
                let raw = decode_transfer(c.cte.as_deref(), slice(self.data(), &p.body));
                s.push_str(&to_text(&raw, charset));
                s.push('\n');
            }
            fold(&s)
        })
    }
}

/// A phrase or local part as Dovecot writes it: as is when every byte is
/// atext (and not a dot, for a phrase) or it holds an encoded word, else
/// quoted with `"` and `\\` escaped.
fn maybe_quote(out: &mut Vec<u8>, s: &[u8], quote_dot: bool) {
    let plain = s
        .iter()
        .all(|&b| crate::mime::rfc822::is_atext(b) && !(quote_dot && b == b'.'));
    if plain || memchr::memmem::find(s, b"=?").is_some() {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// An address field as FROM/TO/CC/BCC search it (RFC 3501 speaks of the
/// envelope's address structure): parsed with ENVELOPE's recovery rules
/// and written back as Dovecot 2.3 matches it (probed: `name
/// <mailbox@domain>` with the name quoted when it must be,
/// `<mailbox@domain>`, `group: <...>, <...>;`, `group:;`), encoded words
/// decoded.
pub fn address_text(value: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    let (mut first, mut in_group) = (true, false);
    for a in address::parse(value) {
        if !first {
            out.extend_from_slice(b", ");
        }
        first = false;
        let mailbox = a.mailbox.as_deref().unwrap_or(b"");
        let name = a.name.as_deref().filter(|n| !n.is_empty());
        match &a.domain {
            None if !in_group => {
                if mailbox.is_empty() {
                    out.extend_from_slice(b"\"\"");
                } else {
                    maybe_quote(&mut out, mailbox, true);
                }
                out.extend_from_slice(b": ");
                first = true;
                in_group = true;
            }
            None => {
                if out.ends_with(b": ") {
                    out.pop();
                } else {
                    out.truncate(out.len().saturating_sub(2));
                }
                out.push(b';');
                in_group = false;
            }
            Some(domain) => {
                if let Some(n) = name {
                    maybe_quote(&mut out, n, true);
                    out.push(b' ');
                }
                out.push(b'<');
                if let Some(r) = &a.route {
                    out.extend_from_slice(r);
                    out.push(b':');
                }
                maybe_quote(&mut out, mailbox, false);
                out.push(b'@');
                out.extend_from_slice(domain);
                out.push(b'>');
            }
        }
    }
    decode_header(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_written_back() {
        assert_eq!(
            address_text(b"\"Alice Example\" <alice@example.org>, bob@x.net"),
            "\"Alice Example\" <alice@example.org>, <bob@x.net>"
        );
        assert_eq!(
            address_text(b"undisclosed-recipients:;"),
            "undisclosed-recipients:;"
        );
        assert_eq!(address_text(b"Plain <p@x>"), "Plain <p@x>");
        assert_eq!(address_text(b"\"Qu\\\"o\" <q@x>"), "\"Qu\\\"o\" <q@x>");
        assert_eq!(
            address_text(b"team: a@x, b@y;, c@z"),
            "team: <a@x>, <b@y>;, <c@z>"
        );
        assert_eq!(
            address_text(b"=?utf-8?Q?=C3=89mile?= <e@x>"),
            "\u{c9}mile <e@x>"
        );
        // ENVELOPE's recovery: an unclosed angle bracket.
        assert!(!address_text(b"Alice <a@example.org").contains("example"));
    }
}
