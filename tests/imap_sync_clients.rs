//! IMAP with the sync and fetch clients of Debian against the real binary:
//! mbsync (a two-way sync of several folders with flag changes on both
//! sides, run until nothing changes), offlineimap, getmail6 into a Maildir
//! and fetchmail. Mail is delivered over LMTP (and APPENDed into other
//! folders); what each client stores is compared with those bytes.
//! (The clients come from `ci/install-deps.sh`; a missing one fails the
//! test, it is never skipped.)

mod common;
#[path = "imap/maildir.rs"]
mod maildir;
#[path = "imap/served.rs"]
mod served;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::require;
use maildir::{State, canon, listing, read_maildir, remote_state, run, text};
use served::{Served, python};

fn message(n: usize) -> String {
    format!(
        "From: Ann <ann@example.org>\r\nTo: sue@example.org\r\nSubject: sync {n}\r\n\
         Message-ID: <sync{n}@example.org>\r\nDate: Sat, 5 Dec 2026 10:00:{n:02} +0000\r\n\r\n\
         body of {n}\r\n.leading dot\r\n\r\nlast line of {n}\r\n"
    )
}

const SETUP: &str = r#"
import json, sys
from imapclient import IMAPClient
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login("sue", "sue-pw")
c.create_folder("Work")
c.create_folder("Lists/Rust")
for i, (folder, flags) in enumerate([("Work", [b"\\Seen"]), ("Work", []), ("Lists/Rust", [b"\\Flagged"])]):
    c.append(folder, open(sys.argv[2 + i], "rb").read(), flags=flags)
c.logout()
print("{}")
"#;

/// Three messages delivered to sue's INBOX over LMTP, two APPENDed to
/// `Work` (one \Seen) and one to `Lists/Rust` (\Flagged).
fn populate(s: &Served) -> Vec<String> {
    let msgs: Vec<String> = (1..=6).map(message).collect();
    for m in &msgs[..3] {
        s.deliver("sue", m.as_bytes());
    }
    let mut args = vec![s.imap.port().to_string()];
    for (i, m) in msgs[3..].iter().enumerate() {
        let p = s.dir.path().join(format!("append{i}.eml"));
        std::fs::write(&p, m).unwrap();
        args.push(p.display().to_string());
    }
    python(SETUP, &args);
    msgs
}

fn expected_start(msgs: &[String]) -> State {
    let mut st = State::new();
    st.insert(
        "INBOX".into(),
        msgs[..3]
            .iter()
            .map(|m| (m.clone(), String::new()))
            .collect(),
    );
    let mut work = vec![
        (msgs[3].clone(), "S".to_string()),
        (msgs[4].clone(), String::new()),
    ];
    work.sort();
    st.insert("Work".into(), work);
    st.insert("Lists/Rust".into(), vec![(msgs[5].clone(), "F".into())]);
    st
}

/// The server's side of `local`: CREATE `Lists/Rust` also made `Lists`,
/// a folder of its own (RFC 3501 6.3.3 allows either; Dovecot does the
/// same), empty.
fn on_server(local: &State) -> State {
    let mut st = local.clone();
    st.insert("Lists".into(), Vec::new());
    st
}

/// The local Maildirs of an mbsync or offlineimap tree.
fn local_state(root: &Path, folders: &[&str], map: impl Fn(&str) -> String) -> State {
    folders
        .iter()
        .map(|f| (f.to_string(), read_maildir(&root.join(map(f)))))
        .collect()
}

/// Renames the Maildir file holding `body` in `dir` so its flags are `flags`.
fn set_local_flags(dir: &Path, body: &str, flags: &str) {
    for sub in ["cur", "new"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if canon(&text(&std::fs::read(&p).unwrap())) == body {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let base = name.split_once(":2,").map(|x| x.0).unwrap_or(&name);
                std::fs::rename(&p, dir.join("cur").join(format!("{base}:2,{flags}"))).unwrap();
                return;
            }
        }
    }
    panic!("no such message in {}", dir.display());
}

