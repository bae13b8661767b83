//! The configuration of `popstore serve` and the tools around it.
//!
//! Three layers, each overriding the one before: the embedded defaults
//! (`src/default-config.toml`, which documents every setting), an optional
//! TOML file (`--config FILE`), and command-line flags ([`Overrides`]).
//! A file only names the keys it changes; a key the defaults do not have is
//! an error that names it.
//!
//! Adding a section: put every key, with its default and a comment, into
//! `default-config.toml`, and a field of a `Deserialize + Serialize` type
//! into [`Config`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The embedded default configuration, commented.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[store]`
    pub store: StoreConfig,
    /// `[listen]`
    pub listen: ListenConfig,
    /// `[tls]`
    pub tls: TlsConfig,
    /// `[lmtp]`
    pub lmtp: LmtpConfig,
    /// `[pop3]`
    pub pop3: crate::pop3::Pop3Settings,
    /// `[imap]`
    pub imap: crate::imap::ImapSettings,
    /// `[auth]`: password sources and the credentials cache.
    pub auth: crate::auth::source::AuthConfig,
    /// `[poppassd]`
    pub poppassd: crate::poppassd::PoppassdSettings,
    /// `[managesieve]`
    pub managesieve: crate::managesieve::ManageSieveSettings,
    /// `[relay]`
    pub relay: RelayConfig,
    /// `[log]`
    pub log: LogConfig,
    /// `[status]`
    pub status: StatusConfig,
    /// `[metrics]`
    pub metrics: MetricsConfig,
    /// `[expire]`: the message bouncer.
    pub expire: crate::bounce::policy::ExpireConfig,
    /// `[legacy]`: the Unix mail spools of system users without an account.
    pub legacy: crate::legacy::LegacyConfig,
    /// `[web]`: the web interface and HTTP API.
    pub web: crate::web::WebSettings,
}

/// `[store]`: where the store lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The store directory.
    pub path: PathBuf,
    /// The domains whose mail is delivered here (`localhost` always is);
    /// `"*"` makes every domain local. A recipient in another domain is
    /// refused with `550 5.1.2` unless a forwarding or an account is named
    /// by its full address.
    pub local_domains: Vec<String>,
    /// Seconds after which a temporary file of the store's own making is a
    /// leftover of an interrupted write: `serve` removes older ones when
    /// it starts.
    pub leftover_grace: u64,
    /// Bytes per second the background scrub reads message files at,
    /// checking their checksums (0: no scrub).
    pub scrub_rate: ByteSize,
    /// Seconds between the end of one scrub pass and the start of the next.
    pub scrub_pause: u64,
    /// The local part of the public folders' posting addresses
    /// (`post+folder@domain`, SPEC.md 9.2); `""` turns posting off. An
    /// account or forwarding of that name takes precedence.
    pub public_post_name: String,
}

/// `[listen]`: the address of every server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// LMTP (RFC 2033), default `127.0.0.1:2424`.
    pub lmtp: Listen,
    /// POP3, default `127.0.0.1:1110`.
    pub pop3: Listen,
    /// POP3 over implicit TLS, default `127.0.0.1:1995`.
    pub pop3s: Listen,
    /// IMAP4, default `127.0.0.1:1143`.
    pub imap: Listen,
    /// IMAP4 over implicit TLS, default `127.0.0.1:1993`.
    pub imaps: Listen,
    /// poppassd, default `127.0.0.1:1106`.
    pub poppassd: Listen,
    /// poppassd over implicit TLS, default off.
    pub poppassds: Listen,
    /// ManageSieve (RFC 5804), default `127.0.0.1:4190`.
    pub managesieve: Listen,
    /// The web interface, default `127.0.0.1:8080`.
    pub web: Listen,
}

/// `[tls]`: the server certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain (PEM), relative to the store directory unless absolute.
    pub cert: PathBuf,
    /// The private key (PEM), relative to the store directory unless absolute.
    pub key: PathBuf,
}

