//! A GlusterFS volume on a loopback brick, mounted twice through FUSE, for
//! the shared-store test; everything is torn down when the guard drops
//! (also when the test fails): the mounts, the volume, and glusterd if
//! this test started it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The volume options the store requires (docs/ARCHITECTURE.md, "What a
/// shared file system must provide"): no client cache that answers a
/// lookup, a stat or a read from memory, and no open deferred to the
/// first read.
pub const VOLUME_OPTIONS: &[(&str, &str)] = &[
    ("performance.stat-prefetch", "off"),
    ("performance.quick-read", "off"),
    ("performance.io-cache", "off"),
    ("performance.read-ahead", "off"),
    ("performance.open-behind", "off"),
    ("performance.nl-cache", "off"),
    ("performance.readdir-ahead", "off"),
    ("performance.parallel-readdir", "off"),
];

/// The FUSE mount options the store requires: the kernel caches neither
/// names nor attributes.
pub const MOUNT_OPTIONS: &str = "attribute-timeout=0,entry-timeout=0,negative-timeout=0";

/// Why the test cannot run here, when it cannot: it needs root,
/// `/dev/fuse` and the GlusterFS programs.
pub fn unavailable() -> Option<String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if uid != "0" {
        return Some("not root (glusterd and FUSE mounts need root)".into());
    }
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse".into());
    }
    for p in ["glusterd", "gluster", "mount.glusterfs"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!(
                "{p} is not installed (Debian glusterfs-server, glusterfs-client: ci/install-deps.sh)"
            ));
        }
    }
    None
}

/// `gluster --mode=script ARGS`: its output, or the error it printed.
fn gluster(args: &[&str]) -> Result<String, String> {
    let out = Command::new("gluster")
        .arg("--mode=script")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("gluster {args:?}: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("gluster {args:?}: {text}"))
    }
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd} {args:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A started volume mounted at two places.
pub struct Volume {
    name: String,
    glusterd: Option<Child>,
    created: bool,
    mount_options: String,
    mounts: Vec<PathBuf>,
    /// The brick and the mount points live here.
    dir: tempfile::TempDir,
}

impl Volume {
    /// Starts glusterd when none answers, creates and starts a volume on a
    /// brick in a fresh directory, sets `options`, and mounts it twice with
    /// `mount_options` (empty: GlusterFS's defaults).
    pub fn start(options: &[(&str, &str)], mount_options: &str) -> Volume {
        let mut v = Volume {
            name: format!("popstore-test-{}", std::process::id()),
            glusterd: None,
            created: false,
            mount_options: mount_options.to_string(),
            mounts: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        };
        if gluster(&["volume", "list"]).is_err() {
            let log = v.dir.path().join("glusterd.log");
            let child = Command::new("glusterd")
                .arg("--no-daemon")
                .arg("--log-file")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start glusterd");
            v.glusterd = Some(child);
            let deadline = Instant::now() + Duration::from_secs(30);
            while let Err(e) = gluster(&["volume", "list"]) {
                assert!(Instant::now() < deadline, "glusterd did not answer: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let brick = v.dir.path().join("brick");
        std::fs::create_dir(&brick).unwrap();
        let spec = format!("{}:{}", host.trim(), brick.display());
        gluster(&["volume", "create", &v.name, &spec, "force"]).unwrap();
        v.created = true;
        gluster(&["volume", "start", &v.name]).unwrap();
        for (k, val) in options {
            gluster(&["volume", "set", &v.name, k, val]).unwrap();
        }
        v.mount_again();
        v.mount_again();
        v
    }

    /// Mounts the volume once more (a client with empty caches); returns
    /// the new mount's index.
    pub fn mount_again(&mut self) -> usize {
        let i = self.mounts.len();
        let at = self.dir.path().join(format!("m{}", i + 1));
        std::fs::create_dir(&at).unwrap();
        let mut args = vec!["-t", "glusterfs"];
        if !self.mount_options.is_empty() {
            args.extend(["-o", self.mount_options.as_str()]);
        }
        let source = format!("localhost:/{}", self.name);
        let at_s = at.to_str().unwrap().to_string();
        args.extend([source.as_str(), at_s.as_str()]);
        run("mount", &args).unwrap();
        self.mounts.push(at);
        i
    }

    /// Mount point `i` (0 and 1 from the start).
    pub fn mount(&self, i: usize) -> &Path {
        &self.mounts[i]
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        for m in self.mounts.drain(..).rev() {
            let at = m.to_str().unwrap_or_default();
            if run("umount", &[at]).is_err() {
                let _ = run("umount", &["-l", at]);
            }
        }
        if self.created {
            let _ = gluster(&["volume", "stop", &self.name, "force"]);
            if let Err(e) = gluster(&["volume", "delete", &self.name]) {
                eprintln!("teardown: {e}");
            }
        }
        if let Some(mut g) = self.glusterd.take() {
            // SIGTERM first, so it reaps the hook scripts of the delete.
            let _ = run("kill", &["-TERM", &g.id().to_string()]);
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(g.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = g.kill();
            let _ = g.wait();
        }
    }
}
