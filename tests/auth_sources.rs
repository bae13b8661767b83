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
#[path = "auth/system.rs"]
mod system;

use site::{Site, curl_login, poplib_login, script};
use system::{is_root, run, system_root};

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

#[test]
fn system_users_in_each_hash_kind() {
    if !is_root() {
        eprintln!("SKIPPED system_users_in_each_hash_kind: useradd -R and chpasswd -R need root");
        return;
    }
    let mut site = Site::new();
    let root = system_root(site.dir.path());
    let r = root.to_str().unwrap();
    // Each hash kind Debian's tools write; bcrypt through mkpasswd, since
    // chpasswd does not offer it.
    let kinds = ["YESCRYPT", "SHA512", "SHA256", "MD5", "bcrypt"];
    for (i, kind) in kinds.iter().enumerate() {
        let login = format!("pst-{}", kind.to_lowercase());
        let uid = (2001 + i).to_string();
        run(
            "useradd",
            &["-R", r, "-M", "-N", "-g", "100", "-u", &uid, &login],
            "",
        );
        let line = format!("{login}:pw-{kind}\n");
        if *kind == "bcrypt" {
            let out = std::process::Command::new("mkpasswd")
                .args(["-m", "bcrypt", &format!("pw-{kind}")])
                .output()
                .expect("mkpasswd (Debian whois) is needed: run ci/install-deps.sh");
            let hash = String::from_utf8(out.stdout).unwrap();
            run(
                "chpasswd",
                &["-R", r, "-e"],
                &format!("{login}:{}\n", hash.trim()),
            );
        } else {
            run("chpasswd", &["-R", r, "-c", kind], &line);
        }
        site.user(&kind.to_lowercase(), None, "PWD_ELSEWHERE");
    }
    let shadow = std::fs::read_to_string(root.join("etc/shadow")).unwrap();
    for prefix in ["$y$", "$6$", "$5$", "$1$", "$2b$"] {
        assert!(
            shadow.contains(&format!(":{prefix}")),
            "{prefix} in {shadow}"
        );
    }
    // A locked user, and root (below min_uid) with a known password.
    run(
        "useradd",
        &["-R", r, "-M", "-N", "-g", "100", "-u", "2100", "pst-locked"],
        "",
    );
    run(
        "chpasswd",
        &["-R", r, "-c", "SHA512"],
        "pst-locked:pw-locked\nroot:pw-root\n",
    );
    run("usermod", &["-R", r, "-L", "pst-locked"], "");
    site.user("locked", None, "PWD_ELSEWHERE");
    site.user("root", None, "PWD_ELSEWHERE");
    site.serve(
        &[],
        &[],
        &format!(
            "[auth]\nsources = [\"system\"]\n[auth.system]\npasswd_file = \"{r}/etc/passwd\"\n\
             shadow_file = \"{r}/etc/shadow\"\nlogin = \"pst-%Ln\"\n"
        ),
    );
    let pop3 = site.pop3();
    for kind in kinds {
        let (user, pw) = (kind.to_lowercase(), format!("pw-{kind}"));
        let got = poplib_login(pop3, &user, &pw, "userpass");
        assert!(
            got.starts_with(&format!("OK +OK {user}'s maildrop")),
            "{kind}: {got}"
        );
        assert_eq!(
            poplib_login(pop3, &user, "pw-wrong", "userpass"),
            FAILED,
            "{kind}"
        );
        assert!(curl_login(pop3, &user, &pw), "{kind} with curl");
    }
    assert_eq!(
        poplib_login(pop3, "locked", "pw-locked", "userpass"),
        FAILED
    );
    assert_eq!(poplib_login(pop3, "root", "pw-root", "userpass"), FAILED);
    // The shadow file gone unreadable: a temporary failure.
    std::fs::rename(root.join("etc/shadow"), root.join("etc/shadow.away")).unwrap();
    assert_eq!(poplib_login(pop3, "sha512", "pw-SHA512", "userpass"), TEMP);
}

#[path = "auth/slapd.rs"]
mod slapd;

