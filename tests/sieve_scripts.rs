//! `popstore sieve put|get|list|activate|delete`: per-user scripts in the
//! user's subtree, compiled at upload, the active one named in the profile.

use std::path::Path;
use std::process::{Command, Output};

fn popstore(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("run popstore")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn scripts_live_in_the_user_tree() {
    let d = tempfile::tempdir().expect("tempdir");
    let store = d.path().join("store");
    assert!(popstore(&store, &["init"]).status.success());
    assert!(popstore(&store, &["user", "add", "bob"]).status.success());
    let work = d.path().join("work.sieve");
    std::fs::write(&work, "require \"fileinto\";\nfileinto \"Work\";\n").expect("write");
    let main = d.path().join("main.sieve");
    std::fs::write(&main, "require \"include\";\ninclude \"work\";\n").expect("write");
    let bad = d.path().join("bad.sieve");
    std::fs::write(&bad, "require \"fileinto\";\nif true {\n").expect("write");
    let s = |p: &Path| p.to_str().expect("path").to_string();

    // A script including one that is not there yet is refused at upload.
    let o = popstore(&store, &["sieve", "put", "bob", "main", &s(&main)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not found"), "{}", text(&o));

    let o = popstore(&store, &["sieve", "put", "bob", "work", &s(&work)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = popstore(
        &store,
        &["sieve", "put", "bob", "main", &s(&main), "--activate"],
    );
    assert!(o.status.success(), "{}", text(&o));

    let o = popstore(&store, &["sieve", "put", "bob", "broken", &s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("broken:3:1:"), "{}", text(&o));

    let o = popstore(&store, &["sieve", "list", "bob", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["name"], "main");
    assert_eq!(v[0]["active"], true);
    assert_eq!(v[1]["name"], "work");
    assert_eq!(v[1]["active"], false);
    assert_eq!(
        v.as_array().map(Vec::len),
        Some(2),
        "the broken script was not stored"
    );

    let o = popstore(&store, &["sieve", "get", "bob", "work"]);
    assert_eq!(o.stdout, std::fs::read(&work).expect("read"));

    // The script file sits in bob's subtree, so backups carry it.
    let found: Vec<_> = walk(&store)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "siv"))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.iter().all(|p| p.to_string_lossy().contains("/bob/")),
        "{found:?}"
    );

    let o = popstore(&store, &["sieve", "delete", "bob", "main"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the active script cannot be deleted"
    );
    assert!(
        popstore(&store, &["sieve", "activate", "bob"])
            .status
            .success()
    );
    assert!(
        popstore(&store, &["sieve", "delete", "bob", "main"])
            .status
            .success()
    );
    let o = popstore(&store, &["sieve", "list", "bob"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "work\n");

    let o = popstore(&store, &["sieve", "activate", "bob", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    let o = popstore(&store, &["sieve", "list", "nobody-here"]);
    assert_eq!(o.status.code(), Some(1));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_active_script_plans_a_delivery() {
    use popstore::sieve::plan::Folder;
    use popstore::store::groups::Actor;
    use popstore::store::{Settings, Store};
    use std::sync::Arc;

    let mem = Arc::new(popstore_platform::MemVfs::new());
    let fs: Arc<dyn popstore_platform::Platform> =
        Arc::new(popstore_platform::PosixTree::memory_over(mem, 1).expect("memory tree"));
    let store = Store::init(fs, Settings::default()).expect("init");
    store
        .create_account(&Actor::Admin, "bob", &Default::default())
        .expect("account");
    let bob = store.name("bob").expect("name");
    let msg = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
    assert!(
        store
            .sieve_plan(&bob, msg, "alice@example.com", "bob@example.org", &[])
            .expect("plan")
            .is_none()
    );

    let script =
        b"require [\"vacation\",\"fileinto\"];\nfileinto \"Work\";\nvacation :days 1 \"away\";\n";
    store
        .sieve_put(&Actor::Admin, "bob", "main", script)
        .expect("put");
    store
        .sieve_activate(&Actor::Admin, "bob", Some("main"))
        .expect("activate");
    let plan = store
        .sieve_plan(&bob, msg, "alice@example.com", "bob@example.org", &[])
        .expect("plan")
        .expect("a script");
    assert_eq!(plan.stores.len(), 1);
    assert_eq!(
        plan.stores[0].folder,
        Folder::Inbox,
        "a popstore account files into its maildrop"
    );
    assert_eq!(plan.replies.len(), 1);
    let again = store
        .sieve_plan(&bob, msg, "alice@example.com", "bob@example.org", &[])
        .expect("plan")
        .expect("a script");
    assert!(
        again.replies.is_empty(),
        "the tracking file remembers the first reply"
    );
}
