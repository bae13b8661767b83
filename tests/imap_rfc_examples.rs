//! The example sessions of RFC 3501 and RFC 9051 (section 8 and the
//! per-command examples of section 6) replayed over a real socket against
//! the real `popstore serve`, the store prepared (folders, messages,
//! flags, by APPEND) so each example's preconditions hold. Responses are
//! compared exactly where the example's values do not depend on state,
//! structurally (`<n>`, `<*>`, flag sets; see tests/imap/script.rs) where
//! they do. The examples of the advertised extensions are in
//! tests/imap_rfc_extensions.rs.
//!
//! Deliberate differences from the examples, for all of them:
//! - D1: the text after a status response is the server's (RFC 9051 7.1):
//!   matched with `<*>` unless the example is the only sensible text.
//! - D2: UIDVALIDITY, UIDNEXT, UIDs, INTERNALDATEs of delivered mail,
//!   sizes of folders and modification sequences depend on the store:
//!   `<n>`. Where an example names UIDs, the messages are the example's
//!   (same sequence numbers) and the UIDs are ours.
//! - D3: `\Recent` and RECENT: which session sees a message as recent is
//!   the server's choice (RFC 3501 2.3.2); the count is `<n>`.
//! - D4: our SELECT sends the responses RFC 3501 6.3.1 requires but the
//!   examples leave out (UIDNEXT, PERMANENTFLAGS, in IMAP4rev2 the LIST
//!   response), accepted as extras where the example omits them.
//! - D5: LIST answers carry CHILDREN attributes (`\HasChildren`,
//!   `\HasNoChildren`; RFC 9051 7.3.1 requires them in IMAP4rev2) and,
//!   for `*`, INBOX and the namespaces' roots the example's server did not
//!   show.
//! - D6: UIDPLUS is advertised, so APPEND and COPY answer
//!   `[APPENDUID ...]` and `[COPYUID ...]` (RFC 4315 3) where the RFC 3501
//!   examples show a bare OK.
//! - D7: CONDSTORE is advertised, and our SELECT and EXAMINE always send
//!   `[HIGHESTMODSEQ n]` (RFC 7162 3.1.2.1 allows it before the client
//!   enables CONDSTORE; it must once it has).
//! - D8: EXPUNGE of several messages: ours reports them from the highest
//!   number down (`* 11 EXPUNGE`, `* 7 EXPUNGE`...), the example from the
//!   lowest with the numbers shifting (`* 3 EXPUNGE`, `* 3 EXPUNGE`...);
//!   both are correct (RFC 9051 7.5.1). Compared by the messages removed.
//! - D9: the order of FETCH data items is the server's (RFC 9051 7.5.2):
//!   ours sends UID first where the example sends it last.
//! - D10: INTERNALDATE is kept as an instant and sent in UTC: the
//!   example's "17-Jul-1996 02:44:25 -0700" comes back as the same time,
//!   "17-Jul-1996 09:44:25 +0000".
//! - D11: BODY/BODYSTRUCTURE types, subtypes, parameter names and the
//!   charset come lower-case ("text" "plain" ("charset" "us-ascii")
//!   "7bit", as Dovecot sends them); they are case-insensitive (RFC 2045).
//! - D12: a `\Noselect` name left without inferiors (after DELETE of its
//!   last child) ceases to exist, as in Dovecot; the RFC 3501 6.3.4
//!   example's server keeps it until it is deleted itself.

mod common;
#[path = "imap/script.rs"]
mod script;
#[path = "imap/served.rs"]
mod served;

use script::{Client, ex, ex_extra, ex_ordered};
use served::Served;

/// What our SELECT/EXAMINE send that the examples leave out (D4, D7).
const SELECT_EXTRA: &[&str] = &[
    "* OK [UIDNEXT <n>]<*>",
    "* OK [PERMANENTFLAGS (<*>)]<*>",
    "* OK [HIGHESTMODSEQ <n>]<*>",
];

/// The message numbers (of the folder before) a run of `* n EXPUNGE`
/// responses removed, in order (D8).
fn expunged(got: &[String], before: usize) -> Vec<usize> {
    let mut left: Vec<usize> = (1..=before).collect();
    for g in got {
        if let Some(n) = g
            .strip_prefix("* ")
            .and_then(|g| g.strip_suffix(" EXPUNGE"))
        {
            left.remove(n.parse::<usize>().unwrap() - 1);
        }
    }
    (1..=before).filter(|i| !left.contains(i)).collect()
}

