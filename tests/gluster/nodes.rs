//! Two `popstore serve` nodes on one store on a GlusterFS volume, each on
//! its own FUSE mount, with the listeners each one uses.
#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::volume;
use crate::common::{ServeProcess, listening};

/// One node: its server and the addresses of its listeners.
pub struct Node {
    pub serve: ServeProcess,
    /// The store through this node's mount.
    pub store: PathBuf,
    pub lmtp: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub imap: Option<SocketAddr>,
    pub web: Option<SocketAddr>,
}

/// The listeners of `[listen]` a node can have, with their log names.
const LISTENERS: [(&str, &str); 4] = [
    ("lmtp", "LMTP"),
    ("pop3", "POP3"),
    ("imap", "IMAP"),
    ("web", "web"),
];

impl Node {
    /// Starts `serve` on `store` with the listeners named in `on` (keys of
    /// `[listen]`) on free loopback ports, every other one off; its
    /// configuration is written into `dir` as `name.toml`.
    pub fn start(store: &Path, dir: &Path, name: &str, on: &[&str]) -> Node {
        let mut text = String::from("[listen]\n");
        for key in [
            "lmtp",
            "pop3",
            "pop3s",
            "imap",
            "imaps",
            "poppassd",
            "managesieve",
            "web",
        ] {
            let v = if on.contains(&key) {
                "127.0.0.1:0"
            } else {
                "off"
            };
            text.push_str(&format!("{key} = \"{v}\"\n"));
        }
        text.push_str(
            "[pop3]\nallow_plaintext_auth = true\nauth_failure_delay_ms = 0\n\
             [imap]\nallow_plaintext_auth = true\n[status]\nsocket = \"off\"\n",
        );
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(&config, text).unwrap();
        let mut found: Vec<(&str, SocketAddr)> = Vec::new();
        let serve = ServeProcess::start_until(store, &config, "info", |line| {
            for (key, log) in LISTENERS {
                if on.contains(&key)
                    && !found.iter().any(|(k, _)| *k == key)
                    && let Some(a) = listening(line, log)
                {
                    found.push((key, a));
                }
            }
            found.len() == on.len()
        });
        let addr = |k: &str| found.iter().find(|(x, _)| *x == k).map(|(_, a)| *a);
        Node {
            store: store.to_path_buf(),
            lmtp: addr("lmtp"),
            pop3: addr("pop3"),
            imap: addr("imap"),
            web: addr("web"),
            serve,
        }
    }
}

/// Whether the GlusterFS tests can run here (a reason is printed when
/// not; on CI they must). Holding the returned guard runs them one at a
/// time.
pub fn available() -> Option<std::sync::MutexGuard<'static, ()>> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    if let Some(why) = volume::unavailable() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the GlusterFS test cannot run on CI: {why}"
        );
        eprintln!("skipped: {why}");
        return None;
    }
    Some(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()))
}
