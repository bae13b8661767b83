//! ACL (RFC 4314) and QUOTA (RFC 9208) over IMAP against the real binary:
//! the rights a user grants on a folder are the store's (`popstore folder
//! acl` sees them), the quota root is the account's, SETQUOTA is for
//! MANAGE accounts, and an APPEND past the quota is `NO [OVERQUOTA]`.

mod common;
#[path = "imap/served.rs"]
mod served;

use common::ok;
use served::{Raw, Served};

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
