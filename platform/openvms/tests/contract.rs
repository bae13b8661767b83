//! The contract and crash tests over the OpenVMS backend, and what is
//! particular to it: versions, attributes, names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore_platform::testkit::{Medium, dp, sp};
use popstore_platform::{ErrorKind, MemVfs, Platform, RecordFormat, Vfs};
use popstore_platform_linux::{HostVfs, linux};
use popstore_platform_openvms::fat::{RecordAttributes, XATTR};
use popstore_platform_openvms::{Files11, openvms};

fn on_disk() -> (Box<dyn Platform>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Box::new(openvms(vec![dir.path().join("root0")])), dir)
}

fn make(vfs: Arc<dyn Vfs>, root: &Path) -> Box<dyn Platform> {
    Box::new(Files11::new(vfs, vec![root.to_path_buf()]))
}

popstore_platform::contract_tests!(on_disk());

/// Crashes of the process at every step, on the real disk.
mod process_crash {
    use super::*;

    fn fresh() -> Medium {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root0");
        std::fs::create_dir(&root).unwrap();
        Medium {
            vfs: Arc::new(HostVfs),
            root,
            lose: Box::new(|| {}),
            guard: Box::new(dir),
        }
    }

    popstore_platform::crash_tests!(fresh, make);
}

/// Power loss at every step, over the page-cache model.
mod power_loss {
    use super::*;

    fn fresh() -> Medium {
        let mem = Arc::new(MemVfs::new());
        let vfs: Arc<dyn Vfs> = mem.clone();
        vfs.create_dir(Path::new("/root0")).unwrap();
        vfs.sync_dir(Path::new("/")).unwrap();
        Medium {
            vfs,
            root: PathBuf::from("/root0"),
            lose: Box::new(move || mem.crash()),
            guard: Box::new(()),
        }
    }

    popstore_platform::crash_tests!(fresh, make);
}

fn host_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn lays_out_files11_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let p = openvms(vec![dir.path().join("root0")]).with_devices(&["DKA100"]);
    let f = sp(&["USERS", "3F"], "JOHN", "PRF");
    assert_eq!(p.display(&f), "DKA100:[USERS.3F]JOHN.PRF");
    assert_eq!(p.display_dir(&dp(&[])), "DKA100:[000000]");
    p.create_dir_all(&dp(&["USERS", "3F"])).unwrap();
    p.replace(&f, RecordFormat::Var, b"\x01\x00a\x00").unwrap();
    p.replace(&f, RecordFormat::Var, b"\x02\x00bc").unwrap();
    let host = dir.path().join("root0/USERS.DIR;1/3F.DIR;1");
    assert_eq!(host_names(&host), vec!["JOHN.PRF;2"]);
    assert_eq!(
        std::fs::read(host.join("JOHN.PRF;2")).unwrap(),
        b"\x02\x00bc"
    );
    let info = p.stat(&f).unwrap().unwrap();
    assert_eq!(
        (info.len, info.format, info.version),
        (4, Some(RecordFormat::Var), Some(2))
    );
    // The attributes are in the file's extended attribute, 32 bytes.
    let raw = HostVfs
        .get_xattr(&host.join("JOHN.PRF;2"), XATTR)
        .unwrap()
        .unwrap();
    assert_eq!(raw.len(), 32);
    assert_eq!(RecordAttributes::decode(&raw).unwrap().len, 4);
    assert_eq!(
        p.read_spec("dka100:[users.3f]john.prf;2").unwrap(),
        b"\x02\x00bc"
    );
    assert_eq!(
        p.read_spec("DKA100:[USERS.3F]JOHN.PRF;0").unwrap(),
        b"\x02\x00bc"
    );
    assert_eq!(
        p.read_spec("DKA100:[USERS.3F]JOHN.PRF;1")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn readers_see_the_highest_version_until_purged() {
    let dir = tempfile::tempdir().unwrap();
    let p = openvms(vec![dir.path().join("root0")]);
    p.create_dir_all(&dp(&["V"])).unwrap();
    let f = sp(&["V"], "F", "DAT");
    p.create_new(&f, RecordFormat::Udf, b"one").unwrap();
    // A second version left by a crash before the purge.
    let host = dir.path().join("root0/V.DIR;1");
    std::fs::hard_link(host.join("F.DAT;1"), host.join("keep")).unwrap();
    p.replace(&f, RecordFormat::Udf, b"two").unwrap();
    std::fs::rename(host.join("keep"), host.join("F.DAT;1")).unwrap();
    assert_eq!(p.versions(&f).unwrap(), vec![1, 2]);
    assert_eq!(p.read(&f).unwrap(), b"two");
    assert_eq!(p.read_spec("ROOT0:[V]F.DAT;-1").unwrap(), b"one");
    assert_eq!(p.list(&dp(&["V"])).unwrap().len(), 1);
    p.replace(&f, RecordFormat::Udf, b"three").unwrap();
    assert_eq!(p.versions(&f).unwrap(), vec![3]);
    p.remove(&f).unwrap();
    assert!(p.versions(&f).unwrap().is_empty());
}

#[test]
fn looks_names_up_case_insensitively() {
    let dir = tempfile::tempdir().unwrap();
    let p = openvms(vec![dir.path().join("root0")]);
    p.create_dir_all(&dp(&[])).unwrap();
    // A tree copied in by a tool that wrote lower case.
    let sub = dir.path().join("root0/mail.dir;1");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("box.idx;7"), b"\x01\x00z\x00").unwrap();
    let fat = RecordAttributes::new(RecordFormat::Var, 4, 1)
        .encode()
        .unwrap();
    HostVfs
        .set_xattr(&sub.join("box.idx;7"), XATTR, &fat)
        .unwrap();
    let f = sp(&["MAIL"], "BOX", "IDX");
    assert_eq!(p.read_records(&f).unwrap(), vec![b"z".to_vec()]);
    assert_eq!(p.stat(&f).unwrap().unwrap().version, Some(7));
    p.create_dir_all(&dp(&["MAIL", "SUB"])).unwrap();
    assert_eq!(host_names(&dir.path().join("root0")), vec!["mail.dir;1"]);
}

