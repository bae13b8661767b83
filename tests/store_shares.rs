//! The share index (SPEC.md 9.3): the accounts that share folders are
//! named in `ROOT0:[SHARES]`, kept by ACL changes and account deletion,
//! read instead of every account when listing the folders shared with an
//! account, and checked and repaired by `verify`.

use std::sync::Arc;

use popstore::store::acl::RightsChange;
use popstore::store::folder_name::FolderName;
use popstore::store::groups::Actor;
use popstore::store::name::AccountName;
use popstore::store::{AccountChanges, DeleteMode, Settings, Store, StoreType};
use popstore_formats::layout::Layout;
use popstore_formats::mailboxes::SpecialUse;
use popstore_platform::{Platform, RecordFormat};

fn store() -> (Arc<dyn Platform>, Store) {
    let fs: Arc<dyn Platform> = Arc::new(popstore_platform::PosixTree::memory(1));
    let s = Store::init(fs.clone(), Settings::default()).unwrap();
    (fs, s)
}

fn imap_account(s: &Store, name: &str) -> AccountName {
    s.create_account(
        &Actor::Admin,
        name,
        &AccountChanges {
            store_type: Some(StoreType::Imap),
            ..AccountChanges::default()
        },
    )
    .unwrap();
    s.name(name).unwrap()
}

fn entry_exists(fs: &dyn Platform, name: &str) -> bool {
    fs.stat(&Layout::share_entry(name).unwrap())
        .unwrap()
        .is_some()
}

fn share(s: &Store, owner: &AccountName, folder: &str, with: &str, rights: &str) {
    s.set_folder_acl(
        owner,
        &FolderName::new(folder).unwrap(),
        with,
        RightsChange::parse(rights).unwrap(),
    )
    .unwrap();
}

fn verify(fs: &dyn Platform) -> popstore::verify::Report {
    popstore::verify::verify(&popstore::verify::PlatformStore::new(fs), &|_| {})
}

#[test]
fn the_index_names_the_accounts_that_share_and_listing_reads_only_those() {
    let (fs, s) = store();
    let owner = imap_account(&s, "owner");
    let viewer = imap_account(&s, "viewer");
    let _quiet = imap_account(&s, "quiet");
    s.create_folder(&owner, &FolderName::new("Team").unwrap(), SpecialUse::NONE)
        .unwrap();
    // An account whose profile does not read: listing the shares must not
    // need it (reading every account, the listing failed on it).
    s.create_account(&Actor::Admin, "broken", &AccountChanges::default())
        .unwrap();
    fs.replace(
        &s.paths().profile(&s.name("broken").unwrap()),
        RecordFormat::Var,
        b"not a profile",
    )
    .unwrap();

    assert!(s.accounts_sharing_with(&viewer).unwrap().is_empty());
    // The owner's own entry shares nothing.
    share(&s, &owner, "Team", "owner", "lr");
    assert!(!entry_exists(fs.as_ref(), "owner"));
    share(&s, &owner, "Team", "viewer", "lr");
    assert!(entry_exists(fs.as_ref(), "owner"));
    assert!(!entry_exists(fs.as_ref(), "viewer"));
    assert_eq!(
        s.accounts_sharing_with(&viewer).unwrap(),
        std::slice::from_ref(&owner)
    );

    // The last entry for someone else goes: so does the index's.
    share(&s, &owner, "Team", "viewer", "-lr");
    assert!(!entry_exists(fs.as_ref(), "owner"));
    assert!(s.accounts_sharing_with(&viewer).unwrap().is_empty());

    // `anyone` shares too; deleting the folder that held it unshares.
    share(&s, &owner, "Team", "anyone", "lr");
    assert_eq!(
        s.accounts_sharing_with(&viewer).unwrap(),
        std::slice::from_ref(&owner)
    );
    s.delete_folder(&owner, &FolderName::new("Team").unwrap(), false)
        .unwrap();
    assert!(!entry_exists(fs.as_ref(), "owner"));

    // Deleting the account removes its entry.
    share(&s, &owner, "INBOX", "viewer", "lr");
    assert!(entry_exists(fs.as_ref(), "owner"));
    s.delete_account(&Actor::Admin, "owner", DeleteMode::default())
        .unwrap();
    assert!(!entry_exists(fs.as_ref(), "owner"));
    assert!(s.accounts_sharing_with(&viewer).unwrap().is_empty());
}

#[test]
fn verify_reports_a_missing_or_stale_entry_and_repair_mends_both() {
    let (fs, s) = store();
    let owner = imap_account(&s, "owner");
    let viewer = imap_account(&s, "viewer");
    imap_account(&s, "quiet");
    share(&s, &owner, "INBOX", "viewer", "lr");
    let clean = verify(fs.as_ref());
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);

    // Lost: the owner's shares are no longer listed.
    fs.remove(&Layout::share_entry("owner").unwrap()).unwrap();
    assert!(s.accounts_sharing_with(&viewer).unwrap().is_empty());
    // And one stale, for an account that shares nothing.
    fs.replace(
        &Layout::share_entry("quiet").unwrap(),
        RecordFormat::Var,
        &[],
    )
    .unwrap();
    let r = verify(fs.as_ref());
    assert!(
        r.problems
            .iter()
            .any(|p| p.path.to_uppercase().contains("OWNER.SHR")
                && p.reason.contains("does not name it")),
        "{:?}",
        r.problems
    );
    assert!(
        r.notes
            .iter()
            .any(|p| p.path.to_uppercase().contains("QUIET.SHR") && p.reason.contains("stale")),
        "{:?}",
        r.notes
    );

    let report = s.repair_with_grace(0).unwrap();
    assert!(
        report.changes.iter().any(|c| c.contains("made")),
        "{report:?}"
    );
    assert!(entry_exists(fs.as_ref(), "owner"));
    assert!(!entry_exists(fs.as_ref(), "quiet"));
    assert_eq!(s.accounts_sharing_with(&viewer).unwrap(), [owner]);
    let after = verify(fs.as_ref());
    assert!(after.problems.is_empty(), "{:?}", after.problems);
    assert!(
        !after.notes.iter().any(|p| p.reason.contains("share-index")),
        "{:?}",
        after.notes
    );
}

/// The index on the OpenVMS backend: the entry is an empty file there too
/// (SPEC.md 9.3), and the listing finds the account through it.
#[test]
fn the_index_works_on_the_openvms_backend() {
    let dir = tempfile::Builder::new()
        .prefix("store-shares-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let fs: Arc<dyn Platform> = Arc::new(popstore_platform_openvms::openvms(vec![
        dir.path().to_path_buf(),
    ]));
    let s = Store::init(fs.clone(), Settings::default()).unwrap();
    let owner = imap_account(&s, "j.smith");
    let viewer = imap_account(&s, "viewer");
    share(&s, &owner, "INBOX", "viewer", "lr");
    let entry = Layout::share_entry("j.smith").unwrap();
    assert_eq!(fs.read(&entry).unwrap(), b"");
    assert_eq!(s.accounts_sharing_with(&viewer).unwrap(), [owner]);
    assert!(verify(fs.as_ref()).problems.is_empty());
}
