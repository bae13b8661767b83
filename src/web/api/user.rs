//! `/api/v1` for every account: its own messages, usage, vacation notice,
//! Sieve scripts and API tokens (managers reach those of the accounts in
//! their groups, except the messages, which are the user's own).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::sieve::ScriptEntry;
use crate::store::tokens::TokenInfo;
use crate::web::auth::Principal;
use crate::web::error::ApiError;
use crate::web::mail::{self, MessagePage};
use crate::web::managed::{self, Managed, Vacation};
use crate::web::{App, blocking};

/// Paging of the message list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Messages to skip.
    pub offset: Option<usize>,
    /// Messages per page (default 50, at most 500).
    pub limit: Option<usize>,
}

/// Usage against quota.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    /// Messages held.
    pub messages: u64,
    /// Bytes held.
    pub usage: u64,
    /// Quota in bytes; `null` unlimited.
    pub quota: Option<u32>,
    /// Overdraft in bytes; `null` none.
    pub overdraft: Option<u32>,
}

/// A new token's label.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// What the token is for.
    #[serde(default)]
    pub label: String,
}

/// A new token, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    /// The token to send as `Authorization: Bearer`.
    pub token: String,
}

fn not_found_message(e: crate::store::StoreError) -> ApiError {
    match e {
        crate::store::StoreError::Invalid(m) if m.starts_with("no message") => {
            ApiError::not_found(m)
        }
        e => e.into(),
    }
}

/// The caller's messages, newest first.
#[utoipa::path(get, path = "/api/v1/messages", params(Paging), tag = "messages",
    responses((status = 200, body = MessagePage), (status = 401), (status = 409)))]
pub async fn messages(
    State(app): State<Arc<App>>,
    who: Principal,
    Query(p): Query<Paging>,
) -> Result<Json<MessagePage>, ApiError> {
    let store = Arc::clone(&app.store);
    let (offset, limit) = (p.offset.unwrap_or(0), p.limit.unwrap_or(50).clamp(1, 500));
    Ok(Json(
        blocking(move || mail::list(&store, &who.name, offset, limit)).await??,
    ))
}

/// One of the caller's messages (message/rfc822), marked seen.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "the message's UIDL")),
    responses((status = 200, content_type = "message/rfc822"), (status = 401), (status = 404)))]
pub async fn message(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let store = Arc::clone(&app.store);
    let bytes = blocking(move || mail::fetch(&store, &who.name, &id))
        .await?
        .map_err(not_found_message)?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"message.eml\"",
            ),
        ],
        bytes,
    ))
}

/// Delete one of the caller's messages.
#[utoipa::path(delete, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "the message's UIDL")),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete_message(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = Arc::clone(&app.store);
    blocking(move || mail::delete(&store, &who.name, &id))
        .await?
        .map_err(not_found_message)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's usage against its quota.
#[utoipa::path(get, path = "/api/v1/accounts/{name}/usage", tag = "accounts",
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = Usage), (status = 401), (status = 403), (status = 404)))]
pub async fn usage(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Json<Usage>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    let i = blocking(move || store.show_account(&actor, &name)).await??;
    Ok(Json(Usage {
        messages: i.messages,
        usage: i.usage,
        quota: i.quota,
        overdraft: i.overdraft,
    }))
}

/// Reads the managed script's settings of `name`.
pub fn read_managed(
    store: &crate::store::Store,
    actor: &crate::store::groups::Actor,
    name: &str,
) -> crate::store::Result<Managed> {
    let listed = store.sieve_list(actor, name)?;
    if !listed.iter().any(|s| s.name == managed::SCRIPT) {
        return Ok(Managed::default());
    }
    let text = store.sieve_get(actor, name, managed::SCRIPT)?;
    Ok(Managed::from_script(&String::from_utf8_lossy(&text)))
}

/// Saves the managed script of `name` and makes it the active one; the
/// user's own script that was active goes on running after it (included
/// at its end), so the pages never switch off the user's rules.
pub fn write_managed(
    store: &crate::store::Store,
    actor: &crate::store::groups::Actor,
    name: &str,
    m: &Managed,
) -> crate::store::Result<()> {
    m.check().map_err(crate::store::StoreError::Invalid)?;
    let mut m = m.clone();
    let listed = store.sieve_list(actor, name)?;
    m.include = match listed.iter().find(|s| s.active) {
        // The user's own script is active: it runs after ours.
        Some(s) if s.name != managed::SCRIPT => s.name.clone(),
        // Ours is active: it keeps what it included.
        Some(_) => read_managed(store, actor, name)?.include,
        None => String::new(),
    };
    store.sieve_put(actor, name, managed::SCRIPT, m.script().as_bytes())?;
    store.sieve_activate(actor, name, Some(managed::SCRIPT))
}

