//! An IMAP load generator for `bench/imap.sh`: the same load against any
//! IMAP server (popstore, Dovecot). Blocking threads, one per session in
//! flight (8 at most; the idle load holds its sockets without threads).
//!
//! - `fetch`: users `PREFIX1..PREFIXn` log in, SELECT INBOX and, message by
//!   message, `FETCH n (FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)` then
//!   `FETCH n (BODY.PEEK[])`; `--concurrency` sessions at a time. Prints
//!   JSON: messages, bytes, seconds, messages/s, MB/s (also of the FETCH
//!   phases alone, logins excluded).
//! - `uidfetch`: `SELECT INBOX` + `UID FETCH 1:* (FLAGS)` of one user,
//!   `--samples` times (a new session each); prints the best and median.
//! - `idle`: `--users` sessions log in, SELECT INBOX and stay; runs
//!   `--mem-cmd` (prints the server's memory in KiB) before and after.
//! - `ceiling`: the loopback ceiling (one TCP stream between two threads).
//! - `floor`: an IMAP responder that does no work, to measure `fetch`
//!   against: the round-trip floor of this client on this machine.
//! - `hash`: popstore's argon2id verifier for a password (Dovecot checks
//!   the same hash at the same cost).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Per-message FETCH of every message of every user.
    Fetch {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "bench")]
        prefix: String,
        #[arg(long)]
        users: usize,
        #[arg(long)]
        password: String,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Passes over all users.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// Only `FETCH n (BODY.PEEK[])` (the large-message load).
        #[arg(long)]
        body_only: bool,
    },
    /// SELECT + UID FETCH 1:* (FLAGS) of one user's INBOX.
    Uidfetch {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value_t = 5)]
        samples: usize,
    },
    /// Hold selected idle sessions and measure the server's memory.
    Idle {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "idle")]
        prefix: String,
        #[arg(long)]
        users: usize,
        #[arg(long)]
        password: String,
        /// A shell command printing the server's memory in KiB.
        #[arg(long)]
        mem_cmd: String,
        /// A shell command printing the CPU seconds the server has used:
        /// with it, every session then enters IDLE and the server's CPU
        /// over `--idle-secs` is reported.
        #[arg(long)]
        cpu_cmd: Option<String>,
        #[arg(long, default_value_t = 10)]
        idle_secs: u64,
    },
    /// popstore's argon2id verifier (PHC string) for a password.
    Hash {
        #[arg(long)]
        password: String,
    },
    /// The round-trip floor: an IMAP responder that does no work (any
    /// login is accepted, SELECT says `--messages`, FETCH answers canned
    /// bytes from memory: `--size` bytes for BODY.PEEK[]), one blocking
    /// thread per connection. What `fetch` measures against it is the
    /// fastest any server can be measured at with this client here.
    Floor {
        #[arg(long)]
        listen: String,
        #[arg(long, default_value_t = 100)]
        messages: u64,
        #[arg(long, default_value_t = 10240)]
        size: usize,
    },
    /// The loopback ceiling.
    Ceiling {
        #[arg(long, default_value_t = 5 << 20)]
        size: usize,
        #[arg(long, default_value_t = 100)]
        count: usize,
    },
}

fn proto(msg: String) -> io::Error {
    io::Error::other(msg)
}

/// One IMAP connection with a read buffer.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    tag: u64,
}

