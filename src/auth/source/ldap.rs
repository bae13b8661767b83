//! The `ldap` source: an LDAP directory (ldap3 over rustls: `ldaps://`, or
//! STARTTLS on `ldap://`), in either of the two patterns Dovecot's users
//! know:
//!
//! - **search, then bind** (`dn_template` empty): the service account
//!   (`bind_dn`, or anonymous) searches `base` with `filter`; the one entry
//!   found is then bound with the user's password;
//! - **direct bind** (`dn_template` set): the DN is made from the account
//!   name and bound with the password.
//!
//! Values put into a filter are escaped as RFC 4515 says, into a DN as RFC
//! 4514 says: a name like `*)(uid=*` matches nothing. An empty password is
//! refused before anything is sent (a simple bind with one would be an
//! anonymous bind, which succeeds).
//!
//! Connections are kept in a pool (`pool_size` idle at most) and reused;
//! one that fails after idling in the pool is replaced once before the
//! check counts as a failure. Connecting and every operation have a
//! deadline. A directory that cannot be reached, that times out, or that
//! is busy is a temporary failure; wrong credentials (49) a refusal.
//!
//! With `password_change`, a password is changed with the password-modify
//! extended operation (RFC 3062), bound as the user with the old password.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ldap3::exop::PasswordModify;
use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry, dn_escape, ldap_escape};
use serde::{Deserialize, Serialize};

use super::template::Template;
use crate::auth::{ChangeOutcome, LookupError, PasswordSource, Secret};

/// `[auth.ldap]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldap://HOST:PORT` or `ldaps://HOST:PORT`.
    pub uri: String,
    /// Start TLS on an `ldap://` connection (required then).
    pub starttls: bool,
    /// CA certificates (PEM) to trust; empty for the system's.
    pub ca_file: PathBuf,
    /// The service account that searches; empty for an anonymous search.
    pub bind_dn: String,
    /// Its password (or `bind_password_file`).
    pub bind_password: String,
    /// A file holding its password (first line).
    pub bind_password_file: PathBuf,
    /// The search base.
    pub base: String,
    /// The search filter (a [`Template`]; values escaped).
    pub filter: String,
    /// The DN to bind for an account (a [`Template`]; values escaped); set,
    /// it replaces the search.
    pub dn_template: String,
    /// Idle connections kept.
    pub pool_size: u32,
    /// Seconds to connect (and start TLS).
    pub connect_timeout: u64,
    /// Seconds for each operation.
    pub timeout: u64,
    /// Change passwords with the password-modify operation (RFC 3062).
    pub password_change: bool,
}

/// An LDAP directory.
pub struct Ldap {
    uri: String,
    settings: LdapConnSettings,
    service: Option<(String, Secret<String>)>,
    base: String,
    filter: Template,
    dn: Option<Template>,
    pool: Mutex<Vec<Conn>>,
    pool_size: usize,
    timeout: Duration,
    password_change: bool,
}

impl std::fmt::Debug for Ldap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ldap")
            .field("uri", &self.uri)
            .field("direct_bind", &self.dn.is_some())
            .finish_non_exhaustive()
    }
}

struct Conn {
    ldap: LdapConn,
    /// Bound as the service account (a user's bind replaces it).
    as_service: bool,
    /// Came from the pool (may have gone stale while idle).
    reused: bool,
}

/// What one attempt came to.
enum Failure {
    /// The connection failed: try a fresh one if it was a pooled one.
    Connection(LdapError),
    /// A final answer that is not a success.
    Final(LookupError),
}

impl From<LdapError> for Failure {
    fn from(e: LdapError) -> Self {
        Failure::Connection(e)
    }
}

/// The DN found for an account, or why there is none.
enum Found {
    Dn(String),
    None,
}

/// Result codes that mean the directory cannot answer now (RFC 4511):
/// busy, unavailable, unwilling to perform, other, timeLimitExceeded,
/// adminLimitExceeded.
fn temporary_code(rc: u32) -> bool {
    matches!(rc, 3 | 11 | 51 | 52 | 53 | 80)
}

