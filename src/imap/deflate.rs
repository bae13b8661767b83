//! COMPRESS=DEFLATE (RFC 4978): raw deflate both ways after the command,
//! each response flushed (sync flush) so the client sees it at once. What
//! the client sends is inflated in bounded pieces, and a stream that
//! inflates far beyond any mail ([`MAX_RATIO`]) ends the session: a small
//! input may not make the server hold or parse a huge one.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// The most a client's stream may inflate, overall: this many times its
/// compressed size plus [`SLACK`].
pub const MAX_RATIO: u64 = 200;

/// Inflated bytes allowed beyond the ratio (small inputs legitimately
/// inflate more).
pub const SLACK: u64 = 4 * 1024 * 1024;

/// Why the inflated stream is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// Not a deflate stream.
    Corrupt,
    /// It inflates beyond [`MAX_RATIO`].
    Ratio,
}

/// Both directions of one connection's compression.
pub struct Deflate {
    inflate: Decompress,
    deflate: Compress,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("in", &self.inflate.total_in())
            .field("out", &self.inflate.total_out())
            .finish()
    }
}

impl Default for Deflate {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflate {
    /// Raw deflate (no zlib header), as RFC 4978 says.
    pub fn new() -> Deflate {
        Deflate {
            inflate: Decompress::new(false),
            deflate: Compress::new(Compression::fast(), false),
            scratch: Vec::new(),
        }
    }

    /// Inflates from `input` onto `out`, at most `max` new bytes; returns
    /// how much of `input` was used (0 with no new bytes: more input is
    /// needed).
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<usize, InflateError> {
        let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
        self.scratch.resize(max, 0);
        self.inflate
            .decompress(input, &mut self.scratch, FlushDecompress::None)
            .map_err(|_| InflateError::Corrupt)?;
        let produced = (self.inflate.total_out() - out0) as usize;
        out.extend_from_slice(&self.scratch[..produced]);
        if self.inflate.total_out() > self.inflate.total_in().saturating_mul(MAX_RATIO) + SLACK {
            return Err(InflateError::Ratio);
        }
        Ok((self.inflate.total_in() - in0) as usize)
    }

    /// Compresses `data` onto `out` (no flush).
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.run(data, out, FlushCompress::None);
    }

    /// Ends a response: a sync flush, so everything is decodable now.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        self.run(&[], out, FlushCompress::Sync);
    }

    fn run(&mut self, mut data: &[u8], out: &mut Vec<u8>, flush: FlushCompress) {
        loop {
            out.reserve(data.len() / 2 + 64);
            let before_in = self.deflate.total_in();
            let before_out = out.len();
            if self.deflate.compress_vec(data, out, flush).is_err() {
                return;
            }
            let used = (self.deflate.total_in() - before_in) as usize;
            data = &data[used..];
            // Done when all input is in and the output had room to spare.
            if data.is_empty() && out.len() < out.capacity() {
                return;
            }
            if used == 0 && out.len() == before_out && out.len() < out.capacity() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_pieces() {
        let mut a = Deflate::new();
        let mut b = Deflate::new();
        let text = b"a1 FETCH 1:* (FLAGS)\r\n".repeat(1000);
        let mut wire = Vec::new();
        a.compress(&text, &mut wire);
        a.flush(&mut wire);
        let mut got = Vec::new();
        let mut at = 0;
        loop {
            let before = got.len();
            let n = b.inflate(&wire[at..], &mut got, 100).unwrap();
            at += n;
            if n == 0 && got.len() == before {
                break;
            }
        }
        assert!(got == text, "{} of {} bytes", got.len(), text.len());
    }

    #[test]
    fn a_bomb_is_refused() {
        let mut a = Deflate::new();
        let mut wire = Vec::new();
        a.compress(&vec![b'a'; 64 * 1024 * 1024], &mut wire);
        a.flush(&mut wire);
        let mut b = Deflate::new();
        let mut sink = Vec::new();
        let mut at = 0;
        let err = loop {
            match b.inflate(&wire[at..], &mut sink, 1 << 16) {
                Ok(n) => at += n,
                Err(e) => break e,
            }
            sink.clear();
            assert!(at < wire.len(), "the whole bomb was taken");
        };
        assert_eq!(err, InflateError::Ratio);
    }
}
