//! Writer tests: the server lines of the RFC examples, byte for byte
//! (quoted by section).

use std::num::NonZeroU32;

use super::data::*;
use super::fetch::*;
use super::*;
use crate::imap::parse::StatusItem;
use crate::imap::types::{DateTime, Flag, Section, SectionText};
use crate::store::folder_name::FolderName;

fn w(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    f(&mut out);
    String::from_utf8(out).unwrap()
}

fn name(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

#[test]
fn rfc9051_status_responses_and_codes() {
    // RFC 9051 7.1.1 - 7.1.5 and the SELECT example of 6.3.2
    assert_eq!(
        w(|o| status(
            o,
            None,
            Status::Ok,
            Some(&Code::UidValidity(3857529045)),
            "UIDs valid"
        )),
        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            Some("A142"),
            Status::Ok,
            Some(&Code::ReadWrite),
            "SELECT completed"
        )),
        "A142 OK [READ-WRITE] SELECT completed\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            None,
            Status::Ok,
            Some(&Code::PermanentFlags(vec![
                Flag::Deleted,
                Flag::Seen,
                Flag::Wildcard
            ])),
            "Limited"
        )),
        "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
    );
    assert_eq!(
        w(|o| status(o, None, Status::Bye, None, "Autologout; idle for too long")),
        "* BYE Autologout; idle for too long\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            None,
            Status::Preauth,
            None,
            "IMAP4rev2 server logged in as Smith"
        )),
        "* PREAUTH IMAP4rev2 server logged in as Smith\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            Some("A283"),
            Status::No,
            Some(&Code::BadCharset(vec!["UTF-8".into()])),
            "x"
        )),
        "A283 NO [BADCHARSET (UTF-8)] x\r\n"
    );
    // RFC 4315 section 3 (UIDPLUS)
    assert_eq!(
        w(|o| status(
            o,
            Some("A003"),
            Status::Ok,
            Some(&Code::AppendUid {
                uidvalidity: 38505,
                uids: vec![3955]
            }),
            "APPEND completed"
        )),
        "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            Some("A004"),
            Status::Ok,
            Some(&Code::CopyUid {
                uidvalidity: 38505,
                source: vec![304, 319, 320],
                dest: vec![3956, 3957, 3958]
            }),
            "Done"
        )),
        "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
    );
    // RFC 7162 3.1.2.1 and 3.1.3
    assert_eq!(
        w(|o| status(
            o,
            None,
            Status::Ok,
            Some(&Code::HighestModSeq(715194045007)),
            "Highest"
        )),
        "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"
    );
    assert_eq!(
        w(|o| status(
            o,
            Some("d105"),
            Status::Ok,
            Some(&Code::Modified(vec![7, 9])),
            "Conditional STORE failed"
        )),
        "d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n"
    );
    // Every simple code as its name.
    for (code, text) in [
        (Code::Closed, "CLOSED"),
        (Code::AlreadyExists, "ALREADYEXISTS"),
        (Code::NonExistent, "NONEXISTENT"),
        (Code::NoPerm, "NOPERM"),
        (Code::OverQuota, "OVERQUOTA"),
        (Code::Unavailable, "UNAVAILABLE"),
        (Code::AuthenticationFailed, "AUTHENTICATIONFAILED"),
        (Code::Limit, "LIMIT"),
        (Code::Cannot, "CANNOT"),
        (Code::InUse, "INUSE"),
        (Code::TryCreate, "TRYCREATE"),
        (Code::NoModSeq, "NOMODSEQ"),
        (Code::TooBig, "TOOBIG"),
        (Code::UnknownCte, "UNKNOWN-CTE"),
        (Code::ReadOnly, "READ-ONLY"),
    ] {
        assert_eq!(
            w(|o| status(o, Some("t"), Status::No, Some(&code), "x")),
            format!("t NO [{text}] x\r\n")
        );
    }
    // Text never breaks the line.
    assert_eq!(
        w(|o| status(o, Some("t"), Status::Bad, None, "a\r\nb")),
        "t BAD a  b\r\n"
    );
    assert_eq!(w(|o| continuation(o, "Ready")), "+ Ready\r\n");
}