/// The Terry Gray message of RFC 3501/9051 section 8, built so that the
/// example's FETCH FULL answer holds: RFC822.SIZE 4286, a 3028-byte body
/// of 92 lines.
fn terry_gray() -> Vec<u8> {
    let mut h = String::from(
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
         From: Terry Gray <gray@cac.washington.edu>\r\n\
         Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
         To: imap@cac.washington.edu\r\n\
         cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
         Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n",
    );
    // The example's RFC822.SIZE (4286) less its body (3028): the header
    // is 1258 bytes, padded with an X- field (the real message had
    // Received fields).
    let pad = 1258 - h.len() - "X-Pad: \r\n\r\n".len();
    h.push_str(&format!("X-Pad: {}\r\n\r\n", "p".repeat(pad)));
    assert_eq!(h.len(), 1258);
    let mut m = h.into_bytes();
    for i in 0..92 {
        let width = if i < 84 { 31 } else { 30 };
        m.extend_from_slice(format!("{:<width$}\r\n", format!("line {i}")).as_bytes());
    }
    assert_eq!(m.len(), 4286);
    m
}

/// A short message, `n` in its subject.
fn msg(n: usize) -> Vec<u8> {
    format!("From: a@b.example\r\nSubject: m{n}\r\n\r\nbody {n}\r\n").into_bytes()
}

/// The message of the RFC 3501/9051 APPEND example (310 octets).
fn fred_foobar() -> Vec<u8> {
    let m = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
             From: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
             Subject: afternoon meeting\r\n\
             To: mooch@owatagu.siam.edu\r\n\
             Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
             \r\n\
             Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assert_eq!(m.len(), 310);
    m.as_bytes().to_vec()
}

/// Fills `folder` (created unless INBOX) with `n` messages, `flags(i)`
/// giving the flags of message `i` (1-based).
fn fill(c: &mut Client, folder: &str, n: usize, flags: impl Fn(usize) -> &'static str) {
    if folder != "INBOX" {
        let r = c.cmd(&format!("mk CREATE {folder}"));
        assert!(r.last().unwrap().starts_with("mk OK"), "{r:?}");
    }
    for i in 1..=n {
        c.append(folder, flags(i), &msg(i));
    }
}

const FULL_12: &str = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3028 92))";

/// INBOX as section 8 has it: 18 messages, 12 the Terry Gray message
/// (seen), 17 the first unseen.
fn section8_inbox(s: &Served) {
    let mut c = Client::login(s.imap, "sue");
    for i in 1..=18 {
        let flags = if i < 17 { "\\Seen" } else { "" };
        if i == 12 {
            let m = terry_gray();
            c.send(
                format!(
                    "ap APPEND INBOX ({flags}) \"17-Jul-1996 02:44:25 -0700\" {{{}+}}\r\n",
                    m.len()
                )
                .as_bytes(),
            );
            c.send(&m);
            c.send(b"\r\n");
            let r = c.until("ap");
            assert!(r.last().unwrap().starts_with("ap OK"), "{r:?}");
        } else {
            c.append("INBOX", flags, &msg(i));
        }
    }
    c.cmd("z LOGOUT");
}

/// RFC 3501 section 8, the sample IMAP4rev1 connection.
#[test]
fn rfc3501_section8_sample_connection() {
    let s = Served::start("");
    section8_inbox(&s);
    let (mut c, g) = Client::connect(s.imap);
    assert!(script::glob("* OK <*>", &g), "{g}");
    // D1; the example's user "mrc" is our "sue".
    ex(&mut c, "a001 login sue sue-pw", &["a001 OK <*>"]);
    ex_extra(
        &mut c,
        "a002 select inbox",
        &[
            "* 18 EXISTS",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* <n> RECENT",
            "* OK [UNSEEN 17]<*>",
            "* OK [UIDVALIDITY <n>]<*>",
            "a002 OK [READ-WRITE] <*>",
        ],
        SELECT_EXTRA,
    );
    ex(&mut c, "a003 fetch 12 full", &[FULL_12, "a003 OK <*>"]);
    // The example's BODY[HEADER] is {342}, which contradicts its own
    // RFC822.SIZE (4286) less the body (3028): our header is 1258 bytes.
    let header = String::from_utf8(terry_gray()[..1258].to_vec()).unwrap();
    ex(
        &mut c,
        "a004 fetch 12 body[header]",
        &[
            &format!("* 12 FETCH (BODY[HEADER] {{1258}}\r\n{header})"),
            "a004 OK <*>",
        ],
    );
    ex(
        &mut c,
        "a005 store 12 +flags \\deleted",
        &["* 12 FETCH (FLAGS (\\Seen \\Deleted))", "a005 OK <*>"],
    );
    ex_ordered(&mut c, "a006 logout", &["* BYE <*>", "a006 OK <*>"]);
    assert!(c.closed());
}

