//! What the sync clients leave behind and what the server holds, in one
//! shape to compare: folder -> list of (message bytes, flags as Maildir
//! letters), sorted. The server's side is read with imapclient.
#![allow(dead_code)] // each test file uses part of it

use std::collections::BTreeMap;
use std::path::Path;

use super::served::python;

/// Folder name -> sorted (bytes, Maildir flag letters); the bytes as
/// Latin-1 text (one char per byte: exact, and readable when a test fails).
pub type State = BTreeMap<String, Vec<(String, String)>>;

/// Bytes as Latin-1 text, one char per byte.
pub fn text(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// The messages of one Maildir folder (`cur` and `new`) in the server's
/// form ([`canon`]), with the flag letters of their file names.
pub fn read_maildir(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let flags = name.split_once(":2,").map(|x| x.1).unwrap_or("");
            let mut f: Vec<char> = flags.chars().collect();
            f.sort();
            let body = canon(&text(&std::fs::read(e.path()).unwrap()));
            out.push((body, f.into_iter().collect()));
        }
    }
    out.sort();
    out
}

/// The file names under `dir`, recursively (to see that a run renamed,
/// added or removed nothing).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            out.push(e.path().strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

const REMOTE_STATE: &str = r#"
import json, sys
from imapclient import IMAPClient
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login(sys.argv[2], sys.argv[2] + "-pw")
letters = {b"\\Draft": "D", b"\\Flagged": "F", b"\\Answered": "R", b"\\Seen": "S", b"\\Deleted": "T"}
out = {}
for flags, delim, name in c.list_folders():
    if b"\\Noselect" in flags or b"\\NonExistent" in flags:
        continue
    n = c.select_folder(name, readonly=True)[b"EXISTS"]
    msgs = []
    c.use_uid = False
    got = c.fetch(list(range(1, n + 1)), ["UID", "FLAGS", "BODY.PEEK[]"]) if n else {}
    c.use_uid = True
    for seq, d in sorted(got.items()):
        uid = d[b"UID"]
        f = "".join(sorted(letters[x] for x in d[b"FLAGS"] if x in letters))
        msgs.append([uid, d[b"BODY[]"].decode("latin-1"), f])
    out[name] = msgs
c.logout()
print(json.dumps(out))
"#;

/// The server's folders (selectable ones), read over IMAP as `user`; the
/// messages without the trace fields of their delivery ([`strip_trace`]).
pub fn remote_state(port: u16, user: &str) -> State {
    let v = python(REMOTE_STATE, &[port.to_string(), user.to_string()]);
    let mut out = State::new();
    for (folder, msgs) in v.as_object().unwrap() {
        let mut list: Vec<(String, String)> = msgs
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    strip_trace(m[1].as_str().unwrap()).to_string(),
                    m[2].as_str().unwrap().to_string(),
                )
            })
            .collect();
        list.sort();
        out.insert(folder.clone(), list);
    }
    out
}

/// Runs a program; panics with its output unless it exits 0. Its
/// standard output and error, joined.
pub fn run(cmd: &mut std::process::Command) -> String {
    let o = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Takes off the trace fields on top of a message: `Return-Path:` lines
/// (final delivery's, and getmail's own `Return-Path: <unknown>`) and
/// popstore's `Received:` field with its folded lines (README.md "Trace
/// headers"; tests/common/trace.rs checks their form). Delivery over LMTP
/// adds them; what follows must be the bytes that were sent. A message
/// without them is returned as it is.
pub fn strip_trace(stored: &str) -> &str {
    let mut rest = stored;
    while rest.starts_with("Return-Path: ") {
        rest = rest.split_once('\n').map_or("", |x| x.1);
    }
    if rest.starts_with("Received: ") {
        // The field: its first line and the folded ones.
        let mut end = 0;
        for (i, line) in rest.split_inclusive('\n').enumerate() {
            if i > 0 && !line.starts_with(['\t', ' ']) {
                break;
            }
            end += line.len();
        }
        if rest[..end].contains("(popstore)") {
            rest = &rest[end..];
        }
    }
    rest
}

/// A message as a client stored it, back in the server's form for
/// comparison: mbsync's `X-TUID:` marker header (its own bookkeeping) is
/// removed, and Unix line ends (mbsync, offlineimap, getmail and fetchmail
/// store or hand on mail that way) become CRLF again. Nothing else may
/// differ.
pub fn canon(stored: &str) -> String {
    let stored = strip_trace(stored);
    // The header with the line end of its last line; the rest.
    let (head, body) = match stored.find("\r\n\r\n") {
        Some(i) => stored.split_at(i + 2),
        None => match stored.find("\n\n") {
            Some(i) => stored.split_at(i + 1),
            None => (stored, ""),
        },
    };
    let head: String = head
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("X-TUID: "))
        .collect();
    let s = format!("{head}{body}");
    if s.contains("\r\n") {
        s
    } else {
        s.replace('\n', "\r\n")
    }
}
