//! FETCH: `fetch-att` (RFC 9051 section 9, RFC 3501, RFC 3516 BINARY,
//! RFC 7162 MODSEQ and the CHANGEDSINCE/VANISHED modifiers).

use std::num::NonZeroU32;

use super::command::CommandBody;
use super::cursor::{Cursor, PResult};
use super::{Limits, ParseError};
use crate::imap::types::{Section, SectionText};

/// `ALL`, `FAST`, `FULL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchMacro {
    /// `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`
    All,
    /// `(FLAGS INTERNALDATE RFC822.SIZE)`
    Fast,
    /// `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`
    Full,
}

impl FetchMacro {
    /// The attributes the macro stands for.
    pub fn expand(self) -> Vec<FetchAttr> {
        let mut v = vec![
            FetchAttr::Flags,
            FetchAttr::InternalDate,
            FetchAttr::Rfc822Size,
        ];
        match self {
            FetchMacro::Fast => {}
            FetchMacro::All => v.push(FetchAttr::Envelope),
            FetchMacro::Full => v.extend([FetchAttr::Envelope, FetchAttr::Body]),
        }
        v
    }
}

/// What FETCH asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchItems {
    /// A macro.
    Macro(FetchMacro),
    /// Attributes in the order given.
    Attrs(Vec<FetchAttr>),
}

/// `<origin.count>` of a partial fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// First octet.
    pub origin: u32,
    /// Most octets.
    pub count: NonZeroU32,
}

/// One `fetch-att`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttr {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822` (IMAP4rev1)
    Rfc822,
    /// `RFC822.HEADER` (IMAP4rev1)
    Rfc822Header,
    /// `RFC822.TEXT` (IMAP4rev1)
    Rfc822Text,
    /// `BODY` (non-extensible BODYSTRUCTURE)
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `MODSEQ` (RFC 7162)
    ModSeq,
    /// `BODY[section]<partial>` / `BODY.PEEK[...]`
    BodySection {
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The section.
        section: Section,
        /// The partial range.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` / `BINARY.PEEK[...]` (RFC 3516)
    Binary {
        /// `.PEEK`
        peek: bool,
        /// Part numbers.
        part: Vec<NonZeroU32>,
        /// The partial range.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]`
    BinarySize(Vec<NonZeroU32>),
}

/// `fetch-modifier`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE modseq`
    pub changed_since: Option<u64>,
    /// `VANISHED` (QRESYNC; requires CHANGEDSINCE and UID FETCH)
    pub vanished: bool,
}

/// `fetch` after the verb.
pub fn parse_fetch(c: &mut Cursor, limits: &Limits, uid: bool) -> PResult<CommandBody> {
    c.sp()?;
    let set = super::command::seq_set(c, limits)?;
    c.sp()?;
    let items = if c.keyword("ALL") {
        FetchItems::Macro(FetchMacro::All)
    } else if c.keyword("FAST") {
        FetchItems::Macro(FetchMacro::Fast)
    } else if c.keyword("FULL") {
        FetchItems::Macro(FetchMacro::Full)
    } else if c.peek() == Some(b'(') {
        let attrs = c.paren_list(false, fetch_att)?;
        if attrs.len() > limits.max_items {
            return Err(ParseError::limit("too many FETCH items"));
        }
        FetchItems::Attrs(attrs)
    } else {
        FetchItems::Attrs(vec![fetch_att(c)?])
    };
    let mut modifiers = FetchModifiers::default();
    if c.eat(b' ') {
        c.paren_list(false, |c| {
            if c.keyword("CHANGEDSINCE") {
                c.sp()?;
                modifiers.changed_since = Some(c.modseq(false)?);
            } else if c.keyword("VANISHED") {
                modifiers.vanished = true;
            } else {
                return Err(c.err("unknown FETCH modifier"));
            }
            Ok(())
        })?;
        // RFC 7162 section 3.2.6: VANISHED without CHANGEDSINCE, or
        // outside UID FETCH, is BAD.
        if modifiers.vanished && (!uid || modifiers.changed_since.is_none()) {
            return Err(c.err("VANISHED needs UID FETCH and CHANGEDSINCE"));
        }
    }
    Ok(CommandBody::Fetch {
        uid,
        set,
        items,
        modifiers,
    })
}

