//! ACL (RFC 4314) and QUOTA (RFC 9208) over IMAP against the real binary:
//! the rights a user grants on a folder are the store's (`popstore folder
//! acl` sees them), the quota root is the account's, SETQUOTA is for
//! MANAGE accounts, and an APPEND past the quota is `NO [OVERQUOTA]`.

mod common;
#[path = "imap/served.rs"]
mod served;

use common::ok;
use served::{Raw, Served, need_python, python};

fn login(s: &Served, user: &str) -> Raw {
    let (mut c, _) = Raw::connect(s.imap);
    let r = c.cmd("l", &format!("LOGIN {user} {user}-pw"));
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}

fn has(lines: &[String], what: &str) -> bool {
    lines.iter().any(|l| l.contains(what))
}

#[test]
fn acl_commands_change_the_folders_acl() {
    let s = Served::start("");
    let mut c = login(&s, "sue");
    let caps = c.cmd("a0", "CAPABILITY");
    assert!(has(&caps, " ACL ") && has(&caps, "RIGHTS="), "{caps:?}");
    c.cmd("a1", "CREATE Shared");
    let r = c.cmd("a2", "SETACL Shared tom lrs");
    assert!(r.last().unwrap().starts_with("a2 OK"), "{r:?}");
    let r = c.cmd("a3", "GETACL Shared");
    assert!(has(&r, "* ACL Shared sue ") && has(&r, " tom lrs"), "{r:?}");
    let r = c.cmd("a4", "SETACL Shared tom +w");
    assert!(r.last().unwrap().starts_with("a4 OK"), "{r:?}");
    let r = c.cmd("a5", "MYRIGHTS Shared");
    assert!(has(&r, "* MYRIGHTS Shared lrswipkxtea"), "{r:?}");
    let r = c.cmd("a6", "LISTRIGHTS Shared tom");
    assert!(has(&r, "* LISTRIGHTS Shared tom \"\" l r s"), "{r:?}");
    let r = c.cmd("a7", "SETACL Shared nobody-such lr");
    assert!(r.last().unwrap().starts_with("a7 NO"), "{r:?}");
    let r = c.cmd("a8", "GETACL Missing");
    assert!(has(&r, "a8 NO [NONEXISTENT]"), "{r:?}");
    // The store holds what IMAP set.
    let out = ok(&s.store, &["folder", "acl", "get", "sue", "Shared"], b"");
    assert!(out.contains("tom") && out.contains("lrsw"), "{out}");
    let r = c.cmd("a9", "DELETEACL Shared tom");
    assert!(r.last().unwrap().starts_with("a9 OK"), "{r:?}");
    let out = ok(&s.store, &["folder", "acl", "get", "sue", "Shared"], b"");
    assert!(!out.contains("tom"), "{out}");
}

#[test]
fn quota_roots_setquota_for_managers_and_overquota_appends() {
    let s = Served::start("");
    ok(
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
    let mut c = login(&s, "sue");
    let r = c.cmd("q1", "GETQUOTAROOT INBOX");
    assert!(has(&r, "* QUOTAROOT INBOX sue"), "{r:?}");
    assert!(has(&r, "* QUOTA sue ()"), "no quota yet: {r:?}");
    let r = c.cmd("q2", "SETQUOTA sue (STORAGE 1)");
    assert!(has(&r, "q2 NO [NOPERM]"), "{r:?}");

    let mut b = login(&s, "boss");
    let r = b.cmd("b1", "SETQUOTA sue (STORAGE 1)");
    assert!(has(&r, "* QUOTA sue (STORAGE 0 1)"), "{r:?}");
    let r = b.cmd("b2", "GETQUOTA sue");
    assert!(has(&r, "* QUOTA sue (STORAGE 0 1)"), "{r:?}");

    // 1 KiB: a 2 KiB message does not fit.
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(2000));
    c.send(format!("q3 APPEND INBOX {{{}}}\r\n", big.len()).as_bytes());
    assert!(c.line().starts_with("+ "));
    c.send(big.as_bytes());
    c.send(b"\r\n");
    let r = c.until("q3");
    assert!(has(&r, "q3 NO [OVERQUOTA]"), "{r:?}");
    let r = c.cmd("q4", "STATUS INBOX (MESSAGES)");
    assert!(has(&r, "(MESSAGES 0)"), "{r:?}");
}

