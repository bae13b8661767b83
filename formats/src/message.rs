//! The message file, `[MESSAGES.h1.h2]Mxxxxxxxxxxxxx.MSG` (SPEC.md,
//! "Message file"): FIX 512 blocks: a header (fixed prefix, then VAR
//! records), then the body in wire form, zero-padded to a block boundary.

use crate::codec::{Enc, PResult, list16, parse_record, str16, u64le};
use crate::container::{END, Record, UnknownRecord, crc32};
use crate::error::{Error, ErrorKind, WriteError};
use crate::imap::ImapData;
use crate::kind::{FileKind, StoreFile};
use crate::record::{BLOCK, var_records_at, write_var};
use crate::types::TextBytes;
use crate::{FORMAT_MAJOR, FORMAT_MINOR};

/// Offsets of the fixed prefix (block 0, bytes 0 to 63).
pub mod at {
    /// Magic `PSMF` (4 bytes).
    pub const MAGIC: usize = 0;
    /// Major version (u16).
    pub const MAJOR: usize = 4;
    /// Minor version (u16).
    pub const MINOR: usize = 6;
    /// Header blocks before the body (u32, at least 1).
    pub const HEADER_BLOCKS: usize = 8;
    /// Message flags (u32).
    pub const FLAGS: usize = 12;
    /// Exact body length in bytes (u64).
    pub const BODY_LENGTH: usize = 16;
    /// Body line count (u64).
    pub const LINE_COUNT: usize = 24;
    /// Creation time (i64).
    pub const CREATED: usize = 32;
    /// Recipient count (u32).
    pub const RECIPIENT_COUNT: usize = 40;
    /// Reference count (u32), the one field updated in place.
    pub const REFCOUNT: usize = 44;
    /// Bitwise complement of the reference count (u32).
    pub const REFCOUNT_CHECK: usize = 48;
    /// CRC-32 of the body (u32).
    pub const BODY_CRC: usize = 52;
    /// Length of the header records area (u32), from offset 64 to the end
    /// of the end record.
    pub const RECORDS_LENGTH: usize = 56;
    /// Reserved, 0 (u32).
    pub const RESERVED: usize = 60;
    /// First header record.
    pub const RECORDS: usize = 64;
}

/// Record types of the message header (the IMAP section's are in
/// [`crate::imap::rtype`]).
pub mod rtype {
    /// Envelope: channel, From, envelope id, message id (required, once).
    pub const ENVELOPE: u16 = 0x0001;
    /// One envelope recipient.
    pub const RECIPIENT: u16 = 0x0002;
    /// Body offsets of lines that begin with `.` (chunks, in order).
    pub const DOT_LINES: u16 = 0x0003;
}

/// Most offsets in one DOT_LINES record.
pub const DOT_LINES_PER_RECORD: usize = 4000;

crate::open_flags! {
    /// Message flags.
    pub struct MessageFlags(u32) {
        /// The body holds bytes above 0x7F.
        EIGHT_BIT = 1, "8bit";
        /// The body holds NUL or bare CR/LF (BINARYMIME).
        BINARY = 2, "binary";
    }
}

/// Everything in a message file but the body.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MessageHeader {
    /// Flags.
    pub flags: MessageFlags,
    /// When the file was written.
    pub created: i64,
    /// Recipients the message was delivered to in this store.
    pub recipient_count: u32,
    /// References (message-list entries and folder entries) to this file.
    pub ref_count: u32,
    /// Delivering channel (`lmtp`, `deliver`, ...).
    pub channel: String,
    /// Envelope From (empty: the null sender).
    pub env_from: String,
    /// DSN envelope id (empty: none).
    pub envelope_id: String,
    /// The Message-ID header's value (empty: none).
    pub message_id: String,
    /// Envelope To, one per recipient.
    pub recipients: Vec<String>,
    /// Precomputed IMAP data.
    pub imap: ImapData,
    /// Records of types this reader does not know.
    pub unknown: Vec<UnknownRecord>,
}

/// Where the body is and what the header says about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct BodyInfo {
    /// File offset of the body's first byte (header blocks x 512).
    pub offset: u64,
    /// Exact body length.
    pub length: u64,
    /// Lines: CRLF count, plus 1 when a non-empty body does not end in CRLF.
    pub line_count: u64,
    /// CRC-32 of the body.
    pub crc32: u32,
    /// Body offsets of the lines that begin with `.` (POP3 dot-stuffing).
    pub dot_lines: Vec<u64>,
}

