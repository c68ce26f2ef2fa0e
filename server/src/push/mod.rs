//! The push API: `POST /api/v1/datasets/{id}/rows`.
//!
//! The body is a JSON object (one row), a JSON array of rows, or NDJSON (one row per
//! line, `Content-Type: application/x-ndjson`). The request carries the dataset's push
//! token as `Authorization: Bearer …`; tokens are stored as SHA-256 hashes. Every row
//! is checked against the dataset's fields before anything is written; a refused
//! request says which row and which field. Rows are read one at a time and checked as
//! they are read ([`parse`]), so a body costs the rows it keeps, not its JSON tree. An
//! acknowledged (200) push is committed to the database and published.

pub mod parse;
pub mod writer;

pub use parse::{parse_rows, MAX_ROWS_PER_REQUEST, MAX_ROW_BYTES};

use crate::startup::Core;
use crate::storage::{PushWrite, StoredPushToken};
use app::model::{DatasetId, PushTokenId, Row, SourceConfig};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a resolved token is trusted before it is looked up again: a token revoked
/// on another instance stops working here within this time (at once on this one).
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// A new push token's secret: `wbp_` and 256 random bits in base64url.
pub fn new_secret() -> String {
    crate::auth::new_secret("wbp_")
}

/// What is stored of a secret: its SHA-256 in hex. (The secret has 256 random bits,
/// so a fast hash is enough; there is nothing to guess.)
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Resolved tokens, by hash, for `TOKEN_CACHE_TTL`.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (StoredPushToken, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<StoredPushToken> {
        let entries = self.entries.lock().expect("token cache");
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(t, _)| t.clone())
    }

    fn put(&self, hash: String, token: StoredPushToken) {
        let mut entries = self.entries.lock().expect("token cache");
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
        }
        entries.insert(hash, (token, Instant::now()));
    }

    /// Forgets token `id` at once (it was revoked here).
    pub fn forget(&self, id: &PushTokenId) {
        let mut entries = self.entries.lock().expect("token cache");
        entries.retain(|_, (t, _)| &t.id != id);
    }
}

