//! A store made by the engine on the Linux backend in a temporary
//! directory, for the repair and damage tests, and `popstore verify` on it.

use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use popstore::delivery::{Delivery, Envelope};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Settings, Store};
use popstore_formats::layout::linux_relative;
use popstore_formats::message::MessageHeader;

/// `popstore --store DIR verify ARGS`: exit code and standard output.
pub fn verify(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("popstore")
        .unwrap()
        .arg("--store")
        .arg(dir)
        .arg("verify")
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A message file with a count of one that no list references: what a
/// delivery that crashed before any reference leaves.
pub fn write_orphan(store: &Store) -> popstore_formats::layout::MessageId {
    store
        .write_message(
            MessageHeader {
                ref_count: 1,
                recipient_count: 1,
                ..MessageHeader::default()
            },
            b"orphan\r\n".to_vec(),
        )
        .unwrap()
}

/// A store made by the engine (with `list-journal`: new stores have it),
/// accounts ann and bob.
pub struct Engine {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
}

impl Engine {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fs = Arc::new(popstore_platform_linux::linux(vec![
            dir.path().to_path_buf(),
        ]));
        let store = Arc::new(Store::init(fs, Settings::default()).unwrap());
        for u in ["ann", "bob"] {
            store
                .create_account(&Actor::Admin, u, &AccountChanges::default())
                .unwrap();
        }
        Engine { dir, store }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn deliver(&self, to: &[&str], k: usize) {
        let env = Envelope {
            mail_from: "a@far.example".into(),
            channel: "test".into(),
            ..Envelope::default()
        };
        let m = format!("Subject: {k}\r\n\r\nbody {k}\r\n");
        let acc: Vec<_> = to
            .iter()
            .map(|r| self.store.check_recipient(&env, r, m.len() as u64).unwrap())
            .collect();
        assert!(
            self.store
                .deliver(&env, &acc, m.as_bytes())
                .iter()
                .all(|r| r.is_ok())
        );
    }

    pub fn ann(&self) -> popstore::store::name::AccountName {
        self.store.name("ann").unwrap()
    }

    pub fn journal(&self) -> std::path::PathBuf {
        let p = self.store.paths().user(&self.ann()).message_journal();
        self.root().join(linux_relative(&p))
    }

    pub fn list(&self) -> std::path::PathBuf {
        self.root().join(linux_relative(
            &self.store.paths().message_list(&self.ann()),
        ))
    }

    /// Ann's message files, in delivery order (list, then journal).
    pub fn ann_messages(&self) -> Vec<popstore_formats::layout::MessageId> {
        let l = self.store.read_list(&self.ann()).unwrap();
        l.entries.iter().map(|e| e.message).collect()
    }

    pub fn exists(&self, id: popstore_formats::layout::MessageId) -> bool {
        self.store.reference_count(id).unwrap().is_some()
    }
}
