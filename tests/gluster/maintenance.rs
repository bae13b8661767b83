//! Part 3 of tests/shared_nodes_gluster.rs: the bouncer, reconstruct and
//! verify --repair run through node B's mount while node A serves LMTP,
//! POP3 and IMAP sessions.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::Sink;
use crate::gluster::imap::Imap;
use crate::gluster::nodes::Node;
use crate::gluster::wire::{Lmtp, Pop3, id_of, message};

/// What node A's clients were told while the maintenance ran.
#[derive(Default)]
struct Ledger {
    /// (message id, account) answered 250.
    acked: BTreeSet<(u64, String)>,
    /// Messages of `live` whose deletion a POP3 QUIT committed.
    deleted: BTreeSet<u64>,
    /// POP3 and IMAP sessions completed.
    sessions: u64,
}

/// `popstore --store STORE --config CONFIG ARGS`: whether it succeeded,
/// and its standard output and error.
fn run(store: &Path, config: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("--store")
        .arg(store)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("POPSTORE_CONFIG")
        .env_remove("POPSTORE_BOUNCE_NOW")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    eprintln!(
        "popstore {}: {}{}",
        args.join(" "),
        out.trim_end(),
        err.trim_end()
    );
    (o.status.success(), out, err)
}

/// Like [`run`], which must succeed: its standard output.
fn ok(store: &Path, config: &Path, args: &[&str]) -> String {
    let (good, out, err) = run(store, config, args);
    assert!(good, "popstore {args:?}: {out}{err}");
    out
}

/// `verify --repair` on a store being served. Its read-only checks read
/// profiles, lists and journals without the account locks, so beside a
/// node taking mail they may report a moment between two writes (a count
/// behind its list, a journal just folded, a deletion completing); the
/// repair itself works under the locks and must run. What counts is that
/// nothing is lost (checked at the end) and `verify` is clean once the
/// load stops.
fn verify_repair_live(store: &Path, config: &Path) {
    let (_, out, err) = run(store, config, &["verify", "--repair"]);
    assert!(
        !err.contains("repair failed"),
        "verify --repair beside a serving node: {err}"
    );
    let text = out + &err;
    assert!(
        text.contains(": 0 problems") || text.contains("repair: "),
        "verify --repair did not repair: {text}"
    );
}

