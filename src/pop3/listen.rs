//! What `popstore serve` needs to start POP3 from the configuration: the
//! listeners of `[listen] pop3` / `pop3s`, and the [`Pop3Service`] with its
//! TLS configuration (a self-signed pair is generated on first use).

use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use super::maildrop::MaildropStore;
use super::server::Pop3Service;
use crate::auth::{Authenticator, CredentialLookup, PasswordSource};
use crate::config::{Config, Listen};

/// Binds a POP3 listener: `None` when it is `off`. POP3 listens on TCP
/// only.
pub async fn bind(what: &str, listen: &Listen) -> anyhow::Result<Option<TcpListener>> {
    match listen {
        Listen::Off => Ok(None),
        Listen::Tcp(addr) => TcpListener::bind(addr)
            .await
            .map(Some)
            .with_context(|| format!("cannot listen for {what} on {addr}")),
        Listen::Unix(p) => anyhow::bail!(
            "{what} listens on TCP only, not on the Unix socket {}",
            p.display()
        ),
    }
}

/// The TLS configuration from `[tls]`: the PEM files named there (relative
/// to the store), generated as a self-signed pair for the host name and
/// `localhost` when the certificate does not exist yet. The pair can be
/// read again with [`crate::tls::ReloadableCert::reload`].
pub fn tls_from_config(
    config: &Config,
    hostname: &str,
) -> anyhow::Result<Arc<crate::tls::ReloadableCert>> {
    let (cert, key) = (config.tls_cert_path(), config.tls_key_path());
    let mut names = vec![hostname.to_string()];
    if hostname != "localhost" {
        names.push("localhost".into());
    }
    if crate::tls::ensure_self_signed(&cert, &key, &names)? {
        tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    }
    Ok(Arc::new(crate::tls::ReloadableCert::load(&cert, &key)?))
}

/// Builds the POP3 service from the configuration, over the store's
/// maildrops and credentials. `elsewhere` checks the passwords of
/// `PWD_ELSEWHERE` accounts. Gives the service and its certificate (for
/// reloads).
pub fn service_from_config(
    config: &Config,
    store: Arc<dyn MaildropStore>,
    credentials: Arc<dyn CredentialLookup>,
    elsewhere: Option<Arc<dyn PasswordSource>>,
) -> anyhow::Result<(Arc<Pop3Service>, Arc<crate::tls::ReloadableCert>)> {
    let mut settings = config.pop3.clone();
    if settings.hostname.is_empty() {
        settings.hostname = crate::config::system_hostname();
    }
    settings.validate().map_err(anyhow::Error::msg)?;
    let cert = tls_from_config(config, &settings.hostname)?;
    let tls = crate::tls::server_config(Arc::clone(&cert))?;
    let service = Pop3Service::new(
        settings,
        store,
        Authenticator::new(credentials, elsewhere).with_accounts(config.auth.accounts),
        Some(tls),
    );
    Ok((service, cert))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn builds_from_the_default_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.store.path = dir.path().to_path_buf();
        let store = Arc::new(crate::pop3::memory::MemoryStore::new());
        let creds = Arc::new(crate::auth::StaticCredentials::new());
        service_from_config(&config, store, creds, None).unwrap();
        assert!(
            config.tls_cert_path().exists(),
            "a self-signed pair was generated"
        );
        assert!(bind("POP3", &Listen::Off).await.unwrap().is_none());
        let l = bind("POP3", &"127.0.0.1:0".parse().unwrap()).await.unwrap();
        assert!(l.is_some());
        let unix = bind("POP3", &"unix:/tmp/x".parse().unwrap()).await;
        assert!(unix.unwrap_err().to_string().contains("TCP only"));
    }
}
