//! poppassd through the real binary with a scripted client: a password
//! changed (POP3 then takes the new one only, over poplib), a LOCKPWD
//! account refused, a wrong old password refused after the throttle's
//! delay, and a directory password changed through LDAP (RFC 3062).

mod common;
#[path = "auth/site.rs"]
mod site;
#[path = "auth/slapd.rs"]
mod slapd;

use std::time::{Duration, Instant};

use common::LineClient;
use site::{Site, poplib_login};

const FAILED: &str = "ERR -ERR [AUTH] authentication failed";

/// One poppassd conversation: the replies to `user`, `pass`, `newpass`
/// (as far as the server lets it go), without `quit`.
fn change(addr: std::net::SocketAddr, user: &str, old: &str, new: &str) -> Vec<String> {
    let (mut c, greeting) = LineClient::connect(addr, Duration::from_secs(30));
    assert!(greeting.starts_with("200 "), "{greeting}");
    let mut replies = Vec::new();
    for line in [
        format!("user {user}"),
        format!("pass {old}"),
        format!("newpass {new}"),
    ] {
        let r = c.cmd(&line);
        let done = !r.starts_with("200 ");
        replies.push(r.trim_end().to_string());
        if done {
            break;
        }
    }
    replies
}

#[test]
fn poppassd_changes_passwords_and_refuses_what_it_should() {
    let mut site = Site::new();
    let slapd = slapd::Slapd::start(site.dir.path());
    site.user("ann", Some("ann-pw"), "");
    site.user("locked", Some("locked-pw"), "LOCKPWD");
    site.user("bob", None, "PWD_ELSEWHERE");
    site.serve(
        &["poppassd"],
        &["poppassd"],
        &format!(
            "[poppassd]\nauth_failure_delay_ms = 400\n\
             [auth]\nsources = [\"ldap\"]\n[auth.ldap]\nuri = \"ldap://127.0.0.1:{}\"\n\
             dn_template = \"uid=%u,ou=people,dc=test\"\npassword_change = true\n",
            slapd.port
        ),
    );
    let (pp, pop3) = (site.addr("poppassd"), site.pop3());

    // A profile password: changed and committed before the 200, no quit.
    assert_eq!(
        change(pp, "ann", "ann-pw", "ann-new"),
        [
            "200 your password please.",
            "200 your new password please.",
            "200 Password changed, thank-you."
        ]
    );
    assert!(poplib_login(pop3, "ann", "ann-new", "userpass").starts_with("OK"));
    assert_eq!(poplib_login(pop3, "ann", "ann-pw", "userpass"), FAILED);

    // LOCKPWD: refused once the password checked out; it still works.
    assert_eq!(
        change(pp, "locked", "locked-pw", "x-new").last().unwrap(),
        "500 The password of this account cannot be changed."
    );
    assert!(poplib_login(pop3, "locked", "locked-pw", "userpass").starts_with("OK"));

    // A wrong old password: refused, and the second answer comes no
    // sooner than the configured delay after the first failure.
    let t = Instant::now();
    assert_eq!(
        change(pp, "ann", "wrong", "x").last().unwrap(),
        "500 Old password is incorrect."
    );
    assert_eq!(
        change(pp, "ann", "wrong", "x").last().unwrap(),
        "500 Old password is incorrect."
    );
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    assert!(poplib_login(pop3, "ann", "ann-new", "userpass").starts_with("OK"));

    // A directory password: changed in the directory (RFC 3062).
    assert_eq!(
        change(pp, "bob", "bob-ldap", "bob-new").last().unwrap(),
        "200 Password changed, thank-you."
    );
    assert!(poplib_login(pop3, "bob", "bob-new", "userpass").starts_with("OK"));
    assert_eq!(poplib_login(pop3, "bob", "bob-ldap", "userpass"), FAILED);
}

/// The implicit-TLS listener: the same conversation inside TLS (Python's
/// ssl module as the client).
#[test]
fn poppassds_speaks_inside_tls() {
    let mut site = Site::new();
    site.user("ann", Some("ann-pw"), "");
    site.serve(&["poppassd", "poppassds"], &["poppassd", "poppassds"], "");
    let addr = site.addr("poppassds");
    let script = "import socket, ssl, sys\n\
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n\
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))\n\
f = s.makefile('rwb', buffering=0)\n\
out = [f.readline()]\n\
for c in (b'user ann', b'pass ann-pw', b'newpass tls-new', b'quit'):\n    f.write(c + b'\\r\\n'); out.append(f.readline())\n\
print(b''.join(out).decode(), end='')\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, &addr.port().to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("200 Password changed, thank-you.\r\n200 Bye.\r\n"),
        "{text}"
    );
    assert!(poplib_login(site.pop3(), "ann", "tls-new", "userpass").starts_with("OK"));
}
