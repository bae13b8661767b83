//! Makes the fixtures of format version 1.0 from the sample values of
//! `popstore_formats::samples`, and the damaged copies that are the
//! invalid cases. Used once, by the `generate-fixtures` binary, which never
//! overwrites a file: the committed bytes are the history.

use std::path::Path;

use popstore_formats::container::{FIRST_RECORD, write_container};
use popstore_formats::message::at;
use popstore_formats::record::{BLOCK, var_records};
use popstore_formats::{AnyFile, FileKind, StoreFile, samples};

/// One fixture: where it goes (below `fixtures/`, without extension) and
/// its bytes.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `v<version>/<kind>/<name>`, `v<version>/<kind>/invalid/<name>` or
    /// `v<version>/<kind>/torn/<name>`.
    pub rel: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// True for an invalid case.
    pub invalid: bool,
}

/// Named byte strings.
type Named = Vec<(String, Vec<u8>)>;

fn valid<T: StoreFile>(values: &[T]) -> Named {
    ["minimal", "typical", "maximal"]
        .iter()
        .zip(values)
        .map(|(n, v)| ((*n).to_owned(), v.encode().expect("samples encode")))
        .collect()
}

/// Record boundaries (count-word offsets) of a structured file, and the
/// end record's.
fn boundaries(bytes: &[u8]) -> Vec<usize> {
    var_records(bytes).flatten().map(|r| r.offset).collect()
}

/// Re-frames a structured file from its typed records (valid checksum),
/// after `f` changed them.
fn reframe(kind: FileKind, bytes: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let mut recs: Vec<Vec<u8>> = var_records(&bytes[FIRST_RECORD..])
        .flatten()
        .map(|r| r.data.to_vec())
        .collect();
    recs.pop(); // the end record
    f(&mut recs);
    write_container(kind.magic(), &recs).expect("reframed")
}

/// The structural invalid cases every framed kind has (truncations, bad
/// magic, checksum, versions, framing, leftover and missing fields).
pub fn structured_invalid(kind: FileKind, typical: &[u8]) -> Named {
    let mut out = Vec::new();
    for b in boundaries(typical) {
        out.push((format!("truncated-at-{b}"), typical[..b].to_vec()));
    }
    let last = *boundaries(typical).last().unwrap_or(&0);
    out.push((
        "truncated-inside-end-record".into(),
        typical[..last + 5].to_vec(),
    ));
    let mut m = typical.to_vec();
    m[2..6].copy_from_slice(b"XXXX");
    out.push(("bad-magic".into(), m));
    let mut m = typical.to_vec();
    m[FIRST_RECORD + 4] ^= 0x01;
    out.push(("bad-checksum".into(), m));
    let mut m = typical.to_vec();
    m[6] = 2;
    out.push(("future-major-version".into(), m));
    let mut m = typical.to_vec();
    m[FIRST_RECORD..FIRST_RECORD + 2].copy_from_slice(&0x8000u16.to_le_bytes());
    out.push(("overlong-record-length".into(), m));
    let mut m = typical.to_vec();
    let n = u16::from_le_bytes([m[FIRST_RECORD], m[FIRST_RECORD + 1]]);
    m[FIRST_RECORD..FIRST_RECORD + 2].copy_from_slice(&(n | 1).wrapping_add(2).to_le_bytes());
    out.push(("odd-record-length".into(), m));
    let mut m = typical.to_vec();
    m.extend_from_slice(&[0, 0]);
    out.push(("trailing-garbage".into(), m));
    out.push((
        "record-with-leftover-bytes".into(),
        reframe(kind, typical, |r| r[0].push(0xEE)),
    ));
    out.push((
        "record-ends-inside-a-field".into(),
        reframe(kind, typical, |r| {
            let len = r[0].len();
            r[0].truncate(len.saturating_sub(1).max(2));
        }),
    ));
    let has_required = [
        FileKind::DESCRIPTOR,
        FileKind::PROFILE,
        FileKind::MESSAGE_LIST,
        FileKind::FOLDER_INDEX,
        FileKind::MAILBOX_LIST,
    ]
    .contains(&kind);
    if !has_required {
        return out;
    }
    out.push((
        "first-record-twice".into(),
        reframe(kind, typical, |r| {
            let first = r[0].clone();
            r.insert(1, first);
        }),
    ));
    out.push((
        "first-record-missing".into(),
        reframe(kind, typical, |r| {
            r.remove(0);
        }),
    ));
    out
}

