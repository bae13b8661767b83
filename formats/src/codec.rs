//! The codec vocabulary shared by every file kind: an explicit
//! little-endian record writer ([`Enc`]) and the nom field parsers that
//! read what it writes (SPEC.md, "Field encodings").

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_i64, le_u16, le_u32, le_u64};

use crate::error::{Error, ErrorKind, WriteError};
use crate::record::MAX_VAR_RECORD;

/// A nom result over bytes with nom's default error.
pub type PResult<'a, T> = nom::IResult<&'a [u8], T>;

/// The on-disk value of an absent timestamp ("never").
pub const NEVER: i64 = i64::MIN;
/// The on-disk value of an absent limit ("none", unlimited).
pub const UNLIMITED: u64 = u64::MAX;

/// Lower-case hex of `b`.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Parses lower- or upper-case hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Builds the data of one record: its 2-byte type code, then its fields,
/// each written explicitly little-endian.
#[derive(Debug, Clone)]
pub struct Enc {
    buf: Vec<u8>,
}

impl Enc {
    /// Starts a record of type `rtype`.
    pub fn record(rtype: u16) -> Self {
        Self {
            buf: rtype.to_le_bytes().to_vec(),
        }
    }

    /// Starts a buffer with no type code (for fixed areas).
    pub fn raw() -> Self {
        Self { buf: Vec::new() }
    }

    /// Appends a byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    /// Appends a u16, little-endian.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a u32, little-endian.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a u64, little-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends an i64, little-endian.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a timestamp; `None` ("never") is written as `i64::MIN`.
    pub fn time(&mut self, v: Option<i64>) -> &mut Self {
        self.i64(v.unwrap_or(NEVER))
    }
    /// Appends a limit; `None` ("unlimited") is written as `u64::MAX`.
    pub fn limit(&mut self, v: Option<u64>) -> &mut Self {
        self.u64(v.unwrap_or(UNLIMITED))
    }
    /// Appends bytes as they are.
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// Appends a `bytes16`: a u16 length, then the bytes.
    pub fn bytes16(&mut self, what: &'static str, v: &[u8]) -> Result<&mut Self, WriteError> {
        let len = u16::try_from(v.len()).map_err(|_| WriteError::TooLong {
            what,
            len: v.len(),
            max: usize::from(u16::MAX),
        })?;
        self.u16(len);
        self.buf.extend_from_slice(v);
        Ok(self)
    }
    /// Appends a `str16`: UTF-8 bytes as a `bytes16`.
    pub fn str16(&mut self, what: &'static str, v: &str) -> Result<&mut Self, WriteError> {
        self.bytes16(what, v.as_bytes())
    }
    /// Appends a u16 count, for a list that follows.
    pub fn count16(&mut self, what: &'static str, n: usize) -> Result<&mut Self, WriteError> {
        let n = u16::try_from(n).map_err(|_| WriteError::TooLong {
            what,
            len: n,
            max: usize::from(u16::MAX),
        })?;
        Ok(self.u16(n))
    }

    /// The record data; fails when it exceeds one VAR record.
    pub fn finish(self, what: &'static str) -> Result<Vec<u8>, WriteError> {
        if self.buf.len() > MAX_VAR_RECORD {
            return Err(WriteError::TooLong {
                what,
                len: self.buf.len(),
                max: MAX_VAR_RECORD,
            });
        }
        Ok(self.buf)
    }

    /// The bytes, unchecked (for fixed areas).
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// `u16`: 2 bytes, little-endian.
pub fn u16le(i: &[u8]) -> PResult<'_, u16> {
    le_u16(i)
}
/// `u32`: 4 bytes, little-endian.
pub fn u32le(i: &[u8]) -> PResult<'_, u32> {
    le_u32(i)
}
/// `u64`: 8 bytes, little-endian.
pub fn u64le(i: &[u8]) -> PResult<'_, u64> {
    le_u64(i)
}
/// `i64`: 8 bytes, little-endian, two's complement.
pub fn i64le(i: &[u8]) -> PResult<'_, i64> {
    le_i64(i)
}
/// `time`: an i64 of seconds since 1970-01-01T00:00:00Z; `i64::MIN` = never.
pub fn time(i: &[u8]) -> PResult<'_, Option<i64>> {
    le_i64.map(|v| (v != NEVER).then_some(v)).parse(i)
}
/// `limit`: a u64 of bytes; `u64::MAX` = none (unlimited).
pub fn limit(i: &[u8]) -> PResult<'_, Option<u64>> {
    le_u64.map(|v| (v != UNLIMITED).then_some(v)).parse(i)
}
/// `bytes16`: a u16 length, then that many bytes.
pub fn bytes16(i: &[u8]) -> PResult<'_, &[u8]> {
    let (i, n) = le_u16(i)?;
    take(n).parse(i)
}
/// `str16`: a `bytes16` holding UTF-8.
pub fn str16(i: &[u8]) -> PResult<'_, String> {
    bytes16
        .map_res(|b| std::str::from_utf8(b).map(str::to_owned))
        .parse(i)
}
/// `N` bytes as an array.
pub fn array<const N: usize>(i: &[u8]) -> PResult<'_, [u8; N]> {
    take(N).map_res(<[u8; N]>::try_from).parse(i)
}

