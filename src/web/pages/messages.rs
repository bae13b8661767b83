//! The user's messages: a page of the list (INBOX through the maildrop,
//! a MessageStore account's other folders through the folder engine), one
//! message (marked seen), its parts as downloads, deletion.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::CsrfForm;
use super::{Chrome, PageError, PageUser, check_csrf, human, render};
use crate::store::groups::Actor;
use crate::web::error::ApiError;
use crate::web::folder_mail;
use crate::web::mail::{self, MessagePage, Rendered};
use crate::web::{App, blocking};

/// The messages per page.
pub const PAGE: usize = 50;

impl super::Named for MessagesPage {
    const NAME: &'static str = "messages.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "messages.html")]
struct MessagesPage {
    c: Chrome,
    page: MessagePage,
    usage: String,
    offset: usize,
    prev: usize,
    folder: String,
    folders: Vec<crate::web::api::folders::FolderInfo>,
}

/// Paging, and the folder (INBOX when absent).
#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    folder: String,
}

/// The folder of a message's URL (`?folder=NAME`; INBOX when absent).
#[derive(Debug, Deserialize)]
pub struct InFolder {
    #[serde(default)]
    folder: String,
}

fn list_in(
    store: &Arc<crate::store::Store>,
    name: &str,
    folder: &str,
    offset: usize,
) -> crate::store::Result<MessagePage> {
    if folder_mail::is_inbox(folder) {
        mail::list(store, name, offset, PAGE)
    } else {
        folder_mail::list(store, name, folder, offset, PAGE)
    }
}

fn fetch_in(
    store: &Arc<crate::store::Store>,
    name: &str,
    folder: &str,
    id: &str,
) -> crate::store::Result<Vec<u8>> {
    if folder_mail::is_inbox(folder) {
        mail::fetch(store, name, id)
    } else {
        folder_mail::fetch(store, name, folder, id)
    }
}

/// GET /messages?folder=NAME&offset=N: a page of messages, newest first;
/// a MessageStore account sees its folders too.
pub async fn messages(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Query(q): Query<Paging>,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let (offset, folder) = (q.offset, q.folder.clone());
    let (page, info, folders) = blocking(move || {
        let page = list_in(&store, &name, &folder, offset)?;
        let info = store.show_account(&Actor::Admin, &name)?;
        let folders = if info.store_type == crate::store::StoreType::Imap {
            let n = store.name(&name)?;
            crate::web::api::folders::folders_of(&store, &n, |f| !f.noselect)?
        } else {
            Vec::new()
        };
        Ok::<_, crate::store::StoreError>((page, info, folders))
    })
    .await?
    .map_err(no_message)?;
    let usage = match info.quota {
        Some(q) => format!("{} of {} used.", human(info.usage), human(u64::from(q))),
        None => format!("{} used.", human(info.usage)),
    };
    Ok(render(
        &app,
        &MessagesPage {
            c: Chrome::of(&who),
            page,
            usage,
            offset,
            prev: offset.saturating_sub(PAGE),
            folder: if folder_mail::is_inbox(&q.folder) {
                String::new()
            } else {
                q.folder
            },
            folders,
        },
    ))
}

impl super::Named for MessagePageT {
    const NAME: &'static str = "message.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "message.html")]
struct MessagePageT {
    c: Chrome,
    id: String,
    folder: String,
    m: Rendered,
}

fn no_message(e: crate::store::StoreError) -> PageError {
    match e {
        crate::store::StoreError::Invalid(m) if m.starts_with("no message") => {
            PageError(ApiError::not_found(m))
        }
        crate::store::StoreError::Folder(f) => PageError(ApiError::not_found(f.to_string())),
        e => e.into(),
    }
}

/// GET /messages/ID: shown (text as text, HTML sanitised) and marked seen.
pub async fn message(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(id): Path<String>,
    Query(f): Query<InFolder>,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let (name, i, folder) = (who.name.clone(), id.clone(), f.folder.clone());
    let raw = blocking(move || fetch_in(&store, &name, &folder, &i))
        .await?
        .map_err(no_message)?;
    Ok(render(
        &app,
        &MessagePageT {
            c: Chrome::of(&who),
            id,
            folder: if folder_mail::is_inbox(&f.folder) {
                String::new()
            } else {
                f.folder
            },
            m: mail::render(&raw),
        },
    ))
}

/// GET /messages/ID/raw: the whole message, as an attachment.
pub async fn raw(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(id): Path<String>,
    Query(f): Query<InFolder>,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let raw = blocking(move || fetch_in(&store, &name, &f.folder, &id))
        .await?
        .map_err(no_message)?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"message.eml\"",
            ),
        ],
        raw,
    )
        .into_response())
}

/// GET /messages/ID/parts/N: one part, always as an attachment of an
/// opaque type, so the browser never renders it from our origin.
pub async fn part(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path((id, n)): Path<(String, usize)>,
    Query(f): Query<InFolder>,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let raw = blocking(move || fetch_in(&store, &name, &f.folder, &id))
        .await?
        .map_err(no_message)?;
    let leaf = crate::web::parts::leaves(&raw)
        .into_iter()
        .nth(n)
        .ok_or_else(|| PageError(ApiError::not_found("no such part")))?;
    let disposition = format!("attachment; filename=\"{}\"", leaf.download_name(n));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        leaf.data,
    )
        .into_response())
}

/// POST /messages/ID/delete.
pub async fn delete(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Path(id): Path<String>,
    Query(q): Query<InFolder>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&who, f.csrf())?;
    let store = Arc::clone(&app.store);
    let name = who.name.clone();
    let folder = q.folder.clone();
    blocking(move || {
        if folder_mail::is_inbox(&folder) {
            mail::delete(&store, &name, &id)
        } else {
            folder_mail::delete(&store, &name, &folder, &id)
        }
    })
    .await?
    .map_err(no_message)?;
    let back = if folder_mail::is_inbox(&q.folder) {
        "/messages".to_string()
    } else {
        format!("/messages?folder={}", super::accounts::urlencode(&q.folder))
    };
    Ok(Redirect::to(&back).into_response())
}
