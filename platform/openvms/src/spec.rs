//! Files-11 file specifications (`DEV:[DIR.SUB]NAME.TYPE;VERSION`) and the
//! host names of the emulation (`NAME.TYPE;VERSION`, `NAME.DIR;1`).

use std::fmt;

use popstore_formats::path::Ods2Name;

/// Highest file version ODS-2 allows.
pub const MAX_VERSION: u16 = 32767;

/// A file specification: `DEV:[DIR.SUB]NAME.TYPE;VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Device (or logical name), without the colon.
    pub device: String,
    /// Directories from the top (`[000000]` when empty).
    pub dirs: Vec<Ods2Name>,
    /// File name.
    pub name: Ods2Name,
    /// File type.
    pub ftype: Ods2Name,
    /// `None`: no version given. `Some(n)` with n > 0: that version;
    /// 0: the highest; -1, -2...: the one before the highest, and so on.
    pub version: Option<i32>,
}

/// Why a string is not a file specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

fn name(s: &str, what: &str) -> Result<Ods2Name, SpecError> {
    Ods2Name::new(s).map_err(|e| SpecError(format!("{what} {s:?}: {e}")))
}

impl FileSpec {
    /// Parses `DEV:[DIR.SUB]NAME.TYPE;VER` (or `<...>` brackets, `.VER`),
    /// folding case. The device is required; the version is optional.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        let (device, rest) = s
            .split_once(':')
            .ok_or_else(|| SpecError(format!("{s:?}: no device (DEV:)")))?;
        let device_ok = !device.is_empty()
            && device
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '$' || c == '_');
        if !device_ok {
            return Err(SpecError(format!("{s:?}: bad device name {device:?}")));
        }
        let (open, close) = match rest.chars().next() {
            Some('[') => ('[', ']'),
            Some('<') => ('<', '>'),
            _ => return Err(SpecError(format!("{s:?}: no directory ([...])"))),
        };
        let end = rest
            .find(close)
            .ok_or_else(|| SpecError(format!("{s:?}: directory not closed with {close}")))?;
        let inner = &rest[open.len_utf8()..end];
        let dirs = if inner == "000000" {
            Vec::new()
        } else {
            inner
                .split('.')
                .map(|d| name(d, "directory"))
                .collect::<Result<_, _>>()?
        };
        let file = &rest[end + 1..];
        let (file, version) = match file.split_once(';') {
            Some((f, v)) => (f, Some(v)),
            None => match file.match_indices('.').nth(1) {
                Some((i, _)) => (&file[..i], Some(&file[i + 1..])),
                None => (file, None),
            },
        };
        let (n, t) = file
            .split_once('.')
            .ok_or_else(|| SpecError(format!("{s:?}: no file type (NAME.TYPE)")))?;
        let version = match version {
            None | Some("") => None,
            Some(v) => {
                let n: i32 = v
                    .parse()
                    .map_err(|_| SpecError(format!("{s:?}: bad version {v:?}")))?;
                if n > i32::from(MAX_VERSION) || n < -i32::from(MAX_VERSION) {
                    return Err(SpecError(format!("{s:?}: version {n} out of range")));
                }
                Some(n)
            }
        };
        Ok(Self {
            device: device.to_ascii_uppercase(),
            dirs,
            name: name(n, "file name")?,
            ftype: name(t, "file type")?,
            version,
        })
    }
}

impl fmt::Display for FileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[", self.device)?;
        if self.dirs.is_empty() {
            f.write_str("000000")?;
        }
        for (i, d) in self.dirs.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(d.as_str())?;
        }
        write!(f, "]{}.{}", self.name, self.ftype)?;
        if let Some(v) = self.version {
            write!(f, ";{v}")?;
        }
        Ok(())
    }
}

/// The host name of one version of a file: `NAME.TYPE;VERSION`.
pub fn host_file(name: &Ods2Name, ftype: &Ods2Name, version: u16) -> String {
    format!("{name}.{ftype};{version}")
}

/// Parses a host name as `NAME.TYPE;VERSION`, case-insensitively.
pub fn parse_host_file(s: &str) -> Option<(Ods2Name, Ods2Name, u16)> {
    let (file, v) = s.split_once(';')?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 5 {
        return None;
    }
    let v: u16 = v.parse().ok()?;
    if v == 0 || v > MAX_VERSION {
        return None;
    }
    let (n, t) = file.split_once('.')?;
    Some((Ods2Name::new(n).ok()?, Ods2Name::new(t).ok()?, v))
}

/// The host name of a directory: `NAME.DIR;1`.
pub fn host_dir(name: &Ods2Name) -> String {
    format!("{name}.DIR;1")
}

/// Parses a host name as a directory file `NAME.DIR;1`, case-insensitively.
pub fn parse_host_dir(s: &str) -> Option<Ods2Name> {
    match parse_host_file(s)? {
        (n, t, 1) if t.as_str() == "DIR" => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_file_specs() {
        let s = FileSpec::parse("root0:[users.3f]john.prf;3").unwrap();
        assert_eq!(s.device, "ROOT0");
        assert_eq!(s.dirs.len(), 2);
        assert_eq!(s.version, Some(3));
        assert_eq!(s.to_string(), "ROOT0:[USERS.3F]JOHN.PRF;3");
        let top = FileSpec::parse("DKA0:[000000]STORE.DSC").unwrap();
        assert!(top.dirs.is_empty());
        assert_eq!(top.version, None);
        assert_eq!(top.to_string(), "DKA0:[000000]STORE.DSC");
        assert_eq!(FileSpec::parse("D:<A>B.C.-1").unwrap().version, Some(-1));
        for bad in [
            "[A]B.C",
            "D:A]B.C",
            "D:[A.B",
            "D:[A]B",
            "D:[A]B.C;x",
            "D:[A]B.C;40000",
            "D:[A/B]C.D",
            "D:[A]B.C.D.E",
            &format!("D:[A]{}.C", "X".repeat(40)),
        ] {
            assert!(FileSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_names_fold_case_and_check_versions() {
        let (n, t, v) = parse_host_file("john.prf;12").unwrap();
        assert_eq!((n.as_str(), t.as_str(), v), ("JOHN", "PRF", 12));
        assert_eq!(host_file(&n, &t, v), "JOHN.PRF;12");
        for bad in [
            "JOHN.PRF",
            "JOHN.PRF;0",
            "JOHN.PRF;32768",
            "JOHN.PRF;+1",
            ".JOHN.PRF;1.x.tmp",
            "JOHN;1",
        ] {
            assert!(parse_host_file(bad).is_none(), "{bad}");
        }
        assert_eq!(parse_host_dir("users.dir;1").unwrap().as_str(), "USERS");
        assert!(parse_host_dir("USERS.DIR;2").is_none());
        assert!(parse_host_dir("USERS.PRF;1").is_none());
    }
}
