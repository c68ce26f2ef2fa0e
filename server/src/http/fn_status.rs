//! Server-function errors answer with their own status. A function's body sets the
//! status of the errors it returns; arguments that do not deserialize (a malformed or
//! hostile request: too deep, too long, an unknown step) never reach the body, and
//! leptos answers them 500. This layer reads such an answer's `AppError` and gives it
//! its status (422 for an invalid request), so clients and logs tell a bad request from
//! a broken server.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// Largest error body read back (an `AppError` is a few hundred bytes).
const MAX_ERROR_BYTES: usize = 64 << 10;

pub async fn status_from_error(req: Request, next: Next) -> Response {
    let is_fn = req.uri().path().starts_with("/api/fn/");
    let res = next.run(req).await;
    if !is_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}
