//! The environment the CLI reads: `$POPSTORE_STORE` and `$POPSTORE_CONFIG`,
//! where an empty variable (as scripts often leave one exported) means
//! unset, and a flag wins over the variable.

use assert_cmd::Command;

fn popstore(cwd: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("popstore").unwrap();
    c.current_dir(cwd)
        .env_remove("POPSTORE_STORE")
        .env_remove("POPSTORE_CONFIG");
    c
}

#[test]
fn an_empty_store_variable_is_unset_and_the_flag_still_works() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("mail");
    let out = popstore(d.path())
        .env("POPSTORE_STORE", "")
        .env("POPSTORE_CONFIG", "")
        .arg("--store")
        .arg(&st)
        .arg("init")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(st.join("popstore.psd").is_file());
    // Without the flag, the empty variable leaves the default in force.
    let out = popstore(d.path())
        .env("POPSTORE_STORE", "")
        .args(["init"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.path().join("popstore-data/popstore.psd").is_file());
}

#[test]
fn the_store_variable_is_used_and_the_flag_wins_over_it() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let run = |args: &[&str], flag: Option<&std::path::Path>| {
        let mut c = popstore(d.path());
        c.env("POPSTORE_STORE", &a);
        if let Some(f) = flag {
            c.arg("--store").arg(f);
        }
        let out = c.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init"], None);
    run(&["init"], Some(&b));
    assert!(a.join("popstore.psd").is_file() && b.join("popstore.psd").is_file());
}