/// `[lmtp]`: the LMTP delivery channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmtpConfig {
    /// The host name in the greeting; empty for the system's host name.
    pub hostname: String,
    /// The largest message accepted.
    pub max_message_size: ByteSize,
    /// Recipients per transaction.
    pub max_recipients: u32,
    /// How a recipient without quota room is refused.
    pub quota_failure: QuotaFailure,
    /// Seconds within which a whole command line must arrive.
    pub command_timeout: u64,
    /// Seconds within which each 64 KiB of message data (and the rest up
    /// to the final dot) must arrive.
    pub data_timeout: u64,
    /// Seconds within which the client must take the replies to what it
    /// sent; every write waits at most that long.
    pub send_timeout: u64,
    /// Bad commands before the session is closed.
    pub max_errors: u32,
    /// Permissions of the Unix socket.
    pub socket_mode: FileMode,
    /// Sessions served at once (one thread each); when all are taken, the
    /// one waiting longest on its client makes room (`crate::slots`).
    pub max_connections: u32,
    /// Sessions from one client address at once (0: no limit); more get
    /// 421 4.7.0.
    pub max_connections_per_client: u32,
}

/// Unix permission bits, written in octal (`"0660"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileMode(pub u32);

impl TryFrom<String> for FileMode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match u32::from_str_radix(s.trim_start_matches("0o"), 8) {
            Ok(m) if m <= 0o7777 => Ok(FileMode(m)),
            _ => Err(format!("`{s}` is not an octal file mode like \"0660\"")),
        }
    }
}

impl From<FileMode> for String {
    fn from(m: FileMode) -> String {
        format!("{:04o}", m.0)
    }
}

/// `[relay]`: the SMTP server for mail that leaves popstore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// `HOST:PORT` or off.
    pub host: RelayHost,
    /// How the connection is protected.
    pub security: RelaySecurity,
    /// The EHLO name; empty for the system's host name.
    pub helo_name: String,
    /// Seconds to wait for each step of the dialogue.
    pub timeout: u64,
}

/// `[log]`: logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A level or a tracing filter; `RUST_LOG` wins when set.
    pub level: String,
    /// Where `popstore deliver` and `validate` log (appended); empty: the
    /// system log (`/dev/log`). Their standard error, which an MTA copies
    /// into bounces, says only what the sender may read.
    pub deliver_file: PathBuf,
    /// How `serve` writes its log: text or JSON lines.
    #[serde(default)]
    pub format: LogFormat,
}

/// `[log] format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[status]`: the local socket `popstore status` asks the running
/// server through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusConfig {
    /// The Unix socket, relative to the store directory unless absolute;
    /// `off` for none.
    pub socket: PathBuf,
}

/// `[metrics]`: the Prometheus endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `GET /metrics` is served (TCP), or `off` (the default).
    pub listen: Listen,
}

/// Where a server listens: a TCP address, a Unix socket, or nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Listen {
    /// The server is not started.
    Off,
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket at this path (`unix:/path`).
    Unix(PathBuf),
}

impl std::str::FromStr for Listen {
    type Err = String;

    /// Parses `off`, `unix:/path` or `ADDRESS:PORT`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            Ok(Listen::Off)
        } else if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                Err("`unix:` needs a socket path, as in unix:/run/popstore/lmtp".into())
            } else {
                Ok(Listen::Unix(PathBuf::from(path)))
            }
        } else {
            s.parse::<SocketAddr>().map(Listen::Tcp).map_err(|_| {
                format!(
                    "`{s}` is not a listen address: give IP:PORT (127.0.0.1:2424, [::1]:2424), unix:/path, or off"
                )
            })
        }
    }
}

impl TryFrom<String> for Listen {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Off => f.write_str("off"),
            Listen::Tcp(a) => write!(f, "{a}"),
            Listen::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

impl From<Listen> for String {
    fn from(l: Listen) -> String {
        l.to_string()
    }
}

/// A size in bytes, written as a number or with a k/m/g suffix (powers of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "SizeRepr", into = "SizeRepr")]
pub struct ByteSize(pub u64);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum SizeRepr {
    Bytes(u64),
    Text(String),
}

impl std::str::FromStr for ByteSize {
    type Err = String;

    /// Parses `4096`, `64k`, `50m`, `2g` (case-insensitive suffix).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let (digits, mult) = match t.char_indices().last() {
            Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 1u64 << 10),
            Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 1 << 20),
            Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 1 << 30),
            _ => (t, 1),
        };
        let n: u64 = digits
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a size: give bytes, or a number with k, m or g"))?;
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("`{s}` is too large"))
    }
}

