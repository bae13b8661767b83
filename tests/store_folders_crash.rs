//! Crash consistency of the MessageStore folder operations: append, copy,
//! move, flag change, expunge, folder create, rename and delete run over
//! the fault-injecting platform, which "crashes" the store at the Nth
//! write, sync or rename (everything not synced is lost), for every N,
//! over the Linux and the OpenVMS layouts. The store a restart finds must:
//! - hold every message an acknowledged operation left in a folder, intact
//!   (only the operation cut short may have moved or removed its own);
//! - never give a UID twice within one UIDVALIDITY (also after the crash:
//!   the workload appends again and the new UIDs must be new);
//! - never move a folder's HIGHESTMODSEQ backwards;
//! - keep every message file's count at least its references;
//! - be clean for `verify` once `verify --repair` ran, without taking a
//!   message an acknowledged expunge removed back.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use popstore::store::folder_name::FolderName;
use popstore::store::folders::{Changeable, FlagOp, NewMessage};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Settings, Store, StoreType};
use popstore_formats::folder::SystemFlags;
use popstore_formats::mailboxes::SpecialUse;
mod crash;

use crash::{Layout, linux_layout, openvms_layout};
use popstore_platform::{FaultMode, FaultVfs, MemVfs, OpClass, Platform, Vfs};

fn fname(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

fn message(k: usize) -> Vec<u8> {
    format!("Subject: message {k}\r\n\r\nbody of {k}\r\n").into_bytes()
}

fn subject_of(body: &[u8]) -> Option<usize> {
    std::str::from_utf8(body)
        .ok()?
        .strip_prefix("Subject: message ")?
        .split("\r\n")
        .next()?
        .parse()
        .ok()
}

/// One message as found: folder, UIDVALIDITY, UID, flags.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    folder: String,
    uidvalidity: u32,
    uid: u32,
    flags: u32,
}

/// The account's folders: subject -> where it is; folder -> (UIDVALIDITY,
/// HIGHESTMODSEQ).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct State {
    messages: BTreeMap<usize, Vec<Seen>>,
    folders: BTreeMap<String, (u32, u64)>,
}

fn snapshot(s: &Store, n: u64) -> State {
    try_snapshot(s, n).unwrap_or_else(|e| panic!("N={n}: {e}"))
}

/// The state, or the store's error (during the workload, the crash).
fn try_snapshot(s: &Store, n: u64) -> Result<State, String> {
    let a = s.name("sue").unwrap();
    let mut st = State::default();
    for l in s.list_folders(&a, "*", false).map_err(|e| e.to_string())? {
        if l.noselect {
            continue;
        }
        let f = s
            .open_folder(&a, &l.name)
            .map_err(|e| format!("open {}: {e}", l.name))?;
        st.folders
            .insert(l.name.to_string(), (f.uidvalidity(), f.highestmodseq()));
        for m in f.messages() {
            let v = s
                .open_message(m.message)
                .unwrap_or_else(|e| panic!("N={n}: message of {} unreadable: {e}", l.name));
            let k = subject_of(v.body()).unwrap_or_else(|| panic!("N={n}: damaged body"));
            assert_eq!(v.body(), message(k), "N={n}: body of {k} not intact");
            st.messages.entry(k).or_default().push(Seen {
                folder: l.name.to_string(),
                uidvalidity: f.uidvalidity(),
                uid: m.uid,
                flags: m.flags.0,
            });
        }
    }
    Ok(st)
}

/// What the workload saw: the state after each acknowledged operation,
/// and the subjects the operation cut short may move or remove.
#[derive(Default)]
struct Acked {
    states: Vec<State>,
    in_flight: Vec<usize>,
}

fn append(s: &Store, f: &str, k: usize) -> bool {
    let a = s.name("sue").unwrap();
    s.append_message(
        &a,
        &fname(f),
        &NewMessage {
            bytes: &message(k),
            ..NewMessage::default()
        },
    )
    .is_ok()
}

/// The operations, in order; stops at the first error (the crash).
fn workload(s: &Store, acked: &mut Acked) {
    let a = s.name("sue").unwrap();
    let inbox = FolderName::inbox();
    macro_rules! step {
        ($touches:expr, $op:expr) => {{
            acked.in_flight = $touches;
            if !$op {
                return;
            }
            // The operation was acknowledged; the crash may come while
            // looking at the result: then the next check knows the
            // state before it and what it touched.
            match try_snapshot(s, 0) {
                Ok(st) => acked.states.push(st),
                Err(_) => return,
            }
        }};
    }
    step!(
        vec![],
        s.create_folder(&a, &fname("Work"), SpecialUse::NONE)
            .is_ok()
    );
    for k in 0..4 {
        step!(vec![k], append(s, "INBOX", k));
    }
    let open = |name: &FolderName| s.open_folder(&a, name);
    let Ok(mut inbox_f) = open(&inbox) else {
        return;
    };
    let Ok(Some(work)) = s.folder_id(&a, &fname("Work")) else {
        return;
    };
    step!(
        vec![0],
        s.copy_to(&mut inbox_f, &[1], &a, work, Changeable::ALL)
            .is_ok()
    );
    step!(
        vec![1],
        s.move_to(&mut inbox_f, &[2], &a, work, Changeable::ALL)
            .is_ok()
    );
    step!(
        vec![2],
        s.store_flags(
            &mut inbox_f,
            &[3],
            FlagOp::Add,
            SystemFlags::FLAGGED,
            &[],
            None
        )
        .is_ok()
    );
    step!(
        vec![3],
        s.store_flags(
            &mut inbox_f,
            &[4],
            FlagOp::Add,
            SystemFlags::DELETED,
            &[],
            None
        )
        .is_ok()
    );
    step!(vec![3], s.expunge(&mut inbox_f, None).is_ok());
    step!(
        vec![0, 1],
        s.rename_folder(&a, &fname("Work"), &fname("Archive/Work"))
            .is_ok()
    );
    step!(
        vec![],
        s.create_folder(&a, &fname("Tmp"), SpecialUse::NONE).is_ok()
    );
    step!(vec![9], append(s, "Tmp", 9));
    step!(vec![9], s.delete_folder(&a, &fname("Tmp"), false).is_ok());
    step!(vec![10], append(s, "Archive/Work", 10));
}