const REMOTE_CHANGES: &str = r#"
import sys
from imapclient import IMAPClient
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login("sue", "sue-pw")
c.select_folder("INBOX")
c.add_flags([2], [b"\\Flagged"])
c.select_folder("Lists/Rust")
c.add_flags([1], [b"\\Answered", b"\\Seen"])
c.remove_flags([1], [b"\\Flagged"])
c.logout()
print("{}")
"#;

#[test]
fn mbsync_two_way_sync_of_several_folders_then_a_run_that_changes_nothing() {
    require("mbsync", &["--version"]);
    let s = Served::start("");
    let msgs = populate(&s);
    let local = s.dir.path().join("mbsync");
    std::fs::create_dir_all(&local).unwrap();
    let rc = s.dir.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount pop\nHost 127.0.0.1\nPort {}\nUser sue\nPass sue-pw\nSSLType None\n\n\
             IMAPStore remote\nAccount pop\n\n\
             MaildirStore local\nPath {l}/\nInbox {l}/INBOX\nSubFolders Verbatim\n\n\
             Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\n\
             Expunge Both\nSyncState *\nSync All\n",
            s.imap.port(),
            l = local.display()
        ),
    )
    .unwrap();
    let mbsync = || run(Command::new("mbsync").arg("-c").arg(&rc).arg("-a"));
    let folders = ["INBOX", "Work", "Lists/Rust"];

    mbsync();
    let want = expected_start(&msgs);
    assert_eq!(local_state(&local, &folders, str::to_string), want);
    assert_eq!(remote_state(s.imap.port(), "sue"), on_server(&want));

    // Both sides change: locally INBOX 1 is read, Work's unread message is
    // flagged, Work's read one is deleted and a new message is filed in
    // Work; on the server INBOX 2 is flagged, Lists/Rust 1 answered, read
    // and unflagged, and a new message arrives over LMTP.
    set_local_flags(&local.join("INBOX"), &msgs[0], "S");
    set_local_flags(&local.join("Work"), &msgs[4], "F");
    set_local_flags(&local.join("Work"), &msgs[3], "ST");
    let filed = message(7);
    std::fs::write(local.join("Work/new/1700000000.local.test"), &filed).unwrap();
    python(REMOTE_CHANGES, &[s.imap.port().to_string()]);
    let arrived = message(8);
    s.deliver("sue", arrived.as_bytes());

    mbsync();
    let mut want = State::new();
    let mut inbox = vec![
        (msgs[0].clone(), "S".to_string()),
        (msgs[1].clone(), "F".to_string()),
        (msgs[2].clone(), String::new()),
        (arrived, String::new()),
    ];
    inbox.sort();
    want.insert("INBOX".into(), inbox);
    let mut work = vec![(msgs[4].clone(), "F".to_string()), (filed, String::new())];
    work.sort();
    want.insert("Work".into(), work);
    want.insert("Lists/Rust".into(), vec![(msgs[5].clone(), "RS".into())]);
    assert_eq!(local_state(&local, &folders, str::to_string), want);
    // mbsync writes its `X-TUID:` header into every message it propagates,
    // also the one it APPENDs to the server (isync's journal finds
    // interrupted transfers by it): that header is all that may differ.
    let remote: State = remote_state(s.imap.port(), "sue")
        .into_iter()
        .map(|(f, l)| (f, l.into_iter().map(|(b, fl)| (canon(&b), fl)).collect()))
        .collect();
    assert_eq!(remote, on_server(&want));

    // Once more: nothing left to do on either side.
    let (files, remote) = (listing(&local), remote_state(s.imap.port(), "sue"));
    let out = run(Command::new("mbsync")
        .arg("-V")
        .arg("-c")
        .arg(&rc)
        .arg("-a"));
    assert_eq!(
        listing(&local),
        files,
        "the last run changed local files:\n{out}"
    );
    assert_eq!(remote_state(s.imap.port(), "sue"), remote, "{out}");
}

