//! The folder-size benchmark of `bench/folders.sh` (issue 13 point 2):
//! the cost of an APPEND, a STORE of one flag and an EXPUNGE of one
//! message in a folder of N messages, and the time to open the folder,
//! through the store API on the Linux backend in a scratch directory.
//!
//! For each size given, a MessageStore account's INBOX is filled with N
//! messages (all referencing one message file, so the fill is quick and
//! the folder is as large as a real one), then `--ops` of each operation
//! run one after the other, each synced before it returns, as a client
//! would see them: the mean includes the folds (one per
//! `popstore::store::folders::FOLD_AT` changes). Prints one JSON object
//! per size.

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use popstore::store::folder_name::FolderName;
use popstore::store::folders::{FlagOp, NewEntry, NewMessage};
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Settings, Store, StoreType};
use popstore_formats::folder::SystemFlags;

#[derive(Parser)]
struct Args {
    /// Scratch directory (a store is made in a subdirectory per size and
    /// removed after).
    #[arg(long)]
    dir: std::path::PathBuf,
    /// Operations of each kind per size.
    #[arg(long, default_value_t = 2000)]
    ops: usize,
    /// Folder sizes.
    sizes: Vec<usize>,
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    for &n in &a.sizes {
        let root = a.dir.join(format!("store-{n}"));
        std::fs::create_dir_all(&root)?;
        let r = run(&root, n, a.ops);
        std::fs::remove_dir_all(&root)?;
        println!("{}", serde_json::to_string(&r?)?);
    }
    Ok(())
}

fn run(root: &std::path::Path, n: usize, ops: usize) -> anyhow::Result<serde_json::Value> {
    let fs: Arc<dyn popstore_platform::Platform> =
        Arc::new(popstore_platform_linux::linux(vec![root.to_path_buf()]));
    let s = Store::init(fs, Settings::default())?;
    s.create_account(
        &Actor::Admin,
        "bench",
        &AccountChanges {
            store_type: Some(StoreType::Imap),
            ..AccountChanges::default()
        },
    )?;
    let acct = s.name("bench")?;
    let inbox = FolderName::inbox();
    let msg = b"From: a@b.example\r\nSubject: bench\r\n\r\nA small message body.\r\n";
    // The fill: one message file referenced N times.
    let (_, first) = s.append_message(
        &acct,
        &inbox,
        &NewMessage {
            bytes: msg,
            ..NewMessage::default()
        },
    )?;
    let f = s.open_folder(&acct, &inbox)?;
    let file = f.by_uid(first).map(|(_, m)| m).expect("first message");
    let id = f.id();
    let t = Instant::now();
    let mut left = n.saturating_sub(1);
    while left > 0 {
        let k = left.min(1000);
        let batch: Vec<NewEntry> = (0..k)
            .map(|_| NewEntry {
                message: file.message,
                size: file.size,
                flags: SystemFlags::default(),
                keywords: Vec::new(),
                internal_date: file.internal_date,
            })
            .collect();
        s.append_entries(&acct, id, &batch)?;
        left -= k;
    }
    s.set_reference_count(file.message, n as u32 + ops as u32 * 2)?;
    let fill = secs(t);
    // Open (index and journal read, every entry decoded), cold cache aside.
    let t = Instant::now();
    let mut f = s.open_folder(&acct, &inbox)?;
    let open = secs(t);
    assert_eq!(f.len(), n);
    // APPEND: a new message file and its entry.
    let t = Instant::now();
    for _ in 0..ops {
        s.append_message(
            &acct,
            &inbox,
            &NewMessage {
                bytes: msg,
                ..NewMessage::default()
            },
        )?;
    }
    let append = secs(t) / ops as f64;
    // STORE +FLAGS (\Flagged) on one message, a different one each time.
    s.refresh_folder(&mut f)?;
    let uids: Vec<u32> = f.entries().iter().map(|e| e.uid).collect();
    let t = Instant::now();
    for i in 0..ops {
        let uid = uids[(i * 7919) % uids.len()];
        s.store_flags(&mut f, &[uid], FlagOp::Add, SystemFlags::FLAGGED, &[], None)?;
    }
    let store = secs(t) / ops as f64;
    // EXPUNGE of one message (marked \Deleted beforehand, not timed).
    let victims: Vec<u32> = uids.iter().rev().take(ops).copied().collect();
    s.store_flags(
        &mut f,
        &victims,
        FlagOp::Add,
        SystemFlags::DELETED,
        &[],
        None,
    )?;
    let t = Instant::now();
    for uid in &victims {
        s.expunge(&mut f, Some(&[*uid]))?;
    }
    let expunge = secs(t) / ops as f64;
    let t = Instant::now();
    let g = s.open_folder(&acct, &inbox)?;
    let reopen = secs(t);
    Ok(serde_json::json!({
        "messages": n,
        "fill_seconds": fill,
        "open_ms": open * 1e3,
        "reopen_after_ops_ms": reopen * 1e3,
        "append_ms": append * 1e3,
        "store_flag_ms": store * 1e3,
        "expunge_ms": expunge * 1e3,
        "ops": ops,
        "final_messages": g.len(),
    }))
}
