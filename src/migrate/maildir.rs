//! Maildir and Maildir++: INBOX is the directory itself, `.a.b` beside
//! `cur/` is folder `a/b` (names in modified UTF-7, as Dovecot and
//! Courier write them). Flags come from the file names (`:2,DFPRST` and
//! Dovecot's keyword letters `a`-`z` through `dovecot-keywords`); UIDs,
//! UIDVALIDITY and POP3 UIDLs from `dovecot-uidlist`, else
//! `courierimapuiddb` and `courierpop3dsizelist` ([`super::uidlist`]).
//! The internal date is the file's modification time, as Dovecot keeps
//! it. Files are read when migrated: one that vanishes meanwhile is
//! reported and the run goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use popstore_formats::folder::SystemFlags;

use super::uidlist::{self, UidList, base_name};
use super::{Body, Problem, SourceMessage};
use crate::store::folder_name::FolderName;

/// One folder of a Maildir.
#[derive(Debug)]
pub struct MaildirFolder {
    /// Its name (stored form: UTF-8, `/` between levels; `INBOX`).
    pub name: String,
    /// Its directory.
    pub path: PathBuf,
    /// Its UIDVALIDITY, when the server's UID list has a valid one.
    pub uidvalidity: Option<u32>,
    /// Its messages, known UIDs first in ascending order.
    pub messages: Vec<SourceMessage>,
}

/// Whether `p` is a Maildir (has `cur/` or `new/`).
pub fn is_maildir(p: &Path) -> bool {
    p.join("cur").is_dir() || p.join("new").is_dir()
}

/// The folders of the Maildir at `root`: INBOX first, then the Maildir++
/// subfolders by name.
pub fn folders(root: &Path, problems: &mut Vec<Problem>) -> Vec<(String, PathBuf)> {
    let mut out = vec![("INBOX".to_string(), root.to_path_buf())];
    let mut subs = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            let Some(inner) = n.strip_prefix('.') else {
                continue;
            };
            if inner.is_empty() || inner == "." || !is_maildir(&e.path()) {
                continue;
            }
            let utf7 = inner.replace('.', "/");
            match FolderName::from_utf7(&utf7).or_else(|_| FolderName::new(&utf7)) {
                Ok(f) if !f.is_inbox() => subs.push((f.as_str().to_string(), e.path())),
                Ok(_) => problems.push(Problem::new(
                    e.path().display().to_string(),
                    "a subfolder named INBOX: left out",
                )),
                Err(err) => problems.push(Problem::new(
                    e.path().display().to_string(),
                    format!("not a usable folder name: {err}"),
                )),
            }
        }
    }
    subs.sort();
    out.extend(subs);
    out
}