impl Conn {
    fn connect(addr: &str) -> io::Result<Self> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        let mut c = Conn {
            s,
            buf: vec![0; 256 * 1024],
            start: 0,
            end: 0,
            tag: 0,
        };
        let g = c.line()?;
        if !g.starts_with(b"* OK") {
            return Err(proto(format!("greeting: {}", String::from_utf8_lossy(&g))));
        }
        Ok(c)
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self.s.read(&mut self.buf[self.end..])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let l = self.buf[self.start..self.start + i + 1].to_vec();
                self.start += i + 1;
                return Ok(l);
            }
            self.fill()?;
        }
    }

    /// Skips `n` bytes of a literal.
    fn skip(&mut self, mut n: u64) -> io::Result<()> {
        loop {
            let have = (self.end - self.start) as u64;
            if have >= n {
                self.start += n as usize;
                return Ok(());
            }
            n -= have;
            self.start = self.end;
            self.fill()?;
        }
    }

    /// Sends a command and reads up to its tagged reply: the bytes read
    /// (literals included) and the untagged `* N EXISTS` count, if any.
    fn cmd(&mut self, c: &str) -> io::Result<(u64, Option<u64>)> {
        self.tag += 1;
        let tag = format!("a{} ", self.tag);
        self.s.write_all(format!("{tag}{c}\r\n").as_bytes())?;
        let (mut bytes, mut exists) = (0, None);
        loop {
            let l = self.line()?;
            bytes += l.len() as u64;
            if l.starts_with(tag.as_bytes()) {
                if !l[tag.len()..].starts_with(b"OK") {
                    return Err(proto(format!("{c}: {}", String::from_utf8_lossy(&l))));
                }
                return Ok((bytes, exists));
            }
            if l.ends_with(b"}\r\n") {
                // A literal: `{N}` at the end of the line.
                let open = memchr::memrchr(b'{', &l).unwrap_or(0);
                let n: u64 = std::str::from_utf8(&l[open + 1..l.len() - 3])
                    .ok()
                    .and_then(|v| v.trim_end_matches('+').parse().ok())
                    .ok_or_else(|| proto(format!("bad literal: {:?}", l)))?;
                self.skip(n)?;
                bytes += n;
                // The response goes on after the literal, read as the next
                // line (it may end in another literal).
            } else if l.ends_with(b" EXISTS\r\n") && l.starts_with(b"* ") {
                exists = std::str::from_utf8(&l[2..l.len() - 9])
                    .ok()
                    .and_then(|v| v.parse().ok());
            }
        }
    }

    fn login(&mut self, user: &str, password: &str) -> io::Result<()> {
        self.cmd(&format!("LOGIN {user} \"{password}\""))
            .map(|_| ())
    }

    /// SELECT INBOX: the number of messages.
    fn select(&mut self) -> io::Result<u64> {
        let (_, exists) = self.cmd("SELECT INBOX")?;
        exists.ok_or_else(|| proto("SELECT without EXISTS".into()))
    }
}

struct Load {
    addr: String,
    prefix: String,
    users: usize,
    password: String,
    body_only: bool,
}

fn fetch(load: &Load, concurrency: usize, rounds: usize) -> io::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let messages = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let phase_nanos = Arc::new(AtomicU64::new(0));
    let total = load.users * rounds;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, messages, bytes) = (next.clone(), messages.clone(), bytes.clone());
            let phase_nanos = phase_nanos.clone();
            let (addr, prefix, password, users, body_only) = (
                load.addr.clone(),
                load.prefix.clone(),
                load.password.clone(),
                load.users,
                load.body_only,
            );
            std::thread::spawn(move || -> io::Result<()> {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= total {
                        return Ok(());
                    }
                    let mut c = Conn::connect(&addr)?;
                    c.login(&format!("{prefix}{}", job % users + 1), &password)?;
                    let phase = Instant::now();
                    let n = c.select()?;
                    for i in 1..=n {
                        if !body_only {
                            let (b, _) = c.cmd(&format!(
                                "FETCH {i} (FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)"
                            ))?;
                            bytes.fetch_add(b, Ordering::Relaxed);
                        }
                        let (b, _) = c.cmd(&format!("FETCH {i} (BODY.PEEK[])"))?;
                        bytes.fetch_add(b, Ordering::Relaxed);
                        messages.fetch_add(1, Ordering::Relaxed);
                    }
                    phase_nanos.fetch_add(phase.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    c.cmd("LOGOUT")?;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| proto("worker panicked".into()))??;
    }
    let secs = started.elapsed().as_secs_f64();
    let (m, b) = (
        messages.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed),
    );
    let phase = phase_nanos.load(Ordering::Relaxed) as f64 / 1e9 / concurrency as f64;
    println!(
        "{{\"concurrency\":{concurrency},\"messages\":{m},\"bytes\":{b},\"seconds\":{secs:.3},\
         \"msgs_per_s\":{:.1},\"mb_per_s\":{:.1},\"fetch_msgs_per_s\":{:.1},\"fetch_mb_per_s\":{:.1}}}",
        m as f64 / secs,
        b as f64 / secs / 1e6,
        m as f64 / phase,
        b as f64 / phase / 1e6
    );
    Ok(())
}

fn uidfetch(addr: &str, user: &str, password: &str, samples: usize) -> io::Result<()> {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..samples.max(1) {
        let mut c = Conn::connect(addr)?;
        c.login(user, password)?;
        let t = Instant::now();
        n = c.select()?;
        c.cmd("UID FETCH 1:* (FLAGS)")?;
        times.push(t.elapsed().as_secs_f64());
        c.cmd("LOGOUT")?;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"messages\":{n},\"samples\":{},\"best_seconds\":{:.4},\"median_seconds\":{:.4}}}",
        times.len(),
        times[0],
        times[times.len() / 2]
    );
    Ok(())
}