/// `[auth]` for the slapd of the test: `pattern` is the `[auth.ldap]`
/// keys of a pattern.
fn ldap_config(slapd: &slapd::Slapd, uri: &str, pattern: &str) -> String {
    format!(
        "[auth]\nsources = [\"ldap\"]\n[auth.ldap]\nuri = \"{uri}\"\nca_file = \"{}\"\n\
         base = \"ou=people,dc=test\"\nfilter = \"(&(objectClass=posixAccount)(uid=%u))\"\n\
         timeout = 5\nconnect_timeout = 5\n{pattern}",
        slapd.ca.display()
    )
}

const SEARCH: &str = "bind_dn = \"cn=search,dc=test\"\nbind_password = \"search-pw\"\n";
const DIRECT: &str = "dn_template = \"uid=%u,ou=people,dc=test\"\n";

/// Both patterns, over STARTTLS and LDAPS, with poplib and curl; slapd
/// stopped is [SYS/TEMP] and started again serves again.
#[test]
fn ldap_search_and_direct_bind_over_starttls_and_ldaps() {
    let mut site = Site::new();
    let mut slapd = slapd::Slapd::start(site.dir.path());
    site.user("ann", None, "PWD_ELSEWHERE");
    site.user("bob", None, "PWD_ELSEWHERE");
    let plain = format!("ldap://127.0.0.1:{}", slapd.port);
    let tls = format!("ldaps://127.0.0.1:{}", slapd.tls_port);
    let starttls = format!("{SEARCH}starttls = true\n");
    for (uri, pattern) in [(&plain, starttls.as_str()), (&tls, DIRECT)] {
        site.serve(&[], &[], &ldap_config(&slapd, uri, pattern));
        let pop3 = site.pop3();
        let got = poplib_login(pop3, "ann", "ann-ldap", "userpass");
        assert!(got.starts_with("OK +OK ann's maildrop"), "{uri}: {got}");
        assert!(poplib_login(pop3, "bob", "bob-ldap", "plain").starts_with("OK"));
        assert_eq!(poplib_login(pop3, "ann", "bob-ldap", "userpass"), FAILED);
        // An empty password is refused, never an anonymous bind.
        assert_eq!(poplib_login(pop3, "ann", "", "plain"), FAILED);
        assert!(curl_login(pop3, "bob", "bob-ldap"));
        assert!(!curl_login(pop3, "bob", "ann-ldap"));
    }
    // The directory stops: a temporary failure, not a wrong password.
    slapd.stop();
    let pop3 = site.pop3();
    assert_eq!(poplib_login(pop3, "ann", "ann-ldap", "userpass"), TEMP);
    slapd.run();
    assert!(poplib_login(pop3, "ann", "ann-ldap", "userpass").starts_with("OK"));
}

/// Names that try to change the filter or the DN match nothing, and a
/// password change goes to the directory (RFC 3062).
#[test]
fn ldap_escapes_names_and_changes_passwords() {
    use popstore::auth::source::ldap::{Ldap, LdapConfig};
    use popstore::auth::{ChangeOutcome, PasswordSource, Secret};
    let site = Site::new();
    let slapd = slapd::Slapd::start(site.dir.path());
    let mut config: LdapConfig = popstore::config::Config::defaults().auth.ldap;
    config.uri = format!("ldap://127.0.0.1:{}", slapd.port);
    config.base = "ou=people,dc=test".into();
    config.filter = "(uid=%u)".into();
    config.bind_dn = "cn=search,dc=test".into();
    config.bind_password = "search-pw".into();
    config.password_change = true;
    let search = Ldap::from_config(&config).unwrap();
    config.dn_template = "uid=%u,ou=people,dc=test".into();
    let direct = Ldap::from_config(&config).unwrap();
    let pw = |s: &str| Secret::new(s.to_string());
    for source in [&search, &direct] {
        assert_eq!(source.verify("ann", &pw("ann-ldap")), Ok(true));
        // Unescaped, "an*" would find ann and ann2, "*)(uid=*" breaks the
        // filter open, "ann,ou=people" names another DN.
        for name in [
            "*)(uid=*",
            "an*",
            "ann*",
            "*",
            "ann)(uid=ann",
            "ann,ou=people",
        ] {
            assert_eq!(source.verify(name, &pw("ann-ldap")), Ok(false), "{name}");
        }
    }
    // Password change through the directory.
    assert_eq!(
        search.change_password("ann", &pw("wrong"), &pw("new-ann")),
        Ok(ChangeOutcome::Refused(
            "the old password is not right".into()
        ))
    );
    assert_eq!(
        search.change_password("ann", &pw("ann-ldap"), &pw("new-ann")),
        Ok(ChangeOutcome::Changed)
    );
    assert_eq!(direct.verify("ann", &pw("new-ann")), Ok(true));
    assert_eq!(direct.verify("ann", &pw("ann-ldap")), Ok(false));
    assert!(
        slapd.stored_password("ann").contains("userPassword:: "),
        "hashed by slapd"
    );
}