#[test]
fn rfc9051_data_responses() {
    // RFC 9051 7.2.2, 7.3.1, 7.4.1, 7.5
    assert_eq!(
        w(|o| capability(
            o,
            &["IMAP4rev2", "STARTTLS", "AUTH=GSSAPI", "LOGINDISABLED"]
        )),
        "* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n"
    );
    assert_eq!(w(|o| enabled(o, &["CONDSTORE"])), "* ENABLED CONDSTORE\r\n");
    assert_eq!(
        w(|o| flags(
            o,
            &[
                Flag::Answered,
                Flag::Flagged,
                Flag::Deleted,
                Flag::Seen,
                Flag::Draft
            ]
        )),
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    );
    assert_eq!(w(|o| exists(o, 23)), "* 23 EXISTS\r\n");
    assert_eq!(w(|o| recent(o, 5)), "* 5 RECENT\r\n");
    assert_eq!(w(|o| expunge(o, 44)), "* 44 EXPUNGE\r\n");
    assert_eq!(w(|o| search(o, &[2, 3, 6], None)), "* SEARCH 2 3 6\r\n");
    assert_eq!(w(|o| search(o, &[], None)), "* SEARCH\r\n");
    // RFC 7162 3.1.5
    assert_eq!(
        w(|o| search(o, &[2, 5, 6, 7, 11, 12, 18, 19, 20, 23], Some(917162500))),
        "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"
    );
    // RFC 7162 3.2.10
    assert_eq!(
        w(|o| vanished(o, true, &[41, 43, 44, 45, 118])),
        "* VANISHED (EARLIER) 41,43:45,118\r\n"
    );
    assert_eq!(
        w(|o| vanished(o, false, &[405, 407, 408])),
        "* VANISHED 405,407:408\r\n"
    );
    assert_eq!(w(|o| vanished(o, false, &[])), "");
    // RFC 4731 section 3.1; RFC 9051 6.4.4.4
    let e = Esearch {
        min: Some(2),
        count: Some(3),
        ..Esearch::default()
    };
    assert_eq!(
        w(|o| esearch(o, "A282", false, &e)),
        "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"
    );
    let e = Esearch {
        all: Some(vec![2, 10, 11]),
        ..Esearch::default()
    };
    assert_eq!(
        w(|o| esearch(o, "A283", true, &e)),
        "* ESEARCH (TAG \"A283\") UID ALL 2,10:11\r\n"
    );
    // RFC 5256 section 4
    assert_eq!(w(|o| sort(o, &[2, 84, 882])), "* SORT 2 84 882\r\n");
}

fn node(id: u32, children: Vec<ThreadNode>) -> ThreadNode {
    ThreadNode {
        id: Some(id),
        children,
    }
}

#[test]
fn rfc5256_thread() {
    // RFC 5256 section 4: (2)(3 6 (4 23)(44 7 96))
    let roots = vec![
        node(2, vec![]),
        node(
            3,
            vec![node(
                6,
                vec![
                    node(4, vec![node(23, vec![])]),
                    node(44, vec![node(7, vec![node(96, vec![])])]),
                ],
            )],
        ),
    ];
    assert_eq!(
        w(|o| thread(o, &roots)),
        "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"
    );
    // A missing parent: ((3)(5))
    let roots = vec![ThreadNode {
        id: None,
        children: vec![node(3, vec![]), node(5, vec![])],
    }];
    assert_eq!(w(|o| thread(o, &roots)), "* THREAD ((3)(5))\r\n");
    assert_eq!(w(|o| thread(o, &[])), "* THREAD\r\n");
}

