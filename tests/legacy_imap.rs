//! Legacy mailboxes over IMAP: a system user made with `useradd` (in a
//! private system root) and no popstore account logs in with Python's
//! imaplib and gets INBOX = their Unix mail spool: LIST shows INBOX only,
//! FETCH serves ENVELOPE, BODYSTRUCTURE and the message bytes (unquoted,
//! CRLF), CREATE and APPEND get `NO [CANNOT]`, a second session (IMAP or
//! POP3) gets `[INUSE]`/`[IN-USE]`, `\Deleted` + EXPUNGE (or CLOSE)
//! rewrites the spool while another process appends under its locks
//! (nothing lost), and UIDVALIDITY and UIDs stay the same in the next
//! session, the new message getting the next UID.

mod common;
#[path = "legacy/fixture.rs"]
mod fixture;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use fixture::{Appender, Holder, Legacy, client, pop3_login, unhex};
use serde_json::Value;

const SPOOL: &[u8] = b"From bob@far.example Sat Dec  5 10:00:00 2026\n\
From: Bob <bob@far.example>\nSubject: one\n\nfirst\n>From the body, quoted\n\n\
From carol@far.example Sat Dec  5 10:01:00 2026\n\
X-UIDL: carol-1\nSubject: two\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsecond\n\
--b\nContent-Type: text/html\n\n<p>2</p>\n--b--\n\n\
From dave@far.example Sat Dec  5 10:02:00 2026\n\
Subject: three\n\nthird\n\n";

const FIFTH: &[u8] = b"From fay@far.example Sat Dec  5 10:04:00 2026\n\
Subject: five\n\narrived while the session was open\n\n";

const APPENDED: &[u8] = b"From eve@far.example Sat Dec  5 10:03:00 2026\n\
Subject: four\n\narrived during the session\n\n";

