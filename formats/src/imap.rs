//! The precomputed IMAP section of a message file (SPEC.md, "Precomputed
//! IMAP data"): filled at delivery so FETCH answers are slices.

use crate::codec::{Enc, PResult, list16, parse_record, u32le, u64le};
use crate::container::{Record, once};
use crate::error::{Error, WriteError};
use crate::record::MAX_VAR_RECORD;
use crate::types::TextBytes;

/// Record types of the IMAP section (all optional).
pub mod rtype {
    /// RFC822.SIZE (u64).
    pub const RFC822_SIZE: u16 = 0x0101;
    /// ENVELOPE response text (chunks, concatenated in order).
    pub const ENVELOPE: u16 = 0x0102;
    /// BODY response text (chunks).
    pub const BODY: u16 = 0x0103;
    /// BODYSTRUCTURE response text (chunks).
    pub const BODYSTRUCTURE: u16 = 0x0104;
    /// One MIME part.
    pub const PART: u16 = 0x0105;

    /// True for the codes of this section.
    pub fn is_imap(t: u16) -> bool {
        (0x0100..0x0200).contains(&t)
    }
}

crate::open_flags! {
    /// Part flags.
    pub struct PartFlags(u32) {
        /// A message/rfc822 part: the entry that follows (same path)
        /// describes the encapsulated message's header and text.
        MESSAGE_RFC822 = 1, "message-rfc822";
    }
}

/// One MIME part. Offsets are relative to the start of the body (the
/// message as sent), lengths in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// IMAP part path (`[1, 2]` = part 1.2); empty = the whole message.
    pub path: Vec<u32>,
    /// Offset of the part's MIME header.
    pub header_offset: u64,
    /// Length of the part's MIME header, including the blank line.
    pub header_length: u64,
    /// Offset of the part's body.
    pub body_offset: u64,
    /// Length of the part's body.
    pub body_length: u64,
    /// Lines in the part's body.
    pub body_lines: u64,
    /// Decoded size (BINARY.SIZE) for base64 or quoted-printable parts.
    pub decoded_size: Option<u64>,
    /// Flags.
    pub flags: PartFlags,
}

/// The precomputed IMAP data.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImapData {
    /// RFC822.SIZE.
    pub rfc822_size: Option<u64>,
    /// ENVELOPE, the exact response text.
    pub envelope: Option<TextBytes>,
    /// BODY, the exact response text.
    pub body: Option<TextBytes>,
    /// BODYSTRUCTURE, the exact response text.
    pub bodystructure: Option<TextBytes>,
    /// The part table.
    pub parts: Vec<Part>,
}

fn part(i: &[u8]) -> PResult<'_, Part> {
    let (i, path) = list16(i, 4, u32le)?;
    let (i, header_offset) = u64le(i)?;
    let (i, header_length) = u64le(i)?;
    let (i, body_offset) = u64le(i)?;
    let (i, body_length) = u64le(i)?;
    let (i, body_lines) = u64le(i)?;
    let (i, decoded_size) = crate::codec::limit(i)?;
    let (i, flags) = u32le(i)?;
    Ok((
        i,
        Part {
            path,
            header_offset,
            header_length,
            body_offset,
            body_length,
            body_lines,
            decoded_size,
            flags: PartFlags(flags),
        },
    ))
}

fn append(slot: &mut Option<TextBytes>, data: &[u8]) {
    slot.get_or_insert_with(TextBytes::default)
        .0
        .extend_from_slice(data);
}

impl ImapData {
    /// Takes one record of the IMAP section; false when `r` is not one.
    pub fn take(&mut self, r: &Record<'_>) -> Result<bool, Error> {
        let at = r.body_offset();
        match r.rtype {
            rtype::RFC822_SIZE => once(
                &mut self.rfc822_size,
                r,
                parse_record(r.rtype, at, r.body, u64le)?,
            )?,
            rtype::ENVELOPE => append(&mut self.envelope, r.body),
            rtype::BODY => append(&mut self.body, r.body),
            rtype::BODYSTRUCTURE => append(&mut self.bodystructure, r.body),
            rtype::PART => self.parts.push(parse_record(r.rtype, at, r.body, part)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The section's records (type code first), in the spec's order.
    pub fn encode(&self) -> Result<Vec<Vec<u8>>, WriteError> {
        let mut recs = Vec::new();
        if let Some(s) = self.rfc822_size {
            let mut e = Enc::record(rtype::RFC822_SIZE);
            e.u64(s);
            recs.push(e.finish("RFC822.SIZE record")?);
        }
        for (t, text) in [
            (rtype::ENVELOPE, &self.envelope),
            (rtype::BODY, &self.body),
            (rtype::BODYSTRUCTURE, &self.bodystructure),
        ] {
            if let Some(text) = text {
                chunks(t, &text.0, &mut recs);
            }
        }
        for p in &self.parts {
            let mut e = Enc::record(rtype::PART);
            e.count16("part path", p.path.len())?;
            for n in &p.path {
                e.u32(*n);
            }
            e.u64(p.header_offset)
                .u64(p.header_length)
                .u64(p.body_offset)
                .u64(p.body_length)
                .u64(p.body_lines)
                .limit(p.decoded_size)
                .u32(p.flags.0);
            recs.push(e.finish("part record")?);
        }
        Ok(recs)
    }
}

/// Splits `text` into records of type `t` of at most one VAR record each;
/// an empty text is one empty record.
pub fn chunks(t: u16, text: &[u8], recs: &mut Vec<Vec<u8>>) {
    let max = MAX_VAR_RECORD - 2;
    let mut rest = text;
    loop {
        let (now, later) = rest.split_at(rest.len().min(max));
        let mut r = t.to_le_bytes().to_vec();
        r.extend_from_slice(now);
        recs.push(r);
        rest = later;
        if rest.is_empty() {
            break;
        }
    }
}
