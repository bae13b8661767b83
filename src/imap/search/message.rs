//! One message file opened for the keys that read contents: its header
//! fields and decoded text, each computed on first use and kept while the
//! message is being evaluated.

use std::cell::OnceCell;

use popstore_platform::ErrorKind;

use crate::mime::PartEntry;
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

    /// The whole header, decoded and folded (for TEXT).
    pub fn header_text(&self) -> &str {
        self.header_text.get_or_init(|| {
            let mut s = String::new();
            for f in &self.fields().list {
                s.push_str(&String::from_utf8_lossy(&f.name));
                s.push_str(": ");
                s.push_str(&decode_header(&f.value));
                s.push('\n');
            }
            fold(&s)
        })
    }

    /// The text parts, transfer encoding undone and converted from their
    /// charsets, with the headers of attached messages; folded.
    pub fn body_text(&self) -> &str {
        self.body_text.get_or_init(|| {
            let mut s = String::new();
            for p in self.parts.iter().skip(1) {
                if p.multipart {
                    continue;
                }
                if let Some(m) = &p.message {
                    for f in &parse_fields(slice(self.data(), &m.header)).list {
                        s.push_str(&String::from_utf8_lossy(&f.name));
                        s.push_str(": ");
                        s.push_str(&decode_header(&f.value));
                        s.push('\n');
                    }
                    continue;
                }
                let c = Content::from_fields(&parse_fields(slice(self.data(), &p.header)), true);
                let text = match &c.ctype {
                    None => true,
                    Some((t, _)) => t.eq_ignore_ascii_case(b"text") || t.is_empty(),
                };
                if !text {
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
