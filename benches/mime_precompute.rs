//! Precompute cost: canonical form + ENVELOPE, BODY, BODYSTRUCTURE, part
//! table and dot lines, for the whole MIME corpus and for typical 10 KiB and
//! 1 MiB messages. Criterion reports time per message and throughput
//! (bytes/s of raw input).
//!
//! Run: `cargo bench --bench mime_precompute`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use popstore::mime;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mime-corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/mime-corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("read corpus file"))
        .collect()
}

/// A typical message of about `size` bytes: headers, a text part, an HTML
/// alternative and a base64 attachment making up the rest.
fn typical(size: usize) -> Vec<u8> {
    let mut m = b"Return-Path: <a@example.org>\r\nReceived: from mx.example.org by store; Sun, 22 Nov 2026 10:00:00 +0000\r\n\
From: \"Alice Example\" <alice@example.org>\r\nTo: Bob <bob@example.net>, carol@example.net\r\n\
Cc: Team: dave@example.net, erin@example.net;\r\nSubject: =?UTF-8?Q?Quarterly_report?=\r\n\
Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <report-1@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        .to_vec();
    for i in 0..20 {
        m.extend_from_slice(
            format!("Line {i} of the report, caf=C3=A9 and more text here.\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>The report.</p></body></html>\r\n--alt--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n");
    let line = b"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZUR\r\n";
    while m.len() + line.len() + 12 < size {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--outer--\r\n");
    m
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let total: usize = corpus.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("precompute");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function(
        format!("corpus ({} messages, {total} bytes)", corpus.len()),
        |b| {
            b.iter(|| {
                for m in &corpus {
                    black_box(mime::precompute(black_box(m)));
                }
            })
        },
    );
    for (name, size) in [("10 KiB", 10 << 10), ("1 MiB", 1 << 20)] {
        let m = typical(size);
        g.throughput(Throughput::Bytes(m.len() as u64));
        g.bench_function(format!("typical {name}"), |b| {
            b.iter(|| black_box(mime::precompute(black_box(&m))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
