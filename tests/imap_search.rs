//! IMAP SEARCH, SORT and THREAD (`popstore::imap::search`) over a real
//! store (the memory backend): a small corpus of messages appended with
//! flags, keywords and INTERNALDATEs, every search key, the sort orders
//! and thread shapes, ESEARCH/SEARCHRES data, charsets, and large
//! programs against the time budget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use popstore::imap::parse::{CommandBody, CommandReader, Limits, Outcome, SearchKey};
use popstore::imap::search::{
    self, SearchContext, SearchError, ThreadAlgorithm, esearch_data, saved_result,
};
use popstore::imap::write::data::{esearch, thread as write_thread};
use popstore::store::folder_name::FolderName;
use popstore::store::folders::{FlagOp, NewMessage};
use popstore::store::groups::Actor;
use popstore::store::name::AccountName;
use popstore::store::{AccountChanges, Folder, Settings, Store, StoreType};
use popstore_formats::folder::SystemFlags;

#[path = "imap_search_diff/corpus.rs"]
mod corpus;

use corpus::corpus;

struct Fixture {
    store: Store,
    folder: Folder,
}

fn fixture() -> Fixture {
    let store = Store::init(
        Arc::new(popstore_platform::PosixTree::memory(1)),
        Settings::default(),
    )
    .unwrap();
    let a = account(&store, "alice");
    let inbox = FolderName::new("INBOX").unwrap();
    // A first message, expunged: UIDs are sequence numbers plus one.
    let first = NewMessage {
        bytes: b"Subject: gone\r\n\r\nx\r\n",
        flags: SystemFlags::DELETED,
        ..NewMessage::default()
    };
    store.append_message(&a, &inbox, &first).unwrap();
    for (bytes, flags, keywords, date) in corpus() {
        let m = NewMessage {
            bytes: &bytes,
            flags,
            keywords,
            internal_date: Some(date),
        };
        store.append_message(&a, &inbox, &m).unwrap();
    }
    let mut folder = store.open_folder(&a, &inbox).unwrap();
    store.expunge(&mut folder, Some(&[1])).unwrap();
    // The last change: \Seen on message 1 (its MODSEQ is the highest).
    store
        .store_flags(&mut folder, &[2], FlagOp::Add, SystemFlags::SEEN, &[], None)
        .unwrap();
    store.refresh_folder(&mut folder).unwrap();
    assert_eq!(folder.len(), 9);
    Fixture { store, folder }
}

fn account(s: &Store, name: &str) -> AccountName {
    s.create_account(
        &Actor::Admin,
        name,
        &AccountChanges {
            store_type: Some(StoreType::Imap),
            ..AccountChanges::default()
        },
    )
    .unwrap();
    s.name(name).unwrap()
}

/// Parses one command with the real command reader.
fn parse(line: &[u8]) -> CommandBody {
    // Long lines allowed (a 9,999-key program is about 100 KB); the key
    // count and nesting limits are the defaults.
    let mut r = CommandReader::new(Limits {
        max_line: 1 << 20,
        ..Limits::default()
    });
    let input = [line, b"\r\n"].concat();
    loop {
        match r.next(&input) {
            Outcome::Continue { .. } => continue,
            Outcome::Command { command, .. } => return command.body,
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(line)),
        }
    }
}