#[test]
fn thread_of_any_depth_is_written_and_dropped_without_recursion() {
    // A comb 200,000 levels deep (each node: a leaf and the rest), as
    // replies crafted by anyone who can deliver mail could make THREAD
    // build: writing and dropping it must not overflow the stack.
    let depth = 200_000u32;
    let mut tree = node(depth, vec![]);
    for i in (1..depth).rev() {
        tree = node(i, vec![node(i, vec![]), tree]);
    }
    let roots = vec![tree];
    let out = w(|o| thread(o, &roots));
    assert!(
        out.starts_with("* THREAD (1 (1)(2 (2)(3 (3)(4 "),
        "{}",
        &out[..40]
    );
    let last = depth - 1;
    assert!(out.contains(&format!("({last} ({last})({depth}))))")));
    assert!(out.ends_with(")))\r\n"));
    assert_eq!(out.matches('(').count(), out.matches(')').count());
    drop(roots);
}

#[test]
fn rfc9051_list_status_namespace() {
    // RFC 9051 6.3.9.8
    assert_eq!(
        w(|o| list(
            o,
            false,
            &[] as &[&str],
            Some('/'),
            &name("blurdybloop"),
            false,
            &[]
        )),
        "* LIST () \"/\" blurdybloop\r\n"
    );
    assert_eq!(
        w(|o| list(
            o,
            false,
            &["\\HasNoChildren", "\\Sent"],
            Some('/'),
            &name("Sent Items"),
            false,
            &[]
        )),
        "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
    );
    // RFC 5258 section 5 (CHILDINFO), RFC 9051 (OLDNAME)
    assert_eq!(
        w(|o| list(
            o,
            false,
            &[] as &[&str],
            Some('/'),
            &name("Foo"),
            false,
            &[ListExtended::ChildInfo(vec!["SUBSCRIBED".into()])]
        )),
        "* LIST () \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
    );
    assert_eq!(
        w(|o| list(
            o,
            false,
            &["\\Subscribed"],
            Some('/'),
            &name("NewName"),
            false,
            &[ListExtended::OldName(name("OldName"))]
        )),
        "* LIST (\\Subscribed) \"/\" NewName (\"OLDNAME\" (OldName))\r\n"
    );
    // Names in modified UTF-7 or UTF-8 (RFC 3501 5.1.3, RFC 6855 3).
    let taipei = name("~peter/mail/台北/日本語");
    assert_eq!(
        w(|o| list(o, false, &[] as &[&str], Some('/'), &taipei, false, &[])),
        "* LIST () \"/\" ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n"
    );
    assert_eq!(
        w(|o| list(o, true, &[] as &[&str], Some('/'), &taipei, true, &[])),
        "* LSUB () \"/\" \"~peter/mail/台北/日本語\"\r\n"
    );
    // NIL as a name must be quoted.
    assert_eq!(
        w(|o| list(o, false, &[] as &[&str], None, &name("NIL"), false, &[])),
        "* LIST () NIL \"NIL\"\r\n"
    );
    // RFC 9051 7.2.4
    assert_eq!(
        w(|o| mailbox_status(
            o,
            &name("blurdybloop"),
            false,
            &[(StatusItem::Messages, 231), (StatusItem::UidNext, 44292)]
        )),
        "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"
    );
    // RFC 2342 section 5
    let ns = |p: &str, d: char| (p.to_string(), Some(d));
    assert_eq!(
        w(|o| namespace(
            o,
            &[ns("", '/')],
            &[ns("~", '/')],
            &[
                ns("#shared/", '/'),
                ns("#public/", '/'),
                ns("#ftp/", '/'),
                ns("#news.", '.')
            ]
        )),
        "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n"
    );
    assert_eq!(
        w(|o| namespace(o, &[ns("", '/')], &[], &[])),
        "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
    );
}

