//! The sans-IO session driven by scripts: the RFC 2033 example, pipelining,
//! per-recipient replies, data transparency and bad input.

use std::collections::HashMap;

use super::session::{Action, Limits, MAX_COMMAND_LINE, Session};
use crate::config::QuotaFailure;
use crate::delivery::{AcceptedRecipient, Envelope, Refusal};

/// A tiny store: known users, some over quota at delivery time.
#[derive(Default)]
struct Store {
    users: HashMap<String, Vec<Vec<u8>>>,
    full_at_delivery: Vec<String>,
    checks: Vec<(String, u64)>,
    envelopes: Vec<Envelope>,
}

impl Store {
    fn with(users: &[&str]) -> Store {
        Store {
            users: users.iter().map(|u| (u.to_string(), Vec::new())).collect(),
            ..Store::default()
        }
    }

    fn check(&mut self, rcpt: &str, size: u64) -> Result<AcceptedRecipient, Refusal> {
        self.checks.push((rcpt.to_string(), size));
        let local = rcpt.split('@').next().unwrap_or(rcpt).to_ascii_lowercase();
        if local == "full" {
            return Err(Refusal::new(552, (5, 2, 2), "mailbox full"));
        }
        if self.users.contains_key(&local) {
            Ok(AcceptedRecipient {
                address: rcpt.to_string(),
            })
        } else {
            Err(Refusal::new(550, (5, 1, 1), "No such user here"))
        }
    }

    fn deliver(
        &mut self,
        env: &Envelope,
        rcpts: &[AcceptedRecipient],
        msg: &[u8],
    ) -> Vec<Result<(), Refusal>> {
        self.envelopes.push(env.clone());
        rcpts
            .iter()
            .map(|r| {
                let local = r
                    .address
                    .split('@')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if self.full_at_delivery.contains(&local) {
                    return Err(Refusal::new(452, (4, 2, 2), "is temporarily over quota"));
                }
                self.users
                    .get_mut(&local)
                    .expect("checked")
                    .push(msg.to_vec());
                Ok(())
            })
            .collect()
    }
}

fn limits() -> Limits {
    Limits {
        hostname: "foo.edu".into(),
        max_message_size: 10_000,
        max_recipients: 5,
        quota_failure: QuotaFailure::Permanent,
        max_errors: 10,
    }
}

/// Feeds `input` in chunks of `chunk` bytes, running the store calls, and
/// returns everything the server sent and whether it closed.
fn run(session: &mut Session, store: &mut Store, input: &[u8], chunk: usize) -> (String, bool) {
    let mut out = Vec::new();
    let mut chunks = input.chunks(chunk.max(1));
    loop {
        match session.next_action() {
            Action::NeedInput => {
                out.extend(session.take_output());
                match chunks.next() {
                    Some(c) => session.receive(c),
                    None => return (String::from_utf8(out).unwrap(), false),
                }
            }
            Action::CheckRecipient {
                recipient,
                size_hint,
                ..
            } => {
                let r = store.check(&recipient, size_hint);
                session.recipient_checked(r);
            }
            Action::Deliver {
                envelope,
                recipients,
                message,
            } => {
                let r = store.deliver(&envelope, &recipients, &message);
                session.delivered(r);
            }
            Action::Close => {
                out.extend(session.take_output());
                return (String::from_utf8(out).unwrap(), true);
            }
        }
    }
}

fn script(users: &[&str], input: &str) -> (String, bool, Store) {
    let mut store = Store::with(users);
    let mut s = Session::new(limits(), "[192.0.2.1]");
    let (out, closed) = run(&mut s, &mut store, input.as_bytes(), usize::MAX);
    (out, closed, store)
}

fn codes(out: &str) -> Vec<&str> {
    out.lines().map(|l| &l[..l.len().min(9)]).collect()
}

