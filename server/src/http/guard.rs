//! Request guards in front of every route:
//!
//! - [`known_host`]: a request must name one of the server's own hosts (see
//!   [`super::site`]), so a DNS-rebinding page cannot reach it under another name. The
//!   health probes are exempt (orchestrators call them by the pod's IP address).
//! - [`same_origin`]: a request that changes something and names its origin must come
//!   from this site's own origin (compared with the configured names, not with the
//!   request's `Host`); server functions take JSON only. Browsers cannot send a
//!   cross-site `application/json` POST without a CORS preflight (which this server
//!   never grants), so together these stop cross-site request forgery.

use super::site::{Refused, Site};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Largest request body any endpoint accepts: a dashboard of 500 widgets is far below.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Paths answered whatever the `Host`: liveness, readiness and metrics, which carry no
/// data and which probes and scrapers reach by the instance's IP address.
const ANY_HOST: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The host a request names: the authority of its target (HTTP/2, absolute form) or
/// its `Host` header.
pub fn request_host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    uri.authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
}

/// The plain-text answer to a refused request.
pub fn refusal(refused: &Refused) -> Response {
    let (status, message) = refused.status_and_message();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

pub async fn known_host(State(site): State<Arc<Site>>, req: Request, next: Next) -> Response {
    if !ANY_HOST.contains(&req.uri().path()) {
        if let Err(refused) = site.check_host(request_host(req.uri(), req.headers())) {
            tracing::debug!(?refused, "request for a foreign host refused");
            return refusal(&refused);
        }
    }
    next.run(req).await
}

pub async fn same_origin(State(site): State<Arc<Site>>, req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    if changes {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("?");
            let host = request_host(req.uri(), headers);
            if let Err(refused) = site.check_origin(origin, host) {
                return refusal(&refused);
            }
        }
    }
    if req.method() == Method::POST && req.uri().path().starts_with("/api/fn/") {
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
    }
    next.run(req).await
}
