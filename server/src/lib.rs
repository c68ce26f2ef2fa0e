//! The Wallboard server: configuration, storage, source polling, the live hub and the
//! HTTP layer (Leptos pages, server functions, streams, health, assets).

pub mod auth;
pub mod backend;
pub mod config;
pub mod demo;
pub mod http;
pub mod live;
pub mod metrics;
pub mod push;
pub mod rate;
pub mod sandbox;
pub mod sources;
pub mod startup;
pub mod storage;
pub mod telemetry;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new random id: 128 bits, as 32 hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
