//! Sizes as admins type them (`--quota 10m`) and as the CLI shows them
//! (`--units k|m`).

use std::fmt;
use std::str::FromStr;

/// The largest quota PMDF allows: 4 GB - 1 bytes.
pub const MAX_QUOTA: u64 = u32::MAX as u64;

/// A size limit as given on the command line: a number of bytes, or none
/// (unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SizeLimit {
    /// No limit.
    None,
    /// A limit in bytes (at most [`MAX_QUOTA`]).
    Bytes(u32),
}

impl SizeLimit {
    /// The limit in bytes, `None` for unlimited.
    pub fn bytes(self) -> Option<u32> {
        match self {
            SizeLimit::None => None,
            SizeLimit::Bytes(b) => Some(b),
        }
    }
}

/// Why a size string is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not a number with an optional `k`, `m` or `g` suffix, nor `none`.
    #[error("bad size {0:?}: expected bytes, a number with k, m or g, or none")]
    Syntax(String),
    /// Larger than 4 GB - 1.
    #[error("size {0:?} exceeds the largest quota (4294967295 bytes)")]
    TooLarge(String),
}

impl FromStr for SizeLimit {
    type Err = SizeError;

    /// Parses `1234`, `10k`, `5M`, `2g` (binary multiples: k = 1024) or
    /// `none`. Case-insensitive; surrounding blanks are ignored.
    fn from_str(s: &str) -> Result<Self, SizeError> {
        let t = s.trim().to_ascii_lowercase();
        if t == "none" || t == "unlimited" {
            return Ok(SizeLimit::None);
        }
        let (digits, mult) = match t.as_bytes().last() {
            Some(b'k') => (&t[..t.len() - 1], 1u64 << 10),
            Some(b'm') => (&t[..t.len() - 1], 1u64 << 20),
            Some(b'g') => (&t[..t.len() - 1], 1u64 << 30),
            _ => (t.as_str(), 1u64),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SizeError::Syntax(s.to_string()));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| SizeError::TooLarge(s.to_string()))?;
        let bytes = n
            .checked_mul(mult)
            .filter(|b| *b <= MAX_QUOTA)
            .ok_or_else(|| SizeError::TooLarge(s.to_string()))?;
        Ok(SizeLimit::Bytes(bytes as u32))
    }
}

/// The unit sizes are shown in (PMDF's SET STORAGE_UNITS; kbytes by
/// default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Units {
    /// Bytes.
    B,
    /// Kilobytes (1024 bytes), the default.
    #[default]
    K,
    /// Megabytes (1024 * 1024 bytes).
    M,
}

impl Units {
    /// Formats `bytes` in this unit: `12 bytes`, `3.5 KB`, `1.0 MB`.
    pub fn show(self, bytes: u64) -> String {
        match self {
            Units::B => format!("{bytes} bytes"),
            Units::K => format!("{:.1} KB", bytes as f64 / 1024.0),
            Units::M => format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)),
        }
    }

    /// Formats a limit: the size, or `none`.
    pub fn show_limit(self, limit: Option<u32>) -> String {
        match limit {
            None => "none".to_string(),
            Some(b) => self.show(u64::from(b)),
        }
    }
}

impl fmt::Display for SizeLimit {
    /// `none` or the number of bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeLimit::None => f.write_str("none"),
            SizeLimit::Bytes(b) => write!(f, "{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_with_suffixes() {
        assert_eq!("1234".parse(), Ok(SizeLimit::Bytes(1234)));
        assert_eq!("10k".parse(), Ok(SizeLimit::Bytes(10 * 1024)));
        assert_eq!("5M".parse(), Ok(SizeLimit::Bytes(5 * 1024 * 1024)));
        assert_eq!("3g".parse(), Ok(SizeLimit::Bytes(3 << 30)));
        assert_eq!(" none ".parse(), Ok(SizeLimit::None));
        assert_eq!("4294967295".parse(), Ok(SizeLimit::Bytes(u32::MAX)));
    }

    #[test]
    fn refuses_bad_and_huge_sizes() {
        for bad in ["", "k", "-1", "1.5m", "10kb", "ten", "1 0"] {
            assert!(
                matches!(bad.parse::<SizeLimit>(), Err(SizeError::Syntax(_))),
                "{bad}"
            );
        }
        for big in ["4g", "4294967296", "99999999999999999999999"] {
            assert!(
                matches!(big.parse::<SizeLimit>(), Err(SizeError::TooLarge(_))),
                "{big}"
            );
        }
    }

    #[test]
    fn shows_sizes_in_units() {
        assert_eq!(Units::K.show(1536), "1.5 KB");
        assert_eq!(Units::M.show(3 << 20), "3.0 MB");
        assert_eq!(Units::B.show(7), "7 bytes");
        assert_eq!(Units::K.show_limit(None), "none");
    }
}
