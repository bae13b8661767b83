//! Two `popstore serve` nodes on one store over GlusterFS (issue 18, item
//! 1), beyond delivery and POP3 (tests/shared_store_gluster.rs): one volume
//! on a loopback brick, mounted twice through FUSE, one `serve` per mount.
//! Node A takes LMTP, POP3, IMAP and the web; node B IMAP, POP3 and the
//! web. In one run on one volume (its set-up is the slow part):
//!
//! 1. IMAP: sessions on node B, in IDLE, learn of every change made
//!    through node A (new mail over LMTP as EXISTS, STORE as FETCH FLAGS,
//!    EXPUNGE, COPY and MOVE into another folder); at the end both nodes
//!    list the same UIDs, flags and bytes, those delivered.
//! 2. The web: a message a user deletes with node A's HTTP API goes from
//!    node B's IMAP session (EXPUNGE), from node B's API and from node B's
//!    messages page; a quota a manager sets through node A is the one node
//!    B's API and IMAP GETQUOTAROOT report.
//! 3. Maintenance on one node while the other serves: `popstore bounce`,
//!    `reconstruct --all` and `verify --repair` run through node B's mount
//!    while node A takes deliveries and POP3 and IMAP sessions: every
//!    acknowledged message is kept (but the expired ones), node A answers
//!    every command, and `verify` is clean afterwards.
//!
//! Needs root, `/dev/fuse` and GlusterFS (ci/install-deps.sh); skipped with
//! a reason otherwise, unless `CI=true`. The volume and mounts are removed
//! when the test ends, failing or not (tests/gluster/volume.rs).

mod common;
mod gluster;
#[path = "web/http.rs"]
mod http;
#[path = "gluster/maintenance.rs"]
mod maintenance;
#[path = "auth/site.rs"]
mod site;

use std::path::{Path, PathBuf};

use common::ok;
use gluster::imap::Imap;
use gluster::nodes::{self, Node};
use gluster::volume::{MOUNT_OPTIONS, VOLUME_OPTIONS, Volume};
use gluster::wire::{Lmtp, id_of, message};
use http::{api, request};
use serde_json::json;

/// Adds `user` (password `USER-pw`) with more `user add` arguments.
fn add_user(store: &Path, user: &str, extra: &[&str]) {
    let mut args = vec!["user", "add", user, "--password-stdin"];
    args.extend(extra);
    ok(store, &args, format!("{user}-pw\n").as_bytes());
}

/// Delivers message `id` to `rcpt` through `node`, which must accept it.
fn deliver(node: &Node, id: u64, rcpt: &str) {
    let mut c = Lmtp::connect(node.lmtp.unwrap()).unwrap();
    assert_eq!(c.deliver(id, &[rcpt]).unwrap(), [rcpt], "message {id}");
}

#[test]
fn two_nodes_share_imap_sessions_the_web_and_maintenance() {
    let Some(_one) = nodes::available() else {
        return;
    };
    // Dropped last: unmounts and removes the volume after the servers died.
    let vol = Volume::start(VOLUME_OPTIONS, MOUNT_OPTIONS);
    let stores: Vec<PathBuf> = (0..2).map(|i| vol.mount(i).join("store")).collect();
    ok(&stores[0], &["init"], b"");
    add_user(&stores[0], "sue", &["--store-type", "imap"]);
    add_user(&stores[0], "ms", &["--store-type", "imap"]);
    add_user(&stores[0], "boss", &["--flags", "MANAGE"]);
    add_user(&stores[0], "old", &[]);
    add_user(&stores[0], "live", &[]);
    ok(&stores[0], &["folder", "create", "sue", "Work"], b"");
    let conf = tempfile::tempdir().unwrap();
    let a = Node::start(
        &stores[0],
        conf.path(),
        "a",
        &["lmtp", "pop3", "imap", "web"],
    );
    let b = Node::start(&stores[1], conf.path(), "b", &["pop3", "imap", "web"]);

    imap_changes_reach_the_other_node(&a, &b);
    web_changes_reach_the_other_node(&a, &b, conf.path());
    maintenance::while_the_other_serves(&a, &b, conf.path());

    drop((a, b));
    let v = common::popstore(&stores[1], &["verify"], b"");
    let out = String::from_utf8_lossy(&v.stdout).into_owned() + &String::from_utf8_lossy(&v.stderr);
    eprintln!("{}", out.trim_end());
    assert!(v.status.success(), "verify at the end: {out}");
}

