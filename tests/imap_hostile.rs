//! Bad input over a real socket against the real `popstore serve`: each
//! gets its exact reply (or a clean disconnect), and another session on
//! the same server is served before and after. Complements
//! tests/imap_sessions.rs (`bad_input_gets_its_reply_and_the_server_serves_on`,
//! which has the synchronizing `{4294967295}` literal, 10,000 and 100,000
//! nested parentheses over the line limit, `FETCH 1:*` on an empty folder,
//! CREATE of bad modified UTF-7 and UID FETCH of UIDs that never existed;
//! `compress_deflate_serves_and_a_bomb_is_cut_off`, a 200 MB DEFLATE bomb;
//! `autologout_ends_an_idle_that_never_says_done`): what is here is what
//! those do not cover.

mod common;
#[path = "imap/script.rs"]
mod script;
#[path = "imap/served.rs"]
mod served;

use std::io::Write;

use script::{Client, glob};
use served::Served;

fn msg(n: usize) -> Vec<u8> {
    format!("From: a@b.example\r\nSubject: m{n}\r\n\r\nbody {n}\r\n").into_bytes()
}

/// Another session is served: it logs in and gets INBOX's status.
fn others_served(s: &Served) {
    let mut o = Client::login(s.imap, "tom");
    let r = o.cmd("o1 STATUS INBOX (MESSAGES)");
    assert!(glob("o1 OK <*>", r.last().unwrap()), "{r:?}");
    o.cmd("o2 LOGOUT");
}

fn last(r: &[String]) -> &str {
    r.last().map(String::as_str).unwrap_or("")
}

/// The rest of the connection's responses, up to its end.
fn to_the_end(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let l = c.response();
        if l.is_empty() {
            return out;
        }
        out.push(l);
    }
}

/// A literal announced and never sent: the session waits no longer than
/// the autologout time (2 s here; the setting is `[imap]
/// idle_timeout_secs`), says BYE and closes; others are served meanwhile
/// and after. Both the synchronizing and the LITERAL+ form.
#[test]
fn a_literal_never_sent_ends_at_the_deadline() {
    let s = Served::start("[imap]\nidle_timeout_secs = 2\n");
    let (mut c, _) = Client::connect(s.imap);
    c.line("t1 LOGIN {5}");
    let r = c.response();
    assert!(glob("+ <*>", &r), "{r}");
    others_served(&s);
    let rest = to_the_end(&mut c);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(glob("* BYE autologout<*>", &rest[0]), "{rest:?}");
    let mut c = Client::login(s.imap, "sue");
    c.send(b"t2 APPEND INBOX {100+}\r\nonly ten b");
    others_served(&s);
    let rest = to_the_end(&mut c);
    assert!(
        rest.iter().any(|l| glob("* BYE autologout<*>", l)),
        "{rest:?}"
    );
    // Nothing was appended.
    let mut o = Client::login(s.imap, "sue");
    let r = o.cmd("o STATUS INBOX (MESSAGES)");
    assert!(
        r.iter().any(|l| l == "* STATUS INBOX (MESSAGES 0)"),
        "{r:?}"
    );
}

/// A non-synchronizing literal no server takes: its bytes must not be
/// read as commands (RFC 7888 4: BAD, and the connection closes, since
/// the client is already sending the literal).
#[test]
fn a_huge_non_synchronizing_literal_is_refused_and_smuggles_nothing() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.send(b"t1 APPEND INBOX {4294967295+}\r\nz1 CREATE Smuggled\r\n");
    let r = to_the_end(&mut c);
    assert!(glob("t1 BAD [TOOBIG] <*>", &r[0]), "{r:?}");
    assert!(r[1..].iter().all(|l| glob("* BYE <*>", l)), "{r:?}");
    assert!(!r.iter().any(|l| l.starts_with("z1 ")), "{r:?}");
    let mut o = Client::login(s.imap, "sue");
    let r = o.cmd("o LIST \"\" Smuggled");
    assert_eq!(r.len(), 1, "{r:?}");
    others_served(&s);
}

/// Unbalanced parentheses, each way, in several commands: BAD, and the
/// session goes on.
#[test]
fn unbalanced_parentheses_are_bad() {
    let s = Served::start("");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    for (i, cmd) in [
        "FETCH 1 FLAGS)",
        "FETCH 1 ((FLAGS)",
        "FETCH 1 (FLAGS))",
        "STORE 1 +FLAGS (\\Seen",
        "STORE 1 +FLAGS \\Seen)",
        "LIST (SUBSCRIBED \"\" *",
        "STATUS INBOX (MESSAGES",
        "APPEND INBOX (\\Seen {3+}\r\nabc",
        ")",
    ]
    .iter()
    .enumerate()
    {
        let tag = format!("b{i}");
        let r = c.cmd(&format!("{tag} {cmd}"));
        assert!(glob(&format!("{tag} BAD <*>"), last(&r)), "{cmd}: {r:?}");
        assert_eq!(r.len(), 1, "{cmd}: {r:?}");
    }
    let r = c.cmd("n FETCH 1 (FLAGS)");
    assert!(glob("n OK <*>", last(&r)), "{r:?}");
    others_served(&s);
}