/// RFC 9051 section 8, the sample IMAP4rev2 connection. The example starts
/// with STARTTLS and SCRAM-SHA-256; here the login is LOGIN on loopback
/// and IMAP4rev2 is enabled (our server speaks IMAP4rev1 until ENABLE
/// IMAP4rev2, RFC 9051 6.3.1). STARTTLS and SCRAM are in
/// tests/imap_sessions.rs and tests/imap_clients.rs.
#[test]
fn rfc9051_section8_sample_connection() {
    let s = Served::start("");
    section8_inbox(&s);
    let mut c = Client::login(s.imap, "sue");
    ex(
        &mut c,
        "e1 ENABLE IMAP4rev2",
        &["* ENABLED IMAP4rev2", "e1 OK <*>"],
    );
    ex_extra(
        &mut c,
        "a002 select inbox",
        &[
            "* 18 EXISTS",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [UIDVALIDITY <n>]<*>",
            // D5
            "* LIST (<*>) \"/\" INBOX",
            "a002 OK [READ-WRITE] <*>",
        ],
        SELECT_EXTRA,
    );
    ex(&mut c, "a003 fetch 12 full", &[FULL_12, "a003 OK <*>"]);
    ex(
        &mut c,
        "a005 store 12 +flags \\deleted",
        &["* 12 FETCH (FLAGS (\\Seen \\Deleted))", "a005 OK <*>"],
    );
    ex_ordered(&mut c, "a006 logout", &["* BYE <*>", "a006 OK <*>"]);
    assert!(c.closed());
}

/// Section 6.1: CAPABILITY, NOOP, LOGOUT.
#[test]
fn any_state_commands() {
    let s = Served::start("");
    let (mut c, _) = Client::connect(s.imap);
    // 6.1.1: on loopback without TLS our server offers STARTTLS and the
    // AUTH= mechanisms; LOGINDISABLED is not sent on loopback (as POP3).
    let r = ex(
        &mut c,
        "abcd CAPABILITY",
        &["* CAPABILITY IMAP4rev1 <*>", "abcd OK CAPABILITY completed"],
    );
    assert!(
        r[0].contains(" STARTTLS") && r[0].contains(" AUTH=PLAIN"),
        "{r:?}"
    );
    // 6.1.2
    ex(&mut c, "a002 NOOP", &["a002 OK <*>"]);
    // 6.3.4 (9051 6.2.3): LOGIN.
    ex(&mut c, "a001 LOGIN sue sue-pw", &["a001 OK <*>"]);
    // 6.1.2 with new mail: the example's 22 EXISTS etc. are ours.
    s.deliver("sue", &msg(1));
    ex_extra(
        &mut c,
        "s SELECT INBOX",
        &[
            "* 1 EXISTS",
            "* <n> RECENT",
            "* FLAGS (<*>)",
            "* OK [UNSEEN 1]<*>",
            "* OK [UIDVALIDITY <n>]<*>",
            "s OK [READ-WRITE] <*>",
        ],
        SELECT_EXTRA,
    );
    s.deliver("sue", &msg(2));
    ex_extra(
        &mut c,
        "a047 NOOP",
        &["* 2 EXISTS", "a047 OK <*>"],
        &["* <n> RECENT"],
    );
    // 6.1.3
    ex_ordered(&mut c, "A023 LOGOUT", &["* BYE <*>", "A023 OK <*>"]);
    assert!(c.closed());
}

