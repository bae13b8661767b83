//! The examples of the IMAP extensions our server advertises, replayed
//! against the real `popstore serve` as tests/imap_rfc_examples.rs does
//! for RFC 3501 and RFC 9051 (the deliberate differences D1 to D11 listed
//! there hold here too). Differences particular to an extension are noted
//! at its example. Not here: LITERAL- (RFC 7888), which we do not
//! advertise (we offer LITERAL+, of which LITERAL- is the subset).

mod common;
#[path = "imap/script.rs"]
mod script;
#[path = "imap/served.rs"]
mod served;

use script::{Client, check, ex, ex_extra, glob};
use served::Served;

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@b.example\r\nSubject: m{n}\r\n\r\nbody {n}\r\n").into_bytes()
}

fn fill(c: &mut Client, folder: &str, n: usize) {
    if folder != "INBOX" {
        c.cmd(&format!("mk CREATE {folder}"));
    }
    for i in 1..=n {
        c.append(folder, "", &msg(i));
    }
}

/// The number in `[CODE n...]` or `(ITEM n)` of a response.
fn number_after(lines: &[String], key: &str) -> u64 {
    let l = lines
        .iter()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no {key} in {lines:?}"));
    let at = l.find(key).unwrap() + key.len();
    l[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// RFC 4315 UIDPLUS, section 3's examples (the UIDs are ours: D2).
#[test]
fn uidplus() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 6);
    c.cmd("c1 CREATE saved-messages");
    c.cmd("c2 CREATE meeting");
    let m = msg(7);
    c.line(&format!(
        "A003 APPEND saved-messages (\\Seen) {{{}}}",
        m.len()
    ));
    assert!(glob("+ <*>", &c.response()));
    c.send(&m);
    c.send(b"\r\n");
    let r = c.until("A003");
    check("APPEND", &r, &["A003 OK [APPENDUID <n> 1] <*>"], &[], false);
    c.cmd("s SELECT INBOX");
    ex(
        &mut c,
        "A004 COPY 2:4 meeting",
        &["A004 OK [COPYUID <n> 2:4 1:3] <*>"],
    );
    // No matching messages: OK, no COPYUID.
    ex(&mut c, "A005 UID COPY 305:310 meeting", &["A005 OK <*>"]);
    ex(&mut c, "A006 COPY 2 funny", &["A006 NO [TRYCREATE] <*>"]);
    // UID EXPUNGE removes only the \Deleted messages in its range.
    ex(
        &mut c,
        "d STORE 3:6 +FLAGS.SILENT (\\Deleted)",
        &["d OK <*>"],
    );
    let r = ex(
        &mut c,
        "A007 UID EXPUNGE 3:5",
        &[
            "* <n> EXPUNGE",
            "* <n> EXPUNGE",
            "* <n> EXPUNGE",
            "A007 OK <*>",
        ],
    );
    let _ = r;
    ex(
        &mut c,
        "f FETCH 1:* (UID)",
        &[
            "* 1 FETCH (UID 1)",
            "* 2 FETCH (UID 2)",
            "* 3 FETCH (UID 6)",
            "f OK <*>",
        ],
    );
    // MULTIAPPEND (RFC 3502): one APPENDUID with both UIDs.
    c.send(b"A008 APPEND saved-messages {3+}\r\nx\r\n {3+}\r\ny\r\n\r\n");
    let r = c.until("A008");
    check(
        "MULTIAPPEND",
        &r,
        &["A008 OK [APPENDUID <n> 2:3] <*>"],
        &[],
        false,
    );
}

/// RFC 6851 MOVE, section 4.4's example, and its QRESYNC form
/// (VANISHED instead of EXPUNGE, section 4.3).
#[test]
fn move_() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 70);
    c.cmd("c CREATE foo");
    c.cmd("s SELECT INBOX");
    let mut want = vec!["* OK [COPYUID <n> 42:69 1:28] <*>".to_string()];
    want.extend((0..28).map(|_| "* <n> EXPUNGE".to_string()));
    want.push("a OK <*>".to_string());
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let r = c.cmd("a UID MOVE 42:69 foo");
    check("UID MOVE", &r, &want, &[], false);
    // The COPYUID comes before the expunges (RFC 6851 4.3).
    assert!(r[0].contains("COPYUID"), "{r:?}");
    ex(
        &mut c,
        "b STATUS foo (MESSAGES)",
        &["* STATUS foo (MESSAGES 28)", "b OK <*>"],
    );
    // Under QRESYNC.
    ex(
        &mut c,
        "e ENABLE QRESYNC",
        &["* ENABLED QRESYNC", "e OK <*>"],
    );
    let r = c.cmd("a2 UID MOVE 1:5 foo");
    check(
        "UID MOVE",
        &r,
        &[
            "* OK [COPYUID <n> 1:5 29:33] <*>",
            "* VANISHED 1:5",
            "a2 OK <*>",
        ],
        &[],
        true,
    );
    // MOVE to a folder that does not exist.
    ex(&mut c, "a3 MOVE 1 nosuch", &["a3 NO [TRYCREATE] <*>"]);
}

