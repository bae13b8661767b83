//! The record attributes area of a Files-11 file header (32 bytes), which
//! the emulation keeps in the extended attribute [`XATTR`] of each file.
//!
//! | offset | size | field | written by the emulation |
//! |---|---|---|---|
//! | 0 | 1 | record type: organisation (high 4 bits, sequential = 0) and record format (low 4 bits: UDF 0, FIX 1, VAR 2) | format |
//! | 1 | 1 | record attributes (FTN 1, CR 2, PRN 4, BLK 8) | 0: no carriage control |
//! | 2 | 2 | record size | FIX: 512; VAR: longest record written; UDF: 0 |
//! | 4 | 4 | highest allocated block (high word first) | ceil(len / 512) |
//! | 8 | 4 | end-of-file block, 1-based (high word first) | len / 512 + 1 |
//! | 12 | 2 | first free byte in the EOF block | len % 512 |
//! | 14 | 1 | bucket size | 0 |
//! | 15 | 1 | VFC control size | 0 |
//! | 16 | 2 | maximum record size | FIX: 512; else 0 (no limit) |
//! | 18 | 2 | default extend | 0 |
//! | 20 | 2 | global buffer count | 0 |
//! | 22 | 8 | reserved | 0 |
//! | 30 | 2 | default version limit | 0 (none) |
//!
//! Words are little-endian; the two block-number longwords are stored with
//! the high 16-bit word first, as ODS-2 does. The logical length of the
//! file is `(EOF block - 1) * 512 + first free byte`.

use popstore_formats::record::BLOCK;
use popstore_platform::RecordFormat;

/// The extended attribute that holds a file's record attributes area.
pub const XATTR: &str = "user.ods2.recattr";
/// Size of the record attributes area.
pub const FAT_LEN: usize = 32;

const RFM_UDF: u8 = 0;
const RFM_FIX: u8 = 1;
const RFM_VAR: u8 = 2;

/// The parts of the record attributes the emulation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordAttributes {
    /// Record format.
    pub format: RecordFormat,
    /// Record attribute bits (carriage control); 0 for popstore files.
    pub attributes: u8,
    /// Record size (FIX) or longest record (VAR).
    pub record_size: u16,
    /// Logical length of the file in bytes.
    pub len: u64,
}

/// Why 32 bytes are not a record attributes area the emulation wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFat(pub String);

fn put_swapped(out: &mut [u8], v: u32) {
    let hi = (v >> 16) as u16;
    let lo = v as u16;
    out[0..2].copy_from_slice(&hi.to_le_bytes());
    out[2..4].copy_from_slice(&lo.to_le_bytes());
}

fn get_swapped(b: &[u8]) -> u32 {
    let hi = u16::from_le_bytes([b[0], b[1]]);
    let lo = u16::from_le_bytes([b[2], b[3]]);
    (u32::from(hi) << 16) | u32::from(lo)
}

impl RecordAttributes {
    /// Attributes of a new file of `format` holding `len` bytes whose
    /// longest VAR record is `longest`.
    pub fn new(format: RecordFormat, len: u64, longest: u16) -> Self {
        let record_size = match format {
            RecordFormat::Fix512 => BLOCK as u16,
            RecordFormat::Var => longest,
            RecordFormat::Udf => 0,
        };
        Self {
            format,
            attributes: 0,
            record_size,
            len,
        }
    }

