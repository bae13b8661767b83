//! The user pages (any account): password and usage, vacation, simple
//! filters (the raw Sieve editor is in [`super::sieve`], the messages in
//! [`super::messages`]).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, PageError, PageUser, check_csrf, human, render};
use crate::store::flags::Flags;
use crate::store::groups::Actor;
use crate::store::password::Secret;
use crate::web::api::user::{read_managed, write_managed};
use crate::web::error::ApiError;
use crate::web::managed::{Filter, Managed, Vacation};
use crate::web::{App, blocking};

impl super::Named for PasswordPage {
    const NAME: &'static str = "password.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    locked: bool,
    min: u32,
    usage: String,
    quota: String,
    percent: u64,
}

async fn password_page(app: &Arc<App>, c: Chrome, name: &str) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let n = name.to_string();
    let (p, info) = blocking(move || {
        let p = store.existing(&store.name(&n)?)?;
        let info = store.show_account(&Actor::Admin, &n)?;
        Ok::<_, crate::store::StoreError>((p, info))
    })
    .await??;
    let percent = match info.quota {
        Some(q) if q > 0 => (info.usage.saturating_mul(100) / u64::from(q)).min(100),
        _ => 0,
    };
    Ok(render(
        app,
        &PasswordPage {
            c,
            locked: p.flags().contains(Flags::LOCKPWD),
            min: app.settings.min_password_length,
            usage: human(info.usage),
            quota: info
                .quota
                .map_or_else(|| "no quota".into(), |q| human(u64::from(q))),
            percent,
        },
    ))
}

/// GET /password: the form and the usage bar.
pub async fn password(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    password_page(&app, Chrome::of(&who), &who.name).await
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordPost {
    #[serde(default)]
    csrf: String,
    old: String,
    new: String,
    again: String,
}

impl std::fmt::Debug for PasswordPost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordPost")
    }
}

/// POST /password: the old password is checked (through the throttle),
/// LOCKPWD refused, the policy applied; other sessions end.
pub async fn change_password(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Form(f): Form<PasswordPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let c = Chrome::of(&who);
    if f.new != f.again {
        return password_page(&app, c.error("The two new passwords differ."), &who.name).await;
    }
    if let Err(e) = crate::web::api::accounts::check_password(&app, &f.new) {
        return password_page(&app, c.error(e.message), &who.name).await;
    }
    if crate::web::auth::login(&app, peer.ip(), &who.name, Secret::new(f.old.clone()))
        .await
        .is_err()
    {
        return password_page(&app, c.error("The current password is wrong."), &who.name).await;
    }
    let store = Arc::clone(&app.store);
    let auth = app.auth.clone();
    let name = who.name.clone();
    let (old, new) = (f.old, Secret::new(f.new));
    let r = blocking(move || -> Result<(), ApiError> {
        let locked = || {
            ApiError::from(crate::store::StoreError::Denied(
                "your password is locked (LOCKPWD): only a manager can change it".into(),
            ))
        };
        let p = store.existing(&store.name(&name)?)?;
        if p.flags().contains(Flags::LOCKPWD) {
            return Err(locked());
        }
        // Where the password is kept: the profile, or the source that
        // holds it (LDAP changes it; system passwords and PAM refuse), as
        // poppassd does.
        use crate::auth::{ChangeFailure, Secret as AuthSecret};
        let (old, new) = (
            AuthSecret::new(old),
            AuthSecret::new(new.expose().to_string()),
        );
        match auth.change_password(&name, &old, &new) {
            Ok(_) => Ok(()),
            Err(ChangeFailure::Locked) => Err(locked()),
            Err(ChangeFailure::Refused(why)) => Err(ApiError::forbidden(format!(
                "your password cannot be changed here: {why}"
            ))),
            Err(ChangeFailure::Auth(_)) => {
                Err(ApiError::forbidden("the current password is wrong"))
            }
            Err(ChangeFailure::Temporary(why)) => {
                tracing::warn!(account = %name, "web: password change failed: {why}");
                Err(ApiError::internal())
            }
        }
    })
    .await?;
    match r {
        Ok(()) => {
            let keep = match &who.via {
                crate::web::auth::Via::Session { id, .. } => Some(id.as_str()),
                crate::web::auth::Via::Token => None,
            };
            app.sessions.remove_account(&who.name, keep);
            password_page(&app, c.notice("Your password is changed."), &who.name).await
        }
        Err(e) => password_page(&app, c.error(e.message), &who.name).await,
    }
}

