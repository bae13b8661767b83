//! The MIME scanner: splits a canonical message into its part tree with
//! exact byte ranges, finding boundaries the way Dovecot 2.3's
//! `message-parser.c` does (so malformed messages split the same way):
//!
//! - a boundary line is `--` + a known boundary as a *prefix* of the line
//!   (the longest, newest match wins); `--boundary--` closes it;
//! - the line break before a boundary line belongs to the boundary, not to
//!   the part before it;
//! - boundaries of every enclosing multipart stay active inside nested
//!   parts and encapsulated messages, and end them all when found;
//! - a part without Content-Type is text/plain, or message/rfc822 inside
//!   multipart/digest; a multipart without a boundary is a leaf.
//!
//! Limits (hostile input): at most [`MAX_NESTING`] nested multiparts and
//! messages (deeper content is a leaf part) and [`MAX_PARTS`] parts in all
//! (after that no more boundaries are recognised), as in Dovecot; boundary
//! strings are cut to [`MAX_BOUNDARY`] bytes. Every byte is looked at a
//! bounded number of times, so time and memory are linear in the input.

use std::ops::Range;

use super::header::{Fields, Line, classify, line_end};
use super::params;
use super::rfc822::Parser;

/// Maximum nesting of multiparts and message/rfc822 parts.
pub const MAX_NESTING: usize = 100;
/// Maximum number of parts in one message.
pub const MAX_PARTS: usize = 10_000;
/// Boundaries longer than this are cut to this length.
pub const MAX_BOUNDARY: usize = 70;

/// What a part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text/* part (or a part without a usable Content-Type).
    Text,
    /// A multipart with a boundary: its children are the body parts.
    Multipart {
        /// multipart/digest: children default to message/rfc822.
        digest: bool,
    },
    /// message/rfc822: its one child is the encapsulated message.
    Message,
    /// Any other leaf part.
    Other,
}

/// One node of the part tree.
#[derive(Debug, Clone)]
pub struct Part {
    /// The header block (for a message, its header; for a body part, its
    /// MIME header), the blank line included when there is one.
    pub header: Range<usize>,
    /// The body.
    pub body: Range<usize>,
    /// What the part is.
    pub kind: Kind,
    /// The header fields.
    pub fields: Fields,
    /// Children (indices into [`Tree::parts`]), in order.
    pub children: Vec<usize>,
    /// Parent index, none for the root.
    pub parent: Option<usize>,
    /// The part is MIME: a body part of a multipart, or its header has
    /// MIME-Version or Content-Type. Content-* fields of other parts are
    /// ignored (as Dovecot does).
    pub is_mime: bool,
}

/// The part tree of a message; `parts[0]` is the message itself.
#[derive(Debug, Clone)]
pub struct Tree {
    /// All parts, parents before children.
    pub parts: Vec<Part>,
}

struct Boundary {
    part: usize,
    text: Vec<u8>,
}

struct Scanner<'a> {
    data: &'a [u8],
    parts: Vec<Part>,
    boundaries: Vec<Boundary>,
    closed: Vec<bool>,
    classified: Vec<bool>,
}

/// A boundary line found at a line start.
struct Found {
    index: usize,
    close: bool,
}

