//! `popstore user delete --return`: unread messages go back to their
//! senders through the configured relay (a real SMTP server on loopback,
//! aiosmtpd), before the messages are deleted.

mod common;

use std::process::{Command, Stdio};

use common::Sink;

fn popstore(
    store: &std::path::Path,
    conf: &std::path::Path,
    args: &[&str],
    stdin: &[u8],
) -> std::process::Output {
    use std::io::Write;
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("popstore"))
        .arg("--store")
        .arg(store)
        .arg("--config")
        .arg(conf)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin).unwrap();
    c.wait_with_output().unwrap()
}

#[test]
fn delete_with_return_sends_unread_messages_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let sink_dir = dir.path().join("sink");
    std::fs::create_dir(&sink_dir).unwrap();
    let sink = Sink::start(&sink_dir);
    let conf = dir.path().join("popstore.toml");
    std::fs::write(
        &conf,
        format!(
            "[relay]\nhost = \"127.0.0.1:{}\"\nhelo_name = \"popstore.test\"\n",
            sink.port
        ),
    )
    .unwrap();
    for args in [&["init"][..], &["user", "add", "ann"][..]] {
        let o = popstore(&store, &conf, args, b"");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let msg = b"From: bob@remote.test\r\nSubject: unread\r\n\r\nplease read me\r\n";
    let o = popstore(
        &store,
        &conf,
        &["deliver", "--from", "bob@remote.test", "--to", "ann"],
        msg,
    );
    assert!(
        o.status.success(),
        "deliver: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = popstore(
        &store,
        &conf,
        &["user", "delete", "ann", "--messages-only", "--return"],
        b"",
    );
    assert!(
        o.status.success(),
        "delete: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(sink.count(), 1);
    let (bytes, env) = sink.message(1);
    assert!(
        bytes.windows(msg.len()).any(|w| w == msg),
        "the original travels back intact"
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("not read by ann"), "{text}");
    // The bouncer's notice (src/dsn.rs), with the whole message attached.
    assert!(text.contains("Content-Type: multipart/report;"), "{text}");
    assert!(
        text.contains("Content-Type: message/delivery-status\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Action: failed\r\nStatus: 5.2.1\r\n"),
        "{text}"
    );
    assert!(text.contains("Content-Type: message/rfc822\r\n"), "{text}");
    assert_eq!(env["from"], "<>", "{env}");
    assert!(env.to_string().contains("bob@remote.test"), "{env}");
    let o = popstore(&store, &conf, &["user", "show", "ann", "--json"], b"");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["messages"], 0);
}
