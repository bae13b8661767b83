//! The data of `BODY[section]`, `BINARY[part]` and their partial forms,
//! from the precomputed part table: ranges of the mapped message file
//! (sent as they are), or, for `HEADER.FIELDS` and decoded BINARY, bytes
//! made from such a range.

use std::ops::Range;

use base64::Engine as _;

use crate::imap::parse::Partial;
use crate::imap::types::{Section, SectionText};
use crate::mime::{self, Precomputed};
use crate::store::MessageView;

/// What a section is.
#[derive(Debug)]
pub(super) enum Data {
    /// A range of the message.
    Range(Range<usize>),
    /// Bytes made for the answer.
    Owned(Vec<u8>),
    /// The section does not exist.
    Nil,
}

impl Data {
    /// The `<origin.count>` part of the data.
    pub(super) fn partial(self, p: Option<Partial>) -> Data {
        let Some(p) = p else { return self };
        let cut = |len: usize| {
            let from = (p.origin as usize).min(len);
            let to = from.saturating_add(p.count.get() as usize).min(len);
            from..to
        };
        match self {
            Data::Range(r) => {
                let c = cut(r.len());
                Data::Range(r.start + c.start..r.start + c.end)
            }
            Data::Owned(v) => {
                let c = cut(v.len());
                Data::Owned(v[c].to_vec())
            }
            Data::Nil => Data::Nil,
        }
    }
}

/// The precomputed answers of a message (computed now for a message
/// stored without them).
pub(super) fn precomputed(view: &MessageView) -> Precomputed {
    let d = &view.header.imap;
    if d.envelope.is_some()
        && !d.parts.is_empty()
        && let Ok(p) = mime::stored::from_imap_data(d, Vec::new())
    {
        return p;
    }
    mime::analyze(view.body())
}

fn range(r: Range<u64>, len: usize) -> Range<usize> {
    let s = usize::try_from(r.start).unwrap_or(len).min(len);
    let e = usize::try_from(r.end).unwrap_or(len).min(len);
    s..e.max(s)
}

fn path(s: &[std::num::NonZeroU32]) -> Vec<u32> {
    s.iter().map(|n| n.get()).collect()
}

/// `BODY[section]`.
pub(super) fn body_section(pre: &Precomputed, body: &[u8], s: &Section) -> Data {
    let p = path(&s.part);
    let (sec, fields) = match &s.text {
        None if p.is_empty() => (mime::Section::Full, None),
        None => (mime::Section::Part(p), None),
        Some(SectionText::Header) => (mime::Section::Header(p), None),
        Some(SectionText::Text) => (mime::Section::Text(p), None),
        Some(SectionText::Mime) => (mime::Section::Mime(p), None),
        Some(SectionText::HeaderFields(l)) => (mime::Section::Header(p), Some((l, false))),
        Some(SectionText::HeaderFieldsNot(l)) => (mime::Section::Header(p), Some((l, true))),
    };
    let Some(r) = pre.section(&sec) else {
        return Data::Nil;
    };
    let r = range(r, body.len());
    match fields {
        None => Data::Range(r),
        Some((list, not)) => Data::Owned(header_fields(&body[r], list, not)),
    }
}

/// The fields of a header named in `list` (or not named, with `not`),
/// each with its continuation lines, then the empty line.
fn header_fields(header: &[u8], list: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let name = line
                .iter()
                .position(|&b| b == b':')
                .map_or(&line[..0], |i| &line[..i]);
            let name = name.trim_ascii_end();
            let named = list.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(name));
            keep = !name.is_empty() && named != not;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The Content-Transfer-Encoding of a part, lower-cased.
fn cte(pre: &Precomputed, body: &[u8], p: &[u32]) -> Vec<u8> {
    let Some(e) = pre.part(p) else {
        return Vec::new();
    };
    let h = &body[range(e.header.clone(), body.len())];
    let mut value: Option<Vec<u8>> = None;
    for line in h.split_inclusive(|&b| b == b'\n') {
        if let Some(v) = &mut value {
            if matches!(line.first(), Some(b' ' | b'\t')) {
                v.extend_from_slice(line);
                continue;
            }
            break;
        }
        if line.len() > 26 && line[..26].eq_ignore_ascii_case(b"content-transfer-encoding:") {
            value = Some(line[26..].to_vec());
        }
    }
    value
        .map(|v| {
            v.trim_ascii()
                .split(|b| b.is_ascii_whitespace() || *b == b';')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// `BINARY[part]`: the part with its transfer encoding undone; `None`
/// for an encoding not known (`[UNKNOWN-CTE]`).
pub(super) fn binary_section(pre: &Precomputed, body: &[u8], part: &[u32]) -> Option<Data> {
    if part.is_empty() {
        return Some(Data::Range(0..body.len()));
    }
    let Some(e) = pre.part(part) else {
        return Some(Data::Nil);
    };
    let r = range(e.body.clone(), body.len());
    match cte(pre, body, part).as_slice() {
        b"" | b"7bit" | b"8bit" | b"binary" => Some(Data::Range(r)),
        b"base64" => {
            let clean: Vec<u8> = body[r]
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
                    .with_decode_allow_trailing_bits(true),
            );
            engine.decode(clean).ok().map(Data::Owned)
        }
        b"quoted-printable" => Some(Data::Owned(qp_decode(&body[r]))),
        _ => None,
    }
}

/// `BINARY.SIZE[part]`.
pub(super) fn binary_size(pre: &Precomputed, body: &[u8], part: &[u32]) -> Option<u64> {
    match binary_section(pre, body, part)? {
        Data::Range(r) => Some(r.len() as u64),
        Data::Owned(v) => Some(v.len() as u64),
        Data::Nil => Some(0),
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable (RFC 2045 6.7), leniently: white space at the end of
/// a line is transport padding and goes (rule 3, as `mime::decode` counts
/// it for BINARY.SIZE), soft line breaks go, bad escapes stay as they are.
fn qp_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for line in s.split_inclusive(|&b| b == b'\n') {
        let (text, eol) = match line.strip_suffix(b"\r\n") {
            Some(t) => (t, &b"\r\n"[..]),
            None => match line.strip_suffix(b"\n") {
                Some(t) => (t, &b"\n"[..]),
                None => (line, &b""[..]),
            },
        };
        let keep = text.len()
            - text
                .iter()
                .rev()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
        let text = &text[..keep];
        let (text, soft) = match text.strip_suffix(b"=") {
            Some(t) => (t, true),
            None => (text, false),
        };
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'='
                && let (Some(a), Some(b)) = (
                    text.get(i + 1).copied().and_then(hex),
                    text.get(i + 2).copied().and_then(hex),
                )
            {
                out.push(a << 4 | b);
                i += 3;
                continue;
            }
            out.push(text[i]);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(eol);
        }
    }
    out
}