#[test]
fn rfc9208_quota_rfc4314_acl_rfc2971_id() {
    // RFC 9208 4.1.2
    assert_eq!(
        w(|o| quotaroot(o, &name("INBOX"), false, &[""])),
        "* QUOTAROOT INBOX \"\"\r\n"
    );
    assert_eq!(
        w(|o| quota(o, "", &[("STORAGE", 10, 512)])),
        "* QUOTA \"\" (STORAGE 10 512)\r\n"
    );
    // RFC 4314 section 3.6 - 3.8
    assert_eq!(
        w(|o| acl(o, &name("INBOX"), false, &[("Fred", "rwipsldexta")])),
        "* ACL INBOX Fred rwipsldexta\r\n"
    );
    assert_eq!(
        w(|o| listrights(
            o,
            &name("~/Mail/saved"),
            false,
            "smith",
            "la",
            &["r", "swicdkxte"]
        )),
        "* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n"
    );
    assert_eq!(
        w(|o| myrights(o, &name("INBOX"), false, "rwiptsldaex")),
        "* MYRIGHTS INBOX rwiptsldaex\r\n"
    );
    // RFC 2971 section 3.1
    assert_eq!(
        w(|o| id(
            o,
            Some(&[
                ("name", Some("Cyrus")),
                ("version", Some("1.5")),
                ("x", None)
            ])
        )),
        "* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"x\" NIL)\r\n"
    );
    assert_eq!(w(|o| id(o, None)), "* ID NIL\r\n");
}

#[test]
fn rfc9051_fetch_items() {
    // RFC 9051 7.5.2 (INTERNALDATE "17-Jul-1996 02:44:25 -0700")
    let d = DateTime {
        unix: 837596665,
        offset_minutes: -420,
    };
    assert_eq!(
        w(|o| {
            let mut f = Fetch::begin(o, 12);
            f.flags(&[Flag::Seen])
                .internal_date(d)
                .rfc822_size(4286)
                .uid(7)
                .modseq(624140003);
            f.end();
        }),
        "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 UID 7 MODSEQ (624140003))\r\n"
    );
    let section = Section {
        part: vec![],
        text: Some(SectionText::HeaderFields(vec![
            "DATE".into(),
            "FROM".into(),
        ])),
    };
    assert_eq!(
        w(|o| {
            let mut f = Fetch::begin(o, 2);
            f.body_section(&section, None, Some(b"Date: x\r\n\r\n"));
            f.end();
        }),
        "* 2 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {11}\r\nDate: x\r\n\r\n)\r\n"
    );
    assert_eq!(
        w(|o| {
            Fetch::begin(o, 5).uid(9).rfc822_literal_head("RFC822", 3);
        }),
        "* 5 FETCH (UID 9 RFC822 {3}\r\n"
    );
    let part = |v: &[u32]| {
        v.iter()
            .map(|&n| NonZeroU32::new(n).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        w(|o| {
            let mut f = Fetch::begin(o, 1);
            f.body_section_literal_head(
                &Section {
                    part: part(&[1, 2]),
                    text: Some(SectionText::Mime),
                },
                Some(0),
                5,
            );
        }),
        "* 1 FETCH (BODY[1.2.MIME]<0> {5}\r\n"
    );
    // RFC 3516 section 4.2
    assert_eq!(
        w(|o| {
            let mut f = Fetch::begin(o, 3);
            f.binary_size(&part(&[2]), 1024)
                .binary(&part(&[2]), None, b"a\0b")
                .binary(&[], Some(4), b"ab");
            f.end();
        }),
        "* 3 FETCH (BINARY.SIZE[2] 1024 BINARY[2] ~{3}\r\na\0b BINARY[]<4> {2}\r\nab)\r\n"
    );
    assert_eq!(
        w(|o| {
            let mut f = Fetch::begin(o, 4);
            f.raw("ENVELOPE", b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")
                .body_section(&Section::default(), None, None);
            f.end();
        }),
        "* 4 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] NIL)\r\n"
    );
}

#[test]
fn strings_choose_their_form() {
    assert_eq!(w(|o| astring(o, b"abc")), "abc");
    assert_eq!(w(|o| astring(o, b"")), "\"\"");
    assert_eq!(w(|o| astring(o, b"a b")), "\"a b\"");
    assert_eq!(w(|o| astring(o, b"a\"b")), "\"a\\\"b\"");
    assert_eq!(w(|o| astring(o, b"a\r\nb")), "{4}\r\na\r\nb");
    assert_eq!(w(|o| nstring(o, None)), "NIL");
    assert_eq!(w(|o| string(o, "é".as_bytes())), "{2}\r\né");
}
