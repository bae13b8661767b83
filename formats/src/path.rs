//! Logical store paths: what the store names, before a host maps it.
//!
//! A logical path is a store root (by index), a list of directory names, a
//! file name and a file type, each an [`Ods2Name`]: valid on ODS-2 and on
//! Linux alike. Platform backends map a [`StorePath`] to the host's own
//! spelling (see SPEC.md, "Path and name mapping").

use std::fmt;

/// Longest name or type ODS-2 allows.
pub const ODS2_MAX: usize = 39;

/// One component of a logical path: 1 to 39 characters from `A-Z 0-9 $ _ -`.
///
/// Stored upper case; [`Ods2Name::new`] folds lower-case ASCII letters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ods2Name(String);

/// Why a string is not an [`Ods2Name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// The name is longer than 39 characters.
    #[error("name longer than {ODS2_MAX} characters ({0})")]
    TooLong(usize),
    /// The name holds a character outside `A-Z 0-9 $ _ -`.
    #[error("character {0:?} is not allowed in an ODS-2 name")]
    BadChar(char),
}

impl Ods2Name {
    /// Validates `s` (folding ASCII lower case to upper case).
    pub fn new(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(c) = s.chars().find(|c| !is_ods2_char(c.to_ascii_uppercase())) {
            return Err(NameError::BadChar(c));
        }
        if s.len() > ODS2_MAX {
            return Err(NameError::TooLong(s.len()));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// The name, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True for the characters ODS-2 allows in a name or type.
pub fn is_ods2_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '$' | '_' | '-')
}

impl fmt::Debug for Ods2Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Ods2Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Ods2Name {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Self::new(&s)
    }
}

impl From<Ods2Name> for String {
    fn from(n: Ods2Name) -> String {
        n.0
    }
}

/// A file in the store, named independently of the host.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct StorePath {
    /// Index of the store root (disk) in the store descriptor's root list.
    pub root: u8,
    /// Directories from the root down.
    pub dirs: Vec<Ods2Name>,
    /// File name.
    pub name: Ods2Name,
    /// File type (the part after the dot), for example `PRF`.
    pub ftype: Ods2Name,
}

impl fmt::Display for StorePath {
    /// `ROOTn:[DIR.SUB]NAME.TYPE`, the OpenVMS-like spelling used in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ROOT{}:[", self.root)?;
        if self.dirs.is_empty() {
            f.write_str("000000")?;
        }
        for (i, d) in self.dirs.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(d.as_str())?;
        }
        write!(f, "]{}.{}", self.name, self.ftype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_checks_characters() {
        assert_eq!(Ods2Name::new("a0$_-").unwrap().as_str(), "A0$_-");
        assert_eq!(Ods2Name::new(""), Err(NameError::Empty));
        assert_eq!(Ods2Name::new("a.b"), Err(NameError::BadChar('.')));
        assert_eq!(Ods2Name::new(&"X".repeat(40)), Err(NameError::TooLong(40)));
        assert!(Ods2Name::new(&"X".repeat(39)).is_ok());
    }

    #[test]
    fn displays_like_a_file_spec() {
        let p = StorePath {
            root: 0,
            dirs: vec![
                Ods2Name::new("users").unwrap(),
                Ods2Name::new("3f").unwrap(),
            ],
            name: Ods2Name::new("john").unwrap(),
            ftype: Ods2Name::new("prf").unwrap(),
        };
        assert_eq!(p.to_string(), "ROOT0:[USERS.3F]JOHN.PRF");
    }
}
