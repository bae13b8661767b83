//! The include extension (RFC 6609): where included scripts come from, and
//! how they are resolved when the including script is compiled, so that a
//! missing script or a recursive inclusion is an upload-time error and the
//! run needs no I/O.

use std::cell::RefCell;

use super::error::SieveError;
use super::ir::Script;
use super::limits::Limits;

/// Where an included script lives (RFC 6609 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// `:personal` (the default): the user's own scripts.
    Personal,
    /// `:global`: the site's shared scripts.
    Global,
}

/// Finds scripts by location and name. The store implements it over the
/// user's profile tree and the site's global script directory.
pub trait ScriptLoader {
    /// The text of the script, or `None` when there is no such script.
    fn load(&self, location: Location, name: &str) -> Option<String>;
}

/// A loader that finds nothing (a script with no includes needs no more).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoScripts;

impl ScriptLoader for NoScripts {
    fn load(&self, _: Location, _: &str) -> Option<String> {
        None
    }
}

/// The scripts included so far while compiling one top-level script.
pub(super) struct Includes<'a> {
    pub(super) loader: &'a dyn ScriptLoader,
    pub(super) limits: &'a Limits,
    pub(super) table: RefCell<Vec<(Location, String, Option<Script>)>>,
    pub(super) stack: RefCell<Vec<(Location, String)>>,
}

/// What `include` resolved to.
pub(super) enum Resolved {
    /// The index of the compiled script in the table.
    Found(usize),
    /// No such script and `:optional` was given.
    Missing,
}

impl Includes<'_> {
    /// Resolves and compiles `name`; errors are reported by the caller at
    /// the include command.
    pub(super) fn resolve(
        &self,
        loc: Location,
        name: &str,
        optional: bool,
    ) -> Result<Resolved, String> {
        if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) {
            return Err(format!("include: invalid script name \"{name}\""));
        }
        let key = (loc, name.to_string());
        if self.stack.borrow().contains(&key) {
            return Err(format!("include: \"{name}\" includes itself"));
        }
        if let Some(i) = self
            .table
            .borrow()
            .iter()
            .position(|(l, n, _)| *l == loc && n == name)
        {
            return Ok(Resolved::Found(i));
        }
        if self.stack.borrow().len() >= self.limits.max_include_depth {
            return Err(format!(
                "include: nested deeper than {}",
                self.limits.max_include_depth
            ));
        }
        if self.table.borrow().len() >= self.limits.max_includes {
            return Err(format!(
                "include: more than {} scripts",
                self.limits.max_includes
            ));
        }
        let Some(src) = self.loader.load(loc, name) else {
            return if optional {
                Ok(Resolved::Missing)
            } else {
                Err(format!("include: script \"{name}\" not found"))
            };
        };
        let idx = {
            let mut t = self.table.borrow_mut();
            t.push((loc, name.to_string(), None));
            t.len() - 1
        };
        self.stack.borrow_mut().push(key);
        let compiled = super::compile::compile_inner(&src, self);
        self.stack.borrow_mut().pop();
        match compiled {
            Ok(s) => {
                self.table.borrow_mut()[idx].2 = Some(s);
                Ok(Resolved::Found(idx))
            }
            Err(e) => Err(format!("in included script \"{name}\": {e}")),
        }
    }
}

/// An error at `at` in `src` for a failed include.
pub(super) fn error(src: &str, at: usize, m: &str) -> SieveError {
    SieveError::at(src, at, m)
}