impl BodyInfo {
    /// Computes the facts of `body` (at offset 0; the writer sets it).
    pub fn of(body: &[u8]) -> BodyInfo {
        let mut dot_lines = Vec::new();
        let mut lines = 0u64;
        let mut line_start = true;
        for (i, b) in body.iter().enumerate() {
            if line_start && *b == b'.' {
                dot_lines.push(i as u64);
            }
            line_start = *b == b'\n' && i > 0 && body[i - 1] == b'\r';
            if line_start {
                lines += 1;
            }
        }
        if !body.is_empty() && !body.ends_with(b"\r\n") {
            lines += 1;
        }
        BodyInfo {
            offset: 0,
            length: body.len() as u64,
            line_count: lines,
            crc32: crc32(body),
            dot_lines,
        }
    }

    /// The byte range of the body in the file.
    pub fn range(&self) -> std::ops::Range<usize> {
        let start = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let len = usize::try_from(self.length).unwrap_or(usize::MAX);
        start..start.saturating_add(len)
    }
}

/// A whole message file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MessageFile {
    /// The header.
    pub header: MessageHeader,
    /// Facts about the body (computed by [`MessageFile::new`]; the writer
    /// recomputes them).
    pub info: BodyInfo,
    /// The body: the message as sent (CRLF lines, not dot-stuffed).
    pub body: TextBytes,
}

/// The 8 bytes to write at [`at::REFCOUNT`] to set the reference count to
/// `n` in place: the count and its complement.
pub fn encode_refcount(n: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&n.to_le_bytes());
    b[4..].copy_from_slice(&(!n).to_le_bytes());
    b
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

fn envelope(i: &[u8]) -> PResult<'_, [String; 4]> {
    let (i, a) = str16(i)?;
    let (i, b) = str16(i)?;
    let (i, c) = str16(i)?;
    let (i, d) = str16(i)?;
    Ok((i, [a, b, c, d]))
}

/// The checksum of the header: CRC-32 of bytes 0 up to the end record's
/// count word, with the 8 reference-count bytes (44..52) taken as zero.
fn header_crc(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..at::REFCOUNT]);
    h.update(&[0u8; 8]);
    h.update(&bytes[at::BODY_CRC..]);
    h.finalize()
}

fn bad_value(offset: usize, reason: impl Into<String>) -> Error {
    Error::new(
        offset,
        ErrorKind::BadValue {
            reason: reason.into(),
        },
    )
}

/// What the checks of a message file's header found: the header records
/// (without the end record), where the end record is, and where the body
/// starts.
struct Frame<'a> {
    recs: Vec<Record<'a>>,
    end_at: usize,
    body_start: usize,
    body_len: u64,
    refcount: u32,
}

