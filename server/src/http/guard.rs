//! Request guards in front of the server functions: they take JSON only, and a request
//! that names its origin must come from this site. Browsers cannot send a cross-site
//! `application/json` POST without a CORS preflight (which this server never grants),
//! so together these stop cross-site request forgery.

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest request body any endpoint accepts: a dashboard of 500 widgets is far below.
pub const MAX_BODY_BYTES: usize = 1 << 20;

pub async fn same_origin_json(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && req.uri().path().starts_with("/api/fn/") {
        let headers = req.headers();
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "server functions take Content-Type: application/json",
            )
                .into_response();
        }
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_host = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|o| o.split_once("://").map(|(_, h)| h).unwrap_or(o));
        if let Some(origin_host) = origin_host {
            if Some(origin_host) != host {
                return (StatusCode::FORBIDDEN, "cross-site requests are refused").into_response();
            }
        }
    }
    next.run(req).await
}