/// RFC 7162 CONDSTORE: section 3's examples (the modification sequences
/// are ours: D2).
#[test]
fn condstore() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 10);
    // 3.1.8: SELECT with the CONDSTORE parameter.
    let r = ex_extra(
        &mut c,
        "a103 SELECT INBOX (CONDSTORE)",
        &["* OK [HIGHESTMODSEQ <n>]<*>", "a103 OK [READ-WRITE] <*>"],
        &["* <*>"],
    );
    let high = number_after(&r, "HIGHESTMODSEQ");
    // 3.1.4.1 (the UNCHANGEDSINCE example): 7 and 9 change after `high`,
    // so only 5 is stored; the others are reported MODIFIED.
    c.cmd("x STORE 7,9 +FLAGS.SILENT (\\Answered)");
    ex_extra(
        &mut c,
        &format!("a102 STORE 7,5,9 (UNCHANGEDSINCE {high}) +FLAGS.SILENT (\\Deleted)"),
        &["* 5 FETCH (MODSEQ (<n>))", "a102 OK [MODIFIED 7,9] <*>"],
        // The other session's changes (ours, by "x"): flags told.
        &["* 7 FETCH (<*>)", "* 9 FETCH (<*>)"],
    );
    // 3.1.4.1: UNCHANGEDSINCE 0 never stores.
    ex(
        &mut c,
        "a104 STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)",
        &["a104 OK [MODIFIED 1] <*>"],
    );
    // 3.1.4.2: FETCH of MODSEQ.
    ex(
        &mut c,
        "a105 FETCH 5 (MODSEQ)",
        &["* 5 FETCH (MODSEQ (<n>))", "a105 OK <*>"],
    );
    // 3.1.4.1 / 3.1.5: FETCH CHANGEDSINCE.
    ex(
        &mut c,
        &format!("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE {high})"),
        &[
            // D9: MODSEQ last.
            "* 5 FETCH (UID 5 FLAGS (\\Deleted) MODSEQ (<n>))",
            "* 7 FETCH (UID 7 FLAGS (\\Answered) MODSEQ (<n>))",
            "* 9 FETCH (UID 9 FLAGS (\\Answered) MODSEQ (<n>))",
            "s100 OK <*>",
        ],
    );
    // 3.1.6: STATUS HIGHESTMODSEQ.
    ex(
        &mut c,
        "A042 STATUS INBOX (HIGHESTMODSEQ)",
        &["* STATUS INBOX (HIGHESTMODSEQ <n>)", "A042 OK <*>"],
    );
    // RFC 5161 4: ENABLED lists only what was newly enabled; CONDSTORE
    // already is (by SELECT (CONDSTORE), RFC 7162 3.1).
    ex(&mut c, "t1 ENABLE CONDSTORE", &["* ENABLED", "t1 OK <*>"]);
    // RFC 5161's section 4 example, less X-GOOD-IDEA which we do not know
    // and so do not enable.
    let mut c = Client::login(s.imap, "sue");
    ex(
        &mut c,
        "t2 ENABLE CONDSTORE X-GOOD-IDEA",
        &["* ENABLED CONDSTORE", "t2 OK <*>"],
    );
}

