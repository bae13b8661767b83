//! `/api/v1/accounts`: list (pattern, paging), show, add, modify, delete,
//! password. Managers act through the store's reach checks; a user may
//! show its own account and set its own password.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::flags::{FlagChange, Flags};
use crate::store::groups::{Actor, GroupName};
use crate::store::password::Secret;
use crate::store::units::SizeLimit;
use crate::store::{AccountChanges, AccountInfo, DeleteMode, StoreType};
use crate::store::{Store, name::Pattern};
use crate::web::auth::Principal;
use crate::web::error::ApiError;
use crate::web::{App, blocking};

/// The list's query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// A name or wildcard pattern (`*`, `%`, `?`); all when absent.
    pub pattern: Option<String>,
    /// Accounts to skip (from a previous page's `next_offset`).
    pub offset: Option<usize>,
    /// Accounts per page (default 50, at most 1000).
    pub limit: Option<usize>,
}

/// One page of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    /// The accounts of this page.
    pub accounts: Vec<AccountInfo>,
    /// The offset of the next page; `null` on the last.
    pub next_offset: Option<usize>,
}

/// The settings of an account to add or change; absent fields are left
/// as they are (on add: as the template has them).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The name (add only).
    pub name: Option<String>,
    /// The owner (full name).
    pub owner: Option<String>,
    /// The group; `""` for none.
    pub group: Option<String>,
    /// The quota: bytes, `10m`, `1g`, or `none`.
    pub quota: Option<String>,
    /// The overdraft, as the quota.
    pub overdraft: Option<String>,
    /// Flags to set and clear: `MANAGE,NO-LOCKPWD`.
    pub flags: Option<String>,
    /// `pop` or `imap`.
    pub store_type: Option<String>,
    /// Site-defined private data.
    pub private: Option<String>,
    /// A new password.
    pub password: Option<String>,
    /// Mark the password expired.
    pub pwd_expired: Option<bool>,
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// The new password.
    pub password: String,
}

/// Checks a new password against the policy.
pub fn check_password(app: &App, pw: &str) -> Result<(), ApiError> {
    if pw.chars().count() < app.settings.min_password_length as usize {
        return Err(ApiError::bad_request(format!(
            "the password must have at least {} characters",
            app.settings.min_password_length
        )));
    }
    Ok(())
}

/// Turns input into the store's changes, refusing bad values before
/// anything changes.
pub fn changes(app: &App, i: AccountInput) -> Result<AccountChanges, ApiError> {
    let bad = |e: String| ApiError::bad_request(e);
    let size = |s: Option<String>| -> Result<Option<SizeLimit>, ApiError> {
        s.map(|s| s.parse::<SizeLimit>().map_err(|e| bad(e.to_string())))
            .transpose()
    };
    if let Some(p) = &i.password {
        check_password(app, p)?;
    }
    Ok(AccountChanges {
        message_limit: None,
        owner: i.owner,
        group: i
            .group
            .map(|g| match g.trim() {
                "" => Ok(None),
                g => GroupName::new(g).map(Some).map_err(|e| bad(e.to_string())),
            })
            .transpose()?,
        quota: size(i.quota)?,
        overdraft: size(i.overdraft)?,
        flags: i
            .flags
            .map(|f| FlagChange::parse(&f).map_err(|e| bad(e.to_string())))
            .transpose()?,
        store_type: i
            .store_type
            .map(|t| {
                <StoreType as clap::ValueEnum>::from_str(&t, true)
                    .map_err(|_| bad(format!("store type {t:?}: give pop or imap")))
            })
            .transpose()?,
        private: i.private,
        password: i.password.map(Secret::new),
        verifiers: None,
        pwd_expired: i.pwd_expired,
    })
}

