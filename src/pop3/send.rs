//! Sending a message for RETR and TOP: slices of the (mapped) message bytes,
//! split at each line beginning with `.` so that its dot goes out twice
//! (dot-stuffing), written with vectored writes. Nothing is copied and no
//! byte is examined, except that TOP finds the end of the header and of `n`
//! body lines.

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
/// message up to `end`, a CRLF when the message does not end with one, and
/// the final `.` line.
///
/// A dot line is stuffed without a piece of its own: the slice before it
/// ends with the line's dot, and the next slice starts at that same dot, so
/// the dot goes out twice. One slice per dot line rather than two (a
/// separate `.` and the rest) halves the slices the kernel walks for a
/// message with many dot lines.
#[derive(Debug)]
pub struct Pieces<'a> {
    bytes: &'a [u8],
    /// Dot-line offsets not yet used (those below `next_dot_from` are
    /// skipped: used already, or out of order).
    dots: &'a [u64],
    pos: usize,
    end: usize,
    next_dot_from: usize,
    tail_done: bool,
}

impl<'a> Pieces<'a> {
    /// The pieces of `bytes[..end]` given the dot-line offsets.
    pub fn new(bytes: &'a [u8], dots: &'a [u64], end: usize) -> Self {
        Self {
            bytes,
            dots,
            pos: 0,
            end: end.min(bytes.len()),
            next_dot_from: 0,
            tail_done: false,
        }
    }

    /// The next dot line inside `next_dot_from..end`, used up.
    fn take_dot(&mut self) -> Option<usize> {
        while let Some((&d, rest)) = self.dots.split_first() {
            let d = usize::try_from(d).unwrap_or(usize::MAX);
            if d >= self.end {
                self.dots = &[];
                return None;
            }
            self.dots = rest;
            if d >= self.next_dot_from {
                self.next_dot_from = d + 1;
                return Some(d);
            }
        }
        None
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos < self.end {
            let piece = match self.take_dot() {
                // Up to and including the dot; the next piece starts at it.
                Some(d) => {
                    let piece = &self.bytes[self.pos..=d];
                    self.pos = d;
                    piece
                }
                None => {
                    let piece = &self.bytes[self.pos..self.end];
                    self.pos = self.end;
                    piece
                }
            };
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
    // A small message needs a few slices: 1 per dot line and 3 more.
    let want = msg.dot_lines().len().saturating_add(3);
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
    fn one_slice_per_dot_line() {
        let msg = b".a\r\n.b\r\nc\r\n.d\r\n";
        let m = MemoryMessage::new(msg.to_vec());
        let pieces: Vec<&[u8]> = Pieces::new(m.bytes(), m.dot_lines(), msg.len()).collect();
        // ".", ".a\r\n.", ".b\r\nc\r\n.", ".d\r\n", then ".\r\n".
        assert_eq!(pieces.len(), 5, "{pieces:?}");
        assert_eq!(pieces.concat(), b"..a\r\n..b\r\nc\r\n..d\r\n.\r\n");
    }

    #[test]
    fn repeated_or_outlying_dot_offsets_change_nothing() {
        let msg = b".a\r\nb\r\n.c\r\n";
        let expect = b"..a\r\nb\r\n..c\r\n.\r\n";
        for dots in [
            &[0u64, 7][..],
            &[0, 0, 7, 7],
            &[0, 7, 100],
            &[0, 7, u64::MAX],
        ] {
            let out: Vec<u8> = Pieces::new(msg, dots, msg.len())
                .flatten()
                .copied()
                .collect();
            assert_eq!(out, expect, "{dots:?}");
        }
        // TOP stops before the second dot line: it is not stuffed or sent.
        let out: Vec<u8> = Pieces::new(msg, &[0, 7], 7).flatten().copied().collect();
        assert_eq!(out, b"..a\r\nb\r\n.\r\n");
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
