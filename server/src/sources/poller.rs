//! The polling schedule: one task per dataset, refreshing it on its interval.
//!
//! A refresh fetches the source, extracts typed rows and publishes a new frame. A
//! failed refresh publishes the *last good* rows with the error, so every screen keeps
//! the last good value and shows why it is stale. One dataset's slow source never
//! delays another's.

use crate::live::LiveHub;
use crate::storage::Storage;
use app::model::{DataSource, Dataset, DatasetId, Frame, SourceConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// What a refresh needs, shared by all polling tasks.
pub struct PollContext {
    pub storage: Storage,
    pub hub: Arc<LiveHub>,
    pub client: reqwest::Client,
    pub max_response_bytes: usize,
    pub metrics: Arc<crate::metrics::Metrics>,
}

#[derive(Default)]
pub struct Scheduler {
    tasks: Mutex<HashMap<DatasetId, JoinHandle<()>>>,
}

impl Scheduler {
    /// Starts (or restarts) polling `dataset`.
    pub fn schedule(&self, ctx: Arc<PollContext>, dataset: Dataset) {
        let id = dataset.id.clone();
        let task = tokio::spawn(poll_forever(ctx, dataset));
        if let Some(old) = self.tasks.lock().expect("scheduler lock").insert(id, task) {
            old.abort();
        }
    }

    /// Whether `id` is a dataset this instance knows (and polls).
    pub fn knows(&self, id: &DatasetId) -> bool {
        self.tasks.lock().expect("scheduler lock").contains_key(id)
    }

    pub fn stop_all(&self) {
        for (_, task) in self.tasks.lock().expect("scheduler lock").drain() {
            task.abort();
        }
    }
}

async fn poll_forever(ctx: Arc<PollContext>, dataset: Dataset) {
    let mut ticker = tokio::time::interval(Duration::from_millis(dataset.refresh.millis()));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The source's configuration is read once, not on every tick (again after a
    // failed read).
    let mut source = None;
    loop {
        ticker.tick().await;
        refresh(&ctx, &dataset, &mut source).await;
    }
}

/// Refreshes `dataset` once and publishes the result.
#[tracing::instrument(skip_all, fields(dataset = %dataset.id))]
pub async fn refresh(ctx: &PollContext, dataset: &Dataset, source: &mut Option<DataSource>) {
    let previous = ctx
        .hub
        .latest(&dataset.id)
        .map(|p| p.frame.clone())
        .unwrap_or_else(|| Frame::empty(dataset.id.clone()));
    let started = std::time::Instant::now();
    let outcome = read(ctx, dataset, source).await;
    ctx.metrics.polls.inc();
    ctx.metrics
        .poll_seconds
        .observe(started.elapsed().as_secs_f64());
    if outcome.is_err() {
        ctx.metrics.poll_failures.inc();
    }
    let frame = match outcome {
        Ok(rows) => {
            if previous.rows == rows && previous.error.is_none() {
                return;
            }
            Frame {
                dataset: dataset.id.clone(),
                seq: previous.seq + 1,
                rows,
                updated_at_ms: crate::now_ms(),
                error: None,
            }
        }
        Err(error) => {
            tracing::info!(error = %error, "refresh failed; keeping the last good data");
            if previous.error.as_deref() == Some(error.as_str()) {
                return;
            }
            Frame {
                seq: previous.seq + 1,
                error: Some(error),
                ..previous
            }
        }
    };
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        seq = frame.seq,
        "refreshed"
    );
    if let Err(err) = ctx.storage.save_frame(&frame).await {
        tracing::warn!(error = %err, "could not store the latest frame");
    }
    ctx.hub.publish(frame);
    ctx.metrics.frames_published.inc();
}

async fn read(
    ctx: &PollContext,
    dataset: &Dataset,
    cached: &mut Option<DataSource>,
) -> Result<Vec<app::model::Row>, String> {
    if cached.is_none() {
        *cached = Some(
            ctx.storage
                .get_source(&dataset.source)
                .await
                .map_err(|_| "the source configuration cannot be read".to_string())?
                .ok_or_else(|| "the source of this dataset was deleted".to_string())?,
        );
    }
    let source = cached.as_ref().expect("loaded above");
    match &source.config {
        SourceConfig::Http(http) => {
            let body = super::http::fetch(&ctx.client, http, ctx.max_response_bytes).await?;
            // Parsing and extraction are CPU work: keep them off the async workers.
            let dataset = dataset.clone();
            tokio::task::spawn_blocking(move || {
                let doc: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| format!("the response is not JSON: {e}"))?;
                dataset.extract(&doc)
            })
            .await
            .map_err(|_| "reading the response failed".to_string())?
        }
    }
}
