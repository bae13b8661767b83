//! `popstore serve` as a systemd service: the readiness protocol on
//! `$NOTIFY_SOCKET` (READY=1 once every listener is bound, STOPPING=1 at
//! SIGTERM), the TLS certificate reloaded on SIGHUP, `popstore status`
//! through the status socket, and `systemd-analyze verify` on the unit in
//! contrib/systemd.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{LineClient, ServeProcess, listening, popstore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// How long a test waits for a notification before it gives up (a hang
/// guard; the tests never wait that long when the server works).
const PATIENCE: Duration = Duration::from_secs(30);

const LISTEN_ALL: &str = "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"127.0.0.1:0\"\n\
     poppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n";

/// The next notification datagram the server sent.
fn next_notification(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let len = socket
        .recv(&mut buf)
        .expect("a notification from serve before the time-out");
    String::from_utf8(buf[..len].to_vec()).unwrap()
}

/// Reads notifications until one holds the line `line`; gives that one.
fn notification_with(socket: &UnixDatagram, line: &str) -> String {
    loop {
        let n = next_notification(socket);
        if n.lines().any(|l| l == line) {
            return n;
        }
    }
}

/// `popstore status --json` as JSON.
fn status(store: &Path, config: &Path) -> serde_json::Value {
    let out = popstore(
        store,
        &["--config", config.to_str().unwrap(), "status", "--json"],
        b"",
    );
    assert!(
        out.status.success(),
        "status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn open_sessions(report: &serde_json::Value, protocol: &str) -> u64 {
    report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["protocol"] == protocol)
        .unwrap_or_else(|| panic!("no {protocol} sessions in {report}"))["open"]
        .as_u64()
        .unwrap()
}

