//! What ManageSieve needs from the store: a user's scripts, where `popstore
//! sieve` keeps them ([`crate::store::Store`]'s `sieve_*` calls), so the
//! CLI, ManageSieve and delivery see the same scripts. [`StoreScripts`]
//! is the store's; [`MemoryScripts`] one in memory for tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::store::groups::Actor;
use crate::store::{Store, StoreError};

/// One script in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// It is the active script.
    pub active: bool,
}

/// Why a script operation failed; each maps to one response code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptError {
    /// No script of that name (`NONEXISTENT`).
    NotFound,
    /// The active script cannot be deleted (`ACTIVE`).
    Active,
    /// The new name is taken (`ALREADYEXISTS`).
    Exists,
    /// The script does not compile, or a name is not acceptable: the
    /// message says where.
    Invalid(String),
    /// Try again later (`TRYLATER`).
    Temporary(String),
}

/// A user's Sieve scripts. Blocking.
pub trait ScriptStore: Send + Sync + 'static {
    /// The scripts, sorted by name.
    fn list(&self, user: &str) -> Result<Vec<Listed>, ScriptError>;
    /// One script's text.
    fn get(&self, user: &str, name: &str) -> Result<Vec<u8>, ScriptError>;
    /// Compiles `text` without storing it.
    fn check(&self, user: &str, text: &[u8]) -> Result<(), ScriptError>;
    /// Stores a script (compiled first), replacing one of that name.
    fn put(&self, user: &str, name: &str, text: &[u8]) -> Result<(), ScriptError>;
    /// Makes `name` the active script; `None` deactivates.
    fn activate(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError>;
    /// Deletes a script that is not active.
    fn delete(&self, user: &str, name: &str) -> Result<(), ScriptError>;
    /// Renames a script (the active one stays active under its new name).
    fn rename(&self, user: &str, old: &str, new: &str) -> Result<(), ScriptError>;
}

/// The store's scripts.
#[derive(Debug, Clone)]
pub struct StoreScripts {
    store: Arc<Store>,
}

impl StoreScripts {
    /// Over `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

fn store_error(e: StoreError) -> ScriptError {
    match e {
        e @ (StoreError::Platform(_) | StoreError::NoStore(_) | StoreError::InUse(_)) => {
            tracing::warn!("managesieve: store: {e}");
            ScriptError::Temporary("the mail store is not available; try again later".into())
        }
        StoreError::Invalid(m) => ScriptError::Invalid(m),
        e => {
            tracing::error!("managesieve: store: {e}");
            ScriptError::Temporary("the scripts cannot be read; tell the administrator".into())
        }
    }
}

impl StoreScripts {
    fn exists(&self, user: &str, name: &str) -> Result<Option<bool>, ScriptError> {
        Ok(self
            .list(user)?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.active))
    }
}

impl ScriptStore for StoreScripts {
    fn list(&self, user: &str) -> Result<Vec<Listed>, ScriptError> {
        let all = self
            .store
            .sieve_list(&Actor::Admin, user)
            .map_err(store_error)?;
        Ok(all
            .into_iter()
            .map(|e| Listed {
                name: e.name,
                active: e.active,
            })
            .collect())
    }

    fn get(&self, user: &str, name: &str) -> Result<Vec<u8>, ScriptError> {
        if self.exists(user, name)?.is_none() {
            return Err(ScriptError::NotFound);
        }
        self.store
            .sieve_get(&Actor::Admin, user, name)
            .map_err(store_error)
    }

