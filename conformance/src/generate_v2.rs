//! Makes the fixtures added with format 2.0's `list-journal` feature: the
//! message-list journal (SPEC.md 7.1; valid, torn and invalid cases) and a
//! store descriptor using both incompatible features. Used by the
//! `generate-fixtures` binary, which never overwrites a file.

use popstore_formats::container::{FIRST_RECORD, crc32};
use popstore_formats::descriptor::StoreFlags;
use popstore_formats::journal::{self, MessageJournal};
use popstore_formats::layout::MessageId;
use popstore_formats::msglist::{Entry, EntryFlags};
use popstore_formats::record::{var_framed_len, var_records, write_var};
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::Fixture;

/// Named byte strings.
type Named = Vec<(String, Vec<u8>)>;

/// The journal's folder below a version folder.
fn dir() -> &'static str {
    FileKind::MESSAGE_JOURNAL
        .name()
        .unwrap_or("message-journal")
}

/// A journal file from record data (type code and fields, without the CRC:
/// each record is sealed here).
fn journal_file(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    write_var(&mut out, b"PSMJ\x01\x00\x00\x00").expect("header");
    for r in records {
        write_var(&mut out, &seal(r)).expect("record");
    }
    out
}

fn seal(r: &[u8]) -> Vec<u8> {
    let mut v = r.to_vec();
    v.extend_from_slice(&crc32(r).to_le_bytes());
    v
}

/// The record data of `bytes` (CRCs removed), after the header.
fn unsealed(bytes: &[u8]) -> Vec<Vec<u8>> {
    var_records(&bytes[FIRST_RECORD..])
        .flatten()
        .map(|r| r.data[..r.data.len() - 4].to_vec())
        .collect()
}

/// Count-word offsets of the records after the header.
fn starts(bytes: &[u8]) -> Vec<usize> {
    var_records(&bytes[FIRST_RECORD..])
        .flatten()
        .map(|r| FIRST_RECORD + r.offset)
        .collect()
}

fn entry(n: u64) -> Entry {
    Entry {
        message: MessageId(0x0000_0193_0000_0000 + n),
        size: 300 + n,
        delivered: Some(samples::T0 + n as i64),
        flags: EntryFlags::default(),
        uidl: format!("!!!!{n:05}"),
    }
}

/// The typical journal with one more entry appended (the append a crash
/// tears in the torn cases).
fn typical_plus_one(typical: &[u8]) -> (Vec<u8>, usize) {
    let mut bytes = typical.to_vec();
    write_var(
        &mut bytes,
        &journal::entry_record(&entry(6)).expect("entry"),
    )
    .expect("record");
    (bytes, typical.len())
}

/// Torn tails: each decodes to the journal before the torn append, with
/// `torn_tail` its length; the rewrite is the file without it.
fn torn(minimal: &[u8], typical: &[u8]) -> Named {
    let (plus, end) = typical_plus_one(typical);
    let mut out: Named = vec![
        ("cut-inside-count-word".into(), plus[..end + 1].to_vec()),
        ("cut-inside-record".into(), plus[..end + 20].to_vec()),
        (
            "cut-before-pad-byte".into(),
            plus[..plus.len() - 1].to_vec(),
        ),
    ];
    let mut m = plus.clone();
    // The last record whole in length, its UIDL never written (zeros).
    let n = m.len();
    m[n - 14..n - 5].fill(0);
    out.push(("last-record-bad-crc".into(), m));
    let mut m = typical.to_vec();
    m.resize(typical.len() + var_framed_len(45), 0);
    out.push(("zeros-after-last-record".into(), m));
    let mut m = typical.to_vec();
    m.extend_from_slice(&0x8123u16.to_le_bytes());
    m.extend_from_slice(b"junk");
    out.push(("overlong-count-at-end".into(), m));
    let mut m = minimal.to_vec();
    let mut one = Vec::new();
    write_var(&mut one, &journal::entry_record(&entry(1)).expect("entry")).expect("record");
    m.extend_from_slice(&one[..one.len() / 2]);
    out.push(("minimal-cut-inside-first-entry".into(), m));
    out
}