fn check(fs: Arc<dyn Platform>, acked: &Acked, n: u64) {
    let s = Store::open(fs.clone()).unwrap_or_else(|e| panic!("N={n}: reopen: {e}"));
    let now = snapshot(&s, n);
    if let Some(last) = acked.states.last() {
        for (k, places) in &last.messages {
            if acked.in_flight.contains(k) {
                // The operation cut short: its message is somewhere or, for
                // a removal, may be gone. Not lost otherwise: checked below
                // through the earlier states.
                continue;
            }
            let found = now.messages.get(k).cloned().unwrap_or_default();
            for p in places {
                assert!(
                    found.contains(p),
                    "N={n}: acknowledged message {k} at {p:?} lost or changed: now {found:?}"
                );
            }
        }
        for (f, (uv, modseq)) in &last.folders {
            if let Some((uv2, modseq2)) = now.folders.get(f)
                && uv2 == uv
            {
                assert!(modseq2 >= modseq, "N={n}: HIGHESTMODSEQ of {f} went back");
            }
        }
    }
    // No UID given twice: every (UIDVALIDITY, UID) ever seen names one
    // message, before the crash and after, also for UIDs given after it.
    let mut given: HashMap<(u32, u32), usize> = HashMap::new();
    let mut note = |st: &State| {
        for (k, places) in &st.messages {
            for p in places {
                let prev = given.insert((p.uidvalidity, p.uid), *k);
                assert!(
                    prev.is_none_or(|q| q == *k),
                    "N={n}: UID {} of UIDVALIDITY {} names {k} and {prev:?}",
                    p.uid,
                    p.uidvalidity
                );
            }
        }
    };
    for st in &acked.states {
        note(st);
    }
    note(&now);
    for f in now.folders.keys() {
        assert!(append(&s, f, 100), "N={n}: append to {f} after the crash");
    }
    note(&snapshot(&s, n));
    // Repair makes verify clean and takes nothing acknowledged away.
    let r = s.repair_with_grace(0).unwrap();
    let report =
        popstore::verify::verify(&popstore::verify::PlatformStore::new(fs.as_ref()), &|_| {});
    assert!(
        report.problems.is_empty(),
        "N={n}: verify after repair: {:?} (repair: {:?})",
        report.problems,
        r
    );
    let after = snapshot(&s, n);
    if let Some(last) = acked.states.last() {
        for k in last.messages.keys() {
            assert!(
                acked.in_flight.contains(k) || after.messages.contains_key(k),
                "N={n}: repair lost message {k}"
            );
        }
        // A message an acknowledged expunge or folder deletion removed is
        // not given back (the expunge records name its file).
        for st in &acked.states {
            for k in st.messages.keys() {
                if !last.messages.contains_key(k) && !acked.in_flight.contains(k) {
                    assert!(
                        !after.messages.contains_key(k),
                        "N={n}: repair gave back message {k}, which was expunged"
                    );
                }
            }
        }
    }
}

fn run_on(class: OpClass, layout: Layout) -> u64 {
    let mut n = 1;
    loop {
        let mem = Arc::new(MemVfs::new());
        {
            let fs: Arc<dyn Platform> = layout(mem.clone());
            let s = Store::init(fs, Settings::default()).unwrap();
            s.create_account(
                &Actor::Admin,
                "sue",
                &AccountChanges {
                    store_type: Some(StoreType::Imap),
                    ..AccountChanges::default()
                },
            )
            .unwrap();
        }
        let fault = Arc::new(FaultVfs::new(mem.clone() as Arc<dyn Vfs>));
        fault.plan(class, n, FaultMode::Crash);
        let fs: Arc<dyn Platform> = layout(fault.clone());
        let store = Store::open(fs).unwrap();
        let mut acked = Acked::default();
        workload(&store, &mut acked);
        drop(store);
        let fired = fault.fired();
        mem.crash();
        check(layout(mem.clone()), &acked, n);
        if !fired {
            assert!(acked.states.len() >= 14, "the workload should finish");
            eprintln!("{class:?}: a crash at each of {} points", n - 1);
            return n;
        }
        n += 1;
    }
}

fn run(class: OpClass) -> u64 {
    run_on(class, linux_layout) + run_on(class, openvms_layout)
}

#[test]
fn crash_at_every_write_of_folder_operations() {
    let runs = run(OpClass::Write);
    assert!(runs > 40, "the workload should do many writes ({runs})");
}

#[test]
fn crash_at_every_sync_of_folder_operations() {
    assert!(run(OpClass::Sync) > 40);
}

#[test]
fn crash_at_every_rename_of_folder_operations() {
    assert!(run(OpClass::Rename) > 10);
}
