//! `POST /api/v1/uploads?name=sales.xlsx`: stores a spreadsheet (the raw file as the
//! body, `Content-Type: application/octet-stream`) and answers its id, format and
//! sheets. The file is checked before it is kept: a file that cannot be read as a
//! spreadsheet is refused with the reason, and nothing is stored.

use crate::startup::Core;
use app::model::{SheetFormat, UploadId, UploadInfo};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    name: String,
}

pub(super) fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": status.canonical_reason(), "message": message.into()})),
    )
        .into_response()
}

/// What every raw-file upload checks before looking inside: the body is the file
/// itself (`application/octet-stream`), `?name=` names it (no path), and it holds at
/// most `limit` bytes. `what` is what is sent ("file", "picture"); `example` a name
/// for the message. Answers the trimmed name and the bytes, or the refusal.
pub(super) async fn receive(
    name: &str,
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
    what: &str,
    example: &str,
) -> Result<(String, axum::body::Bytes), Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/octet-stream") {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send the {what} itself with Content-Type: application/octet-stream"),
        ));
    }
    let name: String = name.trim().chars().take(200).collect();
    if name.is_empty() || name.contains(['/', '\\']) {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("name the file (?name={example})"),
        ));
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((name, bytes)),
        Err(_) => Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{name}: a {what} is at most {} MiB", limit >> 20),
        )),
    }
}

/// The format and sheet names of spreadsheet `bytes` named `name` (read on the
/// blocking pool, within the sheet limits); why not, if it is not one.
pub async fn inspect(
    core: &Core,
    name: &str,
    bytes: &axum::body::Bytes,
) -> Result<(SheetFormat, Vec<String>), String> {
    let format = SheetFormat::sniff(bytes, name);
    let limits = core.poll.readers.sheet_limits;
    let checked = {
        let bytes = bytes.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || {
            let sheets = crate::sources::sheet::sheet_names(&bytes, &name, &limits)?;
            if sheets.is_empty() {
                return Err("the workbook has no sheets".to_string());
            }
            Ok(sheets)
        })
        .await
    };
    match checked {
        Ok(Ok(sheets)) => Ok((format, sheets)),
        Ok(Err(why)) => Err(format!("{name}: {why}")),
        Err(_) => Err(format!("{name}: the file cannot be read as a spreadsheet")),
    }
}

#[tracing::instrument(skip_all, fields(name = %query.name))]
pub async fn upload(
    State(core): State<Arc<Core>>,
    caller: Option<axum::Extension<app::auth::Caller>>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let scope = match crate::auth::scope(caller, app::auth::Action::EditData) {
        Ok(scope) => scope,
        Err(err) => return crate::auth::error_response(&err),
    };
    let limit = core.config.max_upload_bytes;
    let (name, bytes) =
        match receive(&query.name, &headers, body, limit, "file", "sales.xlsx").await {
            Ok(received) => received,
            Err(refused) => return refused,
        };
    let (format, sheets) = match inspect(&core, &name, &bytes).await {
        Ok(found) => found,
        Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, why),
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
            "the file could not be stored; try again",
        );
    }
    let info = UploadInfo {
        id,
        name,
        size: bytes.len() as u64,
        format,
        sheets,
    };
    (StatusCode::CREATED, axum::Json(info)).into_response()
}
