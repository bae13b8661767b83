//! `/api/v1` folders: a MessageStore account's folders and the public
//! folders (those the caller may manage), with their counts.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::web::auth::Principal;
use crate::web::error::ApiError;
use crate::web::{App, blocking};

/// One folder.
#[derive(Debug, Serialize, ToSchema)]
pub struct FolderInfo {
    /// The name (`/` between levels).
    pub name: String,
    /// A name in the hierarchy only, holding no messages.
    pub noselect: bool,
    /// Subscribed.
    pub subscribed: bool,
    /// Messages held (0 for a `noselect` name).
    pub messages: u64,
    /// Bytes held.
    pub bytes: u64,
}

/// The folders of `name` that `only` keeps, with their counts.
pub fn folders_of(
    store: &crate::store::Store,
    name: &crate::store::name::AccountName,
    only: impl Fn(&crate::store::folders::FolderListing) -> bool,
) -> crate::store::Result<Vec<FolderInfo>> {
    let mut out = Vec::new();
    for f in store.list_folders(name, "*", false)? {
        if !only(&f) {
            continue;
        }
        let (messages, bytes) = if f.noselect {
            (0, 0)
        } else {
            let open = store.open_folder(name, &f.name)?;
            (open.len() as u64, open.bytes())
        };
        out.push(FolderInfo {
            name: f.name.to_string(),
            noselect: f.noselect,
            subscribed: f.subscribed,
            messages,
            bytes,
        });
    }
    Ok(out)
}

/// A MessageStore account's folders (400 for a popstore account).
#[utoipa::path(get, path = "/api/v1/accounts/{name}/folders", tag = "folders",
    params(("name" = String, Path, description = "account name")),
    responses((status = 200, body = Vec<FolderInfo>), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn folders(
    State(app): State<Arc<App>>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Json<Vec<FolderInfo>>, ApiError> {
    let actor = who.actor_for(&name)?;
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || {
            let n = store.managed_account(&actor, &name)?;
            folders_of(&store, &n, |_| true)
        })
        .await??,
    ))
}

/// The public folders the caller manages.
#[utoipa::path(get, path = "/api/v1/public-folders", tag = "folders",
    responses((status = 200, body = Vec<FolderInfo>), (status = 401), (status = 403)))]
pub async fn public_folders(
    State(app): State<Arc<App>>,
    who: Principal,
) -> Result<Json<Vec<FolderInfo>>, ApiError> {
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    Ok(Json(
        blocking(move || {
            let managed: std::collections::HashSet<String> = store
                .list_public_folders(&actor, "*")?
                .into_iter()
                .map(|f| f.folder.name.to_string())
                .collect();
            if managed.is_empty() {
                return Ok(Vec::new());
            }
            folders_of(&store, &crate::store::public::public_account(), |f| {
                managed.contains(&f.name.to_string())
            })
        })
        .await??,
    ))
}