/// Why a push was refused; the body is `{"error": code, "message": …}` plus `row` and
/// `field` where they are known.
#[derive(Debug)]
pub enum PushError {
    Unauthorized(&'static str),
    NotFound,
    TooLarge(usize),
    Unsupported(String),
    Invalid {
        row: Option<usize>,
        field: Option<String>,
        message: String,
    },
    RateLimited(u64),
    Unavailable(String),
    /// A bug: reading the rows failed in a way no body should cause.
    Internal,
}

impl IntoResponse for PushError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            PushError::Unauthorized(why) => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": why}),
            ),
            PushError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": "no such dataset"}),
            ),
            PushError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "too_large", "message": format!("the body is larger than {limit} bytes; send smaller batches")}),
            ),
            PushError::Unsupported(what) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({"error": "unsupported_media_type", "message": what}),
            ),
            PushError::Invalid {
                row,
                field,
                message,
            } => {
                let mut body = json!({"error": "invalid", "message": message});
                if let Some(row) = row {
                    body["row"] = json!(row);
                }
                if let Some(field) = field {
                    body["field"] = json!(field);
                }
                (StatusCode::UNPROCESSABLE_ENTITY, body)
            }
            PushError::RateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": "rate_limited", "message": "too many pushes with this token; slow down or batch rows"}),
            ),
            PushError::Unavailable(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "unavailable", "message": why}),
            ),
            PushError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "the server failed reading the rows; this is a bug"}),
            ),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            PushError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            PushError::RateLimited(ms) => {
                let secs = ms.div_ceil(1000).max(1);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            PushError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// `POST /api/v1/datasets/{id}/rows`.
#[tracing::instrument(skip_all, fields(dataset = %id))]
pub async fn push_rows(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    caller: Option<axum::Extension<app::auth::Caller>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, PushError> {
    core.metrics.push_requests.inc();
    let id = DatasetId::parse(id).map_err(|_| PushError::NotFound)?;
    // A session does not push: integrators send a push token or an API token.
    let caller = caller.filter(|c| c.role().is_none());
    let pusher = match caller {
        // An API token with the `push` scope, resolved by `auth::gate`, for a dataset
        // of its workspace.
        Some(axum::Extension(caller)) => {
            let scope = caller
                .may(app::auth::Action::Push)
                .map_err(|_| PushError::Unauthorized("this API token may not push data"))?;
            let entry = core
                .datasets
                .get(&core.storage, &id)
                .await
                .map_err(|_| PushError::Unavailable("the database does not answer".into()))?;
            if entry.is_none_or(|e| &e.workspace != scope.workspace()) {
                return Err(PushError::NotFound);
            }
            format!("workspace:{}:{id}", scope.workspace())
        }
        None => format!("token:{}", authorize(&core, &headers, &id).await?.id),
    };
    core.rate
        .hit(&format!("push:{pusher}"), core.config.push_rate, 1)
        .await
        .map_err(|wait| {
            core.metrics.push_rate_limited.inc();
            PushError::RateLimited(wait)
        })?;
    let limit = core.config.push_max_bytes;
    let bytes: Bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| PushError::TooLarge(limit))?;
    let entry = core
        .datasets
        .get(&core.storage, &id)
        .await
        .map_err(|_| PushError::Unavailable("the database does not answer".into()))?
        .ok_or(PushError::NotFound)?;
    let SourceConfig::Push(push) = &entry.source.config else {
        return Err(PushError::Invalid {
            row: None,
            field: None,
            message: "this dataset is polled from its source; only pushed datasets take rows"
                .into(),
        });
    };
    let ndjson = is_ndjson(&headers)?;
    let rows = match read_rows(entry.clone(), bytes, ndjson).await {
        Ok(rows) => rows,
        Err(err) => {
            core.metrics.push_rows_rejected.inc();
            return Err(err);
        }
    };
    let count = rows.len();
    let seq = core
        .pushes
        .submit(PushWrite {
            dataset: id,
            mode: push.mode,
            rows,
        })
        .await
        .map_err(PushError::Unavailable)?;
    core.metrics.push_rows_accepted.inc_by(count as u64);
    Ok(axum::Json(json!({"accepted": count, "seq": seq})).into_response())
}

/// Bodies up to this size are read on the request's own task: they take microseconds,
/// less than a hand-off to the blocking pool would.
const INLINE_READ_BYTES: usize = 16 * 1024;

/// Reads the rows of `bytes`; a large body is read on the blocking pool, so that up
/// to `WALLBOARD_PUSH_MAX_BYTES` of JSON never holds up the async workers.
async fn read_rows(
    entry: Arc<crate::storage::SourcedDataset>,
    bytes: Bytes,
    ndjson: bool,
) -> Result<Vec<Row>, PushError> {
    if bytes.len() <= INLINE_READ_BYTES {
        return parse_rows(&entry.dataset, &bytes, ndjson);
    }
    tokio::task::spawn_blocking(move || parse_rows(&entry.dataset, &bytes, ndjson))
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "reading pushed rows failed");
            Err(PushError::Internal)
        })
}

async fn authorize(
    core: &Core,
    headers: &HeaderMap,
    dataset: &DatasetId,
) -> Result<StoredPushToken, PushError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(PushError::Unauthorized(
            "send the dataset's push token as 'Authorization: Bearer <token>'",
        ))?;
    let hash = hash_secret(secret);
    let token = match core.push_tokens.get(&hash) {
        Some(token) => token,
        None => {
            let token = core
                .storage
                .resolve_push_token(&hash)
                .await
                .map_err(|_| PushError::Unavailable("the database does not answer".into()))?
                .ok_or(PushError::Unauthorized(
                    "this push token is unknown or revoked",
                ))?;
            core.push_tokens.put(hash, token.clone());
            token
        }
    };
    if &token.dataset != dataset {
        return Err(PushError::Unauthorized(
            "this push token belongs to another dataset",
        ));
    }
    Ok(token)
}

fn is_ndjson(headers: &HeaderMap) -> Result<bool, PushError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(false),
        "application/x-ndjson" | "application/ndjson" | "application/jsonl"
        | "application/x-jsonlines" => Ok(true),
        other => Err(PushError::Unsupported(format!(
            "'{other}' is not taken: send application/json (an object or an array of objects) or application/x-ndjson (one object per line)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_stored_only_as_hashes() {
        let a = new_secret();
        assert!(a.starts_with("wbp_") && a.len() == 47, "{a}");
        assert_ne!(a, new_secret());
        let h = hash_secret(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[4..]));
        assert_eq!(h, hash_secret(&a));
    }
}
