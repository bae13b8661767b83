//! SEARCH, SORT and THREAD over the wire, against the real binary: the
//! plain and UID forms, ESEARCH (RFC 4731), SEARCHRES's `$` (RFC 5182) in a
//! later FETCH, SORT and THREAD REFERENCES (RFC 5256), and the session's
//! own message numbers when another session expunged a message this one
//! has not been told of (RFC 9051 7.5.1: no EXPUNGE during SEARCH).
//! The evaluation itself is compared with Dovecot in
//! `tests/imap_search_dovecot.rs`.

mod common;
#[path = "imap/served.rs"]
mod served;

use served::{Raw, Served};

fn login(s: &Served) -> Raw {
    let (mut c, greeting) = Raw::connect(s.imap);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let r = c.cmd("l", "LOGIN sue sue-pw");
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}

fn ok<'a>(lines: &'a [String], tag: &str) -> &'a [String] {
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with(&format!("{tag} OK"))),
        "{lines:?}"
    );
    lines
}

fn untagged<'a>(lines: &'a [String], what: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| l.starts_with(what))
        .map(|l| l.trim_end())
        .collect()
}

/// Three messages: `m1 apple`, `Re: m1 apple` (a reply to the first) and
/// `b m3`.
fn three(s: &Served) {
    s.deliver(
        "sue",
        b"From: a@b.example\r\nSubject: m1 apple\r\nMessage-ID: <1@x>\r\n\r\nfirst\r\n",
    );
    s.deliver(
        "sue",
        b"From: c@b.example\r\nSubject: Re: m1 apple\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\n\r\nsecond\r\n",
    );
    s.deliver(
        "sue",
        b"From: d@b.example\r\nSubject: b m3\r\nMessage-ID: <3@x>\r\n\r\nthird, with a pear\r\n",
    );
}

#[test]
fn search_sort_thread_and_saved_results_over_the_wire() {
    let s = Served::start("");
    three(&s);
    let mut c = login(&s);
    let caps = c.cmd("c", "CAPABILITY");
    for cap in ["ESEARCH", "SEARCHRES", "SORT", "THREAD=REFERENCES"] {
        assert!(caps[0].split(' ').any(|w| w == cap), "{cap}: {caps:?}");
    }
    ok(&c.cmd("s", "SELECT INBOX"), "s");
    let r = c.cmd("a", "SEARCH SUBJECT apple");
    assert_eq!(untagged(ok(&r, "a"), "* SEARCH"), ["* SEARCH 1 2"]);
    let r = c.cmd("b", "SEARCH BODY pear");
    assert_eq!(untagged(ok(&r, "b"), "* SEARCH"), ["* SEARCH 3"]);
    let r = c.cmd("u", "UID SEARCH NOT SUBJECT apple");
    assert_eq!(untagged(ok(&r, "u"), "* SEARCH"), ["* SEARCH 3"]);
    let r = c.cmd("e", "SEARCH RETURN (MIN MAX COUNT) ALL");
    assert_eq!(
        untagged(ok(&r, "e"), "* ESEARCH"),
        ["* ESEARCH (TAG \"e\") MIN 1 MAX 3 COUNT 3"]
    );
    // SEARCHRES: the saved result names messages in a later command.
    let r = c.cmd("v", "SEARCH RETURN (SAVE) FROM d@b.example");
    assert!(untagged(ok(&r, "v"), "* ESEARCH").is_empty(), "{r:?}");
    let r = c.cmd("f", "FETCH $ (UID)");
    assert_eq!(untagged(ok(&r, "f"), "* "), ["* 3 FETCH (UID 3)"]);
    // Base subjects (RFC 5256 2.1): "m1 apple" twice, "b m3"; ties in
    // mailbox order.
    let r = c.cmd("o", "SORT (SUBJECT) UTF-8 ALL");
    assert_eq!(untagged(ok(&r, "o"), "* SORT"), ["* SORT 3 1 2"]);
    let r = c.cmd("p", "UID SORT (REVERSE FROM) UTF-8 ALL");
    assert_eq!(untagged(ok(&r, "p"), "* SORT"), ["* SORT 3 2 1"]);
    let r = c.cmd("t", "THREAD REFERENCES UTF-8 ALL");
    assert_eq!(untagged(ok(&r, "t"), "* THREAD"), ["* THREAD (1 2)(3)"]);
    let r = c.cmd("x", "SEARCH CHARSET KOI8-X ALL");
    assert!(r.last().unwrap().starts_with("x NO [BADCHARSET"), "{r:?}");
}

#[test]
fn a_search_uses_the_sessions_numbers_until_it_is_told_of_an_expunge() {
    let s = Served::start("");
    three(&s);
    let mut a = login(&s);
    let mut b = login(&s);
    ok(&a.cmd("s", "SELECT INBOX"), "s");
    ok(&b.cmd("s", "SELECT INBOX"), "s");
    ok(&a.cmd("d", "STORE 1 +FLAGS (\\Deleted)"), "d");
    ok(&a.cmd("x", "EXPUNGE"), "x");
    // b has not been told: message 3 is still its number 3, and number 2
    // still names the reply.
    let r = b.cmd("q", "SEARCH SUBJECT m3");
    assert_eq!(untagged(ok(&r, "q"), "* SEARCH"), ["* SEARCH 3"]);
    assert!(untagged(&r, "* 1 EXPUNGE").is_empty(), "{r:?}");
    let r = b.cmd("n", "SEARCH 2");
    assert_eq!(untagged(ok(&r, "n"), "* SEARCH"), ["* SEARCH 2"]);
    let r = b.cmd("o", "SORT (SUBJECT) UTF-8 ALL");
    assert_eq!(untagged(ok(&r, "o"), "* SORT"), ["* SORT 3 2"]);
    // Told at the next command that allows it; then the numbers move.
    let r = b.cmd("p", "NOOP");
    assert_eq!(untagged(ok(&r, "p"), "* 1 EXPUNGE"), ["* 1 EXPUNGE"]);
    let r = b.cmd("r", "SEARCH SUBJECT m3");
    assert_eq!(untagged(ok(&r, "r"), "* SEARCH"), ["* SEARCH 2"]);
}