/// 100,000 nested parentheses within the line limit (raised to 1 MiB
/// here, so that the parser, not the line length, answers): where the
/// grammar has no nesting (FETCH items, STORE flags, APPEND flags) the
/// second parenthesis is a syntax error, BAD; where it nests (a SEARCH
/// program, RFC 9051 6.4.4) the nesting limit answers `BAD [LIMIT]`
/// before SEARCH runs, and the parser does not overflow its stack.
#[test]
fn a_hundred_thousand_nested_parentheses_within_the_line_limit() {
    let s = Served::start("[imap]\nmax_line_length = 1048576\n");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    for (cmd, want) in [
        ("FETCH 1 ", "d BAD <*>"),
        ("STORE 1 +FLAGS ", "d BAD <*>"),
        ("APPEND INBOX ", "d BAD <*>"),
        ("SEARCH ", "d BAD [LIMIT] <*>"),
        ("UID SEARCH ", "d BAD [LIMIT] <*>"),
    ] {
        let mut deep = format!("d {cmd}").into_bytes();
        deep.extend(std::iter::repeat_n(b'(', 100_000));
        deep.extend_from_slice(b"ALL");
        deep.extend(std::iter::repeat_n(b')', 100_000));
        deep.extend_from_slice(b"\r\n");
        c.send(&deep);
        let r = c.until("d");
        assert_eq!(r.len(), 1, "{cmd}: {r:?}");
        assert!(glob(want, last(&r)), "{cmd}: {r:?}");
    }
    let r = c.cmd("n NOOP");
    assert!(glob("n OK <*>", last(&r)), "{r:?}");
    others_served(&s);
}

/// A 10 MB sequence set: past the line limit, `BAD [TOOBIG]` (and the
/// connection is closed, since the rest of the line cannot be read as
/// commands); with the line limit raised past it, the sequence-set limit
/// answers `BAD [LIMIT]`.
#[test]
fn a_ten_megabyte_sequence_set() {
    let mut set = String::with_capacity(10_500_000);
    let mut n = 1u64;
    while set.len() < 10_000_000 {
        set.push_str(&format!("{n},"));
        n += 2;
    }
    set.push('1');
    let line = format!("q FETCH {set} (FLAGS)\r\n").into_bytes();
    let s = Served::start("");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    let mut w = c.writer();
    let sent = std::thread::spawn({
        let line = line.clone();
        move || {
            // The server may close before taking it all.
            let _ = w.write_all(&line);
        }
    });
    let r = to_the_end(&mut c);
    sent.join().unwrap();
    assert!(glob("q BAD [TOOBIG] <*>", &r[0]), "{r:?}");
    assert!(r[1..].iter().all(|l| glob("* BYE <*>", l)), "{r:?}");
    others_served(&s);
    drop(s);

    let s = Served::start("[imap]\nmax_line_length = 16777216\n");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    c.send(&line);
    let r = c.until("q");
    assert!(
        glob("q BAD [LIMIT] <*>", last(&r)),
        "{:?}",
        r.iter().map(|l| &l[..l.len().min(200)]).collect::<Vec<_>>()
    );
    let r = c.cmd("n NOOP");
    assert!(glob("n OK <*>", last(&r)), "{r:?}");
    others_served(&s);
}

/// `1:*` on an empty folder: FETCH, STORE, COPY, MOVE and their UID forms
/// touch nothing and answer OK (RFC 9051 6.4.8: a UID range matching no
/// message is not an error; `*` of an empty folder is treated alike).
/// MOVE sends an untagged `* OK` (where the COPYUID would be) even when
/// nothing moved: informational, allowed.
#[test]
fn one_to_star_on_an_empty_folder() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE Empty");
    c.cmd("c2 CREATE Other");
    c.cmd("s SELECT Empty");
    for (i, cmd) in [
        "FETCH 1:* (FLAGS)",
        "STORE 1:* +FLAGS (\\Seen)",
        "COPY 1:* Other",
        "MOVE 1:* Other",
        "UID FETCH 1:* (FLAGS)",
        "UID STORE 1:* +FLAGS (\\Seen)",
        "UID COPY 1:* Other",
        "UID MOVE 1:* Other",
        "UID EXPUNGE 1:*",
        "EXPUNGE",
    ]
    .iter()
    .enumerate()
    {
        let tag = format!("e{i}");
        let r = c.cmd(&format!("{tag} {cmd}"));
        script::check(cmd, &r, &[&format!("{tag} OK <*>")], &["* OK <*>"], false);
        assert!(!r.iter().any(|l| l.contains("COPYUID")), "{cmd}: {r:?}");
    }
    let r = c.cmd("st STATUS Other (MESSAGES)");
    assert!(
        r.iter().any(|l| l == "* STATUS Other (MESSAGES 0)"),
        "{r:?}"
    );
    others_served(&s);
}