impl super::Named for VacationPage {
    const NAME: &'static str = "vacation.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "vacation.html")]
struct VacationPage {
    c: Chrome,
    v: Vacation,
}

/// GET /vacation.
pub async fn vacation(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let m = blocking(move || read_managed(&store, &Actor::Admin, &name)).await??;
    let mut v = m.vacation;
    if v.days == 0 {
        v.days = 7;
    }
    Ok(render(
        &app,
        &VacationPage {
            c: Chrome::of(&who),
            v,
        },
    ))
}

/// The vacation form.
#[derive(Debug, Deserialize)]
pub struct VacationPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    days: String,
}

async fn save_managed(
    app: &Arc<App>,
    name: &str,
    change: impl FnOnce(&mut Managed) + Send + 'static,
) -> Result<Result<Managed, String>, PageError> {
    let store = Arc::clone(&app.store);
    let name = name.to_string();
    Ok(blocking(move || {
        let mut m = read_managed(&store, &Actor::Admin, &name).map_err(|e| e.to_string())?;
        change(&mut m);
        write_managed(&store, &Actor::Admin, &name, &m).map_err(|e| e.to_string())?;
        Ok(m)
    })
    .await?)
}

/// POST /vacation: kept as the managed Sieve script.
pub async fn save_vacation(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<VacationPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let v = Vacation {
        enabled: f.enabled.is_some(),
        subject: f.subject.trim().to_string(),
        text: f.text.replace("\r\n", "\n"),
        start: f.start.trim().to_string(),
        end: f.end.trim().to_string(),
        addresses: f
            .addresses
            .split([',', ' '])
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        days: f.days.trim().parse().unwrap_or(7).max(1),
    };
    let shown = v.clone();
    let c = Chrome::of(&who);
    let c = match save_managed(&app, &who.name, move |m| m.vacation = v).await? {
        Ok(_) => c.notice("The vacation notice is saved."),
        Err(e) => c.error(e),
    };
    Ok(render(&app, &VacationPage { c, v: shown }))
}

impl super::Named for FiltersPage {
    const NAME: &'static str = "filters.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "filters.html")]
struct FiltersPage {
    c: Chrome,
    filters: Vec<Filter>,
    script: String,
}

/// GET /filters.
pub async fn filters(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let m = blocking(move || read_managed(&store, &Actor::Admin, &name)).await??;
    Ok(render(
        &app,
        &FiltersPage {
            c: Chrome::of(&who),
            script: m.script(),
            filters: m.filters,
        },
    ))
}

/// A new filter.
#[derive(Debug, Deserialize)]
pub struct FilterPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    header: String,
    #[serde(default)]
    test: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    argument: String,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    index: Option<usize>,
}

async fn filters_after(
    app: &Arc<App>,
    who: &crate::web::auth::Principal,
    change: impl FnOnce(&mut Managed) + Send + 'static,
) -> Result<Response, PageError> {
    let c = Chrome::of(who);
    let (c, m) = match save_managed(app, &who.name, change).await? {
        Ok(m) => (c.notice("The filters are saved."), m),
        Err(e) => {
            let store = Arc::clone(&app.store);
            let name = who.name.clone();
            let m = blocking(move || read_managed(&store, &Actor::Admin, &name)).await??;
            (c.error(e), m)
        }
    };
    Ok(render(
        app,
        &FiltersPage {
            c,
            script: m.script(),
            filters: m.filters,
        },
    ))
}

/// POST /filters: adds a filter to the managed script.
pub async fn add_filter(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<FilterPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let filter = Filter {
        header: f.header,
        test: f.test,
        value: f.value,
        action: f.action,
        argument: f.argument.trim().to_string(),
        stop: f.stop.is_some(),
    };
    filters_after(&app, &who, move |m| m.filters.push(filter)).await
}

/// POST /filters/delete.
pub async fn delete_filter(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<FilterPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let i = f.index.unwrap_or(usize::MAX);
    filters_after(&app, &who, move |m| {
        if i < m.filters.len() {
            m.filters.remove(i);
        }
    })
    .await
}