fn message_invalid(typical: &[u8], maximal: &[u8]) -> Named {
    let mut out = Vec::new();
    for b in (0..maximal.len()).step_by(BLOCK) {
        out.push((
            format!("maximal-truncated-at-block-{}", b / BLOCK),
            maximal[..b].to_vec(),
        ));
    }
    let rec_len = u32::from_le_bytes([
        typical[at::RECORDS_LENGTH],
        typical[at::RECORDS_LENGTH + 1],
        typical[at::RECORDS_LENGTH + 2],
        typical[at::RECORDS_LENGTH + 3],
    ]) as usize;
    for r in var_records(&typical[at::RECORDS..at::RECORDS + rec_len]).flatten() {
        let cut = at::RECORDS + r.offset;
        out.push((format!("truncated-at-{cut}"), typical[..cut].to_vec()));
    }
    let mut m = typical.to_vec();
    m[0..4].copy_from_slice(b"XXXX");
    out.push(("bad-magic".into(), m));
    let mut m = typical.to_vec();
    m[at::MAJOR] = 2;
    out.push(("future-major-version".into(), m));
    let mut m = typical.to_vec();
    m[at::RECORDS + 4] ^= 0x01;
    out.push(("bad-header-checksum".into(), m));
    let body_at = BLOCK
        * u32::from_le_bytes([
            typical[at::HEADER_BLOCKS],
            typical[at::HEADER_BLOCKS + 1],
            typical[at::HEADER_BLOCKS + 2],
            typical[at::HEADER_BLOCKS + 3],
        ]) as usize;
    let mut m = typical.to_vec();
    m[body_at + 7] ^= 0x20;
    out.push(("bad-body-checksum".into(), m));
    let mut m = typical.to_vec();
    m[at::REFCOUNT] = m[at::REFCOUNT].wrapping_add(1);
    out.push(("bad-reference-count".into(), m));
    let mut m = typical.to_vec();
    m.push(0);
    out.push(("odd-length".into(), m));
    let mut m = typical.to_vec();
    m.extend_from_slice(&[0; BLOCK]);
    out.push(("trailing-garbage".into(), m));
    let mut m = typical.to_vec();
    m[at::RECORDS..at::RECORDS + 2].copy_from_slice(&0x8000u16.to_le_bytes());
    out.push(("overlong-record-length".into(), m));
    let mut m = typical.to_vec();
    m[body_at - 1] = 1;
    out.push(("header-padding-not-zero".into(), m));
    let mut m = typical.to_vec();
    let last = m.len() - 1;
    m[last] = 1;
    out.push(("body-padding-not-zero".into(), m));
    let mut m = typical.to_vec();
    m[at::HEADER_BLOCKS] = 0;
    out.push(("zero-header-blocks".into(), m));
    out
}

/// Every fixture of format version 1.0.
pub fn v1_0() -> Vec<Fixture> {
    let kinds: Vec<(FileKind, Named)> = vec![
        (FileKind::DESCRIPTOR, valid(&samples::descriptors())),
        (FileKind::PROFILE, valid(&samples::profiles())),
        (FileKind::MESSAGE_LIST, valid(&samples::message_lists())),
        (FileKind::FOLDER_INDEX, valid(&samples::folder_indexes())),
        (FileKind::MAILBOX_LIST, valid(&samples::mailbox_lists())),
        (FileKind::FORWARDING, valid(&samples::forwardings())),
        (FileKind::GROUPS, valid(&samples::group_trees())),
        (FileKind::VACATION_STATE, valid(&samples::vacation_states())),
        (FileKind::MESSAGE, valid(&samples::messages())),
    ];
    let mut out = Vec::new();
    for (kind, files) in kinds {
        let dir = kind.name().unwrap_or("unknown");
        let invalid = if kind == FileKind::MESSAGE {
            message_invalid(&files[1].1, &files[2].1)
        } else {
            let mut v = structured_invalid(kind, &files[1].1);
            if kind == FileKind::PROFILE {
                // An APOP secret without the APOP flag.
                v.push((
                    "apop-secret-without-apop-flag".into(),
                    reframe(kind, &files[1].1, |r| {
                        r.push(vec![0x13, 0x00, 0x03, 0x00, b'a', b'b', b'c'])
                    }),
                ));
            }
            v
        };
        for (name, bytes) in files {
            out.push(Fixture {
                rel: format!("v1.0/{dir}/{name}"),
                bytes,
                invalid: false,
            });
        }
        for (name, bytes) in invalid {
            out.push(Fixture {
                rel: format!("v1.0/{dir}/invalid/{name}"),
                bytes,
                invalid: true,
            });
        }
    }
    out
}

/// The expectation file's text for a fixture, computed by reading it.
/// Fails when a valid fixture does not read or an invalid one does.
pub fn expectation_text(f: &Fixture) -> Result<String, String> {
    let r = AnyFile::decode(&f.bytes);
    match (r, f.invalid) {
        (Ok(v), false) => Ok(crate::to_pretty(&crate::expectation(&v))),
        (Err(e), true) => Ok(crate::to_pretty(&crate::error_expectation(&e))),
        (Ok(_), true) => Err(format!("{}: invalid case reads without error", f.rel)),
        (Err(e), false) => Err(format!("{}: valid fixture does not read: {e}", f.rel)),
    }
}

/// Writes `bytes` to `path` unless a file is already there (fixtures are
/// never rewritten). Returns true when written.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Write;
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(bytes)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}
