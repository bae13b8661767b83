//! Sieve at delivery, end to end: scripts put with `popstore sieve put
//! --activate`, the real `popstore serve` taking mail over LMTP from
//! Python's smtplib.LMTP, redirects and vacation replies arriving at an
//! aiosmtpd sink configured as `[relay]`, and `popstore deliver` exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ServeProcess, Sink, ok, popstore, write_file};
use popstore_formats::msglist::EntryFlags;

/// The flags of every entry of `user`'s maildrop, in order.
fn entries(store: &Path, user: &str) -> Vec<EntryFlags> {
    let s = popstore::cli::init::open_store(store).unwrap();
    let md = s.open_maildrop(&s.name(user).unwrap()).unwrap();
    let flags = md.entries().iter().map(|e| e.flags).collect();
    md.abandon().unwrap();
    flags
}

struct Fixture {
    dir: tempfile::TempDir,
    store: PathBuf,
    target: String,
    sink: Sink,
    _serve: ServeProcess,
}

impl Fixture {
    /// A store with one user per script (and `plain`, with none).
    fn new(scripts: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        ok(&store, &["init"], b"");
        ok(
            &store,
            &["user", "add", "plain", "--password-stdin"],
            b"pw\n",
        );
        for (user, script) in scripts {
            ok(&store, &["user", "add", user, "--password-stdin"], b"pw\n");
            let file = write_file(dir.path(), &format!("{user}.sieve"), script.as_bytes());
            ok(
                &store,
                &[
                    "sieve",
                    "put",
                    user,
                    "main",
                    file.to_str().unwrap(),
                    "--activate",
                ],
                b"",
            );
        }
        let sink_dir = dir.path().join("sink");
        std::fs::create_dir(&sink_dir).unwrap();
        let sink = Sink::start(&sink_dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = write_file(
            dir.path(),
            "popstore.toml",
            format!(
                "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:{port}\"\npop3 = \"off\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
                 [lmtp]\nhostname = \"lmtp.test\"\n\
                 [relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
                sink.port
            )
            .as_bytes(),
        );
        let serve = ServeProcess::start(&store, &conf, "info");
        Fixture {
            dir,
            store,
            target: format!("127.0.0.1:{port}"),
            sink,
            _serve: serve,
        }
    }

    /// Sends `message` from `from` to `rcpts` with smtplib.LMTP; returns
    /// the replies after DATA as (code, text).
    fn lmtp(&self, from: &str, rcpts: &[&str], message: &[u8]) -> Vec<(i64, String)> {
        let msg = write_file(self.dir.path(), "msg.eml", message);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lmtp_smtplib.py");
        let out = Command::new("python3")
            .arg(script)
            .args([&self.target, from, &rcpts.join(",")])
            .arg(&msg)
            .output()
            .expect("python3 is needed: run ci/install-deps.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for x in r["rcpt"].as_array().unwrap() {
            assert_eq!(x[0], 250, "RCPT refused: {r}");
        }
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x[0].as_i64().unwrap(), x[1].as_str().unwrap().to_string()))
            .collect()
    }

    fn count(&self, user: &str) -> usize {
        entries(&self.store, user).len()
    }
}

fn message(from: &str, to: &str, subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\
         {extra}\r\nbody of {subject}\r\n.dot line\r\n"
    )
    .into_bytes()
}

const REJECT: &str = "require \"reject\";\nreject \"not wanted here\";\n";
const DISCARD: &str = "discard;\n";
const FILEINTO: &str = "require [\"fileinto\", \"imap4flags\"];\n\
    if header :contains \"subject\" \"flagme\" { fileinto :flags \"\\\\Seen\" \"Archive\"; }\n\
    elsif header :contains \"subject\" \"keepme\" { keep; }\n";
const REDIRECT: &str = "if header :contains \"subject\" \"fail\" { redirect \"later@remote.test\"; }\n\
    else { redirect \"elsewhere@remote.test\"; }\n";
const VACATION: &str = "require \"vacation\";\n\
    vacation :days 7 :subject \"Away\" \"I am away until Monday.\";\n";
const SUBADDRESS: &str = "require [\"envelope\", \"subaddress\"];\n\
    if envelope :detail \"to\" \"drop\" { discard; }\n";