impl Ldap {
    /// The source from its configuration.
    pub fn from_config(c: &LdapConfig) -> Result<Self, String> {
        let err = |e: String| format!("[auth.ldap] {e}");
        if !(c.uri.starts_with("ldap://") || c.uri.starts_with("ldaps://")) {
            return Err(err(format!(
                "uri `{}` must start with ldap:// or ldaps://",
                c.uri
            )));
        }
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_secs(c.connect_timeout.max(1)))
            .set_starttls(c.starttls);
        if !c.ca_file.as_os_str().is_empty() {
            settings = settings.set_config(client_config(&c.ca_file).map_err(err)?);
        }
        let service = if c.bind_dn.is_empty() {
            None
        } else if !c.bind_password_file.as_os_str().is_empty() {
            let text = std::fs::read_to_string(&c.bind_password_file).map_err(|e| {
                err(format!(
                    "cannot read {}: {e}",
                    c.bind_password_file.display()
                ))
            })?;
            let pw = text.lines().next().unwrap_or("").to_string();
            Some((c.bind_dn.clone(), Secret::new(pw)))
        } else {
            Some((c.bind_dn.clone(), Secret::new(c.bind_password.clone())))
        };
        let dn = if c.dn_template.is_empty() {
            None
        } else {
            Some(Template::parse(&c.dn_template).map_err(|e| err(format!("dn_template: {e}")))?)
        };
        Ok(Self {
            uri: c.uri.clone(),
            settings,
            service,
            base: c.base.clone(),
            filter: Template::parse(&c.filter).map_err(|e| err(format!("filter: {e}")))?,
            dn,
            pool: Mutex::new(Vec::new()),
            pool_size: c.pool_size as usize,
            timeout: Duration::from_secs(c.timeout.max(1)),
            password_change: c.password_change,
        })
    }

    fn take(&self, fresh: bool) -> Result<Conn, LdapError> {
        if !fresh && let Some(mut c) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            c.reused = true;
            return Ok(c);
        }
        let ldap = LdapConn::with_settings(self.settings.clone(), &self.uri)?;
        Ok(Conn {
            ldap,
            as_service: false,
            reused: false,
        })
    }

    fn give_back(&self, conn: Conn) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < self.pool_size {
            pool.push(conn);
        }
    }

    /// Runs `op` on a pooled connection, once more on a fresh one when the
    /// pooled one turns out dead.
    fn with_conn<T>(
        &self,
        op: impl Fn(&Self, &mut Conn) -> Result<T, Failure>,
    ) -> Result<T, LookupError> {
        let mut fresh = false;
        loop {
            let mut conn = self.take(fresh).map_err(|e| {
                LookupError::Temporary(format!("cannot connect to {}: {e}", self.uri))
            })?;
            match op(self, &mut conn) {
                Ok(v) => {
                    self.give_back(conn);
                    return Ok(v);
                }
                Err(Failure::Final(e)) => {
                    self.give_back(conn);
                    return Err(e);
                }
                Err(Failure::Connection(e)) if conn.reused && !fresh => {
                    tracing::debug!(uri = self.uri, "ldap: a pooled connection failed: {e}");
                    fresh = true;
                }
                Err(Failure::Connection(e)) => {
                    return Err(LookupError::Temporary(format!("{}: {e}", self.uri)));
                }
            }
        }
    }

    /// The DN of `user`: from the template, or searched for.
    fn find(&self, conn: &mut Conn, user: &str) -> Result<Found, Failure> {
        if let Some(t) = &self.dn {
            return Ok(Found::Dn(t.render(user, |v| dn_escape(v).into_owned())));
        }
        if !conn.as_service {
            let (dn, pw) = match &self.service {
                Some((dn, pw)) => (dn.as_str(), pw.expose().as_str()),
                None => ("", ""),
            };
            let r = conn.ldap.with_timeout(self.timeout).simple_bind(dn, pw)?;
            if r.rc != 0 {
                return Err(Failure::Final(LookupError::Temporary(format!(
                    "the service account's bind failed: {r}"
                ))));
            }
            conn.as_service = true;
        }
        let filter = self.filter.render(user, |v| ldap_escape(v).into_owned());
        let r = conn.ldap.with_timeout(self.timeout).search(
            &self.base,
            Scope::Subtree,
            &filter,
            vec!["1.1"],
        )?;
        let (entries, res) = (r.0, r.1);
        if res.rc == 32 {
            return Ok(Found::None); // noSuchObject: the base is empty
        }
        if res.rc != 0 {
            return Err(Failure::Final(LookupError::Temporary(format!(
                "search failed: {res}"
            ))));
        }
        match entries.len() {
            1 => Ok(Found::Dn(
                SearchEntry::construct(entries.into_iter().next().expect("one entry")).dn,
            )),
            0 => Ok(Found::None),
            n => {
                tracing::warn!(
                    user,
                    entries = n,
                    "ldap: the filter matches several entries; refused"
                );
                Ok(Found::None)
            }
        }
    }

    /// Binds as `dn` with `password`: true when it succeeded.
    fn bind_as(&self, conn: &mut Conn, dn: &str, password: &str) -> Result<bool, Failure> {
        conn.as_service = false;
        let r = conn
            .ldap
            .with_timeout(self.timeout)
            .simple_bind(dn, password)?;
        match r.rc {
            0 => Ok(true),
            rc if temporary_code(rc) => {
                Err(Failure::Final(LookupError::Temporary(format!("bind: {r}"))))
            }
            _ => Ok(false),
        }
    }
}