/// Part 1: IMAP sessions on node B follow what is done through node A.
fn imap_changes_reach_the_other_node(a: &Node, b: &Node) {
    let (a_imap, b_imap) = (a.imap.unwrap(), b.imap.unwrap());
    let mut inbox = Imap::login(b_imap, "sue", "sue-pw", "B INBOX");
    inbox.ok("SELECT INBOX");
    // Work's session uses QRESYNC (RFC 7162): expunges come as VANISHED.
    let mut work = Imap::login(b_imap, "sue", "sue-pw", "B Work");
    work.ok("ENABLE QRESYNC");
    work.ok("SELECT Work");
    inbox.idle();
    work.idle();

    // New mail through node A: EXISTS in node B's IDLE.
    for id in 1..=4 {
        deliver(a, id, "sue");
    }
    inbox.wait_for("4 EXISTS", |l| l == "* 4 EXISTS");

    // Flags stored through node A: FETCH FLAGS on node B.
    let mut on_a = Imap::login(a_imap, "sue", "sue-pw", "A");
    on_a.ok("SELECT INBOX");
    on_a.ok("STORE 1 +FLAGS (\\Flagged)");
    inbox.wait_for("FETCH FLAGS \\Flagged of 1", |l| {
        l.starts_with("* 1 FETCH") && l.contains("\\Flagged")
    });

    // An expunge through node A: EXPUNGE on node B.
    on_a.ok("STORE 2 +FLAGS (\\Deleted)");
    on_a.ok("EXPUNGE");
    inbox.wait_for("EXPUNGE of 2", |l| l == "* 2 EXPUNGE");

    // COPY and MOVE into Work through node A: Work's session sees both,
    // INBOX's sees the moved one go (message 3, now number 2).
    on_a.ok("COPY 1 Work");
    on_a.ok("MOVE 2 Work");
    work.wait_for("2 EXISTS in Work", |l| l == "* 2 EXISTS");
    inbox.wait_for("EXPUNGE of the moved message", |l| l == "* 2 EXPUNGE");

    // A third message copied into Work, expunged there through node A:
    // VANISHED in Work's QRESYNC session on node B.
    on_a.ok("COPY 2 Work");
    work.wait_for("3 EXISTS in Work", |l| l == "* 3 EXISTS");
    on_a.ok("SELECT Work");
    on_a.ok("STORE 3 +FLAGS (\\Deleted)");
    on_a.ok("EXPUNGE");
    work.wait_for("VANISHED of UID 3 in Work", |l| l == "* VANISHED 3");
    inbox.done();
    work.done();

    // Both nodes list the same UIDs, flags and bytes: those delivered.
    let want = [("INBOX", vec![1, 4]), ("Work", vec![1, 3])];
    let mut fresh_b = Imap::login(b_imap, "sue", "sue-pw", "B fresh");
    for (folder, ids) in want {
        on_a.ok(&format!("SELECT {folder}"));
        fresh_b.ok(&format!("SELECT {folder}"));
        let (on_a_list, on_b_list) = (on_a.contents(), fresh_b.contents());
        assert_eq!(on_a_list, on_b_list, "{folder}: the nodes differ");
        let got: Vec<u64> = on_a_list
            .iter()
            .map(|(_, _, body)| {
                let id = id_of(body).expect("a known message");
                assert!(body.ends_with(&message(id)), "{folder}: {id} not intact");
                id
            })
            .collect();
        assert_eq!(got, ids, "{folder}: the messages");
        eprintln!(
            "{folder}: both nodes list {on_a_list:?}",
            on_a_list = on_a_list
                .iter()
                .map(|(uid, flags, body)| (uid, flags, body.len()))
                .collect::<Vec<_>>()
        );
    }
    for c in [inbox, work, on_a, fresh_b] {
        c.logout();
    }
}

/// Part 2: changes made through node A's HTTP API, seen through node B.
fn web_changes_reach_the_other_node(a: &Node, b: &Node, dir: &Path) {
    let (a_web, b_web) = (a.web.unwrap(), b.web.unwrap());
    let sue = ok(&a.store, &["token", "create", "sue"], b"")
        .trim()
        .to_string();
    let boss = ok(&b.store, &["token", "create", "boss"], b"")
        .trim()
        .to_string();
    let mut inbox = Imap::login(b.imap.unwrap(), "sue", "sue-pw", "B INBOX");
    inbox.ok("SELECT INBOX");

    // sue deletes message 4 (the second in INBOX) through node A's API.
    let page = api(a_web, &sue, "GET", "/api/v1/messages", None).json();
    assert_eq!(page["total"], 2, "{page}");
    let doomed = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "gluster 4")
        .unwrap_or_else(|| panic!("no message 4 on node A's API: {page}"));
    let id = doomed["id"].as_str().unwrap().to_string();
    inbox.idle();
    let r = api(
        a_web,
        &sue,
        "DELETE",
        &format!("/api/v1/messages/{id}"),
        None,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    inbox.wait_for("EXPUNGE of the message deleted on the web", |l| {
        l == "* 2 EXPUNGE"
    });
    inbox.done();
    let on_b = api(b_web, &sue, "GET", "/api/v1/messages", None).json();
    assert_eq!(on_b["total"], 1, "node B's API: {on_b}");
    assert_eq!(
        api(b_web, &sue, "GET", &format!("/api/v1/messages/{id}"), None).status,
        404
    );
    // Node B's messages page, in a browser session of node B.
    let jar = dir.join("sue.jar").display().to_string();
    let cookies = ["-b", jar.as_str(), "-c", jar.as_str()];
    let mut login: Vec<&str> = cookies.to_vec();
    login.extend([
        "--data-urlencode",
        "name=sue",
        "--data-urlencode",
        "password=sue-pw",
    ]);
    assert_eq!(request(b_web, "POST", "/login", &login, None).status, 303);
    let list = request(b_web, "GET", "/messages", &cookies, None).body;
    assert!(
        list.contains("gluster 1") && !list.contains("gluster 4"),
        "node B's messages page: {list}"
    );

    // A manager sets sue's quota through node A; node B reports it.
    let r = api(
        a_web,
        &boss,
        "PATCH",
        "/api/v1/accounts/sue",
        Some(json!({"quota": "5m"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let acct = api(b_web, &boss, "GET", "/api/v1/accounts/sue", None).json();
    assert_eq!(acct["quota"], 5 * 1024 * 1024, "node B's API: {acct}");
    let q = inbox.ok("GETQUOTAROOT INBOX");
    assert!(
        q.iter()
            .any(|l| l.starts_with("* QUOTA ") && l.ends_with(" 5120)")),
        "node B's IMAP: {q:?}"
    );
    inbox.logout();
}