fn read_text(p: &Path) -> Option<String> {
    std::fs::read(p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The UID list of a folder directory: Dovecot's, else Courier's.
fn uid_list(dir: &Path, problems: &mut Vec<Problem>) -> UidList {
    let d = dir.join("dovecot-uidlist");
    if let Some(t) = read_text(&d) {
        return uidlist::dovecot(&t, &d.display().to_string(), problems);
    }
    let c = dir.join("courierimapuiddb");
    if let Some(t) = read_text(&c) {
        return uidlist::courier_imap(&t, &c.display().to_string(), problems);
    }
    UidList::default()
}

/// Flags and keywords of a file name's `:2,` part.
fn flags_of(name: &str, keywords: &HashMap<char, String>) -> (SystemFlags, Vec<String>) {
    let mut f = SystemFlags::default();
    let mut k = Vec::new();
    let Some(info) = name
        .split_once(":2,")
        .or_else(|| name.split_once(";2,"))
        .map(|x| x.1)
    else {
        return (f, k);
    };
    for c in info.chars() {
        match c {
            'D' => f = f | SystemFlags::DRAFT,
            'F' => f = f | SystemFlags::FLAGGED,
            'P' => k.push("$Forwarded".to_string()),
            'R' => f = f | SystemFlags::ANSWERED,
            'S' => f = f | SystemFlags::SEEN,
            'T' => f = f | SystemFlags::DELETED,
            c if c.is_ascii_lowercase() => {
                if let Some(w) = keywords.get(&c) {
                    k.push(w.clone());
                }
            }
            _ => {}
        }
    }
    (f, k)
}

/// Reads folder `name` at `dir`; `uidl_format` derives POP3 UIDLs the
/// server did not record (Dovecot's `pop3_uidl_format`).
pub fn read_folder(
    name: &str,
    dir: &Path,
    uidl_format: &str,
    problems: &mut Vec<Problem>,
) -> MaildirFolder {
    let list = uid_list(dir, problems);
    let keywords = read_text(&dir.join("dovecot-keywords"))
        .map(|t| uidlist::dovecot_keywords(&t))
        .unwrap_or_default();
    let pop = if name == "INBOX" {
        let p = dir.join("courierpop3dsizelist");
        read_text(&p)
            .map(|t| uidlist::courier_pop3(&t, &p.display().to_string(), problems))
            .unwrap_or_default()
    } else {
        HashMap::new()
    };
    let mut found: Vec<(Option<u32>, i64, String, SourceMessage)> = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let fname = e.file_name().to_string_lossy().to_string();
            if fname.starts_with('.') {
                continue;
            }
            let path = e.path();
            let meta = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => m,
                Ok(_) => continue,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    problems.push(Problem::new(
                        path.display().to_string(),
                        "vanished during the run (moved or removed by the old server): \
                         not migrated; run again to pick it up under its new name",
                    ));
                    continue;
                }
                Err(err) => {
                    problems.push(Problem::new(
                        path.display().to_string(),
                        format!("cannot read: {err}"),
                    ));
                    continue;
                }
            };
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            let base = base_name(&fname).to_string();
            let (flags, kw) = if sub == "new" {
                (SystemFlags::default(), Vec::new())
            } else {
                flags_of(&fname, &keywords)
            };
            let known = list.files.get(&base).cloned().unwrap_or_default();
            let uid = known.uid.filter(|_| list.uidvalidity.is_some());
            let mut m = SourceMessage::new(Body::File(path.clone()), path.display().to_string());
            m.flags = flags;
            m.keywords = kw;
            m.internal_date = mtime;
            m.uid = uid;
            m.uidl = known.uidl.or_else(|| pop.get(&base).cloned()).or_else(|| {
                super::uidl_from_format(uidl_format, uid, list.uidvalidity, Some(&base))
            });
            m.key = Some(format!("maildir:{base}"));
            found.push((uid, mtime.unwrap_or(0), base, m));
        }
    }
    // Known UIDs ascending, then the others by time and name.
    found.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => (a.1, &a.2).cmp(&(b.1, &b.2)),
    });
    MaildirFolder {
        name: name.to_string(),
        path: dir.to_path_buf(),
        uidvalidity: list.uidvalidity,
        messages: found.into_iter().map(|x| x.3).collect(),
    }
}

/// Where a message file listed at `path` is now, when the old server
/// renamed it meanwhile (new/ to cur/, a flag change): the file with the
/// same base name in `cur/` or `new/`.
pub fn renamed(path: &Path) -> Option<PathBuf> {
    let base = base_name(path.file_name()?.to_str()?).to_string();
    let folder = path.parent()?.parent()?;
    ["cur", "new"].iter().find_map(|sub| {
        std::fs::read_dir(folder.join(sub))
            .ok()?
            .flatten()
            .find_map(|e| {
                let n = e.file_name();
                (base_name(n.to_str()?) == base).then(|| e.path())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_names() {
        let k: HashMap<char, String> = [('a', "$Label1".to_string())].into();
        let (f, kw) = flags_of("123.M1.host,S=10:2,FRSa", &k);
        assert_eq!(
            f,
            SystemFlags::FLAGGED | SystemFlags::ANSWERED | SystemFlags::SEEN
        );
        assert_eq!(kw, ["$Label1"]);
        assert_eq!(flags_of("1.host", &k).0, SystemFlags::default());
    }
}
