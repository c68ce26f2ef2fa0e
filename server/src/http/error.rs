//! `ApiError`: how REST and stream handlers answer with an `AppError`.
//!
//! | variant | status |
//! |---|---|
//! | NotFound | 404 |
//! | Invalid | 422 |
//! | Conflict | 409 |
//! | Forbidden | 403 |
//! | Unavailable | 503 |
//! | Internal | 500 (details only in the log) |
//!
//! The body is the `AppError` as JSON, e.g. `{"error":"not_found","what":"dashboard"}`.

use app::error::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.0)).into_response()
    }
}
