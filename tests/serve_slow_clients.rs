//! Slow and stalling clients against the real `popstore serve`, over real
//! sockets (issue 12, items 7 and 8):
//!
//! - 200 slow LMTP and 200 slow POP3 connections from 127.0.0.2 and up
//!   while a legitimate client on 127.0.0.1 delivers (Python's
//!   `smtplib.LMTP`) and retrieves (Python's `poplib`) within seconds;
//! - a client that stops reading a 20 MB RETR loses its session after the
//!   configured send timeout, and its maildrop is free again;
//! - an LMTP client pipelining NOOPs without reading loses its session;
//! - a command line (LMTP, POP3) or message data (LMTP DATA) trickled a
//!   byte at a time is cut at its deadline.
//!
//! Timeouts are configured short so the tests run fast. The clients'
//! pacing is the attack itself; waiting on the server is done on its log,
//! its replies and its closing of connections.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{ServeProcess, ok, write_file};
use socket2::{Domain, Socket, Type};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const MESSAGE: &[u8] =
    b"From: s@example.org\r\nSubject: through the crowd\r\n\r\nline one\r\n.dot line\r\n";

/// `popstore serve` on a fresh store holding the account `ann` (password
/// `ann-pw`), with LMTP and POP3 on free loopback ports.
struct Served {
    /// First, so the server is killed before its store is removed.
    server: ServeProcess,
    dir: tempfile::TempDir,
    store: PathBuf,
    lmtp: SocketAddr,
    pop3: SocketAddr,
}

impl Served {
    /// Starts the server with extra `[lmtp]` and `[pop3]` settings.
    fn start(lmtp: &str, pop3: &str) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        ok(&store, &["init"], b"");
        ok(
            &store,
            &["user", "add", "ann", "--password-stdin"],
            b"ann-pw\n",
        );
        let config = write_file(
            dir.path(),
            "popstore.toml",
            format!(
                "[listen]\nimap = \"off\"\nimaps = \"off\"\nlmtp = \"127.0.0.1:0\"\npop3 = \"127.0.0.1:0\"\npop3s = \"off\"\npoppassd = \"off\"\nmanagesieve = \"off\"\nweb = \"off\"\n\
                 [lmtp]\nhostname = \"lmtp.test\"\n{lmtp}\n\
                 [pop3]\nhostname = \"pop.test\"\n{pop3}\n"
            )
            .as_bytes(),
        );
        let (server, lmtp, pop3) = ServeProcess::start_lmtp_pop3(&store, &config);
        Served {
            server,
            dir,
            store,
            lmtp,
            pop3,
        }
    }

    /// Waits up to `within` for a log line containing `needle`.
    fn log_shows(&self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        loop {
            if self.server.log().contains(needle) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Delivers MESSAGE to ann with Python's smtplib.LMTP: its JSON
    /// summary, or the script's error output.
    fn deliver(&self) -> Result<serde_json::Value, String> {
        let msg = write_file(self.dir.path(), "msg.eml", MESSAGE);
        let out = Command::new("python3")
            .arg(Path::new(ROOT).join("tests/clients/lmtp_smtplib.py"))
            .args([&self.lmtp.to_string(), "s@example.org", "ann@localhost"])
            .arg(msg)
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    }

    /// Logs in as ann with Python's poplib (USER/PASS) and fetches every
    /// message into a new directory: the directory, or the error output.
    fn retrieve(&self, name: &str) -> Result<PathBuf, String> {
        let out_dir = self.dir.path().join(name);
        std::fs::create_dir(&out_dir).unwrap();
        let out = Command::new("python3")
            .arg(Path::new(ROOT).join("tests/pop3/poplib_client.py"))
            .args(["userpass", "127.0.0.1", &self.pop3.port().to_string()])
            .args(["ann", "ann-pw"])
            .arg(&out_dir)
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(out_dir)
    }
}

/// A blocking TCP connection to `target` from the address `from`, with a
/// small receive buffer when `rcvbuf` is given (so a client that stops
/// reading fills it quickly).
fn connect_from(from: Ipv4Addr, target: SocketAddr, rcvbuf: Option<usize>) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n).unwrap();
    }
    s.bind(&SocketAddr::new(IpAddr::V4(from), 0).into())
        .unwrap();
    s.connect_timeout(&target.into(), Duration::from_secs(10))
        .unwrap();
    s.into()
}

