//! The HTTP load generator of `bench/web.sh` (not a test): CONCURRENCY
//! threads, each on one keep-alive connection, send `GET PATH` with a
//! bearer token for SECONDS and count the 200 answers.
//!
//! `web-load ADDR PATH TOKEN SECONDS CONCURRENCY` prints `requests/s`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn worker(addr: String, path: String, token: String, until: Instant) -> u64 {
    let stream = TcpStream::connect(&addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    let mut done = 0;
    while Instant::now() < until {
        writer.write_all(request.as_bytes()).expect("send");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        done += 1;
    }
    done
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage: web-load ADDR PATH TOKEN SECONDS CONCURRENCY");
        std::process::exit(2);
    }
    let seconds: u64 = a[4].parse().expect("SECONDS");
    let n: usize = a[5].parse().expect("CONCURRENCY");
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (addr, path, token) = (a[1].clone(), a[2].clone(), a[3].clone());
            std::thread::spawn(move || worker(addr, path, token, until))
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().expect("worker")).sum();
    let secs = start.elapsed().as_secs_f64();
    println!("{:.0}", total as f64 / secs);
}
