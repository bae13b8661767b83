//! The housekeeping of `popstore serve`: at start-up it removes the
//! leftovers of interrupted writes older than the grace period (and only
//! those); in the background it scrubs message files, so a byte flipped in
//! a stored body (which RETR would send as good mail, as it does no
//! per-byte work) is found, logged with the file and its recipients, and
//! `verify` names the accounts that reference the file.

mod common;

use std::path::{Path, PathBuf};

use common::{ServeProcess, ok, popstore};

fn message_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            message_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "msg") {
            out.push(p);
        }
    }
}

/// A new store with the account `ann`.
fn store_with_ann() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &["user", "add", "ann", "--password-stdin"],
        b"secret\n",
    );
    (t, store)
}

/// A configuration with no listeners and a fast scrub.
fn scrub_config(dir: &Path) -> PathBuf {
    let config = dir.join("popstore.toml");
    std::fs::write(
        &config,
        "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"off\"\npop3 = \"off\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
         [store]\nscrub_rate = \"64m\"\nscrub_pause = 3600\n",
    )
    .unwrap();
    config
}

#[test]
fn the_scrub_finds_a_flipped_byte_and_verify_names_its_accounts() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    ok(&store, &["init"], b"");
    for u in ["ann", "bob"] {
        ok(&store, &["user", "add", u, "--password-stdin"], b"secret\n");
    }
    let msg = b"Subject: precious\r\n\r\nsome text that a disk will damage\r\n";
    ok(
        &store,
        &["deliver", "--from", "a@far.example", "--to", "ann", "bob"],
        msg,
    );
    let mut files = Vec::new();
    message_files(&store.join("messages"), &mut files);
    assert_eq!(files.len(), 1, "one copy for both");
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let at = bytes
        .windows(9)
        .position(|w| w == b"some text")
        .expect("the body is stored as it came");
    bytes[at] ^= 0x20; // "some" -> "Some"
    std::fs::write(&files[0], &bytes).unwrap();

    let config = scrub_config(t.path());
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    let serve = ServeProcess::start_until(&store, &config, "info", |l| {
        l.contains("scrub: damaged message file") || l.contains("scrub: pass complete")
    });
    let log = serve.log();
    let line = log
        .lines()
        .find(|l| l.contains("scrub: damaged message file"))
        .unwrap_or_else(|| panic!("the scrub missed the damage:\n{log}"));
    assert!(line.contains(&name), "{line}");
    assert!(line.contains("bad checksum of the body"), "{line}");
    assert!(line.contains("ann") && line.contains("bob"), "{line}");
    drop(serve);

    let out = popstore(&store, &["verify"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let named = text
        .lines()
        .find(|l| l.contains("damaged message file referenced by"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        named.contains("/ann/") && named.contains("/bob/"),
        "{named}"
    );
}

#[test]
fn a_clean_store_scrubs_clean() {
    let (t, store) = store_with_ann();
    for k in 0..3 {
        let m = format!("Subject: {k}\r\n\r\nbody {k}\r\n");
        ok(&store, &["deliver", "--to", "ann"], m.as_bytes());
    }
    let config = scrub_config(t.path());
    let serve = ServeProcess::start_until(&store, &config, "info", |l| {
        l.contains("scrub: pass complete")
    });
    let log = serve.log();
    let done = log
        .lines()
        .find(|l| l.contains("scrub: pass complete"))
        .unwrap();
    assert!(
        done.contains("files=3") && done.contains("damaged=0"),
        "{done}"
    );
    assert!(!log.contains("damaged message file"), "{log}");
}

#[test]
fn serve_removes_old_leftovers_at_start_up_and_keeps_young_ones() {
    let (t, store) = store_with_ann();
    ok(
        &store,
        &["deliver", "--to", "ann"],
        b"Subject: x\r\n\r\nx\r\n",
    );
    let mut dirs = Vec::new();
    message_files(&store.join("messages"), &mut dirs);
    let msg_dir = dirs[0].parent().unwrap().to_path_buf();
    let user_dir = store.join("users");
    let old_tmp = msg_dir.join(".m000dc9rka6gh1.msg.00ab00cd00ef0012-1.tmp");
    let young_tmp = msg_dir.join(".m000dc9rka6gh2.msg.00ab00cd00ef0012-2.tmp");
    let old_root_tmp = store.join(".forward.psf.00ab00cd00ef0012-3.tmp");
    let not_ours = user_dir.join("notes.tmp");
    for p in [&old_tmp, &young_tmp, &old_root_tmp, &not_ours] {
        std::fs::write(p, b"partial").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    for p in [&old_tmp, &old_root_tmp, &not_ours] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    let config = t.path().join("popstore.toml");
    std::fs::write(
        &config,
        "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"off\"\npop3 = \"off\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
         [store]\nleftover_grace = 600\nscrub_rate = \"0\"\n",
    )
    .unwrap();
    let serve = ServeProcess::start_until(&store, &config, "info", |l| {
        l.contains("leftover temporary files older than")
    });
    let log = serve.log();
    assert!(!old_tmp.exists() && !old_root_tmp.exists(), "{log}");
    assert!(
        young_tmp.exists(),
        "a write in progress is left alone: {log}"
    );
    assert!(
        not_ours.exists(),
        "only the store's own temporary names: {log}"
    );
    assert!(
        log.contains("2 leftover temporary files older than 600s removed"),
        "{log}"
    );
}

#[test]
fn serve_on_a_store_without_accounts_says_how_to_add_one() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    ok(&store, &["init"], b"");
    let config = scrub_config(t.path());
    let serve = ServeProcess::start_until(&store, &config, "info", |l| {
        l.contains("leftover temporary files older than")
    });
    assert!(
        serve.log().contains("the store has no accounts yet"),
        "{}",
        serve.log()
    );
    drop(serve);
    ok(
        &store,
        &["user", "add", "ann", "--password-stdin"],
        b"secret\n",
    );
    let serve = ServeProcess::start_until(&store, &config, "info", |l| {
        l.contains("leftover temporary files older than")
    });
    assert!(!serve.log().contains("no accounts yet"), "{}", serve.log());
}