fn fetch_att(c: &mut Cursor) -> PResult<FetchAttr> {
    const SIMPLE: [(&str, FetchAttr); 11] = [
        ("ENVELOPE", FetchAttr::Envelope),
        ("FLAGS", FetchAttr::Flags),
        ("INTERNALDATE", FetchAttr::InternalDate),
        ("RFC822.SIZE", FetchAttr::Rfc822Size),
        ("RFC822.HEADER", FetchAttr::Rfc822Header),
        ("RFC822.TEXT", FetchAttr::Rfc822Text),
        ("RFC822", FetchAttr::Rfc822),
        ("BODYSTRUCTURE", FetchAttr::BodyStructure),
        ("UID", FetchAttr::Uid),
        ("MODSEQ", FetchAttr::ModSeq),
        ("BODY", FetchAttr::Body),
    ];
    if c.tag_ci("BINARY.SIZE") {
        return Ok(FetchAttr::BinarySize(section_binary(c)?));
    }
    if c.tag_ci("BINARY") {
        let peek = c.tag_ci(".PEEK");
        let part = section_binary(c)?;
        return Ok(FetchAttr::Binary {
            peek,
            part,
            partial: partial(c)?,
        });
    }
    if c.tag_ci("BODY.PEEK") {
        let section = section(c)?;
        return Ok(FetchAttr::BodySection {
            peek: true,
            section,
            partial: partial(c)?,
        });
    }
    for (name, attr) in SIMPLE {
        if c.keyword(name) {
            if attr == FetchAttr::Body && c.peek() == Some(b'[') {
                let section = section(c)?;
                return Ok(FetchAttr::BodySection {
                    peek: false,
                    section,
                    partial: partial(c)?,
                });
            }
            return Ok(attr);
        }
    }
    Err(c.err("unknown FETCH item"))
}

/// `section-part`: nz-number *("." nz-number); stops before a `.` that
/// is not followed by a digit.
fn section_part(c: &mut Cursor) -> PResult<Vec<NonZeroU32>> {
    let mut part = vec![c.nz_number()?];
    while c.peek() == Some(b'.') {
        let save = c.pos();
        c.eat(b'.');
        if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            part.push(c.nz_number()?);
        } else {
            c.rewind(save);
            break;
        }
    }
    if part.len() > 64 {
        return Err(ParseError::limit("section part too deep"));
    }
    Ok(part)
}

/// `section-binary`: `[` [section-part] `]`.
fn section_binary(c: &mut Cursor) -> PResult<Vec<NonZeroU32>> {
    c.expect(b'[')?;
    let part = if c.peek() == Some(b']') {
        Vec::new()
    } else {
        section_part(c)?
    };
    c.expect(b']')?;
    Ok(part)
}

/// `section`: `[` [section-spec] `]`.
fn section(c: &mut Cursor) -> PResult<Section> {
    c.expect(b'[')?;
    let mut s = Section::default();
    if c.eat(b']') {
        return Ok(s);
    }
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        s.part = section_part(c)?;
        if !c.eat(b'.') {
            c.expect(b']')?;
            return Ok(s);
        }
        if c.keyword("MIME") {
            s.text = Some(SectionText::Mime);
            c.expect(b']')?;
            return Ok(s);
        }
    }
    s.text = Some(if c.tag_ci("HEADER.FIELDS.NOT") {
        c.sp()?;
        SectionText::HeaderFieldsNot(header_list(c)?)
    } else if c.tag_ci("HEADER.FIELDS") {
        c.sp()?;
        SectionText::HeaderFields(header_list(c)?)
    } else if c.keyword("HEADER") {
        SectionText::Header
    } else if c.keyword("TEXT") {
        SectionText::Text
    } else {
        return Err(c.err("bad section"));
    });
    c.expect(b']')?;
    Ok(s)
}

/// `header-list`: `(` header-fld-name *(SP header-fld-name) `)`.
fn header_list(c: &mut Cursor) -> PResult<Vec<String>> {
    c.paren_list(false, |c| c.astring_text())
}

/// `partial`: `<` number `.` nz-number `>`.
fn partial(c: &mut Cursor) -> PResult<Option<Partial>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let origin = c.number()?;
    c.expect(b'.')?;
    let count = c.nz_number()?;
    c.expect(b'>')?;
    Ok(Some(Partial { origin, count }))
}
