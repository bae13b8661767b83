//! Errors of the API as JSON (`{"error": "..."}`) with the right status;
//! the store's own failures are a 503 that names no host path.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// The body of every refusal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
}

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// A refusal with this status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 401: no or bad credentials.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication required")
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 503: the store could not answer (details in the log).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporary failure of the store, try again later",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use StoreError as E;
        let status = match &e {
            E::UnknownAccount(_) => StatusCode::NOT_FOUND,
            E::Denied(_) => StatusCode::FORBIDDEN,
            E::AccountExists(_) | E::InUse(_) => StatusCode::CONFLICT,
            E::BadName(_)
            | E::Invalid(_)
            | E::Group(_)
            | E::Forward(_)
            | E::Folder(_)
            | E::FolderName(_)
            | E::NotMessageStore(_)
            | E::OverQuota(_)
            | E::AlreadyInitialized(_) => StatusCode::BAD_REQUEST,
            E::NoStore(_) | E::Corrupt { .. } | E::Platform(_) => {
                tracing::warn!(error = %e, "web: store error");
                return ApiError::internal();
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}