#[test]
fn folders_shared_through_acls_appear_under_other_users() {
    let s = Served::start("");
    let mut sue = login(&s, "sue");
    sue.cmd("s1", "CREATE Shared");
    sue.cmd("s2", "CREATE Private");
    sue.send(b"s3 APPEND Shared {20+}\r\nSubject: hi\r\n\r\nhello\r\n");
    assert!(sue.until("s3").last().unwrap().starts_with("s3 OK"));
    sue.cmd("s4", "SETACL Shared tom lr");

    let mut tom = login(&s, "tom");
    let r = tom.cmd("t1", "NAMESPACE");
    assert!(
        has(
            &r,
            "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL"
        ),
        "{r:?}"
    );
    let r = tom.cmd("t2", "LIST \"\" \"*\"");
    assert!(has(&r, "\"Other Users/sue/Shared\""), "{r:?}");
    assert!(!has(&r, "Private"), "{r:?}");
    let r = tom.cmd("t3", "SELECT \"Other Users/sue/Shared\"");
    assert!(
        has(&r, "* 1 EXISTS") && has(&r, "t3 OK [READ-ONLY]"),
        "{r:?}"
    );
    let r = tom.cmd("t4", "FETCH 1 (BODY[TEXT])");
    assert!(has(&r, "hello"), "{r:?}");
    let r = tom.cmd("t5", "MYRIGHTS \"Other Users/sue/Shared\"");
    assert!(has(&r, "* MYRIGHTS \"Other Users/sue/Shared\" lr"), "{r:?}");
    let r = tom.cmd("t6", "APPEND \"Other Users/sue/Shared\" {3+}\r\nx\r\n");
    assert!(has(&r, "t6 NO [NOPERM]"), "{r:?}");
    let r = tom.cmd("t7", "SELECT \"Other Users/sue/Private\"");
    assert!(has(&r, "t7 NO [NONEXISTENT]"), "{r:?}");

    // With w and i, tom may flag and add; sue sees it.
    sue.cmd("s5", "SETACL Shared tom +wi");
    sue.cmd("s6", "SELECT Shared");
    let r = tom.cmd("t8", "SELECT \"Other Users/sue/Shared\"");
    assert!(has(&r, "t8 OK [READ-WRITE]"), "{r:?}");
    tom.cmd("t9", "STORE 1 +FLAGS (\\Flagged)");
    let r = tom.cmd("t10", "APPEND \"Other Users/sue/Shared\" {3+}\r\nx\r\n");
    assert!(has(&r, "t10 OK [APPENDUID"), "{r:?}");
    let r = sue.cmd("s7", "NOOP");
    assert!(has(&r, "* 2 EXISTS") && has(&r, "\\Flagged"), "{r:?}");
}

#[test]
fn public_folders_appear_under_public_folders() {
    let s = Served::start("");
    ok(&s.store, &["public", "create", "News"], b"");
    ok(
        &s.store,
        &["public", "acl", "set", "News", "anyone", "lrsp"],
        b"",
    );
    ok(&s.store, &["public", "create", "Board"], b"");
    s.deliver("post+News", b"Subject: news\r\n\r\nextra!\r\n");
    let mut tom = login(&s, "tom");
    let r = tom.cmd("t1", "NAMESPACE");
    assert!(has(&r, "((\"Public Folders/\" \"/\"))"), "{r:?}");
    let r = tom.cmd("t2", "LIST \"\" \"Public Folders/*\"");
    assert!(has(&r, "\"Public Folders/News\""), "{r:?}");
    assert!(!has(&r, "Board"), "no l on Board: {r:?}");
    let r = tom.cmd("t3", "EXAMINE \"Public Folders/News\"");
    assert!(has(&r, "* 1 EXISTS"), "{r:?}");
    let r = tom.cmd("t4", "FETCH 1 (BODY.PEEK[TEXT])");
    assert!(has(&r, "extra!"), "{r:?}");
    let r = tom.cmd("t5", "CREATE \"Public Folders/Mine\"");
    assert!(has(&r, "t5 NO [CANNOT]"), "{r:?}");
}

