//! Decoded sizes for BINARY.SIZE (RFC 3516): the length a part's body has
//! once its Content-Transfer-Encoding is undone.

/// The size of `body` decoded per `cte` (case-insensitive); `None` when
/// the encoding is unknown or the data cannot be decoded.
pub fn decoded_size(cte: Option<&[u8]>, body: &[u8]) -> Option<u64> {
    let cte = cte.map(|c| c.to_ascii_lowercase());
    match cte.as_deref() {
        None | Some(b"7bit" | b"8bit" | b"binary") => Some(body.len() as u64),
        Some(b"base64") => base64_size(body),
        Some(b"quoted-printable") => qp_size(body),
        Some(_) => None,
    }
}

/// Byte classes for base64: 1 = alphabet, 2 = white space, 3 = `=`.
const B64_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            1
        } else if b == b' ' || b == b'\t' || b == b'\r' || b == b'\n' {
            2
        } else if b == b'=' {
            3
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Base64: white space is skipped, `=` padding ends the data, any other
/// byte is an error.
fn base64_size(body: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    let mut padded = false;
    for &b in body {
        match B64_CLASS[usize::from(b)] {
            1 if !padded => n += 1,
            2 => {}
            3 => padded = true,
            _ => return None,
        }
    }
    let size = n / 4 * 3
        + match n % 4 {
            0 => 0,
            2 => 1,
            3 => 2,
            _ => return None,
        };
    Some(size)
}

fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Quoted-printable: `=XX` is one byte, `=` at the end of a line joins it
/// to the next, white space at the end of a line is dropped; any other `=`
/// is invalid data (Dovecot refuses BINARY for it too).
fn qp_size(body: &[u8]) -> Option<u64> {
    let mut size: u64 = 0;
    let mut pos = 0;
    while pos < body.len() {
        let (line, newline) = match memchr::memchr(b'\n', &body[pos..]) {
            Some(i) => {
                let end = pos + i;
                let cend = if end > pos && body[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                let nl = end + 1 - cend;
                let r = (&body[pos..cend], nl);
                pos = end + 1;
                r
            }
            None => {
                let r = (&body[pos..], 0);
                pos = body.len();
                r
            }
        };
        let mut l = line;
        while let Some((&last, rest)) = l.split_last() {
            if last == b' ' || last == b'\t' {
                l = rest;
            } else {
                break;
            }
        }
        let soft = l.last() == Some(&b'=');
        if soft {
            l = &l[..l.len() - 1];
        }
        let mut i = 0;
        while i < l.len() {
            if l[i] == b'=' {
                if i + 2 < l.len() && hex(l[i + 1]) && hex(l[i + 2]) {
                    size += 1;
                    i += 3;
                    continue;
                }
                return None;
            }
            size += 1;
            i += 1;
        }
        if !soft && newline > 0 {
            size += newline as u64;
        }
    }
    Some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(decoded_size(Some(b"BASE64"), b"aGVsbG8=\r\n"), Some(5));
        assert_eq!(decoded_size(Some(b"base64"), b"aGVs bG8h\r\n"), Some(6));
        assert_eq!(decoded_size(Some(b"base64"), b"a*b"), None);
        assert_eq!(
            decoded_size(Some(b"quoted-printable"), b"a=3Db=\r\nc  \r\n"),
            Some(6)
        );
        assert_eq!(decoded_size(Some(b"quoted-printable"), b"a=ZZ\r\n"), None);
        assert_eq!(decoded_size(Some(b"x-uuencode"), b""), None);
        assert_eq!(decoded_size(None, b"abc"), Some(3));
    }
}
