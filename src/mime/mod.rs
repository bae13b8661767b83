//! Precomputed IMAP answers, computed once when a message is delivered.
//!
//! From the raw bytes of a message (any mix of CRLF and bare LF, 8-bit
//! data, malformed MIME) [`precompute`] produces the canonical stored form
//! and everything IMAP and POP3 need to answer without parsing again:
//! RFC822.SIZE, ENVELOPE, BODY and BODYSTRUCTURE as the exact bytes of a
//! FETCH response (matching Dovecot 2.3, which a differential test checks),
//! the byte ranges of every section, BINARY.SIZE, and the offsets of lines
//! beginning with `.` for POP3 dot-stuffing.
//!
//! No I/O; never panics; time and memory linear in the input. Nesting is
//! capped at [`scan::MAX_NESTING`] levels and [`scan::MAX_PARTS`] parts.
//!
//! The scanner is our own (a byte-cursor parser; nom adds nothing to its
//! backtracking recovery rules) rather than mail-parser's: mail-parser 0.11
//! does expose per-part header/body/end offsets and raw header values, but
//! it splits and recovers from broken MIME by its own rules, while our
//! answers must equal Dovecot's byte for byte: where a part ends when a
//! boundary cuts a header short, which line break belongs to a boundary,
//! prefix-matched boundaries, MIME-Version rules, RFC 2231 merging and
//! address recovery (`tests/mime_dovecot.rs` checks all of it).

pub mod address;
pub mod bodystructure;
pub mod canonical;
pub mod decode;
pub mod envelope;
pub mod header;
pub mod imap_string;
pub mod params;
pub mod rfc822;
pub mod scan;
pub mod sections;
pub mod stored;

use std::ops::Range;

pub use canonical::canonicalize;
pub use sections::{MessageRanges, PartEntry};

use bodystructure::{Content, Sizes};
use envelope::Envelope;

/// Everything precomputed for one message (offsets are into its canonical
/// form, starting at 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precomputed {
    /// RFC822.SIZE: the length of the canonical form.
    pub size: u64,
    /// `ENVELOPE` value, parentheses included.
    pub envelope: Vec<u8>,
    /// `BODY` value, parentheses included.
    pub body: Vec<u8>,
    /// `BODYSTRUCTURE` value, parentheses included.
    pub bodystructure: Vec<u8>,
    /// The part table; `parts[0]` is the whole message (path empty).
    pub parts: Vec<PartEntry>,
    /// Offsets of lines beginning with `.`.
    pub dot_lines: Vec<u64>,
}

/// A section of a FETCH `BODY[...]` / `BINARY[...]` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// `BODY[]`.
    Full,
    /// `BODY[HEADER]` or `BODY[n.HEADER]` (path empty for the message).
    Header(Vec<u32>),
    /// `BODY[TEXT]` or `BODY[n.TEXT]`.
    Text(Vec<u32>),
    /// `BODY[n]`.
    Part(Vec<u32>),
    /// `BODY[n.MIME]`.
    Mime(Vec<u32>),
}

impl Section {
    /// Parses a section text such as `1.2.MIME`, `HEADER`, `` (empty).
    /// `HEADER.FIELDS` and malformed specifiers give `None`.
    pub fn parse(s: &str) -> Option<Section> {
        if s.is_empty() {
            return Some(Section::Full);
        }
        let mut path = Vec::new();
        let mut rest = s;
        loop {
            let end = rest.find('.').unwrap_or(rest.len());
            let word = &rest[..end];
            if word.bytes().all(|b| b.is_ascii_digit()) && !word.is_empty() {
                let n: u32 = word.parse().ok()?;
                if n == 0 {
                    return None;
                }
                path.push(n);
                if end == rest.len() {
                    return Some(Section::Part(path));
                }
                rest = &rest[end + 1..];
                continue;
            }
            return match rest.to_ascii_uppercase().as_str() {
                "HEADER" => Some(Section::Header(path)),
                "TEXT" => Some(Section::Text(path)),
                "MIME" if !path.is_empty() => Some(Section::Mime(path)),
                _ => None,
            };
        }
    }
}

impl Precomputed {
    /// The message file's IMAP section for these answers.
    pub fn to_imap_data(&self) -> popstore_formats::imap::ImapData {
        stored::to_imap_data(self)
    }

    /// The entry for a part path.
    pub fn part(&self, path: &[u32]) -> Option<&PartEntry> {
        self.parts.iter().find(|p| p.path == path)
    }

    /// The byte range of the canonical message that answers `section`;
    /// `None` when the part does not exist. (HEADER/TEXT of a part that is
    /// not a message give an empty range, as Dovecot answers.)
    pub fn section(&self, section: &Section) -> Option<Range<u64>> {
        match section {
            Section::Full => Some(0..self.size),
            Section::Part(p) => self.part(p).map(|e| e.body.clone()),
            Section::Mime(p) => self.part(p).map(|e| e.header.clone()),
            Section::Header(p) => self
                .part(p)
                .map(|e| e.message_header().unwrap_or(e.body.start..e.body.start)),
            Section::Text(p) => self
                .part(p)
                .map(|e| e.message_text().unwrap_or(e.body.start..e.body.start)),
        }
    }
}

/// Canonicalizes `raw` and computes its answers: returns the stored form
/// and the precomputed data.
pub fn precompute(raw: &[u8]) -> (Vec<u8>, Precomputed) {
    let data = canonicalize(raw).into_owned();
    let pre = analyze(&data);
    (data, pre)
}

/// Computes the answers for a message already in canonical form.
pub fn analyze(data: &[u8]) -> Precomputed {
    let tree = scan::scan(data);
    let mut content: Vec<Content> = tree
        .parts
        .iter()
        .map(|p| Content::from_fields(&p.fields, p.is_mime))
        .collect();
    if tree.parts[0].kind == scan::Kind::Text && content[0].is_plain_7bit() {
        content[0] = Content::default();
    }
    let sizes = Sizes::compute(&tree, data);
    let mut envelope = vec![b'('];
    Envelope::from_fields(&tree.parts[0].fields).write(&mut envelope);
    envelope.push(b')');
    let mut body = vec![b'('];
    bodystructure::write(&mut body, &tree, &content, &sizes, 0, false);
    body.push(b')');
    let mut bodystructure = vec![b'('];
    bodystructure::write(&mut bodystructure, &tree, &content, &sizes, 0, true);
    bodystructure.push(b')');
    Precomputed {
        size: data.len() as u64,
        envelope,
        body,
        bodystructure,
        parts: sections::part_table(&tree, &sizes, data),
        dot_lines: canonical::dot_lines(data),
    }
}