fn mem_kib(cmd: &str) -> io::Result<u64> {
    let o = Command::new("sh").args(["-c", cmd]).output()?;
    let out = String::from_utf8_lossy(&o.stdout);
    out.trim()
        .parse()
        .map_err(|_| proto(format!("--mem-cmd printed {out:?}")))
}

/// Runs `cmd` and parses what it prints as a number.
fn seconds_of(cmd: &str) -> io::Result<f64> {
    let o = Command::new("sh").args(["-c", cmd]).output()?;
    let out = String::from_utf8_lossy(&o.stdout);
    out.trim()
        .parse()
        .map_err(|_| proto(format!("--cpu-cmd printed {out:?}")))
}

/// Puts every held session in IDLE, measures the server's CPU over
/// `secs`, and ends the IDLEs: the share of one core the waiting costs.
fn idle_cpu(held: &mut [Conn], cmd: &str, secs: u64) -> io::Result<f64> {
    for c in held.iter_mut() {
        c.s.write_all(b"i IDLE\r\n")?;
    }
    for c in held.iter_mut() {
        loop {
            let l = c.line()?;
            if l.starts_with(b"+") {
                break;
            }
            if l.starts_with(b"i ") {
                return Err(proto(format!("IDLE: {}", String::from_utf8_lossy(&l))));
            }
        }
    }
    let before = seconds_of(cmd)?;
    let t = Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(secs));
    let used = seconds_of(cmd)? - before;
    let share = used / t.elapsed().as_secs_f64();
    for c in held.iter_mut() {
        c.s.write_all(b"DONE\r\n")?;
        loop {
            let l = c.line()?;
            if l.starts_with(b"i ") {
                break;
            }
        }
    }
    Ok(share)
}

fn idle(
    addr: &str,
    prefix: &str,
    users: usize,
    password: &str,
    mem_cmd: &str,
    cpu: Option<(&str, u64)>,
) -> io::Result<()> {
    // One session first, so one-time allocations are not counted per
    // connection.
    {
        let mut c = Conn::connect(addr)?;
        c.login(&format!("{prefix}1"), password)?;
        c.select()?;
        c.cmd("LOGOUT")?;
    }
    let before = mem_kib(mem_cmd)?;
    let next = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let next = next.clone();
            let (addr, prefix, password) =
                (addr.to_string(), prefix.to_string(), password.to_string());
            std::thread::spawn(move || -> io::Result<Vec<Conn>> {
                let mut held = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= users {
                        return Ok(held);
                    }
                    let mut c = Conn::connect(&addr)?;
                    c.login(&format!("{prefix}{}", i + 1), &password)?;
                    c.select()?;
                    c.cmd("NOOP")?;
                    // Keep the client small: 1,000 sessions in one process.
                    c.buf = vec![0; 4096];
                    c.start = 0;
                    c.end = 0;
                    held.push(c);
                }
            })
        })
        .collect();
    let mut held = Vec::new();
    for t in threads {
        held.extend(
            t.join()
                .map_err(|_| proto("login thread panicked".into()))??,
        );
    }
    let after = mem_kib(mem_cmd)?;
    let per = after.saturating_sub(before) as f64 * 1024.0 / held.len() as f64;
    let cpu_share = match cpu {
        Some((cmd, secs)) => idle_cpu(&mut held, cmd, secs)?,
        None => -1.0,
    };
    println!(
        "{{\"connections\":{},\"before_kib\":{before},\"after_kib\":{after},\"bytes_per_connection\":{per:.0},\"idle_cpu_share\":{cpu_share:.4}}}",
        held.len()
    );
    for mut c in held {
        let _ = c.cmd("LOGOUT");
    }
    Ok(())
}

fn ceiling(size: usize, count: usize) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let writer = std::thread::spawn(move || -> io::Result<()> {
        let (mut s, _) = listener.accept()?;
        let data = vec![b'x'; size];
        for _ in 0..count {
            s.write_all(&data)?;
        }
        Ok(())
    });
    let mut s = TcpStream::connect(addr)?;
    let mut buf = vec![0u8; 256 * 1024];
    let started = Instant::now();
    let mut total = 0u64;
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| proto("writer panicked".into()))??;
    println!(
        "{{\"bytes\":{total},\"seconds\":{secs:.3},\"mb_per_s\":{:.1}}}",
        total as f64 / secs / 1e6
    );
    Ok(())
}

