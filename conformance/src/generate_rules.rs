//! Makes the fixtures that pin the reader's rules written down for issue
//! 19 (SPEC.md 3.1, 4.1, 5, 13): block skips counted from the start of
//! the file, the error and offset of each rule. None changes the meaning
//! of bytes a version already had, so they go beside the older fixtures
//! of the same version, with new names. Used by the `generate-fixtures`
//! binary, which never overwrites a file.

use popstore_formats::container::{FIRST_RECORD, crc32, write_container_version};
use popstore_formats::descriptor::StoreFlags;
use popstore_formats::message::at;
use popstore_formats::record::{BLOCK, SKIP_TO_NEXT_BLOCK, var_records, var_records_at, write_var};
use popstore_formats::{FileKind, StoreFile, samples};

use crate::generate::Fixture;

fn push(out: &mut Vec<Fixture>, rel: String, bytes: Vec<u8>, invalid: bool) {
    out.push(Fixture {
        rel,
        bytes,
        invalid,
    });
}

fn kind_dir(k: FileKind) -> &'static str {
    k.name().unwrap_or("unknown")
}

/// The framed records (count word, data, pad) of a structured file after
/// its header, the end record last.
fn framed_records(bytes: &[u8]) -> Vec<Vec<u8>> {
    var_records_at(&bytes[FIRST_RECORD..], FIRST_RECORD)
        .flatten()
        .map(|r| {
            let mut v = Vec::new();
            write_var(&mut v, r.data).expect("framed");
            v
        })
        .collect()
}

/// A skip word at the end of `out`, and the unused rest of its block
/// (filled with `fill`, which no reader looks at).
fn skip_block(out: &mut Vec<u8>, fill: u8) {
    out.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
    let next = out.len().div_ceil(BLOCK) * BLOCK;
    out.resize(next, fill);
}

/// A structured file: its header and typed records (framed, as given),
/// then an end record counting `count` records over every byte before it.
fn with_end(mut out: Vec<u8>, count: u32) -> Vec<u8> {
    let crc = crc32(&out);
    let mut end = 0u16.to_le_bytes().to_vec();
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&crc.to_le_bytes());
    write_var(&mut out, &end).expect("end record");
    out
}

/// Block skips in a structured file (SPEC.md 3.1): the typical profile
/// with a skip after its first record (at file offset 48, so its next
/// record is at 512, the next multiple of 512 of the file offset), and
/// with a skip in place of its end record that the file ends inside.
fn structured_skips() -> (Vec<(String, Vec<u8>)>, Vec<(String, Vec<u8>)>) {
    let typical = samples::profiles()[1].encode().expect("profile");
    let recs = framed_records(&typical);
    let typed = &recs[..recs.len() - 1];
    let mut ok = typical[..FIRST_RECORD].to_vec();
    ok.extend_from_slice(&typed[0]);
    skip_block(&mut ok, 0xAA);
    for r in &typed[1..] {
        ok.extend_from_slice(r);
    }
    let ok = with_end(ok, typed.len() as u32);
    let mut cut = typical[..FIRST_RECORD].to_vec();
    for r in typed {
        cut.extend_from_slice(r);
    }
    cut.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
    cut.extend_from_slice(&[0; 10]);
    (
        vec![("block-skip-to-the-next-block".into(), ok)],
        vec![("block-skip-past-the-end".into(), cut)],
    )
}

/// The typical message file with a block skip among its header records
/// (after the ENVELOPE record): the next record starts at file offset 512,
/// and the header grows by a block when it must.
fn message_skip() -> Vec<u8> {
    let typical = samples::messages()[1].encode().expect("message");
    let u32_at = |o: usize| {
        u32::from_le_bytes([typical[o], typical[o + 1], typical[o + 2], typical[o + 3]]) as usize
    };
    let hb = u32_at(at::HEADER_BLOCKS);
    let rec_len = u32_at(at::RECORDS_LENGTH);
    let area = &typical[at::RECORDS..at::RECORDS + rec_len];
    let recs: Vec<&[u8]> = var_records_at(area, at::RECORDS)
        .flatten()
        .map(|r| r.data)
        .collect();
    let (typed, count) = (&recs[..recs.len() - 1], recs.len() - 1);
    let mut head = typical[..at::RECORDS].to_vec();
    write_var(&mut head, typed[0]).expect("record");
    skip_block(&mut head, 0);
    for r in &typed[1..] {
        write_var(&mut head, r).expect("record");
    }
    let end_at = head.len();
    let new_hb = (end_at + 12).div_ceil(BLOCK);
    head[at::HEADER_BLOCKS..at::HEADER_BLOCKS + 4].copy_from_slice(&(new_hb as u32).to_le_bytes());
    let r = (end_at + 12 - at::RECORDS) as u32;
    head[at::RECORDS_LENGTH..at::RECORDS_LENGTH + 4].copy_from_slice(&r.to_le_bytes());
    // The header CRC-32: bytes 0 up to the end record's count word, the
    // reference count and its complement taken as zero.
    let mut covered = head.clone();
    covered[at::REFCOUNT..at::REFCOUNT + 8].fill(0);
    let crc = crc32(&covered);
    let mut end = 0u16.to_le_bytes().to_vec();
    end.extend_from_slice(&(count as u32).to_le_bytes());
    end.extend_from_slice(&crc.to_le_bytes());
    write_var(&mut head, &end).expect("end record");
    head.resize(new_hb * BLOCK, 0);
    head.extend_from_slice(&typical[hb * BLOCK..]);
    head
}

