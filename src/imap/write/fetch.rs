//! FETCH responses (RFC 9051 section 7.5.2, RFC 3516 BINARY, RFC 7162
//! MODSEQ): [`Fetch`] writes one `* n FETCH (...)` item by item; section
//! data either inline or, for data sent straight from the message file,
//! as a literal head the session follows with the bytes.

use super::data::date_time;
use super::strings::{astring, literal_head, literal8};
use super::{flag_list, push_fmt};
use crate::imap::types::{DateTime, Flag, Section, SectionText};

/// The `section` of a FETCH response item: `1.2.HEADER.FIELDS (A B)`.
pub fn section_spec(out: &mut Vec<u8>, s: &Section) {
    for (i, p) in s.part.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_fmt(out, format_args!("{p}"));
    }
    let Some(text) = &s.text else { return };
    if !s.part.is_empty() {
        out.push(b'.');
    }
    let fields = |out: &mut Vec<u8>, name: &str, list: &[String]| {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b" (");
        for (i, f) in list.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            astring(out, f.as_bytes());
        }
        out.push(b')');
    };
    match text {
        SectionText::Header => out.extend_from_slice(b"HEADER"),
        SectionText::Text => out.extend_from_slice(b"TEXT"),
        SectionText::Mime => out.extend_from_slice(b"MIME"),
        SectionText::HeaderFields(l) => fields(out, "HEADER.FIELDS", l),
        SectionText::HeaderFieldsNot(l) => fields(out, "HEADER.FIELDS.NOT", l),
    }
}

/// A FETCH response being written: `* n FETCH (` item SP item ... `)`.
/// Data the session sends from the message file goes after a
/// `*_literal_head` call, outside this buffer.
#[derive(Debug)]
pub struct Fetch<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Fetch<'a> {
    /// Starts `* seq FETCH (`.
    pub fn begin(out: &'a mut Vec<u8>, seq: u32) -> Self {
        push_fmt(out, format_args!("* {seq} FETCH ("));
        Fetch { out, first: true }
    }

    fn item(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b' ');
        }
        self.first = false;
        self.out.extend_from_slice(name.as_bytes());
        self.out
    }

    /// `UID n`
    pub fn uid(&mut self, uid: u32) -> &mut Self {
        push_fmt(self.item("UID "), format_args!("{uid}"));
        self
    }

    /// `FLAGS (...)`
    pub fn flags(&mut self, f: &[Flag]) -> &mut Self {
        flag_list(self.item("FLAGS "), f);
        self
    }

    /// `RFC822.SIZE n`
    pub fn rfc822_size(&mut self, n: u64) -> &mut Self {
        push_fmt(self.item("RFC822.SIZE "), format_args!("{n}"));
        self
    }

    /// `INTERNALDATE "..."`
    pub fn internal_date(&mut self, d: DateTime) -> &mut Self {
        date_time(self.item("INTERNALDATE "), d);
        self
    }

    /// `MODSEQ (n)`
    pub fn modseq(&mut self, m: u64) -> &mut Self {
        push_fmt(self.item("MODSEQ "), format_args!("({m})"));
        self
    }

    /// A precomputed item written as is: `ENVELOPE`, `BODY`,
    /// `BODYSTRUCTURE` with their bytes from the message file.
    pub fn raw(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let out = self.item(name);
        out.push(b' ');
        out.extend_from_slice(value);
        self
    }

    /// `BINARY.SIZE[part] n`
    pub fn binary_size(&mut self, part: &[std::num::NonZeroU32], n: u64) -> &mut Self {
        let out = self.item("BINARY.SIZE[");
        section_spec(
            out,
            &Section {
                part: part.to_vec(),
                text: None,
            },
        );
        push_fmt(out, format_args!("] {n}"));
        self
    }

    fn section_name(&mut self, binary: bool, section: &Section, origin: Option<u32>) {
        let out = self.item(if binary { "BINARY[" } else { "BODY[" });
        section_spec(out, section);
        out.push(b']');
        if let Some(o) = origin {
            push_fmt(out, format_args!("<{o}>"));
        }
        out.push(b' ');
    }

    /// `BODY[section]<origin> data` (`NIL` for a section that does not
    /// exist), as a literal or quoted string.
    pub fn body_section(
        &mut self,
        section: &Section,
        origin: Option<u32>,
        data: Option<&[u8]>,
    ) -> &mut Self {
        self.section_name(false, section, origin);
        match data {
            Some(d) => crate::mime::imap_string::append_literal(self.out, d),
            None => self.out.extend_from_slice(b"NIL"),
        }
        self
    }

    /// `BODY[section]<origin> {len}` CRLF: the session sends the `len`
    /// bytes next (from the mapped file), then continues with this writer.
    pub fn body_section_literal_head(
        &mut self,
        section: &Section,
        origin: Option<u32>,
        len: u64,
    ) -> &mut Self {
        self.section_name(false, section, origin);
        literal_head(self.out, len, false);
        self
    }

    /// `BINARY[part]<origin> data` (`~{n}` when it holds NUL).
    pub fn binary(
        &mut self,
        part: &[std::num::NonZeroU32],
        origin: Option<u32>,
        data: &[u8],
    ) -> &mut Self {
        self.section_name(
            true,
            &Section {
                part: part.to_vec(),
                text: None,
            },
            origin,
        );
        literal8(self.out, data);
        self
    }

    /// `BINARY[part]<origin> ~{len}` CRLF (or `{len}`): data follows.
    pub fn binary_literal_head(
        &mut self,
        part: &[std::num::NonZeroU32],
        origin: Option<u32>,
        len: u64,
        has_nul: bool,
    ) -> &mut Self {
        self.section_name(
            true,
            &Section {
                part: part.to_vec(),
                text: None,
            },
            origin,
        );
        literal_head(self.out, len, has_nul);
        self
    }

    /// `RFC822`, `RFC822.HEADER`, `RFC822.TEXT` with their data.
    pub fn rfc822(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let out = self.item(name);
        out.push(b' ');
        crate::mime::imap_string::append_literal(out, data);
        self
    }

    /// `RFC822`, `RFC822.HEADER` or `RFC822.TEXT` then `{len}` CRLF: the
    /// session sends the bytes next from the message file.
    pub fn rfc822_literal_head(&mut self, name: &str, len: u64) -> &mut Self {
        let out = self.item(name);
        out.push(b' ');
        literal_head(out, len, false);
        self
    }

    /// How many bytes the output holds so far: where data sent after a
    /// `*_literal_head` call goes.
    pub fn position(&self) -> usize {
        self.out.len()
    }

    /// Closes the response: `)` CRLF.
    pub fn end(self) {
        self.out.extend_from_slice(b")\r\n");
    }
}