/// systemd gives the server an abstract socket (`@name`): READY=1 arrives
/// once the listeners are bound, with a STATUS line; `popstore status`
/// shows the listeners and counts an open POP3 session; SIGTERM brings
/// STOPPING=1 and a clean exit.
#[cfg(target_os = "linux")]
#[test]
fn notify_ready_status_and_stopping() {
    use std::os::linux::net::SocketAddrExt;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let config = common::write_file(dir.path(), "popstore.toml", LISTEN_ALL.as_bytes());
    let name = format!("popstore-test-notify-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let notify = UnixDatagram::bind_addr(&addr).unwrap();
    notify.set_read_timeout(Some(PATIENCE)).unwrap();

    let (mut lmtp, mut pop3) = (None, None);
    let serve = ServeProcess::start_with_env(
        &store,
        &config,
        "info",
        &[("NOTIFY_SOCKET", &format!("@{name}"))],
        |line| {
            lmtp = lmtp.or(listening(line, "LMTP"));
            pop3 = pop3.or(listening(line, "POP3"));
            lmtp.is_some() && pop3.is_some()
        },
    );
    let (lmtp, pop3) = (lmtp.unwrap(), pop3.unwrap());
    let ready = next_notification(&notify);
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready:?}");
    assert!(
        ready
            .lines()
            .any(|l| l == "STATUS=serving: lmtp 0 sessions, pop3 0 sessions"),
        "{ready:?}"
    );

    let report = status(&store, &config);
    let listeners = report["listeners"].as_array().unwrap();
    let at = |p: &str| {
        listeners
            .iter()
            .find(|l| l["protocol"] == p)
            .unwrap_or_else(|| panic!("no {p} listener in {report}"))["address"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(at("lmtp"), lmtp.to_string());
    assert_eq!(at("pop3"), pop3.to_string());
    assert!(at("pop3s").starts_with("127.0.0.1:"));
    assert_eq!(report["pid"].as_u64(), Some(u64::from(serve.id())));
    assert_eq!(open_sessions(&report, "pop3"), 0);

    let (mut client, greeting) = LineClient::connect(pop3, PATIENCE);
    assert!(greeting.starts_with("+OK"), "{greeting}");
    assert_eq!(open_sessions(&status(&store, &config), "pop3"), 1);
    let human = common::ok(
        &store,
        &["--config", config.to_str().unwrap(), "status"],
        b"",
    );
    assert!(
        human.contains(&format!("listening  lmtp   {lmtp}")),
        "{human}"
    );
    assert!(human.contains("sessions   pop3   1 open"), "{human}");
    assert!(human.contains(" UTC"), "dates, not Unix seconds: {human}");

    serve.signal("-TERM");
    notification_with(&notify, "STOPPING=1");
    // The open session is told the server is going away.
    assert!(client.line().starts_with("-ERR"));
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");
    let gone = popstore(
        &store,
        &["--config", config.to_str().unwrap(), "status"],
        b"",
    );
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("no server answers"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
}

/// The certificate a TLS client sees on `addr` (Python's ssl module).
fn served_certificate(addr: std::net::SocketAddr) -> CertificateDer<'static> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import ssl,sys; print(ssl.get_server_certificate((sys.argv[1], int(sys.argv[2])), timeout=30))",
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .output()
        .expect("python3 (ci/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    CertificateDer::from_pem_slice(&out.stdout).unwrap()
}

fn file_certificate(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

/// After cert.pem and key.pem are replaced and SIGHUP is sent, a new TLS
/// connection sees the new certificate; a broken file on a later SIGHUP
/// keeps the one that works. Notifications (a path socket here) mark the
/// end of each reload.
#[test]
fn sighup_reloads_the_tls_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let config = common::write_file(dir.path(), "popstore.toml", LISTEN_ALL.as_bytes());
    let notify_path = dir.path().join("notify");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut pop3s = None;
    let serve = ServeProcess::start_with_env(
        &store,
        &config,
        "info",
        &[("NOTIFY_SOCKET", notify_path.to_str().unwrap())],
        |line| {
            pop3s = pop3s.or(listening(line, "POP3S"));
            pop3s.is_some()
        },
    );
    let pop3s = pop3s.unwrap();
    notification_with(&notify, "READY=1");
    let (cert, key) = (store.join("tls/cert.pem"), store.join("tls/key.pem"));
    let first = file_certificate(&cert);
    assert_eq!(served_certificate(pop3s), first);

    let (new_cert, new_key) = (
        dir.path().join("new-cert.pem"),
        dir.path().join("new-key.pem"),
    );
    popstore::tls::generate_self_signed(&new_cert, &new_key, &["localhost".into()]).unwrap();
    std::fs::rename(&new_key, &key).unwrap();
    std::fs::rename(&new_cert, &cert).unwrap();
    let second = file_certificate(&cert);
    assert_ne!(first, second);
    serve.signal("-HUP");
    notification_with(&notify, "RELOADING=1");
    notification_with(&notify, "READY=1");
    assert_eq!(served_certificate(pop3s), second, "{}", serve.log());

    std::fs::write(&cert, "half written").unwrap();
    serve.signal("-HUP");
    notification_with(&notify, "READY=1");
    assert_eq!(served_certificate(pop3s), second);
    let log = serve.log();
    assert!(log.contains("reload failed, the old one stays"), "{log}");
    assert!(log.contains("cert.pem"), "the log names the file: {log}");

    serve.signal("-TERM");
    notification_with(&notify, "STOPPING=1");
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");
}

/// `systemd-analyze verify` accepts contrib/systemd/popstore.service (its
/// ExecStart pointed at the binary under test, since verify checks that
/// the program exists) without a warning about the unit.
#[test]
fn systemd_analyze_accepts_the_unit() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "systemd-analyze is missing on CI: ci/install-deps.sh installs the `systemd` package"
        );
        eprintln!("skipped: systemd-analyze is not installed (Debian package `systemd`)");
        return;
    }
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/popstore.service"),
    )
    .unwrap();
    assert!(unit.contains("\nType=notify\n"));
    assert!(unit.contains("\nExecStart=/usr/local/bin/popstore serve\n"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("popstore.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/popstore", env!("CARGO_BIN_EXE_popstore")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("popstore.service"))
        .collect();
    assert!(about_unit.is_empty(), "{about_unit:#?}");
}

/// The certificate a ManageSieve client sees after STARTTLS on `addr`.
fn managesieve_certificate(addr: std::net::SocketAddr) -> CertificateDer<'static> {
    const STARTTLS: &str = r#"
import socket, ssl, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
f = s.makefile("rb")
while not f.readline().startswith(b"OK"):
    pass
s.sendall(b"STARTTLS\r\n")
line = f.readline()
assert line.startswith(b"OK"), line
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="localhost")
print(ssl.DER_cert_to_PEM_cert(t.getpeercert(binary_form=True)))
"#;
    let out = Command::new("python3")
        .args([
            "-c",
            STARTTLS,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .output()
        .expect("python3 (ci/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    CertificateDer::from_pem_slice(&out.stdout).unwrap()
}

/// SIGHUP reloads the certificate of poppassd over TLS and of ManageSieve
/// (STARTTLS) too, with POP3 off: new handshakes on both see the new
/// certificate.
#[test]
fn sighup_reloads_the_poppassd_and_managesieve_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let config = common::write_file(
        dir.path(),
        "popstore.toml",
        b"[listen]\nlmtp = \"off\"\npop3 = \"off\"\npop3s = \"off\"\n\
          imap = \"off\"\nimaps = \"off\"\nweb = \"off\"\n\
          poppassd = \"off\"\npoppassds = \"127.0.0.1:0\"\nmanagesieve = \"127.0.0.1:0\"\n",
    );
    let notify_path = dir.path().join("notify");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(PATIENCE)).unwrap();
    let (mut poppassds, mut sieve) = (None, None);
    let serve = ServeProcess::start_with_env(
        &store,
        &config,
        "info",
        &[("NOTIFY_SOCKET", notify_path.to_str().unwrap())],
        |line| {
            poppassds = poppassds.or(listening(line, "poppassds"));
            sieve = sieve.or(listening(line, "ManageSieve"));
            poppassds.is_some() && sieve.is_some()
        },
    );
    let (poppassds, sieve) = (poppassds.unwrap(), sieve.unwrap());
    notification_with(&notify, "READY=1");
    let (cert, key) = (store.join("tls/cert.pem"), store.join("tls/key.pem"));
    let first = file_certificate(&cert);
    assert_eq!(served_certificate(poppassds), first);
    assert_eq!(managesieve_certificate(sieve), first);

    let (new_cert, new_key) = (
        dir.path().join("new-cert.pem"),
        dir.path().join("new-key.pem"),
    );
    popstore::tls::generate_self_signed(&new_cert, &new_key, &["localhost".into()]).unwrap();
    std::fs::rename(&new_key, &key).unwrap();
    std::fs::rename(&new_cert, &cert).unwrap();
    let second = file_certificate(&cert);
    assert_ne!(first, second);
    serve.signal("-HUP");
    notification_with(&notify, "RELOADING=1");
    notification_with(&notify, "READY=1");
    assert_eq!(served_certificate(poppassds), second, "{}", serve.log());
    assert_eq!(managesieve_certificate(sieve), second, "{}", serve.log());

    serve.signal("-TERM");
    notification_with(&notify, "STOPPING=1");
    let (exit, log) = serve.wait();
    assert!(exit.success(), "{log}");
}
