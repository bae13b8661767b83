//! IMAP with real clients against the real binary: mail delivered over
//! LMTP, then read and changed through `popstore serve` with Python's
//! imaplib and imapclient and with curl, over real sockets (plain on
//! loopback, STARTTLS, IMAPS). Fetched bytes are compared with what was
//! delivered. (The clients come from `ci/install-deps.sh`.)

mod common;
#[path = "imap/served.rs"]
mod served;

use std::process::Command;

use served::{Served, need_python, python};

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Ann <ann@example.org>\r\nTo: sue@example.org\r\nSubject: note {n}\r\n\
         Message-ID: <{n}@example.org>\r\n\r\nline one of {n}\r\n.leading dot\r\nend\r\n"
    )
    .into_bytes()
}

fn multipart() -> Vec<u8> {
    b"From: ann@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n\
      Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\n\
      Content-Type: text/plain\r\n\r\nfirst part\r\n--b\r\n\
      Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
      AAECAwQ=\r\n--b--\r\n"
        .to_vec()
}

const LOGIN_AND_FETCH: &str = r#"
import imaplib, json, ssl, sys
mode, host, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == "imaps":
    M = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
else:
    M = imaplib.IMAP4(host, port)
before = list(M.capabilities)
if mode == "starttls":
    M.starttls(ssl_context=ctx)
typ, login = M.login("sue", "sue-pw")
typ, data = M.select("INBOX")
n = int(data[0])
for i in range(1, n + 1):
    typ, d = M.fetch(str(i), "(BODY.PEEK[])")
    open(f"{out}/{i}.eml", "wb").write(d[0][1])
typ, flags = M.fetch("1:*", "(FLAGS)")
typ, parts = M.fetch(str(n), "(BODY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2] BODYSTRUCTURE)")
typ, seen = M.fetch("1", "(BODY[TEXT])")
typ, after = M.fetch("1", "(FLAGS)")
M.logout()
print(json.dumps({"before": before, "login": login[0].decode(), "n": n,
  "flags": [f.decode() for f in flags], "parts": repr(parts), "after": after[0].decode()}))
"#;

#[test]
fn imaplib_logs_in_plain_starttls_and_imaps_and_fetches_the_delivered_bytes() {
    if !need_python("imaplib") {
        return;
    }
    let s = Served::start("");
    let msgs = vec![message(1), message(2), multipart()];
    for m in &msgs {
        s.deliver("sue", m);
    }
    for (mode, addr) in [("plain", s.imap), ("starttls", s.imap), ("imaps", s.imaps)] {
        let out = s.dir.path().join(mode);
        std::fs::create_dir_all(&out).unwrap();
        let v = python(
            LOGIN_AND_FETCH,
            &[
                mode.into(),
                "127.0.0.1".into(),
                addr.port().to_string(),
                out.display().to_string(),
            ],
        );
        assert_eq!(v["n"], 3, "{mode}: {v}");
        for (i, m) in msgs.iter().enumerate() {
            let got = std::fs::read(out.join(format!("{}.eml", i + 1))).unwrap();
            // Delivery put the trace fields on top; the rest is the bytes sent.
            let body = common::trace::strip(&got, "a@b.example");
            assert_eq!(body, &m[..], "{mode}: message {} differs", i + 1);
        }
        let before: Vec<String> = serde_json::from_value(v["before"].clone()).unwrap();
        assert_eq!(
            before.contains(&"STARTTLS".to_string()),
            mode != "imaps",
            "{mode}: {before:?}"
        );
        let parts = v["parts"].as_str().unwrap();
        assert!(parts.contains("first part"), "{mode}: {parts}");
        assert!(
            parts.contains(r"\x00\x01\x02\x03\x04") && parts.contains("BINARY.SIZE[2] 5"),
            "BINARY decodes base64: {parts}"
        );
        // BODY[TEXT] without PEEK set \Seen, and said so.
        assert!(v["after"].as_str().unwrap().contains("\\Seen"), "{v}");
    }
}

const FLAGS_COPY_MOVE: &str = r#"
import json, sys
from imapclient import IMAPClient
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login("sue", "sue-pw")
r = {}
c.create_folder("Archive")
c.create_folder("Lists/Rust")
sel = c.select_folder("INBOX")
uids = sorted(c.fetch(list(range(1, sel[b"UIDNEXT"])), ["UID"]).keys())
r["uids"] = uids
c.add_flags([uids[0]], [b"\\Flagged", b"$Important"])
r["flags"] = {str(k): [f.decode() for f in v] for k, v in c.get_flags(uids).items()}
r["copy"] = str(c.copy(uids, "Archive"))
r["move"] = str(c.move([uids[2]], "Lists/Rust"))
c.add_flags([uids[1]], [b"\\Deleted"])
r["expunge"] = str(c.expunge())
r["inbox_after"] = sorted(c.fetch(list(range(1, 10)), ["UID"]).keys())
r["status_archive"] = {k.decode(): v for k, v in c.folder_status("Archive", ["MESSAGES", "UIDNEXT"]).items()}
r["status_rust"] = {k.decode(): v for k, v in c.folder_status("Lists/Rust", ["MESSAGES"]).items()}
r["list"] = [(list(map(bytes.decode, f)), d.decode(), n) for f, d, n in c.list_folders()]
r["try"] = ""
try:
    c.copy([uids[0]], "Nowhere")
