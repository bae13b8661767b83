//! BODY and BODYSTRUCTURE (RFC 3501 section 7.4.2 / RFC 9051 section
//! 7.5.2), written exactly as Dovecot 2.3's `imap-bodystructure.c`:
//! defaults (text/plain; charset us-ascii; 7bit), extension data (MD5,
//! disposition, language, location), multiparts without children shown as
//! an empty text/plain part, message/rfc822 with its envelope, structure
//! and line count.

use super::envelope::Envelope;
use super::header::Fields;
use super::imap_string::{append_nstring_nolf, append_string};
use super::params::{self, Param};
use super::rfc822::Parser;
use super::scan::{Kind, Tree};

const EMPTY_BODY: &[u8] = b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const EMPTY_BODYSTRUCTURE: &[u8] =
    b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

/// The Content-* data of one part (the first usable field of each kind).
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Type and subtype as written.
    pub ctype: Option<(Vec<u8>, Vec<u8>)>,
    /// Content-Type parameters.
    pub params: Vec<Param>,
    /// Content-Transfer-Encoding.
    pub cte: Option<Vec<u8>>,
    /// Content-ID, raw.
    pub id: Option<Vec<u8>>,
    /// Content-Description, raw.
    pub description: Option<Vec<u8>>,
    /// Content-MD5, raw.
    pub md5: Option<Vec<u8>>,
    /// Content-Disposition and its parameters.
    pub disposition: Option<(Vec<u8>, Vec<Param>)>,
    /// Content-Language tags.
    pub language: Option<Vec<Vec<u8>>>,
    /// Content-Location, raw.
    pub location: Option<Vec<u8>>,
}

impl Content {
    /// True when this top-level part is plain 7-bit US-ASCII text, which
    /// Dovecot answers with the default structure whatever the letter case
    /// or further parameters (it only keeps a flag for such messages).
    pub fn is_plain_7bit(&self) -> bool {
        let plain = match &self.ctype {
            None => true,
            Some((t, s)) => t.eq_ignore_ascii_case(b"text") && s.eq_ignore_ascii_case(b"plain"),
        };
        let charset_ok = match self.params.as_slice() {
            [] => true,
            [(k, v)] => k.eq_ignore_ascii_case(b"charset") && v.eq_ignore_ascii_case(b"us-ascii"),
            _ => false,
        };
        let cte_ok = self
            .cte
            .as_ref()
            .is_none_or(|e| e.eq_ignore_ascii_case(b"7bit"));
        plain
            && charset_ok
            && cte_ok
            && self.id.is_none()
            && self.description.is_none()
            && self.md5.is_none()
            && self.disposition.is_none()
            && self.language.is_none()
            && self.location.is_none()
    }

    /// Reads the Content-* fields of a header; a part that is not MIME
    /// (see [`super::scan::Part::is_mime`]) has none.
    pub fn from_fields(fields: &Fields, is_mime: bool) -> Content {
        let mut c = Content::default();
        if !is_mime {
            return c;
        }
        for f in &fields.list {
            if f.name.len() < 8 || !f.name[..8].eq_ignore_ascii_case(b"Content-") {
                continue;
            }
            let rest = f.name[8..].to_ascii_lowercase();
            let v = &f.value;
            match rest.as_slice() {
                b"type" if c.ctype.is_none() => {
                    let mut p = Parser::new(v, false);
                    p.skip_lwsp();
                    match params::content_type(&mut p) {
                        (Ok(t), _) => {
                            c.ctype = Some(t);
                            c.params = params::parameters(&mut p);
                        }
                        // A broken type is kept as far as it was read
                        // (`text` alone gives "text" ""), without parameters.
                        (Err(()), partial) => {
                            c.ctype = Some(match partial.iter().position(|&b| b == b'/') {
                                Some(i) => (partial[..i].to_vec(), partial[i + 1..].to_vec()),
                                None => (partial, Vec::new()),
                            });
                        }
                    }
                }
                b"transfer-encoding" if c.cte.is_none() => c.cte = params::transfer_encoding(v),
                b"id" if c.id.is_none() => c.id = Some(v.clone()),
                b"md5" if c.md5.is_none() => c.md5 = Some(v.clone()),
                b"description" if c.description.is_none() => c.description = Some(v.clone()),
                // Dovecot lets a later Content-Disposition replace one
                // that had no parameters.
                b"disposition" if c.disposition.as_ref().is_none_or(|d| d.1.is_empty()) => {
                    if let Some(d) = params::disposition(v) {
                        c.disposition = Some(d);
                    }
                }
                b"language" if c.language.is_none() => c.language = params::languages(v),
                b"location" if c.location.is_none() => c.location = Some(v.clone()),
                _ => {}
            }
        }
        c
    }
}

/// Line and size figures of each part, computed once.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// LF count of each part's body.
    pub body_lines: Vec<u64>,
}