/// Section 6.2.2: AUTHENTICATE (the examples use GSSAPI, which we do not
/// offer; PLAIN as in RFC 4959's and RFC 9051 6.2.2's SASL-IR form).
#[test]
fn authenticate_plain_with_and_without_initial_response() {
    let s = Served::start("");
    let (mut c, _) = Client::connect(s.imap);
    c.line("A001 AUTHENTICATE PLAIN");
    assert_eq!(c.response(), "+ ");
    // "\0sue\0sue-pw"
    c.line("AHN1ZQBzdWUtcHc=");
    let r = c.until("A001");
    script::check(
        "AUTHENTICATE",
        &r,
        &["A001 OK <*>"],
        &["* CAPABILITY <*>"],
        false,
    );
    let (mut c, _) = Client::connect(s.imap);
    ex_extra(
        &mut c,
        "A002 AUTHENTICATE PLAIN AHN1ZQBzdWUtcHc=",
        &["A002 OK <*>"],
        &["* CAPABILITY <*>"],
    );
}

/// Sections 6.3.1 and 6.3.2: SELECT and EXAMINE of folders with the
/// example's counts (INBOX: 172 messages, 12 the first unseen;
/// blurdybloop: 17, 8 the first unseen).
#[test]
fn select_and_examine() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 172, |i| if i < 12 { "\\Seen" } else { "" });
    fill(
        &mut c,
        "blurdybloop",
        17,
        |i| if i < 8 { "\\Seen" } else { "" },
    );
    ex_extra(
        &mut c,
        "A142 SELECT INBOX",
        &[
            "* 172 EXISTS",
            "* <n> RECENT",
            "* OK [UNSEEN 12]<*>",
            "* OK [UIDVALIDITY <n>]<*>",
            "* OK [UIDNEXT <n>]<*>",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            // The example's server keeps only some flags; ours keeps the
            // system flags and keywords (`\*`).
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]<*>",
            "A142 OK [READ-WRITE] SELECT completed",
        ],
        SELECT_EXTRA,
    );
    ex_extra(
        &mut c,
        "A932 EXAMINE blurdybloop",
        &[
            "* 17 EXISTS",
            "* <n> RECENT",
            "* OK [UNSEEN 8]<*>",
            "* OK [UIDVALIDITY <n>]<*>",
            "* OK [UIDNEXT <n>]<*>",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS ()]<*>",
            "A932 OK [READ-ONLY] EXAMINE completed",
        ],
        SELECT_EXTRA,
    );
    // RFC 9051 6.3.2: SELECT of a folder that does not exist.
    ex(&mut c, "A1 SELECT nosuch", &["A1 NO [NONEXISTENT] <*>"]);
}

