//! The fixture of the legacy-mailbox tests (tests/legacy_spool.rs,
//! tests/legacy_imap.rs): a system user made with `useradd` and
//! `chpasswd` in a private system root (tests/auth/system.rs: the
//! machine's own users are untouched; this needs root), their Unix mail
//! spool, an empty store, and `popstore serve` checking passwords against
//! that root's `/etc/shadow` with `[legacy] spool` pointing at the spool. Also the clients both
//! tests use: another process appending to the spool under its locks, and
//! a poplib login.
#![allow(dead_code)] // each test file uses part of it

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::common::{self, ServeProcess, listening};

#[path = "../auth/system.rs"]
mod system;
use system::{is_root, run, system_root};

/// A system user with a spool, and a store.
pub struct Legacy {
    /// The test's directory: the system root, the spools, the store.
    pub dir: tempfile::TempDir,
    /// The system root `useradd -R` wrote the user into.
    pub root: PathBuf,
    /// The spool directory (`[legacy] spool = "MAIL/%u"`).
    pub mail: PathBuf,
    /// The user's spool.
    pub spool: PathBuf,
    /// The store (initialised, no accounts).
    pub store: PathBuf,
}

/// The servers `Legacy::serve` started, and where they listen.
pub struct Served {
    pub server: ServeProcess,
    pub pop3: SocketAddr,
    /// With `imap`.
    pub imap: Option<SocketAddr>,
}

impl Legacy {
    /// System user `user` (uid `uid`, password `password`) with `spool`
    /// as their mail spool; `None` (with a note) when not run as root.
    /// The test needs python3 and dotlockfile (ci/install-deps.sh).
    pub fn new(user: &str, uid: u32, password: &str, spool: &[u8]) -> Option<Legacy> {
        if !is_root() {
            eprintln!("SKIPPED: useradd -R needs root");
            return None;
        }
        common::require("python3", &["--version"]);
        assert!(
            Command::new("dotlockfile").output().is_ok(),
            "dotlockfile (Debian liblockfile-bin) is needed: run ci/install-deps.sh"
        );
        let dir = tempfile::tempdir().unwrap();
        let root = system_root(dir.path());
        let r = root.to_str().unwrap();
        let uid = uid.to_string();
        run(
            "useradd",
            &["-R", r, "-M", "-N", "-g", "100", "-u", &uid, user],
            "",
        );
        run(
            "chpasswd",
            &["-R", r, "-c", "SHA512"],
            &format!("{user}:{password}\n"),
        );
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        let spool_path = mail.join(user);
        std::fs::write(&spool_path, spool).unwrap();
        let store = dir.path().join("store");
        common::ok(&store, &["init"], b"");
        Some(Legacy {
            dir,
            root,
            mail,
            spool: spool_path,
            store,
        })
    }

    /// `popstore serve` with POP3 (and IMAP with `imap`) on loopback, the
    /// `system` password source reading the private root, and the spools.
    pub fn serve(&self, imap: bool) -> Served {
        let conf = self.dir.path().join("popstore.toml");
        let r = self.root.display();
        let imap_listen = if imap { "127.0.0.1:0" } else { "off" };
        std::fs::write(
            &conf,
            format!(
                "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
                 imap = \"{imap_listen}\"\n\
                 imaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
                 [auth]\nsources = [\"system\"]\n\
                 [auth.system]\npasswd_file = \"{r}/etc/passwd\"\nshadow_file = \"{r}/etc/shadow\"\n\
                 [legacy]\nspool = \"{}/%u\"\n",
                self.mail.display()
            ),
        )
        .unwrap();
        let (mut pop3, mut imap_addr) = (None, None);
        let server = ServeProcess::start_until(&self.store, &conf, "info", |line| {
            pop3 = pop3.or(listening(line, "POP3"));
            imap_addr = imap_addr.or(listening(line, "IMAP"));
            pop3.is_some() && (!imap || imap_addr.is_some())
        });
        Served {
            server,
            pop3: pop3.unwrap(),
            imap: imap_addr,
        }
    }
}

/// A client script of tests/clients.
pub fn client(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

/// Bytes from hexadecimal (the step clients send messages as hex).
pub fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// What a poplib USER/PASS login answers (`OK` or the error).
pub fn pop3_login(pop3: SocketAddr, user: &str, password: &str) -> String {
    let o = Command::new("python3")
        .args([
            "-c",
            "import poplib,sys\nc=poplib.POP3('127.0.0.1', int(sys.argv[1]))\nc.user(sys.argv[2])\n\
             try:\n  c.pass_(sys.argv[3]); print('OK')\nexcept poplib.error_proto as e:\n  print(e)",
            &pop3.port().to_string(),
            user,
            password,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Another process holding a lock: it prints `LOCKED` once it holds it,
/// then waits for a line on its standard input before going on.
pub struct Holder(std::process::Child, BufReader<std::process::ChildStdout>);

impl Holder {
    /// Starts `python3 ARGS...` and waits until it holds its lock.
    pub fn start<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Holder {
        let mut child = Command::new("python3")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "LOCKED");
        Holder(child, out)
    }

    /// Lets it go on; waits for `last` (the line it prints when done, if
    /// it says one) and its successful end.
    pub fn go(mut self, last: Option<&str>) {
        self.0.stdin.take().unwrap().write_all(b"go\n").unwrap();
        if let Some(last) = last {
            let mut line = String::new();
            self.1.read_line(&mut line).unwrap();
            assert_eq!(line.trim(), last);
        }
        assert!(self.0.wait().unwrap().success());
    }
}

/// Another process (tests/clients/spool_append.py) holding the spool's
/// locks as Debian's MTAs take them, with `message` ready to append:
/// [`Appender::append`] appends it and lets go.
pub struct Appender(Holder);

impl Appender {
    /// Starts the appender and waits until it holds the locks.
    pub fn locked(spool: &Path, message: &Path) -> Appender {
        let script = client("spool_append.py");
        Appender(Holder::start([
            script.as_os_str(),
            spool.as_os_str(),
            message.as_os_str(),
        ]))
    }

    /// Appends, unlocks, and waits for the appender's end.
    pub fn append(self) {
        self.0.go(Some("DONE"));
    }
}
