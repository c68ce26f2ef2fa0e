//! Server functions: the browser's typed calls into the server, one feature per file.
//! Each is thin: parse into model types, call the `Backend`, return. Their bodies run
//! only on the server; in the browser each is a `fetch` to its endpoint.

mod account;
mod dashboards;
mod datasets;
mod push;
mod screens;
mod shares;
#[cfg(feature = "ssr")]
pub mod ssr;
mod transfer;

pub use account::*;
pub use dashboards::*;
pub use datasets::*;
pub use push::*;
pub use screens::*;
pub use shares::*;
pub use transfer::*;

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

/// One published version of a dashboard, as its history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub version: i64,
    pub name: String,
    pub widgets: usize,
    pub published_at_ms: i64,
    /// Who published it (a member's e-mail address, or how the audit log names them).
    pub published_by: String,
}

/// The version of a dashboard its screens show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedDashboard {
    pub version: i64,
    pub dashboard: Dashboard,
}

/// How many versions a dashboard's history lists (the newest).
pub const MAX_VERSIONS_LISTED: i64 = 200;

/// What the editor loads: the dashboard, the datasets it can bind, their current frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    pub stored: StoredDashboard,
    /// What its screens show, if it was ever published (else they show the draft).
    #[serde(default)]
    pub published: Option<PublishedDashboard>,
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
    /// What to expect of the updates of each dataset the widgets read, for their
    /// stale badges.
    #[serde(default)]
    pub freshness: Vec<(crate::model::DatasetId, crate::model::Freshness)>,
    /// Origins embed widgets may show (`WALLBOARD_EMBED_ORIGINS`).
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// When the server rendered the page (Unix ms): clocks start there.
    #[serde(default)]
    pub rendered_at_ms: i64,
}

/// A read-only link to a dashboard, as lists show it: never its token, which is
/// shown once, when it is made (`NewShareLink`), and stored hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: crate::model::ShareLinkId,
    pub created_at_ms: i64,
    /// When it stops working; `None`: until revoked.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// Whether viewers must give a password first.
    #[serde(default)]
    pub has_password: bool,
    /// How many times its page was opened, and when last.
    #[serde(default)]
    pub views: i64,
    #[serde(default)]
    pub last_view_ms: Option<i64>,
}

/// A share link just made: the only time its token (and so its address) is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewShareLink {
    pub link: ShareLink,
    pub token: ShareToken,
}

impl NewShareLink {
    pub fn view_path(&self) -> String {
        format!("/s/{}", self.token)
    }

    pub fn kiosk_path(&self) -> String {
        format!("/s/{}/kiosk", self.token)
    }
}

/// Longest life of a share link with an expiry, in hours (a year), and the bounds of
/// a share password.
pub const MAX_SHARE_HOURS: u32 = 24 * 366;
pub const MIN_SHARE_PASSWORD_CHARS: usize = 8;
pub const MAX_SHARE_PASSWORD_BYTES: usize = 256;

/// How a new share link is limited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShareOptions {
    /// Hours until it stops working; `None`: until revoked.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
    /// A password viewers must give first; `None` or empty: none.
    #[serde(default)]
    pub password: Option<String>,
}

impl ShareOptions {
    pub fn validate(&self) -> Result<(), crate::model::Invalid> {
        if let Some(hours) = self.expires_in_hours {
            if hours == 0 || hours > MAX_SHARE_HOURS {
                return Err(crate::model::Invalid::new(
                    "expires_in_hours",
                    format!("a link lasts 1 to {MAX_SHARE_HOURS} hours (or leave it empty)"),
                ));
            }
        }
        if let Some(password) = self.password.as_deref().filter(|p| !p.is_empty()) {
            if password.len() > MAX_SHARE_PASSWORD_BYTES
                || password.chars().count() < MIN_SHARE_PASSWORD_CHARS
            {
                return Err(crate::model::Invalid::new(
                    "password",
                    format!(
                        "a share password has {MIN_SHARE_PASSWORD_CHARS} characters to \
                         {MAX_SHARE_PASSWORD_BYTES} bytes"
                    ),
                ));
            }
        }
        Ok(())
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

/// A dataset as its edit form starts: the form with every credential blank (they are
/// write-only: left blank, they stay as they are), whether one is set, and for an
/// uploaded spreadsheet the file it reads now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditableDataset {
    pub id: crate::model::DatasetId,
    pub name: String,
    pub kind: crate::model::SourceKind,
    /// A polled dataset's settings (`None` for a pushed one).
    pub form: Option<crate::model::DatasetForm>,
    /// A pushed dataset's settings (`None` for a polled one).
    #[serde(default)]
    pub push: Option<crate::model::NewPushDataset>,
    pub has_credentials: bool,
    pub upload: Option<crate::model::UploadInfo>,
    /// The dataset's "stale after" (also in `form` for polled ones).
    #[serde(default)]
    pub stale_after_secs: Option<u32>,
}

/// One line of the data catalogue: a dataset, how its refreshes go, and where it is
/// read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub dataset: DatasetSummary,
    /// When its latest rows arrived (0: none yet), and how many.
    pub updated_at_ms: i64,
    pub rows: usize,
    /// Why its last refresh failed, if it did.
    pub error: Option<String>,
    /// The dashboards that show it (and datasets that join it).
    pub used_by: Vec<String>,
}

/// What a dataset edit did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetUpdated {
    pub dataset: DatasetSummary,
    /// Fields the dataset had and has no more.
    pub removed_fields: Vec<String>,
    /// Widgets that read a removed field: "Dashboard › widget (field)".
    pub affected: Vec<String>,
}

/// The live-stream URL for a set of datasets (the editor).
pub fn dataset_stream_url(datasets: &[crate::model::DatasetId]) -> String {
    let ids: Vec<&str> = datasets.iter().map(|d| d.as_str()).collect();
    format!("/api/v1/live?datasets={}", ids.join(","))
}

/// The live-stream URL of a view or kiosk page of `dashboard`: its datasets, and a
/// `layout` event when what the page shows changes.
pub fn screen_stream_url(dashboard: &DashboardId, datasets: &[crate::model::DatasetId]) -> String {
    format!("{}&dashboard={dashboard}", dataset_stream_url(datasets))
}
