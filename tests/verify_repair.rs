//! `popstore verify --repair`: damage a store the way a crash can (or
//! worse), and the repair brings it back to what its references say.

mod common;

use assert_cmd::Command;
use common::engine::{Engine, verify, write_orphan};
use popstore::delivery::{Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore_formats::layout::linux_relative;

#[test]
fn repair_fixes_counts_orphans_and_dangling_references() {
    let e = Engine::new();
    let (dir, store) = (&e.dir, &e.store);
    let env = Envelope {
        mail_from: "a@b.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let to: Vec<_> = ["ann", "bob"]
        .iter()
        .map(|r| store.check_recipient(&env, r, 1).unwrap())
        .collect();
    for k in 0..3 {
        let m = format!("Subject: {k}\r\n\r\nbody\r\n");
        assert!(
            store
                .deliver(&env, &to, m.as_bytes())
                .iter()
                .all(|r| r.is_ok())
        );
    }
    assert_eq!(verify(dir.path(), &[]).0, 0, "a fresh store verifies clean");

    let ann = store.name("ann").unwrap();
    let list = store.read_list(&ann).unwrap().entries;
    // 1. a count too high (a decrement a crash cut short)
    store.set_reference_count(list[0].message, 5).unwrap();
    // 2. an orphan (a delivery that crashed before any reference)
    let orphan = write_orphan(store);
    // 3. a referenced file gone (worse than a crash can do)
    let gone = store.paths().message(list[1].message);
    std::fs::remove_file(dir.path().join(linux_relative(&gone))).unwrap();
    // 4. a leftover temporary file of an interrupted replace
    let prf = dir
        .path()
        .join(linux_relative(&store.paths().profile(&ann)));
    std::fs::write(prf.with_extension("prf_new"), b"partial").unwrap();

    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("orphan"), "{out}");
    let (code, out) = verify(dir.path(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("repaired"), "{out}");
    assert!(out.ends_with("0 problems\n"), "{out}");
    assert_eq!(store.reference_count(orphan).unwrap(), None);
    assert_eq!(store.reference_count(list[0].message).unwrap(), Some(2));
    let i = store.show_account(&Actor::Admin, "ann").unwrap();
    assert_eq!(i.messages, 2);
    // A second repair has nothing to do.
    let (code, out) = verify(dir.path(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0);
    assert!(!out.contains("repaired"), "{out}");
}

#[test]
fn messages_referenced_only_from_a_journal_are_kept_by_repair() {
    let e = Engine::new();
    for k in 0..3 {
        e.deliver(&["ann"], k);
    }
    e.deliver(&["ann", "bob"], 3);
    // Ann's references are all in her journal: no list file yet.
    assert!(e.journal().is_file());
    assert!(!e.list().exists());
    let ids = e.ann_messages();
    assert_eq!(ids.len(), 4);
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("5 references: 0 problems\n"), "{out}");
    // An orphan, so that repair has something to do.
    let orphan = write_orphan(&e.store);
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("orphan").count(), 1, "{out}");
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("0 problems\n"), "{out}");
    assert!(!e.exists(orphan));
    for id in &ids {
        assert!(e.exists(*id), "{id:?} removed: {out}");
    }
    assert_eq!(e.ann_messages(), ids);
    let i = e.store.show_account(&Actor::Admin, "ann").unwrap();
    assert_eq!(i.messages, 4);
}

#[test]
fn a_torn_tail_is_a_note_and_repair_folds_it() {
    let e = Engine::new();
    e.deliver(&["ann"], 0);
    e.deliver(&["ann"], 1);
    let ids = e.ann_messages();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(e.journal())
        .unwrap();
    std::io::Write::write_all(&mut f, &[0x2d, 0x00, 0x02]).unwrap();
    drop(f);
    // inspect --hex on the engine's journal: every record, then the tail.
    let out = Command::cargo_bin("popstore")
        .unwrap()
        .arg("inspect")
        .arg("--hex")
        .arg(e.journal())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("record type 0x0002 ENTRY").count(),
        2,
        "{text}"
    );
    assert_eq!(text.matches("record CRC-32 = 0x").count(), 3, "{text}");
    assert!(
        text.trim_end()
            .ends_with("2D 00 02                                         torn tail (3 bytes): an append cut short, ignored"),
        "{text}"
    );
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 0, "a torn tail is not a problem: {out}");
    assert!(
        out.contains("messages.pmj: note: torn tail of 3 bytes"),
        "{out}"
    );
    assert!(out.ends_with("0 problems\n"), "{out}");
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("repaired"), "{out}");
    assert!(!e.journal().exists(), "folded: {out}");
    assert_eq!(e.ann_messages(), ids);
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("note:"), "{out}");
}

