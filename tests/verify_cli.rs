//! `popstore verify` and `popstore inspect`, run as the real binary over
//! the committed sample store and fixtures (each damage in a temp copy).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use popstore_formats::StoreFile;
use popstore_formats::layout::{Layout, MessageId, linux_relative};
use popstore_formats::message::{MessageFile, at, encode_refcount};
use popstore_formats::profile::Profile;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> PathBuf {
    repo().join("conformance/stores/sample")
}

fn popstore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_popstore"))
        .args(args)
        .env_remove("POPSTORE_STORE")
        .output()
        .expect("popstore runs")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A temp copy of the sample store.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let s = t.path().join("store");
    copy_dir(&sample(), &s);
    (t, s)
}

fn verify(store: &Path) -> (i32, String) {
    let o = popstore(&["verify", "--store", store.to_str().unwrap()]);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// The shared message (three popstore recipients) and John's profile.
const SHARED: &str = "messages/63/13/m00001jc000001.msg";
const JOHN: &str = "users/1c/ad/john/account.prf";

#[test]
fn the_sample_store_is_clean() {
    let (code, out) = verify(&sample());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("6 accounts, 6 message files, 8 references: 0 problems\n"),
        "{out}"
    );
    // The paths the sample uses are the ones the layout computes.
    let l = Layout::default();
    assert_eq!(
        linux_relative(&l.message_file(MessageId(0x0193_0000_0001))),
        SHARED
    );
    assert_eq!(linux_relative(&l.user_dir("John").unwrap().profile()), JOHN);
}

#[test]
fn a_flipped_byte_in_a_message_body_is_found() {
    let (_t, s) = copy();
    let p = s.join(SHARED);
    let mut b = std::fs::read(&p).unwrap();
    b[512 + 10] ^= 0x01; // inside the body
    std::fs::write(&p, &b).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{SHARED}: offset 512: bad checksum of the body")),
        "{out}"
    );
    // Whose mail it is, for the admin restoring it from a backup.
    assert!(
        out.contains(&format!(
            "{SHARED}: damaged message file referenced by users/1c/ad/john/messages.pml"
        )),
        "{out}"
    );
    assert!(out.ends_with(": 2 problems\n"), "{out}");
}

#[test]
fn a_flipped_byte_in_a_message_header_is_found() {
    let (_t, s) = copy();
    let p = s.join(SHARED);
    let mut b = std::fs::read(&p).unwrap();
    b[at::RECORDS + 6] ^= 0x01; // the channel name
    std::fs::write(&p, &b).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{SHARED}: offset ")), "{out}");
    assert!(out.contains("bad checksum of the header"), "{out}");
}

#[test]
fn a_deleted_message_file_is_found() {
    let (_t, s) = copy();
    std::fs::remove_file(s.join(SHARED)).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{SHARED}: missing: referenced by users/1c/ad/john/messages.pml, \
             users/81/68/pete/messages.pml, users/f6/00/mary/messages.pml"
        )),
        "{out}"
    );
}

#[test]
fn a_truncated_profile_is_found() {
    let (_t, s) = copy();
    let p = s.join(JOHN);
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len - 12).unwrap(); // the end record gone
    drop(f);
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{JOHN}: offset {}: file is truncated", len - 12)),
        "{out}"
    );
}

#[test]
fn a_changed_reference_count_is_found() {
    let (_t, s) = copy();
    let p = s.join(SHARED);
    let mut b = std::fs::read(&p).unwrap();
    b[at::REFCOUNT..at::REFCOUNT + 8].copy_from_slice(&encode_refcount(2));
    std::fs::write(&p, &b).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{SHARED}: reference count 2 but 3 references found"
        )),
        "{out}"
    );
    // Changing only the count (not its complement) is caught by the reader.
    b[at::REFCOUNT] = 9;
    std::fs::write(&p, &b).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{SHARED}: offset 44: bad checksum of the reference count"
        )),
        "{out}"
    );
}

