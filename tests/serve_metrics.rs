//! The Prometheus endpoint (`[metrics] listen`) of the real `popstore
//! serve`, scraped over HTTP and parsed with the Prometheus text-format
//! parser of `prometheus_client` (Python; Debian's
//! python3-prometheus-client from ci/install-deps.sh) while LMTP, POP3,
//! IMAP, ManageSieve, poppassd and web sessions drive the counters.

mod common;
#[path = "auth/site.rs"]
mod site;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::{LineClient, ServeProcess, listening, ok};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Fetches `/metrics` with urllib and parses it with prometheus_client;
/// prints one JSON object: `name{label="value",...}` to value, labels
/// sorted.
const SCRAPE: &str = r#"
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
with urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=30) as r:
    assert r.status == 200, r.status
    ctype = r.headers["Content-Type"]
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    text = r.read().decode()
out = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        out["%s{%s}" % (s.name, labels)] = s.value
try:
    urllib.request.urlopen("http://%s/other" % sys.argv[1], timeout=30)
    sys.exit("a path other than /metrics answered")
except urllib.error.HTTPError as e:
    assert e.code == 404, e.code
print(json.dumps(out))
"#;

/// A python3 that has prometheus_client: Debian's package serves
/// /usr/bin/python3, which may not be the first python3 on PATH (pyenv).
fn python() -> &'static str {
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import prometheus_client.parser"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("python3 with prometheus_client is needed (Debian python3-prometheus-client): run ci/install-deps.sh")
}

