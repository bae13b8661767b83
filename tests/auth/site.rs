//! The real `popstore serve` for the authentication tests: a fresh store,
//! accounts added with the CLI, a configuration with the `[auth]` (and
//! other) sections a test gives, and the listeners it asks for on free
//! loopback ports. Logins go through real clients: Python's poplib
//! (tests/clients/pop3_login.py) and curl.
#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{ServeProcess, listening, ok, require};

/// A store and `popstore serve` on it.
pub struct Site {
    /// First, so the server is killed before its store is removed.
    server: Option<ServeProcess>,
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    /// Where each listener asked for listens, by its log name ("POP3", ...).
    pub addrs: Vec<(String, SocketAddr)>,
}

impl Site {
    /// A new store, not serving yet.
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        ok(&store, &["init"], b"");
        Site {
            server: None,
            dir,
            store,
            addrs: Vec::new(),
        }
    }

    /// Adds an account: with a profile password when `password` is given,
    /// with `flags` (`PWD_ELSEWHERE`, `LOCKPWD`, ...) when not empty.
    pub fn user(&self, name: &str, password: Option<&str>, flags: &str) {
        let mut args = vec!["user", "add", name];
        if password.is_some() {
            args.push("--password-stdin");
        }
        if !flags.is_empty() {
            args.extend(["--flags", flags]);
        }
        let stdin = password.map(|p| format!("{p}\n")).unwrap_or_default();
        ok(&self.store, &args, stdin.as_bytes());
    }

    /// Starts `popstore serve` with POP3 and the `listeners` named (keys
    /// of `[listen]`, each on port 0) and `extra` configuration text after
    /// the `[listen]` section; waits until each listens. `names` are the
    /// listeners' names in the log ("POP3", "poppassd", ...).
    pub fn serve(&mut self, listeners: &[&str], names: &[&str], extra: &str) {
        let mut listen = String::from("[listen]\npop3s = \"off\"\n");
        if !listeners.contains(&"lmtp") {
            listen.push_str("lmtp = \"off\"\n");
        }
        for key in [
            "pop3",
            "imap",
            "imaps",
            "poppassd",
            "poppassds",
            "managesieve",
            "web",
        ] {
            let on = key == "pop3" || listeners.contains(&key);
            let v = if on { "127.0.0.1:0" } else { "off" };
            listen.push_str(&format!("{key} = \"{v}\"\n"));
        }
        for key in listeners {
            if ![
                "pop3",
                "imap",
                "imaps",
                "poppassd",
                "poppassds",
                "managesieve",
                "web",
            ]
            .contains(key)
            {
                listen.push_str(&format!("{key} = \"127.0.0.1:0\"\n"));
            }
        }
        let config = self.dir.path().join("popstore.toml");
        let text =
            format!("{listen}[pop3]\nhostname = \"pop.test\"\nauth_failure_delay_ms = 0\n{extra}");
        std::fs::write(&config, text).unwrap();
        let mut wanted: Vec<String> = vec!["POP3".into()];
        wanted.extend(names.iter().map(|n| n.to_string()));
        let mut found: Vec<(String, SocketAddr)> = Vec::new();
        self.server = None;
        let server = ServeProcess::start_until(&self.store, &config, "info", |line| {
            for w in &wanted {
                if let Some(a) = listening(line, w)
                    && !found.iter().any(|(n, _)| n == w)
                {
                    found.push((w.clone(), a));
                }
            }
            found.len() == wanted.len()
        });
        self.server = Some(server);
        self.addrs = found;
    }

    /// The address of the listener logged as `name`.
    pub fn addr(&self, name: &str) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("{name} does not listen"))
    }

    /// The POP3 listener.
    pub fn pop3(&self) -> SocketAddr {
        self.addr("POP3")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.server.as_ref().map(|s| s.log()).unwrap_or_default()
    }

    /// Stops the server (SIGKILL).
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// A file in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn client_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

/// Logs in with poplib (USER/PASS, or `mode` "plain" for AUTH PLAIN):
/// `OK <reply>` or `ERR <reply>`.
pub fn poplib_login(addr: SocketAddr, user: &str, password: &str, mode: &str) -> String {
    require("python3", &["-c", "import poplib"]);
    let out = Command::new("python3")
        .arg(client_script("pop3_login.py"))
        .args(["127.0.0.1", &addr.port().to_string(), user, password, mode])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pop3_login.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Logs in with curl (it lists the maildrop): true when it got in.
pub fn curl_login(addr: SocketAddr, user: &str, password: &str) -> bool {
    require("curl", &["--version"]);
    let out = Command::new("curl")
        .args(["-s", "--max-time", "30", "-u"])
        .arg(format!("{user}:{password}"))
        .arg(format!("pop3://127.0.0.1:{}/", addr.port()))
        .output()
        .unwrap();
    // 67: the login was refused; anything else is a failure of the test.
    match out.status.code() {
        Some(0) => true,
        Some(67) => false,
        c => panic!(
            "curl exited {c:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Writes an executable script.
pub fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
