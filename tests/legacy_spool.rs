//! Legacy mailboxes: a system user made with `useradd` (in a private
//! system root) and no popstore account reads their Unix mail spool over
//! POP3 with Python's poplib and fetchmail; DELE at QUIT while another
//! process appends under the spool's locks (dotlock and fcntl, as Debian's
//! MTAs take them) loses nothing, and UIDLs stay the same across sessions.

mod common;
#[path = "legacy/fixture.rs"]
mod fixture;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use fixture::{Appender, Legacy, client, pop3_login, unhex};

const SPOOL: &[u8] = b"From bob@far.example Sat Dec  5 10:00:00 2026\n\
Subject: one\n\nfirst\n>From the body, quoted\n\n\
From carol@far.example Sat Dec  5 10:01:00 2026\n\
X-UIDL: carol-1\nSubject: two\n\nsecond\n.dotted line\n\n\
From dave@far.example Sat Dec  5 10:02:00 2026\n\
Subject: three\n\nthird\n\n";

const APPENDED: &[u8] = b"From eve@far.example Sat Dec  5 10:03:00 2026\n\
Subject: four\n\narrived during the session\n\n";

/// A POP3 session in steps (tests/clients/pop3_steps.py).
struct Steps {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Steps {
    fn start(pop3: std::net::SocketAddr, dele: &str) -> (Steps, serde_json::Value) {
        let mut child = Command::new("python3")
            .arg(client("pop3_steps.py"))
            .args([
                "127.0.0.1",
                &pop3.port().to_string(),
                "pslegacy",
                "pw-legacy",
                dele,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let v = serde_json::from_str(&line).unwrap_or_else(|_| panic!("poplib: {line:?}"));
        (Steps { child, out }, v)
    }

    fn quit(mut self) -> String {
        self.child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        assert!(self.child.wait().unwrap().success());
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["quit"].as_str().unwrap().to_string()
    }
}

#[test]
fn a_system_user_reads_the_spool_and_dele_keeps_mail_delivered_meanwhile() {
    let Some(legacy) = Legacy::new("pslegacy", 2201, "pw-legacy", SPOOL) else {
        return;
    };
    let (dir, mail, spool) = (&legacy.dir, &legacy.mail, &legacy.spool);
    common::ok(
        &legacy.store,
        &["user", "add", "ann", "--password-stdin"],
        b"ann-pw\n",
    );
    let server = legacy.serve(false);
    let pop3 = server.pop3;

    // The first session: the three messages, as POP3 sends them.
    let (session, first) = Steps::start(pop3, "1");
    let msgs: Vec<Vec<u8>> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    assert_eq!(
        msgs,
        [
            b"Subject: one\r\n\r\nfirst\r\nFrom the body, quoted\r\n".to_vec(),
            b"X-UIDL: carol-1\r\nSubject: two\r\n\r\nsecond\r\n.dotted line\r\n".to_vec(),
            b"Subject: three\r\n\r\nthird\r\n".to_vec(),
        ]
    );
    let uidls: Vec<String> = serde_json::from_value(first["uidls"].clone()).unwrap();
    assert_eq!(uidls[1], "carol-1");
    // A second session on the spool meanwhile: [IN-USE].
    let second_login = pop3_login(pop3, "pslegacy", "pw-legacy");
    assert!(second_login.contains("[IN-USE]"), "{second_login}");

    // Another process appends under the locks while the session DELEs 1
    // and QUITs: whichever gets the locks first, nothing is lost.
    let appended = dir.path().join("appended");
    std::fs::write(&appended, APPENDED).unwrap();
    let locker = Appender::locked(spool, &appended);
    let quitting = std::thread::spawn(move || session.quit());
    locker.append();
    let quit = quitting.join().unwrap();
    assert!(quit.starts_with("+OK"), "{quit}");
    let now = std::fs::read(spool).unwrap();
    let expected = [
        &SPOOL[SPOOL.windows(7).position(|w| w == b"\n\nFrom ").unwrap() + 2..],
        APPENDED,
    ]
    .concat();
    assert_eq!(
        String::from_utf8_lossy(&now),
        String::from_utf8_lossy(&expected)
    );
    assert!(!mail.join("pslegacy.lock").exists());
    assert_eq!(
        std::fs::read_dir(mail).unwrap().count(),
        1,
        "no lock or backup left"
    );

    // The next session: the same UIDLs for the messages kept.
    let (session, second) = Steps::start(pop3, "");
    let again: Vec<String> = serde_json::from_value(second["uidls"].clone()).unwrap();
    assert_eq!(again.len(), 3);
    assert_eq!(again[..2], uidls[1..]);
    assert!(session.quit().starts_with("+OK"));

    // An account of the store is still served from the store.
    let o = Command::new("python3")
        .args([
            "-c",
            "import poplib,sys; c=poplib.POP3('127.0.0.1', int(sys.argv[1])); c.user('ann'); \
             c.pass_('ann-pw'); print(c.stat()[0]); c.quit()",
            &pop3.port().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0");

    // fetchmail takes everything and deletes it.
    common::require("fetchmail", &["--version"]);
    let home = dir.path().join("fetchmail");
    std::fs::create_dir(&home).unwrap();
    let mbox = home.join("mbox");
    let rc = home.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no syslog\npoll 127.0.0.1 protocol POP3 port {}:\n  user \"pslegacy\" there with password \"pw-legacy\" is root here\n  sslproto ''\n  mda \"/bin/sh -c 'cat >> {}'\"\n  no rewrite\n",
            pop3.port(),
            mbox.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = Command::new("fetchmail")
        .arg("-f")
        .arg(&rc)
        .args(["--nodetach", "--pidfile"])
        .arg(home.join("pid"))
        .env("HOME", &home)
        .env("FETCHMAILHOME", &home)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "fetchmail: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let got = String::from_utf8_lossy(&std::fs::read(&mbox).unwrap()).into_owned();
    for s in [
        "second\n.dotted line\n",
        "third\n",
        "arrived during the session\n",
    ] {
        assert!(got.contains(s), "{s:?} in {got}");
    }
    assert_eq!(
        std::fs::read(spool).unwrap(),
        b"",
        "fetchmail deleted it all"
    );
}