#[test]
fn a_stale_journal_is_reported_and_removed_without_doubling() {
    let e = Engine::new();
    e.deliver(&["ann"], 0);
    e.deliver(&["ann"], 1);
    let ids = e.ann_messages();
    let copy = std::fs::read(e.journal()).unwrap();
    // A fold that crashed after replacing the list: the journal stays.
    e.store.fold_journal(&e.ann()).unwrap();
    std::fs::write(e.journal(), &copy).unwrap();
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("stale journal (base 1 below the list's next UIDL 3)"),
        "{out}"
    );
    assert!(
        !out.contains("reference count"),
        "stale entries are not references: {out}"
    );
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    assert!(!e.journal().exists());
    assert_eq!(e.ann_messages(), ids);
}

#[test]
fn a_journal_ahead_of_its_list_keeps_the_entries_the_list_lacks() {
    let e = Engine::new();
    e.deliver(&["ann"], 0);
    e.deliver(&["ann"], 1);
    e.store.fold_journal(&e.ann()).unwrap();
    let old_list = std::fs::read(e.list()).unwrap(); // next UIDL 3
    e.deliver(&["ann"], 2);
    e.store.fold_journal(&e.ann()).unwrap();
    e.deliver(&["ann"], 3); // journal base 4
    let ids = e.ann_messages();
    // The list restored from an older copy: message 2 is referenced by
    // nothing any more, message 3 only by a journal ahead of its list.
    std::fs::write(e.list(), &old_list).unwrap();
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("journal base 4 is ahead of the list's next UIDL 3"),
        "{out}"
    );
    assert_eq!(out.matches("orphan").count(), 1, "only message 2: {out}");
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    // The list lost message 2's reference (the restore): the file names
    // ann, so it is given back, not removed.
    assert!(
        out.contains("rebuilt: 3 entries kept, 1 message files that name ann given back"),
        "{out}"
    );
    assert!(
        out.contains("base 4 is ahead of the list's next UIDL 3"),
        "{out}"
    );
    for id in &ids {
        assert!(e.exists(*id), "{id:?} removed: {out}");
    }
    assert_eq!(e.ann_messages(), [ids[0], ids[1], ids[3], ids[2]]);
    let list = e.store.read_list(&e.ann()).unwrap();
    let mut uidls: Vec<&str> = list.entries.iter().map(|x| x.uidl.as_str()).collect();
    uidls.sort();
    uidls.dedup();
    assert_eq!(uidls.len(), 4, "no UIDL handed out twice");
    assert_eq!(list.next_uidl, 6, "no UIDL number handed out twice");
}

