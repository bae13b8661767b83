//! Shared helpers of the integration tests: an in-memory store behind the
//! `Delivery` contract, an in-process server on a free loopback port, and
//! checks for the external programs the tests drive.

#![allow(dead_code)] // each test file uses a part

pub mod engine;
pub mod trace;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

use popstore::config::{Config, Listen, RelayHost};
use popstore::delivery::{AcceptedRecipient, Delivery, Envelope, Refusal};
use popstore::relay::Relay;
use popstore::serve::Server;

/// A store in memory: a fixed set of users; `full@...` is over quota,
/// `dis@...` is DISMAIL. Keeps every delivered copy.
#[derive(Default)]
pub struct MemoryDelivery {
    users: Vec<String>,
    /// (envelope, recipient, message) for every copy delivered.
    pub delivered: Mutex<Vec<(Envelope, String, Vec<u8>)>>,
}

impl MemoryDelivery {
    /// A store with these users (local parts, case-insensitive).
    pub fn new(users: &[&str]) -> Arc<MemoryDelivery> {
        Arc::new(MemoryDelivery {
            users: users.iter().map(|u| u.to_ascii_lowercase()).collect(),
            delivered: Mutex::new(Vec::new()),
        })
    }

    /// The messages delivered to each recipient address.
    pub fn mailboxes(&self) -> HashMap<String, Vec<Vec<u8>>> {
        let mut m: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
        for (_, r, msg) in self.delivered.lock().unwrap().iter() {
            m.entry(r.clone()).or_default().push(msg.clone());
        }
        m
    }
}

fn local_part(address: &str) -> String {
    address.split('@').next().unwrap_or("").to_ascii_lowercase()
}

impl Delivery for MemoryDelivery {
    fn check_recipient(
        &self,
        _: &Envelope,
        recipient: &str,
        _: u64,
    ) -> Result<AcceptedRecipient, Refusal> {
        match local_part(recipient).as_str() {
            "full" => Err(Refusal::new(552, (5, 2, 2), "mailbox full")),
            "dis" => Err(Refusal::new(550, (5, 2, 1), "mailbox disabled")),
            u if self.users.iter().any(|x| x == u) => Ok(AcceptedRecipient {
                address: recipient.to_string(),
            }),
            _ => Err(Refusal::new(550, (5, 1, 1), "no such user")),
        }
    }

    fn deliver(
        &self,
        envelope: &Envelope,
        recipients: &[AcceptedRecipient],
        message: &[u8],
    ) -> Vec<Result<(), Refusal>> {
        let mut d = self.delivered.lock().unwrap();
        recipients
            .iter()
            .map(|r| {
                d.push((envelope.clone(), r.address.clone(), message.to_vec()));
                Ok(())
            })
            .collect()
    }
}

/// A server running in this process on its own runtime.
pub struct TestServer {
    pub runtime: tokio::runtime::Runtime,
    pub lmtp: Listen,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Binds `config`'s listeners (use port 0) and serves in the background.
    pub fn start(config: Config, delivery: Arc<dyn Delivery>) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(Server::bind(Arc::new(config), delivery))
            .expect("bind");
        let lmtp = server.lmtp_address();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = runtime.spawn(server.run(async {
            let _ = rx.await;
        }));
        TestServer {
            runtime,
            lmtp,
            stop: Some(tx),
            done: Some(done),
        }
    }

    /// `host:port` of the LMTP listener.
    pub fn lmtp_tcp(&self) -> String {
        match &self.lmtp {
            Listen::Tcp(a) => a.to_string(),
            other => panic!("LMTP is not on TCP: {other}"),
        }
    }

    /// Begins shutdown (as SIGTERM does) without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down and waits for `run` to return.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.begin_shutdown();
        let done = self.done.take().unwrap();
        self.runtime.block_on(done).unwrap()
    }
}

/// A configuration with LMTP on a free loopback port.
pub fn lmtp_config() -> Config {
    let mut c = Config::defaults();
    c.listen.lmtp = Listen::Tcp("127.0.0.1:0".parse().unwrap());
    c.lmtp.hostname = "lmtp.test".into();
    c
}

/// Fails with a clear message when an external program is missing.
pub fn require(program: &str, probe: &[&str]) {
    let ok = Command::new(program)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`{program}` is needed by this test and is missing or broken: run ci/install-deps.sh"
    );
}