impl TryFrom<SizeRepr> for ByteSize {
    type Error = String;
    fn try_from(r: SizeRepr) -> Result<Self, String> {
        match r {
            SizeRepr::Bytes(n) => Ok(ByteSize(n)),
            SizeRepr::Text(s) => s.parse(),
        }
    }
}

impl From<ByteSize> for SizeRepr {
    fn from(b: ByteSize) -> SizeRepr {
        let n = b.0;
        for (shift, suffix) in [(30, "g"), (20, "m"), (10, "k")] {
            if n != 0 && n.is_multiple_of(1u64 << shift) {
                return SizeRepr::Text(format!("{}{suffix}", n >> shift));
            }
        }
        SizeRepr::Bytes(n)
    }
}

/// How a recipient without quota room is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaFailure {
    /// `552 5.2.2`: the MTA bounces the message.
    Permanent,
    /// `452 4.2.2`: the MTA keeps the message and retries.
    Temporary,
}

impl QuotaFailure {
    /// Applies the policy to a refusal from the store: with `Temporary`, a
    /// permanent over-quota refusal (`5.2.2`) becomes `452 4.2.2`.
    pub fn apply(self, refusal: crate::delivery::Refusal) -> crate::delivery::Refusal {
        match self {
            QuotaFailure::Temporary if refusal.enhanced == (5, 2, 2) => crate::delivery::Refusal {
                code: 452,
                enhanced: (4, 2, 2),
                text: refusal.text,
            },
            _ => refusal,
        }
    }
}

/// The relay's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RelayHost {
    /// No relay: mail for outside is refused with a temporary error.
    Off,
    /// An SMTP server.
    Server {
        /// Host name or IP address.
        host: String,
        /// TCP port.
        port: u16,
    },
}

impl TryFrom<String> for RelayHost {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(RelayHost::Off);
        }
        let bad = || format!("`{s}` is not a relay: give HOST:PORT or off");
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(RelayHost::Server {
            host: host.to_string(),
            port,
        })
    }
}

impl From<RelayHost> for String {
    fn from(r: RelayHost) -> String {
        match r {
            RelayHost::Off => "off".into(),
            RelayHost::Server { host, port } if host.contains(':') => format!("[{host}]:{port}"),
            RelayHost::Server { host, port } => format!("{host}:{port}"),
        }
    }
}

/// How the relay connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelaySecurity {
    /// Plain SMTP (for a relay on the same host or a trusted network).
    None,
    /// STARTTLS, required.
    Starttls,
    /// Implicit TLS (SMTPS, port 465).
    Tls,
}