#[test]
fn wrong_usage_orphans_and_stray_files_are_found() {
    let (_t, s) = copy();
    let p = s.join(JOHN);
    let mut prof = Profile::decode(&std::fs::read(&p).unwrap()).unwrap();
    let used = prof.counters.quota_used;
    prof.counters.quota_used += 1;
    std::fs::write(&p, prof.encode().unwrap()).unwrap();
    // An unreferenced message file at its proper path.
    let m = MessageFile::decode(&std::fs::read(s.join(SHARED)).unwrap()).unwrap();
    let orphan = linux_relative(&Layout::default().message_file(MessageId(0x0193_0000_0099)));
    std::fs::create_dir_all(s.join(&orphan).parent().unwrap()).unwrap();
    std::fs::write(s.join(&orphan), m.encode().unwrap()).unwrap();
    std::fs::write(s.join("stray.txt"), b"x").unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{JOHN}: usage (quota used) {} but the messages held total {used} bytes",
            used + 1
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{orphan}: orphan: no references (reference count 3; its recipients: \
             john@example.com, mary@example.com, pete@example.com)"
        )),
        "{out}"
    );
    assert!(out.contains("stray.txt: unexpected file"), "{out}");
    assert!(out.ends_with(": 3 problems\n"), "{out}");
}

#[test]
fn unusable_arguments_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let (code, _) = verify(&t.path().join("nothing"));
    assert_eq!(code, 2);
    let (code, _) = verify(t.path()); // a directory but not a store
    assert_eq!(code, 2);
}

#[test]
fn inspect_prints_the_expectation_json() {
    let fx = repo().join("conformance/fixtures/v1.0/profile/maximal");
    let o = popstore(&["inspect", fx.with_extension("bin").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.with_extension("json")).unwrap()).unwrap();
    assert_eq!(got, want);
}

#[test]
fn inspect_hex_annotates_and_bad_files_give_offsets() {
    let p = sample().join(SHARED);
    let o = popstore(&["inspect", "--hex", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("    44  03 00 00 00 "), "{out}");
    assert!(out.contains("reference count = 3"), "{out}");
    let bad = repo().join("conformance/fixtures/v1.0/message-list/invalid/bad-checksum.bin");
    let o = popstore(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("offset 118: bad checksum of the file"),
        "{err}"
    );
}

#[test]
fn inspect_shows_a_journal_and_its_torn_tail() {
    let fx = repo().join("conformance/fixtures/v2.0/message-journal/torn/cut-inside-record");
    let o = popstore(&["inspect", fx.with_extension("bin").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["kind"], "message-journal");
    assert_eq!(got["value"]["torn_tail"], 20);
    assert_eq!(got["value"]["entries"].as_array().map(Vec::len), Some(3));
    let o = popstore(&[
        "inspect",
        "--hex",
        fx.with_extension("bin").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("record type 0x0001 JOURNAL"), "{out}");
    assert!(out.contains("record CRC-32 = 0x"), "{out}");
    assert!(
        out.contains("   170  2D 00 02 00 ") && out.contains("torn tail (20 bytes)"),
        "{out}"
    );
    let bad =
        repo().join("conformance/fixtures/v2.0/message-journal/invalid/overlong-record-length.bin");
    let o = popstore(&["inspect", "--hex", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("offset 26: record length 32768"), "{err}");
}

#[test]
fn a_profile_whose_username_holds_its_domain_is_at_that_names_path() {
    // SPEC.md 6: the account's name is the username when it holds a
    // domain (the domain field may repeat it, as the maximal profile
    // fixture does), so `John@example.com` with domain `example.com` lives
    // at the path of `john@example.com`, not of `...@example.com@example.com`.
    let (_t, s) = copy();
    let from = s.join(JOHN);
    let mut prof = Profile::decode(&std::fs::read(&from).unwrap()).unwrap();
    prof.identity.username = "John@example.com".into();
    prof.identity.domain = "example.com".into();
    let to = s.join(linux_relative(
        &Layout::default()
            .user_dir("john@example.com")
            .unwrap()
            .profile(),
    ));
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for e in std::fs::read_dir(from.parent().unwrap()).unwrap() {
        let e = e.unwrap();
        std::fs::rename(e.path(), to.parent().unwrap().join(e.file_name())).unwrap();
    }
    std::fs::write(&to, prof.encode().unwrap()).unwrap();
    std::fs::remove_dir(from.parent().unwrap()).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 0, "{out}");
    // A domain field that contradicts the username is reported.
    prof.identity.domain = "example.org".into();
    std::fs::write(&to, prof.encode().unwrap()).unwrap();
    let (code, out) = verify(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("profile's domain \"example.org\" is not the domain of its username"),
        "{out}"
    );
}
