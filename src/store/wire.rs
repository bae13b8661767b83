//! The stored ("wire") form of a message body until the MIME module
//! (`src/mime/`) takes this job: CRLF line ends, not dot-stuffed, plus the
//! offsets of the lines a POP3 server must dot-stuff when it sends them.
//!
//! Replace [`canonical`] by the MIME module's function at merge; nothing
//! else in the store depends on how the form is computed.

/// A body in stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireBody {
    /// The body with every line ended by CRLF.
    pub bytes: Vec<u8>,
    /// Byte offsets (into `bytes`) of the lines that start with `.`.
    pub dot_lines: Vec<u64>,
    /// The number of lines.
    pub lines: u64,
}

/// Converts a message as received (lines ended by LF or CRLF, the last
/// line possibly unterminated) to the stored form. A lone CR is kept as
/// it is; an unterminated last line gets a CRLF.
pub fn canonical(message: &[u8]) -> WireBody {
    let mut bytes = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    let mut dot_lines = Vec::new();
    let mut lines = 0u64;
    let mut at_line_start = true;
    let mut i = 0;
    while i < message.len() {
        let b = message[i];
        if at_line_start {
            if b == b'.' {
                dot_lines.push(bytes.len() as u64);
            }
            at_line_start = false;
        }
        if b == b'\n' {
            if bytes.last() != Some(&b'\r') || i == 0 || message[i - 1] != b'\r' {
                bytes.push(b'\r');
            }
            bytes.push(b'\n');
            lines += 1;
            at_line_start = true;
        } else {
            bytes.push(b);
        }
        i += 1;
    }
    if !at_line_start {
        bytes.extend_from_slice(b"\r\n");
        lines += 1;
    }
    WireBody {
        bytes,
        dot_lines,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_becomes_crlf_and_dots_are_found() {
        let w = canonical(b"Subject: x\n\n.hidden\nok\r\n..two\nlast");
        assert_eq!(
            w.bytes,
            b"Subject: x\r\n\r\n.hidden\r\nok\r\n..two\r\nlast\r\n"
        );
        assert_eq!(w.lines, 6);
        let starts: Vec<&[u8]> = w
            .dot_lines
            .iter()
            .map(|o| &w.bytes[*o as usize..*o as usize + 2])
            .collect();
        assert_eq!(starts, [b".h", b".."]);
    }

    #[test]
    fn crlf_input_is_unchanged() {
        let m = b"A: b\r\n\r\nbody\r\n";
        assert_eq!(canonical(m).bytes, m);
        assert_eq!(canonical(b"").bytes, b"");
    }

    proptest::proptest! {
        #[test]
        fn output_has_only_crlf_line_ends(m in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let w = canonical(&m);
            for (i, b) in w.bytes.iter().enumerate() {
                if *b == b'\n' {
                    proptest::prop_assert!(i > 0 && w.bytes[i - 1] == b'\r');
                }
            }
            proptest::prop_assert!(w.bytes.is_empty() || w.bytes.ends_with(b"\r\n"));
            for o in &w.dot_lines {
                let o = *o as usize;
                proptest::prop_assert_eq!(w.bytes[o], b'.');
                proptest::prop_assert!(o == 0 || w.bytes[o - 1] == b'\n');
            }
        }
    }
}
