//! Fuzzes the IMAP command reader: any bytes, arriving in any chunks,
//! give commands, errors or "need more" without a panic; every outcome
//! consumes bytes inside the buffer; and reading in chunks gives the same
//! commands as reading the whole buffer at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use popstore::imap::parse::{CommandReader, Limits, Outcome};

fn limits() -> Limits {
    Limits {
        max_line: 512,
        max_literal: 256,
        max_append: 1024,
        max_command: 4096,
        max_depth: 16,
        max_items: 64,
    }
}

/// Reads every command out of `input`, delivered `chunk` bytes at a time.
fn read_all(input: &[u8], chunk: usize, utf8: bool, stream: bool) -> Vec<String> {
    let mut r = CommandReader::new(limits());
    r.utf8 = utf8;
    r.stream_append = stream;
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut seen = Vec::new();
    loop {
        match r.next(&buf) {
            Outcome::NeedMore => {
                if fed >= input.len() {
                    return seen;
                }
                let end = (fed + chunk).min(input.len());
                buf.extend_from_slice(&input[fed..end]);
                fed = end;
            }
            Outcome::Continue { size } => assert!(size <= limits().max_append),
            Outcome::Command { command, consumed } => {
                assert!(consumed > 0 && consumed <= buf.len());
                buf.drain(..consumed);
                seen.push(format!("{command:?}"));
            }
            Outcome::AppendMessage { head, consumed, .. } => {
                // Streamed: skip the message data as a session would.
                assert!(consumed > 0 && consumed <= buf.len());
                buf.drain(..consumed);
                // (Needs the data in the buffer, as a session reads it.)
                let size = head.size as usize;
                while buf.len() < size && fed < input.len() {
                    let end = (fed + chunk).min(input.len());
                    buf.extend_from_slice(&input[fed..end]);
                    fed = end;
                }
                buf.drain(..size.min(buf.len()));
                seen.push(format!("{head:?}"));
            }
            Outcome::AppendDone { tag, consumed } => {
                buf.drain(..consumed);
                seen.push(tag);
            }
            Outcome::Error { error, consumed } => {
                assert!(consumed > 0 && consumed <= buf.len());
                if error.fatal {
                    seen.push(format!("fatal {error:?}"));
                    return seen;
                }
                buf.drain(..consumed);
                seen.push(format!("{error:?}"));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 16) + 1;
    let utf8 = first & 0x80 != 0;
    let stream = first & 0x40 != 0;
    let whole = read_all(input, input.len().max(1), utf8, stream);
    let chunked = read_all(input, chunk, utf8, stream);
    assert_eq!(whole, chunked);
});