/// The checks [`read_header`] and [`read_body_info`] share: prefix,
/// version, length, reference count, header framing and checksum, padding.
fn frame(bytes: &[u8]) -> Result<Frame<'_>, Error> {
    let magic = FileKind::MESSAGE.magic();
    let have = &bytes[..bytes.len().min(4)];
    if have != &magic[..have.len()] {
        return Err(Error::new(
            0,
            ErrorKind::BadMagic {
                expected: magic,
                found: have.to_vec(),
            },
        ));
    }
    if bytes.len() < 8 {
        return Err(Error::new(bytes.len(), ErrorKind::Truncated));
    }
    let major = u16::from_le_bytes([bytes[4], bytes[5]]);
    let minor = u16::from_le_bytes([bytes[6], bytes[7]]);
    if major > FORMAT_MAJOR {
        return Err(Error::new(
            at::MAJOR,
            ErrorKind::FutureVersion { major, minor },
        ));
    }
    if major == 0 {
        return Err(bad_value(at::MAJOR, "major version 0 does not exist"));
    }
    if !bytes.len().is_multiple_of(BLOCK) {
        return Err(Error::new(
            bytes.len() - bytes.len() % BLOCK,
            ErrorKind::OddLength {
                len: bytes.len() as u64,
            },
        ));
    }
    // A multiple of 512 and at least 8 bytes: the fixed prefix is there.
    let hb = u32_at(bytes, at::HEADER_BLOCKS) as usize;
    let body_len = u64_at(bytes, at::BODY_LENGTH);
    let rec_len = u32_at(bytes, at::RECORDS_LENGTH) as usize;
    if hb == 0 {
        return Err(bad_value(at::HEADER_BLOCKS, "header blocks is 0"));
    }
    let body_start = hb.saturating_mul(BLOCK);
    if rec_len > body_start - at::RECORDS {
        return Err(bad_value(
            at::RECORDS_LENGTH,
            "header records run past the header blocks",
        ));
    }
    let body_blocks = body_len.div_ceil(BLOCK as u64);
    let expected = (hb as u64)
        .saturating_add(body_blocks)
        .saturating_mul(BLOCK as u64);
    let len = bytes.len() as u64;
    if len < expected {
        return Err(Error::new(bytes.len(), ErrorKind::Truncated));
    }
    if len > expected {
        return Err(Error::new(
            expected as usize,
            ErrorKind::TrailingGarbage {
                extra: len - expected,
            },
        ));
    }
    if u32_at(bytes, at::RESERVED) != 0 {
        return Err(bad_value(at::RESERVED, "reserved field is not 0"));
    }
    let refcount = u32_at(bytes, at::REFCOUNT);
    let check = u32_at(bytes, at::REFCOUNT_CHECK);
    if check != !refcount {
        return Err(Error::new(
            at::REFCOUNT,
            ErrorKind::BadChecksum {
                what: "reference count",
                stored: check,
                computed: !refcount,
            },
        ));
    }

    // The header records.
    let area_end = at::RECORDS + rec_len;
    let area = &bytes[at::RECORDS..area_end];
    let mut recs = Vec::new();
    let mut end_at = None;
    for r in var_records_at(area, at::RECORDS) {
        let r = r.map_err(|e| Error::from_framing(e.shifted(at::RECORDS)))?;
        let offset = at::RECORDS + r.offset + 2;
        if end_at.is_some() {
            return Err(bad_value(offset, "header record after the end record"));
        }
        let Some((code, body)) = r.data.split_first_chunk::<2>() else {
            return Err(Error::new(
                offset,
                ErrorKind::BadRecord {
                    rtype: 0xFFFF,
                    reason: "record has no type code".to_owned(),
                },
            ));
        };
        let rtype = u16::from_le_bytes(*code);
        if rtype == END {
            let Ok(f) = <[u8; 8]>::try_from(body) else {
                return Err(Error::new(
                    offset,
                    ErrorKind::BadRecord {
                        rtype: END,
                        reason: "end record must hold 8 bytes".to_owned(),
                    },
                ));
            };
            let count = u32::from_le_bytes([f[0], f[1], f[2], f[3]]);
            let stored = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            let computed = header_crc(&bytes[..offset - 2]);
            // Fuzzing builds skip checksums so mutations reach the parsers.
            if stored != computed && !cfg!(fuzzing) {
                return Err(Error::new(
                    offset + 6,
                    ErrorKind::BadChecksum {
                        what: "header",
                        stored,
                        computed,
                    },
                ));
            }
            if usize::try_from(count).ok() != Some(recs.len()) {
                return Err(bad_value(offset + 2, "end record's record count is wrong"));
            }
            end_at = Some(offset);
            continue;
        }
        recs.push(Record {
            offset,
            rtype,
            body,
        });
    }
    let Some(end_at) = end_at else {
        return Err(Error::new(area_end, ErrorKind::Truncated));
    };
    if let Some(p) = bytes[area_end..body_start].iter().position(|b| *b != 0) {
        return Err(bad_value(area_end + p, "header padding is not zero"));
    }

    Ok(Frame {
        recs,
        end_at,
        body_start,
        body_len,
        refcount,
    })
}

/// Where the body is and which of its lines POP3 must dot-stuff, with
/// every check of [`read_header`] on the frame and the header checksum, but
/// without decoding the envelope, recipient and IMAP records: what a POP3
/// RETR needs, for a fraction of the work.
pub fn read_body_info(bytes: &[u8]) -> Result<BodyInfo, Error> {
    let f = frame(bytes)?;
    let mut dots: Vec<u64> = Vec::new();
    for r in f.recs.iter().filter(|r| r.rtype == rtype::DOT_LINES) {
        dots.extend(parse_record(r.rtype, r.body_offset(), r.body, |i| {
            list16(i, 8, u64le)
        })?);
    }
    Ok(body_info(bytes, &f, dots))
}

fn body_info(bytes: &[u8], f: &Frame<'_>, dot_lines: Vec<u64>) -> BodyInfo {
    BodyInfo {
        offset: f.body_start as u64,
        length: f.body_len,
        line_count: u64_at(bytes, at::LINE_COUNT),
        crc32: u32_at(bytes, at::BODY_CRC),
        dot_lines,
    }
}

