//! The web interface and the HTTP API of `popstore serve` (issue 15).
//!
//! One axum router on `[listen] web` (default `127.0.0.1:8080`, HTTPS with
//! the `[tls]` certificate when `[web] tls = true`):
//!
//! - [`api`]: the JSON API under `/api/v1`, described by the OpenAPI
//!   document at `/api/v1/openapi.json` (generated from the handlers by
//!   utoipa); authenticated by an API token (`Authorization: Bearer`,
//!   [`crate::store::tokens`]) or the browser session.
//! - [`pages`]: server-side pages (askama templates in `templates/`,
//!   auto-escaping, no script) for managers and users.
//! - [`session`]: server-side sessions with CSRF tokens; [`auth`]: who is
//!   asking, with the failed-login throttle; [`server`]: the listener,
//!   TLS and the security headers.
//!
//! Permissions are the store's: every management call passes the
//! manager's [`crate::store::groups::Actor`] to the store API, which
//! refuses what is outside its reach, exactly as for the CLI's `--as`.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub mod api;
pub mod auth;
pub mod error;
pub mod folder_mail;
pub mod mail;
pub mod managed;
pub mod overrides;
pub mod pages;
pub mod parts;
pub mod server;
pub mod session;
pub mod totals;

/// `[web]`: the web interface and HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Serve HTTPS with the `[tls]` certificate.
    pub tls: bool,
    /// Serve plain HTTP on a non-loopback address.
    pub allow_plaintext: bool,
    /// A directory of the site's own templates (Jinja, replacing the
    /// built-in page of the same name) and `style.css`; empty for none.
    pub templates: PathBuf,
    /// Seconds a session lives without a request.
    pub session_ttl: u64,
    /// The shortest new password accepted.
    pub min_password_length: u32,
    /// The delay after the second failed login from one address (ms).
    pub auth_failure_delay_ms: u64,
    /// The longest such delay (ms).
    pub auth_failure_max_delay_ms: u64,
}

/// Everything a request handler needs, shared.
#[derive(Debug)]
pub struct App {
    /// The store.
    pub store: Arc<crate::store::Store>,
    /// `[web]`.
    pub settings: WebSettings,
    /// Browser sessions.
    pub sessions: session::Sessions,
    /// Failed logins per client address.
    pub throttle: crate::auth::throttle::AuthThrottle,
    /// Whether the listener serves HTTPS (cookies get `Secure`).
    pub https: bool,
    /// The open sessions per protocol, for the store summary.
    pub activity: Vec<(&'static str, Arc<crate::slots::Slots>)>,
    /// The stylesheet served at `/static/style.css`.
    pub stylesheet: String,
    /// The site's own templates (`[web] templates`).
    pub overrides: overrides::Overrides,
    /// The store's last count, for the dashboard and the summary.
    pub totals: Arc<totals::Totals>,
    /// Checks and changes passwords where they are kept (the profile or
    /// the `[auth] sources`), as POP3, IMAP and poppassd do.
    pub auth: crate::auth::Authenticator,
}

/// The built-in stylesheet.
pub const STYLESHEET: &str = include_str!("../../templates/style.css");

impl App {
    /// The shared state of a web service over `store`.
    pub fn new(
        store: Arc<crate::store::Store>,
        settings: WebSettings,
        https: bool,
        activity: Vec<(&'static str, Arc<crate::slots::Slots>)>,
        auth: crate::auth::Authenticator,
    ) -> anyhow::Result<Arc<App>> {
        let overrides = overrides::Overrides::load(&settings.templates)?;
        let stylesheet = (!settings.templates.as_os_str().is_empty())
            .then(|| std::fs::read_to_string(settings.templates.join("style.css")).ok())
            .flatten()
            .unwrap_or_else(|| STYLESHEET.to_string());
        Ok(Arc::new(App {
            store,
            overrides,
            sessions: session::Sessions::new(std::time::Duration::from_secs(settings.session_ttl)),
            throttle: crate::auth::throttle::AuthThrottle::new(
                std::time::Duration::from_millis(settings.auth_failure_delay_ms),
                std::time::Duration::from_millis(settings.auth_failure_max_delay_ms),
            ),
            settings,
            https,
            activity,
            stylesheet,
            totals: Arc::default(),
            auth,
        }))
    }

    /// The whole router: pages, API, static files.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
            .merge(pages::router())
            .nest("/api/v1", api::router())
            .layer(axum::middleware::from_fn(server::security_headers))
            .with_state(Arc::clone(self))
    }
}

/// Runs a blocking store call off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, error::ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| error::ApiError::internal())
}
