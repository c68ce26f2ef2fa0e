//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format: open live
//! streams, frames published and events delivered, polls and their durations.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;

pub struct Metrics {
    registry: Registry,
    /// Live streams open on this instance.
    pub viewers: Gauge,
    /// Frames published to the live hub (one per dataset change).
    pub frames_published: Counter,
    /// Events written to viewer streams (snapshots and frames).
    pub events_delivered: Counter,
    pub polls: Counter,
    pub poll_failures: Counter,
    /// Seconds one refresh of a dataset took (fetch, parse, extract).
    pub poll_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let viewers = Gauge::default();
        let frames_published = Counter::default();
        let events_delivered = Counter::default();
        let polls = Counter::default();
        let poll_failures = Counter::default();
        let poll_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "wallboard_viewers",
            "Live streams open on this instance",
            viewers.clone(),
        );
        registry.register(
            "wallboard_frames_published",
            "Frames published to the live hub",
            frames_published.clone(),
        );
        registry.register(
            "wallboard_events_delivered",
            "Events written to viewer streams",
            events_delivered.clone(),
        );
        registry.register(
            "wallboard_polls",
            "Dataset refreshes attempted",
            polls.clone(),
        );
        registry.register(
            "wallboard_poll_failures",
            "Dataset refreshes that failed",
            poll_failures.clone(),
        );
        registry.register(
            "wallboard_poll_duration_seconds",
            "Time one dataset refresh took",
            poll_seconds.clone(),
        );
        Arc::new(Self {
            registry,
            viewers,
            frames_published,
            events_delivered,
            polls,
            poll_failures,
            poll_seconds,
        })
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Counts one open stream for as long as it lives.
pub struct ViewerGuard(Arc<Metrics>);

impl ViewerGuard {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        metrics.viewers.inc();
        Self(metrics)
    }
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        self.0.viewers.dec();
    }
}

/// `GET /metrics`.
pub async fn handler(
    axum::extract::State(core): axum::extract::State<Arc<crate::startup::Core>>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        core.metrics.render(),
    )
}
