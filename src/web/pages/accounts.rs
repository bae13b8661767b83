//! The accounts pages (MANAGE accounts): the list with search, wildcards
//! and paging; add, edit (one atomic change) and delete.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageError, PageUser, check_csrf, render};
use crate::store::AccountInfo;
use crate::web::api::accounts::{AccountInput, AccountPage, changes, page};
use crate::web::{App, blocking};

/// Accounts per page of the list.
pub const PAGE: usize = 50;

/// The list's query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    offset: usize,
}

impl super::Named for Accounts {
    const NAME: &'static str = "accounts.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "accounts.html")]
struct Accounts {
    c: Chrome,
    q: String,
    page: AccountPage,
    offset: usize,
    prev: usize,
}

/// GET /accounts?q=PATTERN&offset=N. A plain word is searched as
/// `*word*`.
pub async fn accounts(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let actor = who.manager()?.clone();
    let pattern = match q.q.trim() {
        "" => "*".to_string(),
        p if crate::store::name::Pattern::is_wild(p) => p.to_string(),
        p => format!("*{p}*"),
    };
    let store = Arc::clone(&app.store);
    let offset = q.offset;
    let page = blocking(move || page(&store, &actor, &pattern, offset, PAGE)).await??;
    Ok(render(
        &app,
        &Accounts {
            c: Chrome::of(&who),
            q: q.q,
            page,
            offset,
            prev: offset.saturating_sub(PAGE),
        },
    ))
}

impl super::Named for AccountForm {
    const NAME: &'static str = "account.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "account.html")]
struct AccountForm {
    c: Chrome,
    new: bool,
    name: String,
    owner: String,
    group: String,
    groups: Vec<String>,
    quota: String,
    overdraft: String,
    flags: String,
    store_type: String,
    info: Option<AccountInfo>,
}

/// The account form as posted.
#[derive(Debug, Deserialize)]
pub struct AccountPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    quota: String,
    #[serde(default)]
    overdraft: String,
    #[serde(default)]
    flags: String,
    #[serde(default)]
    store_type: String,
    #[serde(default)]
    password: String,
}

fn limit_text(v: Option<u32>) -> String {
    v.map_or_else(|| "none".into(), |b| b.to_string())
}

async fn group_names(app: &Arc<App>) -> Result<Vec<String>, PageError> {
    let store = Arc::clone(&app.store);
    let t = blocking(move || store.group_tree()).await??;
    let mut v: Vec<String> = t.pairs().map(|(g, _)| g.to_string()).collect();
    v.sort();
    Ok(v)
}

async fn form_page(
    app: &Arc<App>,
    c: Chrome,
    name: &str,
    info: Option<AccountInfo>,
    posted: Option<&AccountPost>,
) -> Result<Response, PageError> {
    let groups = group_names(app).await?;
    let new = info.is_none();
    let f = match (posted, &info) {
        (Some(p), _) => AccountForm {
            c,
            new,
            name: name.to_string(),
            owner: p.owner.clone(),
            group: p.group.clone(),
            groups,
            quota: p.quota.clone(),
            overdraft: p.overdraft.clone(),
            flags: p.flags.clone(),
            store_type: p.store_type.clone(),
            info,
        },
        (None, Some(i)) => AccountForm {
            c,
            new,
            name: name.to_string(),
            owner: i.owner.clone(),
            group: i.group.clone().unwrap_or_default(),
            groups,
            quota: limit_text(i.quota),
            overdraft: limit_text(i.overdraft),
            flags: i.flags.join(","),
            store_type: serde_json::to_value(i.store_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            info: info.clone(),
        },
        (None, None) => AccountForm {
            c,
            new,
            name: String::new(),
            owner: String::new(),
            group: String::new(),
            groups,
            quota: String::new(),
            overdraft: String::new(),
            flags: String::new(),
            store_type: "pop".into(),
            info: None,
        },
    };
    Ok(render(app, &f))
}

/// GET /accounts/new.
pub async fn new_account(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    who.manager()?;
    form_page(&app, Chrome::of(&who), "", None, None).await
}

fn input(p: &AccountPost, new: bool, old_flags: &[String]) -> AccountInput {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    // The flags field lists the flags the account is to have: those left
    // out are cleared.
    let wanted: Vec<String> = p
        .flags
        .split([',', ' '])
        .filter(|f| !f.is_empty())
        .map(|f| f.to_ascii_uppercase())
        .collect();
    let mut change: Vec<String> = wanted.clone();
    for f in old_flags {
        if !wanted.contains(f) && !f.starts_with("NO-") {
            change.push(format!("NO-{f}"));
        }
    }
    AccountInput {
        name: None,
        owner: Some(p.owner.clone()),
        group: Some(p.group.clone()),
        quota: opt(&p.quota),
        overdraft: opt(&p.overdraft),
        flags: (!change.is_empty()).then(|| change.join(",")),
        store_type: if new { opt(&p.store_type) } else { None },
        private: None,
        password: opt(&p.password),
        pwd_expired: None,
    }
}

/// POST /accounts/new.
pub async fn create(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(p): Form<AccountPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &p.csrf)?;
    let actor = who.manager()?.clone();
    let name = p.name.trim().to_string();
    let result = match changes(&app, input(&p, true, &[])) {
        Ok(ch) => {
            let store = Arc::clone(&app.store);
            let n = name.clone();
            blocking(move || store.create_account(&actor, &n, &ch).map(|_| ()))
                .await?
                .map_err(Into::into)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{}", urlencode(&name))).into_response()),
        Err(e) => {
            form_page(
                &app,
                Chrome::of(&who).error(e.message),
                &name,
                None,
                Some(&p),
            )
            .await
        }
    }
}

/// `s` percent-encoded for a URL path segment or query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// GET /accounts/NAME.
pub async fn account(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let n = name.clone();
    let info = blocking(move || store.show_account(&actor, &n)).await??;
    form_page(&app, Chrome::of(&who), &name, Some(info), None).await
}

/// POST /accounts/NAME: one atomic change of the profile.
pub async fn save(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(name): Path<String>,
    Form(p): Form<AccountPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &p.csrf)?;
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let (n, a) = (name.clone(), actor.clone());
    let before = blocking(move || store.show_account(&a, &n)).await??;
    let result = match changes(&app, input(&p, false, &before.flags)) {
        Ok(ch) => {
            let store = Arc::clone(&app.store);
            let n = name.clone();
            blocking(move || store.modify_account(&actor, &n, &ch).map(|_| ()))
                .await?
                .map_err(Into::into)
        }
        Err(e) => Err(e),
    };
    let store = Arc::clone(&app.store);
    let n = name.clone();
    let actor = who.manager()?.clone();
    let after = blocking(move || store.show_account(&actor, &n)).await?.ok();
    match (result, after) {
        (Ok(()), Some(i)) => {
            form_page(
                &app,
                Chrome::of(&who).notice("Saved."),
                &name,
                Some(i),
                None,
            )
            .await
        }
        (Ok(()), None) => Ok(Redirect::to("/accounts").into_response()),
        (Err(e), _) => {
            let c = Chrome::of(&who).error(e.message);
            form_page(&app, c, &name, Some(before), Some(&p)).await
        }
    }
}

/// POST /accounts/NAME/delete.
pub async fn delete(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(name): Path<String>,
    Form(f): Form<super::login::CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&who, f.csrf())?;
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    blocking(move || store.delete_account(&actor, &name, crate::store::DeleteMode::default()))
        .await??;
    Ok(Redirect::to("/accounts").into_response())
}
