//! What Maildir servers keep beside the messages: Dovecot's
//! `dovecot-uidlist` (versions 1 and 3, with the `P` POP3 UIDL field) and
//! `dovecot-keywords`, Courier's `courierimapuiddb` and
//! `courierpop3dsizelist`.
//!
//! Each maps a message file's base name (the name before `:2,`) to its
//! UID and, when the server kept one, its POP3 UIDL. A UID given twice or
//! a UIDVALIDITY of 0 is reported and not kept (the message gets a new
//! UID; a folder without a valid UIDVALIDITY gets a new one).

use std::collections::{HashMap, HashSet};

use super::Problem;

/// One message's entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Its UID.
    pub uid: Option<u32>,
    /// Its POP3 UIDL, when the server recorded one.
    pub uidl: Option<String>,
}

/// A folder's UID list.
#[derive(Debug, Clone, Default)]
pub struct UidList {
    /// UIDVALIDITY (non-zero).
    pub uidvalidity: Option<u32>,
    /// By base name.
    pub files: HashMap<String, Known>,
}

/// The base name of a Maildir file name: up to `:` (or `;`, as some
/// servers write on file systems without `:`).
pub fn base_name(name: &str) -> &str {
    name.split([':', ';']).next().unwrap_or(name)
}

fn uidvalidity(v: Option<u32>, file: &str, problems: &mut Vec<Problem>) -> Option<u32> {
    match v {
        Some(v) if v != 0 => Some(v),
        _ => {
            problems.push(Problem::new(
                file,
                "UIDVALIDITY missing or 0: the folder gets a new one",
            ));
            None
        }
    }
}

/// Adds `uid` for `base` unless the UID or the file was given already.
fn add(
    l: &mut UidList,
    used: &mut HashSet<u32>,
    base: &str,
    known: Known,
    file: &str,
    problems: &mut Vec<Problem>,
) {
    if let Some(u) = known.uid
        && (u == 0 || !used.insert(u))
    {
        problems.push(Problem::new(
            file,
            format!("UID {u} given twice (or 0), to {base} too: that message gets a new UID"),
        ));
        let known = Known { uid: None, ..known };
        l.files.entry(base.to_string()).or_insert(known);
        return;
    }
    if l.files.contains_key(base) {
        problems.push(Problem::new(
            file,
            format!("{base} listed twice: the first entry kept"),
        ));
        return;
    }
    l.files.insert(base.to_string(), known);
}

/// Parses a `dovecot-uidlist` (`file` names it in problems).
pub fn dovecot(text: &str, file: &str, problems: &mut Vec<Problem>) -> UidList {
    let mut l = UidList::default();
    let mut lines = text.lines();
    let Some(head) = lines.next() else {
        return l;
    };
    let w: Vec<&str> = head.split_whitespace().collect();
    let v3 = w.first() == Some(&"3");
    let uv = if v3 {
        w.iter()
            .find_map(|t| t.strip_prefix('V'))
            .and_then(|x| x.parse().ok())
    } else if w.first() == Some(&"1") || w.first() == Some(&"2") {
        w.get(1).and_then(|x| x.parse().ok())
    } else {
        problems.push(Problem::new(
            file,
            format!("unknown header {head:?}: not used"),
        ));
        return l;
    };
    l.uidvalidity = uidvalidity(uv, file, problems);
    let mut used = HashSet::new();
    for line in lines {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let (uid, rest) = line.split_once(' ').unwrap_or((line, ""));
        let Ok(uid) = uid.parse::<u32>() else {
            problems.push(Problem::new(
                file,
                format!("line {line:?} not understood: left out"),
            ));
            continue;
        };
        let mut known = Known {
            uid: Some(uid),
            uidl: None,
        };
        let name = if v3 {
            // "UID [Xvalue ...] :filename"
            let Some((ext, name)) = rest.split_once(':') else {
                problems.push(Problem::new(
                    file,
                    format!("line {line:?} has no file name"),
                ));
                continue;
            };
            for t in ext.split_whitespace() {
                if let Some(p) = t.strip_prefix('P') {
                    known.uidl = Some(p.to_string());
                }
            }
            name
        } else {
            rest
        };
        add(
            &mut l,
            &mut used,
            base_name(name.trim()),
            known,
            file,
            problems,
        );
    }
    l
}

