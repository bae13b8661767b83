//! Differential check: what the writer sends parses with imap-codec
//! 2.0.0-alpha.10 (strict, no quirks) for the responses it knows, and the
//! commands our parser accepts parse there too. Responses imap-codec lacks
//! (ESEARCH, ACL, LIST-EXTENDED items, IMAP4rev2) are left out.

use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, ResponseCodec};

use super::data::*;
use super::fetch::Fetch;
use super::*;
use crate::imap::parse::StatusItem;
use crate::imap::types::{DateTime, Flag, Section, SectionText};
use crate::store::folder_name::FolderName;

fn name(s: &str) -> FolderName {
    FolderName::new(s).unwrap()
}

fn responses() -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    let mut one = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut o = Vec::new();
        f(&mut o);
        all.push(o);
    };
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::UidValidity(3857529045)),
            "UIDs valid",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A1"),
            Status::Ok,
            Some(&Code::ReadWrite),
            "SELECT completed",
        )
    });
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::PermanentFlags(vec![
                Flag::Deleted,
                Flag::Seen,
                Flag::Wildcard,
            ])),
            "Limited",
        )
    });
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::UidNext(4392)),
            "Predicted next UID",
        )
    });
    one(&|o| status(o, None, Status::Ok, Some(&Code::Unseen(12)), "first unseen"));
    one(&|o| {
        status(
            o,
            Some("A2"),
            Status::No,
            Some(&Code::TryCreate),
            "no such folder",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A3"),
            Status::No,
            Some(&Code::BadCharset(vec!["UTF-8".into()])),
            "x",
        )
    });
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::Capability(vec!["IMAP4rev1".into(), "IDLE".into()])),
            "ready",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A4"),
            Status::Ok,
            Some(&Code::AppendUid {
                uidvalidity: 38505,
                uids: vec![3955],
            }),
            "APPEND completed",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A5"),
            Status::Ok,
            Some(&Code::CopyUid {
                uidvalidity: 38505,
                source: vec![304, 319, 320],
                dest: vec![3956, 3957, 3958],
            }),
            "Done",
        )
    });
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::HighestModSeq(715194045007)),
            "Highest",
        )
    });
    one(&|o| {
        status(
            o,
            None,
            Status::Ok,
            Some(&Code::NoModSeq),
            "no mod-sequences",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A6"),
            Status::Ok,
            Some(&Code::Modified(vec![7, 9])),
            "Conditional STORE failed",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A7"),
            Status::No,
            Some(&Code::OverQuota),
            "over quota",
        )
    });
    one(&|o| {
        status(
            o,
            Some("A8"),
            Status::No,
            Some(&Code::AuthenticationFailed),
            "failed",
        )
    });
    one(&|o| status(o, Some("A9"), Status::Bad, None, ""));
    one(&|o| status(o, None, Status::Bye, None, "Autologout"));
    one(&|o| capability(o, &["IMAP4rev1", "STARTTLS", "AUTH=PLAIN", "SASL-IR"]));
    one(&|o| enabled(o, &["CONDSTORE"]));
    one(&|o| {
        flags(
            o,
            &[
                Flag::Answered,
                Flag::Flagged,
                Flag::Deleted,
                Flag::Seen,
                Flag::Draft,
                Flag::Keyword("$Junk".into()),
            ],
        )
    });
    one(&|o| exists(o, 23));
    one(&|o| recent(o, 5));
    one(&|o| expunge(o, 44));
    one(&|o| search(o, &[2, 3, 6], None));
    one(&|o| search(o, &[], None));
    one(&|o| search(o, &[2, 5], Some(917162500)));
    one(&|o| vanished(o, true, &[41, 43, 44, 45]));
    one(&|o| sort(o, &[2, 84, 882]));
    one(&|o| {
        list(
            o,
            false,
            &["\\HasNoChildren"],
            Some('/'),
            &name("Sent Items"),
            false,
            &[],
        )
    });
    one(&|o| {
        list(
            o,
            false,
            &[] as &[&str],
            Some('/'),
            &name("~peter/mail/台北"),
            false,
            &[],
        )
    });
    one(&|o| {
        list(
            o,
            true,
            &[] as &[&str],
            Some('/'),
            &name("INBOX"),
            false,
            &[],
        )
    });
    one(&|o| {
        mailbox_status(
            o,
            &name("blurdybloop"),
            false,
            &[
                (StatusItem::Messages, 231),
                (StatusItem::UidNext, 44292),
                (StatusItem::Size, 100),
            ],
        )
    });
    one(&|o| {
        namespace(
            o,
            &[(String::new(), Some('/'))],
            &[("Other Users/".into(), Some('/'))],
            &[],
        )
    });
    one(&|o| quota(o, "", &[("STORAGE", 10, 512)]));
    one(&|o| quotaroot(o, &name("INBOX"), false, &[""]));
    one(&|o| id(o, Some(&[("name", Some("popstore")), ("x", None)])));
    one(&|o| id(o, None));
    one(&|o| {
        let mut f = Fetch::begin(o, 12);
        f.flags(&[Flag::Seen])
            .internal_date(DateTime {
                unix: 837596665,
                offset_minutes: -420,
            })
            .rfc822_size(4286)
            .uid(7)
            .modseq(624140003);
        f.body_section(
            &Section {
                part: vec![],
                text: Some(SectionText::HeaderFields(vec![
                    "DATE".into(),
                    "FROM".into(),
                ])),
            },
            None,
            Some(b"Date: x\r\n\r\n"),
        );
        f.body_section(&Section::default(), Some(0), Some(b"abc"));
        f.binary_size(&[std::num::NonZeroU32::new(1).unwrap()], 3);
        f.end();
    });
    all
}