impl Scanner<'_> {
    fn new_part(&mut self, parent: Option<usize>, start: usize) -> usize {
        let i = self.parts.len();
        self.parts.push(Part {
            header: start..start,
            body: start..start,
            kind: Kind::Text,
            fields: Fields::default(),
            children: Vec::new(),
            parent,
            is_mime: false,
        });
        self.closed.push(false);
        self.classified.push(false);
        if let Some(p) = parent {
            self.parts[p].children.push(i);
        }
        i
    }

    /// Is the line at `pos` a boundary line of an enclosing multipart?
    fn boundary_at(&self, pos: usize) -> Option<Found> {
        if self.boundaries.is_empty() || self.parts.len() >= MAX_PARTS {
            return None;
        }
        let rest = &self.data[pos..];
        if rest.len() < 2 || &rest[..2] != b"--" {
            return None;
        }
        let (next, content_end) = line_end(self.data, pos + 2);
        let _ = next;
        let line = &self.data[pos + 2..content_end];
        let mut best: Option<usize> = None;
        for (i, b) in self.boundaries.iter().enumerate().rev() {
            if line.starts_with(&b.text)
                && best.is_none_or(|j| self.boundaries[j].text.len() < b.text.len())
            {
                best = Some(i);
            }
        }
        let index = best?;
        let len = self.boundaries[index].text.len();
        let after = &self.data[pos + 2 + len..];
        Some(Found {
            index,
            close: after.starts_with(b"--"),
        })
    }

    /// Ends every open part below the multipart owning boundary `f` at
    /// `end`, drops the boundaries nested inside it (and itself when
    /// closed), skips the boundary line at `line` and returns where the
    /// scan goes on: the next part's header, or the multipart's epilogue.
    fn finish_at_boundary(&mut self, cur: usize, end: usize, f: &Found, line: usize) -> State {
        self.finish_at_boundary2(cur, end, end, f, line)
    }

    /// Like [`Self::finish_at_boundary`], the first part ending at `end`
    /// and its ancestors at `outer_end` (a header cut short by a boundary
    /// gives its last line break to its parent, as Dovecot counts it).
    fn finish_at_boundary2(
        &mut self,
        mut cur: usize,
        end: usize,
        outer_end: usize,
        f: &Found,
        line: usize,
    ) -> State {
        let owner = self.boundaries[f.index].part;
        let mut first = true;
        while cur != owner {
            self.end_part(cur, if first { end } else { outer_end });
            first = false;
            match self.parts[cur].parent {
                Some(p) => cur = p,
                None => break,
            }
        }
        let keep = if f.close { f.index } else { f.index + 1 };
        self.boundaries.truncate(keep);
        let (next, _) = line_end(self.data, line);
        if f.close {
            State::Body(owner, next)
        } else {
            let child = self.new_part(Some(owner), next);
            State::Header(child, next)
        }
    }

    fn depth_of(&self, mut p: usize) -> usize {
        let mut d = 0;
        while let Some(q) = self.parts[p].parent {
            d += 1;
            p = q;
        }
        d + 1
    }

    fn end_part(&mut self, p: usize, end: usize) {
        let part = &mut self.parts[p];
        part.body.end = end.max(part.body.start);
        self.closed[p] = true;
    }

    /// Reads the header of part `p` from `pos`.
    fn header(&mut self, p: usize, mut pos: usize) -> State {
        let mut prev_newline = 0;
        loop {
            if pos >= self.data.len() {
                self.parts[p].header.end = pos;
                self.parts[p].body = pos..pos;
                self.classify_part(p);
                break;
            }
            if let Some(f) = self.boundary_at(pos) {
                let end = pos - prev_newline;
                return self.cut_header(p, end, pos, f);
            }
            let (next, content_end) = line_end(self.data, pos);
            let line = classify(self.data, pos, content_end, next > content_end);
            if line == Line::End {
                self.classify_part(p);
                if let Some(f) = self.boundary_at(next)
                    && self.boundaries[f.index].part != p
                {
                    // The blank line is the line break before an enclosing
                    // boundary: the header ends before it.
                    return self.cut_header(p, pos, next, f);
                }
                self.parts[p].header.end = next;
                self.parts[p].body = next..next;
                pos = next;
                break;
            }
            self.parts[p].fields.push(self.data, &line);
            prev_newline = next - content_end;
            pos = next;
        }
        match self.parts[p].kind {
            Kind::Message => {
                let child = self.new_part(Some(p), pos);
                State::Header(child, pos)
            }
            _ => State::Body(p, pos),
        }
    }

    /// The header of `p` ends at `end`, cut short by the boundary line at
    /// `line`: the part is empty (a message/rfc822 part gets an empty
    /// message) and everything up to the boundary's multipart ends.
    fn cut_header(&mut self, p: usize, end: usize, line: usize, f: Found) -> State {
        self.parts[p].header.end = end;
        self.parts[p].body = end..end;
        self.classify_part_once(p);
        if self.parts[p].kind == Kind::Message {
            let child = self.new_part(Some(p), end);
            self.closed[child] = true;
        }
        self.finish_at_boundary2(p, end, line, &f, line)
    }

    fn classify_part_once(&mut self, p: usize) {
        if !self.classified[p] {
            self.classify_part(p);
        }
    }

    /// Sets the kind of part `p` from its first Content-Type field, and
    /// pushes its boundary when it is a multipart.
    fn classify_part(&mut self, p: usize) {
        if self.classified[p] {
            return;
        }
        self.classified[p] = true;
        let part = &self.parts[p];
        let parent_kind = part.parent.map(|q| self.parts[q].kind);
        let ctype = part.fields.first("Content-Type");
        let is_mime = matches!(parent_kind, Some(Kind::Multipart { .. }))
            || ctype.is_some()
            || part.fields.first("MIME-Version").is_some();
        let mut kind;
        let mut boundary = None;
        match ctype {
            None => {
                kind = if parent_kind == Some(Kind::Multipart { digest: true }) {
                    Kind::Message
                } else {
                    Kind::Text
                };
            }
            Some(v) => {
                let mut parser = Parser::new(v, false);
                parser.skip_lwsp();
                let (ok, ty) = params::content_type(&mut parser);
                let lower = ty.to_ascii_lowercase();
                kind = if lower == b"message/rfc822" {
                    Kind::Message
                } else if lower.starts_with(b"text") && (lower.len() == 4 || lower[4] == b'/') {
                    Kind::Text
                } else if lower.starts_with(b"multipart/") {
                    Kind::Multipart {
                        digest: &lower[10..] == b"digest",
                    }
                } else {
                    Kind::Other
                };
                if matches!(kind, Kind::Multipart { .. }) && ok.is_ok() {
                    boundary = params::parameters(&mut parser)
                        .into_iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(b"boundary"))
                        .map(|(_, mut v)| {
                            v.truncate(MAX_BOUNDARY);
                            v
                        });
                }
            }
        }
        let too_deep = self.depth_of(p) + 1 >= MAX_NESTING || self.parts.len() >= MAX_PARTS;
        match kind {
            Kind::Multipart { .. } => {
                if let Some(text) = boundary
                    && !too_deep
                {
                    self.boundaries.push(Boundary { part: p, text });
                }
            }
            Kind::Message if too_deep => kind = Kind::Other,
            _ => {}
        }
        self.parts[p].kind = kind;
        self.parts[p].is_mime = is_mime;
    }

    /// Scans the body of `p` from `pos` for a boundary line.
    fn body(&mut self, p: usize, pos: usize) -> State {
        if self.boundaries.is_empty() {
            return State::Eof;
        }
        if let Some(f) = self.boundary_at(pos) {
            return self.finish_at_boundary(p, pos, &f, pos);
        }
        let mut i = pos;
        while let Some(off) = memchr::memchr(b'\n', &self.data[i..]) {
            let lf = i + off;
            let line = lf + 1;
            if let Some(f) = self.boundary_at(line) {
                let end = if lf > pos && self.data[lf - 1] == b'\r' {
                    lf - 1
                } else {
                    lf
                };
                return self.finish_at_boundary(p, end, &f, line);
            }
            i = line;
        }
        State::Eof
    }
}

enum State {
    Header(usize, usize),
    Body(usize, usize),
    Eof,
}

/// Splits `data` (a message, canonical or not) into its part tree.
pub fn scan(data: &[u8]) -> Tree {
    let mut s = Scanner {
        data,
        parts: Vec::new(),
        boundaries: Vec::new(),
        closed: Vec::new(),
        classified: Vec::new(),
    };
    let root = s.new_part(None, 0);
    let mut state = State::Header(root, 0);
    loop {
        state = match state {
            State::Header(p, pos) => s.header(p, pos),
            State::Body(p, pos) => s.body(p, pos),
            State::Eof => break,
        };
    }
    // Everything still open ends at the end of the input.
    for i in 0..s.parts.len() {
        if !s.closed[i] {
            s.end_part(i, data.len());
        }
    }
    Tree { parts: s.parts }
}