/// One page of the accounts `actor` reaches whose names match `pattern`,
/// in the store's walk order; only the page's accounts are read in full.
pub fn page(
    store: &Store,
    actor: &Actor,
    pattern: &str,
    offset: usize,
    limit: usize,
) -> crate::store::Result<AccountPage> {
    let pat = Pattern::new(pattern);
    let tree = store.group_tree()?;
    let mut seen = 0usize;
    let mut accounts = Vec::new();
    let mut next_offset = None;
    for p in store.profiles_matching(pat.clone()) {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "web: account list skips a damaged profile");
                continue;
            }
        };
        if !pat.matches(&p.name) || !actor.may_manage(&tree, p.group_name().as_ref()) {
            continue;
        }
        if seen >= offset {
            if accounts.len() == limit {
                next_offset = Some(seen);
                break;
            }
            accounts.push(store.info(p)?);
        }
        seen += 1;
    }
    Ok(AccountPage {
        accounts,
        next_offset,
    })
}

/// List the accounts (managers: those within reach).
#[utoipa::path(get, path = "/api/v1/accounts", params(ListQuery), tag = "accounts",
    responses((status = 200, body = AccountPage), (status = 401), (status = 403)))]
pub async fn list(
    State(app): State<Arc<App>>,
    who: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<AccountPage>, ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let pattern = q.pattern.unwrap_or_else(|| "*".into());
    let (offset, limit) = (q.offset.unwrap_or(0), q.limit.unwrap_or(50).clamp(1, 1000));
    Ok(Json(
        blocking(move || page(&store, &actor, &pattern, offset, limit)).await??,
    ))
}

/// Show one account.
#[utoipa::path(get, path = "/api/v1/accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = AccountInfo), (status = 401), (status = 403), (status = 404)))]
pub async fn show(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Json<AccountInfo>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || store.show_account(&actor, &name)).await??,
    ))
}

/// Add an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses((status = 201, body = AccountInfo), (status = 400), (status = 401), (status = 403), (status = 409)))]
pub async fn add(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(input): Json<AccountInput>,
) -> Result<(StatusCode, Json<AccountInfo>), ApiError> {
    let actor = who.manager()?.clone();
    let name = input
        .name
        .clone()
        .ok_or_else(|| ApiError::bad_request("`name` is required"))?;
    let ch = changes(&app, input)?;
    let store = Arc::clone(&app.store);
    let info = blocking(move || {
        store.create_account(&actor, &name, &ch)?;
        store.show_account(&actor, &name)
    })
    .await??;
    Ok((StatusCode::CREATED, Json(info)))
}

/// Change an account's settings (one atomic change).
#[utoipa::path(patch, path = "/api/v1/accounts/{name}", tag = "accounts", request_body = AccountInput,
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = AccountInfo), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn modify(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
    Json(input): Json<AccountInput>,
) -> Result<Json<AccountInfo>, ApiError> {
    let actor = who.manager()?.clone();
    if input.name.is_some() {
        return Err(ApiError::bad_request("an account is not renamed by PATCH"));
    }
    let ch = changes(&app, input)?;
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || {
            store.modify_account(&actor, &name, &ch)?;
            store.show_account(&actor, &name)
        })
        .await??,
    ))
}

/// Delete an account and its messages.
#[utoipa::path(delete, path = "/api/v1/accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "account name")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    blocking(move || store.delete_account(&actor, &name, DeleteMode::default())).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Set an account's password (a user its own, unless LOCKPWD).
#[utoipa::path(put, path = "/api/v1/accounts/{name}/password", tag = "accounts",
    request_body = PasswordInput, params(("name" = String, Path, description = "account name")),
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn password(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
    Json(input): Json<PasswordInput>,
) -> Result<StatusCode, ApiError> {
    check_password(&app, &input.password)?;
    let own = name.eq_ignore_ascii_case(&who.name);
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    let account = name.clone();
    blocking(move || {
        if own && who.manager.is_none() {
            let p = store.existing(&store.name(&name)?)?;
            if p.flags().contains(Flags::LOCKPWD) {
                return Err(crate::store::StoreError::Denied(
                    "the password is locked (LOCKPWD)".into(),
                ));
            }
        }
        store.set_password(&actor, &name, &Secret::new(input.password))
    })
    .await??;
    app.sessions
        .remove_account(&account.to_ascii_lowercase(), None);
    Ok(StatusCode::NO_CONTENT)
}
