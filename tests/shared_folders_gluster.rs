//! MessageStore folders on one store shared by two `popstore serve` nodes
//! over GlusterFS (issue 13 point 3): one volume on a loopback brick,
//! mounted twice through FUSE, one `serve` per mount. LMTP deliveries into
//! one folder arrive through both nodes at once (so the folder journal has
//! two writers on two hosts' mounts), into INBOX, into `user+Work` and to
//! two MessageStore accounts in one transaction; POP3 on the other node
//! deletes some.
//!
//! Afterwards, on both mounts: every acknowledged message is in its folder
//! once, intact; no UID is given twice; and a session that opened the
//! folder before (a store handle on each mount, as an IMAP session would
//! hold) learns every change by refreshing, ending with the same folder as
//! a fresh open. `popstore verify` is clean.
//!
//! Needs root, `/dev/fuse` and GlusterFS (ci/install-deps.sh); skipped with
//! a reason otherwise, unless `CI=true`.

mod common;
mod gluster;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{ServeProcess, ok, popstore};
use gluster::volume::{self, MOUNT_OPTIONS, VOLUME_OPTIONS, Volume};
use gluster::wire::{Lmtp, Pop3, id_of, message};
use popstore::store::Store;
use popstore::store::folder_name::FolderName;

/// (message id, account, folder) answered 250.
type Acked = Arc<Mutex<BTreeSet<(u64, String, String)>>>;

fn rcpts(id: u64) -> Vec<&'static str> {
    match id % 4 {
        0 => vec!["ms1"],
        1 => vec!["ms1+Work"],
        2 => vec!["ms1", "ms2"],
        _ => vec!["ms2"],
    }
}

fn placed(rcpt: &str) -> (String, String) {
    match rcpt.split_once('+') {
        Some((u, f)) => (u.to_string(), f.to_string()),
        None => (rcpt.to_string(), "INBOX".to_string()),
    }
}

fn deliver_all(addr: SocketAddr, ids: Vec<u64>, acked: Acked) {
    let mut c = Lmtp::connect(addr).expect("LMTP connect");
    for id in ids {
        let to = rcpts(id);
        for u in c.deliver(id, &to).expect("LMTP delivery") {
            let (a, f) = placed(&u);
            acked.lock().unwrap().insert((id, a, f));
        }
    }
}

/// The store through mount `p` (the test's own handle, as a third client).
fn store_at(p: &Path) -> Store {
    let fs: Arc<dyn popstore_platform::Platform> =
        Arc::new(popstore_platform_linux::linux(vec![p.to_path_buf()]));
    Store::open(fs).unwrap()
}

