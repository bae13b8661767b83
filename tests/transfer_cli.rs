//! `popstore transfer`, run as the real binary: the sample store goes
//! Linux -> OpenVMS -> Linux and comes back identical; the OpenVMS tree
//! verifies clean and every name in it obeys ODS-2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/stores/sample")
}

fn popstore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_popstore"))
        .args(args)
        .env_remove("POPSTORE_STORE")
        .output()
        .expect("popstore runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Relative path -> sha256 of every file under `dir` (directories as "/").
fn digests(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(base).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(rel, "/".to_owned());
                walk(base, &e.path(), out);
            } else {
                let d = Sha256::digest(std::fs::read(e.path()).unwrap());
                out.insert(rel, format!("{d:x}"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn is_ods2(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '$' | '_' | '-'))
}

/// Every host name under `dir` is `NAME.TYPE;VERSION` (a file) or
/// `NAME.DIR;1` (a directory) with ODS-2 name and type.
fn assert_ods2_tree(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        let (file, version) = name.split_once(';').expect("a version");
        let (stem, ftype) = file.split_once('.').expect("a type");
        assert!(is_ods2(stem) && is_ods2(ftype), "{name}");
        let v: u16 = version.parse().expect("a numeric version");
        assert!((1..=32767).contains(&v), "{name}");
        n += 1;
        if e.file_type().unwrap().is_dir() {
            assert_eq!((ftype, v), ("DIR", 1), "{name}");
            n += assert_ods2_tree(&e.path());
        }
    }
    n
}

#[test]
fn the_sample_store_goes_to_openvms_and_back_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let vms = t.path().join("vms");
    let back = t.path().join("nested/back");

    let o = popstore(&[
        "transfer",
        "--from",
        "linux",
        s(&sample()),
        "--to",
        "openvms",
        s(&vms),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let want = digests(&sample());
    let files = want.values().filter(|d| *d != "/").count();
    assert!(
        out.starts_with(&format!("transfer: {files} files (")),
        "{out}"
    );

    // The OpenVMS tree: ODS-2 names only, and it verifies clean.
    assert_eq!(assert_ods2_tree(&vms), want.len());
    let o = popstore(&["verify", "--host", "openvms", "--store", s(&vms)]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.ends_with(": 0 problems\n"), "{out}");
    // Read as Linux, the same tree is not a store.
    let o = popstore(&["verify", "--store", s(&vms)]);
    assert_eq!(o.status.code(), Some(2));

    // A store file read back by file specification.
    let o = popstore(&[
        "inspect",
        "--host",
        "openvms",
        "--store",
        s(&vms),
        "ROOT0:[USERS.1C.AD.JOHN]ACCOUNT.PRF",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"kind\": \"profile\""));

    let o = popstore(&[
        "transfer",
        "--from",
        "openvms",
        s(&vms),
        "--to",
        "linux",
        s(&back),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files"], files);

    // Same names, every data file byte-identical.
    assert_eq!(digests(&back), want);
}

#[test]
fn a_used_destination_or_a_non_store_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dst = t.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    std::fs::write(dst.join("keep.txt"), b"mine").unwrap();
    let o = popstore(&[
        "transfer",
        "--from",
        "linux",
        s(&sample()),
        "--to",
        "linux",
        s(&dst),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    assert_eq!(std::fs::read(dst.join("keep.txt")).unwrap(), b"mine");

    let o = popstore(&[
        "transfer",
        "--from",
        "openvms",
        s(&sample()),
        "--to",
        "linux",
        s(&t.path().join("x")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = popstore(&[
        "transfer",
        "--from",
        "vax",
        s(&sample()),
        "--to",
        "linux",
        s(&dst),
    ]);
    assert_eq!(o.status.code(), Some(2));
}