#[test]
fn writer_output_parses_with_imap_codec() {
    for r in responses() {
        match ResponseCodec::default().decode(&r) {
            Ok((rest, _)) => assert!(
                rest.is_empty(),
                "trailing bytes after {:?}",
                String::from_utf8_lossy(&r)
            ),
            Err(e) => panic!(
                "imap-codec refuses {:?}: {e:?}",
                String::from_utf8_lossy(&r)
            ),
        }
    }
}

#[test]
fn accepted_commands_parse_with_imap_codec() {
    let commands = [
        "abcd CAPABILITY\r\n",
        "a001 LOGIN SMITH SESAME\r\n",
        "a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
        "t2 ENABLE CONDSTORE\r\n",
        "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
        "a SELECT INBOX (CONDSTORE)\r\n",
        "A042 STATUS blurdybloop (UIDNEXT MESSAGES SIZE)\r\n",
        "A101 LIST \"\" \"%\"\r\n",
        "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)] BODY.PEEK[1.2.MIME] BODY[]<0.2048> BINARY.PEEK[1] BINARY.SIZE[2] MODSEQ)\r\n",
        "a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
        "d105 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n",
        "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
        "a UID MOVE 42:69 foo\r\n",
        "A003 UID EXPUNGE 3000:3002\r\n",
        "S0000 SETQUOTA \"#user/alice\" (STORAGE 510)\r\n",
        "G0002 GETQUOTAROOT INBOX\r\n",
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\")\r\n",
        "a COMPRESS DEFLATE\r\n",
        "A001 NAMESPACE\r\n",
        "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n",
        "A284 THREAD REFERENCES UTF-8 ALL\r\n",
    ];
    for c in commands {
        crate::imap::parse::command::parse_command(
            c.as_bytes(),
            &crate::imap::parse::Limits::default(),
            false,
        )
        .unwrap_or_else(|e| panic!("ours refuses {c:?}: {e:?}"));
        match CommandCodec::default().decode(c.as_bytes()) {
            Ok((rest, _)) => assert!(rest.is_empty(), "{c:?}"),
            Err(e) => panic!("imap-codec refuses {c:?}: {e:?}"),
        }
    }
}