/// Sections 6.3.3 to 6.3.5: CREATE, DELETE, RENAME (the RFC 3501 and RFC
/// 9051 forms; D5 for the LIST answers).
#[test]
fn create_delete_rename() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    let inbox_and_roots = ["* LIST (<*>) \"/\" INBOX", "* LIST (<*>) \"/\" <*>"];
    // 6.3.3
    ex(&mut c, "A003 CREATE owatagusiam/", &["A003 OK <*>"]);
    ex(
        &mut c,
        "A004 CREATE owatagusiam/blurdybloop",
        &["A004 OK <*>"],
    );
    ex_extra(
        &mut c,
        "A005 LIST \"\" owatagusiam*",
        &[
            "* LIST (\\HasChildren) \"/\" owatagusiam",
            "* LIST (\\HasNoChildren) \"/\" owatagusiam/blurdybloop",
            "A005 OK <*>",
        ],
        &[],
    );
    // RFC 9051 6.3.4: CREATE of an existing folder.
    ex(
        &mut c,
        "A006 CREATE owatagusiam",
        &["A006 NO [ALREADYEXISTS] <*>"],
    );
    // 6.3.4: DELETE of folders with inferiors.
    ex(&mut c, "c1 CREATE blurdybloop", &["c1 OK <*>"]);
    ex(&mut c, "c2 CREATE foo/bar", &["c2 OK <*>"]);
    ex_extra(
        &mut c,
        "A682 LIST \"\" *",
        &[
            "* LIST (\\HasNoChildren) \"/\" blurdybloop",
            "* LIST (\\HasChildren) \"/\" foo",
            "* LIST (\\HasNoChildren) \"/\" foo/bar",
            "A682 OK <*>",
        ],
        &inbox_and_roots,
    );
    ex(&mut c, "A683 DELETE blurdybloop", &["A683 OK <*>"]);
    // RFC 3501 6.3.4, the second example: deleting foo, which has
    // foo/bar, removes foo's messages and leaves the name as the
    // \Noselect parent of foo/bar.
    ex(&mut c, "A84 DELETE foo", &["A84 OK <*>"]);
    ex_extra(
        &mut c,
        "A85 LIST \"\" *",
        &[
            "* LIST (\\Noselect \\HasChildren) \"/\" foo",
            "* LIST (\\HasNoChildren) \"/\" foo/bar",
            "A85 OK <*>",
        ],
        &inbox_and_roots,
    );
    ex_extra(
        &mut c,
        "A86 LIST \"\" %",
        &["* LIST (\\Noselect \\HasChildren) \"/\" foo", "A86 OK <*>"],
        &inbox_and_roots,
    );
    // The first example: a \Noselect name with inferiors cannot be
    // deleted.
    ex(&mut c, "A684 DELETE foo", &["A684 NO [HASCHILDREN] <*>"]);
    ex(&mut c, "A685 DELETE foo/bar", &["A685 OK <*>"]);
    // D12: a \Noselect name left without inferiors ceases to exist; the
    // example's server keeps it until DELETE foo (A687 OK there).
    let r = ex_extra(
        &mut c,
        "A686 LIST \"\" *",
        &["A686 OK <*>"],
        &inbox_and_roots,
    );
    assert!(!r.iter().any(|l| l.contains(" foo")), "{r:?}");
    ex(&mut c, "A687 DELETE foo", &["A687 NO [NONEXISTENT] <*>"]);
    // 6.3.5: RENAME.
    ex(&mut c, "r1 CREATE blurdybloop", &["r1 OK <*>"]);
    ex(&mut c, "r2 CREATE zap/bar", &["r2 OK <*>"]);
    ex(&mut c, "A683 RENAME blurdybloop sarasoop", &["A683 OK <*>"]);
    ex(&mut c, "A684 RENAME zap zowie", &["A684 OK <*>"]);
    ex_extra(
        &mut c,
        "A685 LIST \"\" *",
        &[
            "* LIST (\\HasNoChildren) \"/\" sarasoop",
            "* LIST (\\HasChildren) \"/\" zowie",
            "* LIST (\\HasNoChildren) \"/\" zowie/bar",
            "A685 OK <*>",
        ],
        &inbox_and_roots,
    );
    // RENAME INBOX moves its messages into the new folder; INBOX stays,
    // empty.
    c.append("INBOX", "", &msg(1));
    ex(&mut c, "Z433 RENAME INBOX old-mail", &["Z433 OK <*>"]);
    ex(
        &mut c,
        "Z434 STATUS INBOX (MESSAGES)",
        &["* STATUS INBOX (MESSAGES 0)", "Z434 OK <*>"],
    );
    ex(
        &mut c,
        "Z435 STATUS old-mail (MESSAGES)",
        &["* STATUS old-mail (MESSAGES 1)", "Z435 OK <*>"],
    );
    // RFC 9051 6.3.6: RENAME onto an existing name.
    ex(
        &mut c,
        "Z436 RENAME sarasoop zowie",
        &["Z436 NO [ALREADYEXISTS] <*>"],
    );
}

/// Sections 6.3.6 to 6.3.9: SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB. The
/// examples' `#news.comp.mail.mime` is in a news namespace we do not
/// have: the folder here is `news/comp.mail.mime`.
#[test]
fn subscribe_list_lsub() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    ex(&mut c, "c CREATE news/comp.mail.mime", &["c OK <*>"]);
    ex(
        &mut c,
        "A002 SUBSCRIBE news/comp.mail.mime",
        &["A002 OK <*>"],
    );
    ex(
        &mut c,
        "A003 LSUB \"news/\" \"comp.mail.*\"",
        &["* LSUB () \"/\" news/comp.mail.mime", "A003 OK <*>"],
    );
    ex(
        &mut c,
        "A004 LIST (SUBSCRIBED) \"news/\" \"comp.mail.*\"",
        &[
            "* LIST (\\Subscribed <*>) \"/\" news/comp.mail.mime",
            "A004 OK <*>",
        ],
    );
    ex(
        &mut c,
        "A005 UNSUBSCRIBE news/comp.mail.mime",
        &["A005 OK <*>"],
    );
    ex(
        &mut c,
        "A006 LSUB \"news/\" \"comp.mail.*\"",
        &["A006 OK <*>"],
    );
    // 6.3.8: LIST "" "" gives the delimiter and the root.
    ex(
        &mut c,
        "A101 LIST \"\" \"\"",
        &["* LIST (\\Noselect) \"/\" \"\"", "A101 OK <*>"],
    );
    // `%` does not descend.
    ex_extra(
        &mut c,
        "A202 LIST \"\" %",
        &[
            "* LIST (<*>) \"/\" INBOX",
            "* LIST (\\HasChildren) \"/\" news",
            "A202 OK <*>",
        ],
        &["* LIST (<*>) \"/\" <*>"],
    );
    ex(
        &mut c,
        "A203 LIST news/ %",
        &[
            "* LIST (\\HasNoChildren) \"/\" news/comp.mail.mime",
            "A203 OK <*>",
        ],
    );
}