/// Block skips in the message-list journal (SPEC.md 3.1, 7.1): one after
/// the JOURNAL record whose block is whole (read), one at the end whose
/// block the file ends in (a torn tail), and one in the middle whose
/// block the file ends in, followed by whole records (corruption:
/// truncated at the skip's count word).
fn journal_skips() -> [(String, Vec<u8>); 3] {
    let typical = samples::message_journals()[1].encode().expect("journal");
    let recs: Vec<Vec<u8>> = var_records(&typical[FIRST_RECORD..])
        .flatten()
        .map(|r| {
            let mut v = Vec::new();
            write_var(&mut v, r.data).expect("framed");
            v
        })
        .collect();
    let mut read = typical[..FIRST_RECORD].to_vec();
    read.extend_from_slice(&recs[0]);
    skip_block(&mut read, 0x55);
    for r in &recs[1..] {
        read.extend_from_slice(r);
    }
    let mut torn = typical.clone();
    torn.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
    torn.extend_from_slice(&[0; 6]);
    let mut middle = typical[..FIRST_RECORD].to_vec();
    middle.extend_from_slice(&recs[0]);
    middle.extend_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
    for r in &recs[1..] {
        middle.extend_from_slice(r);
    }
    [
        ("read-only/block-skip-to-the-next-block".into(), read),
        ("torn/block-skip-past-the-end".into(), torn),
        (
            "invalid/block-skip-past-the-end-in-the-middle".into(),
            middle,
        ),
    ]
}

/// The typed records' data (type code first) of a structured file.
fn typed_records(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut recs: Vec<Vec<u8>> = var_records_at(&bytes[FIRST_RECORD..], FIRST_RECORD)
        .flatten()
        .map(|r| r.data.to_vec())
        .collect();
    recs.pop(); // the end record
    recs
}

/// `bytes` (a structured file of `kind`) re-framed after `f` changed its
/// typed records: header version kept, end record and checksum right.
fn reframe(kind: FileKind, bytes: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let mut recs = typed_records(bytes);
    f(&mut recs);
    let version = (
        u16::from_le_bytes([bytes[6], bytes[7]]),
        u16::from_le_bytes([bytes[8], bytes[9]]),
    );
    write_container_version(kind.magic(), version, &recs).expect("reframed")
}

/// The store descriptor's rules (SPEC.md 5): ROOT records, the fanout,
/// and where a 2.x descriptor's features are.
fn descriptor_rules() -> Vec<Fixture> {
    let k = FileKind::DESCRIPTOR;
    let d = kind_dir(k);
    let typical = samples::descriptors()[1].encode().expect("descriptor");
    let is_root = |r: &Vec<u8>| r[..2] == [2, 0];
    let mut out = Vec::new();
    let v1 = [
        (
            "root-missing",
            reframe(k, &typical, |r| r.retain(|x| !is_root(x))),
        ),
        (
            "root-0-not-first",
            reframe(k, &typical, |r| {
                for x in r.iter_mut().filter(|x| is_root(x)) {
                    x[2] = 1;
                }
            }),
        ),
        (
            "root-index-twice",
            reframe(k, &typical, |r| {
                let root = r.iter().find(|x| is_root(x)).expect("a root").clone();
                r.push(root);
            }),
        ),
        (
            "fanout-width-out-of-bounds",
            reframe(k, &typical, |r| {
                // STORE: type (2), id (16), created (8), levels, 0, width.
                r[0][28..30].copy_from_slice(&1u16.to_le_bytes());
            }),
        ),
    ];
    for (name, bytes) in v1 {
        push(&mut out, format!("v1.0/{d}/invalid/{name}"), bytes, true);
    }
    let mut two = samples::descriptors()[1].clone();
    two.flags = two.flags | StoreFlags::ID_MESSAGE_DIRS;
    let two = two.encode().expect("descriptor 2.0");
    let v2 = [
        (
            "store-not-first-in-version-2",
            reframe(k, &two, |r| {
                let store = r.remove(0);
                r.push(store);
            }),
        ),
        ("version-2-cut-before-the-flags", two[..40].to_vec()),
    ];
    for (name, bytes) in v2 {
        push(&mut out, format!("v2.0/{d}/invalid/{name}"), bytes, true);
    }
    out
}

/// Every fixture of this module.
pub fn rules() -> Vec<Fixture> {
    let mut out = Vec::new();
    let profile = kind_dir(FileKind::PROFILE);
    let (ok, bad) = structured_skips();
    for (name, bytes) in ok {
        push(
            &mut out,
            format!("v1.0/{profile}/read-only/{name}"),
            bytes,
            false,
        );
    }
    for (name, bytes) in bad {
        push(
            &mut out,
            format!("v1.0/{profile}/invalid/{name}"),
            bytes,
            true,
        );
    }
    let message = kind_dir(FileKind::MESSAGE);
    push(
        &mut out,
        format!("v1.0/{message}/read-only/header-block-skip"),
        message_skip(),
        false,
    );
    out.extend(descriptor_rules());
    let journal = kind_dir(FileKind::MESSAGE_JOURNAL);
    for (name, bytes) in journal_skips() {
        let invalid = name.starts_with("invalid/");
        push(&mut out, format!("v2.0/{journal}/{name}"), bytes, invalid);
    }
    out
}
