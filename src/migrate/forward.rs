//! `--forward`: where the old mailbox of a migrated user should now send
//! mail, recorded as PMDF's utility did: a `.forward` file in the system
//! user's home directory (`dotforward`), or a line for the MTA's alias
//! file (`aliases`: appended to the file given, else shown in the report
//! for the administrator to add, then `newaliases`).

use std::io::Write;
use std::path::Path;

/// How the forwarding is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// `~USER/.forward` holding the new address.
    Dotforward,
    /// `USER: address` in an aliases file.
    Aliases,
}

/// The home directory, uid and gid of system user `user` (from
/// `passwd_file`, normally `/etc/passwd`).
fn system_user(passwd_file: &Path, user: &str) -> Option<(String, u32, u32)> {
    let t = std::fs::read_to_string(passwd_file).ok()?;
    t.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[0] == user)
            .then(|| Some((f[5].to_string(), f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// Records that `user`'s mail now goes to `address`; gives what was done
/// (for the report), or why nothing was.
pub fn record(
    style: Style,
    user: &str,
    address: &str,
    aliases_file: Option<&Path>,
    passwd_file: &Path,
) -> Result<String, String> {
    match style {
        Style::Aliases => {
            let line = format!("{user}: {address}\n");
            let Some(f) = aliases_file else {
                return Ok(format!("alias line to add: {}", line.trim_end()));
            };
            let mut h = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(f)
                .map_err(|e| format!("{}: {e}", f.display()))?;
            h.write_all(line.as_bytes())
                .and_then(|()| h.sync_data())
                .map_err(|e| format!("{}: {e}", f.display()))?;
            Ok(format!("{}: {}", f.display(), line.trim_end()))
        }
        Style::Dotforward => {
            let (home, uid, gid) = system_user(passwd_file, user)
                .ok_or_else(|| format!("no system user {user}: no .forward written"))?;
            let path = Path::new(&home).join(".forward");
            let want = format!("{address}\n");
            match std::fs::read_to_string(&path) {
                Ok(t) if t == want => return Ok(format!("{} (already)", path.display())),
                Ok(_) => {
                    return Err(format!(
                        "{} exists with other contents: left alone",
                        path.display()
                    ));
                }
                Err(_) => {}
            }
            std::fs::write(&path, want).map_err(|e| format!("{}: {e}", path.display()))?;
            // The MTA reads it as the user: theirs, not writable by others.
            let _ = std::os::unix::fs::chown(&path, Some(uid), Some(gid));
            Ok(path.display().to_string())
        }
    }
}
