//! Byte-by-byte annotation of a store file (`popstore inspect --hex`, and
//! the annotated examples of SPEC.md). Driven by a table of every record
//! type's fields that mirrors SPEC.md; the file is decoded first, so only
//! valid files are annotated.

use crate::AnyFile;
use crate::container::FIRST_RECORD;
use crate::error::Error;
use crate::kind::FileKind;
use crate::message::at;
use crate::record::{BLOCK, var_records_at};

/// One annotated byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Offset in the file.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// What the bytes mean.
    pub label: String,
}

/// Field encodings (SPEC.md section 2).
#[derive(Debug, Clone, Copy)]
enum F {
    U8,
    U16,
    U32,
    U64,
    I64,
    Time,
    Limit,
    Msgid,
    Bytes16,
    Str16,
    Fixed(usize),
    ListStr,
    ListU16,
    ListU32,
    ListU64,
    /// `list16` of (`u32` UID, `msgid`) pairs.
    ListExpunged,
    Rest,
}

type Schema = (&'static str, &'static [(&'static str, F)]);

/// The fields of a message-list ENTRY, in the list and in its journal.
const ENTRY: &[(&str, F)] = &[
    ("message file", F::Msgid),
    ("size", F::U64),
    ("delivered", F::Time),
    ("entry flags", F::U32),
    ("UIDL", F::Str16),
];

fn schema(kind: FileKind, rtype: u16) -> Option<Schema> {
    use F::*;
    let s: Schema = match (kind, rtype) {
        (FileKind::DESCRIPTOR, 1) => (
            "STORE",
            &[
                ("store id", Fixed(16)),
                ("created", Time),
                ("fanout levels", U8),
                ("zero", U8),
                ("fanout width", U16),
                ("name style", U16),
                ("longest name", U16),
                ("store flags", U32),
                ("character set", Str16),
            ],
        ),
        (FileKind::DESCRIPTOR, 2) => (
            "ROOT",
            &[
                ("index", U8),
                ("zero", U8),
                ("roles", U32),
                ("label", Str16),
                ("Linux directory", Str16),
                ("OpenVMS directory", Str16),
            ],
        ),
        (FileKind::DESCRIPTOR, 3) => ("DOMAIN", &[("domain", Str16)]),
        (FileKind::PROFILE, 1) => (
            "ACCOUNT",
            &[
                ("store type", U16),
                ("account flags", U32),
                ("username", Str16),
                ("owner", Str16),
                ("group", Str16),
                ("domain", Str16),
            ],
        ),
        (FileKind::PROFILE, 2) => ("PRIVATE", &[("private data", Bytes16)]),
        (FileKind::PROFILE, 3) => (
            "TIMES",
            &[
                ("created", Time),
                ("last password change", Time),
                ("last connect", Time),
                ("last disconnect", Time),
                ("last billing", Time),
            ],
        ),
        (FileKind::PROFILE, 4) => (
            "COUNTERS",
            &[
                ("total connect seconds", U64),
                ("total connections", U64),
                ("past block days", U64),
                ("message count", U64),
                ("received messages", U64),
                ("received bytes", U64),
                ("quota used", U64),
            ],
        ),
        (FileKind::PROFILE, 5) => ("QUOTA", &[("primary quota", Limit), ("overdraft", Limit)]),
        (FileKind::PROFILE, 0x10) => ("ARGON2ID", &[("PHC string", Bytes16)]),
        (FileKind::PROFILE, 0x11) => (
            "SCRAM_SHA_256",
            &[
                ("iterations", U32),
                ("salt", Bytes16),
                ("StoredKey", Fixed(32)),
                ("ServerKey", Fixed(32)),
            ],
        ),
        (FileKind::PROFILE, 0x12) => (
            "CRAM_MD5",
            &[("inner state", Fixed(16)), ("outer state", Fixed(16))],
        ),
        (FileKind::PROFILE, 0x13) => ("APOP", &[("APOP secret", Bytes16)]),
        (FileKind::PROFILE, 0x20) => (
            "VACATION",
            &[
                ("vacation flags", U32),
                ("start", Time),
                ("end", Time),
                ("interval seconds", U64),
                ("subject", Str16),
                ("text", Str16),
                ("addresses", ListStr),
            ],
        ),
        (FileKind::PROFILE, 0x21) => ("SIEVE", &[("active script", Str16)]),
        (FileKind::MESSAGE_LIST, 1) => ("LIST", &[("next UIDL number", U64)]),
        (FileKind::MESSAGE_LIST, 2) => ("ENTRY", ENTRY),
        (FileKind::MESSAGE_LIST, 3) => (
            "RELEASED",
            &[("released at", Time), ("message files", ListU64)],
        ),
        (FileKind::MESSAGE_JOURNAL, 1) => ("JOURNAL", &[("base", U64)]),
        (FileKind::MESSAGE_JOURNAL, 2) => ("ENTRY", ENTRY),
        (FileKind::FOLDER_INDEX, 1) => (
            "FOLDER",
            &[
                ("folder id", U32),
                ("UIDVALIDITY", U32),
                ("UIDNEXT", U32),
                ("HIGHESTMODSEQ", U64),
                ("folder name", Str16),
            ],
        ),
        (FileKind::FOLDER_INDEX, 2) => ("KEYWORDS", &[("keywords", ListStr)]),
        (FileKind::FOLDER_INDEX, 3) => (
            "ENTRY",
            &[
                ("UID", U32),
                ("system flags", U32),
                ("INTERNALDATE", I64),
                ("RFC822.SIZE", U64),
                ("MODSEQ", U64),
                ("message file", Msgid),
                ("keyword indexes", ListU16),
            ],
        ),
        (FileKind::FOLDER_INDEX, 4) => (
            "EXPUNGED",
            &[("MODSEQ", U64), ("expunged messages", ListExpunged)],
        ),
        (FileKind::FOLDER_INDEX, 5) => ("VANISHED_FLOOR", &[("VANISHED-FLOOR", U64)]),
        (FileKind::FOLDER_JOURNAL, 1) => (
            "BASE",
            &[
                ("UIDVALIDITY", U32),
                ("UIDNEXT", U32),
                ("HIGHESTMODSEQ", U64),
            ],
        ),
        (FileKind::FOLDER_JOURNAL, 2) => (
            "APPEND",
            &[
                ("UID", U32),
                ("system flags", U32),
                ("INTERNALDATE", I64),
                ("RFC822.SIZE", U64),
                ("MODSEQ", U64),
                ("message file", Msgid),
                ("keywords", ListStr),
            ],
        ),
        (FileKind::FOLDER_JOURNAL, 3) => (
            "FLAGS",
            &[
                ("UID", U32),
                ("system flags", U32),
                ("MODSEQ", U64),
                ("keywords", ListStr),
            ],
        ),
        (FileKind::FOLDER_JOURNAL, 4) => (
            "EXPUNGE",
            &[("MODSEQ", U64), ("expunged messages", ListExpunged)],
        ),
        (FileKind::MAILBOX_LIST, 1) => ("LIST", &[("next folder id", U32)]),
        (FileKind::MAILBOX_LIST, 2) => (
            "MAILBOX",
            &[
                ("folder id", U32),
                ("special use", U16),
                ("mailbox flags", U32),
                ("name", Str16),
            ],
        ),
        (FileKind::MAILBOX_LIST, 3) => ("SUBSCRIPTION", &[("name", Str16)]),
        (FileKind::MAILBOX_LIST, 4) => (
            "ACL",
            &[("folder id", U32), ("identifier", Str16), ("rights", Str16)],
        ),
        (FileKind::POP_UIDLS, 1) => ("MAP", &[("folder id", U32), ("UIDVALIDITY", U32)]),
        (FileKind::POP_UIDLS, 2) => (
            "UIDL",
            &[("UID", U32), ("message file", Msgid), ("UIDL", Str16)],
        ),
        (FileKind::FORWARDING, 1) => (
            "FORWARD",
            &[
                ("forward flags", U32),
                ("name", Str16),
                ("addresses", ListStr),
            ],
        ),
        (FileKind::GROUPS, 1) => (
            "GROUP",
            &[("name", Str16), ("parent", Str16), ("description", Str16)],
        ),
        (FileKind::VACATION_STATE, 1) => ("SENT", &[("last sent", I64), ("address", Str16)]),
        (FileKind::MESSAGE, 1) => (
            "ENVELOPE",
            &[
                ("channel", Str16),
                ("envelope From", Str16),
                ("envelope id", Str16),
                ("Message-ID", Str16),
            ],
        ),
        (FileKind::MESSAGE, 2) => ("RECIPIENT", &[("envelope To", Str16)]),
        (FileKind::MESSAGE, 3) => ("DOT_LINES", &[("dot-line offsets", ListU64)]),
        (FileKind::MESSAGE, 0x101) => ("RFC822_SIZE", &[("RFC822.SIZE", U64)]),
        (FileKind::MESSAGE, 0x102) => ("IMAP_ENVELOPE", &[("ENVELOPE text", Rest)]),
        (FileKind::MESSAGE, 0x103) => ("IMAP_BODY", &[("BODY text", Rest)]),
        (FileKind::MESSAGE, 0x104) => ("IMAP_BODYSTRUCTURE", &[("BODYSTRUCTURE text", Rest)]),
        (FileKind::MESSAGE, 0x105) => (
            "PART",
            &[
                ("part path", ListU32),
                ("MIME header offset", U64),
                ("MIME header length", U64),
                ("body offset", U64),
                ("body length", U64),
                ("body lines", U64),
                ("decoded size", Limit),
                ("part flags", U32),
            ],
        ),
        _ => return None,
    };
    Some(s)
}

struct Out<'a> {
    bytes: &'a [u8],
    spans: Vec<Span>,
}

impl Out<'_> {
    fn span(&mut self, offset: usize, len: usize, label: impl Into<String>) {
        self.spans.push(Span {
            offset,
            len,
            label: label.into(),
        });
    }

    fn uint(&self, o: usize, n: usize) -> u64 {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(&self.bytes[o..o + n]);
        u64::from_le_bytes(a)
    }

    /// Annotates one field at `o`; returns the offset after it.
    fn field(&mut self, o: usize, end: usize, name: &str, f: F) -> usize {
        let fixed = |n: usize| n;
        let n = match f {
            F::U8 => fixed(1),
            F::U16 => 2,
            F::U32 => 4,
            F::U64 | F::I64 | F::Time | F::Limit | F::Msgid => 8,
            F::Fixed(n) => n,
            F::Rest => end - o,
            F::Bytes16 | F::Str16 => {
                let len = self.uint(o, 2) as usize;
                self.span(o, 2, format!("{name}: length {len}"));
                let v = &self.bytes[o + 2..o + 2 + len];
                let shown = if matches!(f, F::Str16) {
                    format!("{name} = {:?}", String::from_utf8_lossy(v))
                } else {
                    format!("{name} ({len} bytes)")
                };
                if len > 0 {
                    self.span(o + 2, len, shown);
                }
                return o + 2 + len;
            }
            F::ListStr | F::ListU16 | F::ListU32 | F::ListU64 => {
                let count = self.uint(o, 2) as usize;
                self.span(o, 2, format!("{name}: count {count}"));
                let mut p = o + 2;
                for i in 0..count {
                    let item = match f {
                        F::ListStr => F::Str16,
                        F::ListU16 => F::U16,
                        F::ListU32 => F::U32,
                        _ => F::U64,
                    };
                    p = self.field(p, end, &format!("{name}[{i}]"), item);
                }
                return p;
            }
            F::ListExpunged => {
                let count = self.uint(o, 2) as usize;
                self.span(o, 2, format!("{name}: count {count}"));
                let mut p = o + 2;
                for i in 0..count {
                    p = self.field(p, end, &format!("{name}[{i}] UID"), F::U32);
                    p = self.field(p, end, &format!("{name}[{i}] message file"), F::Msgid);
                }
                return p;
            }
        };
        let label = match f {
            F::U8 | F::U16 | F::U32 | F::U64 => format!("{name} = {}", self.uint(o, n)),
            F::I64 => format!("{name} = {}", self.uint(o, 8) as i64),
            F::Time => match self.uint(o, 8) as i64 {
                i64::MIN => format!("{name} = never"),
                t => format!("{name} = {t}"),
            },
            F::Limit => match self.uint(o, 8) {
                u64::MAX => format!("{name} = none"),
                v => format!("{name} = {v}"),
            },
            F::Msgid => format!(
                "{name} = {}",
                crate::layout::MessageId(self.uint(o, 8)).file_name()
            ),
            F::Rest => format!(
                "{name} = {:?}",
                String::from_utf8_lossy(&self.bytes[o..end])
            ),
            _ => format!("{name} ({n} bytes)"),
        };
        if n > 0 {
            self.span(o, n, label);
        }
        o + n
    }

    /// Annotates the VAR records of `self.bytes[start..end]`; `sealed`:
    /// each ends with its own CRC-32 (the journal, SPEC.md 7.1).
    fn records(&mut self, kind: FileKind, start: usize, end: usize, sealed: bool) {
        let area = &self.bytes[start..end];
        // (count word offset, data length) of each record. The folder
        // journal skips to the next block of the file (SPEC.md 8.1).
        let recs: Vec<(usize, usize)> = if kind == FileKind::FOLDER_JOURNAL {
            crate::sealed::frames(area, start)
                .into_iter()
                .filter_map(|f| match f {
                    crate::sealed::Frame::Whole { start, end, .. } => {
                        let n = self.uint(start, 2) as usize;
                        debug_assert_eq!(end, start + 2 + n + n % 2);
                        Some((start, n))
                    }
                    crate::sealed::Frame::Failed { .. } => None,
                })
                .collect()
        } else {
            var_records_at(area, start)
                .flatten()
                .map(|r| (start + r.offset, r.data.len()))
                .collect()
        };
        let mut pos = start;
        for (o, len) in recs {
            self.skipped(pos, o);
            pos = o + 2 + len + len % 2;
            self.span(o, 2, format!("record length {len}"));
            let rtype = self.uint(o + 2, 2) as u16;
            let crc_len = if sealed { 4 } else { 0 };
            let data_end = o + 2 + len - crc_len;
            if rtype == 0 && !sealed {
                self.span(o + 2, 2, "record type 0x0000 END");
                let c = self.uint(o + 4, 4);
                self.span(o + 4, 4, format!("record count = {c}"));
                let crc = self.uint(o + 8, 4);
                self.span(o + 8, 4, format!("CRC-32 = 0x{crc:08X}"));
            } else if let Some((name, fields)) = schema(kind, rtype).filter(|_| {
                // A 1.0 index keeps EXPUNGED and VANISHED-FLOOR records a
                // newer writer left as unknown records (SPEC.md 8).
                !(kind == FileKind::FOLDER_INDEX && rtype >= 4 && self.uint(8, 2) == 0)
            }) {
                self.span(o + 2, 2, format!("record type 0x{rtype:04X} {name}"));
                let mut p = o + 4;
                for (fname, f) in fields {
                    p = self.field(p, data_end, fname, *f);
                }
            } else {
                self.span(
                    o + 2,
                    2,
                    format!("record type 0x{rtype:04X} (unknown, kept)"),
                );
                if len > 2 + crc_len {
                    self.span(o + 4, len - 2 - crc_len, "data of the unknown record");
                }
            }
            if sealed {
                let crc = self.uint(data_end, 4);
                self.span(data_end, 4, format!("record CRC-32 = 0x{crc:08X}"));
            }
            if len % 2 == 1 {
                self.span(o + 2 + len, 1, "pad byte");
            }
        }
        self.skipped(pos, end);
    }

    /// Labels `from..to` when records skip it: a 0xFFFF count word and the
    /// unused rest of its 512-byte block (SPEC.md 3.1).
    fn skipped(&mut self, from: usize, to: usize) {
        if to <= from {
            return;
        }
        self.span(
            from,
            2.min(to - from),
            "record length 0xFFFF: skip to the next block",
        );
        if to > from + 2 {
            self.span(from + 2, to - from - 2, "unused rest of the block");
        }
    }
}

/// Annotates every byte of a valid store file.
pub fn annotate(bytes: &[u8]) -> Result<Vec<Span>, Error> {
    let file = AnyFile::decode(bytes)?;
    let kind = file.kind();
    let mut out = Out {
        bytes,
        spans: Vec::new(),
    };
    if let AnyFile::Message(m) = &file {
        let u = |o, n| out.uint(o, n);
        let fields: [(usize, usize, String); 14] = [
            (at::MAGIC, 4, "magic \"PSMF\"".into()),
            (at::MAJOR, 2, format!("major version = {}", u(at::MAJOR, 2))),
            (at::MINOR, 2, format!("minor version = {}", u(at::MINOR, 2))),
            (
                at::HEADER_BLOCKS,
                4,
                format!("header blocks = {}", u(at::HEADER_BLOCKS, 4)),
            ),
            (
                at::FLAGS,
                4,
                format!("message flags = 0x{:x}", u(at::FLAGS, 4)),
            ),
            (
                at::BODY_LENGTH,
                8,
                format!("body length = {}", u(at::BODY_LENGTH, 8)),
            ),
            (
                at::LINE_COUNT,
                8,
                format!("line count = {}", u(at::LINE_COUNT, 8)),
            ),
            (
                at::CREATED,
                8,
                format!("created = {}", u(at::CREATED, 8) as i64),
            ),
            (
                at::RECIPIENT_COUNT,
                4,
                format!("recipient count = {}", u(at::RECIPIENT_COUNT, 4)),
            ),
            (
                at::REFCOUNT,
                4,
                format!("reference count = {}", u(at::REFCOUNT, 4)),
            ),
            (
                at::REFCOUNT_CHECK,
                4,
                "complement of the reference count".into(),
            ),
            (
                at::BODY_CRC,
                4,
                format!("body CRC-32 = 0x{:08X}", u(at::BODY_CRC, 4)),
            ),
            (
                at::RECORDS_LENGTH,
                4,
                format!("header records length = {}", u(at::RECORDS_LENGTH, 4)),
            ),
            (at::RESERVED, 4, "reserved = 0".into()),
        ];
        for (o, n, l) in fields {
            out.span(o, n, l);
        }
        let rec_end = at::RECORDS + out.uint(at::RECORDS_LENGTH, 4) as usize;
        out.records(kind, at::RECORDS, rec_end, false);
        let body = m.info.range();
        if body.start > rec_end {
            out.span(rec_end, body.start - rec_end, "header padding (zeros)");
        }
        if !body.is_empty() {
            out.span(
                body.start,
                body.len(),
                format!("body ({} bytes)", body.len()),
            );
        }
        let pad_end = body.end.div_ceil(BLOCK) * BLOCK;
        if pad_end > body.end {
            out.span(body.end, pad_end - body.end, "body padding (zeros)");
        }
    } else {
        out.span(0, 2, "record length 8 (header record)");
        out.span(
            2,
            4,
            format!("magic {:?}", String::from_utf8_lossy(&bytes[2..6])),
        );
        out.span(6, 2, format!("major version = {}", out.uint(6, 2)));
        out.span(8, 2, format!("minor version = {}", out.uint(8, 2)));
        let torn = usize::try_from(file.torn_tail()).unwrap_or(0);
        let end = bytes.len() - torn;
        let sealed = [FileKind::MESSAGE_JOURNAL, FileKind::FOLDER_JOURNAL].contains(&kind);
        out.records(kind, FIRST_RECORD, end, sealed);
        if torn > 0 {
            out.span(
                end,
                torn,
                format!("torn tail ({torn} bytes): an append cut short, ignored"),
            );
        }
    }
    Ok(out.spans)
}

/// Renders spans as lines: offset, hex (16 bytes a line; a longer span
/// continues on the following lines), meaning. Zero padding longer than 16
/// bytes is shown as one line with its length.
pub fn render(bytes: &[u8], spans: &[Span]) -> String {
    let mut s = String::new();
    for sp in spans {
        let data = &bytes[sp.offset..sp.offset + sp.len];
        if sp.len > 16 && data.iter().all(|b| *b == 0) {
            s.push_str(&format!(
                "{:6}  {:<47}  {}\n",
                sp.offset,
                format!("00 x {}", sp.len),
                sp.label
            ));
            continue;
        }
        for (i, chunk) in data.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02X}")).collect();
            let label = if i == 0 { sp.label.as_str() } else { "" };
            s.push_str(
                format!("{:6}  {:<47}  {}", sp.offset + i * 16, hex.join(" "), label).trim_end(),
            );
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreFile;
    use crate::samples;

    /// The spans cover every byte exactly once, for every sample: the
    /// field table agrees with the readers.
    #[test]
    fn spans_cover_every_byte_once() {
        let mut files: Vec<Vec<u8>> = Vec::new();
        files.extend(samples::descriptors().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::profiles().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::message_lists().iter().map(|v| v.encode().unwrap()));
        files.extend(
            samples::folder_indexes()
                .iter()
                .map(|v| v.encode().unwrap()),
        );
        files.extend(samples::mailbox_lists().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::forwardings().iter().map(|v| v.encode().unwrap()));
        files.extend(samples::group_trees().iter().map(|v| v.encode().unwrap()));
        files.extend(
            samples::vacation_states()
                .iter()
                .map(|v| v.encode().unwrap()),
        );
        files.extend(samples::messages().iter().map(|v| v.encode().unwrap()));
        files.extend(
            samples::folder_indexes_v1_1()
                .iter()
                .map(|v| v.encode().unwrap()),
        );
        let journals = samples::message_journals().map(|j| j.encode().unwrap());
        let folder = samples::folder_journals().map(|j| j.encode().unwrap());
        for whole in journals.into_iter().chain(folder) {
            // With torn tails: cut inside a count word, inside a record.
            let mut torn = whole.clone();
            torn.push(0x2d);
            files.push(torn.clone());
            torn.extend_from_slice(&[0, 2, 0, 0x33]);
            files.push(torn);
            files.push(whole);
        }
        for b in files {
            let spans = annotate(&b).unwrap();
            let mut next = 0;
            for s in &spans {
                assert_eq!(s.offset, next, "gap or overlap before {s:?}");
                next = s.offset + s.len;
            }
            assert_eq!(next, b.len());
        }
    }

    #[test]
    fn a_skip_to_the_next_block_is_labelled() {
        // A JOURNAL record, then a skip word and the rest of its block.
        let mut bytes = b"\x08\x00PSMJ\x01\x00\x00\x00".to_vec();
        crate::record::write_var(&mut bytes, &crate::journal::base_record(3)).unwrap();
        bytes.extend_from_slice(&[0xFF, 0xFF]);
        bytes.resize(BLOCK, 0xAB);
        let spans = annotate(&bytes).unwrap();
        assert_eq!(spans.iter().map(|s| s.len).sum::<usize>(), bytes.len());
        let text = render(&bytes, &spans);
        assert!(text.contains("skip to the next block"), "{text}");
        assert!(text.contains("unused rest of the block"), "{text}");
        // The journal the fuzzer found: the file ends inside the skipped
        // block, so the skip is not whole: a torn tail (SPEC.md 3.1, 7.1).
        bytes.truncate(66);
        let text = render(&bytes, &annotate(&bytes).unwrap());
        assert!(
            text.contains("torn tail (40 bytes): an append cut short, ignored"),
            "{text}"
        );
    }

    #[test]
    fn journal_records_show_their_crc_and_a_torn_tail() {
        let mut b = samples::message_journals()[1].encode().unwrap();
        b.extend_from_slice(&[0x2d, 0x00, 0x02]);
        let text = render(&b, &annotate(&b).unwrap());
        assert_eq!(text.matches("record CRC-32 = 0x").count(), 4, "{text}");
        assert!(text.contains("record type 0x0001 JOURNAL"), "{text}");
        assert!(text.contains("base = 3"), "{text}");
        assert!(
            text.trim_end()
                .ends_with("torn tail (3 bytes): an append cut short, ignored"),
            "{text}"
        );
    }
}
