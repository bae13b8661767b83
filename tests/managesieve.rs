//! ManageSieve through the real binary with real clients: Debian's
//! sieve-connect (over STARTTLS) and Python's sievelib upload, list,
//! activate, download and delete scripts; a broken script is refused with
//! its line number; an uploaded script filters the next delivery.
//! (The clients come from ci/install-deps.sh.)

mod common;
#[path = "auth/site.rs"]
mod site;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use site::Site;

const FILTER: &str = "require \"fileinto\";\r\n\
                      if header :contains \"subject\" \"spam\" {\r\n  discard;\r\n}\r\n";

fn start() -> Site {
    let mut site = Site::new();
    site.user("ann", Some("ann-pw"), "");
    site.serve(&["managesieve"], &["ManageSieve"], "");
    site
}

/// sieve-connect with `args`, the password on descriptor 0: its status,
/// standard output and error.
fn sieve_connect(site: &Site, args: &[&str]) -> (bool, String) {
    let addr = site.addr("ManageSieve");
    let mut child = Command::new("sieve-connect")
        .args(["--server", "127.0.0.1", "--port", &addr.port().to_string()])
        .args([
            "--user",
            "ann",
            "--passwordfd",
            "0",
            "--notlsverify",
            "--authmech",
            "PLAIN",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sieve-connect (Debian) is needed: run ci/install-deps.sh");
    child.stdin.take().unwrap().write_all(b"ann-pw\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn file(site: &Site, name: &str, text: &str) -> String {
    let p = site.path(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Delivers a message with this subject to ann; her message count after.
fn deliver(store: &Path, subject: &str) -> i64 {
    let msg =
        format!("From: a@example.org\r\nTo: ann@localhost\r\nSubject: {subject}\r\n\r\nhello\r\n");
    common::ok(store, &["deliver", "--to", "ann"], msg.as_bytes());
    let json = common::ok(store, &["user", "show", "ann", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["messages"].as_i64().unwrap()
}

#[test]
fn sieve_connect_manages_scripts_over_starttls() {
    let site = start();
    let good = file(&site, "filter.siv", FILTER);
    let broken = file(&site, "broken.siv", "keep;\nfileinto \"x\";\n");
    let (ok, out) = sieve_connect(
        &site,
        &[
            "--upload",
            "--localsieve",
            &broken,
            "--remotesieve",
            "broken",
        ],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("line 2"), "{out}");
    let (ok, out) = sieve_connect(
        &site,
        &["--upload", "--localsieve", &good, "--remotesieve", "filter"],
    );
    assert!(ok, "{out}");
    let (ok, out) = sieve_connect(&site, &["--activate", "--remotesieve", "filter"]);
    assert!(ok, "{out}");
    let (ok, out) = sieve_connect(&site, &["--list"]);
    assert!(ok && out.contains("filter"), "{out}");
    let got = site.path("got.siv");
    let (ok, out) = sieve_connect(
        &site,
        &[
            "--download",
            "--remotesieve",
            "filter",
            "--localsieve",
            got.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(std::fs::read_to_string(&got).unwrap(), FILTER);
    // The CLI sees the same scripts.
    let listed = common::ok(&site.store, &["sieve", "list", "ann"], b"");
    assert!(listed.contains("filter"), "{listed}");
    // The active script filters the next delivery.
    assert_eq!(deliver(&site.store, "spam offer"), 0);
    assert_eq!(deliver(&site.store, "hello"), 1);
    let (ok, out) = sieve_connect(&site, &["--delete", "--remotesieve", "filter"]);
    assert!(!ok, "the active script is not deleted: {out}");
    let (ok, out) = sieve_connect(&site, &["--deactivate"]);
    assert!(ok, "{out}");
    let (ok, out) = sieve_connect(&site, &["--delete", "--remotesieve", "filter"]);
    assert!(ok, "{out}");
    let (_, out) = sieve_connect(&site, &["--list"]);
    assert!(!out.contains("filter"), "{out}");
    assert!(site.log().contains("managesieve login"), "{}", site.log());
}

#[test]
fn sievelib_manages_scripts_and_the_script_filters_delivery() {
    common::require("python3", &["-c", "import sievelib.managesieve"]);
    let site = start();
    let addr = site.addr("ManageSieve");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sievelib_client.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(["127.0.0.1", &addr.port().to_string(), "ann", "ann-pw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(FILTER.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["broken_put"], false);
    assert!(
        v["broken_error"].as_str().unwrap().contains("line 2"),
        "{v}"
    );
    for key in ["check", "put", "put_other", "active", "delete_other"] {
        assert_eq!(v[key], true, "{key}: {v}");
    }
    assert_eq!(v["delete_active"], false, "{v}");
    assert_eq!(v["list"]["active"], "filter");
    assert_eq!(v["list"]["others"], serde_json::json!(["other"]));
    // (sievelib drops the script's last line end.)
    let got = v["got"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(got.trim_end(), FILTER.replace("\r\n", "\n").trim_end());
    assert_eq!(v["list_after"]["active"], "filter");
    assert!(
        v["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "fileinto"),
        "{v}"
    );
    assert_eq!(deliver(&site.store, "more spam"), 0);
    assert_eq!(deliver(&site.store, "a letter"), 1);
}
