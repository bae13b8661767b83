//! The real `popstore` binary for the POP3 tests: a fresh store with three
//! accounts (`ann`, `bob`, `cy`, password `NAME-pw`; `ann` and `bob` also
//! hold CRAM-MD5 and APOP verifiers), mail delivered with `popstore
//! deliver`, and `popstore serve` on loopback ports chosen by the system.
#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use super::common::ok;
use super::common::{ServeProcess, listening};

/// A store and `popstore serve` on it.
pub struct Served {
    /// First, so the server is killed before its store is removed.
    server: ServeProcess,
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    pub pop3: SocketAddr,
    pub pop3s: SocketAddr,
}

impl Served {
    /// A new store with the three accounts, not yet serving.
    pub fn store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        ok(&store, &["init"], b"");
        for (user, extra) in [("ann", true), ("bob", true), ("cy", false)] {
            let mut args = vec!["user", "add", user, "--password-stdin"];
            if extra {
                args.extend(["--cram-md5", "--apop"]);
            }
            ok(&store, &args, format!("{user}-pw\n").as_bytes());
        }
        (dir, store)
    }

    /// Delivers `message` to `users` with `popstore deliver`.
    pub fn deliver(store: &Path, users: &[&str], message: &[u8]) {
        let mut args = vec!["deliver"];
        for u in users {
            args.extend(["--to", u]);
        }
        ok(store, &args, message);
    }

    /// Starts `popstore serve` (POP3 and POP3S on free ports, every SASL
    /// mechanism offered) and waits until both listen.
    pub fn serve(dir: tempfile::TempDir, store: PathBuf) -> Served {
        let config = dir.path().join("popstore.toml");
        std::fs::write(
            &config,
            "[listen]\nlmtp = \"off\"\npop3 = \"127.0.0.1:0\"\npop3s = \"127.0.0.1:0\"\n\
             imap = \"off\"\nimaps = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
             [pop3]\nhostname = \"pop.test\"\n\
             mechanisms = [\"SCRAM-SHA-256-PLUS\", \"SCRAM-SHA-256\", \"CRAM-MD5\", \"PLAIN\", \"LOGIN\"]\n",
        )
        .unwrap();
        let (mut pop3, mut pop3s) = (None, None);
        let server = ServeProcess::start_until(&store, &config, "info", |line| {
            pop3 = pop3.or(listening(line, "POP3"));
            pop3s = pop3s.or(listening(line, "POP3S"));
            pop3.is_some() && pop3s.is_some()
        });
        Served {
            server,
            dir,
            store,
            pop3: pop3.unwrap(),
            pop3s: pop3s.unwrap(),
        }
    }

    /// The number of messages in `user`'s maildrop (`user show --json`).
    pub fn messages(&self, user: &str) -> i64 {
        let json = ok(&self.store, &["user", "show", user, "--json"], b"");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["messages"].as_i64().unwrap()
    }

    /// The message files in the store.
    pub fn message_files(&self) -> usize {
        fn walk(p: &Path, n: &mut usize) {
            for e in std::fs::read_dir(p).unwrap().map_while(Result::ok) {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, n);
                } else if path
                    .file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.to_ascii_uppercase().contains(".MSG"))
                {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(&self.store, &mut n);
        n
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.server.log()
    }
}
