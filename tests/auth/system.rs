//! System users for the tests that need real ones: a private system root
//! (DIR/root/etc/passwd, shadow, group, gshadow) for `useradd -R` and
//! `chpasswd -R`, so users are made by the host's own tools without
//! touching the host's accounts (this needs root), and [`run`] for those
//! tools.
#![allow(dead_code)] // each test file uses part of it

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// True when the test runs as root (system users, slapd on its own
/// files, PAM with pam_unix); tests that need it say loudly why they
/// skip otherwise.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes the private system root `dir/root` (only `root` and the `users`
/// group in it) and returns its path.
pub fn system_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    for (file, text) in [
        ("passwd", "root:x:0:0::/root:/bin/sh\n"),
        ("group", "root:x:0:\nusers:x:100:\n"),
        ("shadow", "root:*::0:99999:7:::\n"),
        ("gshadow", "root:*::\n"),
    ] {
        std::fs::write(etc.join(file), text).unwrap();
    }
    root
}

/// Runs a command of the host's with `stdin`, asserting success.
pub fn run(program: &str, args: &[&str], stdin: &str) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e} (run ci/install-deps.sh)"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