/// Reads and checks the header blocks of a message file (not the body:
/// cheap enough for every POP3/IMAP open). Checks the magic, version,
/// block structure and file length, the header checksum and the reference
/// count's complement.
pub fn read_header(bytes: &[u8]) -> Result<(MessageHeader, BodyInfo), Error> {
    let f = frame(bytes)?;
    let (recs, end_at, refcount) = (&f.recs, f.end_at, f.refcount);
    let mut h = MessageHeader {
        flags: MessageFlags(u32_at(bytes, at::FLAGS)),
        created: u64_at(bytes, at::CREATED) as i64,
        recipient_count: u32_at(bytes, at::RECIPIENT_COUNT),
        ref_count: refcount,
        ..MessageHeader::default()
    };
    let mut env = None;
    let mut dots: Vec<u64> = Vec::new();
    for r in recs {
        let at = r.body_offset();
        match r.rtype {
            rtype::ENVELOPE => {
                crate::container::once(&mut env, r, parse_record(r.rtype, at, r.body, envelope)?)?
            }
            rtype::RECIPIENT => h.recipients.push(parse_record(r.rtype, at, r.body, str16)?),
            rtype::DOT_LINES => {
                dots.extend(parse_record(r.rtype, at, r.body, |i| list16(i, 8, u64le))?)
            }
            t if h.imap.take(r)? => debug_assert!(crate::imap::rtype::is_imap(t)),
            _ => h.unknown.push(UnknownRecord::from_record(r)),
        }
    }
    let Some([channel, env_from, envelope_id, message_id]) = env else {
        return Err(Error::new(
            end_at,
            ErrorKind::MissingRecord {
                rtype: rtype::ENVELOPE,
            },
        ));
    };
    h.channel = channel;
    h.env_from = env_from;
    h.envelope_id = envelope_id;
    h.message_id = message_id;
    let info = body_info(bytes, &f, dots);
    Ok((h, info))
}

impl MessageFile {
    /// A message file holding `body`, its facts computed.
    pub fn new(header: MessageHeader, body: Vec<u8>) -> Self {
        let info = BodyInfo::of(&body);
        let mut m = MessageFile {
            header,
            info,
            body: TextBytes(body),
        };
        m.info.offset = m.body_offset() as u64;
        m
    }

    fn records(&self, info: &BodyInfo) -> Result<Vec<Vec<u8>>, WriteError> {
        let h = &self.header;
        let mut recs = Vec::new();
        let mut e = Enc::record(rtype::ENVELOPE);
        e.str16("channel", &h.channel)?;
        e.str16("envelope From", &h.env_from)?;
        e.str16("envelope id", &h.envelope_id)?;
        e.str16("message id", &h.message_id)?;
        recs.push(e.finish("envelope record")?);
        for r in &h.recipients {
            let mut e = Enc::record(rtype::RECIPIENT);
            e.str16("recipient", r)?;
            recs.push(e.finish("recipient record")?);
        }
        for chunk in info.dot_lines.chunks(DOT_LINES_PER_RECORD) {
            let mut e = Enc::record(rtype::DOT_LINES);
            e.count16("dot lines", chunk.len())?;
            for o in chunk {
                e.u64(*o);
            }
            recs.push(e.finish("dot-lines record")?);
        }
        recs.extend(h.imap.encode()?);
        recs.extend(h.unknown.iter().map(UnknownRecord::encode));
        Ok(recs)
    }

    fn records_area(&self, info: &BodyInfo) -> Result<(Vec<u8>, usize), WriteError> {
        let mut area = Vec::new();
        let recs = self.records(info)?;
        for r in &recs {
            write_var(&mut area, r).map_err(|e| WriteError::BadValue(e.to_string()))?;
        }
        Ok((area, recs.len()))
    }

    /// File offset of the body, as the writer will place it.
    pub fn body_offset(&self) -> usize {
        let info = BodyInfo::of(&self.body.0);
        let area = self.records_area(&info).map(|a| a.0.len()).unwrap_or(0);
        (at::RECORDS + area + 12).div_ceil(BLOCK) * BLOCK
    }
}

impl StoreFile for MessageFile {
    const MAGIC: [u8; 4] = *b"PSMF";
    const KIND: FileKind = FileKind::MESSAGE;

