//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format: open live
//! streams, updates published, delivered and coalesced, pushes, polls and their
//! durations, and polling-lease changes.

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
    /// Stream requests refused because the instance was full or stopping.
    pub viewers_refused: Counter,
    /// Dataset changes this instance published (a poll result or a committed push).
    pub updates_published: Counter,
    /// Events written to viewer streams (snapshots, frames and appends).
    pub updates_delivered: Counter,
    /// Writes of events to viewer streams: one write carries every event a viewer of
    /// several datasets has due when it wakes.
    pub stream_writes: Counter,
    /// Changes a viewer never saw on its own because a newer one replaced them first.
    pub updates_coalesced: Counter,
    pub push_requests: Counter,
    pub push_rows_accepted: Counter,
    pub push_rows_rejected: Counter,
    /// Push requests refused by the per-token rate limit.
    pub push_rate_limited: Counter,
    /// Pushes committed per database transaction (group commit).
    pub push_batch_requests: Histogram,
    pub polls: Counter,
    pub poll_failures: Counter,
    /// Seconds one refresh of a dataset took (fetch, parse, extract).
    pub poll_seconds: Histogram,
    /// Times this instance took over a dataset's polling lease.
    pub lease_acquired: Counter,
    /// Times this instance lost or gave up a dataset's polling lease.
    pub lease_released: Counter,
    /// Polling leases this instance holds now.
    pub leases_held: Gauge,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let mut counter = |name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let viewers_refused = counter(
            "wallboard_viewers_refused",
            "Stream requests refused (instance full or stopping)",
        );
        let updates_published = counter(
            "wallboard_updates_published",
            "Dataset changes published by this instance",
        );
        let updates_delivered = counter(
            "wallboard_updates_delivered",
            "Events written to viewer streams",
        );
        let stream_writes = counter(
            "wallboard_stream_writes",
            "Writes of events to viewer streams (one write may carry several events)",
        );
        let updates_coalesced = counter(
            "wallboard_updates_coalesced",
            "Changes skipped for a viewer because a newer one came first",
        );
        let push_requests = counter("wallboard_push_requests", "Push API requests");
        let push_rows_accepted = counter(
            "wallboard_push_rows_accepted",
            "Rows committed through the push API",
        );
        let push_rows_rejected = counter(
            "wallboard_push_rows_rejected",
            "Rows in push requests that were refused",
        );
        let push_rate_limited = counter(
            "wallboard_push_rate_limited",
            "Push requests refused by the rate limit",
        );
        let polls = counter("wallboard_polls", "Dataset refreshes attempted");
        let poll_failures = counter("wallboard_poll_failures", "Dataset refreshes that failed");
        let lease_acquired = counter(
            "wallboard_lease_acquired",
            "Polling leases this instance took over",
        );
        let lease_released = counter(
            "wallboard_lease_released",
            "Polling leases this instance lost or gave up",
        );
        let viewers = Gauge::default();
        registry.register(
            "wallboard_viewers",
            "Live streams open on this instance",
            viewers.clone(),
        );
        let leases_held = Gauge::default();
        registry.register(
            "wallboard_leases_held",
            "Polling leases this instance holds now",
            leases_held.clone(),
        );
        let poll_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "wallboard_poll_duration_seconds",
            "Time one dataset refresh took",
            poll_seconds.clone(),
        );
        let push_batch_requests = Histogram::new(exponential_buckets(1.0, 2.0, 12));
        registry.register(
            "wallboard_push_batch_requests",
            "Push requests committed in one database transaction",
            push_batch_requests.clone(),
        );
        Arc::new(Self {
            registry,
            viewers,
            viewers_refused,
            updates_published,
            updates_delivered,
            stream_writes,
            updates_coalesced,
            push_requests,
            push_rows_accepted,
            push_rows_rejected,
            push_rate_limited,
            push_batch_requests,
            polls,
            poll_failures,
            poll_seconds,
            lease_acquired,
            lease_released,
            leases_held,
        })
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// `GET /metrics`.
/// `GET /metrics`, for a scraper holding `WALLBOARD_METRICS_TOKEN` as its bearer
/// token; 404 when no token is configured.
pub async fn handler(
    axum::extract::State(core): axum::extract::State<Arc<crate::startup::Core>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let Some(expected) = &core.config.metrics_token else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off: set WALLBOARD_METRICS_TOKEN and scrape with it as a bearer token",
        )
            .into_response();
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as hashes, so the time taken says nothing about the token.
    if crate::push::hash_secret(given) != crate::push::hash_secret(expected.expose()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "send WALLBOARD_METRICS_TOKEN as 'Authorization: Bearer <token>'",
        )
            .into_response();
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        core.metrics.render(),
    )
        .into_response()
}