#[test]
fn sieve_runs_at_lmtp_delivery() {
    let f = Fixture::new(&[
        ("rej", REJECT),
        ("disc", DISCARD),
        ("filer", FILEINTO),
        ("redir", REDIRECT),
        ("vac", VACATION),
        ("sub", SUBADDRESS),
    ]);

    // reject: 550 5.7.1 for that recipient, 250 for the other one.
    let m = message("s@example.org", "rej@localhost", "one", "");
    let r = f.lmtp("s@example.org", &["rej@localhost", "plain@localhost"], &m);
    assert_eq!(r[0].0, 550, "{r:?}");
    assert!(r[0].1.starts_with("5.7.1 "), "{r:?}");
    assert!(r[0].1.ends_with("not wanted here"), "{r:?}");
    assert_eq!(r[1].0, 250, "{r:?}");
    assert_eq!(f.count("rej"), 0);
    assert_eq!(f.count("plain"), 1);

    // discard: 250 and nothing stored.
    let r = f.lmtp("s@example.org", &["disc@localhost"], &m);
    assert_eq!(r[0].0, 250, "{r:?}");
    assert_eq!(f.count("disc"), 0);

    // fileinto (with \Seen) and keep store into the maildrop; no match is
    // the implicit keep.
    for subject in ["flagme", "keepme", "other"] {
        let m = message("s@example.org", "filer@localhost", subject, "");
        assert_eq!(f.lmtp("s@example.org", &["filer@localhost"], &m)[0].0, 250);
    }
    let flags = entries(&f.store, "filer");
    assert_eq!(flags.len(), 3);
    assert!(flags[0].contains(EntryFlags::SEEN));
    assert!(!flags[1].contains(EntryFlags::SEEN));

    // redirect: arrives at the relay, original sender, loop header added,
    // nothing stored.
    let m = message("s@example.org", "redir@localhost", "fwd", "");
    assert_eq!(f.lmtp("s@example.org", &["redir@localhost"], &m)[0].0, 250);
    assert_eq!(f.count("redir"), 0);
    assert_eq!(f.sink.count(), 1);
    let (bytes, env) = f.sink.message(1);
    assert_eq!(env["from"], "s@example.org");
    assert_eq!(env["to"], serde_json::json!(["elsewhere@remote.test"]));
    assert!(bytes.starts_with(b"X-Popstore-Redirected-By: <redir@localhost>\r\n"));
    assert!(bytes.ends_with(b"body of fwd\r\n.dot line\r\n"));

    // A redirect the relay refuses (451) is not lost: kept in the maildrop.
    let m = message("s@example.org", "redir@localhost", "fail", "");
    assert_eq!(f.lmtp("s@example.org", &["redir@localhost"], &m)[0].0, 250);
    assert_eq!(f.count("redir"), 1);
    assert_eq!(f.sink.count(), 1);

    // vacation: one reply with the null sender, none for a second message
    // from the same sender, none for bulk mail; the message is kept.
    let m = message("s@example.org", "vac@localhost", "hello", "");
    assert_eq!(f.lmtp("s@example.org", &["vac@localhost"], &m)[0].0, 250);
    assert_eq!(f.sink.count(), 2);
    let (bytes, env) = f.sink.message(2);
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(env["from"], "<>", "the null sender");
    assert_eq!(env["to"], serde_json::json!(["s@example.org"]));
    assert!(text.contains("Auto-Submitted: auto-replied"), "{text}");
    assert!(text.contains("Subject: Away"), "{text}");
    assert!(text.contains("I am away until Monday."), "{text}");
    let m = message("s@example.org", "vac@localhost", "again", "");
    assert_eq!(f.lmtp("s@example.org", &["vac@localhost"], &m)[0].0, 250);
    let m = message(
        "list@example.net",
        "vac@localhost",
        "news",
        "Precedence: bulk\r\n",
    );
    assert_eq!(f.lmtp("list@example.net", &["vac@localhost"], &m)[0].0, 250);
    assert_eq!(f.sink.count(), 2, "no second reply, none to bulk mail");
    assert_eq!(f.count("vac"), 3);

    // The subaddress detail reaches the script.
    let m = message("s@example.org", "sub@localhost", "sub", "");
    let r = f.lmtp(
        "s@example.org",
        &["sub+drop@localhost", "sub+other@localhost"],
        &m,
    );
    assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), [250, 250]);
    let r = f.lmtp("s@example.org", &["sub+drop@localhost"], &m);
    assert_eq!(r[0].0, 250);
    assert_eq!(f.count("sub"), 1, "only the +other copy is stored");

    // popstore deliver: a refusal is exit 77 (EX_NOPERM) with the reason.
    let out = popstore(
        &f.store,
        &[
            "deliver",
            "--to",
            "rej@localhost",
            "--from",
            "s@example.org",
        ],
        &message("s@example.org", "rej@localhost", "cli", ""),
    );
    assert_eq!(out.status.code(), Some(77));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("550 5.7.1 not wanted here"), "{err}");
    assert_eq!(f.count("rej"), 0);
    let out = popstore(
        &f.store,
        &["deliver", "--to", "filer@localhost"],
        &message("s@example.org", "filer@localhost", "flagme", ""),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(f.count("filer"), 4);
}