/// RFC 2033 section 4.2, with our enhanced codes; the client waits for
/// each reply as in the RFC.
#[test]
fn rfc2033_example_session() {
    let mut store = Store::with(&["pat", "green"]);
    store.full_at_delivery.push("green".into());
    let mut s = Session::new(limits(), "[192.0.2.1]");
    let mut step = |input: &str| run(&mut s, &mut store, input.as_bytes(), usize::MAX).0;
    assert_eq!(step(""), "220 foo.edu LMTP popstore ready\r\n");
    assert_eq!(
        step("LHLO foo.edu\r\n"),
        "250-foo.edu\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE 10000\r\n"
    );
    assert_eq!(
        step("MAIL FROM:<chris@bar.com>\r\n"),
        "250 2.1.0 Sender <chris@bar.com> OK\r\n"
    );
    assert_eq!(
        step("RCPT TO:<pat@foo.edu>\r\n"),
        "250 2.1.5 Recipient <pat@foo.edu> OK\r\n"
    );
    assert_eq!(
        step("RCPT TO:<jones@foo.edu>\r\n"),
        "550 5.1.1 No such user here\r\n"
    );
    assert_eq!(
        step("RCPT TO:<green@foo.edu>\r\n"),
        "250 2.1.5 Recipient <green@foo.edu> OK\r\n"
    );
    assert_eq!(
        step("DATA\r\n"),
        "354 Start mail input; end with <CRLF>.<CRLF>\r\n"
    );
    assert_eq!(step("Blah blah blah...\r\n...etc. etc. etc.\r\n"), "");
    assert_eq!(
        step(".\r\n"),
        "250 2.1.5 <pat@foo.edu> delivered\r\n452 4.2.2 <green@foo.edu> is temporarily over quota\r\n"
    );
    assert_eq!(step("QUIT\r\n"), "221 2.0.0 foo.edu closing connection\r\n");
    assert!(s.next_action().is_close());
    // The RFC's line starts with three dots on the wire: one is unstuffed.
    assert_eq!(
        store.users["pat"],
        vec![b"Blah blah blah...\r\n..etc. etc. etc.\r\n".to_vec()]
    );
    assert!(store.users["green"].is_empty());
    assert_eq!(store.envelopes[0].mail_from, "chris@bar.com");
    assert_eq!(store.envelopes[0].channel, "lmtp");
    assert_eq!(store.envelopes[0].client, "foo.edu ([192.0.2.1])");
}

impl Action {
    fn is_close(&self) -> bool {
        matches!(self, Action::Close)
    }
}