fn invalid(minimal: &[u8], typical: &[u8]) -> Named {
    let recs = unsealed(typical);
    let at = starts(typical);
    let mut out: Named = vec![
        ("truncated-at-0".into(), Vec::new()),
        ("truncated-at-10".into(), typical[..FIRST_RECORD].to_vec()),
        (
            "truncated-inside-journal-record".into(),
            typical[..FIRST_RECORD + 7].to_vec(),
        ),
    ];
    let mut m = typical.to_vec();
    m[2..6].copy_from_slice(b"XXXX");
    out.push(("bad-magic".into(), m));
    let mut m = typical.to_vec();
    m[6] = 2;
    out.push(("future-major-version".into(), m));
    // A record before the last with a bad CRC: corruption, not a crash.
    let mut m = typical.to_vec();
    m[at[1] + 6] ^= 0x01;
    out.push(("bad-checksum-before-last-record".into(), m));
    // The JOURNAL record alone, damaged: never torn (created whole).
    let mut m = minimal.to_vec();
    m[FIRST_RECORD + 4] ^= 0x01;
    out.push(("bad-checksum-journal-record".into(), m));
    // An overlong count in the middle, whole records after it.
    let mut m = typical.to_vec();
    m[at[1]..at[1] + 2].copy_from_slice(&0x8000u16.to_le_bytes());
    out.push(("overlong-record-length".into(), m));
    // A count in the middle that runs past the end, swallowing whole records.
    let mut m = typical.to_vec();
    m[at[1]..at[1] + 2].copy_from_slice(&0x7FF0u16.to_le_bytes());
    out.push(("middle-record-runs-past-the-end".into(), m));
    // An empty record between whole ones.
    let mut m = typical[..at[2]].to_vec();
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&typical[at[2]..]);
    out.push(("empty-record-in-the-middle".into(), m));
    let mut r = recs.clone();
    r.remove(0);
    out.push(("first-record-missing".into(), journal_file(&r)));
    let mut r = recs.clone();
    r.insert(2, recs[0].clone());
    out.push(("first-record-twice".into(), journal_file(&r)));
    let unseal = |e: &Entry| {
        let v = journal::entry_record(e).expect("entry");
        v[..v.len() - 4].to_vec()
    };
    let mut r = recs.clone();
    r[2] = unseal(&Entry {
        uidl: entry(3).uidl,
        ..entry(4)
    });
    out.push(("repeated-uidl".into(), journal_file(&r)));
    let mut r = recs.clone();
    r[1] = unseal(&Entry {
        uidl: "!!!!0000X".into(),
        ..entry(3)
    });
    let n = r[1].len();
    r[1][n - 1] = b' ';
    out.push(("uidl-with-a-space".into(), journal_file(&r)));
    let mut r = recs.clone();
    r[1].push(0xEE);
    out.push(("record-with-leftover-bytes".into(), journal_file(&r)));
    let mut r = recs.clone();
    let n = r[1].len() - 1;
    r[1].truncate(n);
    out.push(("record-ends-inside-a-field".into(), journal_file(&r)));
    out
}

/// Every fixture first made for format version 2.0's `list-journal`.
pub fn v2_0() -> Vec<Fixture> {
    let [min, typical, max] = samples::message_journals();
    let encode = |j: &MessageJournal| j.encode().expect("samples encode");
    let (min, typical, max) = (encode(&min), encode(&typical), encode(&max));
    let mut out = Vec::new();
    let d = dir();
    for (name, bytes) in [("minimal", &min), ("typical", &typical), ("maximal", &max)] {
        out.push(Fixture {
            rel: format!("v2.0/{d}/{name}"),
            bytes: bytes.clone(),
            invalid: false,
        });
    }
    for (name, bytes) in torn(&min, &typical) {
        out.push(Fixture {
            rel: format!("v2.0/{d}/torn/{name}"),
            bytes,
            invalid: false,
        });
    }
    for (name, bytes) in invalid(&min, &typical) {
        out.push(Fixture {
            rel: format!("v2.0/{d}/invalid/{name}"),
            bytes,
            invalid: true,
        });
    }
    let mut desc = samples::descriptors()[1].clone();
    desc.flags = desc.flags | StoreFlags::ID_MESSAGE_DIRS | StoreFlags::LIST_JOURNAL;
    out.push(Fixture {
        rel: "v2.0/descriptor/id-message-dirs-list-journal".into(),
        bytes: desc.encode().expect("descriptor encodes"),
        invalid: false,
    });
    out
}