/// Settings given on the command line; each one present wins over the files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--store DIR` or `$POPSTORE_STORE`.
    pub store: Option<PathBuf>,
    /// `--lmtp ADDR|off`.
    pub lmtp: Option<Listen>,
    /// `--pop3 ADDR|off`.
    pub pop3: Option<Listen>,
    /// `--pop3s ADDR|off`.
    pub pop3s: Option<Listen>,
    /// `--imap ADDR|off`.
    pub imap: Option<Listen>,
    /// `--imaps ADDR|off`.
    pub imaps: Option<Listen>,
    /// `--poppassd ADDR|off`.
    pub poppassd: Option<Listen>,
    /// `--managesieve ADDR|off`.
    pub managesieve: Option<Listen>,
    /// `--web ADDR|off`.
    pub web: Option<Listen>,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{origin}: {message}")]
    Syntax {
        /// Where the text came from.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A key the configuration does not have.
    #[error("{origin}: unknown key `{key}`")]
    UnknownKey {
        /// Where the text came from.
        origin: String,
        /// The dotted key, like `lmtp.max_size`.
        key: String,
    },
    /// A value of the wrong type or form.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// The embedded defaults.
    pub fn defaults() -> Config {
        // The embedded text is fixed at build time and tested below.
        Self::from_toml_str("", "defaults").expect("the embedded default configuration is valid")
    }

    /// The defaults with `text` (a configuration file's content) merged
    /// over them. `origin` names the text in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let defaults = parse_table(DEFAULT_CONFIG, "the embedded default configuration")?;
        let user = parse_table(text, origin)?;
        let mut merged = defaults.clone();
        merge(&mut merged, user.clone(), "", origin)?;
        toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| {
                // Name the key at fault: the first one that fails on its own.
                let key = leaf_keys(&user, "").into_iter().find(|(_, one)| {
                    let mut t = defaults.clone();
                    merge(&mut t, one.clone(), "", origin).is_ok()
                        && toml::Value::Table(t).try_into::<Config>().is_err()
                });
                let message = e.message().trim().to_string();
                ConfigError::Invalid {
                    origin: origin.to_string(),
                    message: match key {
                        Some((k, _)) => format!("`{k}`: {message}"),
                        None => message,
                    },
                }
            })
    }

    /// Loads the effective configuration: defaults, then `file` when
    /// given, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut config = match file {
            None => Config::defaults(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Config::from_toml_str(&text, &path.display().to_string())?
            }
        };
        config.apply(overrides);
        Ok(config)
    }

    /// Applies command-line overrides.
    pub fn apply(&mut self, o: &Overrides) {
        if let Some(s) = &o.store {
            self.store.path = s.clone();
        }
        if let Some(l) = &o.lmtp {
            self.listen.lmtp = l.clone();
        }
        if let Some(l) = &o.pop3 {
            self.listen.pop3 = l.clone();
        }
        if let Some(l) = &o.pop3s {
            self.listen.pop3s = l.clone();
        }
        if let Some(l) = &o.imap {
            self.listen.imap = l.clone();
        }
        if let Some(l) = &o.imaps {
            self.listen.imaps = l.clone();
        }
        if let Some(l) = &o.poppassd {
            self.listen.poppassd = l.clone();
        }
        if let Some(l) = &o.managesieve {
            self.listen.managesieve = l.clone();
        }
        if let Some(l) = &o.web {
            self.listen.web = l.clone();
        }
    }

    /// The effective configuration as TOML (`popstore config show`).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the configuration serializes")
    }

    /// The certificate path, resolved against the store directory.
    pub fn tls_cert_path(&self) -> PathBuf {
        self.store.path.join(&self.tls.cert)
    }

    /// The private key path, resolved against the store directory.
    pub fn tls_key_path(&self) -> PathBuf {
        self.store.path.join(&self.tls.key)
    }

    /// The status socket, resolved against the store directory; `None`
    /// when it is `off`.
    pub fn status_socket_path(&self) -> Option<PathBuf> {
        (self.status.socket.as_os_str() != "off").then(|| self.store.path.join(&self.status.socket))
    }
}

/// The system's host name, for greetings and EHLO; `localhost` when unknown.
pub fn system_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn parse_table(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string().trim().to_string(),
        })
}

/// Every leaf key of `t`, dotted, each with a table holding only it.
fn leaf_keys(t: &toml::Table, prefix: &str) -> Vec<(String, toml::Table)> {
    let mut out = Vec::new();
    for (key, value) in t {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => {
                for (k, sub) in leaf_keys(inner, &dotted) {
                    let mut one = toml::Table::new();
                    one.insert(key.clone(), toml::Value::Table(sub));
                    out.push((k, one));
                }
            }
            v => {
                let mut one = toml::Table::new();
                one.insert(key.clone(), v.clone());
                out.push((dotted, one));
            }
        }
    }
    out
}

/// Merges `user` over `base`, refusing keys `base` does not have.
fn merge(
    base: &mut toml::Table,
    user: toml::Table,
    prefix: &str,
    origin: &str,
) -> Result<(), ConfigError> {
    for (key, value) in user {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match base.get_mut(&key) {
            None => {
                return Err(ConfigError::UnknownKey {
                    origin: origin.to_string(),
                    key: dotted,
                });
            }
            Some(toml::Value::Table(section)) => match value {
                toml::Value::Table(t) => merge(section, t, &dotted, origin)?,
                _ => {
                    return Err(ConfigError::Invalid {
                        origin: origin.to_string(),
                        message: format!("`{dotted}` must be a table ([{dotted}])"),
                    });
                }
            },
            Some(slot) => {
                if matches!(value, toml::Value::Table(_)) {
                    return Err(ConfigError::Invalid {
                        origin: origin.to_string(),
                        message: format!("`{dotted}` is a value, not a table"),
                    });
                }
                *slot = value;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
