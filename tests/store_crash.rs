//! Crash consistency of delivery and deletion: the store is "crashed" at
//! every Nth write, sync or rename through the fault-injecting platform,
//! everything not synced is lost, and the store that a restart finds must
//! hold every acknowledged message intact, with no reference count too
//! low.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use popstore::delivery::{AcceptedRecipient, Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore::store::layout::{self, MessageId};
use popstore::store::{AccountChanges, Settings, Store};
mod crash;

use crash::{Layout, linux_layout, openvms_layout};
use popstore_platform::{Entry, FaultMode, FaultVfs, MemVfs, OpClass, Platform, Vfs};

const USERS: [&str; 3] = ["ann", "bob", "cat"];

fn env() -> Envelope {
    Envelope {
        mail_from: "s@far.example".into(),
        channel: "crash".into(),
        ..Envelope::default()
    }
}

fn message(k: usize) -> Vec<u8> {
    format!("Subject: message {k}\r\n\r\nbody of {k}\r\n.line\r\n").into_bytes()
}

/// What the workload saw acknowledged.
#[derive(Default)]
struct Acked {
    /// user -> subjects delivered with an Ok.
    delivered: BTreeMap<&'static str, Vec<usize>>,
    /// user -> subjects whose deletion committed with an Ok.
    deleted: BTreeMap<&'static str, Vec<usize>>,
    /// user -> the subject whose deletion was cut short (either outcome is
    /// right).
    in_flight: BTreeMap<&'static str, usize>,
}

fn subject_of(body: &[u8]) -> Option<usize> {
    let s = std::str::from_utf8(body).ok()?;
    s.strip_prefix("Subject: message ")?
        .split("\r\n")
        .next()?
        .parse()
        .ok()
}

/// Deliveries to all three users and sessions deleting some messages;
/// stops at the first error (the crash).
fn workload(store: &Arc<Store>, acked: &mut Acked) {
    for k in 0..6 {
        let rcpts: Vec<AcceptedRecipient> = USERS
            .iter()
            .map(|u| AcceptedRecipient {
                address: u.to_string(),
            })
            .collect();
        let res = store.deliver(&env(), &rcpts, &message(k));
        for (u, r) in USERS.iter().zip(&res) {
            if r.is_ok() {
                acked.delivered.entry(u).or_default().push(k);
            }
        }
        if res.iter().any(|r| r.is_err()) {
            return;
        }
        if k % 2 == 1 {
            // ann and bob delete the oldest message they hold.
            for u in &USERS[..2] {
                let Ok(mut md) = store.open_maildrop(&store.name(u).unwrap()) else {
                    return;
                };
                let Ok(Some(v)) = md.message(0) else { return };
                let Some(subject) = subject_of(v.body()) else {
                    panic!("message of {u} unreadable during the run")
                };
                md.mark_deleted(0);
                if md.commit().is_err() {
                    acked.in_flight.insert(u, subject);
                    return;
                }
                acked.deleted.entry(u).or_default().push(subject);
            }
        }
    }
}