/// Parses Courier's `courierimapuiddb`: `1 UIDVALIDITY NEXTUID`, then
/// `UID FILENAME` lines.
pub fn courier_imap(text: &str, file: &str, problems: &mut Vec<Problem>) -> UidList {
    let mut l = UidList::default();
    let mut lines = text.lines();
    let Some(head) = lines.next() else {
        return l;
    };
    let w: Vec<&str> = head.split_whitespace().collect();
    if w.first() != Some(&"1") {
        problems.push(Problem::new(
            file,
            format!("unknown header {head:?}: not used"),
        ));
        return l;
    }
    l.uidvalidity = uidvalidity(w.get(1).and_then(|x| x.parse().ok()), file, problems);
    let mut used = HashSet::new();
    for line in lines {
        let Some((a, b)) = line.trim_end().split_once(' ') else {
            continue;
        };
        let (uid, name) = match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(u), _) => (u, b),
            (_, Ok(u)) => (u, a),
            _ => continue,
        };
        add(
            &mut l,
            &mut used,
            base_name(name),
            Known {
                uid: Some(uid),
                uidl: None,
            },
            file,
            problems,
        );
    }
    l
}

/// Parses Courier's `courierpop3dsizelist`: version 2 (`/2 NEXTUID
/// UIDVALIDITY`, then `FILENAME SIZE UID:UIDVALIDITY`) gives the UIDL
/// `UID<uid>-<uidvalidity>`; version 1 (`FILENAME SIZE` lines) the file
/// name: the UIDLs Courier's POP3 server showed (the forms Dovecot's
/// migration notes give for `pop3_uidl_format`).
pub fn courier_pop3(
    text: &str,
    file: &str,
    problems: &mut Vec<Problem>,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.starts_with('/') {
            if !line.starts_with("/2 ") {
                problems.push(Problem::new(
                    file,
                    format!("unknown version {line:?}: not used"),
                ));
                return out;
            }
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let Some(name) = w.first() else { continue };
        let uidl = match w.get(2).and_then(|t| t.split_once(':')) {
            Some((u, v)) => format!("UID{u}-{v}"),
            None => base_name(name).to_string(),
        };
        out.insert(base_name(name).to_string(), uidl);
    }
    out
}

/// Parses `dovecot-keywords`: `N name` lines; file-name letter `a` is 0.
pub fn dovecot_keywords(text: &str) -> HashMap<char, String> {
    text.lines()
        .filter_map(|l| {
            let (n, name) = l.split_once(' ')?;
            let n: u8 = n.parse().ok()?;
            (n < 26).then(|| ((b'a' + n) as char, name.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_v3_with_pop3_uidls() {
        let mut p = Vec::new();
        let l = dovecot(
            "3 V1700000000 N4 G0123\n1 :1.M1.host\n2 P0000abcd W120 :2.M2.host\n2 :3.M3.host\n",
            "f",
            &mut p,
        );
        assert_eq!(l.uidvalidity, Some(1_700_000_000));
        assert_eq!(l.files["1.M1.host"].uid, Some(1));
        assert_eq!(l.files["2.M2.host"].uidl.as_deref(), Some("0000abcd"));
        assert_eq!(l.files["3.M3.host"].uid, None, "duplicate UID dropped");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn dovecot_v1_and_zero_uidvalidity() {
        let mut p = Vec::new();
        let l = dovecot("1 0 3\n1 a.host\n2 b.host:2,S\n", "f", &mut p);
        assert_eq!(l.uidvalidity, None);
        assert_eq!(l.files["b.host"].uid, Some(2));
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn courier_files() {
        let mut p = Vec::new();
        let l = courier_imap("1 99 3\n1 a.host\n2 b.host\n", "f", &mut p);
        assert_eq!((l.uidvalidity, l.files["b.host"].uid), (Some(99), Some(2)));
        let u = courier_pop3("/2 3 99\na.host:2,S 120 1:99\n", "f", &mut p);
        assert_eq!(u["a.host"], "UID1-99");
        assert!(p.is_empty());
    }
}
