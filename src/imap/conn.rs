//! One IMAP connection's byte stream for the server glue: plain or TLS
//! ([`Stream`]), and after COMPRESS=DEFLATE the deflate layer over it
//! ([`Deflate`]). Responses go out with their message slices in place:
//! vectored writes of the mapped files when nothing is compressed.

use std::io::{self, IoSlice};

use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::deflate::{Deflate, InflateError};
use super::session::Response;
use crate::netio::Stream;

/// Slices per vectored write.
const SLICES_PER_WRITE: usize = 512;

/// Most bytes inflated at a time (the session reads them before more).
const INFLATE_CHUNK: usize = 64 * 1024;

/// The connection.
#[derive(Debug)]
pub struct Conn {
    /// The transport.
    pub stream: Stream,
    deflate: Option<Deflate>,
    /// Compressed input not inflated yet.
    raw: Vec<u8>,
}

/// The pieces of a response in order: text and message slices.
fn pieces(r: &Response) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = Vec::with_capacity(r.slices.len() * 2 + 1);
    let mut from = 0;
    for s in &r.slices {
        out.push(&r.text[from..s.at]);
        out.push(s.bytes());
        from = s.at;
    }
    out.push(&r.text[from..]);
    out.retain(|p| !p.is_empty());
    out
}

/// Writes a response: its text with the message slices in place.
pub async fn write_response<W: AsyncWrite + Unpin>(w: &mut W, r: &Response) -> io::Result<()> {
    if r.slices.is_empty() {
        return w.write_all(&r.text).await;
    }
    let pieces = pieces(r);
    for chunk in pieces.chunks(SLICES_PER_WRITE) {
        let mut bufs: Vec<IoSlice<'_>> = chunk.iter().map(|p| IoSlice::new(p)).collect();
        let mut bufs = &mut bufs[..];
        while !bufs.is_empty() {
            let n = w.write_vectored(bufs).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut bufs, n);
        }
    }
    Ok(())
}

impl Conn {
    /// A connection without compression.
    pub fn new(stream: Stream) -> Conn {
        Conn {
            stream,
            deflate: None,
            raw: Vec::new(),
        }
    }

    /// Starts COMPRESS=DEFLATE; `leftover` is what the client sent after
    /// the command (already compressed).
    pub fn start_compress(&mut self, leftover: Vec<u8>) {
        self.deflate = Some(Deflate::new());
        self.raw = leftover;
    }

    /// Inflates pending input onto `buf`; whether anything came of it.
    /// A stream that is not deflate, or inflates too far, is an error.
    pub fn inflate(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let Some(d) = &mut self.deflate else {
            return Ok(false);
        };
        let before = buf.len();
        let n = d.inflate(&self.raw, buf, INFLATE_CHUNK).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                match e {
                    InflateError::Corrupt => "the compressed stream is corrupt",
                    InflateError::Ratio => "the compressed stream inflates too far",
                },
            )
        })?;
        self.raw.drain(..n);
        Ok(n > 0 || buf.len() > before)
    }

    /// Reads what the client sent (onto `buf`, or the compressed input).
    pub async fn read(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        if self.deflate.is_some() {
            self.raw.reserve(4096);
            self.stream.read_buf(&mut self.raw).await
        } else {
            self.stream.read_buf(buf).await
        }
    }

    /// Sends a response and flushes it.
    pub async fn send(&mut self, r: &Response) -> io::Result<()> {
        match &mut self.deflate {
            None => write_response(&mut self.stream, r).await?,
            Some(d) => {
                let mut out = Vec::new();
                for p in pieces(r) {
                    d.compress(p, &mut out);
                }
                d.flush(&mut out);
                self.stream.write_all(&out).await?;
            }
        }
        self.stream.flush().await
    }

    /// Sends text (compressed when compression is on) and flushes.
    pub async fn send_text(&mut self, text: &[u8]) -> io::Result<()> {
        let r = Response {
            text: text.to_vec(),
            slices: Vec::new(),
            after: super::session::After::Continue,
            event: None,
        };
        self.send(&r).await
    }
}
