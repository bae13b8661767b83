//! The session without sockets, over an in-memory store: bytes in, bytes
//! out, as RFC 9051 and its extensions say.

use std::sync::Arc;

use super::{After, ConnectionParams, Session};
use crate::auth::Authenticator;
use crate::imap::settings::ImapSettings;
use crate::pop3::store_maildrop::StoreBackend;
use crate::store::groups::Actor;
use crate::store::{AccountChanges, Settings, Store, StoreType};

fn store() -> Arc<Store> {
    let fs = Arc::new(popstore_platform::PosixTree::memory(1));
    let s = Arc::new(Store::init(fs, Settings::default()).unwrap());
    let ch = AccountChanges {
        password: Some(crate::store::password::Secret::new("pw")),
        store_type: Some(StoreType::Imap),
        ..AccountChanges::default()
    };
    s.create_account(&Actor::Admin, "sue", &ch).unwrap();
    s
}

fn session(s: &Arc<Store>, peer: &str) -> Session {
    let auth = Authenticator::new(Arc::new(StoreBackend::new(Arc::clone(s))), None);
    Session::new(
        Arc::new(ImapSettings::default()),
        Arc::clone(s),
        auth,
        ConnectionParams {
            peer: Some(peer.parse().unwrap()),
            tls: false,
            tls_available: true,
        },
    )
}