    /// The 32 bytes, as in an ODS-2 file header. Lengths beyond what
    /// 32-bit block numbers hold are refused.
    pub fn encode(&self) -> Result<[u8; FAT_LEN], BadFat> {
        let block = BLOCK as u64;
        let efblk = u32::try_from(self.len / block + 1)
            .map_err(|_| BadFat(format!("file of {} bytes is too long for ODS-2", self.len)))?;
        let hiblk = u32::try_from(self.len.div_ceil(block))
            .map_err(|_| BadFat(format!("file of {} bytes is too long for ODS-2", self.len)))?;
        let mut b = [0u8; FAT_LEN];
        b[0] = match self.format {
            RecordFormat::Udf => RFM_UDF,
            RecordFormat::Fix512 => RFM_FIX,
            RecordFormat::Var => RFM_VAR,
        };
        b[1] = self.attributes;
        b[2..4].copy_from_slice(&self.record_size.to_le_bytes());
        put_swapped(&mut b[4..8], hiblk);
        put_swapped(&mut b[8..12], efblk);
        b[12..14].copy_from_slice(&((self.len % block) as u16).to_le_bytes());
        if self.format == RecordFormat::Fix512 {
            b[16..18].copy_from_slice(&(BLOCK as u16).to_le_bytes());
        }
        Ok(b)
    }

    /// Reads the 32 bytes back.
    pub fn decode(b: &[u8]) -> Result<Self, BadFat> {
        if b.len() != FAT_LEN {
            return Err(BadFat(format!(
                "record attributes of {} bytes, not {FAT_LEN}",
                b.len()
            )));
        }
        let org = b[0] >> 4;
        if org != 0 {
            return Err(BadFat(format!("file organisation {org} is not sequential")));
        }
        let format = match b[0] & 0x0F {
            RFM_UDF => RecordFormat::Udf,
            RFM_FIX => RecordFormat::Fix512,
            RFM_VAR => RecordFormat::Var,
            other => {
                return Err(BadFat(format!(
                    "record format {other} is not UDF, FIX or VAR"
                )));
            }
        };
        let record_size = u16::from_le_bytes([b[2], b[3]]);
        if format == RecordFormat::Fix512 && usize::from(record_size) != BLOCK {
            return Err(BadFat(format!("FIX record size {record_size}, not 512")));
        }
        let efblk = get_swapped(&b[8..12]);
        let ffbyte = u16::from_le_bytes([b[12], b[13]]);
        if efblk == 0 || usize::from(ffbyte) >= BLOCK {
            return Err(BadFat(format!(
                "end of file at block {efblk} byte {ffbyte} is impossible"
            )));
        }
        Ok(Self {
            format,
            attributes: b[1],
            record_size,
            len: (u64::from(efblk) - 1) * BLOCK as u64 + u64::from(ffbyte),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_like_an_ods2_header() {
        let a = RecordAttributes::new(RecordFormat::Fix512, 70_000 * 512, 0);
        let b = a.encode().unwrap();
        assert_eq!(b[0], 1);
        assert_eq!(&b[2..4], &[0x00, 0x02]);
        // highest block 70000 = 0x0001_1170, high word first.
        assert_eq!(&b[4..8], &[0x01, 0x00, 0x70, 0x11]);
        // EOF block 70001 = 0x0001_1171, first free byte 0.
        assert_eq!(&b[8..12], &[0x01, 0x00, 0x71, 0x11]);
        assert_eq!(&b[12..14], &[0, 0]);
        assert_eq!(RecordAttributes::decode(&b).unwrap(), a);
    }

    #[test]
    fn round_trips_var_lengths() {
        for len in [0u64, 1, 511, 512, 513, 1_000_003] {
            let a = RecordAttributes::new(RecordFormat::Var, len, 77);
            let b = a.encode().unwrap();
            assert_eq!(b[0], 2);
            assert_eq!(RecordAttributes::decode(&b).unwrap(), a, "len {len}");
        }
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        assert!(RecordAttributes::decode(&[0; 31]).is_err());
        let mut b = RecordAttributes::new(RecordFormat::Var, 3, 3)
            .encode()
            .unwrap();
        b[0] = 0x12;
        assert!(RecordAttributes::decode(&b).is_err());
        b[0] = 0x05;
        assert!(RecordAttributes::decode(&b).is_err());
        b[0] = 0x02;
        b[12] = 0x00;
        b[13] = 0x02;
        assert!(RecordAttributes::decode(&b).is_err());
    }
}
