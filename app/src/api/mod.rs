//! Server functions: the browser's typed calls into the server, one feature per file.
//! Each is thin: parse into model types, call the `Backend`, return. Their bodies run
//! only on the server; in the browser each is a `fetch` to its endpoint.

mod account;
mod dashboards;
mod datasets;
mod push;
mod shares;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use account::*;
pub use dashboards::*;
pub use datasets::*;
pub use push::*;
pub use shares::*;

use crate::model::{Dashboard, DashboardId, DatasetSummary, Frame, ShareToken};
use serde::{Deserialize, Serialize};

/// A dashboard as stored: its id and optimistic-concurrency revision beside the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDashboard {
    pub id: DashboardId,
    pub revision: i64,
    pub dashboard: Dashboard,
}

/// One line of the dashboard list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub id: DashboardId,
    pub name: String,
    pub widgets: usize,
    pub updated_at_ms: i64,
}

/// What the editor loads: the dashboard, the datasets it can bind, their current frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    pub stored: StoredDashboard,
    pub datasets: Vec<DatasetSummary>,
    pub frames: Vec<Frame>,
    /// Origins embed widgets may show (`WALLBOARD_EMBED_ORIGINS`).
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// When the server rendered the page (Unix ms): clocks start there.
    #[serde(default)]
    pub rendered_at_ms: i64,
}

/// What a read-only screen loads: the document and its current frames. A share page
/// gets exactly this: no dashboard id, no source configuration, and frames holding
/// only the bound fields, with errors as "source unavailable since …" (`SharedView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenData {
    pub dashboard: Dashboard,
    pub frames: Vec<Frame>,
    /// Where the live stream for this screen is.
    pub stream_url: String,
    /// The refresh interval (ms) of each polled dataset the widgets read, for their
    /// stale badges.
    #[serde(default)]
    pub intervals: Vec<(crate::model::DatasetId, u64)>,
    /// Origins embed widgets may show (`WALLBOARD_EMBED_ORIGINS`).
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// When the server rendered the page (Unix ms): clocks start there.
    #[serde(default)]
    pub rendered_at_ms: i64,
}

/// A read-only link to a dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareLink {
    pub token: ShareToken,
    pub created_at_ms: i64,
}

impl ShareLink {
    pub fn view_path(&self) -> String {
        format!("/s/{}", self.token)
    }

    pub fn kiosk_path(&self) -> String {
        format!("/s/{}/kiosk", self.token)
    }
}

/// A push token as lists show it: never the token itself, which is shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushToken {
    pub id: crate::model::PushTokenId,
    pub dataset: crate::model::DatasetId,
    pub label: String,
    pub created_at_ms: i64,
}

/// A push token just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPushToken {
    pub token: PushToken,
    /// `Authorization: Bearer <secret>` on `POST /api/v1/datasets/{id}/rows`.
    pub secret: String,
}

/// The live-stream URL for a set of datasets (editor and view pages).
pub fn dataset_stream_url(datasets: &[crate::model::DatasetId]) -> String {
    let ids: Vec<&str> = datasets.iter().map(|d| d.as_str()).collect();
    format!("/api/v1/live?datasets={}", ids.join(","))
}