/// A u16 count, then that many items parsed by `item`. Each item takes at
/// least `min_item` bytes, so a count larger than the input can justify is
/// refused before anything is allocated.
pub fn list16<'a, T>(
    i: &'a [u8],
    min_item: usize,
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut i, n) = le_u16(i)?;
    let n = usize::from(n);
    if n.saturating_mul(min_item.max(1)) > i.len() {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Count,
        )));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (rest, v) = item(i)?;
        out.push(v);
        i = rest;
    }
    Ok((i, out))
}

/// Runs `parser` over the data of one record (after its type code) and
/// requires it to consume every byte. `offset` is the file offset of
/// `data[0]`, so errors point at the failing field.
pub fn parse_record<'a, T>(
    rtype: u16,
    offset: usize,
    data: &'a [u8],
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<T, Error> {
    match parser(data) {
        Ok((&[], v)) => Ok(v),
        Ok((rest, _)) => Err(Error::new(
            offset + data.len() - rest.len(),
            ErrorKind::BadRecord {
                rtype,
                reason: format!("{} bytes left over after the last field", rest.len()),
            },
        )),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            let reason = match e.code {
                nom::error::ErrorKind::Eof => "record ends inside a field".to_owned(),
                nom::error::ErrorKind::Count => "list count exceeds the record".to_owned(),
                nom::error::ErrorKind::MapRes => "field is not valid UTF-8".to_owned(),
                other => format!("invalid field ({other:?})"),
            };
            Err(Error::new(
                offset + data.len() - e.input.len(),
                ErrorKind::BadRecord { rtype, reason },
            ))
        }
        Err(nom::Err::Incomplete(_)) => Err(Error::new(
            offset + data.len(),
            ErrorKind::BadRecord {
                rtype,
                reason: "record ends inside a field".to_owned(),
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_little_endian_and_reads_back() {
        let mut e = Enc::record(0x0102);
        e.u32(0x0403_0201).time(None).limit(Some(7));
        e.str16("s", "hé").unwrap();
        let b = e.finish("t").unwrap();
        assert_eq!(&b[..6], &[2, 1, 1, 2, 3, 4]);
        let p = |i| -> PResult<'_, _> {
            let (i, a) = u32le(i)?;
            let (i, t) = time(i)?;
            let (i, l) = limit(i)?;
            let (i, s) = str16(i)?;
            Ok((i, (a, t, l, s)))
        };
        let v = parse_record(0x0102, 0, &b[2..], p).unwrap();
        assert_eq!(v, (0x0403_0201, None, Some(7), "hé".to_owned()));
    }

    #[test]
    fn errors_point_at_the_field() {
        let e = parse_record(1, 100, &[1, 0], |i| u32le(i)).unwrap_err();
        assert_eq!(e.offset, 100);
        let e = parse_record(1, 100, &[5, 0, b'a'], str16).unwrap_err();
        assert_eq!(e.offset, 102);
        let e = parse_record(1, 100, &[1, 0, 0, 0, 9], |i| u32le(i)).unwrap_err();
        assert_eq!(e.offset, 104);
        let e = parse_record(1, 0, &[0xff, 0xff], |i| list16(i, 2, u16le)).unwrap_err();
        assert_eq!(e.kind.code(), "bad-record");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 0xab]), "00ab");
        assert_eq!(unhex("00AB"), Some(vec![0, 0xab]));
        assert_eq!(unhex("0"), None);
    }
}
