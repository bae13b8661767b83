//! getmail6 and offlineimap (from Debian) against the real binary: each
//! fetches the INBOX (offlineimap into a Maildir, getmail through a
//! delivery command, since getmail delivers to a Maildir only as a user
//! other than root), and the bytes are the ones delivered (less the
//! line-end form and the headers each client adds by design).

mod common;
#[path = "imap/served.rs"]
mod served;

use std::path::Path;
use std::process::Command;

use served::Served;

fn messages() -> Vec<Vec<u8>> {
    (1..=3)
        .map(|n| {
            format!(
                "From: a@b.example\r\nTo: sue@example.org\r\nSubject: fetch {n}\r\n\r\n\
                 body {n}\r\n.dot line\r\n"
            )
            .into_bytes()
        })
        .collect()
}

fn installed(program: &str) -> bool {
    let ok = Command::new(program).arg("--version").output().is_ok();
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "{program} is missing");
    }
    ok
}

/// Every message file under a Maildir folder, normalized: LF line ends,
/// without the headers named in `drop`.
fn maildir(dir: &Path, drop: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd {
            let b = std::fs::read(e.unwrap().path()).unwrap();
            out.push(normal(&b, drop));
        }
    }
    out.sort();
    out
}

fn normal(b: &[u8], drop: &[&str]) -> String {
    String::from_utf8_lossy(b)
        .replace("\r\n", "\n")
        .lines()
        .filter(|l| !drop.iter().any(|d| l.starts_with(d)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn getmail_fetches_the_delivered_bytes() {
    if !installed("getmail") {
        return;
    }
    let s = Served::start("");
    let msgs = messages();
    for m in &msgs {
        s.deliver("sue", m);
    }
    let d = s.dir.path();
    let md = d.join("gm");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(
        d.join("getmailrc"),
        format!(
            "[retriever]\ntype = SimpleIMAPRetriever\nserver = 127.0.0.1\nport = {}\n\
             username = sue\npassword = sue-pw\nmailboxes = (\"INBOX\",)\n\n\
             [destination]\ntype = MDA_external\npath = /bin/sh\n\
             arguments = (\"-c\", \"cat > $(mktemp {}/new/m.XXXXXX)\")\n\
             allow_root_commands = true\nunixfrom = false\n\n\
             [options]\nread_all = true\ndelete = false\ndelivered_to = false\n\
             received = false\nmessage_log_syslog = false\n",
            s.imap.port(),
            md.display()
        ),
    )
    .unwrap();
    run(Command::new("getmail")
        .arg("--getmaildir")
        .arg(d)
        .arg("--rcfile")
        .arg(d.join("getmailrc")));
    let mut want: Vec<String> = msgs.iter().map(|m| normal(m, &[])).collect();
    want.sort();
    assert_eq!(
        maildir(
            &md,
            &["Return-Path: ", "X-getmail-retrieved-from-mailbox: "]
        ),
        want
    );
}

#[test]
fn offlineimap_fetches_the_delivered_bytes() {
    if !installed("offlineimap") {
        return;
    }
    let s = Served::start("");
    let msgs = messages();
    for m in &msgs {
        s.deliver("sue", m);
    }
    let d = s.dir.path();
    let local = d.join("oi");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(
        d.join("offlineimaprc"),
        format!(
            "[general]\naccounts = ps\nmetadata = {meta}\n\n\
             [Account ps]\nlocalrepository = local\nremoterepository = remote\n\n\
             [Repository local]\ntype = Maildir\nlocalfolders = {local}\n\n\
             [Repository remote]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = {port}\n\
             remoteuser = sue\nremotepass = sue-pw\nssl = no\nstarttls = no\n\
             folderfilter = lambda f: f == 'INBOX'\n",
            meta = d.join("oi-meta").display(),
            local = local.display(),
            port = s.imap.port()
        ),
    )
    .unwrap();
    run(Command::new("offlineimap")
        .arg("-c")
        .arg(d.join("offlineimaprc"))
        .args(["-o", "-u", "basic"]));
    let mut want: Vec<String> = msgs.iter().map(|m| normal(m, &[])).collect();
    want.sort();
    assert_eq!(maildir(&local.join("INBOX"), &["X-OfflineIMAP: "]), want);
}
