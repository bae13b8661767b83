//! The part table: for every IMAP part specifier (`1`, `2.1`, ...) the
//! byte ranges that answer `BODY[n]`, `BODY[n.MIME]`, `BODY[n.HEADER]` and
//! `BODY[n.TEXT]` by slicing the stored message, plus line count and
//! BINARY.SIZE.
//!
//! Addressing (RFC 3501 section 6.4.5, as Dovecot resolves it): the empty
//! path is the message; the parts of a multipart are numbered from 1; a
//! non-multipart message (top level or encapsulated) has a single part `1`,
//! its own body, whose MIME header is the message header.

use std::ops::Range;

use super::bodystructure::Sizes;
use super::decode::decoded_size;
use super::scan::{Kind, Tree};

/// Where an encapsulated message's header and body lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRanges {
    /// Its header, blank line included.
    pub header: Range<u64>,
    /// Its body.
    pub text: Range<u64>,
}

/// One addressable part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEntry {
    /// Part specifier numbers; empty for the whole message.
    pub path: Vec<u32>,
    /// `BODY[path.MIME]` (for the empty path: `BODY[HEADER]`).
    pub header: Range<u64>,
    /// `BODY[path]` (for the empty path: `BODY[TEXT]`).
    pub body: Range<u64>,
    /// Lines (LF count) of the body.
    pub lines: u64,
    /// BINARY.SIZE of the body: its size once its transfer encoding is
    /// undone; `None` for a multipart, an unknown encoding or bad data.
    pub decoded_size: Option<u64>,
    /// For message/rfc822 parts (and the message itself): the encapsulated
    /// message's header (`BODY[path.HEADER]`) and body (`BODY[path.TEXT]`).
    pub message: Option<MessageRanges>,
    /// The part is a multipart.
    pub multipart: bool,
}

impl PartEntry {
    /// `BODY[path.HEADER]`: the encapsulated message's header.
    pub fn message_header(&self) -> Option<Range<u64>> {
        self.message.as_ref().map(|m| m.header.clone())
    }

    /// `BODY[path.TEXT]`: the encapsulated message's body.
    pub fn message_text(&self) -> Option<Range<u64>> {
        self.message.as_ref().map(|m| m.text.clone())
    }
}

/// The encoding named by a Content-Transfer-Encoding value for decoding:
/// its first token, whatever follows (empty means 7bit).
fn cte_token(value: &[u8]) -> Vec<u8> {
    let mut p = super::rfc822::Parser::new(value, false);
    p.skip_lwsp();
    let mut tok = Vec::new();
    p.mime_token(&mut tok);
    if tok.is_empty() {
        tok.extend_from_slice(b"7bit");
    }
    tok
}

fn r(range: &Range<usize>) -> Range<u64> {
    range.start as u64..range.end as u64
}

struct Builder<'a> {
    tree: &'a Tree,
    sizes: &'a Sizes,
    data: &'a [u8],
    out: Vec<PartEntry>,
}

impl Builder<'_> {
    fn entry(&mut self, i: usize, path: Vec<u32>) {
        let p = &self.tree.parts[i];
        let multipart = matches!(p.kind, Kind::Multipart { .. });
        let message = match (p.kind, p.children.first()) {
            (Kind::Message, Some(&c)) => Some(MessageRanges {
                header: r(&self.tree.parts[c].header),
                text: r(&self.tree.parts[c].body),
            }),
            _ => None,
        };
        let decoded = if multipart {
            None
        } else {
            // BINARY reads Content-Transfer-Encoding even where the other
            // Content-* fields are ignored (no MIME-Version).
            // (The last such field counts there, as in Dovecot's decoder.)
            let cte = p
                .fields
                .list
                .iter()
                .rev()
                .find(|f| f.name.eq_ignore_ascii_case(b"Content-Transfer-Encoding"))
                .map(|f| cte_token(&f.value));
            decoded_size(cte.as_deref(), &self.data[p.body.clone()])
        };
        self.out.push(PartEntry {
            path: path.clone(),
            header: r(&p.header),
            body: r(&p.body),
            lines: self.sizes.body_lines[i],
            decoded_size: decoded,
            message,
            multipart,
        });
        match p.kind {
            Kind::Multipart { .. } => self.children(i, &path),
            Kind::Message => {
                if let Some(&c) = p.children.first() {
                    self.message(c, &path);
                }
            }
            _ => {}
        }
    }

    fn children(&mut self, i: usize, path: &[u32]) {
        let p = &self.tree.parts[i];
        if p.children.is_empty() {
            // A multipart without parts: part 1 exists and is empty.
            let at = p.body.start as u64;
            let mut child_path = path.to_vec();
            child_path.push(1);
            self.out.push(PartEntry {
                path: child_path,
                header: at..at,
                body: at..at,
                lines: 0,
                decoded_size: Some(0),
                message: None,
                multipart: false,
            });
        }
        for (k, &c) in self.tree.parts[i].children.iter().enumerate() {
            let mut child_path = path.to_vec();
            child_path.push(k as u32 + 1);
            self.entry(c, child_path);
        }
    }

    /// The parts of message `m` (the root or an encapsulated message)
    /// addressed under `path`.
    fn message(&mut self, m: usize, path: &[u32]) {
        if matches!(self.tree.parts[m].kind, Kind::Multipart { .. }) {
            self.children(m, path);
        } else {
            let mut p = path.to_vec();
            p.push(1);
            self.entry(m, p);
        }
    }
}

/// Builds the part table of a scanned message, the whole message first,
/// then every part in depth-first order.
pub fn part_table(tree: &Tree, sizes: &Sizes, data: &[u8]) -> Vec<PartEntry> {
    let root = &tree.parts[0];
    let mut b = Builder {
        tree,
        sizes,
        data,
        out: vec![PartEntry {
            path: Vec::new(),
            header: r(&root.header),
            body: r(&root.body),
            lines: sizes.body_lines[0],
            decoded_size: None,
            message: Some(MessageRanges {
                header: r(&root.header),
                text: r(&root.body),
            }),
            multipart: matches!(root.kind, Kind::Multipart { .. }),
        }],
    };
    b.message(0, &[]);
    b.out
}
