//! APPEND streams its literal to the store: a 60 MiB message APPENDed over
//! a real socket to the real `popstore serve` never lands on the server's
//! heap (its anonymous memory stays far below the message's size while it
//! arrives and is stored), comes back byte for byte (canonical: bare LFs
//! as CRLF, also where a CR ends one network read and its LF begins the
//! next), and a literal cut off by a dropped connection leaves no spool
//! file behind.

mod common;
#[path = "imap/served.rs"]
mod served;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use served::{Raw, Served};

/// The message: 60 MiB (under the default APPENDLIMIT of 64 MiB).
const SIZE: usize = 60 << 20;

/// How much the server's anonymous memory may grow while the message is
/// APPENDed: 16 MiB, a quarter of the message. What the server needs does
/// not grow with the message: its read buffer, the 256 KiB spool buffer,
/// the MIME scan of one part, the session. Holding the message (as a Vec,
/// before streaming) takes at least its 60 MiB.
const BOUND: u64 = 16 << 20;

/// A field of /proc/PID/status in bytes.
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB"))
        .map_or(0, |v| v.trim().parse::<u64>().unwrap() * 1024)
}

/// The message: CRLF lines, with a bare LF every 1000 lines and a CR at
/// the end of some 64 KiB pieces so that pairs straddle reads.
fn message() -> Vec<u8> {
    let mut m = b"From: a@b.example\r\nTo: sue@b.example\r\nSubject: big\r\n\r\n".to_vec();
    let mut n = 0u64;
    while m.len() < SIZE - 100 {
        n += 1;
        let end: &[u8] = if n.is_multiple_of(1000) {
            b"\n"
        } else {
            b"\r\n"
        };
        m.extend_from_slice(format!("line {n:010} of a large message ........").as_bytes());
        m.extend_from_slice(end);
    }
    m.truncate(SIZE - 2);
    m.extend_from_slice(b"\r\n");
    m
}

fn canonical(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 1000);
    let mut prev = 0;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// Temporary files (spools) anywhere under the store.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(temporaries(&e.path()));
        } else if name.ends_with(".tmp") {
            out.push(name);
        }
    }
    out
}

fn login(s: &Served) -> Raw {
    let (mut c, _) = Raw::connect(s.imap);
    let r = c.cmd("l", "LOGIN sue sue-pw");
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}

#[test]
fn a_large_append_streams_to_the_store_and_comes_back_whole() {
    let s = Served::start("");
    let pid = s.pid();
    let raw = message();
    let want = canonical(&raw);
    let mut c = login(&s);
    let r = c.cmd("s", "SELECT INBOX");
    assert!(r.last().unwrap().starts_with("s OK"), "{r:?}");

    let before = status_kib(pid, "RssAnon:");
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib(pid, "RssAnon:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2)); // sampling rate only
            }
        })
    };
    c.send(format!("a APPEND INBOX (\\Seen) {{{}}}\r\n", raw.len()).as_bytes());
    assert!(c.line().starts_with('+'));
    for piece in raw.chunks(64 * 1024 - 1) {
        c.send(piece);
    }
    c.send(b"\r\n");
    let r = c.until("a");
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    assert!(r.last().unwrap().starts_with("a OK [APPENDUID "), "{r:?}");
    let peak = peak.load(Ordering::Relaxed);
    let hwm = status_kib(pid, "VmHWM:");
    eprintln!(
        "server RssAnon before {} KiB, peak while appending {} KiB (growth {} KiB, bound {} KiB); VmHWM {} KiB (file pages of the maps included)",
        before / 1024,
        peak / 1024,
        (peak - before) / 1024,
        BOUND / 1024,
        hwm / 1024
    );
    assert!(
        peak - before < BOUND,
        "the server's heap grew by {} bytes for a {SIZE}-byte message",
        peak - before
    );
    assert!(
        temporaries(&s.store).is_empty(),
        "{:?}",
        temporaries(&s.store)
    );

    let r = c.cmd("f", "FETCH 1 (RFC822.SIZE)");
    assert!(
        r[0].contains(&format!("RFC822.SIZE {}", want.len())),
        "{r:?}"
    );
    c.send(b"g FETCH 1 BODY.PEEK[]\r\n");
    let head = c.line();
    assert!(
        head.ends_with(&format!("{{{}}}\r\n", want.len())),
        "{head:?}"
    );
    let got = c.bytes(want.len());
    assert!(got == want, "the fetched message differs from the appended");
    let r = c.until("g");
    assert!(r.last().unwrap().starts_with("g OK"), "{r:?}");
}

#[test]
fn a_literal_cut_off_leaves_no_spool_file() {
    let s = Served::start("");
    let mut c = login(&s);
    c.send(b"a APPEND INBOX {10485760}\r\n");
    assert!(c.line().starts_with('+'));
    c.send(&vec![b'x'; 1 << 20]);
    // The first megabyte is spooled: the spool file is there...
    let deadline = Instant::now() + Duration::from_secs(30);
    while temporaries(&s.store).is_empty() {
        assert!(Instant::now() < deadline, "no spool file");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(c);
    // ...and goes with the connection.
    while !temporaries(&s.store).is_empty() {
        assert!(
            Instant::now() < deadline,
            "spool left: {:?}",
            temporaries(&s.store)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut c = login(&s);
    let r = c.cmd("s", "STATUS INBOX (MESSAGES)");
    assert!(r[0].contains("MESSAGES 0"), "{r:?}");
}
