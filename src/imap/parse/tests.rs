//! Parser tests: the examples of the RFCs (quoted by section), framing of
//! literals, limits and bad input.

use std::num::NonZeroU32;

use super::*;
use crate::imap::types::{Flag, Section, SectionText, SeqNum, SeqRange, SeqSet};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

/// Runs the reader over `input` given whole, answering continuations.
pub(super) fn run(reader: &mut CommandReader, input: &[u8]) -> Outcome {
    loop {
        match reader.next(input) {
            Outcome::Continue { .. } => continue,
            other => return other,
        }
    }
}

/// Parses one whole command, which must take all of `input`.
fn parse(input: &str) -> Command {
    parse_bytes(input.as_bytes())
}

fn parse_bytes(input: &[u8]) -> Command {
    let mut r = CommandReader::new(Limits::default());
    match run(&mut r, input) {
        Outcome::Command { command, consumed } => {
            assert_eq!(consumed, input.len(), "{input:?}");
            *command
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn body(input: &str) -> CommandBody {
    parse(input).body
}

fn error(input: &str) -> ParseError {
    let mut r = CommandReader::new(Limits::default());
    match run(&mut r, input.as_bytes()) {
        Outcome::Error { error, .. } => error,
        other => panic!("{input:?}: {other:?}"),
    }
}

fn mb(s: &str) -> crate::imap::types::MailboxArg {
    crate::imap::types::MailboxArg {
        raw: s.as_bytes().to_vec(),
        utf8: false,
    }
}

fn range(a: u32, b: u32) -> SeqRange {
    SeqRange {
        from: SeqNum::Value(nz(a)),
        to: SeqNum::Value(nz(b)),
    }
}

#[test]
fn rfc9051_any_state_commands() {
    // RFC 9051 6.1.1, 6.1.2, 6.1.3, 6.2.1
    assert_eq!(parse("abcd CAPABILITY\r\n").tag, "abcd");
    assert_eq!(body("abcd CAPABILITY\r\n"), CommandBody::Capability);
    assert_eq!(body("a002 NOOP\r\n"), CommandBody::Noop);
    assert_eq!(body("A023 LOGOUT\r\n"), CommandBody::Logout);
    assert_eq!(body("a001 STARTTLS\r\n"), CommandBody::StartTls);
    assert_eq!(body("a1 check\r\n"), CommandBody::Check);
}

#[test]
fn rfc9051_authenticate_and_login() {
    // RFC 9051 6.2.2; RFC 4959 section 3 (SASL-IR)
    assert_eq!(
        body("A001 AUTHENTICATE GSSAPI\r\n"),
        CommandBody::Authenticate {
            mechanism: "GSSAPI".into(),
            initial: None
        }
    );
    assert_eq!(
        body("a AUTHENTICATE plain dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        CommandBody::Authenticate {
            mechanism: "PLAIN".into(),
            initial: Some("dGVzdAB0ZXN0AHRlc3Q=".into())
        }
    );
    assert_eq!(
        body("a AUTHENTICATE EXTERNAL =\r\n"),
        CommandBody::Authenticate {
            mechanism: "EXTERNAL".into(),
            initial: Some(String::new())
        }
    );
    // RFC 9051 6.2.3
    match body("a001 LOGIN SMITH SESAME\r\n") {
        CommandBody::Login { user, password } => {
            assert_eq!(user, "SMITH");
            assert_eq!(password.expose(), b"SESAME");
        }
        other => panic!("{other:?}"),
    }
    // RFC 7888 section 3 (LITERAL+)
    match body("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n") {
        CommandBody::Login { user, password } => {
            assert_eq!(user, "FRED FOOBAR");
            assert_eq!(password.expose(), b"fat man");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc5161_enable() {
    // RFC 5161 section 4
    assert_eq!(
        body("t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n"),
        CommandBody::Enable(vec!["CONDSTORE".into(), "X-GOOD-IDEA".into()])
    );
    assert_eq!(
        body("a ENABLE IMAP4rev2\r\n"),
        CommandBody::Enable(vec!["IMAP4REV2".into()])
    );
    assert_eq!(error("a ENABLE\r\n").tag.as_deref(), Some("a"));
}

#[test]
fn rfc9051_select_examine_and_rfc7162_parameters() {
    // RFC 9051 6.3.2, 6.3.3
    assert_eq!(
        body("A142 SELECT INBOX\r\n"),
        CommandBody::Select {
            mailbox: mb("INBOX"),
            read_only: false,
            params: SelectParams::default()
        }
    );
    assert!(matches!(
        body("A932 EXAMINE blurdybloop\r\n"),
        CommandBody::Select {
            read_only: true,
            ..
        }
    ));
    // RFC 7162 3.1.8
    match body("a SELECT INBOX (CONDSTORE)\r\n") {
        CommandBody::Select { params, .. } => assert!(params.condstore),
        other => panic!("{other:?}"),
    }
    // RFC 7162 3.2.5.2
    match body("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n") {
        CommandBody::Select { params, .. } => {
            let q = params.qresync.unwrap();
            assert_eq!(q.uidvalidity.get(), 67890007);
            assert_eq!(q.modseq, 20050715194045000);
            assert_eq!(
                q.known_uids,
                Some(SeqSet::Ranges(vec![
                    range(41, 41),
                    range(43, 211),
                    range(214, 541)
                ]))
            );
            assert_eq!(q.seq_match, None);
        }
        other => panic!("{other:?}"),
    }
    match body(
        "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n",
    ) {
        CommandBody::Select { params, .. } => {
            let (seqs, uids) = params.qresync.unwrap().seq_match.unwrap();
            assert!(seqs.contains(9995, 0));
            assert!(uids.contains(29997, 0));
        }
        other => panic!("{other:?}"),
    }
    // Zero UIDVALIDITY and modseq are not allowed.
    error("a SELECT INBOX (QRESYNC (0 1))\r\n");
    error("a SELECT INBOX (QRESYNC (1 0))\r\n");
}

#[test]
fn rfc9051_mailbox_commands() {
    // RFC 9051 6.3.4 - 6.3.8
    assert_eq!(
        body("A003 CREATE owatagusiam/\r\n"),
        CommandBody::Create {
            mailbox: mb("owatagusiam/"),
            special_use: vec![]
        }
    );
    assert_eq!(
        body("A683 DELETE blurdybloop\r\n"),
        CommandBody::Delete(mb("blurdybloop"))
    );
    assert_eq!(
        body("A683 RENAME blurdybloop sarasoop\r\n"),
        CommandBody::Rename {
            from: mb("blurdybloop"),
            to: mb("sarasoop")
        }
    );
    assert_eq!(
        body("A002 SUBSCRIBE #news.comp.mail.mime\r\n"),
        CommandBody::Subscribe(mb("#news.comp.mail.mime"))
    );
    assert_eq!(
        body("A002 UNSUBSCRIBE \"#news.comp.mail.mime\"\r\n"),
        CommandBody::Unsubscribe(mb("#news.comp.mail.mime"))
    );
    // RFC 6154 section 5.2 (CREATE-SPECIAL-USE)
    assert_eq!(
        body("t1 CREATE \"Important Messages\" (USE (\\Important))\r\n"),
        CommandBody::Create {
            mailbox: mb("Important Messages"),
            special_use: vec!["\\Important".into()]
        }
    );
    // RFC 9051 6.3.10, 6.3.11
    assert_eq!(body("A001 NAMESPACE\r\n"), CommandBody::Namespace);
    assert_eq!(
        body("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n"),
        CommandBody::Status {
            mailbox: mb("blurdybloop"),
            items: vec![StatusItem::UidNext, StatusItem::Messages]
        }
    );
    // RFC 8438 section 4, RFC 7162 3.1.9
    assert!(matches!(
        body("a STATUS INBOX (SIZE HIGHESTMODSEQ DELETED APPENDLIMIT)\r\n"),
        CommandBody::Status { items, .. } if items.len() == 4
    ));
    error("a STATUS INBOX ()\r\n");
    error("a STATUS INBOX (BOGUS)\r\n");
}

#[test]
fn rfc9051_and_rfc5258_list() {
    // RFC 9051 6.3.9.8 and RFC 3501 6.3.8
    let CommandBody::List {
        selection,
        reference,
        patterns,
        returns,
    } = body("A101 LIST \"\" \"\"\r\n")
    else {
        panic!()
    };
    assert!(selection.is_empty() && returns.is_empty());
    assert_eq!((reference, patterns), (mb(""), vec![mb("")]));
    assert!(
        matches!(body("A202 LIST ~/Mail/ %\r\n"), CommandBody::List { patterns, .. } if patterns == vec![mb("%")])
    );
    assert!(matches!(
        body("A102 LIST #news.comp.mail.misc \"\"\r\n"),
        CommandBody::List { .. }
    ));
    // RFC 5258 section 5
    let CommandBody::List {
        selection, returns, ..
    } = body("A02 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)\r\n")
    else {
        panic!()
    };
    assert_eq!(
        selection,
        vec![ListSelect::Subscribed, ListSelect::RecursiveMatch]
    );
    assert_eq!(returns, vec![ListReturn::Children]);
    assert!(matches!(
        body("A05 LIST \"\" (\"%\" \"Sent/*\")\r\n"),
        CommandBody::List { patterns, .. } if patterns.len() == 2
    ));
    assert!(matches!(
        body("A04 LIST () \"\" % RETURN ()\r\n"),
        CommandBody::List { .. }
    ));
    // RFC 5258 section 3: RECURSIVEMATCH alone is BAD.
    error("A04 LIST (RECURSIVEMATCH) \"\" %\r\n");
    // RFC 5819 section 2 (LIST-STATUS)
    assert!(matches!(
        body("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n"),
        CommandBody::List { returns, .. } if returns == vec![ListReturn::Status(vec![StatusItem::Messages, StatusItem::Unseen])]
    ));
    // RFC 6154 section 5.1
    assert!(
        matches!(body("t1 LIST (SPECIAL-USE) \"\" \"*\"\r\n"), CommandBody::List { selection, .. } if selection == vec![ListSelect::SpecialUse])
    );
    assert!(
        matches!(body("t3 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n"), CommandBody::List { returns, .. } if returns == vec![ListReturn::SpecialUse])
    );
    // RFC 3501 6.3.9
    assert_eq!(
        body("A002 LSUB \"#news.\" \"comp.mail.*\"\r\n"),
        CommandBody::Lsub {
            reference: mb("#news."),
            pattern: mb("comp.mail.*")
        }
    );
}

#[test]
fn rfc9051_append_and_multiappend() {
    // RFC 9051 6.3.12 (shortened message)
    let msg = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\r\nHello Joe\r\n";
    let cmd = format!(
        "A003 APPEND saved-messages (\\Seen) {{{}}}\r\n{msg}\r\n",
        msg.len()
    );
    let CommandBody::Append { mailbox, messages } = body(&cmd) else {
        panic!()
    };
    assert_eq!(mailbox, mb("saved-messages"));
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].flags, vec![Flag::Seen]);
    assert_eq!(messages[0].data, msg.as_bytes());
    // With a date-time; RFC 3502 section 7 (two messages).
    let cmd = format!(
        "A003 APPEND saved (\\Seen $Label1) \" 7-Feb-1994 21:52:25 -0800\" {{{}}}\r\n{msg} {{5}}\r\nhello\r\n",
        msg.len()
    );
    let CommandBody::Append { messages, .. } = body(&cmd) else {
        panic!()
    };
    assert_eq!(messages.len(), 2);
    let d = messages[0].date.unwrap();
    assert_eq!((d.unix, d.offset_minutes), (760686745, -480));
    assert_eq!(messages[1].flags, vec![]);
    assert_eq!(messages[1].data, b"hello");
    // RFC 3516 section 4.4: literal8 may hold NUL; a plain literal may not.
    let CommandBody::Append { messages, .. } =
        parse_bytes(b"a APPEND Drafts ~{3}\r\na\0b\r\n").body
    else {
        panic!()
    };
    assert!(messages[0].binary);
    assert_eq!(
        error("a APPEND Drafts {3}\r\na\0b\r\n").tag.as_deref(),
        Some("a")
    );
    error("a APPEND Drafts\r\n");
}

#[test]
fn rfc9051_selected_state_commands() {
    // RFC 9051 6.3.13, 6.4.1, 6.4.2, 6.4.3; RFC 4315 2.1
    assert_eq!(body("A002 IDLE\r\n"), CommandBody::Idle);
    assert_eq!(body("A341 CLOSE\r\n"), CommandBody::Close);
    assert_eq!(body("A342 UNSELECT\r\n"), CommandBody::Unselect);
    assert_eq!(body("A202 EXPUNGE\r\n"), CommandBody::Expunge);
    assert_eq!(
        body("A003 UID EXPUNGE 3000:3002\r\n"),
        CommandBody::UidExpunge(SeqSet::Ranges(vec![range(3000, 3002)]))
    );
    // RFC 9051 6.4.6, 6.4.7, 6.4.8
    assert_eq!(
        body("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n"),
        CommandBody::Store {
            uid: false,
            set: SeqSet::Ranges(vec![range(2, 4)]),
            unchanged_since: None,
            mode: StoreMode::Add,
            silent: false,
            flags: vec![Flag::Deleted]
        }
    );
    assert_eq!(
        body("A003 COPY 2:4 MEETING\r\n"),
        CommandBody::Copy {
            uid: false,
            set: SeqSet::Ranges(vec![range(2, 4)]),
            mailbox: mb("MEETING")
        }
    );
    assert_eq!(
        body("a UID MOVE 42:69 foo\r\n"),
        CommandBody::Move {
            uid: true,
            set: SeqSet::Ranges(vec![range(42, 69)]),
            mailbox: mb("foo")
        }
    );
    // RFC 7162 3.1.3 (UNCHANGEDSINCE)
    assert_eq!(
        body("d105 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n"),
        CommandBody::Store {
            uid: true,
            set: SeqSet::Ranges(vec![range(6, 6), range(4, 4), range(8, 8)]),
            unchanged_since: Some(12121230045),
            mode: StoreMode::Add,
            silent: true,
            flags: vec![Flag::Deleted]
        }
    );
    assert!(
        matches!(body("a STORE 1 -FLAGS \\Seen $Junk\r\n"), CommandBody::Store { mode: StoreMode::Remove, flags, .. } if flags.len() == 2)
    );
    assert!(
        matches!(body("a STORE * FLAGS ()\r\n"), CommandBody::Store { mode: StoreMode::Replace, flags, .. } if flags.is_empty())
    );
}

#[test]
fn rfc9051_fetch() {
    // RFC 9051 6.4.5
    let CommandBody::Fetch {
        uid,
        set,
        items,
        modifiers,
    } = body("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n")
    else {
        panic!()
    };
    assert!(!uid);
    assert_eq!(set, SeqSet::Ranges(vec![range(2, 4)]));
    assert_eq!(modifiers, FetchModifiers::default());
    assert_eq!(
        items,
        FetchItems::Attrs(vec![
            FetchAttr::Flags,
            FetchAttr::BodySection {
                peek: false,
                section: Section {
                    part: vec![],
                    text: Some(SectionText::HeaderFields(vec![
                        "DATE".into(),
                        "FROM".into()
                    ]))
                },
                partial: None
            }
        ])
    );
    // RFC 9051 6.4.9
    assert!(
        matches!(body("A999 UID FETCH 4827313:4828442 FLAGS\r\n"), CommandBody::Fetch { uid: true, items: FetchItems::Attrs(a), .. } if a == vec![FetchAttr::Flags])
    );
    assert!(matches!(
        body("a FETCH 1:* ALL\r\n"),
        CommandBody::Fetch {
            items: FetchItems::Macro(FetchMacro::All),
            ..
        }
    ));
    assert!(matches!(
        body("a FETCH 1 fast\r\n"),
        CommandBody::Fetch {
            items: FetchItems::Macro(FetchMacro::Fast),
            ..
        }
    ));
    assert!(matches!(
        body("a FETCH 1 FULL\r\n"),
        CommandBody::Fetch {
            items: FetchItems::Macro(FetchMacro::Full),
            ..
        }
    ));
    let CommandBody::Fetch {
        items: FetchItems::Attrs(a),
        ..
    } = body(
        "a FETCH 1 (BODY.PEEK[1.2.MIME] BODY[]<0.2048> BODY[3.TEXT] BODY[4] BODY BODYSTRUCTURE ENVELOPE INTERNALDATE RFC822.SIZE RFC822 RFC822.HEADER RFC822.TEXT UID MODSEQ BINARY.PEEK[1]<10.20> BINARY[] BINARY.SIZE[2.1] BODY[HEADER.FIELDS.NOT (X-A \"X-B\")] BODY.PEEK[1.HEADER])\r\n",
    )
    else {
        panic!()
    };
    assert_eq!(a.len(), 19);
    assert_eq!(
        a[0],
        FetchAttr::BodySection {
            peek: true,
            section: Section {
                part: vec![nz(1), nz(2)],
                text: Some(SectionText::Mime)
            },
            partial: None
        }
    );
    assert_eq!(
        a[1],
        FetchAttr::BodySection {
            peek: false,
            section: Section::default(),
            partial: Some(Partial {
                origin: 0,
                count: nz(2048)
            })
        }
    );
    assert_eq!(
        a[3],
        FetchAttr::BodySection {
            peek: false,
            section: Section {
                part: vec![nz(4)],
                text: None
            },
            partial: None
        }
    );
    assert_eq!(
        a[14],
        FetchAttr::Binary {
            peek: true,
            part: vec![nz(1)],
            partial: Some(Partial {
                origin: 10,
                count: nz(20)
            })
        }
    );
    assert_eq!(a[16], FetchAttr::BinarySize(vec![nz(2), nz(1)]));
    // RFC 7162 3.2.5.2 / 3.1.4
    assert!(matches!(
        body("a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"),
        CommandBody::Fetch {
            modifiers: FetchModifiers {
                changed_since: Some(12345),
                vanished: true
            },
            ..
        }
    ));
    error("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
    error("a UID FETCH 1:* (FLAGS) (VANISHED)\r\n");
    error("a FETCH 1 (BODY[MIME])\r\n");
    error("a FETCH 1 (BODY[]<0.0>)\r\n");
    error("a FETCH 0 FLAGS\r\n");
    error("a FETCH 1 ()\r\n");
}

#[test]
fn rfc9051_search_and_esearch() {
    use SearchKey as K;
    // RFC 9051 6.4.4.4
    let CommandBody::Search {
        uid,
        charset,
        returns,
        key,
    } = body("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n")
    else {
        panic!()
    };
    assert!(!uid && charset.is_none());
    assert_eq!(returns, Some(vec![SearchReturn::Min, SearchReturn::Count]));
    let feb1 = crate::imap::types::Date {
        year: 1994,
        month: 2,
        day: 1,
    };
    assert_eq!(
        key,
        K::And(vec![
            K::Flagged,
            K::Since(feb1),
            K::Not(Box::new(K::From(b"Smith".to_vec())))
        ])
    );
    assert!(
        matches!(body("A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"), CommandBody::Search { returns: Some(r), .. } if r.is_empty())
    );
    // RFC 9051 6.4.4.4: a UTF-8 literal under CHARSET
    let CommandBody::Search { charset, key, .. } =
        parse_bytes("A285 SEARCH CHARSET UTF-8 TEXT {12}\r\nотпуск\r\n".as_bytes()).body
    else {
        panic!()
    };
    assert_eq!(charset.as_deref(), Some("UTF-8"));
    assert_eq!(key, K::And(vec![K::Text("отпуск".as_bytes().to_vec())]));
    // RFC 3501 6.4.4
    assert!(matches!(
        body("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"),
        CommandBody::Search { returns: None, .. }
    ));
    // Every key.
    let CommandBody::Search {
        key: K::And(keys),
        uid: true,
        ..
    } = body(
        "a UID SEARCH ALL ANSWERED BCC x BEFORE \"1-Feb-1994\" BODY y CC z DELETED DRAFT FLAGGED FROM f HEADER X-A v KEYWORD $k LARGER 10 NEW OLD ON 3-mar-2000 OR SEEN RECENT SENTBEFORE 1-Jan-2000 SENTON 1-Jan-2000 SENTSINCE 1-Jan-2000 SMALLER 5 SUBJECT s TEXT t TO o UID 1:* UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $k UNSEEN 1,3:5 $ (SEEN DELETED) OLDER 10 YOUNGER 20 MODSEQ 5\r\n",
    )
    else {
        panic!()
    };
    assert_eq!(keys.len(), 37);
    assert_eq!(keys[33], K::And(vec![K::Seen, K::Deleted]));
    // RFC 7162 3.1.5
    let CommandBody::Search {
        key: K::And(keys), ..
    } = body("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n")
    else {
        panic!()
    };
    assert_eq!(
        keys,
        vec![K::ModSeq {
            entry: Some((b"/flags/\\draft".to_vec(), "all".into())),
            modseq: 620162338
        }]
    );
    // RFC 5182 section 2.4 (SEARCHRES)
    assert!(
        matches!(body("A301 SEARCH RETURN (SAVE) SINCE 19-Mar-2007 NOT SEEN\r\n"), CommandBody::Search { returns: Some(r), .. } if r == vec![SearchReturn::Save])
    );
    assert!(matches!(
        body("A302 FETCH $ (UID FLAGS INTERNALDATE)\r\n"),
        CommandBody::Fetch {
            set: SeqSet::Saved,
            ..
        }
    ));
    error("a SEARCH\r\n");
    error("a SEARCH (SEEN\r\n");
    error("a SEARCH SEEN)\r\n");
    error("a SEARCH BEFORE 32-Jan-2000\r\n");
}

#[test]
fn rfc5256_sort_and_thread() {
    // RFC 5256 section 3
    let CommandBody::Sort {
        uid,
        criteria,
        charset,
        ..
    } = body("A283 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n")
    else {
        panic!()
    };
    assert!(!uid);
    assert_eq!(charset, "UTF-8");
    assert_eq!(
        criteria,
        vec![SortCriterion {
            reverse: false,
            key: SortKey::Subject
        }]
    );
    let CommandBody::Sort { criteria, .. } = body("A285 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n")
    else {
        panic!()
    };
    assert_eq!(
        criteria[1],
        SortCriterion {
            reverse: true,
            key: SortKey::Date
        }
    );
    assert!(
        matches!(body("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n"), CommandBody::Thread { algorithm, .. } if algorithm == "ORDEREDSUBJECT")
    );
    assert!(matches!(
        body("A284 UID THREAD REFERENCES US-ASCII ALL\r\n"),
        CommandBody::Thread { uid: true, .. }
    ));
}

#[test]
fn rfc4314_acl_rfc9208_quota_rfc2971_id_rfc4978_compress() {
    assert_eq!(
        body("A001 GETACL INBOX\r\n"),
        CommandBody::GetAcl(mb("INBOX"))
    );
    assert_eq!(
        body("A035 SETACL INBOX/Drafts John lrQswicda\r\n"),
        CommandBody::SetAcl {
            mailbox: mb("INBOX/Drafts"),
            identifier: "John".into(),
            rights: "lrQswicda".into()
        }
    );
    assert!(
        matches!(body("A036 SETACL INBOX/Drafts -Fred w\r\n"), CommandBody::SetAcl { identifier, .. } if identifier == "-Fred")
    );
    assert_eq!(
        body("A001 DELETEACL INBOX/Drafts Fred\r\n"),
        CommandBody::DeleteAcl {
            mailbox: mb("INBOX/Drafts"),
            identifier: "Fred".into()
        }
    );
    assert_eq!(
        body("a001 LISTRIGHTS ~/Mail/saved smith\r\n"),
        CommandBody::ListRights {
            mailbox: mb("~/Mail/saved"),
            identifier: "smith".into()
        }
    );
    assert_eq!(
        body("A003 MYRIGHTS INBOX\r\n"),
        CommandBody::MyRights(mb("INBOX"))
    );
    // RFC 9208 4.1
    assert_eq!(
        body("G0001 GETQUOTA \"!partition/sda4\"\r\n"),
        CommandBody::GetQuota("!partition/sda4".into())
    );
    assert_eq!(
        body("G0002 GETQUOTAROOT INBOX\r\n"),
        CommandBody::GetQuotaRoot(mb("INBOX"))
    );
    assert_eq!(
        body("S0000 SETQUOTA \"#user/alice\" (storage 510 MESSAGE 100)\r\n"),
        CommandBody::SetQuota {
            root: "#user/alice".into(),
            limits: vec![("STORAGE".into(), 510), ("MESSAGE".into(), 100)]
        }
    );
    assert!(
        matches!(body("S1 SETQUOTA \"\" ()\r\n"), CommandBody::SetQuota { limits, .. } if limits.is_empty())
    );
    // RFC 2971 section 3.1
    let CommandBody::Id(Some(pairs)) = body(
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n",
    ) else {
        panic!()
    };
    assert_eq!(pairs.len(), 3);
    assert_eq!(
        pairs[2],
        (
            b"vendor".to_vec(),
            Some(b"Pink Floyd Music Limited".to_vec())
        )
    );
    assert_eq!(body("a ID NIL\r\n"), CommandBody::Id(None));
    assert!(matches!(body("a ID (\"x\" NIL)\r\n"), CommandBody::Id(Some(p)) if p[0].1.is_none()));
    // RFC 4978 section 3
    assert_eq!(
        body("a COMPRESS DEFLATE\r\n"),
        CommandBody::Compress("DEFLATE".into())
    );
}

#[test]
fn mailbox_names_are_raw_and_utf8_follows_the_session() {
    // RFC 3501 5.1.3: an mUTF-7 name stays raw; decoding is the session's.
    let CommandBody::Select { mailbox, .. } =
        body("a SELECT \"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"\r\n")
    else {
        panic!()
    };
    assert!(!mailbox.utf8);
    assert_eq!(
        mailbox.folder_name().unwrap().as_str(),
        "~peter/mail/台北/日本語"
    );
    // Invalid modified UTF-7 parses (it is a valid astring) but is no name.
    let CommandBody::Create { mailbox, .. } = body("a CREATE &Jjo!\r\n") else {
        panic!()
    };
    assert!(mailbox.folder_name().is_err());
    // UTF8=ACCEPT: 8-bit names, quoted or as atoms.
    let mut r = CommandReader::new(Limits::default());
    r.utf8 = true;
    let input = "a SELECT \"台北\"\r\n".as_bytes();
    let Outcome::Command { command, .. } = run(&mut r, input) else {
        panic!()
    };
    let CommandBody::Select { mailbox, .. } = command.body else {
        panic!()
    };
    assert!(mailbox.utf8);
    assert_eq!(mailbox.folder_name().unwrap().as_str(), "台北");
}

#[test]
fn literals_ask_for_continuation_once() {
    let mut r = CommandReader::new(Limits::default());
    let mut buf = b"A001 LOGIN {11}\r\n".to_vec();
    assert_eq!(r.next(&buf), Outcome::Continue { size: 11 });
    assert_eq!(r.next(&buf), Outcome::NeedMore);
    buf.extend_from_slice(b"FRED FOOBAR {7}\r\n");
    assert_eq!(r.next(&buf), Outcome::Continue { size: 7 });
    buf.extend_from_slice(b"fat man\r\nA002 NOOP\r\n");
    let Outcome::Command { command, consumed } = r.next(&buf) else {
        panic!()
    };
    assert_eq!(command.tag, "A001");
    let rest = buf.split_off(consumed);
    assert_eq!(rest, b"A002 NOOP\r\n");
    assert!(matches!(r.next(&rest), Outcome::Command { .. }));
    // A non-synchronizing literal needs no continuation.
    let mut r = CommandReader::new(Limits::default());
    assert_eq!(r.next(b"A001 LOGIN {11+}\r\nFRED"), Outcome::NeedMore);
}

#[test]
fn byte_by_byte_equals_whole() {
    let input: &[u8] = b"A1 APPEND saved (\\Seen) {5}\r\nhello {3+}\r\nabc\r\nA2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (A {1}\r\nB)]) (CHANGEDSINCE 5 VANISHED)\r\n";
    let mut whole = Vec::new();
    let mut r = CommandReader::new(Limits::default());
    let mut rest = input;
    while !rest.is_empty() {
        let Outcome::Command { command, consumed } = run(&mut r, rest) else {
            panic!()
        };
        whole.push(*command);
        rest = &rest[consumed..];
    }
    assert_eq!(whole.len(), 2);
    let mut r = CommandReader::new(Limits::default());
    let mut buf = Vec::new();
    let mut got = Vec::new();
    let mut continuations = 0;
    for &b in input {
        buf.push(b);
        loop {
            match r.next(&buf) {
                Outcome::NeedMore => break,
                Outcome::Continue { .. } => continuations += 1,
                Outcome::Command { command, consumed } => {
                    got.push(*command);
                    buf.drain(..consumed);
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(got, whole);
    assert_eq!(continuations, 2, "one per synchronizing literal");
}

#[test]
fn huge_literal_is_refused_with_its_tag() {
    // Issue 14 "bad input": a {4294967295} literal.
    let mut r = CommandReader::new(Limits::default());
    let input = b"a1 APPEND INBOX {4294967295}\r\n";
    let Outcome::Error { error, consumed } = r.next(input) else {
        panic!()
    };
    assert_eq!(error.tag.as_deref(), Some("a1"));
    assert_eq!(error.code, ErrorCode::TooBig);
    assert!(
        !error.fatal,
        "the client waits for a continuation that never comes"
    );
    assert_eq!(consumed, input.len());
    // Non-synchronizing: its bytes are coming, so the connection ends.
    let Outcome::Error { error, .. } = r.next(b"a2 LOGIN {4294967295+}\r\n") else {
        panic!()
    };
    assert!(error.fatal);
    // Over 2^63: still a clean error.
    let Outcome::Error { error, .. } = r.next(b"a3 LOGIN {99999999999999999999999}\r\n") else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::TooBig);
    // LITERAL- (RFC 7888 section 4): non-synchronizing only up to 4096.
    let mut r = CommandReader::new(Limits::default());
    r.literal_plus = false;
    let Outcome::Error { error, .. } = r.next(b"a4 LOGIN {4097+}\r\n") else {
        panic!()
    };
    assert!(error.fatal);
    assert_eq!(r.next(b"a4 LOGIN {4096+}\r\n"), Outcome::NeedMore);
}

#[test]
fn literal_never_sent_waits_and_is_bounded() {
    let mut r = CommandReader::new(Limits::default());
    assert_eq!(r.next(b"a LOGIN {10}\r\n"), Outcome::Continue { size: 10 });
    assert_eq!(r.next(b"a LOGIN {10}\r\nabc"), Outcome::NeedMore);
}

#[test]
fn unbalanced_and_deep_parentheses() {
    assert_eq!(error("a FETCH 1 (FLAGS\r\n").tag.as_deref(), Some("a"));
    error("a FETCH 1 FLAGS)\r\n");
    error("a STORE 1 FLAGS (\\Seen\r\n");
    // 100,000 nested parentheses: a LIMIT, no stack overflow.
    let deep = format!(
        "a SEARCH {}ALL{}\r\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let mut r = CommandReader::new(Limits {
        max_line: 1 << 20,
        ..Limits::default()
    });
    let Outcome::Error { error, .. } = r.next(deep.as_bytes()) else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::Limit);
    // 10,000 OR terms, nested: the same.
    let ors = format!("a SEARCH {}SEEN{}\r\n", "OR SEEN ".repeat(10_000), "");
    let mut r = CommandReader::new(Limits {
        max_line: 1 << 20,
        ..Limits::default()
    });
    let Outcome::Error { error, .. } = r.next(ors.as_bytes()) else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::Limit);
    // NOT chains too.
    let nots = format!("a SEARCH {}SEEN\r\n", "NOT ".repeat(100_000));
    let mut r = CommandReader::new(Limits {
        max_line: 1 << 20,
        ..Limits::default()
    });
    assert!(matches!(r.next(nots.as_bytes()), Outcome::Error { .. }));
}

#[test]
fn ten_megabyte_sequence_set_is_too_long() {
    let mut set = String::from("a FETCH ");
    let mut i = 1u32;
    while set.len() < 10 << 20 {
        set.push_str(&format!("{i},"));
        i += 2;
    }
    set.push_str("1 FLAGS\r\n");
    let mut r = CommandReader::new(Limits::default());
    let Outcome::Error { error, .. } = r.next(set.as_bytes()) else {
        panic!()
    };
    assert_eq!(
        (error.code, error.fatal, error.tag.as_deref()),
        (ErrorCode::TooBig, true, Some("a"))
    );
    // Within the line limit but over the range count: LIMIT.
    let many = format!("a FETCH {}1 FLAGS\r\n", "1,".repeat(20_000));
    let Outcome::Error { error, .. } = r.next(many.as_bytes()) else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::Limit);
}

#[test]
fn sequence_sets() {
    let CommandBody::Fetch { set, .. } = body("a FETCH 1:*,*,5:3 UID\r\n") else {
        panic!()
    };
    let SeqSet::Ranges(r) = &set else { panic!() };
    assert_eq!(
        r[0],
        SeqRange {
            from: SeqNum::Value(nz(1)),
            to: SeqNum::Largest
        }
    );
    assert_eq!(
        r[1],
        SeqRange {
            from: SeqNum::Largest,
            to: SeqNum::Largest
        }
    );
    assert_eq!(r[2].bounds(9), Some((3, 5)));
    assert_eq!(r[0].bounds(0), None);
    // `1:*` on an empty mailbox matches nothing.
    assert!(!set.contains(1, 0));
    assert!(set.contains(4, 9));
    error("a FETCH 1:0 UID\r\n");
    error("a FETCH 1, UID\r\n");
    error("a FETCH 4294967296 UID\r\n");
}

#[test]
fn bad_tags_and_verbs() {
    let e = error("\r\n");
    assert_eq!(e.tag, None);
    let e = error("a+ NOOP\r\n");
    assert_eq!(e.tag, None);
    assert_eq!(error("a BOGUS\r\n").tag.as_deref(), Some("a"));
    assert_eq!(error("a NOOP extra\r\n").tag.as_deref(), Some("a"));
    error("a UID BOGUS 1\r\n");
    error("a LOGIN \"unterminated\r\n");
    error("a LOGIN \"bad\\escape\" x\r\n");
    // Quoted strings with escapes.
    assert!(
        matches!(body("a LOGIN \"a\\\"b\\\\\" x\r\n"), CommandBody::Login { user, .. } if user == "a\"b\\")
    );
}

#[test]
fn idle_done_and_lines() {
    assert_eq!(
        read_line(b"DONE\r\nrest", 100).unwrap(),
        Some((&b"DONE"[..], 6))
    );
    assert!(is_done(b"done"));
    assert_eq!(read_line(b"DON", 100).unwrap(), None);
    assert!(read_line(&[b'x'; 200], 100).is_err());
}

/// Drives a streamed APPEND the way a session does: returns the heads,
/// the message bytes copied out, and the final tag.
fn stream(input: &[u8]) -> (Vec<AppendHead>, Vec<Vec<u8>>, Outcome) {
    let mut r = CommandReader::new(Limits::default());
    r.stream_append = true;
    let mut buf = input;
    let (mut heads, mut data) = (Vec::new(), Vec::new());
    loop {
        match r.next(buf) {
            Outcome::AppendMessage { head, consumed, .. } => {
                let size = head.size as usize;
                data.push(buf[consumed..consumed + size].to_vec());
                buf = &buf[consumed + size..];
                heads.push(*head);
            }
            Outcome::Continue { .. } => {}
            other => return (heads, data, other),
        }
    }
}

#[test]
fn streamed_append_hands_out_each_message() {
    // RFC 3502 section 6 shape: two messages, the second with a date.
    let input = b"A003 APPEND saved-messages (\\Seen) {5}\r\nhello \" 7-Feb-1994 21:52:25 -0800\" ~{3+}\r\na\0b\r\n";
    let (heads, data, end) = stream(input);
    assert_eq!(
        end,
        Outcome::AppendDone {
            tag: "A003".into(),
            consumed: 2
        }
    );
    assert_eq!(data, vec![b"hello".to_vec(), b"a\0b".to_vec()]);
    assert_eq!(heads[0].mailbox.as_ref().unwrap().raw, b"saved-messages");
    assert_eq!(
        (heads[0].flags.clone(), heads[0].sync, heads[0].binary),
        (vec![Flag::Seen], true, false)
    );
    assert_eq!(heads[1].mailbox, None);
    assert!(heads[1].date.is_some() && heads[1].binary && !heads[1].sync);
    // The mailbox as a literal is framed, not streamed.
    let (heads, data, _) = stream(b"a APPEND {5}\r\nSaved {2}\r\nhi\r\n");
    assert_eq!(heads[0].mailbox.as_ref().unwrap().raw, b"Saved");
    assert_eq!(data, vec![b"hi".to_vec()]);
    // A bad line after a message is BAD with the tag.
    let (_, _, end) = stream(b"a APPEND x {2}\r\nhi junk\r\n");
    let Outcome::Error { error, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(error.tag.as_deref(), Some("a"));
    // Over APPENDLIMIT: refused before any data is read.
    let mut r = CommandReader::new(Limits {
        max_append: 10,
        ..Limits::default()
    });
    r.stream_append = true;
    let Outcome::Error { error, .. } = r.next(b"a APPEND x {11}\r\n") else {
        panic!()
    };
    assert_eq!(error.code, ErrorCode::TooBig);
    // Other commands are unaffected.
    let mut r = CommandReader::new(Limits::default());
    r.stream_append = true;
    assert!(matches!(
        run(&mut r, b"a LOGIN {1}\r\nx y\r\n"),
        Outcome::Command { .. }
    ));
}

#[test]
fn append_is_recognised_from_the_first_line_only() {
    // Found by the imap_command fuzz target: "APPEND" after the first
    // line break made the literal limit depend on how much had arrived.
    let input = b"\0{581}\r\nRED\0 APPEND INBOX\r\n";
    let limits = Limits {
        max_literal: 256,
        ..Limits::default()
    };
    for stream in [false, true] {
        let mut r = CommandReader::new(limits);
        r.stream_append = stream;
        let Outcome::Error { error, .. } = r.next(input) else {
            panic!()
        };
        assert_eq!(error.code, ErrorCode::TooBig);
        let mut r = CommandReader::new(limits);
        let Outcome::Error { error, .. } = r.next(&input[..10]) else {
            panic!()
        };
        assert_eq!(error.code, ErrorCode::TooBig);
    }
}

#[test]
fn rfc6855_utf8_append() {
    // RFC 6855 section 4: append-data-ext "UTF8" SP "(" literal8 ")".
    let CommandBody::Append { messages, .. } =
        parse_bytes(b"a APPEND INBOX (\\Seen) UTF8 (~{5}\r\nhello) {2}\r\nhi\r\n").body
    else {
        panic!()
    };
    assert!(messages[0].utf8 && messages[0].binary && !messages[1].utf8);
    assert_eq!(messages[0].data, b"hello");
    error("a APPEND INBOX UTF8 ({5}\r\nhello)\r\n");
    error("a APPEND INBOX UTF8 (~{5}\r\nhello\r\n");
    // Streamed: the `)` after the data is the reader's.
    let (heads, data, end) = stream(b"a APPEND INBOX UTF8 (~{5}\r\nhello) UTF8 (~{2+}\r\nhi)\r\n");
    assert_eq!(
        end,
        Outcome::AppendDone {
            tag: "a".into(),
            consumed: 3
        }
    );
    assert!(heads.iter().all(|h| h.utf8));
    assert_eq!(data, vec![b"hello".to_vec(), b"hi".to_vec()]);
    let (_, _, end) = stream(b"a APPEND INBOX UTF8 (~{5}\r\nhello]\r\n");
    assert!(matches!(end, Outcome::Error { error, .. } if error.fatal));
}