impl Fixture {
    fn ctx<'a>(&'a self, saved: Option<&'a [u32]>, charset: Option<&'a str>) -> SearchContext<'a> {
        SearchContext {
            store: &self.store,
            folder: &self.folder,
            saved,
            charset,
            deadline: Instant::now() + Duration::from_secs(60),
        }
    }

    /// `SEARCH program` (the text after `A SEARCH `).
    fn search(&self, program: &str) -> Vec<u32> {
        self.search_bytes(program.as_bytes(), None).unwrap()
    }

    fn search_bytes(&self, program: &[u8], saved: Option<&[u32]>) -> Result<Vec<u32>, SearchError> {
        match parse(&[b"A SEARCH ", program].concat()) {
            CommandBody::Search { charset, key, .. } => {
                search::search(&self.ctx(saved, charset.as_deref()), &key)
            }
            other => panic!("{other:?}"),
        }
    }

    fn sort(&self, args: &str) -> Vec<u32> {
        match parse(format!("A SORT {args}").as_bytes()) {
            CommandBody::Sort {
                criteria,
                charset,
                key,
                ..
            } => search::sort(&self.ctx(None, Some(&charset)), &criteria, &key).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    /// `UID THREAD` when `uid`; the reply line.
    fn thread(&self, args: &str, uid: bool) -> String {
        match parse(format!("A THREAD {args}").as_bytes()) {
            CommandBody::Thread {
                algorithm,
                charset,
                key,
                ..
            } => {
                let alg = ThreadAlgorithm::from_name(&algorithm).unwrap();
                let mut t = search::thread(&self.ctx(None, Some(&charset)), alg, &key).unwrap();
                if uid {
                    search::thread_to_uids(&self.folder, &mut t);
                }
                let mut out = Vec::new();
                write_thread(&mut out, &t);
                String::from_utf8(out).unwrap()
            }
            other => panic!("{other:?}"),
        }
    }
}

fn all_but(n: &[u32]) -> Vec<u32> {
    (1..=9).filter(|i| !n.contains(i)).collect()
}

#[test]
fn flags_keywords_sets_and_sizes() {
    let f = fixture();
    assert_eq!(f.search("ALL"), all_but(&[]));
    assert_eq!(f.search("SEEN"), [1, 2]);
    assert_eq!(f.search("UNSEEN"), all_but(&[1, 2]));
    assert_eq!(f.search("ANSWERED"), [2]);
    assert_eq!(f.search("UNANSWERED"), all_but(&[2]));
    assert_eq!(f.search("FLAGGED"), [3]);
    assert_eq!(f.search("unflagged"), all_but(&[3]));
    assert_eq!(f.search("DELETED"), [4]);
    assert_eq!(f.search("UNDELETED"), all_but(&[4]));
    assert_eq!(f.search("DRAFT"), [5]);
    assert_eq!(f.search("UNDRAFT"), all_but(&[5]));
    assert_eq!(f.search("KEYWORD $Work"), [3]);
    assert_eq!(f.search("KEYWORD $work"), [3]);
    assert_eq!(f.search("UNKEYWORD $Work"), all_but(&[3]));
    assert_eq!(f.search("KEYWORD Unknown"), Vec::<u32>::new());
    // No \Recent in this store (RFC 9051 dropped it).
    assert_eq!(f.search("RECENT"), Vec::<u32>::new());
    assert_eq!(f.search("NEW"), Vec::<u32>::new());
    assert_eq!(f.search("OLD"), all_but(&[]));
    assert_eq!(f.search("LARGER 5000"), [6]);
    assert_eq!(f.search("SMALLER 5000"), all_but(&[6]));
    assert_eq!(f.search("2,4:5"), [2, 4, 5]);
    assert_eq!(f.search("*"), [9]);
    assert_eq!(f.search("7:*"), [7, 8, 9]);
    assert_eq!(f.search("100"), Vec::<u32>::new());
    assert_eq!(f.search("UID 2:3"), [1, 2]);
    assert_eq!(f.search("UID *"), [9]);
    // `n:*` with n above every UID is `*` (RFC 9051 6.4.8).
    assert_eq!(f.search("UID 100:*"), [9]);
    assert_eq!(f.search("UID 1"), Vec::<u32>::new());
    assert_eq!(f.search("NOT SEEN"), all_but(&[1, 2]));
    assert_eq!(f.search("OR SEEN FLAGGED"), [1, 2, 3]);
    assert_eq!(f.search("(SEEN FROM bob)"), [2]);
    assert_eq!(f.search("SEEN NOT ANSWERED"), [1]);
    assert_eq!(f.search("OR (SEEN ANSWERED) OR DRAFT 9"), [2, 5, 9]);
    let top = f.folder.highestmodseq();
    assert_eq!(f.search(&format!("MODSEQ {top}")), [1]);
    assert_eq!(f.search("MODSEQ \"/flags/\\\\seen\" all 1"), all_but(&[]));
    assert!(search::uses_modseq(&SearchKey::And(vec![SearchKey::Not(
        Box::new(SearchKey::ModSeq {
            entry: None,
            modseq: 1
        })
    )])));
    assert_eq!(search::highest_modseq(&f.folder, &[1, 2]), Some(top));
}

#[test]
fn dates() {
    let f = fixture();
    // INTERNALDATE's day (UTC).
    assert_eq!(f.search("ON 2-Jan-2021"), [3, 4]);
    assert_eq!(f.search("SINCE 1-Jan-2021"), [3, 4]);
    assert_eq!(f.search("BEFORE 1-Jan-2020"), [9]);
    assert_eq!(f.search("SINCE 5-Feb-2020 BEFORE 7-Feb-2020"), [6, 7]);
    // The Date header's day as written: message 3 is 1 Jan at 23:30
    // -0800 (2 Jan in UTC); message 9 has no Date and matches none.
    assert_eq!(f.search("SENTON 1-Jan-2021"), [3]);
    assert_eq!(f.search("SENTSINCE 2-Jan-2021"), [4]);
    assert_eq!(f.search("SENTBEFORE 4-Feb-2020"), [1, 2]);
    assert_eq!(f.search("NOT SENTBEFORE 4-Feb-2020"), [3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(f.search("OLDER 1"), all_but(&[]));
    assert_eq!(f.search("YOUNGER 1000"), Vec::<u32>::new());
}

#[test]
fn headers_and_text() {
    let f = fixture();
    assert_eq!(f.search("FROM alice"), [1]);
    assert_eq!(f.search("FROM \"alice example\""), [1]);
    assert_eq!(f.search("FROM BOB@EXAMPLE.NET"), [2]);
    assert_eq!(f.search("TO alice"), [2, 3, 5, 6, 7, 8, 9]);
    assert_eq!(f.search("CC dave"), [3]);
    assert_eq!(f.search("BCC dave"), Vec::<u32>::new());
    assert_eq!(f.search("SUBJECT lunch"), [1, 2, 5]);
    assert_eq!(f.search("SUBJECT \"plans (fwd)\""), [5]);
    assert_eq!(f.search("HEADER X-Tracking \"\""), [6]);
    assert_eq!(f.search("HEADER x-tracking ABC-1"), [6]);
    assert_eq!(f.search("HEADER Message-ID \"\""), all_but(&[5]));
    assert_eq!(f.search("HEADER In-Reply-To missing"), [9]);
    // Bodies: decoded, in their charsets, text parts only.
    assert_eq!(f.search("BODY lunch"), [1]);
    assert_eq!(f.search("BODY \"is fine\""), [2]);
    assert_eq!(f.search("BODY \"see my cv\""), [3]);
    assert_eq!(f.search("BODY secretword"), Vec::<u32>::new());
    assert_eq!(f.search("TEXT secretword"), Vec::<u32>::new());
    assert_eq!(f.search("BODY \"inner body\""), [8]);
    assert_eq!(f.search("TEXT \"Inner secret\""), [8]);
    assert_eq!(f.search("BODY Lunch"), [1]);
    assert_eq!(f.search("TEXT lunch"), [1, 2, 5]);
    assert_eq!(f.search("TEXT \"Alice Example\""), [1]);
    assert_eq!(f.search("TEXT zzzzzzzz"), [6]);
    // Non-ASCII needles: UTF-8 literal with CHARSET UTF-8, RFC 2047
    // subjects, quoted-printable, base64 and ISO-8859-1 bodies, letter
    // case folded beyond ASCII.
    // `head` then the needle as a literal.
    let utf8 = |head: &str, needle: &str| {
        let p = format!("{head} {{{}+}}\r\n{needle}", needle.len());
        f.search_bytes(p.as_bytes(), None).unwrap()
    };
    assert_eq!(utf8("CHARSET UTF-8 SUBJECT", "r\u{e9}sum\u{e9}"), [3]);
    assert_eq!(utf8("CHARSET UTF-8 SUBJECT", "R\u{c9}SUM\u{c9}"), [3]);
    assert_eq!(utf8("CHARSET UTF-8 BODY", "caf\u{e9}"), [2]);
    assert_eq!(utf8("CHARSET UTF-8 BODY", "gr\u{fc}\u{df}e"), [4]);
    assert_eq!(utf8("CHARSET UTF-8 TEXT", "na\u{ef}ve"), [7]);
    assert_eq!(utf8("BODY", "CAF\u{c9}"), [2]);
    assert_eq!(
        f.search_bytes(b"CHARSET ISO-8859-1 BODY {4+}\r\ncaf\xe9", None)
            .unwrap(),
        [2]
    );
    assert!(matches!(
        f.search_bytes(b"CHARSET X-BOGUS-9 BODY x", None),
        Err(SearchError::BadCharset(c)) if c == "X-BOGUS-9"
    ));
}

#[test]
fn saved_results_and_esearch() {
    let f = fixture();
    // `$` is the saved result (UIDs); with none saved it matches nothing.
    assert_eq!(f.search("$"), Vec::<u32>::new());
    let saved = [3, 4];
    assert_eq!(f.search_bytes(b"$", Some(&saved)).unwrap(), [2, 3]);
    assert_eq!(f.search_bytes(b"UID $", Some(&saved)).unwrap(), [2, 3]);
    assert_eq!(f.search_bytes(b"NOT $ SEEN", Some(&saved)).unwrap(), [1]);
    use popstore::imap::parse::SearchReturn as R;
    let unseen = f.search("UNSEEN");
    let mut out = Vec::new();
    let e = esearch_data(
        &f.folder,
        &unseen,
        &[R::Min, R::Max, R::Count],
        false,
        false,
    );
    esearch(&mut out, "A1", false, &e);
    let e = esearch_data(&f.folder, &unseen, &[], true, false);
    esearch(&mut out, "A2", true, &e);
    let e = esearch_data(&f.folder, &[], &[R::Min, R::Count, R::All], false, false);
    esearch(&mut out, "A3", false, &e);
    let top = f.folder.highestmodseq();
    let e = esearch_data(&f.folder, &[1, 2], &[R::Max], true, true);
    esearch(&mut out, "A4", true, &e);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "* ESEARCH (TAG \"A1\") MIN 3 MAX 9 COUNT 7\r\n\
             * ESEARCH (TAG \"A2\") UID ALL 4:10\r\n\
             * ESEARCH (TAG \"A3\") COUNT 0\r\n\
             * ESEARCH (TAG \"A4\") UID MAX 3 MODSEQ {}\r\n",
            f.folder.message(1).unwrap().modseq
        )
    );
    assert!(top >= f.folder.message(1).unwrap().modseq);
    // RFC 5182 2.4: SAVE with MIN/MAX keeps only those; else every match.
    assert_eq!(saved_result(&f.folder, &unseen, &[R::Save, R::Min]), [4]);
    assert_eq!(
        saved_result(&f.folder, &unseen, &[R::Save, R::Min, R::Max]),
        [4, 10]
    );
    assert_eq!(
        saved_result(&f.folder, &unseen, &[R::Save, R::Min, R::Count]),
        [4, 5, 6, 7, 8, 9, 10]
    );
    assert!(!search::esearch_wanted(&[R::Save]));
    assert!(search::esearch_wanted(&[]));
    assert!(search::esearch_wanted(&[R::Save, R::Count]));
    assert_eq!(search::to_uids(&f.folder, &[1, 9]), [2, 10]);
}

#[test]
fn sort_orders() {
    let f = fixture();
    assert_eq!(f.sort("(ARRIVAL) UTF-8 ALL"), [9, 1, 2, 5, 6, 7, 8, 3, 4]);
    // DATE: the Date header in UTC (message 4 at 06:00Z is before 3 at
    // 07:30Z), INTERNALDATE where there is none (message 9).
    assert_eq!(f.sort("(DATE) UTF-8 ALL"), [9, 1, 2, 5, 6, 7, 8, 4, 3]);
    assert_eq!(
        f.sort("(REVERSE DATE) UTF-8 ALL"),
        [3, 4, 8, 7, 6, 5, 2, 1, 9]
    );
    assert_eq!(f.sort("(SUBJECT) UTF-8 ALL"), [6, 8, 4, 1, 2, 5, 7, 3, 9]);
    assert_eq!(
        f.sort("(SUBJECT REVERSE DATE) UTF-8 ALL"),
        [6, 8, 4, 5, 2, 1, 7, 3, 9]
    );
    assert_eq!(f.sort("(FROM) UTF-8 ALL"), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        f.sort("(REVERSE FROM) US-ASCII ALL"),
        [9, 8, 7, 6, 5, 4, 3, 2, 1]
    );
    assert_eq!(f.sort("(TO) UTF-8 ALL"), [2, 3, 5, 6, 7, 8, 9, 1, 4]);
    assert_eq!(f.sort("(CC) UTF-8 ALL"), [1, 2, 4, 5, 6, 7, 8, 9, 3]);
    assert_eq!(
        f.sort("(DISPLAYFROM) UTF-8 ALL"),
        [1, 2, 3, 4, 5, 6, 7, 8, 9]
    );
    // DISPLAYTO: names where given (BOB, CAROL@...), else the address.
    assert_eq!(f.sort("(DISPLAYTO) UTF-8 ALL"), [2, 3, 5, 6, 7, 8, 9, 1, 4]);
    let by_size = f.sort("(SIZE) UTF-8 ALL");
    let sizes: Vec<u64> = by_size
        .iter()
        .map(|&s| f.folder.message(s as usize - 1).unwrap().size)
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert_eq!(by_size.last(), Some(&6));
    assert_eq!(f.sort("(SUBJECT) UTF-8 UNDELETED SUBJECT lunch"), [1, 2, 5]);
    assert_eq!(f.sort("(REVERSE ARRIVAL) UTF-8 SEEN"), [2, 1]);
}

#[test]
fn thread_shapes() {
    let f = fixture();
    // 2 answers 1; 5 (no Message-ID, "Fwd: ... (fwd)") joins 1's thread
    // by subject; 7 and 9 answer a missing message that 7 says answers 6
    // (the dummy between is pruned); 9 has no Date, so its INTERNALDATE
    // puts it before 7.
    assert_eq!(
        f.thread("REFERENCES UTF-8 ALL", false),
        "* THREAD (1 (2)(5))(6 (9)(7))(8)(4)(3)\r\n"
    );
    assert_eq!(
        f.thread("REFERENCES UTF-8 ALL", true),
        "* THREAD (2 (3)(6))(7 (10)(8))(9)(5)(4)\r\n"
    );
    assert_eq!(
        f.thread("ORDEREDSUBJECT UTF-8 ALL", false),
        "* THREAD (9)(1 (2)(5))(6)(7)(8)(4)(3)\r\n"
    );
    // Without 1, its replies 2 ("Re:") and 5 ("Fwd:") are both replies
    // of one base subject: RFC 5256 step 5.C.4 puts them under a dummy.
    assert_eq!(
        f.thread("REFERENCES UTF-8 NOT 1", false),
        "* THREAD ((2)(5))(6 (9)(7))(8)(4)(3)\r\n"
    );
    assert_eq!(f.thread("REFERENCES UTF-8 100", false), "* THREAD\r\n");
}

/// 1,000 messages and programs at the parser's limits: 3,333 ORs parsed
/// (9,999 keys, the most a command may hold) and 10,000 OR terms built
/// directly, on header and body text. Each returns or stops cleanly at
/// the budget; no timing is asserted.
#[test]
fn huge_programs_return_or_stop_at_the_budget() {
    let store = Store::init(
        Arc::new(popstore_platform::PosixTree::memory(1)),
        Settings::default(),
    )
    .unwrap();
    let a = account(&store, "bulk");
    let inbox = FolderName::new("INBOX").unwrap();
    for i in 0..1_000 {
        let m = format!(
            "From: u{i}@example.org\r\nSubject: message {i}\r\nMessage-ID: <{i}@x>\r\n\r\nbody word{i} here\r\n"
        );
        let nm = NewMessage {
            bytes: m.as_bytes(),
            ..NewMessage::default()
        };
        store.append_message(&a, &inbox, &nm).unwrap();
    }
    let folder = store.open_folder(&a, &inbox).unwrap();
    let ctx = |secs| SearchContext {
        store: &store,
        folder: &folder,
        saved: None,
        charset: None,
        deadline: Instant::now() + Duration::from_secs(secs),
    };
    let mut program = String::from("A SEARCH");
    for i in 0..3_333 {
        program.push_str(&format!(" OR FROM u{i}@ BODY word{}z", i * 7));
    }
    let CommandBody::Search { key, .. } = parse(program.as_bytes()) else {
        panic!()
    };
    let t0 = Instant::now();
    let r = search::search(&ctx(20), &key);
    eprintln!("3,333 parsed ORs over 1,000 messages: {:?}", t0.elapsed());
    match r {
        // The 3,333 ORs are ANDed: a message would need the FROM of
        // every one of them (no body has `word...z`), so none matches.
        Ok(r) => assert!(r.is_empty(), "{r:?}"),
        Err(e) => assert!(matches!(e, SearchError::BudgetExceeded), "{e}"),
    }
    // 10,000 OR terms as one balanced tree (the parser would refuse the
    // nesting of a chain this long).
    let terms: Vec<SearchKey> = (0..10_000)
        .map(|i| SearchKey::Body(format!("word{}", i * 3 + 1).into_bytes()))
        .collect();
    let key = balanced_or(terms);
    let t0 = Instant::now();
    let r = search::search(&ctx(20), &key);
    eprintln!("10,000 BODY ORs over 1,000 messages: {:?}", t0.elapsed());
    match r {
        Ok(r) => {
            let want: Vec<u32> = (0..1_000u32)
                .filter(|i| i % 3 == 1)
                .map(|i| i + 1)
                .collect();
            // word1 also matches word10..word19, word100...: every message
            // whose body contains "word" followed by a number starting
            // with a term's digits.
            assert!(want.iter().all(|w| r.contains(w)));
        }
        Err(e) => assert!(matches!(e, SearchError::BudgetExceeded), "{e}"),
    }
    // A deadline already passed stops at once, cleanly.
    let past = SearchContext {
        deadline: Instant::now(),
        ..ctx(0)
    };
    assert!(matches!(
        search::search(&past, &key),
        Err(SearchError::BudgetExceeded)
    ));
    assert!(matches!(
        search::thread(&past, ThreadAlgorithm::References, &SearchKey::All),
        Err(SearchError::BudgetExceeded)
    ));
}

fn balanced_or(mut keys: Vec<SearchKey>) -> SearchKey {
    while keys.len() > 1 {
        let mut next = Vec::with_capacity(keys.len() / 2 + 1);
        let mut it = keys.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(SearchKey::Or(Box::new(a), Box::new(b))),
                None => next.push(a),
            }
        }
        keys = next;
    }
    keys.pop().unwrap()
}
