//! Log in and out.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageError, check_csrf, render};
use crate::store::password::Secret;
use crate::web::App;
use crate::web::session;

impl super::Named for LoginPage {
    const NAME: &'static str = "login.html";
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    name: String,
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm {
    /// The token sent.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// GET /login.
pub async fn form(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if session::cookie_id(&headers).is_some_and(|id| app.sessions.get(&id).is_some()) {
        return Redirect::to("/").into_response();
    }
    render(
        &app,
        &LoginPage {
            c: Chrome::default(),
            name: String::new(),
        },
    )
}

/// POST /login: a session on success, the form again (after the
/// throttle's delay) on failure.
pub async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    match crate::web::auth::login(&app, peer.ip(), &f.name, Secret::new(f.password)).await {
        Ok(name) => {
            let id = app.sessions.create(&name);
            (
                [(header::SET_COOKIE, session::set_cookie(&id, app.https))],
                Redirect::to("/"),
            )
                .into_response()
        }
        Err(e) => {
            let message = if e.status == axum::http::StatusCode::UNAUTHORIZED {
                "Wrong account name or password.".to_string()
            } else {
                e.message
            };
            let mut r = render(
                &app,
                &LoginPage {
                    c: Chrome::default().error(message),
                    name: f.name,
                },
            );
            *r.status_mut() = e.status;
            r
        }
    }
}

/// POST /logout.
pub async fn logout(
    State(app): State<Arc<App>>,
    super::PageUser(who): super::PageUser,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&who, &f.csrf)?;
    if let crate::web::auth::Via::Session { id, .. } = &who.via {
        app.sessions.remove(id);
    }
    Ok((
        [(header::SET_COOKIE, session::set_cookie("", app.https))],
        Redirect::to("/login"),
    )
        .into_response())
}
