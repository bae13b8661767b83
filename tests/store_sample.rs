//! The engine works on the conformance sample store written by the format
//! crate: it lists and shows its accounts, reads its shared message, and
//! delivers into it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use popstore::delivery::{AcceptedRecipient, Delivery, Envelope};
use popstore::store::Store;
use popstore::store::groups::Actor;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn sample() -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("sample-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/stores/sample");
    copy_dir(&src, &dir);
    dir
}

#[test]
fn engine_reads_and_extends_the_sample_store() {
    let dir = sample();
    let store = Arc::new(Store::open(Arc::new(popstore_platform_linux::linux(vec![dir]))).unwrap());
    let mut names: Vec<String> = store
        .list_accounts(&Actor::Admin, "*")
        .unwrap()
        .map(|i| i.unwrap().name)
        .collect();
    names.sort();
    assert!(names.contains(&"john".to_string()) && names.contains(&"default".to_string()));
    let john = store.show_account(&Actor::Admin, "JOHN").unwrap();
    assert_eq!(john.group.as_deref(), Some("sales"));
    let mut md = store.open_maildrop(&store.name("john").unwrap()).unwrap();
    let (n, size) = md.stat();
    assert_eq!(n as u64, john.messages);
    assert_eq!(size, john.usage);
    let v = md.message(0).unwrap().unwrap();
    assert_eq!(v.body().len() as u64, md.entries()[0].size);
    drop(md);
    // The group tree and a manager's reach come from the sample's files.
    assert!(
        store
            .group_tree()
            .unwrap()
            .contains(&popstore::store::groups::GroupName::new("emea").unwrap())
    );
    // Deliver into it: one new file, referenced by john and pete.
    let env = Envelope {
        mail_from: "a@b.example".into(),
        channel: "test".into(),
        ..Envelope::default()
    };
    let rcpts: Vec<AcceptedRecipient> = ["john", "pete"]
        .iter()
        .map(|r| store.check_recipient(&env, r, 10).unwrap())
        .collect();
    let res = store.deliver(&env, &rcpts, b"Subject: new\r\n\r\nhi\r\n");
    assert!(res.iter().all(|r| r.is_ok()), "{res:?}");
    assert_eq!(
        store.show_account(&Actor::Admin, "john").unwrap().messages,
        john.messages + 1
    );
}
