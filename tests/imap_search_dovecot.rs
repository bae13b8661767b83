//! Differential test: SEARCH, SORT and THREAD (`popstore::imap::search`
//! and the response writers) against Dovecot 2.3.
//!
//! The corpus of `tests/imap_search_diff/corpus.rs` is appended, with the
//! same flags, keywords and INTERNALDATEs, to our store (memory backend)
//! and, by `tests/imap_search_diff/search_oracle.py`, to a private Dovecot
//! on loopback. Every program of [`PROGRAMS`] runs on both; the response
//! lines (SEARCH, ESEARCH, SORT, THREAD, and the tagged status with its
//! response code) must be equal byte for byte, except for the programs of
//! [`ALLOWED`], where the difference is listed and justified.

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

#[path = "imap_search_diff/corpus.rs"]
mod corpus;

/// The programs, without tag; `«text»` becomes a LITERAL+ literal of the
/// text's UTF-8 bytes.
const PROGRAMS: &[&str] = &[
    "SEARCH ALL",
    "SEARCH SEEN",
    "SEARCH UNSEEN",
    "SEARCH ANSWERED",
    "SEARCH UNANSWERED",
    "SEARCH FLAGGED",
    "SEARCH DELETED",
    "SEARCH UNDELETED",
    "SEARCH DRAFT",
    "SEARCH UNDRAFT",
    "SEARCH KEYWORD $Work",
    "SEARCH UNKEYWORD $Work",
    "SEARCH KEYWORD nosuch",
    "SEARCH OLD",
    "SEARCH RECENT",
    "SEARCH NEW",
    "SEARCH LARGER 5000",
    "SEARCH SMALLER 300",
    "SEARCH 2,4:5",
    "SEARCH *",
    "SEARCH 7:*",
    "SEARCH 100",
    "SEARCH UID 2:3",
    "SEARCH UID 100:*",
    "UID SEARCH NOT SEEN",
    "SEARCH OR SEEN FLAGGED",
    "SEARCH (SEEN FROM bob)",
    "SEARCH OR (SEEN ANSWERED) OR DRAFT 9",
    "SEARCH NOT (OR FROM alice FROM bob)",
    "SEARCH ON 2-Jan-2021",
    "SEARCH SINCE 1-Jan-2021",
    "SEARCH BEFORE 1-Jan-2020",
    "SEARCH SINCE 5-Feb-2020 BEFORE 7-Feb-2020",
    "SEARCH SENTON 1-Jan-2021",
    "SEARCH SENTSINCE 2-Jan-2021",
    "SEARCH SENTBEFORE 4-Feb-2020",
    "SEARCH SENTON 9-Feb-2020",
    "SEARCH SENTON 31-Dec-2019",
    "SEARCH SENTON 1-Jan-1970",
    "SEARCH SENTSINCE 1-Jan-2019",
    "SEARCH FROM alice",
    "SEARCH FROM \"alice example\"",
    "SEARCH FROM BOB@EXAMPLE.NET",
    "SEARCH FROM \"\\\"Alice Example\\\" <alice@\"",
    "SEARCH FROM \"<bob@\"",
    "SEARCH TO \"recipients;\"",
    "SEARCH CHARSET UTF-8 FROM «Élody <elody»",
    "SEARCH TO \"recipients:;\"",
    "SEARCH TO \"Bob <bob\"",
    "SEARCH CC \"Dave <dave@\"",
    "SEARCH HEADER From \"Bob <bob\"",
    "SEARCH TO alice",
    "SEARCH CC dave",
    "SEARCH BCC dave",
    "SEARCH SUBJECT lunch",
    "SEARCH SUBJECT greetings",
    "SEARCH SUBJECT \"plans (fwd)\"",
    "SEARCH HEADER X-Tracking \"\"",
    "SEARCH HEADER x-tracking ABC-1",
    "SEARCH HEADER Message-ID \"\"",
    "SEARCH HEADER In-Reply-To missing",
    "SEARCH BODY lunch",
    "SEARCH BODY \"is fine\"",
    "SEARCH BODY \"see my cv\"",
    "SEARCH BODY secretword",
    "SEARCH TEXT secretword",
    "SEARCH BODY \"inner body\"",
    "SEARCH TEXT \"Inner secret\"",
    "SEARCH TEXT lunch",
    "SEARCH TEXT \"Alice Example\"",
    "SEARCH TEXT zzzzzzzz",
    "SEARCH CHARSET UTF-8 SUBJECT «résumé»",
    "SEARCH CHARSET UTF-8 SUBJECT «RÉSUMÉ»",
    "SEARCH CHARSET UTF-8 BODY «café»",
    "SEARCH CHARSET UTF-8 BODY «grüße»",
    "SEARCH CHARSET UTF-8 TEXT «naïve»",
    "SEARCH CHARSET UTF-8 FROM «élody»",
    "SEARCH CHARSET UTF-8 TO «Jürgen»",
    "SEARCH CHARSET X-BOGUS-9 BODY x",
    "SEARCH RETURN (MIN MAX COUNT) UNSEEN",
    "SEARCH RETURN () UNSEEN",
    "UID SEARCH RETURN (ALL) UNSEEN",
    "SEARCH RETURN (COUNT) FROM nobody",
    "SEARCH RETURN (MIN) FROM nobody",
    "SEARCH RETURN (SAVE) FLAGGED",
    "SEARCH $",
    "SEARCH RETURN (SAVE MIN) UNSEEN",
    "UID SEARCH UID $",
    "SEARCH RETURN (SAVE COUNT) SEEN",
    "SEARCH OR $ FLAGGED",
    "SORT (ARRIVAL) UTF-8 ALL",
    "SORT (DATE) UTF-8 ALL",
    "SORT (REVERSE DATE) UTF-8 ALL",
    "SORT (SUBJECT) UTF-8 ALL",
    "SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
    "SORT (FROM) UTF-8 ALL",
    "SORT (REVERSE FROM) US-ASCII ALL",
    "SORT (TO) UTF-8 ALL",
    "SORT (CC) UTF-8 ALL",
    "SORT (SIZE) UTF-8 ALL",
    "SORT (DISPLAYFROM) UTF-8 ALL",
    "SORT (DISPLAYTO) UTF-8 ALL",
    "SORT (REVERSE SIZE) UTF-8 UNDELETED",
    "UID SORT (SUBJECT) UTF-8 SUBJECT lunch",
    "THREAD REFERENCES UTF-8 ALL",
    "UID THREAD REFERENCES UTF-8 ALL",
    "THREAD ORDEREDSUBJECT UTF-8 ALL",
    "THREAD REFERENCES UTF-8 NOT 1",
    "THREAD REFERENCES UTF-8 SUBJECT greetings",
    "THREAD ORDEREDSUBJECT UTF-8 SUBJECT greetings",
    "THREAD REFERENCES UTF-8 100",
];