/// Writes `bytes` to a file in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// An SMTP server (aiosmtpd, tests/clients/smtp_sink.py) on a free
/// loopback port that keeps every message it receives.
pub struct Sink {
    child: Child,
    _stdin: ChildStdin,
    dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Sink {
    /// Starts the sink, storing into `dir`.
    pub fn start(dir: &Path) -> Sink {
        // Debian's python3-aiosmtpd serves /usr/bin/python3, which may not
        // be the first python3 on PATH (pyenv).
        let python = ["python3", "/usr/bin/python3"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-c", "import aiosmtpd.controller"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect(
                "python3 with aiosmtpd is needed (Debian python3-aiosmtpd): run ci/install-deps.sh",
            );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the SMTP sink did not start");
        Sink {
            child,
            _stdin: stdin,
            dir: dir.to_path_buf(),
            port,
        }
    }

    /// Message `n` (from 1): its bytes and envelope.
    pub fn message(&self, n: u32) -> (Vec<u8>, serde_json::Value) {
        let bytes = std::fs::read(self.dir.join(format!("{n}.eml"))).unwrap();
        let env = std::fs::read(self.dir.join(format!("{n}.json"))).unwrap();
        (bytes, serde_json::from_slice(&env).unwrap())
    }

    /// How many messages arrived.
    pub fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "eml")
            })
            .count()
    }

    /// A relay client for this sink.
    pub fn relay(&self) -> Relay {
        let mut c = Config::defaults();
        c.relay.host = RelayHost::Server {
            host: "127.0.0.1".into(),
            port: self.port,
        };
        c.relay.helo_name = "popstore.test".into();
        Relay::from_config(&c.relay).unwrap().unwrap()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in a `popstore serve` log line saying `WHAT listening
/// listen=ADDR` (how the tests learn the port a server bound, port 0 in
/// its configuration).
pub fn listening(line: &str, what: &str) -> Option<std::net::SocketAddr> {
    if !line.contains(&format!("{what} listening")) {
        return None;
    }
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("listen="))
        .and_then(|a| a.parse().ok())
}

/// A line-at-a-time client of a text protocol (POP3, LMTP) over TCP: one
/// command line out, one reply line back.
pub struct LineClient {
    reader: BufReader<std::net::TcpStream>,
    writer: std::net::TcpStream,
}

impl LineClient {
    /// Connects to `addr` (reads time out after `timeout`) and reads the
    /// greeting.
    pub fn connect(addr: std::net::SocketAddr, timeout: std::time::Duration) -> (Self, String) {
        let s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(timeout)).unwrap();
        let mut c = Self {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        let greeting = c.line();
        (c, greeting)
    }

    /// The next line (empty when the server closed the connection).
    pub fn line(&mut self) -> String {
        let mut l = String::new();
        self.reader.read_line(&mut l).unwrap();
        l
    }

    /// Sends `c` and CRLF; the first line of the reply.
    pub fn cmd(&mut self, c: &str) -> String {
        use std::io::Write;
        self.writer
            .write_all(format!("{c}\r\n").as_bytes())
            .unwrap();
        self.line()
    }
}

/// Runs the real binary: `popstore --store STORE ARGS` with `stdin`
/// (`$POPSTORE_CONFIG` removed, so no outside configuration leaks in).
pub fn popstore(store: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_popstore"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("POPSTORE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Like [`popstore`], asserting success; returns standard output.
pub fn ok(store: &Path, args: &[&str], stdin: &[u8]) -> String {
    let out = popstore(store, args, stdin);
    assert!(
        out.status.success(),
        "popstore {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `popstore serve` as a child process (the real binary), killed when
/// dropped; its log (standard error) is collected as it comes.
pub struct ServeProcess {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl ServeProcess {
    /// Starts `popstore --store STORE --config CONFIG serve` with
    /// `RUST_LOG=log_filter` and waits for its "LMTP listening" line.
    pub fn start(store: &Path, config: &Path, log_filter: &str) -> ServeProcess {
        Self::start_until(store, config, log_filter, |line| {
            line.contains("LMTP listening")
        })
    }

    /// Starts `popstore serve` with LMTP and POP3 on port 0 in `config`
    /// and waits until both listen; gives their addresses.
    pub fn start_lmtp_pop3(
        store: &Path,
        config: &Path,
    ) -> (ServeProcess, std::net::SocketAddr, std::net::SocketAddr) {
        let (mut lmtp, mut pop3) = (None, None);
        let server = Self::start_until(store, config, "info", |line| {
            lmtp = lmtp.or(listening(line, "LMTP"));
            pop3 = pop3.or(listening(line, "POP3"));
            lmtp.is_some() && pop3.is_some()
        });
        (server, lmtp.unwrap(), pop3.unwrap())
    }

    /// Like [`ServeProcess::start`], waiting until `ready` says yes to a
    /// log line (it sees every line up to that one).
    pub fn start_until(
        store: &Path,
        config: &Path,
        log_filter: &str,
        ready: impl FnMut(&str) -> bool,
    ) -> ServeProcess {
        Self::start_with_env(store, config, log_filter, &[], ready)
    }

    /// Like [`ServeProcess::start_until`], with more environment
    /// variables (`NOTIFY_SOCKET`, ...).
    pub fn start_with_env(
        store: &Path,
        config: &Path,
        log_filter: &str,
        env: &[(&str, &str)],
        mut ready: impl FnMut(&str) -> bool,
    ) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_popstore"))
            .arg("--store")
            .arg(store)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("RUST_LOG", log_filter)
            .env_remove("POPSTORE_CONFIG")
            .env_remove("NOTIFY_SOCKET")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(String::new()));
        loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("serve exited: {}", log.lock().unwrap()))
                .unwrap();
            log.lock().unwrap().push_str(&(line.clone() + "\n"));
            if ready(&line) {
                break;
            }
        }
        // Keep draining the log so the server never blocks writing it.
        let l = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                l.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        ServeProcess { child, log }
    }

    /// Sends `sig` (`-TERM`, `-INT`, ...) with kill(1).
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn crash(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits for the server to exit: its status and its whole log.
    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