/// Section 6.3.10: STATUS (and RFC 9051's with SIZE, RFC 8438).
#[test]
fn status() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "blurdybloop", 3, |_| "");
    ex(
        &mut c,
        "A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
        &["* STATUS blurdybloop (MESSAGES 3 UIDNEXT 4)", "A042 OK <*>"],
    );
    let size = 3 * msg(1).len();
    ex(
        &mut c,
        "A043 STATUS blurdybloop (MESSAGES UNSEEN SIZE DELETED)",
        &[
            &format!("* STATUS blurdybloop (MESSAGES 3 UNSEEN 3 SIZE {size} DELETED 0)"),
            "A043 OK <*>",
        ],
    );
}

/// Section 6.3.11 (9051 6.3.12): APPEND, the example's 310 octets over a
/// synchronizing literal, and the TRYCREATE answer for a missing folder.
#[test]
fn append_the_example_message() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE saved-messages");
    c.line("A003 APPEND saved-messages (\\Seen) {310}");
    let r = c.response();
    assert!(script::glob("+ <*>", &r), "{r}");
    c.send(&fred_foobar());
    c.send(b"\r\n");
    let r = c.until("A003");
    // D6
    script::check("APPEND", &r, &["A003 OK [APPENDUID <n> 1] <*>"], &[], false);
    c.line("A004 APPEND nosuch {310}");
    let r = c.until("A004");
    script::check("APPEND", &r, &["A004 NO [TRYCREATE] <*>"], &[], false);
    ex_extra(
        &mut c,
        "A005 EXAMINE saved-messages",
        &[
            "* 1 EXISTS",
            "* <n> RECENT",
            "* OK [UIDVALIDITY <n>]<*>",
            "* OK [UIDNEXT 2]<*>",
            "* FLAGS (<*>)",
            "* OK [PERMANENTFLAGS ()]<*>",
            "A005 OK [READ-ONLY] <*>",
        ],
        SELECT_EXTRA,
    );
    ex(
        &mut c,
        "A006 FETCH 1 (FLAGS BODY[])",
        &[
            &format!(
                "* 1 FETCH (FLAGS (\\Seen) BODY[] {{310}}\r\n{})",
                String::from_utf8(fred_foobar()).unwrap()
            ),
            "A006 OK <*>",
        ],
    );
}

/// Section 6.4: CHECK, CLOSE, UNSELECT (RFC 3691, 9051 6.4.2), EXPUNGE.
#[test]
fn check_close_unselect_expunge() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    let deleted = [3, 4, 7, 11];
    fill(&mut c, "INBOX", 12, |i| {
        if deleted.contains(&i) {
            "\\Deleted"
        } else {
            ""
        }
    });
    c.cmd("s SELECT INBOX");
    ex(&mut c, "FXXZ CHECK", &["FXXZ OK <*>"]);
    // 6.4.3: the example's expunges of 3, 4, 7 and 11, in its order.
    let r = c.cmd("A202 EXPUNGE");
    assert_eq!(expunged(&r, 12), deleted, "{r:?}");
    assert_eq!(r.len(), 5, "{r:?}");
    assert!(script::glob("A202 OK <*>", &r[4]), "{r:?}");
    // 6.4.2: CLOSE expunges silently.
    ex(
        &mut c,
        "s2 STORE 1 +FLAGS.SILENT (\\Deleted)",
        &["s2 OK <*>"],
    );
    ex(&mut c, "A341 CLOSE", &["A341 OK <*>"]);
    ex(
        &mut c,
        "st STATUS INBOX (MESSAGES)",
        &["* STATUS INBOX (MESSAGES 7)", "st OK <*>"],
    );
    // UNSELECT does not expunge.
    c.cmd("s3 SELECT INBOX");
    ex(
        &mut c,
        "s4 STORE 1 +FLAGS.SILENT (\\Deleted)",
        &["s4 OK <*>"],
    );
    ex(&mut c, "A342 UNSELECT", &["A342 OK <*>"]);
    ex(
        &mut c,
        "st2 STATUS INBOX (MESSAGES)",
        &["* STATUS INBOX (MESSAGES 7)", "st2 OK <*>"],
    );
    // Selected-state commands after UNSELECT are BAD.
    let r = c.cmd("A343 FETCH 1 FLAGS");
    assert!(script::glob("A343 BAD <*>", r.last().unwrap()), "{r:?}");
}