fn scrape(python: &str, addr: SocketAddr) -> BTreeMap<String, f64> {
    let out = Command::new(python)
        .args(["-c", SCRAPE, &addr.to_string()])
        .output()
        .expect("python3 (ci/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "scrape: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn value(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

/// A line client that counts the bytes it sent and the bytes of the
/// lines it read (CRLF included).
struct Tally {
    c: LineClient,
    sent: usize,
    got: usize,
}

impl Tally {
    fn connect(addr: SocketAddr) -> (Self, String) {
        let (c, greeting) = LineClient::connect(addr, TIMEOUT);
        let got = greeting.len();
        (Self { c, sent: 0, got }, greeting)
    }
    fn line(&mut self) -> String {
        let l = self.c.line();
        self.got += l.len();
        l
    }
    fn cmd(&mut self, c: &str) -> String {
        self.sent += c.len() + 2;
        let l = self.c.cmd(c);
        self.got += l.len();
        l
    }
}

#[test]
fn counters_move_as_sessions_run_and_the_text_parses() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    for user in ["alice", "bob"] {
        ok(
            &store,
            &["user", "add", user, "--password-stdin"],
            format!("{user}-pw\n").as_bytes(),
        );
    }
    let config = common::write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\n\
          poppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
          [metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    let (mut lmtp, mut pop3, mut metrics) = (None, None, None);
    let serve = ServeProcess::start_until(&store, &config, "info", |line| {
        lmtp = lmtp.or(listening(line, "LMTP"));
        pop3 = pop3.or(listening(line, "POP3"));
        metrics = metrics.or(listening(line, "metrics"));
        lmtp.is_some() && pop3.is_some() && metrics.is_some()
    });
    let (lmtp, pop3, metrics) = (lmtp.unwrap(), pop3.unwrap(), metrics.unwrap());

    let before = scrape(python, metrics);
    assert!(
        !before
            .keys()
            .any(|k| k.starts_with("popstore_logins_total")),
        "no login yet: {before:#?}"
    );

    // One message to alice and one unknown recipient, over LMTP.
    let (mut c, greeting) = Tally::connect(lmtp);
    assert!(greeting.starts_with("220"), "{greeting}");
    c.cmd("LHLO test");
    while !c.line().starts_with("250 ") {}
    assert!(c.cmd("MAIL FROM:<bob@example.org>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<alice@localhost>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<nobody@localhost>").starts_with("550"));
    assert!(c.cmd("DATA").starts_with("354"));
    assert!(
        c.cmd("Subject: metrics\r\n\r\nhello\r\n.")
            .starts_with("250")
    );
    assert!(c.cmd("QUIT").starts_with("221"));
    assert_eq!(c.line(), "", "the server closed the LMTP connection");
    let lmtp_bytes = (c.sent, c.got);

    // A failed login, then a good one, and the session held open.
    let (mut p, greeting) = Tally::connect(pop3);
    assert!(greeting.starts_with("+OK"), "{greeting}");
    assert!(p.cmd("USER alice").starts_with("+OK"));
    assert!(p.cmd("PASS wrong").starts_with("-ERR"));
    assert!(p.cmd("USER alice").starts_with("+OK"));
    assert!(p.cmd("PASS alice-pw").starts_with("+OK"));
    // The message, read to its end.
    assert!(p.cmd("RETR 1").starts_with("+OK"));
    while p.line() != ".\r\n" {}
    // And bob with SASL PLAIN ("\0bob\0bob-pw"; plaintext is allowed on
    // loopback) in a second session; both stay open for the scrape.
    let (mut q, _) = Tally::connect(pop3);
    let plain = q.cmd("AUTH PLAIN AGJvYgBib2ItcHc=");
    assert!(plain.starts_with("+OK"), "{plain}");

    let during = scrape(python, metrics);
    let expect = [
        (
            "popstore_lmtp_recipients_total{code=\"250\",stage=\"rcpt\"}",
            1.0,
        ),
        (
            "popstore_lmtp_recipients_total{code=\"550\",stage=\"rcpt\"}",
            1.0,
        ),
        (
            "popstore_lmtp_recipients_total{code=\"250\",stage=\"data\"}",
            1.0,
        ),
        (
            "popstore_logins_total{mechanism=\"USER\",protocol=\"pop3\",result=\"failed\",source=\"profile\"}",
            1.0,
        ),
        (
            "popstore_logins_total{mechanism=\"USER\",protocol=\"pop3\",result=\"ok\",source=\"profile\"}",
            1.0,
        ),
        (
            "popstore_logins_total{mechanism=\"PLAIN\",protocol=\"pop3\",result=\"ok\",source=\"profile\"}",
            1.0,
        ),
        ("popstore_sessions_total{protocol=\"lmtp\"}", 1.0),
        ("popstore_sessions_total{protocol=\"pop3\"}", 2.0),
        ("popstore_sessions_open{protocol=\"pop3\"}", 2.0),
        // Bytes the servers read are counted before they answer.
        (
            "popstore_bytes_in_total{protocol=\"lmtp\"}",
            lmtp_bytes.0 as f64,
        ),
        (
            "popstore_bytes_out_total{protocol=\"lmtp\"}",
            lmtp_bytes.1 as f64,
        ),
        (
            "popstore_bytes_in_total{protocol=\"pop3\"}",
            (p.sent + q.sent) as f64,
        ),
        // Which password source answered: the profile each time.
        (
            "popstore_password_checks_total{result=\"refused\",source=\"profile\"}",
            1.0,
        ),
        (
            "popstore_password_checks_total{result=\"ok\",source=\"profile\"}",
            2.0,
        ),
        // One delivery, two maildrops opened, one message read.
        ("popstore_store_op_seconds_count{op=\"deliver\"}", 1.0),
        ("popstore_store_op_seconds_count{op=\"maildrop_open\"}", 2.0),
        ("popstore_lock_timeouts_total{}", 0.0),
    ];
    for (key, want) in expect {
        assert_eq!(
            value(&during, key) - value(&before, key),
            want,
            "{key} in {during:#?}"
        );
    }

    for key in [
        "popstore_store_op_seconds_count{op=\"message_open\"}",
        "popstore_lock_wait_seconds_count{}",
        "popstore_fsyncs_total{}",
    ] {
        assert!(
            value(&during, key) > value(&before, key),
            "{key} grew: {during:#?}"
        );
    }
    // A histogram with the buckets set for the store's operations.
    assert!(
        during.contains_key("popstore_store_op_seconds_bucket{le=\"0.001\",op=\"deliver\"}"),
        "{during:#?}"
    );

    let mut pop3_out = 0;
    for session in [&mut p, &mut q] {
        assert!(session.cmd("QUIT").starts_with("+OK"));
        assert_eq!(session.line(), "", "the server closed the session");
        pop3_out += session.got;
    }
    // Every reply was written (and counted) before the server closed.
    let after = scrape(python, metrics);
    for (key, want) in [
        (
            "popstore_bytes_out_total{protocol=\"pop3\"}",
            pop3_out as f64,
        ),
        (
            "popstore_store_op_seconds_count{op=\"maildrop_commit\"}",
            2.0,
        ),
        ("popstore_sessions_open{protocol=\"pop3\"}", 0.0),
    ] {
        assert_eq!(
            value(&after, key) - value(&before, key),
            want,
            "{key} in {after:#?}"
        );
    }
    serve.signal("-TERM");
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");
}

#[test]
fn imap_logins_bytes_and_the_map_arena_move() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"], b"");
    ok(
        &store,
        &[
            "user",
            "add",
            "carol",
            "--store-type",
            "imap",
            "--password-stdin",
        ],
        b"carol-pw\n",
    );
    let config = common::write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nimap = \"127.0.0.1:0\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:0\"\npop3 = \"off\"\npop3s = \"off\"\n\
          poppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
          [imap]\nallow_plaintext_auth = true\n\
          [metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    let (mut lmtp, mut imap, mut metrics) = (None, None, None);
    let serve = ServeProcess::start_until(&store, &config, "info", |line| {
        lmtp = lmtp.or(listening(line, "LMTP"));
        imap = imap.or(listening(line, "IMAP"));
        metrics = metrics.or(listening(line, "metrics"));
        lmtp.is_some() && imap.is_some() && metrics.is_some()
    });
    let (lmtp, imap, metrics) = (lmtp.unwrap(), imap.unwrap(), metrics.unwrap());

    let (mut c, _) = Tally::connect(lmtp);
    c.cmd("LHLO test");
    while !c.line().starts_with("250 ") {}
    assert!(c.cmd("MAIL FROM:<bob@example.org>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<carol@localhost>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    let body = format!("Subject: arena\r\n\r\n{}\r\n", "x".repeat(5000));
    assert!(c.cmd(&format!("{body}.")).starts_with("250"));
    assert!(c.cmd("QUIT").starts_with("221"));

    let before = scrape(python, metrics);
    let (mut i, greeting) = Tally::connect(imap);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let tagged = |i: &mut Tally, tag: &str, line: &str| {
        let mut reply = i.cmd(line);
        while !reply.starts_with(tag) {
            assert!(!reply.is_empty(), "closed before {tag}'s reply");
            reply = i.line();
        }
        reply
    };
    assert!(tagged(&mut i, "a ", "a LOGIN carol wrong").starts_with("a NO"));
    assert!(tagged(&mut i, "b ", "b LOGIN carol carol-pw").starts_with("b OK"));
    assert!(tagged(&mut i, "c ", "c SELECT INBOX").starts_with("c OK"));
    // The session keeps the message it fetched mapped (in the arena).
    assert!(tagged(&mut i, "d ", "d FETCH 1 BODY.PEEK[]").starts_with("d OK"));

    let during = scrape(python, metrics);
    for (key, want) in [
        (
            "popstore_logins_total{mechanism=\"LOGIN\",protocol=\"imap\",result=\"failed\",source=\"profile\"}",
            1.0,
        ),
        (
            "popstore_logins_total{mechanism=\"LOGIN\",protocol=\"imap\",result=\"ok\",source=\"profile\"}",
            1.0,
        ),
        ("popstore_bytes_in_total{protocol=\"imap\"}", i.sent as f64),
        ("popstore_sessions_open{protocol=\"imap\"}", 1.0),
    ] {
        assert_eq!(
            value(&during, key) - value(&before, key),
            want,
            "{key} in {during:#?}"
        );
    }
    assert!(
        value(&during, "popstore_map_arena_maps{}") >= 1.0
            && value(&during, "popstore_map_arena_bytes{}") >= body.len() as f64
            && value(&during, "popstore_map_arena_chunks{}") >= 1.0,
        "{during:#?}"
    );

    assert!(tagged(&mut i, "e ", "e LOGOUT").starts_with("e OK"));
    assert_eq!(i.line(), "", "the server closed the session");
    let after = scrape(python, metrics);
    assert_eq!(
        value(&after, "popstore_bytes_out_total{protocol=\"imap\"}")
            - value(&before, "popstore_bytes_out_total{protocol=\"imap\"}"),
        i.got as f64,
        "{after:#?}"
    );
    // The session's map went with it, and its chunk was freed.
    for key in [
        "popstore_map_arena_maps{}",
        "popstore_map_arena_bytes{}",
        "popstore_map_arena_chunks{}",
    ] {
        assert_eq!(value(&after, key), 0.0, "{key} in {after:#?}");
    }
    serve.signal("-TERM");
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");
}

/// `popstore_logins_total` for the other servers that take passwords:
/// the web login form (curl), ManageSieve's AUTHENTICATE and poppassd's
/// `pass`, each labelled with the password source that answered (the
/// profile, a checkpassword program for a PWD_ELSEWHERE account, or none
/// for a name without an account). The web form checks the password where
/// it is kept too: the PWD_ELSEWHERE account logs in through the program.
#[test]
fn web_managesieve_and_poppassd_logins_carry_their_password_source() {
    let python = python();
    let mut site = site::Site::new();
    site.user("alice", Some("alice-pw"), "");
    site.user("ext", None, "PWD_ELSEWHERE");
    // A checkpassword program that takes "right" only.
    let program = site.path("checkpassword");
    site::script(
        &program,
        "#!/bin/sh\npw=$(tr '\\0' '\\n' <&3 | sed -n 2p)\n\
         [ \"$pw\" = right ] && exec \"$@\"\nexit 1\n",
    );
    site.serve(
        &["web", "managesieve", "poppassd"],
        &["web", "ManageSieve", "poppassd", "metrics"],
        &format!(
            "[auth]\nsources = [\"external\"]\n[auth.external]\nprogram = \"{}\"\n\
             [web]\nauth_failure_delay_ms = 0\n[managesieve]\nauth_failure_delay_ms = 0\n\
             [poppassd]\nauth_failure_delay_ms = 0\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
            program.display()
        ),
    );
    let metrics = site.addr("metrics");
    let before = scrape(python, metrics);

    // The web form: a wrong password, a name without an account, and a
    // login (303 to the start page).
    let web = site.addr("web");
    let form = |name: &str, password: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(["--max-time", "30", "--data-urlencode"])
            .arg(format!("name={name}"))
            .arg("--data-urlencode")
            .arg(format!("password={password}"))
            .arg(format!("http://{web}/login"))
            .output()
            .expect("curl (ci/install-deps.sh installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(form("alice", "wrong"), "401");
    assert_eq!(form("nobody", "wrong"), "401");
    assert_eq!(form("alice", "alice-pw"), "303");
    // A PWD_ELSEWHERE account logs in to the web with the password its
    // source holds, as over POP3 and IMAP.
    assert_eq!(form("ext", "right"), "303");
    assert_eq!(form("ext", "wrong"), "401");

    // ManageSieve AUTHENTICATE PLAIN (plaintext is taken on loopback):
    // alice with a wrong password, ext through the program.
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let sieve = |user: &str, password: &str| {
        let (mut c, _) = LineClient::connect(site.addr("ManageSieve"), TIMEOUT);
        while !c.line().starts_with("OK") {}
        let plain = b64(&format!("\0{user}\0{password}"));
        c.cmd(&format!("AUTHENTICATE \"PLAIN\" \"{plain}\""))
    };
    assert!(sieve("alice", "wrong").starts_with("NO"));
    let r = sieve("ext", "right");
    assert!(r.starts_with("OK"), "{r}");

    // poppassd: alice's old password checks out; ext's does not.
    let poppassd = |user: &str, password: &str| {
        let (mut c, _) = LineClient::connect(site.addr("poppassd"), TIMEOUT);
        assert!(c.cmd(&format!("user {user}")).starts_with("200"));
        c.cmd(&format!("pass {password}"))
    };
    assert!(poppassd("alice", "alice-pw").starts_with("200"));
    assert!(poppassd("ext", "wrong").starts_with("500"));

    let after = scrape(python, metrics);
    let logins = |protocol: &str, mechanism: &str, result: &str, source: &str| {
        format!(
            "popstore_logins_total{{mechanism=\"{mechanism}\",protocol=\"{protocol}\",\
             result=\"{result}\",source=\"{source}\"}}"
        )
    };
    for (key, want) in [
        (logins("web", "FORM", "failed", "profile"), 1.0),
        // A name without an account is checked against the sources too
        // (the answer ignored, for equal time), as over POP3 and IMAP: the
        // program was the last one asked; and ext's wrong password.
        (logins("web", "FORM", "failed", "external"), 2.0),
        (logins("web", "FORM", "ok", "profile"), 1.0),
        (logins("web", "FORM", "ok", "external"), 1.0),
        (logins("managesieve", "PLAIN", "failed", "profile"), 1.0),
        (logins("managesieve", "PLAIN", "ok", "external"), 1.0),
        (logins("poppassd", "USER", "ok", "profile"), 1.0),
        (logins("poppassd", "USER", "failed", "external"), 1.0),
    ] {
        assert_eq!(
            value(&after, &key) - value(&before, &key),
            want,
            "{key} in {after:#?}"
        );
    }
}