/// Programs whose answers may differ, and why.
const ALLOWED: &[(&str, &str)] = &[
    (
        "SEARCH RECENT",
        "this store keeps no \\Recent (RFC 9051 removed it; RFC 3501 allows a server \
         where no message is ever recent); Dovecot gives every message to the session \
         that selects first",
    ),
    ("SEARCH NEW", "NEW is RECENT UNSEEN: as SEARCH RECENT"),
    ("SEARCH OLD", "OLD is NOT RECENT: as SEARCH RECENT"),
    (
        "SEARCH SENTBEFORE 4-Feb-2020",
        "message 9 has no Date header: RFC 3501/9051 compare the Date header, so a \
         message without one has no sent date to be before anything; Dovecot reads \
         the missing date as 1-Jan-1970",
    ),
    (
        "SEARCH SENTON 1-Jan-1970",
        "as SEARCH SENTBEFORE 4-Feb-2020",
    ),
    (
        "THREAD REFERENCES UTF-8 100",
        "no match: RFC 5256's grammar is `\"THREAD\" [SP 1*thread-list]`, so the \
         line is `* THREAD` without a space; Dovecot sends `* THREAD ` (a trailing SP)",
    ),
];

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
fn compare(
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

#[test]
fn search_sort_thread_match_dovecot() {
    let messages: Vec<corpus::Entry> = corpus::corpus()
        .into_iter()
        .chain(corpus::extras())
        .collect();
    let failures = compare(&messages, PROGRAMS, ALLOWED, &[]);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The programs run over the MIME corpus of `tests/mime-corpus/`.
const MIME_PROGRAMS: &[&str] = &[
    "SEARCH SUBJECT test",
    "SEARCH SUBJECT \"lots of spaces\"",
    "SEARCH FROM example",
    "SEARCH TO addr",
    "SEARCH CC many",
    "SEARCH HEADER Content-Type multipart",
    "SEARCH HEADER MIME-Version \"\"",
    "SEARCH BODY inner",
    "SEARCH BODY outer",
    "SEARCH BODY html",
    "SEARCH BODY attachment",
    "SEARCH BODY data",
    "SEARCH BODY first",
    "SEARCH TEXT inner",
    "SEARCH TEXT boundary",
    "SEARCH TEXT octet",
    "SEARCH CHARSET UTF-8 BODY «café»",
    "SEARCH CHARSET UTF-8 TEXT «é»",
    "SEARCH SENTBEFORE 1-Jan-2010",
    "SEARCH SENTSINCE 1-Jan-2010",
    "SEARCH SENTON 6-Nov-1994",
    "SEARCH LARGER 2000",
    "SEARCH BODY soft",
    "SEARCH BODY break",
    "SEARCH BODY plain",
    "SEARCH BODY part",
    "SEARCH BODY note",
    "SEARCH TEXT note",
    "SEARCH TEXT filename",
    "SEARCH BODY \"line 2\"",
    "SEARCH BODY x",
    "SEARCH BODY y",
    "SEARCH BODY =",
    "SEARCH TEXT \"=?\"",
    "SEARCH CHARSET UTF-8 SUBJECT «é»",
    "SEARCH CHARSET UTF-8 BODY «é»",
    "SEARCH CHARSET UTF-8 FROM «é»",
    "SEARCH SUBJECT \"lots of spaces\"",
    "SEARCH SUBJECT \"tab here\"",
    "SEARCH SUBJECT \"say \\\"hi\\\"\"",
    "SEARCH HEADER Subject \"\"",
    "SEARCH HEADER X-Nothing \"\"",
    "SEARCH HEADER Content-Transfer-Encoding base64",
    "SEARCH NOT HEADER Content-Type \"\"",
    "SEARCH TO group",
    "SEARCH FROM missing_domain",
    "SEARCH FROM \"<\"",
    "SEARCH CC \";\"",
    "SORT (SUBJECT) UTF-8 ALL",
    "SORT (DATE) UTF-8 ALL",
    "SORT (FROM) UTF-8 ALL",
    "SORT (TO) UTF-8 ALL",
    "SORT (CC) UTF-8 ALL",
    "SORT (DISPLAYFROM) UTF-8 ALL",
    "SORT (DISPLAYTO) UTF-8 ALL",
    "SORT (SIZE) UTF-8 ALL",
    "THREAD REFERENCES UTF-8 ALL",
    "THREAD ORDEREDSUBJECT UTF-8 ALL",
];

/// Differences allowed on the MIME corpus, and why.
const MIME_ALLOWED: &[(&str, &str)] = &[(
    "SEARCH SENTBEFORE 1-Jan-2010",
    "the messages without a Date header: no sent date to compare for us (RFC 3501 \
     compares the Date header), 1-Jan-1970 for Dovecot",
)];

#[test]
fn mime_corpus_matches_dovecot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mime-corpus");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    let base = corpus::at(2020, 1, 1, 0, 0);
    let messages: Vec<corpus::Entry> = names
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let raw = std::fs::read(p).unwrap();
            // The bytes as stored (CRLF), so that both servers hold the same.
            let stored = popstore::mime::canonicalize(&raw).into_owned();
            (
                stored,
                Default::default(),
                Vec::new(),
                base + i as i64 * 3600,
            )
        })
        .collect();
    // Message 100 (`100-addr-spaces-around-dots`): its addresses are
    // `first . last @ example . org`, which RFC 5322 4.4 reads as
    // first.last@example.org and Dovecot as a display name with
    // MISSING_MAILBOX/MISSING_DOMAIN (the ENVELOPE exception of
    // tests/mime_dovecot.rs): FROM/TO/CC searches and sorts place it
    // differently.
    let ignore = [names
        .iter()
        .position(|p| p.ends_with("100-addr-spaces-around-dots.eml"))
        .unwrap() as u32
        + 1];
    let failures = compare(&messages, MIME_PROGRAMS, MIME_ALLOWED, &ignore);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A generated corpus for THREAD: 300 messages whose References and
