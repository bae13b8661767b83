//! `popstore serve`: runs the configured servers until SIGTERM or SIGINT.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::Cli;
use crate::config::{Config, Listen, Overrides};
use crate::delivery::Delivery;

/// `popstore serve` flags: each listener flag overrides `[listen]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// LMTP listener: IP:PORT, unix:/path, or off.
    #[arg(long, value_name = "ADDR|off")]
    pub lmtp: Option<Listen>,
    /// POP3 listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub pop3: Option<Listen>,
    /// POP3 over implicit TLS listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub pop3s: Option<Listen>,
    /// IMAP listener (STARTTLS): IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub imap: Option<Listen>,
    /// IMAP over implicit TLS listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub imaps: Option<Listen>,
    /// poppassd (password changes) listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub poppassd: Option<Listen>,
    /// ManageSieve (Sieve script uploads) listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub managesieve: Option<Listen>,
    /// Web interface and HTTP API listener: IP:PORT or off.
    #[arg(long, value_name = "ADDR|off")]
    pub web: Option<Listen>,
}

/// Opens the store for delivery, with the `[relay]` for external targets.
/// The one place that names the store engine: every channel (LMTP,
/// `deliver`, `validate`) gets it from here.
pub fn open_delivery(config: &Config) -> anyhow::Result<Arc<dyn Delivery>> {
    Ok(open_store(config)?)
}

/// Opens the store engine itself (for the channels and the servers).
pub fn open_store(config: &Config) -> anyhow::Result<Arc<crate::store::Store>> {
    let mut store =
        super::init::open_store(&config.store.path).map_err(|f| anyhow::anyhow!(f.message))?;
    if let Some(s) = Arc::get_mut(&mut store) {
        s.set_policy(
            config.store.local_domains.clone(),
            config.lmtp.quota_failure == crate::config::QuotaFailure::Temporary,
        );
        s.set_public_post_name(&config.store.public_post_name);
    }
    if let Some(relay) =
        crate::relay::Relay::from_config(&config.relay).map_err(anyhow::Error::msg)?
    {
        store.set_relay(Arc::new(relay));
    }
    Ok(store)
}

/// `popstore serve` with no store yet creates one (default settings, as
/// `popstore init` without options), so it runs out of the box.
fn create_store_if_missing(config: &Config) -> anyhow::Result<()> {
    let dir = &config.store.path;
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    crate::store::Store::init(
        super::init::platform_for(dir),
        crate::store::Settings::default(),
    )
    .map_err(|e| anyhow::anyhow!("cannot create a store in {}: {e}", dir.display()))?;
    tracing::info!(store = %dir.display(), "created a new store");
    Ok(())
}