/// RFC 7162 QRESYNC: section 3.2.5's SELECT with known UIDs, reporting
/// what was expunged (VANISHED (EARLIER)) and what changed, and 3.2.11's
/// `[CLOSED]`.
#[test]
fn qresync() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 10);
    c.cmd("c CREATE other");
    let r = c.cmd("s SELECT INBOX");
    let uidvalidity = number_after(&r, "UIDVALIDITY");
    let high = number_after(&r, "HIGHESTMODSEQ");
    c.cmd("d STORE 3:4 +FLAGS.SILENT (\\Deleted)");
    c.cmd("x EXPUNGE");
    c.cmd("f STORE 5 +FLAGS.SILENT (\\Flagged)");
    c.cmd("z LOGOUT");

    let mut c = Client::login(s.imap, "sue");
    ex(
        &mut c,
        "A01 ENABLE QRESYNC",
        &["* ENABLED QRESYNC", "A01 OK <*>"],
    );
    c.cmd("s0 SELECT other");
    ex_extra(
        &mut c,
        &format!("A02 SELECT INBOX (QRESYNC ({uidvalidity} {high} 1:10))"),
        &[
            "* OK [CLOSED]<*>",
            "* 8 EXISTS",
            "* VANISHED (EARLIER) 3:4",
            "* 5 FETCH (UID 7 FLAGS (\\Flagged) MODSEQ (<n>))",
            "A02 OK [READ-WRITE] <*>",
        ],
        &[
            "* FLAGS (<*>)",
            "* <n> RECENT",
            "* OK [UIDVALIDITY <n>]<*>",
            "* OK [UIDNEXT <n>]<*>",
            "* OK [PERMANENTFLAGS (<*>)]<*>",
            "* OK [HIGHESTMODSEQ <n>]<*>",
            "* OK [UNSEEN <n>]<*>",
        ],
    );
    // 3.2.6: UID FETCH with VANISHED.
    ex(
        &mut c,
        &format!("A03 UID FETCH 1:* (FLAGS) (CHANGEDSINCE {high} VANISHED)"),
        &[
            "* VANISHED (EARLIER) 3:4",
            "* 5 FETCH (UID 7 FLAGS (\\Flagged) MODSEQ (<n>))",
            "A03 OK <*>",
        ],
    );
    // A wrong UIDVALIDITY: a plain SELECT (3.2.5.1).
    ex_extra(
        &mut c,
        &format!("A04 SELECT INBOX (QRESYNC ({} {high}))", uidvalidity + 1),
        &["* OK [CLOSED]<*>", "* 8 EXISTS", "A04 OK [READ-WRITE] <*>"],
        &["* FLAGS (<*>)", "* <n> RECENT", "* OK [<*>"],
    );
}

/// RFC 4314 ACL, section 3's examples. The example's folder
/// `INBOX/Drafts` is our `Drafts`, its Chris our tom; rights strings are
/// compared as sets, the owner's are ours (all rights).
#[test]
fn acl() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE Drafts");
    ex(&mut c, "x SETACL Drafts tom lrswi", &["x OK <*>"]);
    ex(
        &mut c,
        "A001 GETACL Drafts",
        &["* ACL Drafts sue <*> tom lrswi", "A001 OK <*>"],
    );
    ex(&mut c, "A002 SETACL Drafts tom +cda", &["A002 OK <*>"]);
    let r = ex(
        &mut c,
        "A003 GETACL Drafts",
        &["* ACL Drafts sue <*> tom <*>", "A003 OK <*>"],
    );
    let tom: std::collections::BTreeSet<char> = r[0].rsplit(' ').next().unwrap().chars().collect();
    // 4314 2.1.1: c and d (RFC 2086) mean k x and t e (and x for d).
    for right in "lrswikxtea".chars() {
        assert!(tom.contains(&right), "{right} missing: {r:?}");
    }
    ex(&mut c, "A004 SETACL Drafts tom -ca", &["A004 OK <*>"]);
    ex(
        &mut c,
        "A005 LISTRIGHTS Drafts tom",
        // RFC 4314 2.1.1: the RFC 2086 rights c and d may be listed too.
        &[
            "* LISTRIGHTS Drafts tom \"\" l r s w i p k x t e a c d",
            "A005 OK <*>",
        ],
    );
    ex(
        &mut c,
        "A006 MYRIGHTS INBOX",
        &["* MYRIGHTS INBOX <*>", "A006 OK <*>"],
    );
    ex(&mut c, "A007 DELETEACL Drafts tom", &["A007 OK <*>"]);
    ex(
        &mut c,
        "A008 GETACL Drafts",
        &["* ACL Drafts sue <*>", "A008 OK <*>"],
    );
    // No rights to administer another's folder: NO.
    let mut t = Client::login(s.imap, "tom");
    ex(
        &mut t,
        "A009 GETACL \"Other Users/sue/Drafts\"",
        &["A009 NO [NONEXISTENT] <*>"],
    );
}

