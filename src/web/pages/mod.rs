//! The server-side pages: askama templates (`templates/`, auto-escaping)
//! without script. Every state-changing form is a POST carrying the
//! session's CSRF token; a page asked without a session goes to the login
//! page.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::App;
use super::auth::Principal;
use super::error::ApiError;

pub mod accounts;
pub mod login;
pub mod manage;
pub mod messages;
pub mod sieve;
pub mod user;

/// What the frame of every page shows.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Chrome {
    /// The account logged in.
    pub user: Option<String>,
    /// It is a manager.
    pub manager: bool,
    /// The session's CSRF token.
    pub csrf: String,
    /// An error to show.
    pub error: String,
    /// A confirmation to show.
    pub notice: String,
}

impl Chrome {
    /// The frame for `who`.
    pub fn of(who: &Principal) -> Chrome {
        Chrome {
            user: Some(who.name.clone()),
            manager: who.manager.is_some(),
            csrf: who.csrf().unwrap_or_default().to_string(),
            ..Chrome::default()
        }
    }

    /// With an error message.
    pub fn error(mut self, e: impl Into<String>) -> Chrome {
        self.error = e.into();
        self
    }

    /// With a notice.
    pub fn notice(mut self, n: impl Into<String>) -> Chrome {
        self.notice = n.into();
        self
    }
}

/// A logged-in browser (or an API token); others are sent to `/login`.
#[derive(Debug, Clone)]
pub struct PageUser(pub Principal);

impl FromRequestParts<Arc<App>> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        match Principal::from_request_parts(parts, app).await {
            Ok(p) => Ok(PageUser(p)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                Err(Redirect::to("/login").into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// A page's failure, shown as a page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        PageError(e.into())
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            c: Chrome::default().error(self.0.message),
            status: self.0.status.to_string(),
        };
        (self.0.status, builtin(&page)).into_response()
    }
}

/// A page: its template's name (what a site's own template replaces).
pub trait Named: askama::Template + serde::Serialize {
    /// The template's file name.
    const NAME: &'static str;
}

fn builtin(t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "web: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Renders a page: with the site's template of its name when there is
/// one (`[web] templates`), else the built-in one. A failure to render is
/// a 500.
pub fn render<T: Named>(app: &App, page: &T) -> Response {
    match app.overrides.render(T::NAME, page) {
        None => builtin(page),
        Some(Ok(html)) => Html(html).into_response(),
        Some(Err(e)) => {
            tracing::warn!(template = T::NAME, error = %e, "web: the site's template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Refuses a form whose CSRF token is not the session's (403).
pub fn check_csrf(who: &Principal, sent: &str) -> Result<(), PageError> {
    match who.csrf() {
        Some(want) if want == sent => Ok(()),
        None => Ok(()),
        _ => Err(PageError(ApiError::forbidden(
            "the form's CSRF token is missing or wrong: reload the page and try again",
        ))),
    }
}

/// A size for people: `1.5 MiB`.
pub fn human(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

async fn stylesheet(State(app): State<Arc<App>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        app.stylesheet.clone(),
    )
        .into_response()
}

/// The pages' routes.
pub fn router() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(manage::home))
        .route("/recount", post(manage::recount))
        .route("/accounts", get(accounts::accounts))
        .route(
            "/accounts/new",
            get(accounts::new_account).post(accounts::create),
        )
        .route(
            "/accounts/{name}",
            get(accounts::account).post(accounts::save),
        )
        .route("/accounts/{name}/delete", post(accounts::delete))
        .route("/groups", get(manage::groups).post(manage::add_group))
        .route(
            "/forwardings",
            get(manage::forwardings).post(manage::add_forwarding),
        )
        .route("/forwardings/delete", post(manage::delete_forwarding))
        .route("/verify", get(manage::verify))
        .route("/password", get(user::password).post(user::change_password))
        .route("/vacation", get(user::vacation).post(user::save_vacation))
        .route("/filters", get(user::filters).post(user::add_filter))
        .route("/filters/delete", post(user::delete_filter))
        .route("/sieve", get(sieve::sieve).post(sieve::save_sieve))
        .route("/messages", get(messages::messages))
        .route("/messages/{id}", get(messages::message))
        .route("/messages/{id}/raw", get(messages::raw))
        .route("/messages/{id}/parts/{n}", get(messages::part))
        .route("/messages/{id}/delete", post(messages::delete))
}
