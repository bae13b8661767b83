//! Crash and resume of `popstore migrate`: the store is "crashed" at every
//! Nth write, sync or rename of a migration (a batch's message files are
//! written unsynced and made durable together before the batch's
//! references), everything not synced is lost, `verify --repair` runs,
//! and a second run completes the migration: every source message is in
//! the target exactly once, intact, with the UID or UIDL it had, and no
//! message file is left unreferenced.

use std::collections::BTreeMap;
use std::sync::Arc;

use popstore::migrate::plan::Migrator;
use popstore::migrate::{Body, SourceMessage};
use popstore::store::folder_name::FolderName;
use popstore::store::groups::Actor;
use popstore::store::layout::{self, MessageId};
use popstore::store::{AccountChanges, Settings, Store, StoreType};
use popstore_formats::folder::SystemFlags;
mod crash;

use crash::{Layout, linux_layout, openvms_layout};
use popstore_platform::{Entry, FaultMode, FaultVfs, MemVfs, OpClass, Platform, Vfs};

/// Messages per source folder.
const N: u32 = 12;

fn body(folder: &str, k: u32) -> Vec<u8> {
    format!("Subject: {folder} {k}\r\nFrom: a@example.org\r\n\r\nbody {k}\r\n").into_bytes()
}

fn source(folder: &str, k: u32) -> SourceMessage {
    let mut m = SourceMessage::new(Body::Bytes(body(folder, k)), format!("{folder}:{k}"));
    m.uid = Some(k * 2);
    m.uidl = Some(format!("uidl-{folder}-{k}"));
    m.key = Some(format!("{folder}-{k}"));
    m.flags = SystemFlags(if k.is_multiple_of(2) { 0x01 } else { 0 });
    m.internal_date = Some(1_796_400_000 + i64::from(k));
    m
}

/// One migration run of both accounts (errors stay in the reports).
fn migrate(store: &Arc<Store>, state: &std::path::Path) {
    for (user, t, folders) in [
        ("ann", StoreType::Imap, &["INBOX", "Archive"][..]),
        ("bob", StoreType::Pop, &["INBOX"][..]),
    ] {
        let name = store.name(user).unwrap();
        let Ok(mut m) = Migrator::new(store.clone(), state, name, t, false, None) else {
            return;
        };
        for f in folders {
            m.begin_folder(f, f, Some(777));
            for k in 1..=N {
                m.message(source(f, k));
            }
        }
        m.finish();
    }
}

fn message_files(fs: &dyn Platform) -> Vec<MessageId> {
    fn walk(fs: &dyn Platform, d: &popstore_platform::DirPath, out: &mut Vec<MessageId>) {
        for e in fs.list(d).unwrap() {
            match e {
                Entry::Dir(x) => walk(fs, &d.child(x), out),
                Entry::File { name, ftype } if ftype.as_str() == "MSG" => {
                    out.push(MessageId::from_file_name(name.as_str()).unwrap())
                }
                Entry::File { .. } => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(fs, &layout::messages_dir(), &mut out);
    out
}

/// After the second run: each message once, intact, with its UID (ann)
/// or UIDL (bob); every file referenced exactly as counted.
fn check(fs: Arc<dyn Platform>, store: &Store, n: u64) {
    let mut refs: BTreeMap<MessageId, u32> = BTreeMap::new();
    let ann = store.name("ann").unwrap();
    for f in ["INBOX", "Archive"] {
        let folder = store
            .open_folder(&ann, &FolderName::new(f).unwrap())
            .unwrap_or_else(|e| panic!("N={n}: ann's {f}: {e}"));
        let msgs: Vec<_> = folder.messages().collect();
        assert_eq!(msgs.len(), N as usize, "N={n}: ann's {f}: {msgs:?}");
        for (m, k) in msgs.iter().zip(1..=N) {
            *refs.entry(m.message).or_default() += 1;
            let v = store.open_message(m.message).unwrap();
            assert_eq!(v.body(), body(f, k), "N={n}: ann's {f} message {k}");
            assert_eq!(m.uid, k * 2, "N={n}: ann's {f} message {k} lost its UID");
        }
        assert_eq!(folder.uidvalidity(), 777, "N={n}: ann's {f} UIDVALIDITY");
    }
    let bob = store.name("bob").unwrap();
    let list = store.read_list(&bob).unwrap().entries;
    assert_eq!(list.len(), N as usize, "N={n}: bob's list");
    for (e, k) in list.iter().zip(1..=N) {
        *refs.entry(e.message).or_default() += 1;
        let v = store.open_message(e.message).unwrap();
        assert_eq!(v.body(), body("INBOX", k), "N={n}: bob's message {k}");
        assert_eq!(e.uidl, format!("uidl-INBOX-{k}"), "N={n}: bob's UIDL {k}");
    }
    let files = message_files(fs.as_ref());
    for id in &files {
        let count = store.reference_count(*id).unwrap().unwrap_or(0);
        assert_eq!(
            count,
            refs.get(id).copied().unwrap_or(0),
            "N={n}: count of {id:?}"
        );
    }
    assert_eq!(files.len(), refs.len(), "N={n}: unreferenced files left");
}

fn run_on(layout: Layout) -> u64 {
    let mut n = 1;
    loop {
        let mem = Arc::new(MemVfs::new());
        {
            let fs: Arc<dyn Platform> = layout(mem.clone());
            let s = Store::init(fs, Settings::default()).unwrap();
            let imap = AccountChanges {
                store_type: Some(StoreType::Imap),
                ..AccountChanges::default()
            };
            s.create_account(&Actor::Admin, "ann", &imap).unwrap();
            s.create_account(&Actor::Admin, "bob", &AccountChanges::default())
                .unwrap();
        }
        let state = tempfile::tempdir().unwrap();
        let fault = Arc::new(FaultVfs::new(mem.clone() as Arc<dyn Vfs>));
        fault.plan(OpClass::Any, n, FaultMode::Crash);
        let fs: Arc<dyn Platform> = layout(fault.clone());
        let store = Arc::new(Store::open(fs).unwrap());
        migrate(&store, state.path());
        drop(store);
        let fired = fault.fired();
        mem.crash();
        let fs: Arc<dyn Platform> = layout(mem.clone());
        let store = Arc::new(Store::open(fs.clone()).unwrap());
        store
            .repair_with_grace(0)
            .unwrap_or_else(|e| panic!("N={n}: repair: {e}"));
        migrate(&store, state.path());
        store.repair_with_grace(0).unwrap();
        check(fs, &store, n);
        if !fired {
            eprintln!("a migration passed a crash at each of {} points", n - 1);
            return n;
        }
        // Every point early on, then every third (the batches repeat).
        n += if n < 120 { 1 } else { 3 };
    }
}

#[test]
fn a_crash_anywhere_in_a_migration_then_repair_and_a_second_run() {
    assert!(run_on(linux_layout) > 50);
    assert!(run_on(openvms_layout) > 50);
}