/// While node A serves, node B's mount runs the bouncer (with `old`'s
/// messages expired), `reconstruct --all` and `verify --repair`, twice.
pub fn while_the_other_serves(a: &Node, b: &Node, dir: &Path) {
    let (lmtp, pop3, imap) = (a.lmtp.unwrap(), a.pop3.unwrap(), a.imap.unwrap());
    // old: five messages, two of them read (deleted when expired), three
    // unread (returned to their sender, then deleted).
    let mut c = Lmtp::connect(lmtp).unwrap();
    for id in 101..=105 {
        assert_eq!(c.deliver(id, &["old"]).unwrap(), ["old"]);
    }
    let mut p = Pop3::login(pop3, "old", "old-pw").unwrap();
    for (n, _) in p.uidl().into_iter().take(2) {
        p.retr(n);
    }
    p.quit().unwrap();

    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_dir.path());
    let config = dir.join("maintenance.toml");
    std::fs::write(
        &config,
        format!(
            "[relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n\
             [expire]\ndays = \"never\"\noverrides = [{{ account = \"old\", days = 1 }}]\n",
            sink.port
        ),
    )
    .unwrap();

    let l: Arc<Mutex<Ledger>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(1000));
    let mut load = Vec::new();
    for _ in 0..2 {
        let (l, stop, next) = (l.clone(), stop.clone(), next.clone());
        load.push(std::thread::spawn(move || {
            let mut c = Lmtp::connect(lmtp).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let id = next.fetch_add(1, Ordering::Relaxed);
                let to = if id.is_multiple_of(2) { "live" } else { "ms" };
                let acked = c.deliver(id, &[to]).expect("node A's LMTP answers");
                assert_eq!(acked, [to], "node A refused message {id}");
                l.lock().unwrap().acked.insert((id, to.to_string()));
            }
        }));
    }
    {
        let (l, stop) = (l.clone(), stop.clone());
        load.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut p = Pop3::login(pop3, "live", "live-pw").expect("node A's POP3 login");
                let list = p.uidl();
                let mut gone = None;
                for (n, _) in &list {
                    let body = p.retr(*n);
                    let id = id_of(&body).expect("a known message");
                    assert!(body.ends_with(&message(id)), "live: {id} not intact");
                    if gone.is_none() && id.is_multiple_of(3) {
                        p.dele(*n);
                        gone = Some(id);
                    }
                }
                p.quit().expect("node A's POP3 QUIT");
                let mut l = l.lock().unwrap();
                l.deleted.extend(gone);
                l.sessions += 1;
            }
        }));
    }
    {
        let (l, stop) = (l.clone(), stop.clone());
        load.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut c = Imap::login(imap, "ms", "ms-pw", "A ms");
                c.ok("SELECT INBOX");
                for (_, _, body) in c.contents() {
                    let id = id_of(&body).expect("a known message");
                    assert!(body.ends_with(&message(id)), "ms: {id} not intact");
                }
                c.ok("NOOP");
                c.logout();
                l.lock().unwrap().sessions += 1;
            }
        }));
    }

    // A session of node A that keeps ms's INBOX selected throughout.
    let mut held = Imap::login(imap, "ms", "ms-pw", "A ms held");
    held.ok("SELECT INBOX");

    // The maintenance, through node B's mount, twice over.
    let later = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2 * 86_400;
    for round in 0..2 {
        let report = ok(
            &b.store,
            &config,
            &["bounce", "--json", "--now", &later.to_string()],
        );
        let r: serde_json::Value = serde_json::from_str(&report).unwrap();
        eprintln!("round {round}: bounce: {r}");
        held.ok("NOOP");
        ok(&b.store, &config, &["reconstruct", "--all"]);
        held.ok("NOOP");
        verify_repair_live(&b.store, &config);
        held.ok("NOOP");
    }
    // Node A kept taking mail meanwhile; a few more after the maintenance.
    let at_end = l.lock().unwrap().acked.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while l.lock().unwrap().acked.len() < at_end + 10 {
        assert!(
            Instant::now() < deadline && !load.iter().any(|t| t.is_finished()),
            "node A stopped taking mail after the maintenance"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().expect("a client of node A failed");
    }

    let l = l.lock().unwrap();
    eprintln!(
        "during the maintenance node A acknowledged {} deliveries and completed {} sessions; \
         {} deletions",
        l.acked.len(),
        l.sessions,
        l.deleted.len()
    );
    // old's mail expired: three notices, nothing left.
    assert_eq!(sink.count(), 3, "notices of old's three unread messages");
    for node in [a, b] {
        let mut p = Pop3::login(node.pop3.unwrap(), "old", "old-pw").unwrap();
        assert!(p.uidl().is_empty(), "old's expired mail is gone");
        p.quit().unwrap();
    }
    // live and ms: every acknowledged message (not deleted), on both nodes.
    let want = |who: &str| -> BTreeSet<u64> {
        l.acked
            .iter()
            .filter(|(id, u)| u == who && !l.deleted.contains(id))
            .map(|(id, _)| *id)
            .collect()
    };
    let mut pop3_lists = Vec::new();
    let mut imap_lists = Vec::new();
    for node in [a, b] {
        let mut p = Pop3::login(node.pop3.unwrap(), "live", "live-pw").unwrap();
        let list: Vec<(String, Vec<u8>)> =
            p.uidl().into_iter().map(|(n, u)| (u, p.retr(n))).collect();
        p.quit().unwrap();
        let ids: BTreeSet<u64> = list.iter().map(|(_, b)| id_of(b).unwrap()).collect();
        assert_eq!(ids, want("live"), "live's maildrop");
        pop3_lists.push(list);
        let mut c = Imap::login(node.imap.unwrap(), "ms", "ms-pw", "ms at the end");
        c.ok("SELECT INBOX");
        let list = c.contents();
        c.logout();
        let ids: BTreeSet<u64> = list.iter().map(|(_, _, b)| id_of(b).unwrap()).collect();
        assert_eq!(ids, want("ms"), "ms's INBOX");
        imap_lists.push(list);
    }
    // The session held through the maintenance ends where a new one starts.
    held.ok("NOOP");
    assert_eq!(
        held.contents(),
        imap_lists[0],
        "ms: the session held through the maintenance differs from a new one"
    );
    held.logout();
    assert_eq!(pop3_lists[0], pop3_lists[1], "live: the nodes differ");
    assert_eq!(imap_lists[0], imap_lists[1], "ms: the nodes differ");
}