/// An IMAP session in steps (tests/clients/imap_steps.py).
struct Steps {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Steps {
    fn start(imap: std::net::SocketAddr, delete: &str, close: bool) -> (Steps, Value) {
        let mut child = Command::new("python3")
            .arg(client("imap_steps.py"))
            .args([
                "127.0.0.1",
                &imap.port().to_string(),
                "psimap",
                "pw-imap",
                delete,
                if close { "CLOSE" } else { "EXPUNGE" },
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let v = serde_json::from_str(&line).unwrap_or_else(|_| panic!("imaplib: {line:?}"));
        (Steps { child, out }, v)
    }

    fn finish(mut self) -> Value {
        self.child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        assert!(self.child.wait().unwrap().success());
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("imaplib: {line:?}"))
    }
}

/// What an imaplib LOGIN as the spool's user answers (`OK` or the error).
fn imap_login(imap: std::net::SocketAddr) -> String {
    let o = Command::new("python3")
        .args([
            "-c",
            "import imaplib,sys\nc=imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))\n\
             try:\n  c.login('psimap', 'pw-imap'); print('OK')\nexcept imaplib.IMAP4.error as e:\n  print(e)",
            &imap.port().to_string(),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn uids(v: &Value) -> Vec<u64> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_u64().unwrap())
        .collect()
}

fn bodies(v: &Value) -> Vec<Vec<u8>> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| unhex(m["body"].as_str().unwrap()))
        .collect()
}

/// A message of `SPOOL` (by its `From ` line's sender) as a client gets it.
fn served(raw: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(raw);
    let body = s.split_once('\n').unwrap().1;
    let body = body.strip_suffix('\n').unwrap();
    body.replace(">From ", "From ")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn spool_messages(spool: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    starts.extend(
        spool
            .windows(7)
            .enumerate()
            .filter(|(_, w)| *w == b"\n\nFrom ")
            .map(|(i, _)| i + 2),
    );
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &spool[s..starts.get(k + 1).copied().unwrap_or(spool.len())])
        .collect()
}

#[test]
fn a_system_user_gets_the_spool_as_inbox_over_imap() {
    let Some(legacy) = Legacy::new("psimap", 2202, "pw-imap", SPOOL) else {
        return;
    };
    let (dir, mail, spool) = (&legacy.dir, &legacy.mail, &legacy.spool);
    let server = legacy.serve(true);
    let (imap, pop3) = (server.imap.unwrap(), server.pop3);

    // The first session: INBOX only, the three messages as they are.
    let (session, first) = Steps::start(imap, "1", false);
    let list: Vec<String> = serde_json::from_value(first["list"].clone()).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(list[0].ends_with("INBOX"), "{list:?}");
    assert_eq!(first["exists"], 3);
    assert_eq!(uids(&first), [1, 2, 3]);
    let msgs = spool_messages(SPOOL);
    let want: Vec<Vec<u8>> = msgs.iter().map(|m| served(m)).collect();
    assert_eq!(bodies(&first), want);
    assert_eq!(
        &bodies(&first)[0][..],
        b"From: Bob <bob@far.example>\r\nSubject: one\r\n\r\nfirst\r\nFrom the body, quoted\r\n"
    );
    let heads: Vec<&str> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["head"].as_str().unwrap())
        .collect();
    assert!(
        heads[0].contains("\"one\" ((\"Bob\" NIL \"bob\" \"far.example\"))"),
        "ENVELOPE: {}",
        heads[0]
    );
    assert!(
        heads[1].contains("(\"text\" \"html\"")
            && heads[1].contains("\"mixed\" (\"boundary\" \"b\")"),
        "BODYSTRUCTURE: {}",
        heads[1]
    );
    let sizes: Vec<usize> = heads
        .iter()
        .map(|h| {
            h.split("RFC822.SIZE ")
                .nth(1)
                .unwrap()
                .split([' ', ')'])
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(sizes, want.iter().map(Vec::len).collect::<Vec<_>>());
    assert_eq!(first["create"][0], "NO");
    assert!(
        first["create"][1].as_str().unwrap().contains("[CANNOT]"),
        "{}",
        first["create"]
    );
    assert_eq!(first["append"][0], "NO");
    assert!(
        first["append"][1].as_str().unwrap().contains("CANNOT"),
        "{}",
        first["append"]
    );

    // A second session on the spool meanwhile, IMAP or POP3: in use.
    let second = imap_login(imap);
    assert!(second.contains("[INUSE]"), "{second}");
    let second = pop3_login(pop3, "psimap", "pw-imap");
    assert!(second.contains("[IN-USE]"), "{second}");
    // Another process (another node's server) sees the session's lock.
    let session_file = mail.join(".psimap.popstore-session");
    let o = Command::new("python3")
        .args([
            "-c",
            "import fcntl,sys\nf=open(sys.argv[1],'r+')\n\
             try:\n  fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB); print('FREE')\n\
             except OSError:\n  print('HELD')",
        ])
        .arg(&session_file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "HELD",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Another process appends under the locks while the session expunges
    // UID 1: whichever gets the locks first, nothing is lost.
    let appended = dir.path().join("appended");
    std::fs::write(&appended, APPENDED).unwrap();
    let locker = Appender::locked(spool, &appended);
    let expunging = std::thread::spawn(move || session.finish());
    locker.append();
    let done = expunging.join().unwrap();
    assert_eq!(done["expunge"][0], "OK", "{done}");
    assert_eq!(done["expunge"][1], serde_json::json!(["1"]), "{done}");
    let expected = [msgs[1], msgs[2], APPENDED].concat();
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(spool).unwrap()),
        String::from_utf8_lossy(&expected)
    );

    // The next session: the same UIDVALIDITY and UIDs, the new message
    // the next UID; CLOSE expunges UID 3.
    let (session, second) = Steps::start(imap, "3", true);
    assert_eq!(second["uidvalidity"], first["uidvalidity"]);
    assert_eq!(uids(&second), [2, 3, 4]);
    assert_eq!(
        bodies(&second),
        [want[1].clone(), want[2].clone(), served(APPENDED)]
    );
    let done = session.finish();
    assert_eq!(done["close"][0], "OK", "{done}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(spool).unwrap()),
        String::from_utf8_lossy(&[msgs[1], APPENDED].concat())
    );
    assert_eq!(
        std::fs::read_dir(mail).unwrap().count(),
        1,
        "no lock, backup or record beside the spool"
    );

    // A session held by another process (lockf on the session file, as
    // another node's server holds it): this login gets [INUSE].
    let holder = Holder::start([
        OsStr::new("-c"),
        OsStr::new(
            "import fcntl,sys\nf=open(sys.argv[1],'a+')\nfcntl.lockf(f, fcntl.LOCK_EX)\n\
             print('LOCKED', flush=True)\nsys.stdin.readline()",
        ),
        session_file.as_os_str(),
    ]);
    let held = imap_login(imap);
    assert!(held.contains("[INUSE]"), "{held}");
    holder.go(None);

    // And again: the UIDs left; mail the MTA appends during the session
    // shows at the next command with the next UID.
    let (session, third) = Steps::start(imap, "", false);
    assert_eq!(third["uidvalidity"], first["uidvalidity"]);
    assert_eq!(uids(&third), [2, 4]);
    let fifth = dir.path().join("fifth");
    std::fs::write(&fifth, FIFTH).unwrap();
    Appender::locked(spool, &fifth).append();
    let done = session.finish();
    assert_eq!(done["exists"], 3, "{done}");
    assert_eq!(done["uids"], serde_json::json!([2, 4, 5]), "{done}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(spool).unwrap()),
        String::from_utf8_lossy(&[msgs[1], APPENDED, FIFTH].concat())
    );
    let (session, fourth) = Steps::start(imap, "", false);
    assert_eq!(uids(&fourth), [2, 4, 5], "the next session keeps the UID");
    session.finish();
    assert_eq!(std::fs::read_dir(mail).unwrap().count(), 1);
}
