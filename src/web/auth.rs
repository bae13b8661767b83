//! Who is asking: an API token (`Authorization: Bearer`) or the session
//! cookie, then the account's profile as it is now (a MANAGE account acts
//! as a manager [`Actor`], as with the CLI's `--as`). Logins go through
//! the failed-login throttle of the other protocols.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};

use super::error::ApiError;
use super::{App, blocking};
use crate::store::flags::Flags;
use crate::store::groups::Actor;
use crate::store::password::Secret;

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An API token.
    Token,
    /// The browser session with this id and CSRF token.
    Session {
        /// The session id.
        id: String,
        /// Its CSRF token.
        csrf: String,
    },
}

/// An authenticated account.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account name.
    pub name: String,
    /// The owner, for greetings.
    pub owner: String,
    /// Its manager rights (`None`: a plain user, reaching only itself).
    pub manager: Option<Actor>,
    /// How it was authenticated.
    pub via: Via,
}

impl Principal {
    /// The manager actor, or 403.
    pub fn manager(&self) -> Result<&Actor, ApiError> {
        self.manager
            .as_ref()
            .ok_or_else(|| ApiError::forbidden("this needs a MANAGE account"))
    }

    /// The actor for an operation on `account` that a user may also do on
    /// itself: the account itself acts with full rights over its own
    /// account only; a manager acts as itself (the store checks reach).
    pub fn actor_for(&self, account: &str) -> Result<Actor, ApiError> {
        if account.eq_ignore_ascii_case(&self.name) {
            return Ok(Actor::Admin);
        }
        self.manager().cloned()
    }

    /// The CSRF token of the session (`None` for a token).
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }
}

/// The principal for an account name that has just been proven.
pub async fn principal(app: &Arc<App>, name: String, via: Via) -> Result<Principal, ApiError> {
    let store = Arc::clone(&app.store);
    let p = blocking(move || {
        let n = store.name(&name).ok()?;
        store.profile(&n).ok().flatten()
    })
    .await?
    .ok_or_else(ApiError::unauthorized)?;
    let f = p.flags();
    if f.contains(Flags::DISUSER) {
        return Err(ApiError::unauthorized());
    }
    let manager = f.contains(Flags::MANAGE).then(|| Actor::Manager {
        name: p.name.clone(),
        group: p.group_name(),
    });
    Ok(Principal {
        name: p.name,
        owner: p.owner,
        manager,
        via,
    })
}

/// The client's address.
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

impl FromRequestParts<Arc<App>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        if let Some(token) = bearer {
            let store = Arc::clone(&app.store);
            let ip = client_ip(parts);
            let found = blocking(move || store.check_token(&token)).await??;
            let Some(name) = found else {
                let wait = app.throttle.failed(ip, "(api token)");
                tokio::time::sleep(wait).await;
                return Err(ApiError::unauthorized());
            };
            return principal(app, name, Via::Token).await;
        }
        let id = super::session::cookie_id(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let s = app.sessions.get(&id).ok_or_else(ApiError::unauthorized)?;
        // A browser's cookie on a state-changing API call needs the CSRF
        // token too (scripts use tokens).
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        // The full path: a nested router sees its own part only.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |u| u.0.path().to_string());
        let is_api = path.starts_with("/api/");
        if is_api && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(s.csrf.as_str()) {
                return Err(ApiError::forbidden("missing or wrong X-CSRF-Token"));
            }
        }
        principal(app, s.account, Via::Session { id, csrf: s.csrf }).await
    }
}

/// Checks a password for a login from `ip`, holding the answer as the
/// throttle says; the account's name on success. The password is checked
/// where it is kept, as POP3 and IMAP check it: the profile, or the
/// `[auth] sources` (LDAP, PAM, system, external) for PWD_ELSEWHERE
/// accounts and with `accounts = "all"`. It is never logged.
pub async fn login(
    app: &Arc<App>,
    ip: IpAddr,
    name: &str,
    password: Secret,
) -> Result<String, ApiError> {
    let auth = app.auth.clone();
    let n = name.to_string();
    let (result, source) = blocking(move || check(&auth, &n, password)).await?;
    match result {
        Ok(account) => {
            crate::metrics::login("web", "FORM", source, true);
            tokio::time::sleep(app.throttle.succeeded(ip, name)).await;
            tracing::info!(account = %account, client = %ip, "web login");
            Ok(account)
        }
        Err(Refusal::Denied) => {
            crate::metrics::login("web", "FORM", source, false);
            tokio::time::sleep(app.throttle.failed(ip, name)).await;
            tracing::info!(client = %ip, "web login failed");
            Err(ApiError::unauthorized())
        }
        Err(Refusal::Unavailable(why)) => {
            tracing::warn!(client = %ip, "web login: the password could not be checked: {why}");
            Err(ApiError::internal())
        }
    }
}

/// Why a login was refused.
enum Refusal {
    /// Wrong name or password, or a disabled account.
    Denied,
    /// The store or a password source could not answer: try later.
    Unavailable(String),
}

/// The password check behind [`login`]: the account's stored name, and the
/// source that answered (for `popstore_logins_total`).
fn check(
    auth: &crate::auth::Authenticator,
    name: &str,
    password: Secret,
) -> (Result<String, Refusal>, &'static str) {
    use crate::auth::AuthFailure;
    let pw = crate::auth::Secret::new(password.expose().to_string());
    let r = auth.check_plain(name, &pw);
    let source = crate::auth::take_answered();
    let r = match r {
        Ok(account) => Ok(account),
        Err(AuthFailure::Temporary(why) | AuthFailure::Unavailable(why)) => {
            Err(Refusal::Unavailable(why))
        }
        Err(_) => Err(Refusal::Denied),
    };
    (r, source)
}
