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

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": status.canonical_reason(), "message": message.into()})),
    )
        .into_response()
}

#[tracing::instrument(skip_all, fields(name = %query.name))]
pub async fn upload(
    State(core): State<Arc<Core>>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/octet-stream") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the file itself with Content-Type: application/octet-stream",
        );
    }
    let name: String = query.name.trim().chars().take(200).collect();
    if name.is_empty() || name.contains(['/', '\\']) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name the file (?name=sales.xlsx)",
        );
    }
    let limit = core.config.max_upload_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is larger than {} MiB", limit >> 20),
        );
    };
    let format = SheetFormat::sniff(&bytes, &name);
    let limits = core.poll.readers.sheet_limits;
    let checked = {
        let bytes = bytes.clone();
        let name = name.clone();
        tokio::task::spawn_blocking(move || {
            let sheets = crate::sources::sheet::sheet_names(&bytes, &name, &limits)?;
            if sheets.is_empty() {
                return Err("the workbook has no sheets".to_string());
            }
            Ok(sheets)
        })
        .await
    };
    let sheets = match checked {
        Ok(Ok(sheets)) => sheets,
        Ok(Err(why)) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("{name}: {why}")),
        Err(_) => {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{name}: the file cannot be read as a spreadsheet"),
            )
        }
    };
    let id = UploadId::parse(crate::new_id()).expect("hex is a valid id");
    if let Err(err) = core.storage.insert_upload(&id, &name, &bytes).await {
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