    /// Reads the whole file: [`read_header`], then checks the body against
    /// its checksum, line count and dot-line offsets, and the zero padding.
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (header, info) = read_header(bytes)?;
        let range = info.range();
        let body = &bytes[range.clone()];
        let computed = crc32(body);
        if computed != info.crc32 && !cfg!(fuzzing) {
            return Err(Error::new(
                range.start,
                ErrorKind::BadChecksum {
                    what: "body",
                    stored: info.crc32,
                    computed,
                },
            ));
        }
        if let Some(p) = bytes[range.end..].iter().position(|b| *b != 0) {
            return Err(bad_value(range.end + p, "body padding is not zero"));
        }
        let facts = BodyInfo::of(body);
        if facts.line_count != info.line_count {
            return Err(bad_value(
                at::LINE_COUNT,
                format!(
                    "line count {} but the body has {}",
                    info.line_count, facts.line_count
                ),
            ));
        }
        if facts.dot_lines != info.dot_lines {
            return Err(bad_value(
                at::RECORDS,
                "dot-line offsets do not match the body",
            ));
        }
        let mut info = info;
        info.crc32 = computed; // equal, except in fuzzing builds
        Ok(MessageFile {
            header,
            info,
            body: TextBytes(body.to_vec()),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, WriteError> {
        let info = BodyInfo::of(&self.body.0);
        let mut out = encode_head(&self.header, &info)?;
        out.extend_from_slice(&self.body.0);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        Ok(out)
    }
}

/// The header blocks of a message file whose body has the facts `info`
/// (from [`BodyInfo::of`]; its offset is ignored): what goes before the
/// body. The file is these blocks, the body, then zeros up to a multiple
/// of 512 bytes ([`body_padding`]). For writers that copy a large body
/// from elsewhere rather than hold a [`MessageFile`].
pub fn encode_head(header: &MessageHeader, info: &BodyInfo) -> Result<Vec<u8>, WriteError> {
    let m = MessageFile {
        header: header.clone(),
        info: BodyInfo::default(),
        body: TextBytes(Vec::new()),
    };
    m.encode_head(info)
}

/// The zero bytes that follow a body of `len` bytes in a message file.
pub fn body_padding(len: u64) -> usize {
    (BLOCK - (len % BLOCK as u64) as usize) % BLOCK
}

impl MessageFile {
    fn encode_head(&self, info: &BodyInfo) -> Result<Vec<u8>, WriteError> {
        let (area, count) = self.records_area(info)?;
        let h = &self.header;
        let mut out = Enc::raw();
        out.fixed(&FileKind::MESSAGE.magic())
            .u16(FORMAT_MAJOR)
            .u16(FORMAT_MINOR);
        let header_len = at::RECORDS + area.len() + 12;
        let hb = header_len.div_ceil(BLOCK);
        let hb32 =
            u32::try_from(hb).map_err(|_| WriteError::BadValue("header too large".into()))?;
        let rec_len = u32::try_from(area.len() + 12)
            .map_err(|_| WriteError::BadValue("header too large".into()))?;
        out.u32(hb32)
            .u32(h.flags.0)
            .u64(info.length)
            .u64(info.line_count)
            .i64(h.created)
            .u32(h.recipient_count)
            .fixed(&encode_refcount(h.ref_count))
            .u32(info.crc32)
            .u32(rec_len)
            .u32(0)
            .fixed(&area);
        let mut out = out.into_bytes();
        let count =
            u32::try_from(count).map_err(|_| WriteError::BadValue("too many records".into()))?;
        let crc = header_crc(&out);
        let mut end = END.to_le_bytes().to_vec();
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&crc.to_le_bytes());
        write_var(&mut out, &end).map_err(|e| WriteError::BadValue(e.to_string()))?;
        out.resize(hb * BLOCK, 0);
        Ok(out)
    }
}

#[cfg(test)]
mod body_info_tests {
    use super::*;

    #[test]
    fn body_info_is_read_headers_info_and_checks_the_same_checksum() {
        for m in crate::samples::messages() {
            let bytes = m.encode().unwrap();
            let (_, want) = read_header(&bytes).unwrap();
            assert_eq!(read_body_info(&bytes).unwrap(), want);
            // A flipped byte in the header records fails both readers alike.
            let mut bad = bytes.clone();
            bad[at::RECORDS + 3] ^= 0x20;
            let a = read_header(&bad).unwrap_err();
            let b = read_body_info(&bad).unwrap_err();
            assert_eq!((a.offset, a.kind.code()), (b.offset, b.kind.code()));
        }
    }
}
