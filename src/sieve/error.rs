//! Errors with a position: every compile error names its line and column.

use std::fmt;

/// A script error at a position (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SieveError {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, counted in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl SieveError {
    /// An error at byte offset `at` of `src` (clamped to the script).
    pub fn at(src: &str, at: usize, message: &str) -> Self {
        let mut at = at.min(src.len());
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        let before = &src[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line,
            column,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for SieveError {
    /// `line:column: message`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for SieveError {}

/// An error while a compiled script runs (a limit, a conflict between
/// actions). The delivery then falls back to an implicit keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuntimeError {}
