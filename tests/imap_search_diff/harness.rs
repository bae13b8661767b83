//! The two sides of the SEARCH/SORT/THREAD differential test: our
//! answers (the store's memory backend, `popstore::imap::search` and the
//! response writers) and Dovecot's (through `search_oracle.py`), and
//! their comparison.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use popstore::imap::parse::{CommandBody, CommandReader, Limits, Outcome, SearchReturn};
use popstore::imap::search::{self, SearchContext, SearchError, ThreadAlgorithm};
use popstore::imap::types::{MONTHS, civil_from_days};
use popstore::imap::write::data;
use popstore::store::folder_name::FolderName;
use popstore::store::folders::NewMessage;
use popstore::store::groups::Actor;
use popstore::store::{AccountChanges, Folder, Settings, Store, StoreType};

use super::corpus;

/// The record framing of the oracle's files: `LEN[ HEAD]\n` + bytes + `\n`.
fn record(out: &mut Vec<u8>, head: Option<&str>, bytes: &[u8]) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    if let Some(h) = head {
        out.push(b' ');
        out.extend_from_slice(h.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(bytes);
    out.push(b'\n');
}

fn read_records(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let nl = i + data[i..].iter().position(|&b| b == b'\n').unwrap();
        let n: usize = std::str::from_utf8(&data[i..nl]).unwrap().parse().unwrap();
        out.push(data[nl + 1..nl + 1 + n].to_vec());
        i = nl + 1 + n + 1;
    }
    out
}

