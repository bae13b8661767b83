//! Crash consistency of delivery to public folders: the store is
//! "crashed" at every Nth write, sync or rename (fault-injecting platform,
//! Linux and OpenVMS layouts) while mail goes to `post+news` and a user at
//! once and the folder's ACL changes; the store a restart finds holds
//! every acknowledged public message intact, and `verify --repair` leaves
//! `verify` clean without removing any of them.

use std::sync::Arc;

use popstore::delivery::{AcceptedRecipient, Delivery, Envelope};
use popstore::store::acl::RightsChange;
use popstore::store::folder_name::FolderName;
use popstore::store::groups::Actor;
use popstore::store::public::public_account;
use popstore::store::{AccountChanges, Settings, Store};
mod crash;

use crash::{Layout, linux_layout, openvms_layout};
use popstore_platform::{FaultMode, FaultVfs, MemVfs, OpClass, Platform, Vfs};

fn message(k: usize) -> Vec<u8> {
    format!("Subject: public {k}\r\n\r\nfor all readers {k}\r\n").into_bytes()
}

fn news() -> FolderName {
    FolderName::new("News").unwrap()
}

/// Posts to `post+news` and ann; changes the ACL half-way. Stops at the
/// first error (the crash); returns the messages acknowledged for News.
fn workload(store: &Store) -> Vec<usize> {
    let env = Envelope {
        mail_from: "s@far.example".into(),
        channel: "crash".into(),
        ..Envelope::default()
    };
    let mut acked = Vec::new();
    for k in 0..5 {
        let rcpts: Vec<AcceptedRecipient> = ["post+news", "ann"]
            .iter()
            .map(|a| AcceptedRecipient {
                address: a.to_string(),
            })
            .collect();
        let res = store.deliver(&env, &rcpts, &message(k));
        if res[0].is_ok() {
            acked.push(k);
        }
        if res.iter().any(|r| r.is_err()) {
            return acked;
        }
        if k == 2 {
            let add = RightsChange::parse("+lr").unwrap();
            if store
                .set_public_acl(&Actor::Admin, &news(), "$staff", add)
                .is_err()
            {
                return acked;
            }
        }
    }
    acked
}

fn check(fs: Arc<dyn Platform>, acked: &[usize], n: u64) {
    let store = Store::open(fs.clone()).unwrap_or_else(|e| panic!("N={n}: reopen: {e}"));
    let report = store.repair_with_grace(0).unwrap();
    assert!(report.kept.is_empty(), "N={n}: {:?}", report.kept);
    let verify =
        popstore::verify::verify(&popstore::verify::PlatformStore::new(fs.as_ref()), &|_| {});
    assert!(verify.problems.is_empty(), "N={n}: {:?}", verify.problems);
    let f = store.open_folder(&public_account(), &news()).unwrap();
    let mut found = Vec::new();
    for m in f.messages() {
        let v = store
            .open_message(m.message)
            .unwrap_or_else(|e| panic!("N={n}: public message unreadable: {e}"));
        let body = String::from_utf8_lossy(v.body()).into_owned();
        let k: usize = body
            .strip_prefix("Subject: public ")
            .and_then(|r| r.split("\r\n").next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("N={n}: damaged body {body:?}"));
        assert_eq!(v.body(), message(k), "N={n}: body of {k} not intact");
        found.push(k);
    }
    for k in acked {
        assert!(found.contains(k), "N={n}: acknowledged {k} lost from News");
    }
}

fn run_on(class: OpClass, layout: Layout) -> u64 {
    let mut n = 1;
    loop {
        let mem = Arc::new(MemVfs::new());
        {
            let s = Store::init(layout(mem.clone()), Settings::default()).unwrap();
            s.add_group(&Actor::Admin, "staff", None).unwrap();
            s.create_account(&Actor::Admin, "ann", &AccountChanges::default())
                .unwrap();
            s.create_public_folder(&Actor::Admin, &news()).unwrap();
            let p = RightsChange::parse("lrp").unwrap();
            s.set_public_acl(&Actor::Admin, &news(), "anyone", p)
                .unwrap();
        }
        let fault = Arc::new(FaultVfs::new(mem.clone() as Arc<dyn Vfs>));
        fault.plan(class, n, FaultMode::Crash);
        let store = Store::open(layout(fault.clone())).unwrap();
        let acked = workload(&store);
        drop(store);
        let fired = fault.fired();
        mem.crash();
        check(layout(mem.clone()), &acked, n);
        if !fired {
            return n;
        }
        n += 1;
    }
}

fn run(class: OpClass) -> u64 {
    run_on(class, linux_layout) + run_on(class, openvms_layout)
}

#[test]
fn crash_at_every_write_keeps_acknowledged_public_mail() {
    assert!(run(OpClass::Write) > 20);
}

#[test]
fn crash_at_every_sync_keeps_acknowledged_public_mail() {
    assert!(run(OpClass::Sync) > 10);
}

#[test]
fn crash_at_every_rename_keeps_acknowledged_public_mail() {
    assert!(run(OpClass::Rename) > 3);
}