/// Sections 6.4.5 to 6.4.8: FETCH, STORE, COPY, UID.
#[test]
fn fetch_store_copy_uid() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    let flags = |i| match i {
        2 => "\\Seen",
        4 => "\\Flagged \\Seen",
        23..=25 => "\\Seen",
        _ => "",
    };
    fill(&mut c, "INBOX", 25, flags);
    c.cmd("c CREATE MEETING");
    c.cmd("s SELECT INBOX");
    // 6.4.5: the examples' FETCHes: structurally (the messages are ours).
    let r = ex(
        &mut c,
        "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
        &[
            "* 2 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM)] {21}\r\nFrom: a@b.example\r\n\r\n)",
            "* 3 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (DATE FROM)] {21}\r\nFrom: a@b.example\r\n\r\n)",
            "* 4 FETCH (FLAGS (\\Flagged \\Seen) BODY[HEADER.FIELDS (DATE FROM)] {21}\r\nFrom: a@b.example\r\n\r\n)",
            "A654 OK <*>",
        ],
    );
    let _ = r;
    // 6.4.6: the example's flags before: 2 \Seen, 3 none (seen by the
    // FETCH above: ours sets \Seen on BODY[], as the example's server
    // would), 4 \Flagged \Seen.
    ex(
        &mut c,
        "A003 STORE 2:4 +FLAGS (\\Deleted)",
        &[
            "* 2 FETCH (FLAGS (\\Deleted \\Seen))",
            "* 3 FETCH (FLAGS (\\Deleted \\Seen))",
            "* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))",
            "A003 OK <*>",
        ],
    );
    // 6.4.7 with D6.
    ex(
        &mut c,
        "A003 COPY 2:4 MEETING",
        &["A003 OK [COPYUID <n> 2:4 1:3] <*>"],
    );
    // 6.4.8: UID FETCH (the example's UIDs 4827313:4828442 are messages
    // 23 to 25; here their UIDs are 23 to 25). The RFC 9051 form sends no
    // \Recent.
    ex(
        &mut c,
        "A999 UID FETCH 23:25 FLAGS",
        &[
            "* 23 FETCH (UID 23 FLAGS (\\Seen))",
            "* 24 FETCH (UID 24 FLAGS (\\Seen))",
            "* 25 FETCH (UID 25 FLAGS (\\Seen))",
            "A999 OK <*>",
        ],
    );
    // 6.4.5's other forms.
    ex(
        &mut c,
        "A655 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)]<0.8>)",
        // Not a PEEK: the message becomes \\Seen and says so.
        &[
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)]<0> {8}\r\nSubject: FLAGS (\\Seen))",
            "A655 OK <*>",
        ],
    );
    ex(
        &mut c,
        "A656 FETCH 1 (RFC822.SIZE BODYSTRUCTURE)",
        &[
            "* 1 FETCH (RFC822.SIZE 42 BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 1 NIL NIL NIL NIL))",
            "A656 OK <*>",
        ],
    );
    // 9051 6.4.9: STORE of flags the message has, with -FLAGS.
    ex(
        &mut c,
        "A004 STORE 2 -FLAGS (\\Deleted)",
        &["* 2 FETCH (FLAGS (\\Seen))", "A004 OK <*>"],
    );
}

