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

#[path = "imap_search_diff/corpus.rs"]
mod corpus;
#[path = "imap_search_diff/harness.rs"]
mod harness;
#[path = "imap_search_diff/programs.rs"]
mod programs;

use std::path::Path;

use popstore::imap::types::MONTHS;

use harness::compare;
use programs::{ALLOWED, MIME_ALLOWED, MIME_PROGRAMS, PROGRAMS};

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