impl Sizes {
    /// Counts lines for every part in linear time.
    pub fn compute(tree: &Tree, data: &[u8]) -> Sizes {
        let n = tree.parts.len();
        let mut body_lines = vec![0u64; n];
        let mut total = vec![0u64; n];
        let count = |r: std::ops::Range<usize>| -> u64 {
            memchr::memchr_iter(b'\n', &data[r]).count() as u64
        };
        for i in (0..n).rev() {
            let p = &tree.parts[i];
            let mut lines = 0;
            let mut pos = p.body.start;
            for &c in &p.children {
                let ch = &tree.parts[c];
                let cstart = ch.header.start.max(pos);
                lines += count(pos..cstart.min(p.body.end).max(pos));
                lines += total[c];
                pos = ch.body.end.max(pos);
            }
            if pos < p.body.end {
                lines += count(pos..p.body.end);
            }
            body_lines[i] = lines;
            total[i] = count(p.header.clone()) + lines;
        }
        Sizes { body_lines }
    }
}

/// Writes BODY (`extended` false) or BODYSTRUCTURE (`extended` true) of
/// part `i`, without the outer parentheses.
pub fn write(
    out: &mut Vec<u8>,
    tree: &Tree,
    content: &[Content],
    sizes: &Sizes,
    i: usize,
    extended: bool,
) {
    let part = &tree.parts[i];
    let c = &content[i];
    if let Kind::Multipart { .. } = part.kind {
        if part.children.is_empty() {
            out.extend_from_slice(if extended {
                EMPTY_BODYSTRUCTURE
            } else {
                EMPTY_BODY
            });
        }
        for &ch in &part.children {
            out.push(b'(');
            write(out, tree, content, sizes, ch, extended);
            out.push(b')');
        }
        out.push(b' ');
        let sub = c.ctype.as_ref().map(|t| t.1.as_slice()).unwrap_or(b"mixed");
        append_string(out, sub);
        if extended {
            out.push(b' ');
            write_params(out, &c.params, false);
            write_common(out, c);
        }
        return;
    }
    let text;
    if part.kind == Kind::Message {
        out.extend_from_slice(b"\"message\" \"rfc822\"");
        text = false;
    } else {
        match &c.ctype {
            None => {
                text = true;
                out.extend_from_slice(b"\"text\" \"plain\"");
            }
            // A broken `multipart` type that did not make a multipart.
            Some((t, _)) if t.eq_ignore_ascii_case(b"multipart") => {
                text = false;
                out.extend_from_slice(b"\"application\" \"octet-stream\"");
            }
            Some((t, s)) => {
                text = t.eq_ignore_ascii_case(b"text");
                append_string(out, t);
                out.push(b' ');
                append_string(out, s);
            }
        }
    }
    out.push(b' ');
    write_params(out, &c.params, text);
    out.push(b' ');
    append_nstring_nolf(out, c.id.as_deref());
    out.push(b' ');
    append_nstring_nolf(out, c.description.as_deref());
    out.push(b' ');
    match &c.cte {
        Some(e) => append_string(out, e),
        None => out.extend_from_slice(b"\"7bit\""),
    }
    out.extend_from_slice(format!(" {}", part.body.len()).as_bytes());
    if text {
        out.extend_from_slice(format!(" {}", sizes.body_lines[i]).as_bytes());
    } else if part.kind == Kind::Message {
        if let Some(&child) = part.children.first() {
            out.extend_from_slice(b" (");
            Envelope::from_fields(&tree.parts[child].fields).write(out);
            out.extend_from_slice(b") (");
            write(out, tree, content, sizes, child, extended);
            out.push(b')');
        }
        out.extend_from_slice(format!(" {}", sizes.body_lines[i]).as_bytes());
    }
    if extended {
        out.push(b' ');
        append_nstring_nolf(out, c.md5.as_deref());
        write_common(out, c);
    }
}

fn write_params(out: &mut Vec<u8>, params: &[Param], default_charset: bool) {
    if params.is_empty() && !default_charset {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    let mut seen_charset = false;
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        seen_charset |= k.eq_ignore_ascii_case(b"charset");
        append_string(out, k);
        out.push(b' ');
        append_string(out, v);
    }
    if default_charset && !seen_charset {
        if !params.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(b"\"charset\" \"us-ascii\"");
    }
    out.push(b')');
}

fn write_common(out: &mut Vec<u8>, c: &Content) {
    out.push(b' ');
    match &c.disposition {
        None => out.extend_from_slice(b"NIL"),
        Some((d, params)) => {
            out.push(b'(');
            append_string(out, d);
            out.push(b' ');
            write_params(out, params, false);
            out.push(b')');
        }
    }
    out.push(b' ');
    match &c.language {
        None => out.extend_from_slice(b"NIL"),
        Some(langs) => {
            out.push(b'(');
            for (i, l) in langs.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                append_string(out, l);
            }
            out.push(b')');
        }
    }
    out.push(b' ');
    append_nstring_nolf(out, c.location.as_deref());
}
