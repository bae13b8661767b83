//! The server-side pages (askama templates under `templates/`).

use std::sync::Arc;

use super::App;

/// The pages' routes.
pub fn router() -> axum::Router<Arc<App>> {
    axum::Router::new()
}
