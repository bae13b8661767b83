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

/// Named byte strings.
type Named = Vec<(String, Vec<u8>)>;

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
fn structured_skips() -> (Named, Named) {
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

/// Damaged copies of `typical` (a structured file of `kind`) that break
/// the frame's rules not pinned by the version's first fixtures (SPEC.md
/// 4.1): a file shorter than its header, major version 0, an end record
/// whose count is wrong.
fn frame_rules(typical: &[u8]) -> Named {
    let mut major0 = typical.to_vec();
    major0[6] = 0;
    let mut count = typical.to_vec();
    let n = count.len();
    count[n - 8] = count[n - 8].wrapping_add(1);
    // The count is covered by no checksum (the CRC ends before the end
    // record), so only the count is wrong.
    vec![
        ("shorter-than-the-header".into(), typical[..7].to_vec()),
        ("major-version-0".into(), major0),
        ("end-record-count-wrong".into(), count),
    ]
}

/// Records that break the rules of the kinds with per-record rules
/// (SPEC.md 4.1): fields (invalid UTF-8, a list count larger than its
/// record), the message list's UIDLs, the forwarding database's names
/// and addresses, the group tree's names and parents.
fn record_rules() -> Vec<Fixture> {
    let mut out = Vec::new();
    let k = FileKind::PROFILE;
    let typical = samples::profiles()[1].encode().expect("profile");
    for (name, bytes) in frame_rules(&typical) {
        push(
            &mut out,
            format!("v1.0/{}/invalid/{name}", kind_dir(k)),
            bytes,
            true,
        );
    }
    let not_utf8 = reframe(k, &typical, |r| {
        // ACCOUNT: type (2), store type (2), flags (4), username length (2).
        r[0][10] = 0xFF;
    });
    push(
        &mut out,
        format!("v1.0/{}/invalid/username-not-utf-8", kind_dir(k)),
        not_utf8,
        true,
    );

    let k = FileKind::MESSAGE_LIST;
    let typical = samples::message_lists()[1].encode().expect("list");
    // ENTRY: type (2), msgid, size, delivered (8 each), flags (4), UIDL.
    let uidl_at = 2 + 8 + 8 + 8 + 4 + 2; // its first byte
    let cases = [
        (
            "uidl-repeated",
            reframe(k, &typical, |r| {
                let first = r[1][uidl_at..].to_vec();
                r[2].truncate(uidl_at);
                r[2].extend_from_slice(&first);
            }),
        ),
        (
            "uidl-with-a-space",
            reframe(k, &typical, |r| {
                r[2][uidl_at + 2] = b' ';
            }),
        ),
    ];
    for (name, bytes) in cases {
        push(
            &mut out,
            format!("v1.0/{}/invalid/{name}", kind_dir(k)),
            bytes,
            true,
        );
    }

    let k = FileKind::FORWARDING;
    let typical = samples::forwardings()[1].encode().expect("forwarding");
    // FORWARD: type (2), flags (4), name (str16), addresses (list16).
    let name_len = |r: &Vec<u8>| usize::from(u16::from_le_bytes([r[6], r[7]]));
    let cases = [
        (
            "forward-name-empty",
            reframe(k, &typical, |r| {
                let n = name_len(&r[0]);
                r[0].drain(6..8 + n);
                r[0].splice(6..6, [0, 0]);
            }),
        ),
        (
            "forward-without-addresses",
            reframe(k, &typical, |r| {
                let n = name_len(&r[0]);
                r[0].truncate(8 + n);
                r[0].extend_from_slice(&[0, 0]);
            }),
        ),
        (
            "forward-names-out-of-order",
            reframe(k, &typical, |r| r.swap(0, 1)),
        ),
        (
            "forward-address-count-exceeds-record",
            reframe(k, &typical, |r| {
                let n = name_len(&r[0]);
                r[0][8 + n] = 9;
            }),
        ),
    ];
    for (name, bytes) in cases {
        push(
            &mut out,
            format!("v1.0/{}/invalid/{name}", kind_dir(k)),
            bytes,
            true,
        );
    }

    let k = FileKind::GROUPS;
    let typical = samples::group_trees()[1].encode().expect("groups");
    let cases = [
        (
            "group-name-empty",
            reframe(k, &typical, |r| {
                // GROUP: type (2), name (str16) ...
                let n = usize::from(u16::from_le_bytes([r[0][2], r[0][3]]));
                r[0].drain(2..4 + n);
                r[0].splice(2..2, [0, 0]);
            }),
        ),
        (
            "group-twice",
            reframe(k, &typical, |r| {
                let first = r[0].clone();
                r.push(first);
            }),
        ),
        (
            "group-before-its-parent",
            reframe(k, &typical, |r| r.swap(1, 2)),
        ),
    ];
    for (name, bytes) in cases {
        push(
            &mut out,
            format!("v1.0/{}/invalid/{name}", kind_dir(k)),
            bytes,
            true,
        );
    }
    out
}

/// A message file from `typical`'s fixed prefix and body, with the header
/// records `recs` (data, type code first; the end record is added, with
/// the count `count` or the right one) and `after` framed after the end
/// record; `prefix` edits the fixed prefix before the CRC is computed.
fn message_from(
    typical: &[u8],
    recs: &[Vec<u8>],
    count: Option<u32>,
    after: &[Vec<u8>],
    prefix: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    let u32_at = |o: usize| {
        u32::from_le_bytes([typical[o], typical[o + 1], typical[o + 2], typical[o + 3]]) as usize
    };
    let hb = u32_at(at::HEADER_BLOCKS);
    let mut head = typical[..at::RECORDS].to_vec();
    for r in recs {
        write_var(&mut head, r).expect("record");
    }
    let end_at = head.len();
    let mut tail = Vec::new();
    for r in after {
        write_var(&mut tail, r).expect("record");
    }
    let new_hb = (end_at + 12 + tail.len()).div_ceil(BLOCK);
    head[at::HEADER_BLOCKS..at::HEADER_BLOCKS + 4].copy_from_slice(&(new_hb as u32).to_le_bytes());
    let r = (end_at + 12 + tail.len() - at::RECORDS) as u32;
    head[at::RECORDS_LENGTH..at::RECORDS_LENGTH + 4].copy_from_slice(&r.to_le_bytes());
    prefix(&mut head[..at::RECORDS]);
    let mut covered = head.clone();
    covered[at::REFCOUNT..at::REFCOUNT + 8].fill(0);
    let crc = crc32(&covered);
    let mut end = 0u16.to_le_bytes().to_vec();
    end.extend_from_slice(&count.unwrap_or(recs.len() as u32).to_le_bytes());
    end.extend_from_slice(&crc.to_le_bytes());
    write_var(&mut head, &end).expect("end record");
    head.extend_from_slice(&tail);
    head.resize(new_hb * BLOCK, 0);
    head.extend_from_slice(&typical[hb * BLOCK..]);
    head
}

/// The message file's rules (SPEC.md 13.4), each broken once.
fn message_rules() -> Vec<Fixture> {
    let typical = samples::messages()[1].encode().expect("message");
    let maximal = samples::messages()[2].encode().expect("message");
    let u32_at =
        |b: &[u8], o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as usize;
    let rec_len = u32_at(&typical, at::RECORDS_LENGTH);
    let area = &typical[at::RECORDS..at::RECORDS + rec_len];
    let mut recs: Vec<Vec<u8>> = var_records_at(area, at::RECORDS)
        .flatten()
        .map(|r| r.data.to_vec())
        .collect();
    recs.pop(); // the end record
    let same = |_: &mut [u8]| {};
    let envelope = recs[0].clone();
    let mut major0 = typical.clone();
    major0[at::MAJOR] = 0;
    let mut reserved = typical.clone();
    reserved[at::RESERVED] = 1;
    let mut past = typical.clone();
    let hb = u32_at(&typical, at::HEADER_BLOCKS);
    let too_long = (hb * BLOCK - at::RECORDS + 2) as u32;
    past[at::RECORDS_LENGTH..at::RECORDS_LENGTH + 4].copy_from_slice(&too_long.to_le_bytes());
    let no_end = {
        // The header records without their end record: R ends after the
        // last typed record (the CRC does not matter: nothing checks it).
        let mut m = typical.clone();
        let r = (rec_len - 12) as u32;
        m[at::RECORDS_LENGTH..at::RECORDS_LENGTH + 4].copy_from_slice(&r.to_le_bytes());
        m[at::RECORDS + rec_len - 12..at::RECORDS + rec_len].fill(0);
        m
    };
    let mut skip_past = typical.clone();
    // A block skip as the last header record, its block past the area.
    let last = at::RECORDS + rec_len - 12;
    skip_past[last..last + 2].copy_from_slice(&SKIP_TO_NEXT_BLOCK.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("shorter-than-the-prefix", typical[..6].to_vec()),
        ("major-version-0", major0),
        ("header-records-run-past-the-header-blocks", past),
        ("reserved-not-zero", reserved),
        ("header-end-record-missing", no_end),
        ("header-block-skip-past-the-records", skip_past),
        (
            "header-end-record-count-wrong",
            message_from(&typical, &recs, Some(recs.len() as u32 + 1), &[], same),
        ),
        (
            "header-record-after-the-end-record",
            message_from(&typical, &recs, None, std::slice::from_ref(&envelope), same),
        ),
        (
            "envelope-missing",
            message_from(&typical, &recs[1..], None, &[], same),
        ),
        (
            "envelope-twice",
            message_from(
                &typical,
                &[recs.clone(), vec![envelope]].concat(),
                None,
                &[],
                same,
            ),
        ),
        (
            "line-count-wrong",
            message_from(&typical, &recs, None, &[], |p| p[at::LINE_COUNT] ^= 1),
        ),
        (
            "dot-lines-wrong",
            message_from(
                &maximal,
                &{
                    let rl = u32_at(&maximal, at::RECORDS_LENGTH);
                    let mut r: Vec<Vec<u8>> =
                        var_records_at(&maximal[at::RECORDS..at::RECORDS + rl], at::RECORDS)
                            .flatten()
                            .map(|r| r.data.to_vec())
                            .collect();
                    r.pop();
                    r.retain(|x| x[..2] != [3, 0]);
                    r
                },
                None,
                &[],
                same,
            ),
        ),
    ];
    let d = kind_dir(FileKind::MESSAGE);
    let mut out = Vec::new();
    for (name, bytes) in cases {
        push(&mut out, format!("v1.0/{d}/invalid/{name}"), bytes, true);
    }
    out
}

/// Valid message files as the delivery writes them today (SPEC.md 13):
/// the typical message with its part `1` (a non-multipart message: its
/// MIME header is the message header, its body the message body), and a
/// body in the canonical form with a NUL of the message as received
/// (stored as 0x80: flag `8bit`) and a bare CR (flag `binary`).
fn message_writer_rules() -> Vec<Fixture> {
    use popstore_formats::imap::Part;
    use popstore_formats::message::{MessageFile, MessageFlags};
    let typical = &samples::messages()[1];
    let mut with_part_1 = typical.header.clone();
    let whole = with_part_1.imap.parts[0].clone();
    with_part_1.imap.parts.push(Part {
        path: vec![1],
        header_offset: whole.header_offset,
        header_length: whole.header_length,
        body_offset: whole.body_offset,
        body_length: whole.body_length,
        body_lines: whole.body_lines,
        decoded_size: Some(whole.body_length),
        flags: whole.flags,
    });
    let with_part_1 = MessageFile::new(with_part_1, typical.body.0.clone());
    let body = b"Subject: x\r\n\r\nNUL \x80 here, a bare CR \r there\r\n".to_vec();
    let mut header = typical.header.clone();
    header.flags = MessageFlags::EIGHT_BIT | MessageFlags::BINARY;
    header.imap = Default::default();
    let canonical = MessageFile::new(header, body);
    let d = kind_dir(FileKind::MESSAGE);
    let mut out = Vec::new();
    for (name, m) in [
        ("typical-with-part-1", with_part_1),
        ("canonical-body-8bit-binary", canonical),
    ] {
        push(
            &mut out,
            format!("v1.0/{d}/{name}"),
            m.encode().expect("message"),
            false,
        );
    }
    out
}

/// Every fixture of this module.
/// A change to a file's typed records.
type Edit = Box<dyn Fn(&mut Vec<Vec<u8>>)>;

/// The folder index's ENTRY rules (SPEC.md 8) and the mailbox list's
/// rules (SPEC.md 9), each broken once in the typical file.
fn folder_rules() -> Vec<Fixture> {
    let mut out = Vec::new();
    let k = FileKind::FOLDER_INDEX;
    let d = kind_dir(k);
    let typical = samples::folder_indexes()[1].encode().expect("folder index");
    let is = |r: &Vec<u8>, t: u16| r[..2] == t.to_le_bytes();
    let set_u32 =
        |r: &mut Vec<u8>, at: usize, v: u32| r[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let cases: [(&str, Edit); 5] = [
        (
            "uidvalidity-zero",
            Box::new(move |r| set_u32(r.iter_mut().find(|x| is(x, 1)).unwrap(), 6, 0)),
        ),
        (
            "uid-not-below-uidnext",
            Box::new(move |r| set_u32(r.iter_mut().find(|x| is(x, 1)).unwrap(), 10, 3)),
        ),
        (
            "modseq-above-highestmodseq",
            Box::new(move |r| {
                let f = r.iter_mut().find(|x| is(x, 1)).unwrap();
                f[14..22].copy_from_slice(&2u64.to_le_bytes());
            }),
        ),
        (
            "uids-out-of-order",
            Box::new(move |r| {
                let at: Vec<usize> = (0..r.len()).filter(|i| is(&r[*i], 3)).collect();
                r.swap(at[0], at[1]);
            }),
        ),
        (
            "keyword-index-outside-the-table",
            Box::new(move |r| r.retain(|x| !is(x, 2))),
        ),
    ];
    for (name, f) in cases {
        let bytes = reframe(k, &typical, |r| f(r));
        push(&mut out, format!("v1.0/{d}/invalid/{name}"), bytes, true);
    }
    let k = FileKind::MAILBOX_LIST;
    let d = kind_dir(k);
    let typical = samples::mailbox_lists()[1].encode().expect("mailbox list");
    let cases: [(&str, Edit); 4] = [
        (
            "folder-id-zero",
            Box::new(move |r| set_u32(r.iter_mut().find(|x| is(x, 2)).unwrap(), 2, 0)),
        ),
        (
            "folder-id-not-below-next",
            Box::new(move |r| set_u32(r.iter_mut().find(|x| is(x, 1)).unwrap(), 2, 4)),
        ),
        (
            "folder-id-twice",
            Box::new(move |r| {
                let at: Vec<usize> = (0..r.len()).filter(|i| is(&r[*i], 2)).collect();
                let id = r[at[0]][2..6].to_vec();
                r[at[1]][2..6].copy_from_slice(&id);
            }),
        ),
        (
            "folder-name-twice",
            Box::new(move |r| {
                let at: Vec<usize> = (0..r.len()).filter(|i| is(&r[*i], 2)).collect();
                let mut second = r[at[0]].clone();
                second[2..6].copy_from_slice(&r[at[1]][2..6]);
                r[at[1]] = second;
            }),
        ),
    ];
    for (name, f) in cases {
        let bytes = reframe(k, &typical, |r| f(r));
        push(&mut out, format!("v1.0/{d}/invalid/{name}"), bytes, true);
    }
    out
}

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
    out.extend(record_rules());
    out.extend(message_rules());
    out.extend(message_writer_rules());
    out.extend(folder_rules());
    let journal = kind_dir(FileKind::MESSAGE_JOURNAL);
    for (name, bytes) in journal_skips() {
        let invalid = name.starts_with("invalid/");
        push(&mut out, format!("v2.0/{journal}/{name}"), bytes, invalid);
    }
    out
}
