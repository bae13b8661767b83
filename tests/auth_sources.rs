//! Password sources with real parts, through the real binary: accounts
//! flagged PWD_ELSEWHERE log in over POP3 (Python's poplib and curl) with
//! the password a source holds. A checkpassword program written here
//! (accepting, refusing, hanging past the timeout, exiting 111); system
//! users made with useradd and chpasswd in each hash kind; a private
//! slapd on a loopback port; PAM with a service file of the test's own.
//! (The programs come from ci/install-deps.sh.)

mod common;
#[path = "auth/site.rs"]
mod site;

use site::{Site, curl_login, poplib_login, script};

const TEMP: &str = "ERR -ERR [SYS/TEMP] passwords cannot be checked at the moment; try again later";
const FAILED: &str = "ERR -ERR [AUTH] authentication failed";

/// A checkpassword program: "right-LOGIN" is right, "hang" never
/// answers, "temp" is a temporary failure (111), anything else is wrong.
/// Each run appends the login to `calls`. The configuration: `[auth]`
/// with `auth_keys`, and `[auth.external]`.
fn checkpassword(site: &Site, auth_keys: &str) -> String {
    let calls = site.path("calls");
    let path = site.path("checkpassword");
    script(
        &path,
        &format!(
            "#!/bin/sh\n\
             data=$(tr '\\0' '\\n' <&3)\n\
             login=$(printf '%s\\n' \"$data\" | sed -n 1p)\n\
             pw=$(printf '%s\\n' \"$data\" | sed -n 2p)\n\
             echo \"$login\" >> {calls}\n\
             case \"$pw\" in\n\
               \"right-$login\") exec \"$@\" ;;\n\
               hang) exec sleep 60 ;;\n\
               temp) exit 111 ;;\n\
               *) exit 1 ;;\n\
             esac\n",
            calls = calls.display()
        ),
    );
    format!(
        "[auth]\nsources = [\"external\"]\n{auth_keys}\n\
         [auth.external]\nprogram = \"{}\"\ntimeout = 1\n",
        path.display()
    )
}

fn calls(site: &Site) -> usize {
    std::fs::read_to_string(site.path("calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn checkpassword_program_accepts_refuses_and_fails_temporarily() {
    let mut site = Site::new();
    site.user("ext", None, "PWD_ELSEWHERE");
    site.user("ann", Some("ann-pw"), "");
    let auth = checkpassword(&site, "");
    site.serve(&[], &[], &auth);
    let pop3 = site.pop3();
    assert!(
        poplib_login(pop3, "ext", "right-ext", "userpass").starts_with("OK +OK ext's maildrop")
    );
    assert!(poplib_login(pop3, "ext", "right-ext", "plain").starts_with("OK +OK ext's maildrop"));
    assert_eq!(poplib_login(pop3, "ext", "wrong", "userpass"), FAILED);
    // A program exiting 111, or hanging past the timeout (killed), is a
    // temporary failure, never a wrong password; for a name without an
    // account too (the sources are asked all the same).
    assert_eq!(poplib_login(pop3, "ext", "temp", "userpass"), TEMP);
    assert_eq!(poplib_login(pop3, "ext", "hang", "userpass"), TEMP);
    assert_eq!(poplib_login(pop3, "nobody", "temp", "userpass"), TEMP);
    // An account without PWD_ELSEWHERE keeps its profile password.
    assert!(poplib_login(pop3, "ann", "ann-pw", "userpass").starts_with("OK"));
    assert_eq!(poplib_login(pop3, "ann", "right-ann", "userpass"), FAILED);
    assert!(curl_login(pop3, "ext", "right-ext"));
    assert!(!curl_login(pop3, "ext", "right-ann"));
    assert!(
        site.log().contains("no answer within 1 s"),
        "{}",
        site.log()
    );
}

#[test]
fn the_cache_spares_the_program_and_forgets_nothing_it_should_not() {
    let mut site = Site::new();
    site.user("ext", None, "PWD_ELSEWHERE");
    let auth = checkpassword(&site, "cache_ttl = 300\ncache_negative_ttl = 300");
    site.serve(&[], &[], &auth);
    let pop3 = site.pop3();
    for _ in 0..3 {
        assert!(poplib_login(pop3, "ext", "right-ext", "userpass").starts_with("OK"));
    }
    assert_eq!(calls(&site), 1, "one run of the program, then the cache");
    for _ in 0..2 {
        assert_eq!(poplib_login(pop3, "ext", "wrong", "userpass"), FAILED);
    }
    assert_eq!(calls(&site), 2, "a refusal is remembered too");
    for _ in 0..2 {
        assert_eq!(poplib_login(pop3, "ext", "temp", "userpass"), TEMP);
    }
    assert_eq!(calls(&site), 4, "a temporary failure never is");
}
