//! mbsync (isync, from Debian) against the real binary: a two-way sync of
//! several folders with flag changes and a new message on each side; the
//! sync after that changes nothing on either side, and the bytes synced
//! down are the ones delivered.

mod common;
#[path = "imap/served.rs"]
mod served;

use std::path::Path;
use std::process::Command;

use served::{Raw, Served};

fn login(s: &Served) -> Raw {
    let (mut c, _) = Raw::connect(s.imap);
    let r = c.cmd("l", "LOGIN sue sue-pw");
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}

fn mbsync(rc: &Path) {
    let o = Command::new("mbsync")
        .arg("-c")
        .arg(rc)
        .arg("-a")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mbsync failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file of a local folder (`cur` and `new`), sorted, with contents.
fn local(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd {
            let e = e.unwrap();
            out.push((
                format!("{sub}/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// The server's view of a folder: `UID FETCH 1:* (FLAGS)` lines.
fn remote(c: &mut Raw, folder: &str) -> Vec<String> {
    c.cmd("e", &format!("EXAMINE {folder}"));
    let mut r = c.cmd("f", "UID FETCH 1:* (FLAGS)");
    r.pop();
    r.sort();
    r
}

#[test]
fn mbsync_two_way_sync_settles() {
    if Command::new("mbsync").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "mbsync is missing");
        return;
    }
    let s = Served::start("");
    let msgs: Vec<Vec<u8>> = (1..=3)
        .map(|n| format!("From: a@b.example\r\nSubject: in {n}\r\n\r\nbody {n}\r\n").into_bytes())
        .collect();
    for m in &msgs {
        s.deliver("sue", m);
    }
    let mut c = login(&s);
    c.cmd("c1", "CREATE Work");
    c.send(b"c2 APPEND Work (\\Seen) {23+}\r\nSubject: work\r\n\r\nplan\r\n\r\n");
    assert!(c.until("c2").last().unwrap().starts_with("c2 OK"));

    let mail = s.dir.path().join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    let rc = s.dir.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount ps\nHost 127.0.0.1\nPort {}\nUser sue\nPass sue-pw\nSSLType None\n\
             AuthMechs LOGIN\n\nIMAPStore remote\nAccount ps\n\n\
             MaildirStore local\nPath {m}/\nInbox {m}/INBOX\nSubFolders Verbatim\n\n\
             Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\n\
             Expunge Both\nSyncState *\n",
            s.imap.port(),
            m = mail.display()
        ),
    )
    .unwrap();
    mbsync(&rc);
    let inbox = local(&mail.join("INBOX"));
    assert_eq!(inbox.len(), 3, "{inbox:?}");
    // (mbsync keeps LF line ends in the Maildir and adds its X-TUID.)
    let lf = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace("\r\n", "\n")
            .lines()
            .filter(|l| !l.starts_with("X-TUID: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for m in &msgs {
        assert!(
            inbox.iter().any(|(_, b)| lf(b) == lf(m)),
            "a delivered message synced down: {inbox:?}"
        );
    }
    assert_eq!(local(&mail.join("Work")).len(), 1);

    // Changes on both sides: a flag on the server, a flag and a new
    // message here.
    c.cmd("c3", "SELECT INBOX");
    c.cmd("c4", "STORE 1 +FLAGS (\\Flagged)");
    let work = mail.join("Work");
    let (name, _) = local(&work).remove(0);
    let from = work.join(&name);
    let flagged = if name.contains(":2,") {
        format!("{}F", from.display())
    } else {
        format!("{}:2,F", from.display())
    };
    std::fs::rename(&from, flagged.replace("/new/", "/cur/")).unwrap();
    std::fs::write(
        work.join("new").join("1700000000.local.host"),
        b"Subject: written here\r\n\r\nnew\r\n",
    )
    .unwrap();
    mbsync(&rc);
    let w = remote(&mut c, "Work");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().any(|l| l.contains("\\Flagged")), "{w:?}");
    let i = local(&mail.join("INBOX"));
    assert!(
        i.iter()
            .any(|(n, _)| n.contains(":2,") && n.split(":2,").nth(1).unwrap().contains('F')),
        "{:?}",
        i.iter().map(|x| &x.0).collect::<Vec<_>>()
    );

    // Settled: another run changes nothing on either side.
    let before = (
        local(&mail.join("INBOX")),
        local(&work),
        remote(&mut c, "INBOX"),
        remote(&mut c, "Work"),
    );
    mbsync(&rc);
    let after = (
        local(&mail.join("INBOX")),
        local(&work),
        remote(&mut c, "INBOX"),
        remote(&mut c, "Work"),
    );
    assert!(before == after, "the second sync changed something");
}
