//! The folder-size benchmark of `bench/folders.sh` (issue 13 point 2):
//! the cost of an APPEND, a STORE of one flag and an EXPUNGE of one
//! message in a folder of N messages, and the time to open the folder,
//! through the store API on the Linux backend in a scratch directory.
//!
//! For each size given, a MessageStore account's INBOX is filled with N
//! messages (each its own message file, as in a real folder), then `--ops` rounds of an
//! APPEND, a STORE of one flag and an EXPUNGE of one message (so the
//! folder stays at N), each synced before it returns, as a client would
//! see them, on messages spread over the folder: the means include the
//! folds (one per `popstore::store::folders::FOLD_AT` changes). Prints
//! one JSON object per size.

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
    /// Only STORE rounds after the fill (for profiling one operation).
    #[arg(long)]
    only_store: bool,
    /// Folder sizes.
    sizes: Vec<usize>,
}

/// The STORE that changes `uid`'s `\\Flagged`: remove it when set, else
/// add it.
fn toggle(f: &popstore::store::folders::Folder, uid: u32) -> FlagOp {
    match f.by_index(uid) {
        Some(e) if e.flags.contains(SystemFlags::FLAGGED) => FlagOp::Remove,
        _ => FlagOp::Add,
    }
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    for &n in &a.sizes {
        let root = a.dir.join(format!("store-{n}"));
        std::fs::create_dir_all(&root)?;
        let r = run(&root, n, a.ops, a.only_store);
        std::fs::remove_dir_all(&root)?;
        println!("{}", serde_json::to_string(&r?)?);
    }
    Ok(())
}

fn run(
    root: &std::path::Path,
    n: usize,
    ops: usize,
    only_store: bool,
) -> anyhow::Result<serde_json::Value> {
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
    // The fill: N messages, each its own message file (as in a real
    // folder, so an expunge removes a file rather than lowering a shared
    // count), written by four threads, then appended 1,000 at a time.
    let id = s.folder_id(&acct, &inbox)?.expect("INBOX");
    let t = Instant::now();
    let (stored, pre) = popstore::mime::precompute(msg);
    let files: Vec<popstore::store::layout::MessageId> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|w| {
                let (s, stored, pre) = (&s, &stored, &pre);
                sc.spawn(move || {
                    (0..n)
                        .filter(|i| i % 4 == w)
                        .map(|_| {
                            let header = popstore_formats::message::MessageHeader {
                                recipient_count: 1,
                                ref_count: 1,
                                recipients: vec!["bench".into()],
                                imap: pre.to_imap_data(),
                                ..Default::default()
                            };
                            s.write_message(header, stored.clone())
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect::<Result<Vec<Vec<_>>, _>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;
    for chunk in files.chunks(1000) {
        let batch: Vec<NewEntry> = chunk
            .iter()
            .map(|m| NewEntry {
                message: *m,
                size: stored.len() as u64,
                flags: SystemFlags::default(),
                keywords: Vec::new(),
                internal_date: 1_764_900_000,
            })
            .collect();
        s.append_entries(&acct, id, &batch)?;
    }
    let fill = secs(t);
    // The fill's writes reach the disk before anything is timed, so that
    // the large folder's syncs do not also pay for its fill.
    let _ = std::process::Command::new("sync").status();
    // Open (index and journal read, every entry decoded), cold cache aside.
    let t = Instant::now();
    let mut f = s.open_folder(&acct, &inbox)?;
    let open = secs(t);
    assert_eq!(f.len(), n);
    // Round after round: APPEND a new message, STORE +FLAGS (\Flagged) on
    // one message, mark one \Deleted (not timed) and EXPUNGE it: the
    // folder stays at N messages, the positions touched spread over it.
    let (mut append, mut store, mut expunge) = (0.0, 0.0, 0.0);
    if only_store {
        let mut each = Vec::with_capacity(ops);
        for i in 0..ops {
            let uid = f.entries()[(i * 7919 + 17) % f.len()].uid;
            let op = toggle(&f, uid);
            let t = Instant::now();
            s.store_flags(&mut f, &[uid], op, SystemFlags::FLAGGED, &[], None)?;
            each.push(secs(t));
        }
        store = each.iter().sum();
        let total = store;
        each.sort_by(f64::total_cmp);
        let top: f64 = each.iter().rev().take(ops / 1000 + 1).sum();
        eprintln!(
            "n={n}: STORE p50 {:.3} ms, p99 {:.3} ms, max {:.1} ms; the {} slowest are {:.0}% of the time",
            each[ops / 2] * 1e3,
            each[ops * 99 / 100] * 1e3,
            each[ops - 1] * 1e3,
            ops / 1000 + 1,
            top / total * 100.0
        );
    }
    for i in 0..if only_store { 0 } else { ops } {
        let t = Instant::now();
        s.append_message(
            &acct,
            &inbox,
            &NewMessage {
                bytes: msg,
                ..NewMessage::default()
            },
        )?;
        append += secs(t);
        s.refresh_folder(&mut f)?;
        let pick = |k: usize| f.entries()[(k * 7919 + 17) % f.len()].uid;
        let (flag_uid, victim) = (pick(i), pick(i + ops));
        // A STORE that changes the flags (in a small folder the same
        // messages come round again: adding a flag they have would write
        // nothing).
        let op = toggle(&f, flag_uid);
        let t = Instant::now();
        s.store_flags(&mut f, &[flag_uid], op, SystemFlags::FLAGGED, &[], None)?;
        store += secs(t);
        s.store_flags(
            &mut f,
            &[victim],
            FlagOp::Add,
            SystemFlags::DELETED,
            &[],
            None,
        )?;
        let t = Instant::now();
        s.expunge(&mut f, Some(&[victim]))?;
        expunge += secs(t);
    }
    let n_ops = ops as f64;
    let (append, store, expunge) = (append / n_ops, store / n_ops, expunge / n_ops);
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
