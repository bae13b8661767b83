//! Conversion between [`Precomputed`] and the message file's precomputed
//! IMAP section ([`popstore_formats::imap::ImapData`], SPEC.md "Precomputed
//! IMAP data").
//!
//! Each [`PartEntry`] becomes one PART record. A message/rfc822 part is
//! flagged `MESSAGE_RFC822` and followed by a second record with the same
//! path giving the encapsulated message's header and text. The whole
//! message (empty path) carries its header and text itself. Dot-line
//! offsets live in the message file's body info, not here.

use popstore_formats::imap::{ImapData, Part, PartFlags};
use popstore_formats::types::TextBytes;

use super::{MessageRanges, PartEntry, Precomputed};

/// The IMAP section for `pre`.
pub fn to_imap_data(pre: &Precomputed) -> ImapData {
    let mut parts = Vec::with_capacity(pre.parts.len() + 4);
    for e in &pre.parts {
        let rfc822 = !e.path.is_empty() && e.message.is_some();
        parts.push(Part {
            path: e.path.clone(),
            header_offset: e.header.start,
            header_length: e.header.end - e.header.start,
            body_offset: e.body.start,
            body_length: e.body.end - e.body.start,
            body_lines: e.lines,
            decoded_size: e.decoded_size,
            flags: if rfc822 {
                PartFlags::MESSAGE_RFC822
            } else {
                PartFlags(0)
            },
        });
        if let (true, Some(m)) = (rfc822, &e.message) {
            parts.push(Part {
                path: e.path.clone(),
                header_offset: m.header.start,
                header_length: m.header.end - m.header.start,
                body_offset: m.text.start,
                body_length: m.text.end - m.text.start,
                body_lines: 0,
                decoded_size: None,
                flags: PartFlags(0),
            });
        }
    }
    ImapData {
        rfc822_size: Some(pre.size),
        envelope: Some(TextBytes(pre.envelope.clone())),
        body: Some(TextBytes(pre.body.clone())),
        bodystructure: Some(TextBytes(pre.bodystructure.clone())),
        parts,
    }
}

/// Why a stored IMAP section cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredError {
    /// A required record is absent.
    #[error("the precomputed IMAP section lacks {0}")]
    Missing(&'static str),
    /// A message/rfc822 part is not followed by its message record.
    #[error("part {0:?} is message/rfc822 but its message record is missing")]
    MessageRecord(Vec<u32>),
    /// An offset plus length overflows.
    #[error("part {0:?} has a range that overflows")]
    Overflow(Vec<u32>),
}

fn range(p: &Part, header: bool) -> Result<std::ops::Range<u64>, StoredError> {
    let (o, l) = if header {
        (p.header_offset, p.header_length)
    } else {
        (p.body_offset, p.body_length)
    };
    let end = o
        .checked_add(l)
        .ok_or_else(|| StoredError::Overflow(p.path.clone()))?;
    Ok(o..end)
}

/// Reads the IMAP section back; `dot_lines` come from the body info.
pub fn from_imap_data(d: &ImapData, dot_lines: Vec<u64>) -> Result<Precomputed, StoredError> {
    let mut parts: Vec<PartEntry> = Vec::with_capacity(d.parts.len());
    let mut i = 0;
    while i < d.parts.len() {
        let p = &d.parts[i];
        let mut message = None;
        if p.path.is_empty() {
            message = Some(MessageRanges {
                header: range(p, true)?,
                text: range(p, false)?,
            });
        } else if p.flags.0 & PartFlags::MESSAGE_RFC822.0 != 0 {
            let m = d
                .parts
                .get(i + 1)
                .filter(|m| m.path == p.path)
                .ok_or_else(|| StoredError::MessageRecord(p.path.clone()))?;
            message = Some(MessageRanges {
                header: range(m, true)?,
                text: range(m, false)?,
            });
            i += 1;
        }
        parts.push(PartEntry {
            path: p.path.clone(),
            header: range(p, true)?,
            body: range(p, false)?,
            lines: p.body_lines,
            decoded_size: p.decoded_size,
            message,
            multipart: false,
        });
        i += 1;
    }
    // A part with children that is not a message is a multipart; the whole
    // message is one when its part 1 does not have the message header.
    let paths: std::collections::HashMap<Vec<u32>, std::ops::Range<u64>> = parts
        .iter()
        .map(|e| (e.path.clone(), e.header.clone()))
        .collect();
    for e in &mut parts {
        let mut child = e.path.clone();
        child.push(1);
        e.multipart = match paths.get(&child) {
            None => false,
            Some(header) if e.path.is_empty() => *header != e.header,
            Some(_) => e.message.is_none(),
        };
    }
    Ok(Precomputed {
        size: d.rfc822_size.ok_or(StoredError::Missing("RFC822.SIZE"))?,
        envelope: d
            .envelope
            .clone()
            .ok_or(StoredError::Missing("ENVELOPE"))?
            .0,
        body: d.body.clone().ok_or(StoredError::Missing("BODY"))?.0,
        bodystructure: d
            .bodystructure
            .clone()
            .ok_or(StoredError::Missing("BODYSTRUCTURE"))?
            .0,
        parts,
        dot_lines,
    })
}