/// A PAM service file in the test's own directory (`confdir`).
fn pam_service(site: &Site, name: &str, text: &str) -> String {
    let dir = site.path("pam.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    format!(
        "[auth]\nsources = [\"pam\"]\n[auth.pam]\nservice = \"{name}\"\nconfdir = \"{}\"\ntimeout = 2\n",
        dir.display()
    )
}

/// A real user of the host checked by pam_unix; removed at the end.
struct HostUser(String);

impl Drop for HostUser {
    fn drop(&mut self) {
        let _ = std::process::Command::new("userdel").arg(&self.0).status();
    }
}

#[test]
fn pam_unix_checks_a_host_user() {
    if !is_root() {
        eprintln!("SKIPPED pam_unix_checks_a_host_user: useradd and pam_unix need root");
        return;
    }
    let mut site = Site::new();
    let login = format!("pstpam{}", std::process::id() % 100_000);
    let _ = std::process::Command::new("userdel").arg(&login).status();
    run("useradd", &["-M", "-N", "-K", "UID_MIN=2000", &login], "");
    let _user = HostUser(login.clone());
    run(
        "chpasswd",
        &["-c", "YESCRYPT"],
        &format!("{login}:pam-pw\n"),
    );
    site.user("pamuser", None, "PWD_ELSEWHERE");
    let auth = pam_service(
        &site,
        "pst-unix",
        "auth required pam_unix.so\naccount required pam_unix.so\n",
    ) + &format!("login = \"{login}\"\n");
    site.serve(&[], &[], &auth);
    let pop3 = site.pop3();
    assert!(poplib_login(pop3, "pamuser", "pam-pw", "userpass").starts_with("OK +OK pamuser's"));
    assert_eq!(
        poplib_login(pop3, "pamuser", "pam-wrong", "userpass"),
        FAILED
    );
    assert!(curl_login(pop3, "pamuser", "pam-pw"));
    assert!(!curl_login(pop3, "pamuser", "pam-wrong"));
}

/// pam_exec runs a script of the test's with the password: it accepts
/// "right", hangs for "hang", kills the helper for "crash". A hanging or
/// crashing module gives [SYS/TEMP] and the server goes on.
#[test]
fn pam_modules_that_hang_or_crash_do_not_take_the_server_down() {
    let mut site = Site::new();
    let check = site.path("pam-check.sh");
    script(
        &check,
        "#!/bin/sh\nread -r pw\ncase \"$pw\" in\n  right) exit 0 ;;\n  hang) exec sleep 10 ;;\n  \
         crash) kill -SEGV $PPID; exec sleep 10 ;;\n  *) exit 1 ;;\nesac\n",
    );
    site.user("p", None, "PWD_ELSEWHERE");
    let auth = pam_service(
        &site,
        "pst-exec",
        &format!(
            // pam_exec answers a failing script with PAM_SYSTEM_ERR (which
            // is "unavailable"): pam_deny makes it a refusal.
            "auth [success=1 default=ignore] pam_exec.so expose_authtok quiet {}\n\
             auth requisite pam_deny.so\nauth required pam_permit.so\n\
             account required pam_permit.so\n",
            check.display()
        ),
    );
    site.serve(&[], &[], &auth);
    let pop3 = site.pop3();
    assert!(poplib_login(pop3, "p", "right", "userpass").starts_with("OK"));
    assert_eq!(poplib_login(pop3, "p", "wrong", "userpass"), FAILED);
    assert_eq!(poplib_login(pop3, "p", "hang", "userpass"), TEMP);
    assert_eq!(poplib_login(pop3, "p", "crash", "userpass"), TEMP);
    assert!(poplib_login(pop3, "p", "right", "plain").starts_with("OK"));
    assert!(curl_login(pop3, "p", "right"));
}
