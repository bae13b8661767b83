//! Recipient addresses (issue 12, item 11), over LMTP and through
//! `popstore deliver` / `validate`: a quoted local part that needs no
//! quotes is the plain address; only the local domains reach accounts
//! (`550 5.1.2` for others) unless `[store] local_domains = ["*"]`;
//! source routes and malformed paths get clear `553`/`501` replies.

mod common;
#[path = "hostile/mod.rs"]
mod hostile;

use hostile::{Lmtp, Node, deliver};

/// The RCPT TO reply for each address, in one transaction; then delivers
/// to whoever was accepted.
fn rcpts(node: &Node, addresses: &[&str]) -> Vec<String> {
    let mut c = Lmtp::connect(node.lmtp);
    assert!(c.cmd("MAIL FROM:<s@example.org>").starts_with("250 "));
    let replies: Vec<String> = addresses
        .iter()
        .map(|a| c.cmd(&format!("RCPT TO:{a}")))
        .collect();
    let accepted = replies.iter().filter(|r| r.starts_with("250 ")).count();
    if accepted > 0 {
        assert!(c.cmd("DATA").starts_with("354 "));
        c.send(b"Subject: addresses\r\n\r\nhi\r\n.\r\n");
        for _ in 0..accepted {
            assert!(c.reply().starts_with("250 "));
        }
    }
    c.cmd("QUIT");
    replies
}

fn code(r: &str) -> &str {
    &r[..r.len().min(9)]
}

#[test]
fn quoted_local_parts_and_local_domains() {
    let node = Node::start("");
    let r = rcpts(
        &node,
        &[
            "<\"alice\"@localhost>",
            "<\"al\\ice\"@LOCALHOST>",
            "<Alice@localhost>",
            "<bob@other.example>",
            "<alice@other.example>",
            "<\"a b\"@localhost>",
            "<nobody@localhost>",
            "<alice@[127.0.0.1]>",
        ],
    );
    let codes: Vec<&str> = r.iter().map(|r| code(r)).collect();
    assert_eq!(
        codes,
        [
            "250 2.1.5",
            "250 2.1.5",
            "250 2.1.5",
            "550 5.1.2",
            "550 5.1.2",
            "550 5.1.1",
            "550 5.1.1",
            "550 5.1.2",
        ],
        "{r:?}"
    );
    // One copy for alice (three recipients lead to her), none for bob.
    assert_eq!(node.messages("alice"), 1);
    assert_eq!(node.messages("bob"), 0);
}

#[test]
fn source_routes_and_odd_forms_get_clear_errors() {
    let node = Node::start("");
    let r = rcpts(
        &node,
        &[
            "<@relay.example:alice@localhost>",
            "<@a.example,@b.example:bob@localhost>",
            "<\"alice@localhost>",
            "<alice@local_host>",
            "<alice@localhost@other.example>",
            "<alice..x@localhost>",
            "alice@localhost",
            "<alice@localhost>",
        ],
    );
    let codes: Vec<&str> = r.iter().map(|r| code(r)).collect();
    assert_eq!(
        codes,
        [
            "553 5.7.1",
            "553 5.7.1",
            "501 5.1.3",
            "501 5.1.3",
            "501 5.1.3",
            "501 5.1.3",
            "501 5.1.3",
            "250 2.1.5",
        ],
        "{r:?}"
    );
    assert!(r[0].contains("source route"), "{}", r[0]);
}

#[test]
fn any_domain_is_local_when_configured() {
    let node = Node::start("[store]\nlocal_domains = [\"*\"]\n");
    let r = rcpts(&node, &["<bob@other.example>", "<nobody@other.example>"]);
    assert_eq!(code(&r[0]), "250 2.1.5", "{r:?}");
    assert_eq!(code(&r[1]), "550 5.1.1", "{r:?}");
    assert_eq!(node.messages("bob"), 1);
    let node = Node::start("[store]\nlocal_domains = [\"Example.ORG\"]\n");
    let r = rcpts(
        &node,
        &[
            "<bob@example.org>",
            "<bob@localhost>",
            "<bob@other.example>",
        ],
    );
    let codes: Vec<&str> = r.iter().map(|r| code(r)).collect();
    assert_eq!(codes, ["250 2.1.5", "250 2.1.5", "550 5.1.2"], "{r:?}");
}

#[test]
fn deliver_and_validate_read_addresses_as_lmtp_does() {
    let (_dir, store) = hostile::store();
    let msg = b"Subject: x\n\nhi\n";
    assert_eq!(deliver(&store, &["--to", "\"alice\"@localhost"], msg).0, 0);
    assert_eq!(deliver(&store, &["--to", "<alice@localhost>"], msg).0, 0);
    let (code, err) = deliver(&store, &["--to", "bob@other.example"], msg);
    assert_eq!(code, 67, "{err}");
    assert!(err.contains("550 5.1.2"), "{err}");
    let (code, err) = deliver(&store, &["--to", "<@relay:bob@localhost>"], msg);
    assert_eq!(code, 77, "{err}");
    assert!(err.contains("553 5.7.1"), "{err}");
    let (code, err) = deliver(&store, &["--to", "\"bob@localhost"], msg);
    assert_eq!(code, 67, "{err}");
    assert!(err.contains("501 5.1.3"), "{err}");
    let o = common::popstore(
        &store,
        &["validate", "\"al\\ice\"@localhost", "bob@other.example"],
        b"",
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\"al\\ice\"@localhost: deliverable"), "{out}");
    assert!(out.contains("bob@other.example: 550 5.1.2"), "{out}");
    assert_eq!(o.status.code(), Some(67));
    let json = common::ok(&store, &["user", "show", "alice", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["messages"], 2);
    let json = common::ok(&store, &["user", "show", "bob", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["messages"], 0);
}
