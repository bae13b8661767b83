//! Limits and abuse over real sockets: line length, bad commands, sessions
//! per address, idle autologout, failed logins, and STLS command injection.

mod common;
#[path = "pop3/harness.rs"]
mod harness;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::LineClient;
use harness::{deliver_all, need, start};
use popstore::pop3::Pop3Settings;

/// A raw POP3 connection: greeting, then one line per command.
struct Client(LineClient);

impl Client {
    fn connect(addr: SocketAddr) -> (Self, String) {
        let (c, greeting) = LineClient::connect(addr, Duration::from_secs(30));
        (Self(c), greeting)
    }

    fn line(&mut self) -> String {
        self.0.line()
    }

    fn cmd(&mut self, c: &str) -> String {
        self.0.cmd(c)
    }

    /// True when the server closed the connection.
    fn closed(&mut self) -> bool {
        self.0.line().is_empty()
    }
}

#[test]
fn long_lines_and_bad_commands() {
    let settings = Pop3Settings {
        max_bad_commands: 3,
        ..Pop3Settings::default()
    };
    let server = start(settings);
    let (mut c, greeting) = Client::connect(server.pop3);
    assert!(
        greeting.starts_with("+OK POP3 server ready <"),
        "{greeting}"
    );
    let long = format!("NOOP {}", "x".repeat(5000));
    assert_eq!(c.cmd(&long), "-ERR line too long (limit 1024 octets)\r\n");
    assert_eq!(
        c.cmd("NOOP"),
        "+OK\r\n",
        "the session goes on after a long line"
    );
    assert_eq!(c.cmd("FROB"), "-ERR unknown command\r\n");
    assert_eq!(c.cmd("RETR x"), "-ERR invalid message number\r\n");
    assert_eq!(
        c.line(),
        "-ERR too many bad commands, closing connection\r\n"
    );
    assert!(c.closed());
}

#[test]
fn sessions_per_address_are_capped() {
    let settings = Pop3Settings {
        max_sessions_per_client: 2,
        ..Pop3Settings::default()
    };
    let server = start(settings);
    let (a, _) = Client::connect(server.pop3);
    let (_b, _) = Client::connect(server.pop3);
    let (mut third, greeting) = Client::connect(server.pop3);
    assert_eq!(
        greeting,
        "-ERR [SYS/TEMP] too many sessions from your address\r\n"
    );
    assert!(third.closed());
    drop(a);
    // The slot frees once the server has seen the close.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_c, g) = Client::connect(server.pop3);
        if g.starts_with("+OK") {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed: {g}");
    }
}

#[test]
fn idle_autologout_commits_nothing() {
    let settings = Pop3Settings {
        idle_timeout_secs: 1,
        ..Pop3Settings::default()
    };
    let server = start(settings);
    deliver_all(&server.store, "ann");
    let (mut c, _) = Client::connect(server.pop3);
    assert_eq!(c.cmd("USER ann"), "+OK send PASS\r\n");
    assert!(
        c.cmd("PASS ann-pw")
            .starts_with("+OK ann's maildrop has 3 messages")
    );
    assert_eq!(c.cmd("DELE 1"), "+OK message 1 deleted\r\n");
    assert_eq!(c.line(), "-ERR autologout: idle for too long\r\n");
    assert!(c.closed());
    assert_eq!(server.store.uidls("ann").len(), 3);
}

#[test]
fn failed_logins_answer_auth_and_success_still_works() {
    let server = start(Pop3Settings {
        auth_failure_delay_ms: 1,
        ..Pop3Settings::default()
    });
    let (mut c, _) = Client::connect(server.pop3);
    for _ in 0..3 {
        c.cmd("USER ann");
        assert_eq!(c.cmd("PASS wrong"), "-ERR [AUTH] authentication failed\r\n");
    }
    c.cmd("USER ann");
    assert!(c.cmd("PASS ann-pw").starts_with("+OK"));
    assert!(c.cmd("QUIT").starts_with("+OK"));
}

#[test]
fn stls_discards_pipelined_plaintext() {
    need("python3");
    let server = start(Pop3Settings::default());
    let script = r#"
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\nUSER ann\r\n")
print(f.readline().decode().strip())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
g = t.makefile("rb")
t.sendall(b"NOOP\r\nPASS ann-pw\r\nQUIT\r\n")
for _ in range(3):
    print(g.readline().decode().strip())
"#;
    let o = Command::new("python3")
        .args(["-c", script, &server.pop3.port().to_string()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "+OK begin TLS negotiation",
            "+OK",
            "-ERR USER first",
            "+OK localhost POP3 server signing off"
        ]
    );
}