/// `SEARCH 1:*` / `UID SEARCH 1:*` on an empty folder.
#[test]
fn one_to_star_search_on_an_empty_folder() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE Empty");
    c.cmd("s SELECT Empty");
    let r = c.cmd("e1 SEARCH 1:*");
    assert_eq!(r, ["* SEARCH", "e1 OK SEARCH completed"], "{r:?}");
    let r = c.cmd("e2 UID SEARCH 1:*");
    assert_eq!(r[0], "* SEARCH", "{r:?}");
}

/// Invalid modified UTF-7 (RFC 3501 5.1.3) in SELECT, EXAMINE, RENAME
/// (either name), DELETE, STATUS, CREATE: `NO [CANNOT]`, never a folder
/// made.
#[test]
fn invalid_modified_utf7_names() {
    let s = Served::start("");
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE Good");
    for (i, cmd) in [
        "SELECT &Jjo",
        "EXAMINE &AGEAYgBj-",
        "RENAME Good &Jjo",
        "RENAME &Jjo Good2",
        "RENAME Good Bad&-&AGE-",
        "DELETE &Jjo",
        "STATUS &Jjo (MESSAGES)",
        "CREATE &ZeVnLIqe",
        "CREATE A&-&",
    ]
    .iter()
    .enumerate()
    {
        let tag = format!("u{i}");
        let r = c.cmd(&format!("{tag} {cmd}"));
        assert_eq!(r.len(), 1, "{cmd}: {r:?}");
        assert!(
            glob(&format!("{tag} NO [CANNOT] <*>"), &r[0]),
            "{cmd}: {r:?}"
        );
    }
    // Nothing but INBOX and Good.
    let r = c.cmd("l LIST \"\" *");
    let names: Vec<&String> = r.iter().filter(|l| l.starts_with("* LIST")).collect();
    assert_eq!(names.len(), 2, "{r:?}");
    assert!(r.iter().any(|l| l.ends_with(" Good")), "{r:?}");
    others_served(&s);
}

/// UID STORE, COPY, MOVE and EXPUNGE of UIDs that never existed: OK and
/// nothing (UID FETCH is in tests/imap_sessions.rs).
#[test]
fn uid_commands_on_uids_that_never_existed() {
    let s = Served::start("");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("c CREATE Other");
    c.cmd("s SELECT INBOX");
    for (i, cmd) in [
        "UID STORE 1000:2000 +FLAGS (\\Seen)",
        "UID COPY 1000:2000 Other",
        "UID MOVE 1000:2000 Other",
        "UID EXPUNGE 1000:2000",
        "UID FETCH 4294967295 (FLAGS)",
    ]
    .iter()
    .enumerate()
    {
        let tag = format!("x{i}");
        let r = c.cmd(&format!("{tag} {cmd}"));
        script::check(cmd, &r, &[&format!("{tag} OK <*>")], &["* OK <*>"], false);
        assert!(!r.iter().any(|l| l.contains("COPYUID")), "{cmd}: {r:?}");
    }
    let r = c.cmd("f FETCH 1 (FLAGS)");
    assert_eq!(r[0], "* 1 FETCH (FLAGS ())", "{r:?}");
    let r = c.cmd("x9 UID FETCH 4294967296 (FLAGS)");
    assert!(glob("x9 BAD <*>", last(&r)), "{r:?}");
    others_served(&s);
}

/// A SEARCH of 10,000 OR terms (nested, as OR takes two keys): the
/// parser's limits (nesting, terms) answer `BAD [LIMIT]` before SEARCH
/// runs (so this holds before and after SEARCH is wired), without a stack
/// overflow, and the session and the server go on.
#[test]
fn a_search_of_ten_thousand_or_terms_is_limited() {
    let s = Served::start("[imap]\nmax_line_length = 1048576\n");
    s.deliver("sue", &msg(1));
    let mut c = Client::login(s.imap, "sue");
    c.cmd("s SELECT INBOX");
    for cmd in ["SEARCH", "UID SEARCH", "SEARCH RETURN (COUNT)"] {
        let mut q = format!("q {cmd} ");
        for i in 0..10_000 {
            q.push_str(&format!("OR SUBJECT m{i} "));
        }
        q.push_str("ALL");
        let r = c.cmd(&q);
        assert_eq!(r.len(), 1, "{cmd}: {r:?}");
        assert!(glob("q BAD [LIMIT] <*>", &r[0]), "{cmd}: {r:?}");
    }
    // Flat: 10,000 terms side by side (no nesting) meet the terms limit.
    let mut q = String::from("f SEARCH");
    for i in 0..10_001 {
        q.push_str(&format!(" SUBJECT m{i}"));
    }
    let r = c.cmd(&q);
    assert!(glob("f BAD [LIMIT] <*>", last(&r)), "{r:?}");
    let r = c.cmd("n NOOP");
    assert!(glob("n OK <*>", last(&r)), "{r:?}");
    others_served(&s);
}