#[test]
fn keeps_record_formats_apart() {
    let (p, _dir) = on_disk();
    p.create_dir_all(&dp(&["M"])).unwrap();
    let m = sp(&["M"], "BODY", "MSG");
    let e = p
        .create_new(&m, RecordFormat::Fix512, &[0; 100])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadData, "{e}");
    p.create_new(&m, RecordFormat::Fix512, &[7; 1024]).unwrap();
    assert_eq!(
        p.stat(&m).unwrap().unwrap().format,
        Some(RecordFormat::Fix512)
    );
    let e = p.append_records(&m, &[b"x"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongFormat, "{e}");
    let e = p.read_records(&m).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongFormat, "{e}");
}

#[test]
fn an_unfinished_append_is_past_the_end_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = openvms(vec![dir.path().join("root0")]);
    p.create_dir_all(&dp(&["L"])).unwrap();
    let f = sp(&["L"], "LOG", "IDX");
    p.append_records(&f, &[b"ab"]).unwrap();
    // Bytes written after the end of file (a crash before the header
    // moved): not part of the file, and overwritten by the next append.
    let host = dir.path().join("root0/L.DIR;1/LOG.IDX;1");
    let mut raw = std::fs::read(&host).unwrap();
    raw.extend_from_slice(b"\x03\x00junk");
    std::fs::write(&host, &raw).unwrap();
    assert_eq!(p.read(&f).unwrap(), b"\x02\x00ab");
    p.append_records(&f, &[b"c"]).unwrap();
    assert_eq!(std::fs::read(&host).unwrap(), b"\x02\x00ab\x01\x00c\x00");
}

#[test]
fn data_bytes_equal_the_linux_backends() {
    let dir = tempfile::tempdir().unwrap();
    let l = linux(vec![dir.path().join("linux")]);
    let v = openvms(vec![dir.path().join("vms")]);
    for p in [&l as &dyn Platform, &v] {
        p.create_dir_all(&dp(&["U", "00"])).unwrap();
        let f = sp(&["U", "00"], "A", "IDX");
        p.append_records(&f, &[b"one", b"three"]).unwrap();
        p.append_records(&f, &[b""]).unwrap();
        p.replace(
            &sp(&["U", "00"], "M", "MSG"),
            RecordFormat::Fix512,
            &[9; 512],
        )
        .unwrap();
    }
    let lin = std::fs::read(dir.path().join("linux/u/00/a.idx")).unwrap();
    let vms = std::fs::read(dir.path().join("vms/U.DIR;1/00.DIR;1/A.IDX;1")).unwrap();
    assert_eq!(lin, vms);
    let lin = std::fs::read(dir.path().join("linux/u/00/m.msg")).unwrap();
    let vms = std::fs::read(dir.path().join("vms/U.DIR;1/00.DIR;1/M.MSG;1")).unwrap();
    assert_eq!(lin, vms);
}
