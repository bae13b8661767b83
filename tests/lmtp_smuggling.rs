//! SMTP smuggling over LMTP (issue 12, item 6): only `<CRLF>.<CRLF>` ends
//! the data. Every look-alike (`<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CRLF>`,
//! `<CRLF>.<LF>`) is message content, so commands hidden after one are
//! stored as text and no second, forged message is accepted. The real
//! terminator is found however the client's writes split it.

mod common;
#[path = "hostile/mod.rs"]
mod hostile;

use hostile::{Lmtp, Node};

/// What a smuggler hides after the fake end: a whole second transaction.
const SMUGGLED: &[u8] = b"MAIL FROM:<forger@evil.example>\r\n\
RCPT TO:<alice@localhost>\r\n\
DATA\r\n\
From: ceo@bank.example\r\n\
Subject: forged\r\n\r\n\
wire the money\r\n";

/// Sends one transaction whose data is `before`, a fake end, the smuggled
/// commands and the real end; returns every reply after DATA's 354.
fn smuggle(node: &Node, fake_end: &[u8]) -> Vec<String> {
    let mut c = Lmtp::connect(node.lmtp);
    assert!(c.cmd("MAIL FROM:<sender@example.org>").starts_with("250 "));
    assert!(c.cmd("RCPT TO:<alice@localhost>").starts_with("250 "));
    assert!(c.cmd("DATA").starts_with("354 "));
    let mut data = b"From: sender@example.org\r\nSubject: real\r\n\r\nbefore".to_vec();
    data.extend_from_slice(fake_end);
    data.extend_from_slice(SMUGGLED);
    data.extend_from_slice(b".\r\nQUIT\r\n");
    c.send(&data);
    c.rest()
}

#[test]
fn no_look_alike_of_the_end_of_data_ends_it() {
    let node = Node::start("");
    let variants: [&[u8]; 4] = [b"\n.\r\n", b"\n.\n", b"\r.\r", b"\r\n.\n"];
    for (k, fake) in variants.iter().enumerate() {
        let replies = smuggle(&node, fake);
        assert_eq!(
            replies,
            [
                "250 2.1.5 <alice@localhost> delivered\r\n",
                "221 2.0.0 lmtp.test closing connection\r\n"
            ],
            "fake end {fake:?}: the smuggled commands were read as commands"
        );
        assert_eq!(node.messages("alice"), k as i64 + 1, "fake end {fake:?}");
    }
    // Each message holds the smuggled text as content, the forged one is
    // no message of its own.
    let msgs = node.retrieve("alice");
    assert_eq!(msgs.len(), 4);
    for (m, fake) in msgs.iter().zip(variants) {
        let text = String::from_utf8_lossy(m);
        assert!(text.contains("Subject: real"), "{fake:?}: {text}");
        assert!(
            text.contains("MAIL FROM:<forger@evil.example>") && text.contains("wire the money"),
            "{fake:?}: the smuggled text is not in the message: {text:?}"
        );
        assert!(!text.starts_with("From: ceo@bank.example"), "{text}");
    }
    // Bare LF is stored as CRLF (the store's one line end); the dot after a
    // bare LF is not at the start of a line, so it is kept as written.
    assert!(
        String::from_utf8_lossy(&msgs[0]).contains("before\r\n.\r\nMAIL FROM"),
        "{:?}",
        String::from_utf8_lossy(&msgs[0])
    );
    assert!(
        String::from_utf8_lossy(&msgs[2]).contains("before\r.\rMAIL FROM"),
        "bare CR is kept: {:?}",
        String::from_utf8_lossy(&msgs[2])
    );
}

#[test]
fn the_end_of_data_split_across_writes_is_found() {
    let node = Node::start("");
    // The real terminator and a look-alike, each cut at every byte.
    for (k, cut) in [1usize, 2, 3, 4].into_iter().enumerate() {
        let mut c = Lmtp::connect(node.lmtp);
        assert!(c.cmd("MAIL FROM:<sender@example.org>").starts_with("250 "));
        assert!(c.cmd("RCPT TO:<alice@localhost>").starts_with("250 "));
        assert!(c.cmd("DATA").starts_with("354 "));
        c.send(b"Subject: split\r\n\r\nbody");
        let fake = b"\n.\r\nnot the end";
        c.send(&fake[..cut]);
        c.send(&fake[cut..]);
        let end = b"\r\n.\r\n";
        c.send(&end[..cut]);
        c.send(&end[cut..]);
        assert_eq!(
            c.reply(),
            "250 2.1.5 <alice@localhost> delivered\r\n",
            "cut {cut}"
        );
        assert!(c.cmd("QUIT").starts_with("221 "));
        assert_eq!(node.messages("alice"), k as i64 + 1);
    }
    for m in node.retrieve("alice") {
        assert_eq!(
            String::from_utf8_lossy(common::trace::strip(&m, "sender@example.org")),
            "Subject: split\r\n\r\nbody\r\n.\r\nnot the end"
        );
    }
}

#[test]
fn commands_pipelined_after_the_real_end_still_work() {
    let node = Node::start("");
    let mut c = Lmtp::connect(node.lmtp);
    c.send(
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n\
          Subject: one\r\n\r\n..stuffed\r\n.\r\n\
          MAIL FROM:<b@example.org>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n\
          Subject: two\r\n\r\ntwo\r\n.\r\nQUIT\r\n",
    );
    let replies = c.rest();
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(
        codes,
        [
            "250", "250", "354", "250", "250", "250", "354", "250", "221"
        ],
        "{replies:?}"
    );
    let (alice, bob) = (node.retrieve("alice"), node.retrieve("bob"));
    assert_eq!(alice.len(), 1);
    assert_eq!(
        common::trace::strip(&alice[0], "a@example.org"),
        b"Subject: one\r\n\r\n.stuffed"
    );
    assert_eq!(bob.len(), 1);
    assert_eq!(
        common::trace::strip(&bob[0], "b@example.org"),
        b"Subject: two\r\n\r\ntwo"
    );
}