/// The reply of the floor responder to one command line.
fn floor_reply(line: &[u8], messages: u64, body: &[u8]) -> (Vec<u8>, bool) {
    let mut words = line.split(|&b| b == b' ');
    let tag = words.next().unwrap_or_default();
    let cmd = words.next().unwrap_or_default().to_ascii_uppercase();
    let n = words.next().unwrap_or_default();
    let mut out = Vec::new();
    let bye = cmd == b"LOGOUT";
    match cmd.as_slice() {
        b"SELECT" => out.extend_from_slice(format!("* {messages} EXISTS\r\n").as_bytes()),
        b"FETCH" if line.windows(10).any(|w| w == b"BODY.PEEK[") => {
            out.extend_from_slice(b"* ");
            out.extend_from_slice(n);
            out.extend_from_slice(format!(" FETCH (BODY[] {{{}}}\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b")\r\n");
        }
        b"FETCH" => {
            out.extend_from_slice(b"* ");
            out.extend_from_slice(n);
            out.extend_from_slice(
                b" FETCH (FLAGS () RFC822.SIZE 10240 ENVELOPE (\"Sun, 22 Nov 2026 12:00:00 +0000\" \
                  \"benchmark message\" ((\"Bench Sender\" NIL \"sender\" \"example.org\")) \
                  ((\"Bench Sender\" NIL \"sender\" \"example.org\")) \
                  ((\"Bench Sender\" NIL \"sender\" \"example.org\")) \
                  ((NIL NIL \"user\" \"example.org\")) NIL NIL NIL \"<bench.1@example.org>\") \
                  BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" \
                  10000 130 NIL NIL NIL NIL))\r\n",
            );
        }
        b"LOGOUT" => out.extend_from_slice(b"* BYE\r\n"),
        _ => {}
    }
    out.extend_from_slice(tag);
    out.extend_from_slice(b" OK done\r\n");
    (out, bye)
}

fn floor(listen: &str, messages: u64, size: usize) -> io::Result<()> {
    let listener = TcpListener::bind(listen)?;
    let mut body = Vec::new();
    let line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while body.len() < size {
        body.extend_from_slice(line);
    }
    let body: &'static [u8] = body.leak();
    for conn in listener.incoming() {
        let mut s = conn?;
        s.set_nodelay(true)?;
        std::thread::spawn(move || -> io::Result<()> {
            s.write_all(b"* OK floor ready\r\n")?;
            let mut buf = vec![0u8; 4096];
            let mut have = 0;
            loop {
                let n = s.read(&mut buf[have..])?;
                if n == 0 {
                    return Ok(());
                }
                have += n;
                while let Some(i) = memchr::memchr(b'\n', &buf[..have]) {
                    let end = if i > 0 && buf[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    let (reply, bye) = floor_reply(&buf[..end], messages, body);
                    buf.copy_within(i + 1..have, 0);
                    have -= i + 1;
                    s.write_all(&reply)?;
                    if bye {
                        return Ok(());
                    }
                }
            }
        });
    }
    Ok(())
}

fn main() -> io::Result<()> {
    match Args::parse().cmd {
        Cmd::Fetch {
            addr,
            prefix,
            users,
            password,
            concurrency,
            rounds,
            body_only,
        } => fetch(
            &Load {
                addr,
                prefix,
                users,
                password,
                body_only,
            },
            concurrency,
            rounds,
        ),
        Cmd::Uidfetch {
            addr,
            user,
            password,
            samples,
        } => uidfetch(&addr, &user, &password, samples),
        Cmd::Idle {
            addr,
            prefix,
            users,
            password,
            mem_cmd,
            cpu_cmd,
            idle_secs,
        } => idle(
            &addr,
            &prefix,
            users,
            &password,
            &mem_cmd,
            cpu_cmd.as_deref().map(|c| (c, idle_secs)),
        ),
        Cmd::Floor {
            listen,
            messages,
            size,
        } => floor(&listen, messages, size),
        Cmd::Ceiling { size, count } => ceiling(size, count),
        Cmd::Hash { password } => {
            let v = popstore::auth::Verifiers::from_password(
                &popstore::auth::Secret::new(password),
                &popstore::auth::VerifierOptions::default(),
            )
            .map_err(io::Error::other)?;
            println!("{}", v.argon2id.unwrap_or_default());
            Ok(())
        }
    }
}
