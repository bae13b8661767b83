//! `popstore inspect --imap`: the binary prints ENVELOPE and BODYSTRUCTURE
//! lines for a raw message and for a stored message file, identically.

use std::path::Path;
use std::process::Command;

use popstore::mime;
use popstore_formats::StoreFile;
use popstore_formats::message::{MessageFile, MessageHeader};

fn inspect(args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("inspect")
        .args(args)
        .output()
        .expect("run popstore");
    (out.status.code().unwrap_or(-1), out.stdout)
}

#[test]
fn raw_and_stored_give_the_fetch_lines() {
    let msg =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mime-corpus/135-rfc822-in-mixed.eml");
    let raw = std::fs::read(&msg).expect("corpus message");
    let (code, out) = inspect(&["--imap", "--raw", msg.to_str().expect("path")]);
    assert_eq!(code, 0);
    let (data, pre) = mime::precompute(&raw);
    let mut expected = b"ENVELOPE ".to_vec();
    expected.extend_from_slice(&pre.envelope);
    expected.extend_from_slice(b"\nBODYSTRUCTURE ");
    expected.extend_from_slice(&pre.bodystructure);
    expected.push(b'\n');
    assert_eq!(out, expected);
    assert!(out.starts_with(b"ENVELOPE (\"Sun, 22 Nov 2026"));
    assert!(String::from_utf8_lossy(&out).contains("(\"message\" \"rfc822\" NIL NIL NIL \"7bit\""));

    // The same through a message file carrying the precomputed section.
    let header = MessageHeader {
        imap: pre.to_imap_data(),
        ..MessageHeader::default()
    };
    let file = MessageFile::new(header, data);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("MSG.MSG");
    std::fs::write(&path, file.encode().expect("encode message file")).expect("write");
    let (code, stored) = inspect(&["--imap", path.to_str().expect("path")]);
    assert_eq!(code, 0);
    assert_eq!(stored, expected);

    // Decoding the file gives back every precomputed answer.
    let back = MessageFile::decode(&std::fs::read(&path).expect("read")).expect("decode");
    let again = mime::stored::from_imap_data(&back.header.imap, back.info.dot_lines.clone())
        .expect("section");
    assert_eq!(again, pre);
}

#[test]
fn not_a_message_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("junk");
    std::fs::write(&path, b"not a store file").expect("write");
    let (code, out) = inspect(&["--imap", path.to_str().expect("path")]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
}

#[test]
fn a_section_that_breaks_the_writer_rules_is_computed_from_the_body() {
    // The maximal v1.0 fixture is a valid file whose precomputed section
    // a writer would never write (RFC822.SIZE u64::MAX, a part outside the
    // body, a message/rfc822 part without its second entry): SPEC.md 13.4
    // says readers accept it and servers answer from the body instead.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/fixtures/v1.0/message/maximal.bin");
    let file = MessageFile::decode(&std::fs::read(&path).expect("fixture")).expect("valid");
    let (code, out) = inspect(&["--imap", path.to_str().expect("path")]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    let pre = mime::analyze(&file.body.0);
    let mut expected = b"ENVELOPE ".to_vec();
    expected.extend_from_slice(&pre.envelope);
    expected.extend_from_slice(b"\nBODYSTRUCTURE ");
    expected.extend_from_slice(&pre.bodystructure);
    expected.push(b'\n');
    assert_eq!(out, expected);
}
