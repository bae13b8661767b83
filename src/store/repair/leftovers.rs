//! Leftovers of interrupted writes: the temporary files of the store's own
//! making that a crash left behind (a replace or an exclusive create cut
//! short before its rename or link).

use std::time::Duration;

use popstore_platform::{DirPath, Entry, ErrorKind};

use crate::store::engine::Store;

impl Store {
    /// Removes the store's own temporary files older than `older_than` in
    /// every directory of every root (younger ones may be writes in
    /// progress), and returns one line per file removed or directory that
    /// could not be cleaned. `serve` runs it at start-up, repair first of
    /// all. Nothing but such files is ever touched.
    pub fn remove_leftovers(&self, older_than: Duration) -> Vec<String> {
        let mut out = Vec::new();
        for root in 0..self.fs.roots() {
            self.leftovers_in(&DirPath::root(root), older_than, &mut out);
        }
        out
    }

    fn leftovers_in(&self, dir: &DirPath, older_than: Duration, out: &mut Vec<String>) {
        let shown = self.fs.display_dir(dir);
        match self.fs.remove_temporaries(dir, older_than) {
            Ok(names) => out.extend(
                names
                    .into_iter()
                    .map(|n| format!("{}: removed leftover temporary file", within(&shown, &n))),
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            Err(e) => out.push(format!("{shown}: leftovers not cleaned: {e}")),
        }
        let Ok(entries) = self.fs.list(dir) else {
            return;
        };
        for e in entries {
            match e {
                Entry::Dir(d) => self.leftovers_in(&dir.child(d), older_than, out),
                // The `_NEW` replacement names of SPEC.md 14.4's first
                // edition: no version of the engine writes them any more,
                // so any one found is a leftover, whatever its age.
                Entry::File { name, ftype }
                    if ftype
                        .as_str()
                        .ends_with(popstore_formats::layout::types::TEMP_SUFFIX) =>
                {
                    let path = dir.file(name, ftype);
                    match self.fs.remove(&path) {
                        Ok(()) => out.push(format!(
                            "{}: removed leftover temporary file",
                            self.fs.display(&path)
                        )),
                        Err(e) => out.push(format!("{}: not removed: {e}", self.fs.display(&path))),
                    }
                }
                Entry::File { .. } => {}
            }
        }
    }
}

/// A host name inside a directory as the host spells it (`dir/name`, or
/// `DEV:[DIR]name` on OpenVMS).
fn within(dir: &str, name: &str) -> String {
    if dir.ends_with(']') || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}
