//! The management pages (MANAGE accounts): dashboard, groups, forwarding,
//! verify (the accounts are in [`super::accounts`]).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageError, PageUser, check_csrf, human, render};
use crate::store::forward::ForwardEntry;
use crate::web::api::admin::{Summary, VerifyReport, summarise};
use crate::web::totals::REFRESH_AFTER;
use crate::web::{App, blocking};

impl super::Named for Dashboard {
    const NAME: &'static str = "dashboard.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    s: Summary,
    bytes: String,
    world: bool,
    /// When the count was taken (UTC) and how long ago.
    counted: String,
    age: String,
}

/// GET /: the dashboard for managers, the messages for users.
pub async fn home(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    let Some(actor) = who.manager.clone() else {
        return Ok(Redirect::to("/messages").into_response());
    };
    let world = actor.is_world();
    let count = app.totals.latest(&app.store, REFRESH_AFTER).await?;
    let s = summarise(&app, &count, &actor).await?;
    Ok(render(
        &app,
        &Dashboard {
            c: Chrome::of(&who),
            bytes: human(s.bytes),
            counted: crate::web::mail::utc(count.at),
            age: age_text(count.age()),
            s,
            world,
        },
    ))
}

/// "12 seconds ago", "3 minutes ago".
fn age_text(age: std::time::Duration) -> String {
    match age.as_secs() {
        0..=1 => "just now".into(),
        s @ 2..=119 => format!("{s} seconds ago"),
        s @ 120..=7199 => format!("{} minutes ago", s / 60),
        s => format!("{} hours ago", s / 3600),
    }
}

/// The recount form.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// POST /recount: counts the store now, then shows the dashboard.
pub async fn recount(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    who.manager()?;
    app.totals
        .within(&app.store, std::time::Duration::ZERO)
        .await?;
    Ok(Redirect::to("/").into_response())
}

impl super::Named for Groups {
    const NAME: &'static str = "groups.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "groups.html")]
struct Groups {
    c: Chrome,
    tree: String,
    names: Vec<String>,
    world: bool,
}

/// `s` with HTML's special characters escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The group tree as nested HTML lists (names escaped).
fn tree_html(pairs: &[(String, Option<String>)], parent: Option<&str>) -> String {
    let mut kids: Vec<&String> = pairs
        .iter()
        .filter(|(_, p)| p.as_deref() == parent)
        .map(|(g, _)| g)
        .collect();
    if kids.is_empty() {
        return String::new();
    }
    kids.sort();
    let mut out = String::from("<ul class=\"tree\">");
    for g in kids {
        let safe = escape(g);
        out.push_str(&format!("<li>{safe}{}</li>", tree_html(pairs, Some(g))));
    }
    out.push_str("</ul>");
    out
}

/// GET /groups.
pub async fn groups(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    let world = who.manager()?.is_world();
    let store = Arc::clone(&app.store);
    let t = blocking(move || store.group_tree()).await??;
    let pairs: Vec<(String, Option<String>)> = t
        .pairs()
        .map(|(g, p)| (g.to_string(), p.map(|p| p.to_string())))
        .collect();
    let mut names: Vec<String> = pairs.iter().map(|(g, _)| g.clone()).collect();
    names.sort();
    Ok(render(
        &app,
        &Groups {
            c: Chrome::of(&who),
            tree: tree_html(&pairs, None),
            names,
            world,
        },
    ))
}

/// The new group form.
#[derive(Debug, Deserialize)]
pub struct GroupPost {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    parent: String,
}

/// POST /groups.
pub async fn add_group(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(g): Form<GroupPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &g.csrf)?;
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    let parent = (!g.parent.is_empty()).then_some(g.parent);
    blocking(move || store.add_group(&actor, &g.name, parent.as_deref())).await??;
    Ok(Redirect::to("/groups").into_response())
}

impl super::Named for Forwardings {
    const NAME: &'static str = "forwardings.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "forwardings.html")]
struct Forwardings {
    c: Chrome,
    entries: Vec<ForwardEntry>,
}

/// GET /forwardings.
pub async fn forwardings(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    who.manager()?;
    let store = Arc::clone(&app.store);
    let entries = blocking(move || store.forwardings()).await??;
    Ok(render(
        &app,
        &Forwardings {
            c: Chrome::of(&who),
            entries,
        },
    ))
}

/// A forwarding form.
#[derive(Debug, Deserialize)]
pub struct ForwardPost {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    targets: String,
}

/// POST /forwardings.
pub async fn add_forwarding(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<ForwardPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let actor = who.manager()?.clone();
    let targets: Vec<String> = f
        .targets
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let store = Arc::clone(&app.store);
    blocking(move || store.add_forwarding(&actor, &f.name, &targets)).await??;
    Ok(Redirect::to("/forwardings").into_response())
}

/// POST /forwardings/delete.
pub async fn delete_forwarding(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
    Form(f): Form<ForwardPost>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    let actor = who.manager()?.clone();
    let store = Arc::clone(&app.store);
    blocking(move || store.delete_forwarding(&actor, &f.name)).await??;
    Ok(Redirect::to("/forwardings").into_response())
}

impl super::Named for Verify {
    const NAME: &'static str = "verify.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "verify.html")]
struct Verify {
    c: Chrome,
    r: VerifyReport,
}

/// GET /verify (WORLD managers).
pub async fn verify(
    State(app): State<Arc<App>>,
    PageUser(who): PageUser,
) -> Result<Response, PageError> {
    let c = Chrome::of(&who);
    let axum::Json(r) = crate::web::api::admin::verify(State(Arc::clone(&app)), who).await?;
    Ok(render(&app, &Verify { c, r }))
}
