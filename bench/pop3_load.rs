//! A POP3 load generator for `bench/pop3.sh`: the same load against any
//! POP3 server (popstore, Dovecot).
//!
//! - `retr`: users `PREFIX1..PREFIXn` log in (USER/PASS), RETR every message,
//!   QUIT without deleting; `--concurrency` sessions at a time. Prints JSON:
//!   messages, bytes, wall seconds, messages/s, MB/s.
//! - `idle`: logs `--users` sessions in and holds them; runs `--mem-cmd`
//!   (prints the server's memory in KiB) before and after. Prints JSON.
//! - `ceiling`: the loopback ceiling: one TCP stream from a thread writing a
//!   buffer of `--size` bytes `--count` times to a reader. Prints JSON.
//! - `floor`: a POP3 responder that does no work, to measure `retr` against:
//!   the round-trip floor of this client on this machine.

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
    /// RETR every message of every user.
    Retr {
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
        /// RETRs of every message per session (pass after pass), so that a
        /// profile of the server is not all logins.
        #[arg(long, default_value_t = 1)]
        passes: u64,
    },
    /// The round-trip floor: a POP3 responder that does no work (any login
    /// is accepted, STAT says `--messages`, RETR sends the same `--size`
    /// bytes from memory), one blocking thread per connection. What the
    /// client measures against it is the fastest any server can be
    /// measured on this machine.
    Floor {
        #[arg(long)]
        listen: String,
        #[arg(long, default_value_t = 100)]
        messages: u64,
        #[arg(long, default_value_t = 10240)]
        size: usize,
    },
    /// Hold authenticated idle sessions and measure the server's memory.
    Idle {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "bench")]
        prefix: String,
        #[arg(long)]
        users: usize,
        #[arg(long)]
        password: String,
        /// A shell command printing the server's memory in KiB.
        #[arg(long)]
        mem_cmd: String,
    },
    /// Print popstore's argon2id verifier (PHC string) for a password, so
    /// the other server checks the same hash with the same cost.
    Hash {
        #[arg(long)]
        password: String,
    },
    /// Measure the loopback ceiling.
    Ceiling {
        #[arg(long, default_value_t = 5 << 20)]
        size: usize,
        #[arg(long, default_value_t = 100)]
        count: usize,
    },
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

fn proto(msg: String) -> io::Error {
    io::Error::other(msg)
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
        };
        let g = c.line()?;
        if !g.starts_with("+OK") {
            return Err(proto(format!("greeting: {g}")));
        }
        Ok(c)
    }

    fn fill(&mut self) -> io::Result<()> {
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

    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let l =
                    String::from_utf8_lossy(&self.buf[self.start..self.start + i + 1]).into_owned();
                self.start += i + 1;
                return Ok(l);
            }
            self.fill()?;
        }
    }

    fn cmd(&mut self, c: &str) -> io::Result<String> {
        self.s.write_all(format!("{c}\r\n").as_bytes())?;
        let l = self.line()?;
        if !l.starts_with("+OK") {
            return Err(proto(format!("{c}: {l}")));
        }
        Ok(l)
    }

    /// Reads a multi-line response after its first line; returns its bytes.
    fn multiline(&mut self) -> io::Result<u64> {
        let finder = memchr::memmem::Finder::new(b"\r\n.\r\n");
        // The first line's CRLF is part of the terminator when the body is
        // empty: search from two bytes before the start.
        let mut from = self.start.saturating_sub(2);
        let mut total = 0u64;
        loop {
            if let Some(i) = finder.find(&self.buf[from..self.end]) {
                let stop = from + i + 5;
                total += (stop - self.start) as u64;
                self.start = stop;
                return Ok(total);
            }
            // Keep the last 4 bytes (a terminator may straddle reads).
            let keep = self.end.saturating_sub(4).max(self.start);
            total += (keep - self.start) as u64;
            self.start = keep;
            if self.end - self.start == self.buf.len() || self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            from = self.start;
            self.fill()?;
        }
    }

    fn login(&mut self, user: &str, password: &str) -> io::Result<()> {
        self.cmd(&format!("USER {user}"))?;
        self.cmd(&format!("PASS {password}"))?;
        Ok(())
    }
}

/// Who a `retr` load logs in as and what each session does.
struct Load {
    addr: String,
    prefix: String,
    users: usize,
    password: String,
    passes: u64,
}

