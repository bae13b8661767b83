//! `/api/v1` for managers: groups, forwarding, the store summary and
//! `verify`'s report.

use std::sync::Arc;

use axum::Json;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::forward::ForwardEntry;
use crate::store::groups::Actor;
use crate::web::auth::Principal;
use crate::web::error::ApiError;
use crate::web::{App, blocking};

/// A group and its parent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// Its parent; `null` at the top.
    pub parent: Option<String>,
}

/// A forwarding to add or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardInput {
    /// The forwarded name (`john` or `john@example.org`).
    pub name: String,
    /// Where its mail goes.
    pub targets: Vec<String>,
}

/// The store at a glance (the accounts within the manager's reach), as
/// counted at `counted_at`.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Summary {
    /// Accounts.
    pub accounts: u64,
    /// Messages held.
    pub messages: u64,
    /// Bytes held.
    pub bytes: u64,
    /// Accounts whose files could not be read (`verify` says why); not in
    /// the other figures.
    pub unreadable: u64,
    /// When the accounts were counted (Unix seconds).
    pub counted_at: i64,
    /// How long the count took, in milliseconds.
    pub count_ms: u64,
    /// Sessions open now, per protocol (`web`: browser sessions).
    pub sessions: std::collections::BTreeMap<String, u64>,
}

/// How old a summary may be.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SummaryQuery {
    /// Seconds: a count at most this old will do (a count of a large store
    /// takes seconds). Without it the store is counted now.
    pub max_age: Option<u64>,
}

/// `verify`'s findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyReport {
    /// Problems: `path: reason`.
    pub problems: Vec<String>,
    /// Findings that are not problems.
    pub notes: Vec<String>,
    /// Accounts found.
    pub accounts: u64,
    /// Message files found.
    pub messages: u64,
    /// Files read.
    pub files: u64,
}

/// The groups, each with its parent.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups",
    responses((status = 200, body = Vec<Group>), (status = 401), (status = 403)))]
pub async fn groups(
    State(app): State<Arc<App>>,
    who: Principal,
) -> Result<Json<Vec<Group>>, ApiError> {
    who.manager()?;
    let store = Arc::clone(&app.store);
    let tree = blocking(move || store.group_tree()).await??;
    Ok(Json(
        tree.pairs()
            .map(|(g, p)| Group {
                name: g.to_string(),
                parent: p.map(|p| p.to_string()),
            })
            .collect(),
    ))
}

/// Add a group (WORLD managers).
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = Group,
    responses((status = 201, body = Group), (status = 400), (status = 401), (status = 403)))]
pub async fn add_group(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(g): Json<Group>,
) -> Result<(StatusCode, Json<Group>), ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let (name, parent) = (g.name.clone(), g.parent.clone());
    blocking(move || store.add_group(&actor, &name, parent.as_deref())).await??;
    Ok((StatusCode::CREATED, Json(g)))
}

/// Delete a group without subgroups or accounts (WORLD managers).
#[utoipa::path(delete, path = "/api/v1/groups/{name}", tag = "groups",
    params(("name" = String, Path, description = "group name")),
    responses((status = 204), (status = 400), (status = 401), (status = 403)))]
pub async fn delete_group(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    blocking(move || store.delete_group(&actor, &name)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// The forwarding database.
#[utoipa::path(get, path = "/api/v1/forwardings", tag = "forwarding",
    responses((status = 200, body = Vec<ForwardEntry>), (status = 401), (status = 403)))]
pub async fn forwardings(
    State(app): State<Arc<App>>,
    who: Principal,
) -> Result<Json<Vec<ForwardEntry>>, ApiError> {
    who.manager()?;
    let store = Arc::clone(&app.store);
    Ok(Json(blocking(move || store.forwardings()).await??))
}

/// Add or replace a forwarding.
#[utoipa::path(post, path = "/api/v1/forwardings", tag = "forwarding", request_body = ForwardInput,
    responses((status = 201, body = ForwardEntry), (status = 400), (status = 401), (status = 403)))]
pub async fn add_forwarding(
    State(app): State<Arc<App>>,
    who: Principal,
    Json(f): Json<ForwardInput>,
) -> Result<(StatusCode, Json<ForwardEntry>), ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let e = blocking(move || store.add_forwarding(&actor, &f.name, &f.targets)).await??;
    Ok((StatusCode::CREATED, Json(e)))
}

/// Delete a forwarding.
#[utoipa::path(delete, path = "/api/v1/forwardings/{name}", tag = "forwarding",
    params(("name" = String, Path, description = "forwarded name")),
    responses((status = 204), (status = 400), (status = 401), (status = 403)))]
pub async fn delete_forwarding(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    blocking(move || store.delete_forwarding(&actor, &name)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// `actor`'s share of `count`, with the sessions open now.
pub async fn summarise(
    app: &App,
    count: &crate::web::totals::Count,
    actor: &Actor,
) -> Result<Summary, ApiError> {
    let store = Arc::clone(&app.store);
    let tree = blocking(move || store.group_tree()).await??;
    let sums = count.for_actor(&tree, actor);
    Ok(Summary {
        accounts: sums.accounts,
        messages: sums.messages,
        bytes: sums.bytes,
        unreadable: sums.unreadable,
        counted_at: count.at,
        count_ms: count.took.as_millis() as u64,
        sessions: open_sessions(app),
    })
}

/// The sessions open now, per protocol.
pub fn open_sessions(app: &App) -> std::collections::BTreeMap<String, u64> {
    let mut m: std::collections::BTreeMap<String, u64> = app
        .activity
        .iter()
        .map(|(p, s)| (p.to_string(), s.in_use() as u64))
        .collect();
    m.insert("web".into(), app.sessions.len() as u64);
    m
}

/// The store summary: accounts, messages, bytes, open sessions.
#[utoipa::path(get, path = "/api/v1/summary", tag = "store", params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 401), (status = 403)))]
pub async fn summary(
    State(app): State<Arc<App>>,
    who: Principal,
    Query(q): Query<SummaryQuery>,
) -> Result<Json<Summary>, ApiError> {
    let actor = who.manager()?.clone();
    let max_age = Duration::from_secs(q.max_age.unwrap_or(0));
    let count = app.totals.within(&app.store, max_age).await?;
    Ok(Json(summarise(&app, &count, &actor).await?))
}

/// `verify`'s report on the whole store (WORLD managers; read-only).
#[utoipa::path(get, path = "/api/v1/verify", tag = "store",
    responses((status = 200, body = VerifyReport), (status = 401), (status = 403)))]
pub async fn verify(
    State(app): State<Arc<App>>,
    who: Principal,
) -> Result<Json<VerifyReport>, ApiError> {
    if !who.manager()?.is_world() {
        return Err(ApiError::forbidden("verify needs a WORLD manager"));
    }
    let store = Arc::clone(&app.store);
    let r = blocking(move || {
        let reader = crate::verify::PlatformStore::new(&**store.platform());
        crate::verify::verify(&reader, &|_| {})
    })
    .await?;
    let show = |v: Vec<crate::verify::Problem>| -> Vec<String> {
        v.into_iter()
            .map(|p| format!("{}: {}", p.path, p.reason))
            .collect()
    };
    Ok(Json(VerifyReport {
        problems: show(r.problems),
        notes: show(r.notes),
        accounts: r.accounts,
        messages: r.messages,
        files: r.files,
    }))
}