/// Section 6.4.4 (9051 6.4.4): the SEARCH examples.
#[test]
fn search() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    for i in 1..=5 {
        let m = format!(
            "From: {} <x@y.example>\r\nSubject: m{i}\r\nDate: 0{i} Feb 1994 10:00:00 +0000\r\n\r\nbody {}\r\n",
            if i % 2 == 0 { "Smith" } else { "Jones" },
            if i == 3 {
                "string not in mailbox"
            } else {
                "text"
            },
        );
        c.send(
            format!(
                "ap APPEND INBOX () \"0{i}-Feb-1994 10:00:00 +0000\" {{{}+}}\r\n",
                m.len()
            )
            .as_bytes(),
        );
        c.send(m.as_bytes());
        c.send(b"\r\n");
        c.until("ap");
    }
    c.cmd("s SELECT INBOX");
    ex(
        &mut c,
        "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"",
        &["* SEARCH", "A282 OK <*>"],
    );
    c.cmd("f STORE 1,3 +FLAGS (\\Flagged)");
    ex(
        &mut c,
        "A283 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"",
        &["* SEARCH 1 3", "A283 OK <*>"],
    );
    ex(
        &mut c,
        "A284 SEARCH TEXT \"string not in mailbox\"",
        &["* SEARCH 3", "A284 OK <*>"],
    );
    ex(
        &mut c,
        "A285 SEARCH CHARSET UTF-8 TEXT {6+}\r\nXXXXXX",
        &["* SEARCH", "A285 OK <*>"],
    );
    // RFC 9051: ESEARCH.
    c.cmd("e ENABLE IMAP4rev2");
    ex(
        &mut c,
        "A286 SEARCH RETURN (MIN COUNT) FROM Smith",
        &["* ESEARCH (TAG \"A286\") MIN 2 COUNT 2", "A286 OK <*>"],
    );
    ex(
        &mut c,
        "A287 UID SEARCH RETURN (ALL) FROM Jones",
        &["* ESEARCH (TAG \"A287\") UID ALL 1,3,5", "A287 OK <*>"],
    );
}

/// RFC 5256 SORT and THREAD, section 5's examples on a folder built for
/// them (the example's message numbers are not reproducible: the sort
/// keys are): subjects sort with "Re:" and "[Fwd: ]" removed (base
/// subject), REVERSE DATE within equal subjects; ORDEREDSUBJECT threads
/// by base subject, REFERENCES by References/In-Reply-To.
#[test]
fn sort_and_thread() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    let mails = [
        (
            "b",
            "Re: banana",
            "02 Feb 1994 10:00:00 +0000",
            "<2@x>",
            Some("<1@x>"),
        ),
        ("a", "banana", "01 Feb 1994 10:00:00 +0000", "<1@x>", None),
        ("c", "apple", "03 Feb 1994 10:00:00 +0000", "<3@x>", None),
        (
            "d",
            "[Fwd: apple]",
            "04 Feb 1994 10:00:00 +0000",
            "<4@x>",
            None,
        ),
        ("e", "cherry", "31 Jan 1994 10:00:00 +0000", "<5@x>", None),
    ];
    for (from, subject, date, id, parent) in mails {
        let mut m = format!(
            "From: {from}@x.example\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {id}\r\n"
        );
        if let Some(p) = parent {
            m.push_str(&format!("In-Reply-To: {p}\r\nReferences: {p}\r\n"));
        }
        m.push_str("\r\nbody\r\n");
        c.append("INBOX", "", m.as_bytes());
    }
    c.cmd("s SELECT INBOX");
    let r = c.cmd("cap CAPABILITY");
    assert!(
        r[0].contains(" SORT") && r[0].contains(" THREAD=REFERENCES"),
        "{r:?}"
    );
    // 1 "Re: banana" 2 "banana" 3 "apple" 4 "[Fwd: apple]" 5 "cherry".
    ex(
        &mut c,
        // The example's SINCE is on INTERNALDATE, which is the time of the
        // APPEND here: SENTSINCE keeps its meaning. Equal base subjects
        // sort by number.
        "A282 SORT (SUBJECT) UTF-8 SENTSINCE 1-Feb-1994",
        &["* SORT 3 4 1 2", "A282 OK <*>"],
    );
    ex(
        &mut c,
        "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
        &["* SORT 4 3 1 2 5", "A283 OK <*>"],
    );
    ex(
        &mut c,
        "A284 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"",
        &["* SORT", "A284 OK <*>"],
    );
    ex(
        &mut c,
        "A285 THREAD ORDEREDSUBJECT UTF-8 ALL",
        &["* THREAD (5)(2 1)(3 4)", "A285 OK <*>"],
    );
    ex(
        &mut c,
        "A286 THREAD REFERENCES UTF-8 ALL",
        // 4 ("[Fwd: apple]") joins 3 by subject (RFC 5256 REFERENCES
        // step 5).
        &["* THREAD (5)(2 1)(3 4)", "A286 OK <*>"],
    );
}
