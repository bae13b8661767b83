//! The relay client against a real SMTP server on loopback (aiosmtpd): the
//! bytes that arrive are the bytes sent, with the given envelope.

mod common;

use common::Sink;
use popstore::config::{Config, RelayHost};
use popstore::relay::Relay;

#[test]
fn relayed_messages_arrive_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path());
    let relay = sink.relay();

    let message: &[u8] = b"From: a@example.org\r\nTo: x@remote.test\r\nSubject: fwd\r\n\r\n.starts with a dot\r\n..two\r\n.\r\n\xc3\xa9t\xc3\xa9 8-bit\r\n\r\ntrailing blank line above\r\n";
    relay
        .send(
            "a@example.org",
            &["x@remote.test".into(), "y@remote.test".into()],
            message,
        )
        .unwrap();
    let (bytes, env) = sink.message(1);
    assert_eq!(bytes, message);
    assert_eq!(env["from"], "a@example.org");
    assert_eq!(
        env["to"],
        serde_json::json!(["x@remote.test", "y@remote.test"])
    );
    assert_eq!(env["helo"], "popstore.test");

    // The null sender, as vacation replies use.
    relay
        .send(
            "",
            &["x@remote.test".into()],
            b"Subject: away\r\n\r\nback soon\r\n",
        )
        .unwrap();
    let (bytes, env) = sink.message(2);
    assert_eq!(bytes, b"Subject: away\r\n\r\nback soon\r\n");
    assert_eq!(env["from"], "<>");
}

#[test]
fn relay_refusals_keep_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path());
    let relay = sink.relay();

    let e = relay
        .send("a@example.org", &["reject@remote.test".into()], b"x\r\n")
        .unwrap_err();
    assert_eq!((e.code, e.enhanced), (550, (5, 1, 1)), "{e}");
    assert!(!e.is_temporary());
    let e = relay
        .send("a@example.org", &["later@remote.test".into()], b"x\r\n")
        .unwrap_err();
    assert_eq!((e.code, e.enhanced), (451, (4, 3, 0)), "{e}");
    let e = relay
        .send("a@example.org", &["not an address".into()], b"x\r\n")
        .unwrap_err();
    assert_eq!(e.code, 553, "{e}");
    assert_eq!(sink.count(), 0, "nothing was relayed");
}

#[test]
fn an_unreachable_relay_is_a_temporary_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = Config::defaults();
    c.relay.host = RelayHost::Server {
        host: "127.0.0.1".into(),
        port,
    };
    let relay = Relay::from_config(&c.relay).unwrap().unwrap();
    let e = relay
        .send("a@example.org", &["x@remote.test".into()], b"x\r\n")
        .unwrap_err();
    assert_eq!((e.code, e.enhanced), (451, (4, 4, 1)), "{e}");
}
