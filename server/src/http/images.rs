//! Pictures for image widgets: `POST /api/v1/images?name=logo.png` stores one (the raw
//! file as the body, like spreadsheet uploads, in the same table), and
//! `GET /api/v1/images/{id}` serves it to every screen.
//!
//! Only PNG, JPEG, GIF and WebP are taken, told apart by their first bytes, not by the
//! name or a header: an SVG or HTML file could carry script, so it is refused. A
//! picture is served with the type its bytes show, `nosniff`, a sandboxing CSP and a
//! long cache (an id never changes content); a stored file that is not such a
//! picture (a spreadsheet) is not served here at all.

use super::uploads::{receive, refuse};
use crate::startup::Core;
use app::model::UploadId;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// Largest picture taken (a TV logo or a floor plan, not a photo album).
pub const MAX_IMAGE_BYTES: usize = 5 << 20;

/// The media type of `bytes` when they are a picture screens may show.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[derive(serde::Deserialize)]
pub struct ImageQuery {
    name: String,
}

pub async fn upload(
    State(core): State<Arc<Core>>,
    caller: Option<axum::Extension<app::auth::Caller>>,
    Query(query): Query<ImageQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let scope = match crate::auth::scope(caller, app::auth::Action::EditDashboards) {
        Ok(scope) => scope,
        Err(err) => return crate::auth::error_response(&err),
    };
    let (name, bytes) = match receive(
        &query.name,
        &headers,
        body,
        MAX_IMAGE_BYTES,
        "picture",
        "logo.png",
    )
    .await
    {
        Ok(received) => received,
        Err(refused) => return refused,
    };
    let Some(media) = sniff(&bytes) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name}: not a PNG, JPEG, GIF or WebP picture (SVG is not taken: it can carry script)"),
        );
    };
    let id = UploadId::parse(crate::new_id()).expect("hex is a valid id");
    if let Err(err) = core
        .storage
        .insert_upload(scope.workspace(), &id, &name, &bytes)
        .await
    {
        crate::backend::storage_error(err);
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the picture could not be stored; try again",
        );
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "name": name, "size": bytes.len(), "type": media})),
    )
        .into_response()
}

pub async fn serve(State(core): State<Arc<Core>>, Path(id): Path<String>) -> Response {
    let Ok(id) = UploadId::parse(id) else {
        return refuse(StatusCode::NOT_FOUND, "no such picture");
    };
    let upload = match core.storage.get_upload(&id).await {
        Ok(Some(upload)) => upload,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "no such picture"),
        Err(err) => {
            crate::backend::storage_error(err);
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
    };
    let Some(media) = sniff(&upload.bytes) else {
        return refuse(StatusCode::NOT_FOUND, "no such picture");
    };
    let mut res = upload.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_pictures_are_recognised() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"PK\x03\x04 an xlsx"), None);
        assert_eq!(sniff(b""), None);
    }
}
