//! Sending a message for RETR and TOP: slices of the (mapped) message bytes
//! interleaved with the `.` that dot-stuffs each line beginning with `.`,
//! written with vectored writes. Nothing is copied and no byte is examined,
//! except that TOP finds the end of the header and of `n` body lines.

use std::io::{self, IoSlice};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::maildrop::MessageData;

/// How many slices go into one vectored write (Linux IOV_MAX; std clamps
/// it to the platform's limit). Big messages have a dot line every few
/// KiB, so 64 slices made a 5 MiB RETR about 85 writev calls of 64 KiB.
const SLICES_PER_WRITE: usize = 1024;

/// The end of what TOP sends: the header, the blank line, and up to `lines`
/// lines of the body. `header_len` is the header length when the store knows
/// it; otherwise it is found (the first empty line).
pub fn top_end(bytes: &[u8], header_len: Option<usize>, lines: u32) -> usize {
    let body_start = match header_len {
        Some(h) => h.min(bytes.len()),
        None => {
            if bytes.starts_with(b"\r\n") {
                2
            } else {
                memchr::memmem::find(bytes, b"\r\n\r\n").map_or(bytes.len(), |i| i + 4)
            }
        }
    };
    let mut end = body_start;
    for _ in 0..lines {
        match memchr::memchr(b'\n', &bytes[end..]) {
            Some(i) => end += i + 1,
            None => return bytes.len(),
        }
    }
    end
}

/// The pieces of a multi-line message response, in order: slices of the
/// message up to `end`, a `.` before each dot line, a CRLF when the message
/// does not end with one, and the final `.` line.
#[derive(Debug)]
pub struct Pieces<'a> {
    bytes: &'a [u8],
    dots: &'a [u64],
    pos: usize,
    end: usize,
    /// The next piece is the stuffing dot for the line at `pos`.
    stuff_next: bool,
    tail_done: bool,
}

impl<'a> Pieces<'a> {
    /// The pieces of `bytes[..end]` given the dot-line offsets.
    pub fn new(bytes: &'a [u8], dots: &'a [u64], end: usize) -> Self {
        let end = end.min(bytes.len());
        let mut p = Self {
            bytes,
            dots,
            pos: 0,
            end,
            stuff_next: false,
            tail_done: false,
        };
        p.skip_dots_before(0);
        p.stuff_next = p.dots.first() == Some(&0) && end > 0;
        p
    }

    /// Drops dot offsets below `pos` (and any out-of-order entries).
    fn skip_dots_before(&mut self, pos: usize) {
        while let Some(&d) = self.dots.first() {
            if (d as usize) < pos {
                self.dots = &self.dots[1..];
            } else {
                break;
            }
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.stuff_next {
            self.stuff_next = false;
            self.dots = &self.dots[1..];
            return Some(b".");
        }
        if self.pos < self.end {
            let next_dot = self
                .dots
                .first()
                .map(|&d| d as usize)
                .filter(|&d| d < self.end && d > self.pos);
            let stop = next_dot.unwrap_or(self.end);
            let piece = &self.bytes[self.pos..stop];
            self.pos = stop;
            if next_dot.is_some() {
                self.stuff_next = true;
            } else {
                self.skip_dots_before(self.end);
            }
            return Some(piece);
        }
        if self.tail_done {
            return None;
        }
        self.tail_done = true;
        if self.end == 0 || self.bytes[..self.end].ends_with(b"\r\n") {
            Some(b".\r\n")
        } else {
            Some(b"\r\n.\r\n")
        }
    }
}

/// Writes `prefix` (the `+OK` line and anything queued before it) and the
/// message up to `end` to `w`, with vectored writes, then flushes.
pub async fn write_message<W: AsyncWrite + Unpin>(
    w: &mut W,
    prefix: &[u8],
    msg: &dyn MessageData,
    end: usize,
) -> io::Result<()> {
    let mut pieces = std::iter::once(prefix)
        .filter(|p| !p.is_empty())
        .chain(Pieces::new(msg.bytes(), msg.dot_lines(), end));
    // A small message needs a few slices: 2 per dot line and 3 more.
    let want = msg.dot_lines().len().saturating_mul(2).saturating_add(3);
    let mut batch: Vec<IoSlice<'_>> = Vec::with_capacity(want.min(SLICES_PER_WRITE));
    loop {
        batch.clear();
        batch.extend(pieces.by_ref().take(SLICES_PER_WRITE).map(IoSlice::new));
        if batch.is_empty() {
            break;
        }
        let mut bufs = &mut batch[..];
        while !bufs.is_empty() {
            let n = w.write_vectored(bufs).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut bufs, n);
        }
    }
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::memory::MemoryMessage;

    fn stuffed(bytes: &[u8], end: usize) -> Vec<u8> {
        let m = MemoryMessage::new(bytes.to_vec());
        Pieces::new(m.bytes(), m.dot_lines(), end)
            .flatten()
            .copied()
            .collect()
    }

    #[test]
    fn stuffs_dot_lines_and_terminates() {
        let msg = b"Subject: x\r\n\r\n.hidden\r\nplain\r\n..two\r\n.";
        assert_eq!(
            stuffed(msg, msg.len()),
            b"Subject: x\r\n\r\n..hidden\r\nplain\r\n...two\r\n..\r\n.\r\n"
        );
        assert_eq!(stuffed(b".\r\n", 3), b"..\r\n.\r\n");
        assert_eq!(stuffed(b"", 0), b".\r\n");
        assert_eq!(stuffed(b"a\r\n", 3), b"a\r\n.\r\n");
    }

    #[test]
    fn top_counts_body_lines() {
        let msg = b"A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
        let end0 = top_end(msg, None, 0);
        assert_eq!(&msg[..end0], b"A: 1\r\nB: 2\r\n\r\n");
        let end2 = top_end(msg, None, 2);
        assert_eq!(
            stuffed(msg, end2),
            b"A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n"
        );
        assert_eq!(top_end(msg, None, 100), msg.len());
        assert_eq!(top_end(msg, Some(14), 1), 18);
        assert_eq!(top_end(b"\r\nbody\r\n", None, 0), 2);
        assert_eq!(top_end(b"only: header", None, 3), 12);
    }

    #[tokio::test]
    async fn writes_through_partial_writes() {
        // A duplex pipe with a tiny buffer forces partial vectored writes.
        let body: Vec<u8> = (0..2000)
            .flat_map(|i| format!(".line {i}\r\n").into_bytes())
            .collect();
        let m = MemoryMessage::new(body.clone());
        let (mut a, mut b) = tokio::io::duplex(97);
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut b, &mut out)
                .await
                .unwrap();
            out
        });
        write_message(&mut a, b"+OK\r\n", &m, body.len())
            .await
            .unwrap();
        drop(a);
        let out = reader.await.unwrap();
        let mut expect = b"+OK\r\n".to_vec();
        for line in body.split_inclusive(|&b| b == b'\n') {
            expect.push(b'.');
            expect.extend_from_slice(line);
        }
        expect.extend_from_slice(b".\r\n");
        assert_eq!(out, expect);
    }
}
