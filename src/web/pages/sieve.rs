//! The raw Sieve editor: the account's scripts, checked by the engine
//! (errors with line and column) before they are stored.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, PageError, PageUser, check_csrf, render};
use crate::store::groups::Actor;
use crate::store::sieve::ScriptEntry;
use crate::web::{App, blocking};

impl super::Named for SievePage {
    const NAME: &'static str = "sieve.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "sieve.html")]
struct SievePage {
    c: Chrome,
    scripts: Vec<ScriptEntry>,
    name: String,
    text: String,
}

/// Which script to edit.
#[derive(Debug, Deserialize)]
pub struct SieveQuery {
    #[serde(default)]
    script: String,
}

async fn sieve_page(
    app: &Arc<App>,
    c: Chrome,
    who: &str,
    name: String,
    text: Option<String>,
) -> Result<Response, PageError> {
    let store = Arc::clone(&app.store);
    let (user, n) = (who.to_string(), name.clone());
    let fetch = text.is_none() && !name.is_empty();
    let (scripts, stored) = blocking(move || {
        let scripts = store.sieve_list(&Actor::Admin, &user)?;
        let stored = if fetch && scripts.iter().any(|s| s.name == n) {
            String::from_utf8_lossy(&store.sieve_get(&Actor::Admin, &user, &n)?).into_owned()
        } else {
            String::new()
        };
        Ok::<_, crate::store::StoreError>((scripts, stored))
    })
    .await??;
    Ok(render(
        app,
        &SievePage {
            c,
            scripts,
            name,
            text: text.unwrap_or(stored),
        },
    ))
}

/// GET /sieve?script=NAME: the raw editor.
pub async fn sieve(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Query(q): Query<SieveQuery>,
) -> Result<Response, PageError> {
    sieve_page(&app, Chrome::of(&who), &who.name, q.script, None).await
}

/// The raw editor's form.
#[derive(Debug, Deserialize)]
pub struct SievePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    script: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    activate: Option<String>,
    #[serde(default)]
    op: String,
}

/// POST /sieve: check (the engine's errors, with line and column) or save.
pub async fn save_sieve(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<SievePost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let store = Arc::clone(&app.store);
    let (user, name, text) = (
        who.name.clone(),
        f.script.trim().to_string(),
        f.text.clone(),
    );
    let save = f.op == "save";
    let activate = f.activate.is_some();
    let outcome = blocking(move || -> Result<String, String> {
        let checked = store
            .sieve_check(&Actor::Admin, &user, text.as_bytes())
            .map_err(|e| e.to_string())?;
        if let Err(e) = checked {
            return Err(format!("line {e}"));
        }
        if !save {
            return Ok("The script is valid.".into());
        }
        store
            .sieve_put(&Actor::Admin, &user, &name, text.as_bytes())
            .map_err(|e| e.to_string())?;
        if activate {
            store
                .sieve_activate(&Actor::Admin, &user, Some(&name))
                .map_err(|e| e.to_string())?;
        }
        Ok("The script is saved.".into())
    })
    .await?;
    let c = Chrome::of(&who);
    let c = match outcome {
        Ok(n) => c.notice(n),
        Err(e) => c.error(e),
    };
    sieve_page(&app, c, &who.name, f.script, Some(f.text)).await
}