/// `«text»` as a LITERAL+ literal.
fn expand(program: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = program;
    while let Some(a) = rest.find('«') {
        let b = rest[a..].find('»').unwrap() + a;
        let text = &rest[a + '«'.len_utf8()..b];
        out.extend_from_slice(&rest.as_bytes()[..a]);
        out.extend_from_slice(format!("{{{}+}}\r\n{text}", text.len()).as_bytes());
        rest = &rest[b + '»'.len_utf8()..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

fn imap_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{d:02}-{}-{y} {:02}:{:02}:{:02} +0000",
        MONTHS[m as usize - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn flags_text(f: popstore_formats::folder::SystemFlags, keywords: &[String]) -> String {
    let mut v: Vec<String> = f
        .names()
        .iter()
        .map(|n| {
            let mut c = n.chars();
            let first = c.next().unwrap().to_ascii_uppercase();
            format!("\\{first}{}", c.as_str())
        })
        .collect();
    v.extend(keywords.iter().cloned());
    v.join(" ")
}

fn context<'a>(
    store: &'a Store,
    folder: &'a Folder,
    charset: Option<&'a str>,
    saved: Option<&'a [u32]>,
) -> SearchContext<'a> {
    SearchContext {
        store,
        folder,
        saved,
        charset,
        deadline: Instant::now() + Duration::from_secs(30),
    }
}

/// Our answer to one command, as the oracle writes Dovecot's.
fn ours(
    store: &Store,
    folder: &Folder,
    saved: &mut Option<Vec<u32>>,
    tag: &str,
    cmd: &[u8],
) -> Vec<u8> {
    let mut r = CommandReader::new(Limits::default());
    r.literal_plus = true;
    let input = [tag.as_bytes(), b" ", cmd, b"\r\n"].concat();
    let body = loop {
        match r.next(&input) {
            Outcome::Continue { .. } => continue,
            Outcome::Command { command, .. } => break command.body,
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(cmd)),
        }
    };
    let mut out = Vec::new();
    let result: Result<(), SearchError> = (|| {
        match body {
            CommandBody::Search {
                uid,
                charset,
                returns,
                key,
            } => {
                let seqs = search::search(
                    &context(store, folder, charset.as_deref(), saved.as_deref()),
                    &key,
                );
                let seqs = match seqs {
                    Ok(s) => s,
                    Err(e) => {
                        if returns
                            .as_ref()
                            .is_some_and(|r| r.contains(&SearchReturn::Save))
                        {
                            *saved = Some(Vec::new());
                        }
                        return Err(e);
                    }
                };
                let modseq = search::uses_modseq(&key);
                match returns {
                    None => {
                        let nums = if uid {
                            search::to_uids(folder, &seqs)
                        } else {
                            seqs.clone()
                        };
                        let m = if modseq {
                            search::highest_modseq(folder, &seqs)
                        } else {
                            None
                        };
                        data::search(&mut out, &nums, m);
                    }
                    Some(ret) => {
                        if search::esearch_wanted(&ret) {
                            let e = search::esearch_data(folder, &seqs, &ret, uid, modseq);
                            data::esearch(&mut out, tag, uid, &e);
                        }
                        if ret.contains(&SearchReturn::Save) {
                            *saved = Some(search::saved_result(folder, &seqs, &ret));
                        }
                    }
                }
            }
            CommandBody::Sort {
                uid,
                criteria,
                charset,
                key,
            } => {
                let seqs = search::sort(
                    &context(store, folder, Some(&charset), saved.as_deref()),
                    &criteria,
                    &key,
                )?;
                let nums = if uid {
                    search::to_uids(folder, &seqs)
                } else {
                    seqs
                };
                data::sort(&mut out, &nums);
            }
            CommandBody::Thread {
                uid,
                algorithm,
                charset,
                key,
            } => {
                let alg = ThreadAlgorithm::from_name(&algorithm).unwrap();
                let mut t = search::thread(
                    &context(store, folder, Some(&charset), saved.as_deref()),
                    alg,
                    &key,
                )?;
                if uid {
                    search::thread_to_uids(folder, &mut t);
                }
                data::thread(&mut out, &t);
            }
            other => panic!("{other:?}"),
        }
        Ok(())
    })();
    match result {
        Ok(()) => out.extend_from_slice(b"OK"),
        Err(SearchError::BadCharset(_)) => out.extend_from_slice(b"NO [BADCHARSET]"),
        Err(SearchError::BudgetExceeded) => out.extend_from_slice(b"NO [LIMIT]"),
        Err(SearchError::Store(_)) => out.extend_from_slice(b"NO [UNAVAILABLE]"),
    }
    out
}

/// An answer as text, without the numbers of `ignore` in SEARCH and SORT
/// lines.
fn strip(answer: &[u8], ignore: &[u32]) -> String {
    let text = String::from_utf8_lossy(answer);
    text.split_inclusive("\r\n")
        .map(|line| {
            if !(line.starts_with("* SEARCH") || line.starts_with("* SORT")) || ignore.is_empty() {
                return line.to_owned();
            }
            let body = line.trim_end_matches("\r\n");
            let kept: Vec<&str> = body
                .split(' ')
                .filter(|w| w.parse::<u32>().map_or(true, |n| !ignore.contains(&n)))
                .collect();
            kept.join(" ") + "\r\n"
        })
        .collect()
}

/// Runs `programs` on `messages` in our store and in Dovecot; the
/// differences not in `allowed`.
/// `ignore`: sequence numbers left out of SEARCH and SORT lists on both
/// sides before comparing (messages with a documented difference).
pub fn compare(
    messages: &[corpus::Entry],
    programs: &[&str],
    allowed: &[(&str, &str)],
    ignore: &[u32],
) -> Vec<String> {
    // Ours.
    let store = Store::init(
        Arc::new(popstore_platform::PosixTree::memory(1)),
        Settings::default(),
    )
    .unwrap();
    store
        .create_account(
            &Actor::Admin,
            "t",
            &AccountChanges {
                store_type: Some(StoreType::Imap),
                ..AccountChanges::default()
            },
        )
        .unwrap();
    let a = store.name("t").unwrap();
    let inbox = FolderName::new("INBOX").unwrap();
    for (bytes, flags, keywords, date) in messages {
        let m = NewMessage {
            bytes,
            flags: *flags,
            keywords: keywords.clone(),
            internal_date: Some(*date),
        };
        store.append_message(&a, &inbox, &m).unwrap();
    }
    let folder = store.open_folder(&a, &inbox).unwrap();
    let mut saved = None;
    let mine: Vec<Vec<u8>> = programs
        .iter()
        .enumerate()
        .map(|(n, p)| ours(&store, &folder, &mut saved, &format!("c{n}"), &expand(p)))
        .collect();

    // Dovecot's.
    let work = tempfile::Builder::new()
        .prefix("imap-search-dovecot-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mut msgs = Vec::new();
    for (bytes, flags, keywords, date) in messages {
        let head = format!("{}|{}", flags_text(*flags, keywords), imap_date(*date));
        record(&mut msgs, Some(&head), bytes);
    }
    std::fs::write(work.path().join("messages"), msgs).unwrap();
    let mut cmds = Vec::new();
    for p in programs {
        record(&mut cmds, None, &expand(p));
    }
    std::fs::write(work.path().join("commands"), cmds).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imap_search_diff/search_oracle.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(work.path())
        .status()
        .expect("python3 missing: install it with ci/install-deps.sh");
    assert!(
        status.success(),
        "the Dovecot oracle failed (Dovecot 2.3 is installed by ci/install-deps.sh)"
    );
    let theirs = read_records(&std::fs::read(work.path().join("answers")).unwrap());
    assert_eq!(theirs.len(), programs.len());

    let mut failures = Vec::new();
    for (i, p) in programs.iter().enumerate() {
        let (m, t) = (strip(&mine[i], ignore), strip(&theirs[i], ignore));
        if m == t {
            continue;
        }
        match allowed.iter().find(|a| a.0 == *p) {
            Some((_, why)) => {
                eprintln!("allowed difference for {p}: ours {m:?}, Dovecot {t:?} ({why})")
            }
            None => failures.push(format!("{p}\n  ours:    {m:?}\n  Dovecot: {t:?}")),
        }
    }
    failures
}