#[test]
fn a_corrupt_journal_is_rebuilt_from_its_whole_entries() {
    let e = Engine::new();
    for k in 0..3 {
        e.deliver(&["ann"], k);
    }
    let ids = e.ann_messages();
    let mut bytes = std::fs::read(e.journal()).unwrap();
    // The first entry's count word (after the header and the JOURNAL
    // record: 10 + 2 + 14) made overlong: whole records follow it.
    bytes[27] |= 0x80;
    std::fs::write(e.journal(), &bytes).unwrap();
    let (code, out) = verify(e.root(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("corrupt message-list journal: offset 26"),
        "{out}"
    );
    assert!(out.contains("2 whole entries still readable"), "{out}");
    assert_eq!(
        out.matches("orphan").count(),
        1,
        "only the lost entry's file: {out}"
    );
    let (code, out) = verify(e.root(), &["--repair", "--grace", "0"]);
    assert_eq!(code, 0, "{out}");
    // The two whole entries are kept; the lost entry's file names ann and
    // is given back rather than removed.
    assert!(
        out.contains("rebuilt: 2 entries kept, 1 message files that name ann given back"),
        "{out}"
    );
    assert!(e.exists(ids[0]), "{out}");
    assert_eq!(e.ann_messages(), [ids[1], ids[2], ids[0]]);
    assert!(!e.journal().exists(), "folded: {out}");
}

/// `verify` reading a store a server is changing: the message directories
/// come before the users' in the walk, so a delivery between the two puts
/// a reference to a file the walk did not list, and a deletion between
/// them takes away a file it listed. Neither is a problem of the store
/// (before the fix: "missing: referenced by ..." and "orphan").
#[test]
fn verify_beside_a_server_reports_no_missing_file_and_no_orphan() {
    use popstore::verify::{DirEntry, PlatformStore, StoreDir, StoreReader};
    use popstore_formats::path::StorePath;
    use std::sync::Once;

    /// Runs `change` once, when the walk first lists a user directory.
    struct Racing<'a> {
        inner: PlatformStore<'a>,
        once: Once,
        change: &'a dyn Fn(),
    }
    impl StoreReader for Racing<'_> {
        fn list(&self, dir: &StoreDir) -> std::io::Result<Option<Vec<DirEntry>>> {
            if dir.dirs.first().is_some_and(|d| d.as_str() == "USERS") {
                self.once.call_once(self.change);
            }
            self.inner.list(dir)
        }
        fn read(&self, path: &StorePath) -> std::io::Result<Option<Vec<u8>>> {
            self.inner.read(path)
        }
        fn spell(&self, path: &StorePath) -> String {
            self.inner.spell(path)
        }
        fn spell_dir(&self, dir: &StoreDir, other: Option<&str>) -> String {
            self.inner.spell_dir(dir, other)
        }
    }

    let e = Engine::new();
    for k in 0..3 {
        e.deliver(&["ann"], k);
    }
    let fs = popstore_platform_linux::linux(vec![e.root().to_path_buf()]);
    // A delivery to bob and a POP3 session deleting ann's first message,
    // both while the walk is between the message files and the users.
    let change = || {
        e.deliver(&["bob"], 10);
        let mut drop = e.store.open_maildrop(&e.ann()).unwrap();
        assert!(drop.mark_deleted(0));
        drop.commit().unwrap();
    };
    let reader = Racing {
        inner: PlatformStore::new(&fs),
        once: Once::new(),
        change: &change,
    };
    let report = popstore::verify::verify(&reader, &|_| {});
    assert!(reader.once.is_completed());
    let problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.reason))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(verify(e.root(), &[]).0, 0, "the store is clean");
}

/// A writer that changes an account's profile and message list together
/// (a delivery folded into the list) while verify is between reading the
/// profile and reading the list: verify reads the account under its lock,
/// so the writer either finished before or waits until verify is done,
/// and the report holds no "message count 3 but the message list holds
/// 4". Fails without the lock (verify read the profile and list unlocked).
#[test]
fn verify_reads_an_account_consistently_beside_a_writer() {
    let e = Engine::new();
    for k in 0..3 {
        e.deliver(&["ann"], k);
    }
    e.store.fold_journal(&e.ann()).unwrap();
    let fs = popstore_platform_linux::linux(vec![e.root().to_path_buf()]);
    let change = || {
        e.deliver(&["ann"], 10);
        e.store.fold_journal(&e.ann()).unwrap();
    };
    let reader = LockRacing::new(&fs, "PML", |p| sibling(p, "ACCOUNT", "LCK"), &change);
    let report = popstore::verify::verify(&reader, &|_| {});
    let problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.reason))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    // The writer that waited for verify's lock goes on now.
    match reader.changed.get() {
        Some(false) => change(),
        Some(true) => {}
        None => panic!("verify read no message list"),
    }
    assert_eq!(e.ann_messages().len(), 4);
    assert_eq!(verify(e.root(), &[]).0, 0, "the store is clean");
}