/// Sends `RCPT TO:<user>` with one message over LMTP: the reply to the
/// end of its data (or to the RCPT when refused there).
fn lmtp_reply(s: &Served, user: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let t = std::net::TcpStream::connect(s.lmtp).unwrap();
    t.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut r = BufReader::new(t.try_clone().unwrap());
    let mut w = t;
    let reply = |r: &mut BufReader<std::net::TcpStream>| loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        if l.as_bytes().get(3) != Some(&b'-') {
            return l;
        }
    };
    reply(&mut r);
    for cmd in ["LHLO test", "MAIL FROM:<a@b.example>"] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        assert!(reply(&mut r).starts_with("250"));
    }
    w.write_all(format!("RCPT TO:<{user}>\r\n").as_bytes())
        .unwrap();
    let rcpt = reply(&mut r);
    if !rcpt.starts_with("250") {
        return rcpt;
    }
    w.write_all(b"DATA\r\n").unwrap();
    assert!(reply(&mut r).starts_with("354"));
    w.write_all(b"Subject: over LMTP\r\n\r\nhi\r\n.\r\n")
        .unwrap();
    reply(&mut r)
}

#[test]
fn message_quota_is_set_by_managers_and_refuses_appends_and_deliveries() {
    let s = Served::start("");
    ok(
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
    let mut c = login(&s, "sue");
    let caps = c.cmd("m0", "CAPABILITY");
    assert!(has(&caps, " QUOTA=RES-MESSAGE"), "{caps:?}");
    let r = c.cmd("m1", "SETQUOTA sue (MESSAGE 2)");
    assert!(has(&r, "m1 NO [NOPERM]"), "{r:?}");

    let mut b = login(&s, "boss");
    let r = b.cmd("b1", "SETQUOTA sue (MESSAGE 2)");
    assert!(has(&r, "* QUOTA sue (MESSAGE 0 2)"), "{r:?}");

    // One message over LMTP, one APPENDed: the limit is reached.
    s.deliver("sue", b"Subject: one\r\n\r\none\r\n");
    let append = |c: &mut Raw, tag: &str, m: &str| {
        c.send(format!("{tag} APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len()).as_bytes());
        c.until(tag)
    };
    let r = append(&mut c, "m2", "Subject: two\r\n\r\ntwo\r\n");
    assert!(has(&r, "m2 OK [APPENDUID"), "{r:?}");
    let r = c.cmd("m3", "GETQUOTAROOT INBOX");
    assert!(has(&r, "* QUOTA sue (MESSAGE 2 2)"), "{r:?}");
    // A third: refused by APPEND, by COPY and over LMTP.
    let r = append(&mut c, "m4", "Subject: three\r\n\r\n3\r\n");
    assert!(has(&r, "m4 NO [OVERQUOTA]"), "{r:?}");
    c.cmd("m5", "SELECT INBOX");
    let r = c.cmd("m6", "COPY 1 INBOX");
    assert!(has(&r, "m6 NO [OVERQUOTA]"), "{r:?}");
    let reply = lmtp_reply(&s, "sue");
    assert!(reply.starts_with("552 5.2.2"), "{reply}");
    let r = c.cmd("m7", "STATUS INBOX (MESSAGES)");
    assert!(has(&r, "(MESSAGES 2)"), "{r:?}");
    // Lifting the limit (SETQUOTA without MESSAGE) lets them in again.
    let r = b.cmd("b2", "SETQUOTA sue ()");
    assert!(has(&r, "* QUOTA sue ()"), "{r:?}");
    assert!(lmtp_reply(&s, "sue").starts_with("250"));
    // The CLI sets the same limit.
    ok(
        &s.store,
        &["user", "modify", "sue", "--quota-messages", "5"],
        b"",
    );
    let r = b.cmd("b3", "GETQUOTA sue");
    assert!(has(&r, "* QUOTA sue (MESSAGE 3 5)"), "{r:?}");
    let out = ok(&s.store, &["user", "show", "sue"], b"");
    assert!(out.contains("Message limit:    5"), "{out}");
}

/// RFC 4314 2.1 and 4: `s` is the right to `\Seen`, `t` to `\Deleted`,
/// `w` to the other flags, `e` to EXPUNGE; a STORE changes only what the
/// user's rights allow, and a FETCH of a body sets `\Seen` only with `s`.
#[test]
fn each_right_lets_a_sharer_change_only_its_flags() {
    let s = Served::start("");
    let mut sue = login(&s, "sue");
    sue.cmd("s1", "CREATE Shared");
    for (i, subject) in ["one", "two"].iter().enumerate() {
        let body = format!("Subject: {subject}\r\n\r\nhello\r\n");
        sue.send(
            format!(
                "s2{i} APPEND Shared (\\Answered) {{{}+}}\r\n{body}\r\n",
                body.len()
            )
            .as_bytes(),
        );
        assert!(sue.until(&format!("s2{i}")).last().unwrap().contains("OK"));
    }
    let shared = "\"Other Users/sue/Shared\"";

    // `s` only: read-write, \Seen may change and nothing else.
    sue.cmd("s3", "SETACL Shared tom lrs");
    let mut tom = login(&s, "tom");
    let r = tom.cmd("t1", &format!("SELECT {shared}"));
    assert!(has(&r, "t1 OK [READ-WRITE]"), "{r:?}");
    assert!(has(&r, "[PERMANENTFLAGS (\\Seen)]"), "{r:?}");
    let r = tom.cmd("t2", "STORE 1 +FLAGS (\\Seen \\Flagged \\Deleted $Work)");
    assert!(has(&r, "* 1 FETCH (FLAGS (\\Seen \\Answered))"), "{r:?}");
    assert!(has(&r, "t2 OK"), "{r:?}");
    let r = tom.cmd("t3", "STORE 1 -FLAGS (\\Answered)");
    assert!(has(&r, "t3 NO [NOPERM]"), "{r:?}");
    // FLAGS replaces only \Seen here: \Answered stays.
    let r = tom.cmd("t4", "STORE 1 FLAGS (\\Flagged)");
    assert!(has(&r, "* 1 FETCH (FLAGS (\\Answered))"), "{r:?}");
    let r = tom.cmd("t5", "FETCH 2 (BODY[TEXT])");
    assert!(has(&r, "\\Seen"), "a body fetch sets \\Seen with s: {r:?}");
    let r = tom.cmd("t6", "EXPUNGE");
    assert!(has(&r, "t6 NO [NOPERM]"), "{r:?}");
    let r = tom.cmd("t7", "MOVE 1 INBOX");
    assert!(has(&r, "t7 NO [NOPERM]"), "{r:?}");

    // `w` only: the other flags, and a body fetch leaves \Seen alone.
    sue.cmd("s4", "SETACL Shared tom lrw");
    sue.cmd("s5", "SELECT Shared");
    sue.cmd("s6", "STORE 1:2 -FLAGS (\\Seen)");
    let r = tom.cmd("t8", &format!("SELECT {shared}"));
    assert!(
        has(&r, "[PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\*)]"),
        "{r:?}"
    );
    let r = tom.cmd("t9", "FETCH 1 (BODY[TEXT])");
    assert!(!has(&r, "\\Seen"), "no \\Seen without s: {r:?}");
    let r = tom.cmd("t10", "STORE 1 FLAGS (\\Flagged \\Deleted $Work)");
    assert!(has(&r, "* 1 FETCH (FLAGS (\\Flagged $Work))"), "{r:?}");
    let r = tom.cmd("t11", "STORE 1 +FLAGS (\\Deleted)");
    assert!(has(&r, "t11 NO [NOPERM]"), "{r:?}");

    // `t` and `e`: \Deleted and EXPUNGE; CLOSE expunges.
    sue.cmd("s7", "SETACL Shared tom lrte");
    let r = tom.cmd("t12", &format!("SELECT {shared}"));
    assert!(has(&r, "[PERMANENTFLAGS (\\Deleted)]"), "{r:?}");
    let r = tom.cmd("t13", "STORE 2 +FLAGS (\\Deleted)");
    assert!(has(&r, "t13 OK"), "{r:?}");
    let r = tom.cmd("t14", "EXPUNGE");
    assert!(has(&r, "* 2 EXPUNGE") && has(&r, "t14 OK"), "{r:?}");

    // `lr`: read-only, as EXAMINE.
    sue.cmd("s8", "SETACL Shared tom lr");
    let r = tom.cmd("t15", &format!("SELECT {shared}"));
    assert!(has(&r, "t15 OK [READ-ONLY]"), "{r:?}");
    // The owner's view: what tom was allowed to change, and no more.
    let r = sue.cmd("s9", "FETCH 1:* (FLAGS)");
    assert!(has(&r, "* 1 FETCH (FLAGS (\\Flagged $Work))"), "{r:?}");
    assert!(!has(&r, "* 2 FETCH"), "{r:?}");
}

/// imaplib as `tom`: selects INBOX and runs each `[command, set,
/// mailbox]` of the JSON list in argument 2 (`COPY`, `MOVE`, `UID COPY`,
/// `UID MOVE`); each reply's status and text.
const COPY_AS_TOM: &str = r#"
import imaplib, json, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login("tom", "tom-pw")
M.select("INBOX")
out = []
for cmd, uids, mailbox in json.loads(sys.argv[2]):
    mailbox = '"%s"' % mailbox
    if cmd.startswith("UID "):
        typ, data = M.uid(cmd[4:], uids, mailbox)
    else:
        typ, data = M._simple_command(cmd, uids, mailbox)
        typ, data = M._untagged_response(typ, data, cmd)
    out.append([typ, [d.decode() if isinstance(d, bytes) else str(d) for d in data]])
M.logout()
print(json.dumps(out))
"#;

/// RFC 4314 4: a COPY or MOVE into a folder reached through an ACL
/// carries only the flags the user may set there (`s` for `\Seen`, `t`
/// for `\Deleted`, `w` for the others), as an APPEND does.
#[test]
fn copies_into_shared_and_public_folders_keep_only_the_flags_the_sharer_may_set() {
    if !need_python("imaplib") {
        return;
    }
    let s = Served::start("");
    let mut sue = login(&s, "sue");
    sue.cmd("s1", "CREATE Shared");
    sue.cmd("s2", "SETACL Shared tom lri");
    ok(&s.store, &["public", "create", "News"], b"");
    ok(
        &s.store,
        &["public", "acl", "set", "News", "tom", "lriw"],
        b"",
    );
    for i in 1..=4 {
        s.deliver(
            "tom",
            format!("Subject: m{i}\r\n\r\nbody {i}\r\n").as_bytes(),
        );
    }
    let mut tom = login(&s, "tom");
    tom.cmd("t1", "SELECT INBOX");
    let r = tom.cmd("t2", "STORE 1:4 +FLAGS (\\Seen \\Flagged $Work)");
    assert!(has(&r, "t2 OK"), "{r:?}");
    tom.cmd("t3", "LOGOUT");

    let run = |steps: &str| python(COPY_AS_TOM, &[s.imap.port().to_string(), steps.into()]);
    let shared = "Other Users/sue/Shared";
    // `lri`: the copies carry no flag at all.
    let v = run(&format!(
        r#"[["UID COPY", "1", "{shared}"], ["COPY", "2", "{shared}"]]"#
    ));
    assert!(v.to_string().matches("\"OK\"").count() == 2, "{v}");
    // `lris`: \Seen goes along, \Flagged and $Work do not.
    sue.cmd("s3", "SETACL Shared tom lris");
    let v = run(&format!(
        r#"[["UID MOVE", "3", "{shared}"], ["MOVE", "3", "{shared}"]]"#
    ));
    assert!(v.to_string().matches("\"OK\"").count() == 2, "{v}");
    // `lriw` on a public folder: all but \Seen.
    let v = run(r#"[["UID COPY", "1", "Public Folders/News"]]"#);
    assert!(v.to_string().contains("\"OK\""), "{v}");

    sue.cmd("s4", "SELECT Shared");
    let r = sue.cmd("s5", "FETCH 1:* (FLAGS)");
    let flags: Vec<&String> = r.iter().filter(|l| l.starts_with("* ")).collect();
    assert_eq!(flags.len(), 4, "{r:?}");
    for (i, l) in flags.iter().enumerate() {
        assert!(!l.contains("\\Flagged") && !l.contains("$Work"), "{r:?}");
        assert_eq!(l.contains("\\Seen"), i >= 2, "{r:?}");
    }
    let mut tom = login(&s, "tom");
    let r = tom.cmd("t4", "EXAMINE \"Public Folders/News\"");
    assert!(has(&r, "* 1 EXISTS"), "{r:?}");
    let r = tom.cmd("t5", "FETCH 1 (FLAGS)");
    assert!(
        has(&r, "\\Flagged") && has(&r, "$Work") && !has(&r, "\\Seen"),
        "{r:?}"
    );
    // The user's own folders still get every flag.
    tom.cmd("t6", "SELECT INBOX");
    tom.cmd("t7", "CREATE Mine");
    tom.cmd("t8", "COPY 1 Mine");
    let r = tom.cmd("t9", "STATUS Mine (MESSAGES)");
    assert!(has(&r, "(MESSAGES 1)"), "{r:?}");
    tom.cmd("t10", "SELECT Mine");
    let r = tom.cmd("t11", "FETCH 1 (FLAGS)");
    assert!(
        has(&r, "\\Seen") && has(&r, "\\Flagged") && has(&r, "$Work"),
        "{r:?}"
    );
}