/// Folder `f` of `a` through `s`: message id -> UID, every UID once.
fn contents(s: &Store, a: &str, f: &str) -> BTreeMap<u64, u32> {
    let acct = s.name(a).unwrap();
    let folder = s.open_folder(&acct, &FolderName::new(f).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    let mut uids = BTreeSet::new();
    for m in folder.messages() {
        let v = s.open_message(m.message).unwrap();
        let id = id_of(v.body()).unwrap_or_else(|| panic!("{a}/{f}: unknown message"));
        assert!(v.body().ends_with(&message(id)), "{a}/{f}: {id} not intact");
        assert!(uids.insert(m.uid), "{a}/{f}: UID {} twice", m.uid);
        assert!(
            out.insert(id, m.uid).is_none(),
            "{a}/{f}: message {id} twice"
        );
    }
    out
}

#[test]
fn two_nodes_file_into_one_folder_and_sessions_see_every_change() {
    if let Some(why) = volume::unavailable() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the GlusterFS test cannot run on CI: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let vol = Volume::start(VOLUME_OPTIONS, MOUNT_OPTIONS);
    let stores: Vec<PathBuf> = (0..2).map(|i| vol.mount(i).join("store")).collect();
    ok(&stores[0], &["init"], b"");
    for u in ["ms1", "ms2"] {
        let pw = format!("{u}-pw\n");
        ok(
            &stores[0],
            &["user", "add", u, "--store-type", "imap", "--password-stdin"],
            pw.as_bytes(),
        );
    }
    ok(&stores[0], &["folder", "create", "ms1", "Work"], b"");
    let conf = tempfile::tempdir().unwrap();
    let nodes: Vec<(ServeProcess, SocketAddr, SocketAddr)> = (0..2)
        .map(|i| {
            let c = conf.path().join(format!("node{i}.toml"));
            std::fs::write(
                &c,
                "[listen]\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
                 imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nweb = \"off\"\n\
                 [pop3]\nallow_plaintext_auth = true\n",
            )
            .unwrap();
            ServeProcess::start_lmtp_pop3(&stores[i], &c)
        })
        .collect();
    // Sessions holding the folders open on each mount, before any mail.
    let handles: Vec<Store> = stores.iter().map(|p| store_at(p)).collect();
    let watch = |s: &Store, a: &str, f: &str| {
        s.open_folder(&s.name(a).unwrap(), &FolderName::new(f).unwrap())
            .unwrap()
    };
    let mut views: Vec<_> = handles
        .iter()
        .map(|s| (watch(s, "ms1", "INBOX"), watch(s, "ms1", "Work")))
        .collect();
    // Deliveries through both nodes at once: 4 connections each.
    let acked: Acked = Arc::default();
    let mut threads = Vec::new();
    let mut next = 1u64;
    for (_, lmtp, _) in &nodes {
        for _ in 0..4 {
            let ids: Vec<u64> = (next..next + 15).collect();
            next += 15;
            let (addr, acked) = (*lmtp, acked.clone());
            threads.push(std::thread::spawn(move || deliver_all(addr, ids, acked)));
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    // POP3 on node 2 deletes ms1's first three INBOX messages.
    let mut deleted = BTreeSet::new();
    {
        let mut p = Pop3::login(nodes[1].2, "ms1", "ms1-pw").unwrap();
        for (n, _) in p.uidl().into_iter().take(3) {
            let id = id_of(&p.retr(n)).unwrap();
            p.dele(n);
            deleted.insert(id);
        }
        p.quit().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    for (i, s) in handles.iter().enumerate() {
        for (a, f) in [("ms1", "INBOX"), ("ms1", "Work"), ("ms2", "INBOX")] {
            let have = contents(s, a, f);
            let want: BTreeSet<u64> = acked
                .iter()
                .filter(|(id, x, y)| {
                    x == a && y == f && !(a == "ms1" && f == "INBOX" && deleted.contains(id))
                })
                .map(|(id, _, _)| *id)
                .collect();
            let got: BTreeSet<u64> = have.keys().copied().collect();
            assert_eq!(got, want, "mount {i}: {a}/{f}");
        }
    }
    // Each mount's sessions learn every change, across the journal's folds.
    for (i, (inbox, work)) in views.iter_mut().enumerate() {
        let s = &handles[i];
        let changes = s.refresh_folder(inbox).unwrap();
        assert!(!changes.is_empty());
        s.refresh_folder(work).unwrap();
        for (view, f) in [(&*inbox, "INBOX"), (&*work, "Work")] {
            let fresh = watch(s, "ms1", f);
            assert_eq!(
                view.messages().collect::<Vec<_>>(),
                fresh.messages().collect::<Vec<_>>(),
                "mount {i}: {f}: the refreshed session differs from a fresh open"
            );
            assert_eq!(view.highestmodseq(), fresh.highestmodseq());
        }
    }
    drop(nodes);
    let v = popstore(&stores[0], &["verify"], b"");
    let out = String::from_utf8_lossy(&v.stdout).into_owned() + &String::from_utf8_lossy(&v.stderr);
    assert!(v.status.success(), "verify: {out}");
    eprintln!("{out}");
}