/// In-Reply-To point at earlier, later, missing or their own messages,
/// with duplicate and absent Message-IDs, reply and forward subjects,
/// equal dates and no dates (a fixed pseudo-random sequence).
fn thread_corpus() -> Vec<corpus::Entry> {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut rnd = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let subjects = ["alpha", "beta", "gamma", "delta", "", "[list] alpha"];
    let prefixes = ["", "", "Re: ", "RE: Re: ", "Fwd: ", "re [x]: "];
    let base = corpus::at(2021, 3, 1, 0, 0);
    let n = 300;
    (0..n)
        .map(|i| {
            let id = match rnd(20) {
                0 => None,
                1 => Some(format!("<t{}@gen>", rnd(i + 1))),
                _ => Some(format!("<t{i}@gen>")),
            };
            let mut refs: Vec<String> = (0..rnd(4))
                .map(|_| match rnd(10) {
                    0 => format!("<missing{}@gen>", rnd(20)),
                    1 => format!("<t{}@gen>", rnd(n)),
                    _ => format!("<t{}@gen>", rnd(i + 1)),
                })
                .collect();
            refs.sort_by_key(|r| r.len());
            let subject = format!(
                "{}{}{}",
                prefixes[rnd(prefixes.len() as u64) as usize],
                subjects[rnd(subjects.len() as u64) as usize],
                if rnd(15) == 0 { " (fwd)" } else { "" }
            );
            let minute = rnd(400) as i64;
            let mut m = format!("From: u{i}@gen\r\nSubject: {subject}\r\n");
            if rnd(12) != 0 {
                let t = base + minute * 60;
                let (y, mo, d) = popstore::imap::types::civil_from_days(t.div_euclid(86_400));
                let sec = t.rem_euclid(86_400);
                m.push_str(&format!(
                    "Date: {d} {} {y} {:02}:{:02}:00 +0000\r\n",
                    MONTHS[mo as usize - 1],
                    sec / 3600,
                    sec / 60 % 60
                ));
            }
            if let Some(id) = id {
                m.push_str(&format!("Message-ID: {id}\r\n"));
            }
            match rnd(3) {
                0 if !refs.is_empty() => {
                    m.push_str(&format!("In-Reply-To: {}\r\n", refs.last().unwrap()))
                }
                _ if !refs.is_empty() => m.push_str(&format!("References: {}\r\n", refs.join(" "))),
                _ => {}
            }
            m.push_str("\r\nbody\r\n");
            let arrival = base + rnd(400) as i64 * 60;
            (m.into_bytes(), Default::default(), Vec::new(), arrival)
        })
        .collect()
}

#[test]
fn generated_threads_match_dovecot() {
    let programs = [
        "THREAD REFERENCES UTF-8 ALL",
        "THREAD ORDEREDSUBJECT UTF-8 ALL",
        "THREAD REFERENCES UTF-8 1:150",
        "UID THREAD REFERENCES UTF-8 SUBJECT alpha",
        "SORT (SUBJECT) UTF-8 ALL",
        "SORT (DATE REVERSE ARRIVAL) UTF-8 ALL",
    ];
    let failures = compare(&thread_corpus(), &programs, &[], &[]);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