/// An account's vacation notice.
#[utoipa::path(get, path = "/api/v1/accounts/{name}/vacation", tag = "sieve",
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = Vacation), (status = 401), (status = 403), (status = 404)))]
pub async fn vacation(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Json<Vacation>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || read_managed(&store, &actor, &name))
            .await??
            .vacation,
    ))
}

/// Set an account's vacation notice (kept in its managed Sieve script,
/// which becomes the active one).
#[utoipa::path(put, path = "/api/v1/accounts/{name}/vacation", tag = "sieve", request_body = Vacation,
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = Vacation), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn set_vacation(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
    Json(v): Json<Vacation>,
) -> Result<Json<Vacation>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    let out = v.clone();
    blocking(move || {
        let mut m = read_managed(&store, &actor, &name)?;
        m.vacation = v;
        write_managed(&store, &actor, &name, &m)
    })
    .await??;
    Ok(Json(out))
}

/// An account's Sieve scripts.
#[utoipa::path(get, path = "/api/v1/accounts/{name}/sieve", tag = "sieve",
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = Vec<ScriptEntry>), (status = 401), (status = 403), (status = 404)))]
pub async fn scripts(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Json<Vec<ScriptEntry>>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || store.sieve_list(&actor, &name)).await??,
    ))
}

/// One Sieve script's text.
#[utoipa::path(get, path = "/api/v1/accounts/{name}/sieve/{script}", tag = "sieve",
    params(("name" = String, Path, description = "account name"), ("script" = String, Path, description = "script name")),
    responses((status = 200, content_type = "application/sieve"), (status = 401), (status = 403), (status = 404)))]
pub async fn script(
    State(app): State<Arc<App>>,
    who: Principal,
    Path((name, script)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    let text = blocking(move || {
        let known = store.sieve_list(&actor, &name)?;
        if !known.iter().any(|s| s.name == script) {
            return Ok(None);
        }
        store.sieve_get(&actor, &name, &script).map(Some)
    })
    .await??
    .ok_or_else(|| ApiError::not_found("no such script"))?;
    Ok((
        [(header::CONTENT_TYPE, "application/sieve; charset=utf-8")],
        text,
    ))
}

/// Store a Sieve script (checked by the engine: errors give line and
/// column); `?activate=true` makes it the active one.
#[utoipa::path(put, path = "/api/v1/accounts/{name}/sieve/{script}", tag = "sieve",
    request_body(content = String, content_type = "application/sieve"),
    params(("name" = String, Path, description = "account name"), ("script" = String, Path, description = "script name"),
        ("activate" = Option<bool>, Query, description = "make it the active script")),
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn put_script(
    State(app): State<Arc<App>>,
    who: Principal,
    Path((name, script)): Path<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    let activate = q.get("activate").is_some_and(|v| v == "true");
    blocking(move || {
        store.sieve_put(&actor, &name, &script, &body)?;
        if activate {
            store.sieve_activate(&actor, &name, Some(&script))?;
        }
        Ok::<_, crate::store::StoreError>(())
    })
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a Sieve script.
#[utoipa::path(delete, path = "/api/v1/accounts/{name}/sieve/{script}", tag = "sieve",
    params(("name" = String, Path, description = "account name"), ("script" = String, Path, description = "script name")),
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn delete_script(
    State(app): State<Arc<App>>,
    who: Principal,
    Path((name, script)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    blocking(move || store.sieve_delete(&actor, &name, &script)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens (managers: those of the accounts they reach).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401)))]
pub async fn tokens(
    State(app): State<Arc<App>>,
    who: Principal,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || match &who.manager {
            Some(m) => store.list_tokens(m, None),
            None => store.list_tokens(&crate::store::groups::Actor::Admin, Some(&who.name)),
        })
        .await??,
    ))
}

/// Create an API token for the caller (shown once).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenInput,
    responses((status = 201, body = NewToken), (status = 401)))]
pub async fn create_token(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(t): Json<TokenInput>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let store = Arc::clone(&app.store);
    let token = blocking(move || {
        store.create_token(&crate::store::groups::Actor::Admin, &who.name, &t.label)
    })
    .await??;
    Ok((StatusCode::CREATED, Json(NewToken { token })))
}

/// Revoke an API token (the caller's, or a manager's within reach).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "the token's id")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn revoke_token(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = Arc::clone(&app.store);
    blocking(move || {
        let mine = store
            .list_tokens(&crate::store::groups::Actor::Admin, Some(&who.name))?
            .iter()
            .any(|t| t.id == id);
        match (&who.manager, mine) {
            (_, true) => store.revoke_token(&crate::store::groups::Actor::Admin, &id),
            (Some(m), false) => store.revoke_token(m, &id),
            (None, false) => Err(crate::store::StoreError::Invalid(format!("no token {id}"))),
        }
    })
    .await?
    .map_err(|e| match e {
        crate::store::StoreError::Invalid(m) if m.starts_with("no token") => ApiError::not_found(m),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}