/// RFC 9208 QUOTA, section 4's examples: the quota root is the account
/// (ours is named after it where the example's is "#user/alice"); limits
/// are set by a MANAGE account (SETQUOTA) and are in KiB.
#[test]
fn quota() {
    let s = Served::start("");
    common::ok(
        &s.store,
        &[
            "user",
            "add",
            "boss",
            "--store-type",
            "imap",
            "--flags",
            "MANAGE",
            "--password-stdin",
        ],
        b"boss-pw\n",
    );
    let mut b = Client::login(s.imap, "boss");
    // The example sets STORAGE 510 and MESSAGE 1000 (RES-MESSAGE: the
    // profile's message limit); the next SETQUOTA names STORAGE only, so
    // the message limit goes (RFC 9208 4.1.3).
    ex(
        &mut b,
        "S0000 SETQUOTA sue (STORAGE 512 MESSAGE 1000)",
        &["* QUOTA sue (STORAGE 0 512 MESSAGE 0 1000)", "S0000 OK <*>"],
    );
    ex(
        &mut b,
        "S0001 SETQUOTA sue (STORAGE 512)",
        &["* QUOTA sue (STORAGE 0 512)", "S0001 OK <*>"],
    );
    let mut c = Client::login(s.imap, "sue");
    fill(&mut c, "INBOX", 42);
    ex(
        &mut c,
        "G0002 GETQUOTAROOT INBOX",
        &[
            "* QUOTAROOT INBOX sue",
            "* QUOTA sue (STORAGE <n> 512)",
            "G0002 OK <*>",
        ],
    );
    ex(
        &mut c,
        "G0003 GETQUOTA sue",
        &["* QUOTA sue (STORAGE <n> 512)", "G0003 OK <*>"],
    );
    // Not a manager.
    ex(
        &mut c,
        "S0002 SETQUOTA sue (STORAGE 99999999)",
        &["S0002 NO [NOPERM] <*>"],
    );
    // 4.1.3: a root that does not exist.
    let r = c.cmd("G0004 GETQUOTA \"!partition.sda4\"");
    assert!(glob("G0004 NO <*>", r.last().unwrap()), "{r:?}");
    // RFC 9208 4.2.2: STATUS DELETED and (with STATUS=SIZE) SIZE.
    c.cmd("s SELECT INBOX");
    c.cmd("d STORE 1 +FLAGS.SILENT (\\Deleted)");
    ex(
        &mut c,
        "G0005 STATUS INBOX (DELETED MESSAGES)",
        &["* STATUS INBOX (MESSAGES 42 DELETED 1)", "G0005 OK <*>"],
    );
}

/// RFC 2971 ID, section 3.3's example: our server answers with its own
/// name and version (the example's server answered with its own).
#[test]
fn id() {
    let s = Served::start("");
    let (mut c, _) = Client::connect(s.imap);
    ex(
        &mut c,
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")",
        &["* ID (\"name\" \"popstore\"<*>)", "a023 OK <*>"],
    );
    ex(&mut c, "a024 ID NIL", &["* ID (<*>)", "a024 OK <*>"]);
}

/// RFC 2177 IDLE, section 3's example: new mail (here delivered over
/// LMTP while idling) is told as `* n EXISTS`; DONE ends it.
#[test]
fn idle() {
    let s = Served::start("[imap]\nidle_poll_ms = 50\n");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    c.line("A002 IDLE");
    assert!(glob("+ <*>", &c.response()));
    s.deliver("sue", &msg(2));
    // Waits for it (no sleep): the read blocks until it comes.
    let mut seen = Vec::new();
    loop {
        let l = c.response();
        assert!(!l.is_empty(), "{seen:?}");
        let done = l == "* 2 EXISTS";
        seen.push(l);
        if done {
            break;
        }
    }
    c.line("DONE");
    let r = c.until("A002");
    check("IDLE", &r, &["A002 OK <*>"], &["* <n> RECENT"], false);
    // IDLE before selecting: allowed, ended by DONE.
    c.cmd("u UNSELECT");
    c.line("A003 IDLE");
    let r = c.response();
    assert!(glob("+ <*>", &r), "{r}");
    c.line("DONE");
    let r = c.until("A003");
    check("IDLE", &r, &["A003 OK <*>"], &[], false);
}

