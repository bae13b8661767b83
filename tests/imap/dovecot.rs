//! A private Dovecot 2.3 IMAP server for differential tests: its own config
//! file in a temporary directory, IMAP on a free loopback port, maildirs
//! in the `fs` layout with `/` as separator (as popstore names folders),
//! and the users of a passwd-file. Killed and removed on drop.
#![allow(dead_code)] // each test file uses part of it

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running Dovecot.
pub struct Dovecot {
    child: Child,
    pub dir: tempfile::TempDir,
    pub imap: SocketAddr,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Dovecot {
    /// Starts Dovecot with `users` (name, password) and waits until it
    /// accepts connections.
    pub fn start(users: &[(&str, &str)]) -> Dovecot {
        super::common::require("dovecot", &["--version"]);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mail = d.join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        // Mail processes run as nobody (Dovecot refuses root for them).
        let (uid, gid) = (65534, 65534);
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        let passwd: String = users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n"))
            .collect();
        std::fs::write(d.join("passwd"), passwd).unwrap();
        let root = is_root();
        let (login, internal, group) = if root {
            ("dovenull", "dovecot", "dovecot")
        } else {
            panic!("the Dovecot differential test runs as root (Dovecot's privilege separation)")
        };
        let port = free_port();
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{mail}/%u:LAYOUT=fs
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"#,
            d = d.display(),
            mail = mail.display(),
        );
        let conf_path = d.join("dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stderr(std::fs::File::create(d.join("dovecot.stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut dc = Dovecot {
            child,
            imap: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        // Wait for the listener (Dovecot gives no other sign of readiness).
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(dc.imap).is_err() {
            if let Ok(Some(st)) = dc.child.try_wait() {
                panic!("dovecot exited ({st}): {}", dc.log());
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen: {}",
                dc.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        dc
    }

    /// Its log and standard error.
    pub fn log(&self) -> String {
        let p = self.dir.path();
        format!(
            "{}{}",
            std::fs::read_to_string(p.join("dovecot.log")).unwrap_or_default(),
            std::fs::read_to_string(p.join("dovecot.stderr")).unwrap_or_default()
        )
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // `dovecot -F` stops its children when the master gets SIGTERM.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
