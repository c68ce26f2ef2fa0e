//! `/healthz` (the process runs) and `/readyz` (it can serve: storage answers and it is
//! not shutting down).

use crate::startup::Core;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(core): State<Arc<Core>>) -> (StatusCode, &'static str) {
    if *core.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match tokio::time::timeout(Duration::from_secs(2), core.storage.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: storage does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "storage does not answer")
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "storage does not answer in time",
        ),
    }
}
