//! The writing half of a [`Migrator`]: message files several at once,
//! then one reference write per batch (a popstore account's list, or a
//! MessageStore folder's journal and INBOX's UIDL map), then the state.
//!
//! Durability rule (the store's, SPEC.md 15): nothing refers to a message
//! file before it is durable. A batch's files are written unsynced under
//! temporary names, then made durable together (one fsync each, run at
//! once), put under their names and those made durable (one sync per
//! directory), instead of a synced create each; only then does the
//! batch's reference write name them, and the state records the batch
//! last. A crash before the names are durable leaves temporary files,
//! which start-up and repair remove.
//! A crash before the references leaves unreferenced files of channel
//! `migrate`, which `verify --repair` removes (the source, never changed,
//! still has the messages, and the next run, whose state lacks the batch,
//! brings them); a crash after them leaves the batch unrecorded in the
//! state, which the target's own UID or UIDL check catches.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use popstore_formats::folder::SystemFlags;

use super::{Migrator, Pending, WRITERS, digest};
use crate::migrate::Problem;
use crate::store::StoreType;
use crate::store::import::{FolderImport, ImportedFile, ListImport, StagedImport};

impl Migrator {
    /// Writes the message files of the waiting messages, several at once,
    /// and makes the new ones durable together (module docs); reports
    /// those that failed.
    fn write_files(&mut self) -> Vec<Pending> {
        let raws = std::mem::take(&mut self.raw);
        self.batch_bytes = 0;
        let mut results: Vec<Option<Result<ImportedFile, String>>> =
            raws.iter().map(|_| None).collect();
        // Single copy: bytes another account of the run got already (its
        // file is durable: only committed files are in the map).
        let digests: Vec<Option<String>> = raws
            .iter()
            .map(|r| self.shared.as_ref().map(|_| digest(&r.bytes)))
            .collect();
        if let Some(shared) = &self.shared {
            for (i, d) in digests.iter().enumerate() {
                let known = d.as_ref().and_then(|d| shared.lock().ok()?.get(d).copied());
                if let Some(file) = known
                    && self.store.import_share(file).is_ok()
                {
                    results[i] = Some(Ok(file));
                }
            }
        }
        // The others: staged several at once (the stored form and the
        // precomputed IMAP answers are the work)...
        let staged: Vec<Mutex<Option<crate::store::Result<StagedImport>>>> =
            raws.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let (store, account, have) = (&self.store, &self.account, &results);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = raws.get(i) else { break };
                if have[i].is_some() {
                    continue; // shared
                }
                let out = store.stage_import(&r.bytes, &[account]);
                if let Ok(mut slot) = staged[i].lock() {
                    *slot = Some(out);
                }
            }
        };
        let workers = raws.len().min(WRITERS);
        if workers <= 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..workers {
                    s.spawn(work);
                }
            });
        }
        // ...then made durable together and put under their names.
        let mut made = Vec::new();
        let mut files = Vec::new();
        for (i, slot) in staged.into_iter().enumerate() {
            match slot.into_inner().ok().flatten() {
                Some(Ok(s)) => {
                    made.push(i);
                    files.push(s);
                }
                Some(Err(e)) => results[i] = Some(Err(e.to_string())),
                None => {}
            }
        }
        for (i, r) in made.into_iter().zip(self.store.commit_imported(files)) {
            if let (Ok(file), Some(shared), Some(d)) = (&r, &self.shared, &digests[i])
                && let Ok(mut m) = shared.lock()
            {
                m.insert(d.clone(), *file);
            }
            results[i] = Some(r.map_err(|e| e.to_string()));
        }
        let mut batch = Vec::with_capacity(raws.len());
        for (r, res) in raws.into_iter().zip(results) {
            match res {
                Some(Ok(file)) => {
                    self.stored += file.size;
                    batch.push(Pending {
                        key: r.key,
                        file,
                        m: r.m,
                    });
                }
                Some(Err(e)) => {
                    self.problems
                        .push(Problem::new(r.m.origin.clone(), format!("not stored: {e}")));
                    if let Some(row) = self.row() {
                        row.failed += 1;
                    }
                }
                None => {
                    self.problems.push(Problem::new(
                        r.m.origin.clone(),
                        "not stored: writer failed",
                    ));
                    if let Some(row) = self.row() {
                        row.failed += 1;
                    }
                }
            }
        }
        if let Some(p) = &self.progress {
            p.set_message(format!("{:.1} MB", self.stored as f64 / 1e6));
        }
        batch
    }

    /// Writes the batch's references, then records its keys.
    pub(super) fn flush(&mut self) {
        if self.raw.is_empty() {
            return;
        }
        let batch = self.write_files();
        if batch.is_empty() {
            return;
        }
        let Some(cur) = self.current.as_ref() else {
            return;
        };
        let (folder, id) = (cur.name.as_str().to_string(), cur.id);
        let outcome = if self.store_type == StoreType::Pop {
            let items: Vec<ListImport> = batch
                .iter()
                .map(|p| ListImport {
                    file: p.file,
                    delivered: p.m.internal_date,
                    seen: p.m.flags.contains(SystemFlags::SEEN),
                    uidl: p.m.uidl.clone(),
                })
                .collect();
            self.store
                .import_into_list(&self.account, &items)
                .map(|added| {
                    let kept = batch
                        .iter()
                        .zip(&added)
                        .filter(|(p, a)| **a && p.m.uidl.is_some())
                        .count();
                    (added, 0, kept)
                })
        } else {
            let keep = self.current.as_ref().is_some_and(|c| c.keep_uids);
            self.folder_batch(id, keep, &batch)
        };
        match outcome {
            Ok((added, uids_kept, uidls_kept)) => {
                let keys: Vec<String> = batch.iter().map(|p| p.key.clone()).collect();
                if let Err(e) = self.state.record(&folder, &keys) {
                    self.problems.push(Problem::new(
                        "state file",
                        format!("cannot record progress: {e}"),
                    ));
                }
                let n = added.iter().filter(|a| **a).count() as u64;
                let bytes: u64 = batch
                    .iter()
                    .zip(&added)
                    .filter(|x| *x.1)
                    .map(|x| x.0.file.size)
                    .sum();
                if let Some(r) = self.row() {
                    r.migrated += n;
                    r.already += added.len() as u64 - n;
                    r.bytes += bytes;
                    r.uids_kept += uids_kept as u64;
                    r.uidls_kept += uidls_kept as u64;
                }
            }
            Err(e) => {
                for p in &batch {
                    let _ = self.store.release(p.file.message, 1);
                    self.problems
                        .push(Problem::new(p.m.origin.clone(), format!("not stored: {e}")));
                }
                if let Some(r) = self.row() {
                    r.failed += batch.len() as u64;
                }
            }
        }
    }

    /// A batch into MessageStore folder `id`: gives (added, UIDs kept,
    /// UIDLs kept).
    fn folder_batch(
        &self,
        id: u32,
        keep_uids: bool,
        batch: &[Pending],
    ) -> crate::store::Result<(Vec<bool>, usize, usize)> {
        let items: Vec<FolderImport> = batch
            .iter()
            .map(|p| FolderImport {
                file: p.file,
                flags: p.m.flags,
                keywords: p.m.keywords.clone(),
                internal_date: p.m.internal_date.unwrap_or_else(crate::store::now),
                uid: p.m.uid.filter(|_| keep_uids),
            })
            .collect();
        let (uv, uids) = self.store.import_into_folder(&self.account, id, &items)?;
        let kept = batch
            .iter()
            .zip(&uids)
            .filter(|(p, u)| keep_uids && p.m.uid == Some(**u))
            .count();
        let mut uidls = 0;
        if id == 1 {
            let rows: Vec<(u32, _, String)> = batch
                .iter()
                .zip(&uids)
                .filter_map(|(p, u)| Some((*u, p.file.message, p.m.uidl.clone()?)))
                .collect();
            uidls = rows.len();
            self.store.import_pop_uidls(&self.account, uv, &rows)?;
        }
        Ok((vec![true; batch.len()], kept, uidls))
    }
}