/// Verify reads a folder's index and journal under the folder's lock,
/// shared, as the writers change them. (A fold also takes the account's
/// lock, which verify holds for the whole subtree; a flag change or an
/// expunge takes the folder's only.) So verify never reads a journal while
/// a writer is half-way through an append: here the writer's first bytes
/// are in the file when verify would read it, if the folder's lock is
/// free then. Without the lock verify reports a torn tail that no crash
/// made.
#[test]
fn verify_reads_a_folder_journal_under_the_folder_lock() {
    use popstore::store::StoreType;
    use popstore::store::folder_name::FolderName;
    use popstore::store::folders::NewMessage;

    let e = Engine::new();
    e.store
        .create_account(
            &Actor::Admin,
            "ivy",
            &popstore::store::AccountChanges {
                store_type: Some(StoreType::Imap),
                ..Default::default()
            },
        )
        .unwrap();
    let ivy = e.store.name("ivy").unwrap();
    let inbox = FolderName::inbox();
    let append = |k: usize| {
        let m = format!("Subject: {k}\r\n\r\nbody {k}\r\n");
        e.store
            .append_message(
                &ivy,
                &inbox,
                &NewMessage {
                    bytes: m.as_bytes(),
                    ..NewMessage::default()
                },
            )
            .unwrap();
    };
    for k in 0..3 {
        append(k);
    }
    let journal = e.root().join(linux_relative(
        &e.store.paths().user(&ivy).folder_journal(1),
    ));
    assert!(journal.exists(), "the appends went to the journal");
    // A writer's first bytes of a record, the rest not yet written.
    let change = || {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap()
            .write_all(&[0x42, 0x00])
            .unwrap();
    };
    let fs = popstore_platform_linux::linux(vec![e.root().to_path_buf()]);
    let reader = LockRacing::new(&fs, "PFJ", |p| sibling(p, p.name.as_str(), "LCK"), &change);
    let report = popstore::verify::verify(&reader, &|_| {});
    let said: Vec<String> = report
        .problems
        .iter()
        .chain(&report.notes)
        .map(|p| format!("{}: {}", p.path, p.reason))
        .collect();
    assert!(!said.iter().any(|p| p.contains("torn tail")), "{said:?}");
    assert!(report.problems.is_empty(), "{said:?}");
    assert_eq!(
        reader.changed.get(),
        Some(false),
        "verify read the journal under the folder's lock"
    );
}

/// A store reader for verify that, when the walk first reads a file of
/// type `ftype`, runs `change` if the lock `lock_of` names for that file
/// is free then (a writer would wait for it otherwise): a writer racing
/// verify at the worst moment, unless verify holds the lock.
struct LockRacing<'a> {
    inner: popstore::verify::PlatformStore<'a>,
    fs: &'a dyn popstore_platform::Platform,
    ftype: &'static str,
    lock_of: fn(&popstore_formats::path::StorePath) -> popstore_formats::path::StorePath,
    /// `Some(true)`: the change ran during the walk; `Some(false)`: the
    /// lock was held; `None`: no such file was read.
    changed: std::cell::Cell<Option<bool>>,
    change: &'a dyn Fn(),
}

impl<'a> LockRacing<'a> {
    fn new(
        fs: &'a dyn popstore_platform::Platform,
        ftype: &'static str,
        lock_of: fn(&popstore_formats::path::StorePath) -> popstore_formats::path::StorePath,
        change: &'a dyn Fn(),
    ) -> Self {
        LockRacing {
            inner: popstore::verify::PlatformStore::new(fs),
            fs,
            ftype,
            lock_of,
            changed: std::cell::Cell::new(None),
            change,
        }
    }
}

impl popstore::verify::StoreReader for LockRacing<'_> {
    fn list(
        &self,
        dir: &popstore::verify::StoreDir,
    ) -> std::io::Result<Option<Vec<popstore::verify::DirEntry>>> {
        self.inner.list(dir)
    }
    fn read(&self, path: &popstore_formats::path::StorePath) -> std::io::Result<Option<Vec<u8>>> {
        if path.ftype.as_str() == self.ftype && self.changed.get().is_none() {
            let free = self
                .fs
                .lock(
                    &(self.lock_of)(path),
                    popstore_platform::LockMode::Exclusive,
                    std::time::Duration::ZERO,
                )
                .is_ok();
            if free {
                (self.change)();
            }
            self.changed.set(Some(free));
        }
        self.inner.read(path)
    }
    fn spell(&self, path: &popstore_formats::path::StorePath) -> String {
        self.inner.spell(path)
    }
    fn spell_dir(&self, dir: &popstore::verify::StoreDir, other: Option<&str>) -> String {
        self.inner.spell_dir(dir, other)
    }
    fn lock_shared(
        &self,
        path: &popstore_formats::path::StorePath,
    ) -> Option<Box<dyn std::any::Any>> {
        self.inner.lock_shared(path)
    }
}

/// The file `name`.`ftype` beside `path`.
fn sibling(
    path: &popstore_formats::path::StorePath,
    name: &str,
    ftype: &str,
) -> popstore_formats::path::StorePath {
    let mut p = path.clone();
    p.name = popstore_formats::path::Ods2Name::new(name).unwrap();
    p.ftype = popstore_formats::path::Ods2Name::new(ftype).unwrap();
    p
}