/// Feeds `input`; everything the session answers, as text.
fn talk(s: &mut Session, input: &str) -> String {
    let mut buf = input.as_bytes().to_vec();
    let mut out = Vec::new();
    while let Some(r) = s.input(&mut buf) {
        out.extend(r.to_bytes());
        if r.after == After::Close {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn deliver(s: &Store, body: &str) {
    let a = s.name("sue").unwrap();
    s.append_message(
        &a,
        &crate::store::folder_name::FolderName::inbox(),
        &crate::store::folders::NewMessage {
            bytes: body.as_bytes(),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn logindisabled_off_loopback_without_tls() {
    let st = store();
    let mut s = session(&st, "192.0.2.7");
    let caps = talk(&mut s, "a CAPABILITY\r\n");
    assert!(
        caps.contains("LOGINDISABLED") && caps.contains("STARTTLS"),
        "{caps}"
    );
    assert!(!caps.contains("AUTH=PLAIN"), "{caps}");
    let r = talk(&mut s, "b LOGIN sue pw\r\n");
    assert!(r.starts_with("b NO [PRIVACYREQUIRED]"), "{r}");
    let r = talk(&mut s, "c STARTTLS\r\n");
    assert!(r.starts_with("c OK"), "{r}");
}

#[test]
fn login_select_fetch_and_commands_in_the_wrong_state() {
    let st = store();
    deliver(&st, "Subject: one\r\n\r\nbody\r\n");
    let mut s = session(&st, "127.0.0.1");
    assert!(talk(&mut s, "a SELECT INBOX\r\n").starts_with("a BAD"));
    let r = talk(&mut s, "b LOGIN sue wrong\r\n");
    assert!(r.starts_with("b NO [AUTHENTICATIONFAILED]"), "{r}");
    let r = talk(&mut s, "c LOGIN sue pw\r\n");
    assert!(r.starts_with("c OK [CAPABILITY "), "{r}");
    assert!(talk(&mut s, "d FETCH 1 FLAGS\r\n").starts_with("d BAD"));
    let r = talk(&mut s, "e SELECT INBOX\r\n");
    assert!(
        r.contains("* 1 EXISTS\r\n") && r.contains("e OK [READ-WRITE]"),
        "{r}"
    );
    let r = talk(&mut s, "f FETCH 1 (UID RFC822.SIZE BODY.PEEK[HEADER])\r\n");
    assert_eq!(
        r,
        "* 1 FETCH (UID 1 RFC822.SIZE 22 BODY[HEADER] {16}\r\nSubject: one\r\n\r\n)\r\n\
         f OK FETCH completed\r\n"
    );
    let r = talk(&mut s, "g STORE 1 +FLAGS (\\Recent)\r\n");
    assert!(r.starts_with("g BAD"), "{r}");
    let r = talk(&mut s, "h SEARCH ALL\r\n");
    assert_eq!(r, "* SEARCH 1\r\nh OK SEARCH completed\r\n");
}

#[test]
fn appends_streamed_in_pieces_and_multiappend() {
    let st = store();
    let mut s = session(&st, "127.0.0.1");
    talk(&mut s, "a LOGIN sue pw\r\n");
    let r = talk(&mut s, "b APPEND INBOX (\\Seen) {5}\r\n");
    assert_eq!(r, "+ Ready for literal data\r\n");
    assert_eq!(talk(&mut s, "Subj"), "");
    let r = talk(&mut s, "e\r\n");
    assert!(r.starts_with("b OK [APPENDUID "), "{r}");
    let r = talk(&mut s, "c APPEND INBOX {3+}\r\nx\r\n {3+}\r\ny\r\n\r\n");
    assert!(r.contains("c OK [APPENDUID ") && r.contains(" 2:3]"), "{r}");
    let r = talk(&mut s, "d APPEND Nowhere {3+}\r\nx\r\n\r\n");
    assert!(r.starts_with("d NO [TRYCREATE]"), "{r}");
    // Still in step after the refused one.
    assert!(talk(&mut s, "e NOOP\r\n").starts_with("e OK"));
}

#[test]
fn idle_reports_what_arrives_and_ends_on_done() {
    let st = store();
    let mut s = session(&st, "127.0.0.1");
    talk(&mut s, "a LOGIN sue pw\r\nb SELECT INBOX\r\n");
    assert_eq!(talk(&mut s, "c IDLE\r\n"), "+ idling\r\n");
    assert!(s.idling());
    assert!(s.poll().is_none());
    deliver(&st, "Subject: two\r\n\r\nx\r\n");
    let r = s.poll().unwrap();
    assert_eq!(String::from_utf8_lossy(&r.text), "* 1 EXISTS\r\n");
    assert_eq!(talk(&mut s, "DONE\r\n"), "c OK IDLE terminated\r\n");
    assert!(!s.idling());
}

#[test]
fn sasl_plain_with_an_initial_response_and_cancel() {
    let st = store();
    let mut s = session(&st, "127.0.0.1");
    assert_eq!(talk(&mut s, "a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_eq!(talk(&mut s, "*\r\n"), "a BAD authentication cancelled\r\n");
    // "\0sue\0pw"
    let r = talk(&mut s, "b AUTHENTICATE PLAIN AHN1ZQBwdw==\r\n");
    assert!(r.starts_with("b OK [CAPABILITY "), "{r}");
}

/// Feeds `input` as the server's glue does: each step inline when the
/// session says it may, else through `input`; also says which commands
/// (by tag) ran inline.
fn talk_glue(s: &mut Session, input: &str) -> (String, Vec<String>) {
    let mut buf = input.as_bytes().to_vec();
    let mut out = Vec::new();
    let mut inline = Vec::new();
    loop {
        let before = buf.clone();
        let r = match s.input_inline(&mut buf) {
            super::Inline::Done(r) => {
                if r.is_some() {
                    let tag = String::from_utf8_lossy(&before);
                    inline.push(tag.split(' ').next().unwrap_or("").to_owned());
                }
                r
            }
            super::Inline::Blocking => s.input(&mut buf),
        };
        let Some(r) = r else { break };
        out.extend(r.to_bytes());
        if r.after == After::Close {
            break;
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), inline)
}

#[test]
fn small_fetches_run_inline_and_answer_as_on_the_blocking_pool() {
    let st = store();
    deliver(&st, "Subject: one\r\n\r\nfirst body\r\n");
    deliver(&st, "Subject: two\r\n\r\nsecond body\r\n");
    let script = "a LOGIN sue pw\r\nb SELECT INBOX\r\n\
                  c FETCH 1 (FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n\
                  d FETCH 1 (BODY.PEEK[])\r\ne FETCH 2 (BODY[])\r\n\
                  f FETCH 1:2 (FLAGS BODY.PEEK[TEXT])\r\ng NOOP\r\nh LOGOUT\r\n";
    let plain = talk(&mut session(&st, "127.0.0.1"), script);
    // The first run set \Seen on 2; start again from a fresh store.
    let st = store();
    deliver(&st, "Subject: one\r\n\r\nfirst body\r\n");
    deliver(&st, "Subject: two\r\n\r\nsecond body\r\n");
    let (glued, inline) = talk_glue(&mut session(&st, "127.0.0.1"), script);
    // After SELECT (UIDVALIDITY differs between the two stores).
    let after_select = |t: &str| t[t.find("b OK").expect("SELECT answered")..].to_owned();
    assert_eq!(after_select(&glued), after_select(&plain));
    assert!(
        plain.contains("first body") && plain.contains("second body"),
        "{plain}"
    );
    // LOGIN checks a password, SELECT opens the folder, `e` sets \Seen
    // and LOGOUT closes: those go to the blocking pool.
    assert_eq!(inline, ["c", "d", "f", "g"], "{glued}");
}