/// RFC 2342 NAMESPACE, section 5's examples: ours has all three kinds
/// (personal, other users, shared: the public folders), the shared one
/// NIL while the store has no public folder the user may see.
#[test]
fn namespace() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    ex(
        &mut c,
        "A001 NAMESPACE",
        &[
            "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL",
            "A001 OK <*>",
        ],
    );
    common::ok(&s.store, &["public", "create", "News"], b"");
    common::ok(
        &s.store,
        &["public", "acl", "set", "News", "anyone", "lr"],
        b"",
    );
    ex(
        &mut c,
        "A002 NAMESPACE",
        &[
            "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Public Folders/\" \"/\"))",
            "A002 OK <*>",
        ],
    );
}

/// RFC 5258 LIST-EXTENDED, section 5's examples (the folders are the
/// example's: Fruit/ and Tofu/ hierarchies), with RFC 5819 LIST-STATUS
/// and RFC 6154 SPECIAL-USE.
#[test]
fn list_extended_status_special_use() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    for f in [
        "Fruit",
        "Fruit/Apple",
        "Fruit/Banana",
        "Tofu",
        "Vegetable",
        "Vegetable/Broccoli",
    ] {
        c.cmd(&format!("c CREATE {f}"));
    }
    c.cmd("s1 SUBSCRIBE Fruit/Banana");
    c.cmd("s2 SUBSCRIBE Vegetable");
    // 5258 5.1 (example 2): subscribed folders.
    ex(
        &mut c,
        "A02 LIST (SUBSCRIBED) \"\" \"*\"",
        &[
            "* LIST (\\Subscribed <*>) \"/\" Fruit/Banana",
            "* LIST (\\Subscribed <*>) \"/\" Vegetable",
            "A02 OK <*>",
        ],
    );
    // Example 3: RETURN (CHILDREN).
    ex_extra(
        &mut c,
        "A03 LIST () \"\" \"%\" RETURN (CHILDREN)",
        &[
            "* LIST (\\HasChildren) \"/\" Fruit",
            "* LIST (\\HasNoChildren) \"/\" Tofu",
            "* LIST (\\HasChildren) \"/\" Vegetable",
            "A03 OK <*>",
        ],
        &["* LIST (<*>) \"/\" INBOX", "* LIST (<*>) \"/\" <*>"],
    );
    // Example 7: several patterns.
    ex(
        &mut c,
        "A07 LIST \"\" (\"Tofu\" \"Fruit/%\")",
        &[
            "* LIST (\\HasNoChildren) \"/\" Tofu",
            "* LIST (\\HasNoChildren) \"/\" Fruit/Apple",
            "* LIST (\\HasNoChildren) \"/\" Fruit/Banana",
            "A07 OK <*>",
        ],
    );
    // RFC 5819 LIST-STATUS, section 5.
    c.append("Fruit/Apple", "", &msg(1));
    ex(
        &mut c,
        "A08 LIST \"\" \"Fruit/%\" RETURN (STATUS (MESSAGES UNSEEN))",
        &[
            "* LIST (\\HasNoChildren) \"/\" Fruit/Apple",
            "* STATUS Fruit/Apple (MESSAGES 1 UNSEEN 1)",
            "* LIST (\\HasNoChildren) \"/\" Fruit/Banana",
            "* STATUS Fruit/Banana (MESSAGES 0 UNSEEN 0)",
            "A08 OK <*>",
        ],
    );
    // RFC 6154 SPECIAL-USE 5.1 and 5.2 (CREATE-SPECIAL-USE 5.3).
    ex(
        &mut c,
        "t3 CREATE MySpecial (USE (\\Drafts))",
        &["t3 OK <*>"],
    );
    ex(
        &mut c,
        "t4 LIST (SPECIAL-USE) \"\" \"*\"",
        &[
            "* LIST (\\HasNoChildren \\Drafts) \"/\" MySpecial",
            "t4 OK <*>",
        ],
        // (the account's standard folders, if it has them)
    );
    ex_extra(
        &mut c,
        "t5 LIST \"\" \"%\" RETURN (SPECIAL-USE)",
        &[
            "* LIST (\\HasNoChildren \\Drafts) \"/\" MySpecial",
            "t5 OK <*>",
        ],
        &["* LIST (<*>) \"/\" <*>"],
    );
    ex(
        &mut c,
        "t6 CREATE Bogus (USE (\\Nonsense))",
        &["t6 NO [USEATTR] <*>"],
    );
}