    fn check(&self, user: &str, text: &[u8]) -> Result<(), ScriptError> {
        match self.store.sieve_check(&Actor::Admin, user, text) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ScriptError::Invalid(format!(
                "line {}, column {}: {}",
                e.line, e.column, e.message
            ))),
            Err(e) => Err(store_error(e)),
        }
    }

    fn put(&self, user: &str, name: &str, text: &[u8]) -> Result<(), ScriptError> {
        self.check(user, text)?;
        self.store
            .sieve_put(&Actor::Admin, user, name, text)
            .map_err(store_error)
    }

    fn activate(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError> {
        if let Some(n) = name
            && self.exists(user, n)?.is_none()
        {
            return Err(ScriptError::NotFound);
        }
        self.store
            .sieve_activate(&Actor::Admin, user, name)
            .map_err(store_error)
    }

    fn delete(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        match self.exists(user, name)? {
            None => Err(ScriptError::NotFound),
            Some(true) => Err(ScriptError::Active),
            Some(false) => self
                .store
                .sieve_delete(&Actor::Admin, user, name)
                .map_err(store_error),
        }
    }

    fn rename(&self, user: &str, old: &str, new: &str) -> Result<(), ScriptError> {
        let Some(active) = self.exists(user, old)? else {
            return Err(ScriptError::NotFound);
        };
        if self.exists(user, new)?.is_some() {
            return Err(ScriptError::Exists);
        }
        let text = self.get(user, old)?;
        self.store
            .sieve_put(&Actor::Admin, user, new, &text)
            .map_err(store_error)?;
        if active {
            self.activate(user, Some(new))?;
        }
        self.store
            .sieve_delete(&Actor::Admin, user, old)
            .map_err(store_error)
    }
}

/// One user's scripts in memory and the active one's name.
type UserScripts = (BTreeMap<String, Vec<u8>>, Option<String>);

/// Scripts in memory (tests): compiled with the engine, no includes.
#[derive(Debug, Default)]
pub struct MemoryScripts {
    users: Mutex<BTreeMap<String, UserScripts>>,
}

impl MemoryScripts {
    fn with<T>(
        &self,
        user: &str,
        f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>, &mut Option<String>) -> T,
    ) -> T {
        let mut all = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let (scripts, active) = all.entry(user.to_lowercase()).or_default();
        f(scripts, active)
    }
}

impl ScriptStore for MemoryScripts {
    fn list(&self, user: &str) -> Result<Vec<Listed>, ScriptError> {
        Ok(self.with(user, |s, a| {
            s.keys()
                .map(|n| Listed {
                    name: n.clone(),
                    active: a.as_deref() == Some(n),
                })
                .collect()
        }))
    }
    fn get(&self, user: &str, name: &str) -> Result<Vec<u8>, ScriptError> {
        self.with(user, |s, _| s.get(name).cloned())
            .ok_or(ScriptError::NotFound)
    }
    fn check(&self, _: &str, text: &[u8]) -> Result<(), ScriptError> {
        crate::sieve::compile_bytes(text, &crate::sieve::Limits::default())
            .map(|_| ())
            .map_err(|e| {
                ScriptError::Invalid(format!(
                    "line {}, column {}: {}",
                    e.line, e.column, e.message
                ))
            })
    }
    fn put(&self, user: &str, name: &str, text: &[u8]) -> Result<(), ScriptError> {
        self.check(user, text)?;
        self.with(user, |s, _| s.insert(name.to_string(), text.to_vec()));
        Ok(())
    }
    fn activate(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError> {
        self.with(user, |s, a| match name {
            Some(n) if !s.contains_key(n) => Err(ScriptError::NotFound),
            n => {
                *a = n.map(str::to_string);
                Ok(())
            }
        })
    }
    fn delete(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        self.with(user, |s, a| {
            if a.as_deref() == Some(name) {
                Err(ScriptError::Active)
            } else {
                s.remove(name).map(|_| ()).ok_or(ScriptError::NotFound)
            }
        })
    }
    fn rename(&self, user: &str, old: &str, new: &str) -> Result<(), ScriptError> {
        self.with(user, |s, a| {
            if s.contains_key(new) {
                return Err(ScriptError::Exists);
            }
            let text = s.remove(old).ok_or(ScriptError::NotFound)?;
            s.insert(new.to_string(), text);
            if a.as_deref() == Some(old) {
                *a = Some(new.to_string());
            }
            Ok(())
        })
    }
}