/// A rustls client configuration trusting the certificates in `ca_file`.
fn client_config(ca_file: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl PasswordSource for Ldap {
    fn name(&self) -> &str {
        "ldap"
    }

    fn verify(&self, user: &str, password: &Secret<String>) -> Result<bool, LookupError> {
        if password.expose().is_empty() || user.is_empty() {
            return Ok(false);
        }
        self.with_conn(|me, conn| match me.find(conn, user)? {
            Found::None => Ok(false),
            Found::Dn(dn) => me.bind_as(conn, &dn, password.expose()),
        })
    }

    fn change_password(
        &self,
        user: &str,
        old: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ChangeOutcome, LookupError> {
        if !self.password_change {
            return Ok(ChangeOutcome::Refused(
                "passwords kept in the directory are not changed through popstore".into(),
            ));
        }
        if old.expose().is_empty() || new.expose().is_empty() {
            return Ok(ChangeOutcome::Refused(
                "empty passwords are not allowed".into(),
            ));
        }
        self.with_conn(|me, conn| {
            let Found::Dn(dn) = me.find(conn, user)? else {
                return Ok(ChangeOutcome::Refused(
                    "the old password is not right".into(),
                ));
            };
            if !me.bind_as(conn, &dn, old.expose())? {
                return Ok(ChangeOutcome::Refused(
                    "the old password is not right".into(),
                ));
            }
            let exop = PasswordModify {
                user_id: None,
                old_pass: Some(old.expose()),
                new_pass: Some(new.expose()),
            };
            let r = conn.ldap.with_timeout(me.timeout).extended(exop)?;
            let res = r.1;
            match res.rc {
                0 => {
                    tracing::info!(user, "ldap: password changed (RFC 3062)");
                    Ok(ChangeOutcome::Changed)
                }
                rc if temporary_code(rc) => Err(Failure::Final(LookupError::Temporary(format!(
                    "password modify: {res}"
                )))),
                _ => Ok(ChangeOutcome::Refused(format!(
                    "the directory refused the new password: {}",
                    if res.text.is_empty() {
                        "no reason given"
                    } else {
                        &res.text
                    }
                ))),
            }
        })
    }
}