fn check(fs: Arc<dyn Platform>, acked: &Acked, n: u64) {
    let store = Arc::new(Store::open(fs.clone()).unwrap_or_else(|e| panic!("N={n}: reopen: {e}")));
    let mut refs: HashMap<MessageId, u32> = HashMap::new();
    for u in USERS {
        let name = store.name(u).unwrap();
        let entries = store.read_list(&name).unwrap().entries;
        let mut found = Vec::new();
        for e in &entries {
            *refs.entry(e.message).or_default() += 1;
            let v = store.open_message(e.message).unwrap_or_else(|err| {
                panic!("N={n}: {u}'s message {:?} unreadable: {err}", e.message)
            });
            let k = subject_of(v.body()).unwrap_or_else(|| panic!("N={n}: damaged body"));
            assert_eq!(
                v.body(),
                message(k),
                "N={n}: body of {k} for {u} not intact"
            );
            assert_eq!(v.body().len() as u64, e.size);
            found.push(k);
        }
        let deleted = acked.deleted.get(u).cloned().unwrap_or_default();
        for k in acked.delivered.get(u).into_iter().flatten() {
            if !deleted.contains(k) && acked.in_flight.get(u) != Some(k) {
                assert!(
                    found.contains(k),
                    "N={n}: acknowledged message {k} lost for {u}"
                );
            }
        }
        for k in &deleted {
            assert!(
                !found.contains(k),
                "N={n}: committed deletion of {k} undone for {u}"
            );
        }
    }
    // Every message file's count covers its references (never too low).
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
    let mut files = Vec::new();
    walk(fs.as_ref(), &layout::messages_dir(), &mut files);
    for id in files {
        let count = store.reference_count(id).unwrap().unwrap_or(0);
        let found = refs.get(&id).copied().unwrap_or(0);
        assert!(
            count >= found,
            "N={n}: count {count} below {found} references"
        );
    }
    for id in refs.keys() {
        assert!(
            store.reference_count(*id).unwrap().is_some(),
            "N={n}: referenced file gone"
        );
    }
    // After a repair every count equals its references and no orphan is
    // left: a message whose delivery the crash cut short (or whose
    // deletion it cut short) is given back to its recipients, at least
    // once, never lost; nothing that was never delivered appears.
    store.repair_with_grace(0).unwrap();
    let mut after: HashMap<MessageId, u32> = HashMap::new();
    for u in USERS {
        let name = store.name(u).unwrap();
        let deleted = acked.deleted.get(u).cloned().unwrap_or_default();
        for e in store.read_list(&name).unwrap().entries {
            *after.entry(e.message).or_default() += 1;
            let v = store.open_message(e.message).unwrap();
            let k = subject_of(v.body()).unwrap_or_else(|| panic!("N={n}: damaged body"));
            assert_eq!(v.body(), message(k), "N={n}: given back damaged");
            // A committed deletion stays committed: its list says it gave
            // the file up (RELEASED), so repair does not give it back.
            assert!(
                !deleted.contains(&k),
                "N={n}: repair gave {u} back message {k}, which {u} deleted"
            );
        }
    }
    for (id, k) in &refs {
        assert!(
            after.get(id) >= Some(k),
            "N={n}: a reference lost by repair"
        );
    }
    let mut files = Vec::new();
    walk(fs.as_ref(), &layout::messages_dir(), &mut files);
    for id in &files {
        let count = store.reference_count(*id).unwrap().unwrap_or(0);
        assert_eq!(
            count,
            after.get(id).copied().unwrap_or(0),
            "N={n}: after repair"
        );
        assert!(count > 0, "N={n}: orphan left after repair");
    }
    assert_eq!(files.len(), after.len(), "N={n}");
}

fn run(class: OpClass) -> u64 {
    run_on(class, linux_layout) + run_on(class, openvms_layout)
}

fn run_on(class: OpClass, layout: Layout) -> u64 {
    let mut n = 1;
    loop {
        let mem = Arc::new(MemVfs::new());
        {
            let fs: Arc<dyn Platform> = layout(mem.clone());
            let s = Store::init(fs, Settings::default()).unwrap();
            for u in USERS {
                s.create_account(&Actor::Admin, u, &AccountChanges::default())
                    .unwrap();
            }
        }
        let fault = Arc::new(FaultVfs::new(mem.clone() as Arc<dyn Vfs>));
        fault.plan(class, n, FaultMode::Crash);
        let fs: Arc<dyn Platform> = layout(fault.clone());
        let store = Arc::new(Store::open(fs).unwrap());
        let mut acked = Acked::default();
        workload(&store, &mut acked);
        drop(store);
        let fired = fault.fired();
        mem.crash();
        let after: Arc<dyn Platform> = layout(mem.clone());
        check(after, &acked, n);
        if !fired {
            eprintln!(
                "{class:?}: the workload passed a crash at each of {} points",
                n - 1
            );
            return n;
        }
        n += 1;
    }
}

#[test]
fn crash_at_every_write_keeps_acknowledged_mail() {
    let runs = run(OpClass::Write);
    assert!(runs > 20, "the workload should do many writes ({runs})");
}

#[test]
fn crash_at_every_sync_keeps_acknowledged_mail() {
    assert!(run(OpClass::Sync) > 10);
}

#[test]
fn crash_at_every_rename_keeps_acknowledged_mail() {
    assert!(run(OpClass::Rename) > 3);
}