/// Slow clients, one per address from 127.0.0.2 up. Each sends a byte a
/// second of a command line it never ends; a connection the server closes
/// is opened again at the next tick (four a second), as an attacker
/// holding on would do.
struct Swarm {
    stop: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    ticks: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Swarm {
    fn start(target: SocketAddr, n: usize) -> Swarm {
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let ticks = Arc::new(AtomicUsize::new(0));
        let (s, o, c, t) = (stop.clone(), open.clone(), closed.clone(), ticks.clone());
        let thread = std::thread::spawn(move || {
            let mut conns: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
            let mut tick = 0usize;
            while !s.load(Ordering::Relaxed) {
                for (i, conn) in conns.iter_mut().enumerate() {
                    if conn.is_none() {
                        let i = u32::try_from(i).unwrap();
                        let from = Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 2)) + i);
                        let stream = connect_from(from, target, None);
                        stream.set_nonblocking(true).unwrap();
                        *conn = Some(stream);
                    }
                }
                let mut now_open = 0;
                for conn in conns.iter_mut() {
                    let Some(stream) = conn else { continue };
                    let alive =
                        drain(stream) && (!tick.is_multiple_of(4) || stream.write(b"X").is_ok());
                    if alive {
                        now_open += 1;
                    } else {
                        *conn = None;
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                }
                o.store(now_open, Ordering::Relaxed);
                tick += 1;
                t.store(tick, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        Swarm {
            stop,
            open,
            closed,
            ticks,
            thread: Some(thread),
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads what a non-blocking connection has received; false once the
/// server has closed it.
fn drain(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn a_legitimate_client_is_served_while_400_slow_clients_hold_on() {
    // POP3 gets as few slots as LMTP (100), so the 200 slow connections
    // overfill both.
    let served = Served::start("", "max_sessions = 100\n");
    let lmtp = Swarm::start(served.lmtp, 200);
    let pop3 = Swarm::start(served.pop3, 200);
    // Both swarms are connected and have trickled for two seconds; LMTP
    // has begun closing some of them (it is full).
    let end = Instant::now() + Duration::from_secs(60);
    while lmtp.ticks.load(Ordering::Relaxed) < 8
        || pop3.ticks.load(Ordering::Relaxed) < 8
        || lmtp.closed.load(Ordering::Relaxed) == 0
    {
        assert!(Instant::now() < end, "the swarms never got going");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The server's log about the legitimate client, for a failure.
    let about = |e: String| {
        let log = served.server.log();
        let mine: Vec<&str> = log.lines().filter(|l| l.contains("127.0.0.1")).collect();
        format!("{e}\nthe log about 127.0.0.1:\n{}", mine.join("\n"))
    };
    let started = Instant::now();
    let delivered = served
        .deliver()
        .map_err(about)
        .expect("smtplib.LMTP delivers");
    assert_eq!(delivered["data"][0][0], 250, "{delivered}");
    let fetched = served
        .retrieve("fetched")
        .map_err(about)
        .expect("poplib retrieves");
    let took = started.elapsed();
    let got = std::fs::read(fetched.join("1.eml")).unwrap();
    assert!(got.ends_with(MESSAGE), "{}", String::from_utf8_lossy(&got));
    assert!(
        took < Duration::from_secs(10),
        "delivery and retrieval took {took:?}"
    );
    // The attack was real: both servers were full (so sessions of the
    // swarms were closed to make room), and the swarms held on.
    let log = served.server.log();
    for server in ["LMTP", "POP3"] {
        assert!(
            log.contains(&format!("all 100 slots in use: closing the session that waited longest (for input) server=\"{server}\"")),
            "{server} was never full"
        );
    }
    let held = (
        lmtp.open.load(Ordering::Relaxed),
        pop3.open.load(Ordering::Relaxed),
    );
    assert!(held.0 >= 50 && held.1 >= 50, "held {held:?}");
    drop((lmtp, pop3));
}

#[test]
fn a_client_that_stops_reading_a_big_retr_loses_its_session_and_the_maildrop() {
    let served = Served::start("", "send_timeout_secs = 2\n");
    let mut big = b"From: s@example.org\r\nSubject: big\r\n\r\n".to_vec();
    while big.len() < 20 << 20 {
        big.extend_from_slice(b"a line of a big message, read by nobody at all\r\n");
    }
    ok(&served.store, &["deliver", "--to", "ann"], &big);

    let stalled = connect_from(Ipv4Addr::LOCALHOST, served.pop3, Some(4096));
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stalled.try_clone().unwrap());
    let mut line = String::new();
    for command in ["USER ann\r\n", "PASS ann-pw\r\n", ""] {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("+OK"), "{line}");
        (&stalled).write_all(command.as_bytes()).unwrap();
    }
    // The client asks for the 20 MB message and reads no more.
    (&stalled).write_all(b"RETR 1\r\n").unwrap();

    let cut = served.log_shows("reply not taken", Duration::from_secs(30));
    // Its maildrop is free: another session logs in and fetches it.
    let fetched = served.retrieve("fetched");
    assert!(
        cut,
        "the stalled session was never cut; a second login: {fetched:?}"
    );
    let fetched = fetched.expect("the maildrop is free again ([IN-USE]?)");
    let got = std::fs::read(fetched.join("1.eml")).unwrap();
    assert!(got.ends_with(&big[big.len() - 100..]));
    drop(stalled);
}

#[test]
fn lmtp_pipelined_noops_without_reading_lose_the_session() {
    let served = Served::start("send_timeout = 2\n", "");
    let mut client = connect_from(Ipv4Addr::LOCALHOST, served.lmtp, Some(4096));
    client
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    // NOOPs, pipelined, until the server closes the connection; the
    // replies are never read.
    let writer = std::thread::spawn(move || {
        let chunk = "NOOP\r\n".repeat(10_000);
        let mut sent = 0usize;
        loop {
            match client.write_all(chunk.as_bytes()) {
                Ok(()) if sent > 1 << 30 => return (sent, None),
                Ok(()) => sent += chunk.len(),
                Err(e) => return (sent, Some(e.kind())),
            }
        }
    });
    let cut = served.log_shows("reply not taken", Duration::from_secs(30));
    assert!(cut, "the session was never cut: {}", served.server.log());
    let (sent, error) = writer.join().unwrap();
    assert!(
        error.is_some(),
        "the server never closed the connection ({sent} bytes sent)"
    );
    // The server goes on serving.
    let delivered = served.deliver().expect("smtplib.LMTP delivers");
    assert_eq!(delivered["data"][0][0], 250, "{delivered}");
}

/// Connects to `target`, reads the greeting, sends `preface` and reads
/// until a reply line starting with `ready` (when given), then sends one
/// byte every half second of a line (or message data) it never ends. The
/// lines the server sends until it closes the connection, and how long
/// the trickle lasted.
fn trickle(target: SocketAddr, preface: &str, ready: Option<&str>) -> (Vec<String>, Duration) {
    let mut s = TcpStream::connect(target).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    s.write_all(preface.as_bytes()).unwrap();
    if let Some(ready) = ready {
        while !line.starts_with(ready) {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0, "closed early");
        }
    }
    // The read timeout paces the trickle.
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let started = Instant::now();
    let mut lines = Vec::new();
    loop {
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "still not cut after {took:?}: {lines:?}"
        );
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return (lines, took),
            Ok(_) => lines.push(line.clone()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let _ = s.write_all(b"x");
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (lines, took),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_line_or_data_trickled_a_byte_at_a_time_is_cut_at_its_deadline() {
    let served = Served::start(
        "command_timeout = 2\ndata_timeout = 2\n",
        "idle_timeout_secs = 2\n",
    );
    let (lmtp, pop3) = (served.lmtp, served.pop3);
    let command = std::thread::spawn(move || trickle(lmtp, "", None));
    let data = std::thread::spawn(move || {
        trickle(
            lmtp,
            "LHLO t\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<ann@localhost>\r\nDATA\r\n",
            Some("354"),
        )
    });
    let pop = std::thread::spawn(move || trickle(pop3, "", None));
    let timeout = "421 4.4.2 lmtp.test Timeout, closing connection\r\n";
    let (lines, _) = command.join().unwrap();
    assert_eq!(lines, [timeout], "an LMTP command line");
    let (lines, _) = data.join().unwrap();
    assert_eq!(lines, [timeout], "LMTP message data");
    let (lines, _) = pop.join().unwrap();
    assert_eq!(
        lines,
        ["-ERR autologout: idle for too long\r\n"],
        "a POP3 command line"
    );
}
