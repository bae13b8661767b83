//! The HTTP API under `/api/v1` (JSON), and its OpenAPI document at
//! `/api/v1/openapi.json`, generated from the handlers' annotations.
//! Every route is in [`ApiDoc`]; the tests check the document against the
//! running server.

use std::sync::Arc;

use axum::Json;
use axum::routing::{get, put};
use utoipa::OpenApi;

use super::App;
use super::error::ApiError;

pub mod accounts;
pub mod admin;
pub mod folders;
pub mod user;

/// The OpenAPI description of the API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "popstore HTTP API",
        description = "Accounts, groups, forwarding, folders, \
        Sieve, vacation, messages and the store summary. Authenticate with `Authorization: Bearer \
        TOKEN` (`popstore token create NAME`). Permissions are the CLI's: a MANAGE account \
        reaches its group and the groups below it, a WORLD manager all, a user itself."
    ),
    paths(
        accounts::list,
        accounts::add,
        accounts::show,
        accounts::modify,
        accounts::delete,
        accounts::password,
        user::usage,
        user::vacation,
        user::set_vacation,
        user::scripts,
        user::script,
        user::put_script,
        user::delete_script,
        user::messages,
        user::message,
        user::delete_message,
        user::tokens,
        user::create_token,
        user::revoke_token,
        admin::groups,
        admin::add_group,
        admin::delete_group,
        admin::forwardings,
        admin::add_forwarding,
        admin::delete_forwarding,
        admin::summary,
        admin::verify,
        folders::folders,
        folders::public_folders,
        openapi,
    ),
    components(schemas(super::error::ErrorBody))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "store",
    responses((status = 200, description = "the OpenAPI document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn no_route() -> ApiError {
    ApiError::not_found("no such API route")
}

/// The API's routes (nested under `/api/v1`).
pub fn router() -> axum::Router<Arc<App>> {
    use accounts as a;
    axum::Router::new()
        .route("/openapi.json", get(openapi))
        .route("/accounts", get(a::list).post(a::add))
        .route(
            "/accounts/{name}",
            get(a::show).patch(a::modify).delete(a::delete),
        )
        .route("/accounts/{name}/password", put(a::password))
        .route("/accounts/{name}/usage", get(user::usage))
        .route(
            "/accounts/{name}/vacation",
            get(user::vacation).put(user::set_vacation),
        )
        .route("/accounts/{name}/sieve", get(user::scripts))
        .route("/accounts/{name}/folders", get(folders::folders))
        .route("/public-folders", get(folders::public_folders))
        .route(
            "/accounts/{name}/sieve/{script}",
            get(user::script)
                .put(user::put_script)
                .delete(user::delete_script),
        )
        .route("/messages", get(user::messages))
        .route(
            "/messages/{id}",
            get(user::message).delete(user::delete_message),
        )
        .route("/tokens", get(user::tokens).post(user::create_token))
        .route("/tokens/{id}", axum::routing::delete(user::revoke_token))
        .route("/groups", get(admin::groups).post(admin::add_group))
        .route("/groups/{name}", axum::routing::delete(admin::delete_group))
        .route(
            "/forwardings",
            get(admin::forwardings).post(admin::add_forwarding),
        )
        .route(
            "/forwardings/{name}",
            axum::routing::delete(admin::delete_forwarding),
        )
        .route("/summary", get(admin::summary))
        .route("/verify", get(admin::verify))
        .fallback(no_route)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented operation has a tag and at least one response.
    #[test]
    fn document_lists_the_routes() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/accounts/{name}"));
        assert!(paths.len() >= 15, "{:?}", paths.keys());
    }
}