#[test]
fn offlineimap_syncs_folders_both_ways() {
    require("offlineimap", &["--version"]);
    let s = Served::start("");
    let msgs = populate(&s);
    let d = s.dir.path();
    let rc = d.join("offlineimaprc");
    std::fs::write(
        &rc,
        format!(
            "[general]\naccounts = a\nmetadata = {d}/oi-meta\nui = basic\n\n\
             [Account a]\nlocalrepository = L\nremoterepository = R\n\n\
             [Repository L]\ntype = Maildir\nlocalfolders = {d}/oi-mail\nsep = /\n\n\
             [Repository R]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = {}\n\
             remoteuser = sue\nremotepass = sue-pw\nssl = no\nstarttls = no\n",
            s.imap.port(),
            d = d.display()
        ),
    )
    .unwrap();
    let offlineimap = || run(Command::new("offlineimap").arg("-c").arg(&rc).arg("-o"));
    offlineimap();
    let root = d.join("oi-mail");
    let folders = ["INBOX", "Work", "Lists/Rust"];
    assert_eq!(
        local_state(&root, &folders, str::to_string),
        expected_start(&msgs)
    );
    // A local flag change and a local new message reach the server.
    set_local_flags(&root.join("INBOX"), &msgs[0], "FS");
    let filed = message(9);
    std::fs::write(
        root.join("Work/new/1700000001.local.test"),
        filed.replace("\r\n", "\n"),
    )
    .unwrap();
    offlineimap();
    let remote = remote_state(s.imap.port(), "sue");
    assert!(
        remote["INBOX"].contains(&(msgs[0].clone(), "FS".into())),
        "{remote:?}"
    );
    assert!(
        remote["Work"].iter().any(|(b, _)| *b == filed),
        "the new local message is on the server, byte for byte: {remote:?}"
    );
}

#[test]
fn getmail6_fetches_the_delivered_bytes_into_a_maildir() {
    require("getmail", &["--version"]);
    let s = Served::start("");
    let msgs = populate(&s);
    let d = s.dir.path();
    // getmail refuses to deliver as root: it delivers as nobody.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let md = d.join("gm");
    for sub in ["", "cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
        run(Command::new("chown").arg("nobody").arg(md.join(sub)));
    }
    let rc = d.join("getmailrc");
    std::fs::write(
        &rc,
        format!(
            "[retriever]\ntype = SimpleIMAPRetriever\nserver = 127.0.0.1\nport = {}\n\
             username = sue\npassword = sue-pw\nmailboxes = (\"INBOX\", \"Work\")\n\
             record_mailbox = false\n\n\
             [destination]\ntype = Maildir\npath = {}/\nuser = nobody\n\n\
             [options]\nread_all = true\ndelete = false\ndelivered_to = false\n\
             received = false\nverbose = 1\n",
            s.imap.port(),
            md.display()
        ),
    )
    .unwrap();
    run(Command::new("getmail")
        .arg("--rcfile")
        .arg(&rc)
        .arg("--getmaildir")
        .arg(d));
    // getmail's Maildir destination writes a first line `Return-Path:
    // <unknown>` (IMAP has no envelope sender to give it): read_maildir
    // takes it off with the delivery's trace fields.
    let got: Vec<String> = read_maildir(&md).into_iter().map(|x| x.0).collect();
    let mut want: Vec<String> = msgs[..5].to_vec();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn fetchmail_fetches_the_delivered_bytes_over_imaps() {
    require("fetchmail", &["--version"]);
    let s = Served::start("");
    let msgs = populate(&s);
    let d = s.dir.path();
    let out = d.join("fm");
    std::fs::create_dir_all(&out).unwrap();
    let mda = d.join("mda.sh");
    std::fs::write(
        &mda,
        format!(
            "#!/bin/sh\nexec cat > \"$(mktemp {}/m.XXXXXX)\"\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&mda, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rc = d.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set invisible\nset no bouncemail\n\
             poll 127.0.0.1 service {} protocol IMAP\n  user sue password sue-pw is root here\n  \
             ssl no sslcertck keep fetchall mda \"{}\"\n",
            s.imaps.port(),
            mda.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    run(Command::new("fetchmail")
        .arg("-f")
        .arg(&rc)
        .arg("--pidfile")
        .arg(d.join("fetchmail.pid"))
        .arg("-i")
        .arg(d.join("fetchids"))
        .env("HOME", d));
    let mut got: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| canon(&text(&std::fs::read(e.unwrap().path()).unwrap())))
        .collect();
    got.sort();
    let mut want: Vec<String> = msgs[..3].to_vec();
    want.sort();
    assert_eq!(got, want);
}
