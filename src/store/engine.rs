//! The [`Store`]: opening and creating a store, its settings, and the
//! small helpers every operation shares (locks, typed files, time).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use popstore_formats::StoreFile;
use popstore_formats::descriptor::StoreDescriptor;
use popstore_formats::path::StorePath;
use popstore_platform::{DirPath, ErrorKind, FileLock, LockMode, Platform, RecordFormat};

use super::account::{Profile, StoreType};
use super::disk;
use super::error::{Result, StoreError};
use super::layout::{self, Paths};
use super::name::{AccountName, Charset, DEFAULT_ACCOUNT, NameRules, NameStyle};

/// A store's settings. The first four are kept in the store descriptor;
/// `local_domains` and `quota_temporary` are run-time policy that the
/// server's configuration sets ([`Store::set_policy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How accounts are named (descriptor name style `login` / `email`).
    pub name_style: NameStyle,
    /// User domains (local style only), each with its own default account.
    pub user_domains: bool,
    /// An existing account cannot be forwarded (PMDF's no-override).
    pub no_forward_override: bool,
    /// The character set of account names (`us-ascii`, `utf-8`, ...).
    pub charset: String,
    /// Domains whose mail is delivered here (decides whether a forwarding
    /// target is local or goes to the relay). `localhost` always is.
    pub local_domains: Vec<String>,
    /// Report "no quota room" as temporary (`452 4.2.2`) rather than
    /// permanent (`552 5.2.2`).
    pub quota_temporary: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            name_style: NameStyle::Local,
            user_domains: false,
            no_forward_override: false,
            charset: "us-ascii".into(),
            local_domains: vec!["localhost".into()],
            quota_temporary: false,
        }
    }
}

impl Settings {
    /// The naming rules these settings describe.
    pub fn rules(&self) -> Result<NameRules> {
        let charset = Charset::for_label(&self.charset).ok_or_else(|| {
            StoreError::Invalid(format!("unknown character set {:?}", self.charset))
        })?;
        Ok(NameRules {
            style: self.name_style,
            user_domains: self.user_domains,
            charset,
        })
    }
}

/// Sends messages to external addresses (forwarding targets outside the
/// store, returned messages) through an SMTP relay. The serve module's
/// `relay::Relay` implements it (`self.send(mail_from, to, message)`);
/// `Ok` only once the relay accepted the message, else the relay's
/// refusal, which delivery passes on to the client.
pub trait Relay: Send + Sync + fmt::Debug {
    /// Relays `message` (CRLF lines) from `mail_from` (empty: `<>`) to `to`.
    fn relay(
        &self,
        mail_from: &str,
        to: &[String],
        message: &[u8],
    ) -> std::result::Result<(), crate::delivery::Refusal>;
}

/// An open store: the engine's entry point. Share it as `Arc<Store>`;
/// every method is safe to call from many threads and processes at once.
#[derive(Debug)]
pub struct Store {
    pub(crate) fs: Arc<dyn Platform>,
    pub(crate) settings: Settings,
    pub(crate) rules: NameRules,
    pub(crate) paths: Paths,
    pub(crate) relay: RwLock<Option<Arc<dyn Relay>>>,
    pub(crate) lock_timeout: Duration,
    pub(crate) pending: Mutex<HashMap<AccountName, super::messages::Pending>>,
    pub(crate) committed: std::sync::Condvar,
    /// Message directories this process made or found (never removed by
    /// the engine), so a delivery does not stat the path each time.
    pub(crate) known_dirs: Mutex<std::collections::HashSet<DirPath>>,
    /// The local part of public folders' addresses (`post+folder`).
    pub(crate) public_post: String,
}

/// Seconds since 1970, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn store_id() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