/// The same session sent in one piece (PIPELINING) and byte by byte gives
/// the same replies in the same order.
#[test]
fn pipelined_and_byte_by_byte_agree() {
    let input = "LHLO mx\r\nMAIL FROM:<a@b> SIZE=40 BODY=8BITMIME\r\nRCPT TO:<pat@x>\r\nRCPT TO:<nobody@x>\r\nRCPT TO:<Green@x>\r\nDATA\r\nSubject: t\r\n\r\n.hidden\r\nété\r\n.\r\nNOOP\r\nQUIT\r\n";
    let mut results = Vec::new();
    for chunk in [usize::MAX, 1, 2, 3, 7] {
        let mut store = Store::with(&["pat", "green"]);
        let mut s = Session::new(limits(), "[::1]");
        let (out, closed) = run(&mut s, &mut store, input.as_bytes(), chunk);
        assert!(closed);
        assert_eq!(
            codes(&out),
            [
                "220 foo.e",
                "250-foo.e",
                "250-PIPEL",
                "250-ENHAN",
                "250-8BITM",
                "250 SIZE ",
                "250 2.1.0",
                "250 2.1.5",
                "550 5.1.1",
                "250 2.1.5",
                "354 Start",
                "250 2.1.5",
                "250 2.1.5",
                "250 2.0.0",
                "221 2.0.0"
            ],
            "chunk {chunk}: {out}"
        );
        let want = "Subject: t\r\n\r\nhidden\r\nété\r\n".as_bytes();
        assert_eq!(store.users["pat"], vec![want.to_vec()]);
        assert_eq!(store.users["green"], vec![want.to_vec()]);
        assert!(store.envelopes[0].body_8bit);
        assert_eq!(store.checks[0], ("pat@x".to_string(), 40));
        results.push(out);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn one_reply_per_accepted_recipient_in_order() {
    let (out, _, store) = script(
        &["a", "b", "c"],
        "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<c@x>\r\nRCPT TO:<zz@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<full@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nhi\r\n.\r\n",
    );
    let after_data: Vec<&str> = out.split("354 ").nth(1).unwrap().lines().skip(1).collect();
    assert_eq!(
        after_data,
        [
            "250 2.1.5 <c@x> delivered",
            "250 2.1.5 <a@x> delivered",
            "250 2.1.5 <b@x> delivered"
        ]
    );
    assert!(out.contains("552 5.2.2 mailbox full\r\n"), "{out}");
    assert_eq!(store.envelopes[0].mail_from, "");
}

#[test]
fn quota_refusals_can_be_temporary() {
    let mut store = Store::with(&["a"]);
    let mut l = limits();
    l.quota_failure = QuotaFailure::Temporary;
    let mut s = Session::new(l, "c");
    let (out, _) = run(
        &mut s,
        &mut store,
        b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<full@x>\r\n",
        usize::MAX,
    );
    assert!(out.ends_with("452 4.2.2 mailbox full\r\n"), "{out}");
}

#[test]
fn sequence_errors_get_503() {
    let (out, _, _) = script(
        &["a"],
        "MAIL FROM:<>\r\nLHLO x\r\nRCPT TO:<a@x>\r\nDATA\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\nDATA\r\nRCPT TO:<nobody@x>\r\nDATA\r\n",
    );
    assert_eq!(
        codes(&out),
        [
            "220 foo.e",
            "503 5.5.1",
            "250-foo.e",
            "250-PIPEL",
            "250-ENHAN",
            "250-8BITM",
            "250 SIZE ",
            "503 5.5.1",
            "503 5.5.1",
            "250 2.1.0",
            "503 5.5.1",
            "503 5.5.1",
            "550 5.1.1",
            "503 5.5.1"
        ],
        "{out}"
    );
}

#[test]
fn smtp_greetings_vrfy_and_unknown_commands() {
    let (out, closed, _) = script(
        &[],
        "EHLO x\r\nHELO x\r\nVRFY pat\r\nEXPN list\r\nXYZZY\r\nHELP\r\nRSET\r\nQUIT\r\n",
    );
    assert_eq!(
        codes(&out),
        [
            "220 foo.e",
            "500 5.5.1",
            "500 5.5.1",
            "252 2.5.0",
            "502 5.5.1",
            "500 5.5.1",
            "214 2.0.0",
            "250 2.0.0",
            "221 2.0.0"
        ],
        "{out}"
    );
    assert!(out.contains("use LHLO"));
    assert!(closed);
}

#[test]
fn rset_abandons_the_transaction() {
    let (out, _, store) = script(
        &["a"],
        "LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRSET\r\nDATA\r\nMAIL FROM:<t@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nbody\r\n.\r\n",
    );
    assert!(out.contains("250 2.0.0 OK\r\n503 5.5.1"), "{out}");
    assert_eq!(store.users["a"], vec![b"body\r\n".to_vec()]);
    assert_eq!(store.envelopes.len(), 1);
    assert_eq!(store.envelopes[0].mail_from, "t@x");
}

#[test]
fn size_limits_at_mail_and_at_data() {
    let (out, _, _) = script(&["a"], "LHLO x\r\nMAIL FROM:<> SIZE=10001\r\n");
    assert!(
        out.ends_with("552 5.3.4 Message size exceeds the maximum of 10000 bytes\r\n"),
        "{out}"
    );

    let big = "x".repeat(998) + "\r\n";
    let input = format!(
        "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n{}.\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\nsmall\r\n.\r\n",
        big.repeat(11)
    );
    let (out, _, store) = script(&["a", "b"], &input);
    assert!(
        out.contains(
            "552 5.3.4 <a@x> Message size exceeds the maximum of 10000 bytes\r\n552 5.3.4 <b@x> "
        ),
        "{out}"
    );
    assert_eq!(
        store.users["a"],
        vec![b"small\r\n".to_vec()],
        "the session goes on after a refused message"
    );
    assert!(store.users["b"].is_empty());

    // Exactly at the limit is accepted.
    let exact = "y".repeat(10_000 - 2) + "\r\n";
    let (out, _, store) = script(
        &["a"],
        &format!("LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\n{exact}.\r\n"),
    );
    assert!(out.ends_with("250 2.1.5 <a@x> delivered\r\n"), "{out}");
    assert_eq!(store.users["a"][0].len(), 10_000);
}

#[test]
fn too_many_recipients() {
    let mut input = String::from("LHLO x\r\nMAIL FROM:<>\r\n");
    for _ in 0..6 {
        input.push_str("RCPT TO:<a@x>\r\n");
    }
    let (out, _, _) = script(&["a"], &input);
    assert_eq!(out.matches("250 2.1.5").count(), 5);
    assert!(out.ends_with("452 4.5.3 Too many recipients\r\n"), "{out}");
}

#[test]
fn data_transparency() {
    // Dot-stuffed lines, a lone dot inside a line, an empty message, a
    // final line without the dot on its own line yet.
    let (_, _, store) = script(
        &["a"],
        "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\n..\r\n...x\r\na.b\r\n. \r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\n.\r\n",
    );
    assert_eq!(
        store.users["a"],
        vec![b".\r\n..x\r\na.b\r\n \r\n".to_vec(), b"".to_vec()]
    );
}

/// SMTP smuggling: only `<CRLF>.<CRLF>` ends the data, whatever the
/// chunking; a dot after a bare LF or CR is content, kept as written.
#[test]
fn only_crlf_dot_crlf_ends_the_data_in_any_chunking() {
    let hidden = "MAIL FROM:<evil@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nforged\r\n";
    for fake in ["\n.\r\n", "\n.\n", "\r.\r", "\r\n.\n"] {
        let input = format!(
            "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\nbody{fake}{hidden}.\r\nQUIT\r\n"
        );
        for chunk in [1, 2, 3, 5, 7, usize::MAX] {
            let mut store = Store::with(&["a"]);
            let mut s = Session::new(limits(), "c");
            let (out, closed) = run(&mut s, &mut store, input.as_bytes(), chunk);
            assert!(closed);
            let c = codes(&out);
            assert_eq!(
                c[c.len() - 3..],
                ["354 Start", "250 2.1.5", "221 2.0.0"],
                "{fake:?}/{chunk}: {out}"
            );
            assert_eq!(c.iter().filter(|c| c.starts_with("354")).count(), 1);
            // `<CRLF>.<LF>` begins a line with a dot: dot-stuffing drops it.
            let kept = fake.replace("\r\n.", "\r\n");
            let want = format!("body{kept}{hidden}");
            assert_eq!(store.users["a"], [want.into_bytes()], "{fake:?}/{chunk}");
        }
    }
}

#[test]
fn long_lines_and_garbage_never_break_the_session() {
    let long = "NOOP ".to_string() + &"a".repeat(MAX_COMMAND_LINE * 3);
    let mut bytes = format!("{long}\r\nLHLO x\r\n").into_bytes();
    bytes.extend_from_slice(b"\x00\x01\xff\r\nMAIL FROM:<\xff>\r\nQUIT\r\n");
    let mut store = Store::with(&[]);
    let mut s = Session::new(limits(), "c");
    let (out, closed) = run(&mut s, &mut store, &bytes, 100);
    assert!(
        out.starts_with(
            "220 foo.edu LMTP popstore ready\r\n500 5.5.2 Line too long\r\n250-foo.edu"
        ),
        "{out}"
    );
    assert!(out.contains("500 5.5.2"), "{out}");
    assert!(closed);
}

#[test]
fn too_many_errors_close_the_session() {
    let input = "BAD\r\n".repeat(20);
    let (out, closed, _) = script(&[], &input);
    assert_eq!(out.matches("500 5.5.1").count(), 10);
    assert!(
        out.ends_with("421 4.7.0 foo.edu Too many errors, closing connection\r\n"),
        "{out}"
    );
    assert!(closed);
}

#[test]
fn store_refusals_are_single_line_replies() {
    let mut s = Session::new(limits(), "c");
    let mut out = String::new();
    s.receive(b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\n");
    assert!(matches!(s.next_action(), Action::CheckRecipient { .. }));
    s.recipient_checked(Err(Refusal::new(550, (5, 7, 1), "no\r\n250 fake")));
    assert!(matches!(s.next_action(), Action::NeedInput));
    out.push_str(&String::from_utf8(s.take_output()).unwrap());
    assert!(out.ends_with("550 5.7.1 no  250 fake\r\n"), "{out}");

    // A store that answers for fewer recipients than it was given.
    s.receive(b"RCPT TO:<b@x>\r\n");
    assert!(matches!(s.next_action(), Action::CheckRecipient { .. }));
    s.recipient_checked(Ok(AcceptedRecipient {
        address: "b@x".into(),
    }));
    s.receive(b"RCPT TO:<c@x>\r\n");
    assert!(matches!(s.next_action(), Action::CheckRecipient { .. }));
    s.recipient_checked(Ok(AcceptedRecipient {
        address: "c@x".into(),
    }));
    s.receive(b"DATA\r\nm\r\n.\r\n");
    assert!(matches!(s.next_action(), Action::Deliver { .. }));
    s.delivered(vec![Ok(())]);
    let out = String::from_utf8(s.take_output()).unwrap();
    assert!(out.ends_with("250 2.1.5 <b@x> delivered\r\n451 4.3.0 <c@x> internal error: no result from the store\r\n"), "{out}");
}

proptest::proptest! {
    /// Any bytes: no panic, and the session ends in a defined state.
    #[test]
    fn arbitrary_input_never_panics(input in proptest::collection::vec(proptest::num::u8::ANY, 0..400), chunk in 1usize..50) {
        let mut store = Store::with(&["a"]);
        let mut s = Session::new(limits(), "c");
        let mut full = b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@x>\r\n".to_vec();
        full.extend(&input);
        let _ = run(&mut s, &mut store, &full, chunk);
    }
}