/// Runs `popstore serve`.
pub fn run(cli: &Cli, args: &ServeArgs) -> ExitCode {
    let overrides = Overrides {
        store: None,
        lmtp: args.lmtp.clone(),
        pop3: args.pop3.clone(),
        pop3s: args.pop3s.clone(),
        imap: args.imap.clone(),
        imaps: args.imaps.clone(),
        poppassd: args.poppassd.clone(),
        managesieve: args.managesieve.clone(),
        web: args.web.clone(),
    };
    let config = match super::load_config(cli, overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("popstore: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = crate::serve::init_logging(&config) {
        eprintln!("popstore: {e:#}");
        return ExitCode::from(2);
    }
    crate::serve::raise_open_file_limit(&config);
    let store = match create_store_if_missing(&config).and_then(|()| open_store(&config)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            return ExitCode::from(1);
        }
    };
    let services = config
        .auth
        .build()
        .map_err(anyhow::Error::msg)
        .and_then(|sources| {
            let pop3 = pop3_service(&config, &store, sources.clone())?;
            let auth = authenticator(&config, &store, sources.clone());
            let poppassd = poppassd_service(&config, auth.clone())?;
            let imap_auth = imap_authenticator(&config, &store, sources.clone(), &auth);
            let imap = crate::imap::server::service_from_config(&config, &store, imap_auth)?;
            let web_auth = auth.clone();
            let managesieve = managesieve_service(&config, &store, auth)?;
            Ok((pop3, poppassd, managesieve, imap, web_auth))
        });
    let (pop3, poppassd, managesieve, imap, web_auth) = match services {
        Ok(s) => s,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            return ExitCode::from(1);
        }
    };
    hint_when_empty(&store);
    // Leftovers of interrupted writes, then the scrub, on a thread of their
    // own; stopped when serve returns.
    let _housekeeping = crate::housekeeping::Housekeeping::start(Arc::clone(&store), &config.store);
    // The message bouncer ([expire]), on a thread of its own too.
    let _bouncer = crate::bounce::service::Bouncer::start(
        Arc::clone(&store),
        config.expire.clone(),
        crate::lmtp::Limits::from_config(&config.lmtp).hostname,
    );
    let web_store = Arc::clone(&store);
    let delivery: Arc<dyn Delivery> = store;
    let config = Arc::new(config);
    let built = crate::serve::run_blocking(|| async move {
        let mut server = crate::serve::Server::bind(Arc::clone(&config), delivery).await?;
        // The certificates of the TLS listeners, read again on SIGHUP.
        let mut certs = Vec::new();
        if let Some((service, cert)) = pop3 {
            add_pop3(&mut server, &config, service).await?;
            certs.push(cert);
        }
        if let Some((service, cert)) = poppassd {
            add_poppassd(&mut server, &config, service).await?;
            certs.extend(cert);
        }
        if let Some(service) = imap {
            if let Some(cert) = service.cert() {
                certs.push(cert);
            }
            add_imap(&mut server, &config, service).await?;
        }
        if let Some((service, cert)) = managesieve
            && let Some(listener) =
                crate::netio::bind("ManageSieve", &config.listen.managesieve).await?
        {
            server.add_service("managesieve", move |stop| {
                Box::pin(async move {
                    Ok(crate::managesieve::server::run(listener, service, stop).await?)
                })
            });
            certs.push(cert);
        }
        certs.extend(add_web(&mut server, &config, web_store, web_auth).await?);
        if !certs.is_empty() {
            server.on_reload("TLS certificate", move || {
                for cert in &certs {
                    cert.reload()?;
                }
                Ok(())
            });
        }
        if let Some(path) = config.status_socket_path() {
            server.status_socket(&path);
        }
        add_metrics(&mut server, &config).await?;
        Ok(server)
    });
    match built {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("popstore: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Says how to add an account when the store has none but the `default`
/// template (a first run): the walk stops at the first account found.
fn hint_when_empty(store: &crate::store::Store) {
    let template = crate::store::name::DEFAULT_ACCOUNT;
    let has_account = store.profiles().any(|p| {
        p.is_err()
            || p.is_ok_and(|p| p.name != template && !p.name.starts_with(&format!("{template}@")))
    });
    if !has_account {
        tracing::warn!(
            "the store has no accounts yet: add one with \
             `popstore --store DIR user add NAME --password-stdin` (mail to unknown \
             recipients is refused with 550 5.1.1 meanwhile)"
        );
    }
}

/// The POP3 service and its TLS certificate (reloaded on SIGHUP).
type Pop3Parts = (
    Arc<crate::pop3::Pop3Service>,
    Arc<crate::tls::ReloadableCert>,
);

/// The POP3 service over the store, unless both POP3 listeners are off.
fn pop3_service(
    config: &Config,
    store: &Arc<crate::store::Store>,
    sources: Option<Arc<dyn crate::auth::PasswordSource>>,
) -> anyhow::Result<Option<Pop3Parts>> {
    if config.listen.pop3 == Listen::Off && config.listen.pop3s == Listen::Off {
        return Ok(None);
    }
    let backend = Arc::new(
        crate::pop3::store_maildrop::StoreBackend::new(Arc::clone(store))
            .with_login_delay(config.pop3.login_delay_secs)
            .with_expire(config.expire.clone()),
    );
    if config.legacy.enabled() {
        // System users without an account: their Unix mail spools.
        let legacy = Arc::new(crate::legacy::LegacyBackend::new(
            backend,
            config.legacy.clone(),
            config.auth.system.passwd_file.clone(),
            config.auth.system.min_uid,
        ));
        return crate::pop3::listen::service_from_config(config, legacy.clone(), legacy, sources)
            .map(Some);
    }
    crate::pop3::listen::service_from_config(config, backend.clone(), backend, sources).map(Some)
}

/// The authenticator of the servers other than POP3: the store's
/// credentials and the configured password sources.
fn authenticator(
    config: &Config,
    store: &Arc<crate::store::Store>,
    sources: Option<Arc<dyn crate::auth::PasswordSource>>,
) -> crate::auth::Authenticator {
    let backend = Arc::new(crate::pop3::store_maildrop::StoreBackend::new(Arc::clone(
        store,
    )));
    crate::auth::Authenticator::new(backend, sources).with_accounts(config.auth.accounts)
}

/// IMAP's authenticator: with `[legacy]` on, also the system users
/// without an account (their spool is their INBOX); else `auth`.
fn imap_authenticator(
    config: &Config,
    store: &Arc<crate::store::Store>,
    sources: Option<Arc<dyn crate::auth::PasswordSource>>,
    auth: &crate::auth::Authenticator,
) -> crate::auth::Authenticator {
    if !config.legacy.enabled() {
        return auth.clone();
    }
    let backend = Arc::new(crate::pop3::store_maildrop::StoreBackend::new(Arc::clone(
        store,
    )));
    let legacy = Arc::new(crate::legacy::LegacyBackend::new(
        backend,
        config.legacy.clone(),
        config.auth.system.passwd_file.clone(),
        config.auth.system.min_uid,
    ));
    crate::auth::Authenticator::new(legacy, sources).with_accounts(config.auth.accounts)
}

/// A service and its TLS certificate, when it has one (reloaded on
/// SIGHUP).
type WithCert<S, C> = Option<(Arc<S>, C)>;

/// The poppassd service, unless both its listeners are off.
fn poppassd_service(
    config: &Config,
    auth: crate::auth::Authenticator,
) -> anyhow::Result<
    WithCert<crate::poppassd::server::PoppassdService, Option<Arc<crate::tls::ReloadableCert>>>,
> {
    if config.listen.poppassd == Listen::Off && config.listen.poppassds == Listen::Off {
        return Ok(None);
    }
    let (tls, cert) = match config.listen.poppassds {
        Listen::Off => (None, None),
        _ => {
            let (acceptor, cert) = crate::netio::acceptor(config)?;
            (Some(acceptor), Some(cert))
        }
    };
    let service = crate::poppassd::server::PoppassdService::new(config.poppassd.clone(), auth, tls);
    Ok(Some((service, cert)))
}

/// The ManageSieve service over the store's scripts, unless it is off.
fn managesieve_service(
    config: &Config,
    store: &Arc<crate::store::Store>,
    auth: crate::auth::Authenticator,
) -> anyhow::Result<
    WithCert<crate::managesieve::server::ManageSieveService, Arc<crate::tls::ReloadableCert>>,
> {
    if config.listen.managesieve == Listen::Off {
        return Ok(None);
    }
    let scripts = Arc::new(crate::managesieve::scripts::StoreScripts::new(Arc::clone(
        store,
    )));
    let (acceptor, cert) = crate::netio::acceptor(config)?;
    let service = crate::managesieve::server::ManageSieveService::new(
        config.managesieve.clone(),
        scripts,
        auth,
        Some(acceptor),
    );
    Ok(Some((service, cert)))
}

/// Binds the poppassd listeners that are not `off` and adds them.
async fn add_poppassd(
    server: &mut crate::serve::Server,
    config: &Config,
    service: Arc<crate::poppassd::server::PoppassdService>,
) -> anyhow::Result<()> {
    let plain = crate::netio::bind("poppassd", &config.listen.poppassd).await?;
    let implicit = crate::netio::bind("poppassds", &config.listen.poppassds).await?;
    for (listener, tls, name) in [(plain, false, "poppassd"), (implicit, true, "poppassds")] {
        let Some(listener) = listener else { continue };
        let service = Arc::clone(&service);
        server.add_service(name, move |stop| {
            Box::pin(async move {
                Ok(crate::poppassd::server::run(listener, tls, service, stop).await?)
            })
        });
    }
    Ok(())
}

/// Binds the `[metrics] listen` endpoint, when it is not `off`, installs
/// the recorder and adds the endpoint to the server.
async fn add_metrics(server: &mut crate::serve::Server, config: &Config) -> anyhow::Result<()> {
    let Some(listener) = crate::metrics::bind(&config.metrics.listen).await? else {
        return Ok(());
    };
    let handle = crate::metrics::install()?;
    if let Ok(addr) = listener.local_addr() {
        server.add_listener("metrics", addr.to_string());
    }
    server.add_service("metrics", move |stop| {
        Box::pin(async move {
            crate::metrics::serve(listener, handle, stop).await;
            Ok(())
        })
    });
    Ok(())
}

/// Binds the web interface's listener, when it is not `off`, and adds it;
/// gives back its HTTPS certificate for the SIGHUP reload.
async fn add_web(
    server: &mut crate::serve::Server,
    config: &Config,
    store: Arc<crate::store::Store>,
    auth: crate::auth::Authenticator,
) -> anyhow::Result<Option<Arc<crate::tls::ReloadableCert>>> {
    let Some(listener) = crate::web::server::bind(config).await? else {
        return Ok(None);
    };
    let cert = listener.cert();
    if let Ok(addr) = listener.local_addr() {
        server.add_listener("web", addr.to_string());
    }
    let app = crate::web::App::new(
        store,
        config.web.clone(),
        listener.https(),
        server.tracked_sessions(),
        auth,
    )?;
    server.add_service("web", move |stop| {
        Box::pin(async move { crate::web::server::run(listener, app, stop).await })
    });
    Ok(cert)
}

/// Binds the POP3 and POP3S listeners that are not `off` and adds them to
/// the server, both served by `service`.
async fn add_pop3(
    server: &mut crate::serve::Server,
    config: &Config,
    service: Arc<crate::pop3::Pop3Service>,
) -> anyhow::Result<()> {
    use crate::pop3::ListenerKind;
    let plain = crate::pop3::listen::bind("POP3", &config.listen.pop3).await?;
    let implicit = crate::pop3::listen::bind("POP3S", &config.listen.pop3s).await?;
    server.track_sessions("pop3", Arc::clone(service.slots()));
    for (listener, kind, name) in [
        (plain, ListenerKind::Plain, "pop3"),
        (implicit, ListenerKind::Implicit, "pop3s"),
    ] {
        let Some(listener) = listener else { continue };
        if let Ok(addr) = listener.local_addr() {
            server.add_listener(name, addr.to_string());
        }
        let service = Arc::clone(&service);
        server.add_service(name, move |stop| {
            Box::pin(async move { Ok(crate::pop3::run(listener, kind, service, stop).await?) })
        });
    }
    Ok(())
}

/// Binds the IMAP and IMAPS listeners that are not `off` and adds them,
/// both served by `service`.
async fn add_imap(
    server: &mut crate::serve::Server,
    config: &Config,
    service: Arc<crate::imap::server::ImapService>,
) -> anyhow::Result<()> {
    use crate::imap::server::ListenerKind;
    let plain = crate::netio::bind("IMAP", &config.listen.imap).await?;
    let implicit = crate::netio::bind("IMAPS", &config.listen.imaps).await?;
    server.track_sessions("imap", Arc::clone(service.slots()));
    for (listener, kind, name) in [
        (plain, ListenerKind::Plain, "imap"),
        (implicit, ListenerKind::Implicit, "imaps"),
    ] {
        let Some(listener) = listener else { continue };
        if let Ok(addr) = listener.local_addr() {
            server.add_listener(name, addr.to_string());
        }
        let service = Arc::clone(&service);
        server.add_service(name, move |stop| {
            Box::pin(
                async move { Ok(crate::imap::server::run(listener, kind, service, stop).await?) },
            )
        });
    }
    Ok(())
}