fn retr(load: &Load, concurrency: usize, rounds: usize) -> io::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let messages = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    // Nanoseconds spent between a successful login and the last RETR.
    let retr_nanos = Arc::new(AtomicU64::new(0));
    let users = load.users;
    let total = users * rounds;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, messages, bytes) = (next.clone(), messages.clone(), bytes.clone());
            let retr_nanos = retr_nanos.clone();
            let (addr, prefix, password, passes) = (
                load.addr.clone(),
                load.prefix.clone(),
                load.password.clone(),
                load.passes,
            );
            std::thread::spawn(move || -> io::Result<()> {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= total {
                        return Ok(());
                    }
                    let user = format!("{prefix}{}", job % users + 1);
                    let mut c = Conn::connect(&addr)?;
                    c.login(&user, &password)?;
                    let phase = Instant::now();
                    let stat = c.cmd("STAT")?;
                    let n: u64 = stat
                        .split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| proto(format!("STAT: {stat}")))?;
                    for i in (0..passes).flat_map(|_| 1..=n) {
                        c.cmd(&format!("RETR {i}"))?;
                        let b = c.multiline()?;
                        bytes.fetch_add(b, Ordering::Relaxed);
                        messages.fetch_add(1, Ordering::Relaxed);
                    }
                    retr_nanos.fetch_add(phase.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    c.cmd("QUIT")?;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| proto("worker panicked".into()))??;
    }
    let secs = started.elapsed().as_secs_f64();
    let m = messages.load(Ordering::Relaxed);
    let b = bytes.load(Ordering::Relaxed);
    // Throughput of the RETR phases alone (logins excluded): the busy time
    // of the sessions spread over the workers.
    let retr_secs = retr_nanos.load(Ordering::Relaxed) as f64 / 1e9 / concurrency as f64;
    println!(
        "{{\"concurrency\":{concurrency},\"messages\":{m},\"bytes\":{b},\"seconds\":{secs:.3},\"msgs_per_s\":{:.1},\"mb_per_s\":{:.1},\"retr_msgs_per_s\":{:.1},\"retr_mb_per_s\":{:.1}}}",
        m as f64 / secs,
        b as f64 / secs / 1e6,
        m as f64 / retr_secs,
        b as f64 / retr_secs / 1e6
    );
    Ok(())
}

fn mem_kib(cmd: &str) -> io::Result<u64> {
    let o = Command::new("sh").args(["-c", cmd]).output()?;
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            proto(format!(
                "--mem-cmd printed {:?}",
                String::from_utf8_lossy(&o.stdout)
            ))
        })
}

fn idle(addr: &str, prefix: &str, users: usize, password: &str, mem_cmd: &str) -> io::Result<()> {
    // Warm the server up with one session so one-time allocations are not
    // counted per connection.
    {
        let mut c = Conn::connect(addr)?;
        c.login(&format!("{prefix}1"), password)?;
        c.cmd("QUIT")?;
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
                    c.cmd("NOOP")?;
                    // Keep the client small: 1,000 sessions in one process.
                    c.buf = vec![0; 512];
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
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / held.len() as f64;
    println!(
        "{{\"connections\":{},\"before_kib\":{before},\"after_kib\":{after},\"bytes_per_connection\":{per:.0}}}",
        held.len()
    );
    for mut c in held {
        let _ = c.cmd("QUIT");
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

fn floor(listen: &str, messages: u64, size: usize) -> io::Result<()> {
    let listener = TcpListener::bind(listen)?;
    let mut retr = b"+OK message follows\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while retr.len() < size {
        retr.extend_from_slice(line);
    }
    retr.extend_from_slice(b".\r\n");
    let retr: &'static [u8] = retr.leak();
    let stat: &'static [u8] = format!("+OK {messages} {}\r\n", messages * size as u64)
        .into_bytes()
        .leak();
    for conn in listener.incoming() {
        let mut s = conn?;
        s.set_nodelay(true)?;
        std::thread::spawn(move || -> io::Result<()> {
            s.write_all(b"+OK floor ready\r\n")?;
            let mut buf = vec![0u8; 4096];
            let mut have = 0;
            loop {
                let n = s.read(&mut buf[have..])?;
                if n == 0 {
                    return Ok(());
                }
                have += n;
                while let Some(i) = memchr::memchr(b'\n', &buf[..have]) {
                    let reply: &[u8] = match buf.get(..4) {
                        Some(b"RETR") => retr,
                        Some(b"STAT") => stat,
                        Some(b"QUIT") => {
                            return s.write_all(b"+OK bye\r\n");
                        }
                        _ => b"+OK\r\n",
                    };
                    buf.copy_within(i + 1..have, 0);
                    have -= i + 1;
                    s.write_all(reply)?;
                }
            }
        });
    }
    Ok(())
}

fn main() -> io::Result<()> {
    match Args::parse().cmd {
        Cmd::Retr {
            addr,
            prefix,
            users,
            password,
            concurrency,
            rounds,
            passes,
        } => retr(
            &Load {
                addr,
                prefix,
                users,
                password,
                passes,
            },
            concurrency,
            rounds,
        ),
        Cmd::Floor {
            listen,
            messages,
            size,
        } => floor(&listen, messages, size),
        Cmd::Idle {
            addr,
            prefix,
            users,
            password,
            mem_cmd,
        } => idle(&addr, &prefix, users, &password, &mem_cmd),
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