impl Store {
    /// Creates a new store on `fs`: the descriptor, the empty group tree
    /// and forwarding database, and the `default` template account. Fails
    /// with [`StoreError::AlreadyInitialized`] when a descriptor is there.
    pub fn init(fs: Arc<dyn Platform>, settings: Settings) -> Result<Store> {
        let rules = settings.rules()?;
        fs.create_dir_all(&DirPath::root(0))?;
        let d = disk::descriptor_for(&settings, now(), store_id());
        let bytes = d
            .encode()
            .map_err(|e| StoreError::Invalid(format!("cannot encode the descriptor: {e}")))?;
        match fs.create_new(&layout::descriptor(), RecordFormat::Var, &bytes) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyInitialized(
                    fs.display(&layout::descriptor()),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        fs.create_dir_all(&layout::users_dir())?;
        fs.create_dir_all(&layout::messages_dir())?;
        let store = Store::from_parts(fs, settings, rules, &d);
        store.write_file(
            &layout::groups(),
            &popstore_formats::groups::GroupTree::default(),
        )?;
        store.write_file(
            &layout::forwardings(),
            &popstore_formats::forward::ForwardingDb::default(),
        )?;
        let default = AccountName::from_stored(DEFAULT_ACCOUNT);
        store.write_new_profile(&Profile::template(&default, StoreType::Pop))?;
        Ok(store)
    }

    /// Opens the store on `fs`; [`StoreError::NoStore`] when there is none.
    pub fn open(fs: Arc<dyn Platform>) -> Result<Store> {
        let path = layout::descriptor();
        let bytes = match fs.read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::NoStore(fs.display(&path)));
            }
            Err(e) => return Err(e.into()),
        };
        let d = StoreDescriptor::decode(&bytes).map_err(|e| StoreError::Corrupt {
            path: fs.display(&path),
            reason: e.to_string(),
        })?;
        let settings = disk::settings_from(&d);
        let rules = settings.rules()?;
        Ok(Store::from_parts(fs, settings, rules, &d))
    }

    fn from_parts(
        fs: Arc<dyn Platform>,
        settings: Settings,
        rules: NameRules,
        d: &StoreDescriptor,
    ) -> Store {
        Store {
            fs,
            settings,
            rules,
            paths: Paths { layout: d.layout() },
            relay: RwLock::new(None),
            lock_timeout: Duration::from_secs(30),
            pending: Mutex::new(HashMap::new()),
            committed: std::sync::Condvar::new(),
            known_dirs: Mutex::default(),
            public_post: super::public::DEFAULT_POST_NAME.to_string(),
        }
    }

    /// The store's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sets the run-time policy from the server's configuration: the
    /// local domains and whether over-quota refusals are temporary.
    pub fn set_policy(&mut self, local_domains: Vec<String>, quota_temporary: bool) {
        self.settings.local_domains = local_domains;
        self.settings.quota_temporary = quota_temporary;
    }

    /// The naming rules.
    pub fn rules(&self) -> &NameRules {
        &self.rules
    }

    /// The path computer.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The platform the store runs on.
    pub fn platform(&self) -> &Arc<dyn Platform> {
        &self.fs
    }

    /// Sets the relay for external forwarding targets and returned
    /// messages (the serve module wires its SMTP relay here).
    pub fn set_relay(&self, relay: Arc<dyn Relay>) {
        if let Ok(mut r) = self.relay.write() {
            *r = Some(relay);
        }
    }

    /// The relay, when one is set.
    pub fn relay(&self) -> Option<Arc<dyn Relay>> {
        self.relay.read().ok().and_then(|r| r.clone())
    }

    /// Changes how long operations wait for a lock (default 30 s).
    pub fn set_lock_timeout(&mut self, t: Duration) {
        self.lock_timeout = t;
    }

    pub(crate) fn lock(&self, path: &StorePath, mode: LockMode) -> Result<FileLock> {
        let start = std::time::Instant::now();
        let r = self.fs.lock(path, mode, self.lock_timeout);
        let timed_out =
            matches!(&r, Err(e) if e.kind() == popstore_platform::ErrorKind::LockTimeout);
        crate::metrics::lock_waited(start.elapsed(), timed_out);
        Ok(r?)
    }

    pub(crate) fn ensure_dir(&self, dir: &DirPath) -> Result<()> {
        Ok(self.fs.create_dir_all(dir)?)
    }

    pub(crate) fn corrupt(&self, path: &StorePath, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.fs.display(path),
            reason: reason.into(),
        }
    }

    /// Reads a typed file; `None` when it does not exist.
    pub(crate) fn read_file<T: StoreFile>(&self, path: &StorePath) -> Result<Option<T>> {
        match self.fs.read(path) {
            Ok(b) => T::decode(&b)
                .map(Some)
                .map_err(|e| self.corrupt(path, e.to_string())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a typed file atomically and durably.
    pub(crate) fn write_file<T: StoreFile>(&self, path: &StorePath, v: &T) -> Result<()> {
        let bytes = v.encode().map_err(|e| {
            StoreError::Invalid(format!("cannot encode {}: {e}", self.fs.display(path)))
        })?;
        self.fs.replace(path, RecordFormat::Var, &bytes)?;
        Ok(())
    }
}
