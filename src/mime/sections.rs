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

use super::bodystructure::{Content, Sizes};
use super::decode::decoded_size;
use super::scan::{Kind, Tree};

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
    /// For message/rfc822 parts (and the message itself): the length of the
    /// encapsulated message's header, which starts at `body.start`;
    /// `BODY[path.HEADER]` is `body.start..body.start+len` and
    /// `BODY[path.TEXT]` the rest of the body.
    pub message_header_len: Option<u64>,
    /// The part is a multipart.
    pub multipart: bool,
}

impl PartEntry {
    /// `BODY[path.HEADER]`: the encapsulated message's header.
    pub fn message_header(&self) -> Option<Range<u64>> {
        if self.path.is_empty() {
            return Some(self.header.clone());
        }
        self.message_header_len
            .map(|l| self.body.start..self.body.start + l)
    }

    /// `BODY[path.TEXT]`: the encapsulated message's body.
    pub fn message_text(&self) -> Option<Range<u64>> {
        if self.path.is_empty() {
            return Some(self.body.clone());
        }
        self.message_header_len
            .map(|l| self.body.start + l..self.body.end)
    }
}

fn r(range: &Range<usize>) -> Range<u64> {
    range.start as u64..range.end as u64
}

struct Builder<'a> {
    tree: &'a Tree,
    content: &'a [Content],
    sizes: &'a Sizes,
    data: &'a [u8],
    out: Vec<PartEntry>,
}

impl Builder<'_> {
    fn entry(&mut self, i: usize, path: Vec<u32>) {
        let p = &self.tree.parts[i];
        let multipart = matches!(p.kind, Kind::Multipart { .. });
        let message_header_len = match (p.kind, p.children.first()) {
            (Kind::Message, Some(&c)) => Some(self.tree.parts[c].header.len() as u64),
            _ => None,
        };
        let decoded = if multipart {
            None
        } else {
            decoded_size(self.content[i].cte.as_deref(), &self.data[p.body.clone()])
        };
        self.out.push(PartEntry {
            path: path.clone(),
            header: r(&p.header),
            body: r(&p.body),
            lines: self.sizes.body_lines[i],
            decoded_size: decoded,
            message_header_len,
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
pub fn part_table(tree: &Tree, content: &[Content], sizes: &Sizes, data: &[u8]) -> Vec<PartEntry> {
    let root = &tree.parts[0];
    let mut b = Builder {
        tree,
        content,
        sizes,
        data,
        out: vec![PartEntry {
            path: Vec::new(),
            header: r(&root.header),
            body: r(&root.body),
            lines: sizes.body_lines[0],
            decoded_size: None,
            message_header_len: Some(root.header.len() as u64),
            multipart: matches!(root.kind, Kind::Multipart { .. }),
        }],
    };
    b.message(0, &[]);
    b.out
}