/// RFC 3516 BINARY, section 4.2's examples: a base64 part is served
/// decoded, with BINARY.SIZE its decoded size; APPEND of a binary
/// literal (`~{n}`).
#[test]
fn binary() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    let m = "From: a@b.example\r\nSubject: bin\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=X\r\n\r\n\
             --X\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
             --X\r\nContent-Type: application/octet-stream\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n--X--\r\n";
    c.append("INBOX", "", m.as_bytes());
    c.cmd("s SELECT INBOX");
    ex(
        &mut c,
        "a FETCH 1 (BINARY.SIZE[2])",
        &["* 1 FETCH (BINARY.SIZE[2] 4)", "a OK <*>"],
    );
    let r = ex(
        &mut c,
        "b FETCH 1 (BINARY.PEEK[2])",
        &["* 1 FETCH (BINARY[2] ~{4}\r\n<*>)", "b OK <*>"],
    );
    let _ = r;
    ex(
        &mut c,
        "c FETCH 1 (BINARY.PEEK[1])",
        &["* 1 FETCH (BINARY[1] {2}\r\nhi)", "c OK <*>"],
    );
    // A partial BINARY fetch.
    ex(
        &mut c,
        "d FETCH 1 (BINARY.PEEK[2]<1.2>)",
        // No NUL in the slice: a plain literal will do (RFC 3516 4.2).
        &["* 1 FETCH (BINARY[2]<1> {2}\r\n\u{1}\u{2})", "d OK <*>"],
    );
    // APPEND of a binary literal.
    c.send(b"e APPEND INBOX ~{17+}\r\nSubject: x\r\n\r\nA\0B\r\n");
    let r = c.until("e");
    check(
        "APPEND",
        &r,
        &["* 2 EXISTS", "e OK [APPENDUID <n> 2] <*>"],
        &[],
        false,
    );
}

/// RFC 7888 LITERAL+, section 3's example: non-synchronizing literals in
/// LOGIN, no continuation.
#[test]
fn literal_plus() {
    let s = Served::start("");
    let (mut c, _) = Client::connect(s.imap);
    c.send(b"A001 LOGIN {3+}\r\nsue {6+}\r\nsue-pw\r\n");
    let r = c.until("A001");
    check("LOGIN", &r, &["A001 OK <*>"], &["* CAPABILITY <*>"], false);
    // A synchronizing literal still gets its continuation.
    c.line("A002 CREATE {5}");
    assert!(glob("+ <*>", &c.response()));
    c.line("hello");
    let r = c.until("A002");
    check("CREATE", &r, &["A002 OK <*>"], &[], false);
}

/// RFC 3691 UNSELECT, section 3's example (the RFC 3501 examples file has
/// it with CLOSE); RFC 8438 STATUS=SIZE is in the STATUS example there.
#[test]
fn unselect() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    ex(&mut c, "A342 UNSELECT", &["A342 OK <*>"]);
    ex(&mut c, "A343 UNSELECT", &["A343 BAD <*>"]);
}

/// RFC 5258 section 5, example 5: with RECURSIVEMATCH, a parent whose
/// child is subscribed (Fruit, for Fruit/Banana) is listed with
/// `CHILDINFO ("SUBSCRIBED")` though it is not subscribed itself
/// (section 3: the server MUST).
#[test]
fn list_recursivematch_gives_childinfo() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    for f in [
        "Fruit",
        "Fruit/Apple",
        "Fruit/Banana",
        "Tofu",
        "Vegetable",
        "Vegetable/Broccoli",
    ] {
        c.cmd(&format!("c CREATE {f}"));
    }
    c.cmd("s1 SUBSCRIBE Fruit/Banana");
    c.cmd("s2 SUBSCRIBE Vegetable");
    ex(
        &mut c,
        "A05 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"",
        &[
            "* LIST (\\HasChildren) \"/\" Fruit (\"CHILDINFO\" (\"SUBSCRIBED\"))",
            "* LIST (\\Subscribed <*>) \"/\" Vegetable",
            "A05 OK <*>",
        ],
    );
}