except Exception as e:
    r["try"] = str(e)
c.logout()
c = IMAPClient("127.0.0.1", port=int(sys.argv[1]), ssl=False)
c.login("sue", "sue-pw")
c.select_folder("INBOX", readonly=True)
r["flags_again"] = {str(k): [f.decode() for f in v] for k, v in c.get_flags([uids[0]]).items()}
c.logout()
print(json.dumps(r))
"#;

#[test]
fn imapclient_flags_copy_move_and_expunge_last_across_sessions() {
    if !need_python("imapclient") {
        return;
    }
    let s = Served::start("");
    for n in 1..=3 {
        s.deliver("sue", &message(n));
    }
    let v = python(FLAGS_COPY_MOVE, &[s.imap.port().to_string()]);
    assert_eq!(v["uids"], serde_json::json!([1, 2, 3]), "{v}");
    let f = v["flags"]["1"].as_array().unwrap();
    assert!(
        f.contains(&"\\Flagged".into()) && f.contains(&"$Important".into()),
        "{v}"
    );
    assert_eq!(v["inbox_after"], serde_json::json!([1]), "{v}");
    assert_eq!(v["status_archive"]["MESSAGES"], 3, "{v}");
    assert_eq!(v["status_rust"]["MESSAGES"], 1, "{v}");
    assert!(v["try"].as_str().unwrap().contains("TRYCREATE"), "{v}");
    let names: Vec<String> = v["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[2].as_str().unwrap().to_string())
        .collect();
    for n in ["INBOX", "Archive", "Lists", "Lists/Rust"] {
        assert!(names.contains(&n.to_string()), "{names:?}");
    }
    let again = v["flags_again"]["1"].as_array().unwrap();
    assert!(again.contains(&"\\Flagged".into()), "{v}");
}

const APPEND_BIG: &str = r#"
import imaplib, json, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login("sue", "sue-pw")
body = b"Subject: big\r\n\r\n" + b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\r\n" * 80000
try:
    typ, d = M.append("INBOX", "(\\Seen)", None, body)
    r = {"append": [typ, d[0].decode()]}
except Exception as e:
    r = {"append": str(e)}
M.select("INBOX")
if isinstance(r["append"], list):
    typ, f = M.fetch("1", "(RFC822.SIZE BODY.PEEK[] FLAGS)")
    r["same"] = f[0][1] == body
    r["meta"] = f[0][0].decode()
    r["flags"] = M.fetch("1", "(FLAGS)")[1][0].decode()
try:
    typ, d = M.append("INBOX", None, None, b"x" * 2000000)
    r["toobig"] = [typ, d[0].decode()]
except Exception as e:
    r["toobig"] = str(e)
M.logout()
print(json.dumps(r))
"#;

#[test]
fn append_streams_a_large_literal_and_refuses_one_over_the_limit() {
    if !need_python("imaplib") {
        return;
    }
    let s = Served::start("[imap]\nappend_limit = 1000000\n");
    let v = python(APPEND_BIG, &[s.imap.port().to_string()]);
    // The 5.6 MB message is over the 1 MB limit too: first check the limit
    // did not refuse it silently.
    let append = v["append"].to_string();
    assert!(append.contains("TOOBIG"), "{v}");
    let toobig = v["toobig"].to_string();
    assert!(toobig.contains("TOOBIG"), "{v}");
    drop(s);
    let s = Served::start("");
    let v = python(APPEND_BIG, &[s.imap.port().to_string()]);
    assert_eq!(v["append"][0], "OK", "{v}");
    assert!(
        v["append"][1].as_str().unwrap().contains("APPENDUID"),
        "{v}"
    );
    assert_eq!(v["same"], true, "{v}");
    assert!(
        v["meta"].as_str().unwrap().contains("RFC822.SIZE 5520016"),
        "{v}"
    );
    assert!(v["flags"].as_str().unwrap().contains("\\Seen"), "{v}");
}

#[test]
fn curl_fetches_over_starttls_and_imaps() {
    let s = Served::start("");
    s.deliver("sue", &message(1));
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "curl is missing");
        return;
    }
    for url in [
        format!("imap://127.0.0.1:{}/INBOX;UID=1", s.imap.port()),
        format!("imaps://127.0.0.1:{}/INBOX;UID=1", s.imaps.port()),
    ] {
        let o = Command::new("curl")
            .args(["-s", "-S", "--ssl-reqd", "-k", "-u", "sue:sue-pw", &url])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            common::trace::strip(&o.stdout, "a@b.example"),
            &message(1)[..],
            "{url}"
        );
    }
}
