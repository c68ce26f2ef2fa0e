//! Storage: one repository over two backends, SQLite (the embedded default) and
//! PostgreSQL (for N stateless instances sharing one database). Both speak the same
//! SQL here (`$n` placeholders, TEXT documents, BIGINT Unix-ms times), so each query
//! is written once and run on whichever pool is configured. No SQL lives outside this
//! module; rows become model types at this edge.

use app::api::{DashboardSummary, ShareLink, StoredDashboard};
use app::model::{
    Dashboard, DashboardId, DataSource, Dataset, DatasetId, Frame, ShareLinkId, SourceId,
    WorkspaceId,
};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored {what} '{id}' cannot be read: {why}")]
    Corrupt {
        what: &'static str,
        id: String,
        why: String,
    },
    #[error("could not create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

impl StorageError {
    /// Whether the database could not be reached (as opposed to a bug or bad data).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StorageError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
            )
        )
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// What happened to a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved {
        revision: i64,
        /// Whether the dashboard has a published version (else screens show this draft).
        published: bool,
    },
    /// The stored revision is not the one the save was based on; nothing was written.
    Conflict {
        current: i64,
    },
    NotFound,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to whichever pool is configured; the body is compiled
/// once per backend.
macro_rules! with_pool {
    ($self:expr, |$p:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

mod accounts;
mod dataset_changes;
mod push;
mod screens;
mod uploads;
mod versions;
pub use accounts::{ApiTokenRow, AuditEntry, MemberChange, NewUser, SessionRow, UserRow};
pub use dataset_changes::DatasetUses;
pub use push::{Committed, PushWrite, StoredFrame, StoredPushToken, MAX_ROWS_PER_CHANGE};
pub use screens::{ScreenRow, ScreenState, SharedPlaylist, ONLINE_MS};
pub use uploads::Upload;
pub use versions::{PublishOutcome, Shown, VersionRow};

/// What a share link opens: the dashboard and its revision, and the link itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRevision {
    pub workspace: WorkspaceId,
    pub dashboard: DashboardId,
    /// The link's id, end of life and password (an Argon2 hash).
    pub link: ShareLinkId,
    pub expires_at_ms: Option<i64>,
    pub password_hash: Option<String>,
    /// The draft's revision and the published version (`None`: never published).
    pub revision: i64,
    pub published_version: Option<i64>,
}

impl SharedRevision {
    /// What the link's screens show, as a value that changes whenever that does: the
    /// published version, or the draft's revision while there is none.
    pub fn shown(&self) -> (Option<i64>, i64) {
        match self.published_version {
            Some(version) => (Some(version), 0),
            None => (None, self.revision),
        }
    }
}

/// A dataset with the source it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedDataset {
    /// The workspace it belongs to.
    pub workspace: WorkspaceId,
    pub dataset: Dataset,
    pub source: DataSource,
}

/// Datasets by id, read from storage once per instance. A dataset changed or deleted
/// on any instance is forgotten on every one (`forget`, on the bus's announcement).
#[derive(Default)]
pub struct DatasetCache {
    entries:
        std::sync::RwLock<std::collections::HashMap<DatasetId, std::sync::Arc<SourcedDataset>>>,
    /// Moves on every `forget` and `clear`: a read from storage that began before one
    /// may hold what was just changed, and is not kept.
    generation: std::sync::atomic::AtomicU64,
}

impl DatasetCache {
    /// The dataset `id`, from memory or else from `storage`.
    pub async fn get(
        &self,
        storage: &Storage,
        id: &DatasetId,
    ) -> Result<Option<std::sync::Arc<SourcedDataset>>> {
        use std::sync::atomic::Ordering;
        if let Some(found) = self.entries.read().expect("dataset cache").get(id) {
            return Ok(Some(found.clone()));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(found) = storage.get_dataset(id).await? else {
            return Ok(None);
        };
        let found = std::sync::Arc::new(found);
        let mut entries = self.entries.write().expect("dataset cache");
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(id.clone(), found.clone());
        }
        Ok(Some(found))
    }

    pub fn forget(&self, id: &DatasetId) {
        let mut entries = self.entries.write().expect("dataset cache");
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.remove(id);
    }

    /// Forgets every dataset (announcements were missed).
    pub fn clear(&self) {
        let mut entries = self.entries.write().expect("dataset cache");
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.clear();
    }
}

#[derive(Clone)]
pub struct Storage {
    pool: Pool,
}

impl Storage {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            if let Some(parent) = options.get_filename().parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|source| StorageError::Folder {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
            Pool::Sqlite(pool)
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            Pool::Postgres(pool)
        };
        Ok(Self { pool })
    }

    /// The SQLite database's file, when storage is a SQLite file.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let file = p.connect_options().get_filename().to_path_buf();
                (!file.as_os_str().is_empty() && file.as_os_str() != ":memory:").then_some(file)
            }
            Pool::Postgres(_) => None,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Answers when the database answers; `/readyz` uses it.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }

    // --- dashboards ---

    pub async fn list_dashboards(&self, ws: &WorkspaceId) -> Result<Vec<DashboardSummary>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String, i64)>(
                "SELECT id, name, document, updated_at FROM dashboards
                 WHERE workspace_id = $1 ORDER BY updated_at DESC",
            )
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        Ok(skip_corrupt(rows.into_iter().map(
            |(id, name, document, updated_at_ms)| {
                let dashboard = decode_dashboard(&id, &document)?;
                Ok(DashboardSummary {
                    id: parse_id(&id, "dashboard", DashboardId::parse)?,
                    name,
                    widgets: dashboard.widgets.len(),
                    updated_at_ms,
                })
            },
        )))
    }

    pub async fn insert_dashboard(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
        dashboard: &Dashboard,
    ) -> Result<()> {
        let document = serde_json::to_string(dashboard).expect("a dashboard serializes");
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO dashboards (id, name, document, revision, created_at, updated_at, workspace_id)
                 VALUES ($1, $2, $3, 1, $4, $4, $5)",
            )
            .bind(id.as_str())
            .bind(&dashboard.name)
            .bind(&document)
            .bind(now)
            .bind(ws.as_str())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Dashboard `id` if it belongs to `ws` (another workspace's is `None`).
    pub async fn get_dashboard(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
    ) -> Result<Option<StoredDashboard>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT document, revision FROM dashboards WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(document, revision)| {
            Ok(StoredDashboard {
                id: id.clone(),
                revision,
                dashboard: decode_dashboard(id.as_str(), &document)?,
            })
        })
        .transpose()
    }

    /// Writes `dashboard` only if the stored revision is `expected`, in one statement,
    /// so two concurrent saves of the same revision cannot both succeed.
    pub async fn update_dashboard(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
        dashboard: &Dashboard,
        expected: i64,
    ) -> Result<SaveOutcome> {
        let document = serde_json::to_string(dashboard).expect("a dashboard serializes");
        let now = crate::now_ms();
        let updated = with_pool!(self, |p| {
            sqlx::query_scalar::<_, Option<i64>>(
                "UPDATE dashboards SET document = $1, name = $2, revision = revision + 1, updated_at = $3
                 WHERE id = $4 AND revision = $5 AND workspace_id = $6
                 RETURNING published_version",
            )
            .bind(&document)
            .bind(&dashboard.name)
            .bind(now)
            .bind(id.as_str())
            .bind(expected)
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        if let Some(published_version) = updated {
            return Ok(SaveOutcome::Saved {
                revision: expected + 1,
                published: published_version.is_some(),
            });
        }
        let current = with_pool!(self, |p| {
            sqlx::query_scalar::<_, i64>(
                "SELECT revision FROM dashboards WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        Ok(match current {
            Some(current) => SaveOutcome::Conflict { current },
            None => SaveOutcome::NotFound,
        })
    }

    /// Deletes a dashboard and its share links; `false` if there was none.
    pub async fn delete_dashboard(&self, ws: &WorkspaceId, id: &DashboardId) -> Result<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query("DELETE FROM dashboards WHERE id = $1 AND workspace_id = $2")
                .bind(id.as_str())
                .bind(ws.as_str())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }

    // --- sources and datasets ---

    /// Stores a source and a dataset reading it, together or not at all.
    pub async fn insert_source_and_dataset(
        &self,
        ws: &WorkspaceId,
        source: &DataSource,
        dataset: &Dataset,
    ) -> Result<()> {
        let source_config =
            serde_json::to_string(&source.config).expect("a source config serializes");
        let dataset_config = serde_json::to_string(&DatasetConfig::of(dataset))
            .expect("a dataset config serializes");
        let now = crate::now_ms();
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO data_sources (id, name, config, created_at, updated_at, workspace_id)
                 VALUES ($1, $2, $3, $4, $4, $5)",
            )
            .bind(source.id.as_str())
            .bind(&source.name)
            .bind(&source_config)
            .bind(now)
            .bind(ws.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO datasets (id, name, source_id, config, created_at, updated_at, workspace_id)
                 VALUES ($1, $2, $3, $4, $5, $5, $6)",
            )
            .bind(dataset.id.as_str())
            .bind(&dataset.name)
            .bind(source.id.as_str())
            .bind(&dataset_config)
            .bind(now)
            .bind(ws.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// Every source (for re-sealing credentials with a new key).
    pub async fn list_sources(&self) -> Result<Vec<DataSource>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT id, name, config FROM data_sources ORDER BY created_at, id",
            )
            .fetch_all(p)
            .await
        })?;
        Ok(skip_corrupt(rows.into_iter().map(|(id, name, config)| {
            Ok(DataSource {
                config: serde_json::from_str(&config).map_err(|e| corrupt("source", &id, e))?,
                id: parse_id(&id, "source", SourceId::parse)?,
                name,
            })
        })))
    }

    /// Replaces a source's configuration.
    pub async fn update_source_config(&self, source: &DataSource) -> Result<()> {
        let config = serde_json::to_string(&source.config).expect("a source config serializes");
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query("UPDATE data_sources SET config = $1, updated_at = $2 WHERE id = $3")
                .bind(&config)
                .bind(now)
                .bind(source.id.as_str())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn get_source(&self, id: &SourceId) -> Result<Option<DataSource>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT name, config FROM data_sources WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(name, config)| {
            let config =
                serde_json::from_str(&config).map_err(|e| corrupt("source", id.as_str(), e))?;
            Ok(DataSource {
                id: id.clone(),
                name,
                config,
            })
        })
        .transpose()
    }

    /// Every dataset of every workspace with its source, oldest first (for polling).
    pub async fn list_datasets(&self) -> Result<Vec<SourcedDataset>> {
        self.datasets_where(None).await
    }

    /// The datasets of workspace `ws` with their sources, oldest first.
    pub async fn list_datasets_in(&self, ws: &WorkspaceId) -> Result<Vec<SourcedDataset>> {
        self.datasets_where(Some(ws)).await
    }

    async fn datasets_where(&self, ws: Option<&WorkspaceId>) -> Result<Vec<SourcedDataset>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, SourcedRow>(
                "SELECT d.id, d.name, d.config, s.id, s.name, s.config, d.workspace_id
                 FROM datasets d JOIN data_sources s ON s.id = d.source_id
                 WHERE $1 IS NULL OR d.workspace_id = $1
                 ORDER BY d.created_at, d.id",
            )
            .bind(ws.map(|w| w.as_str()))
            .fetch_all(p)
            .await
        })?;
        Ok(skip_corrupt(rows.into_iter().map(decode_sourced)))
    }

    /// Dataset `id` of any workspace (callers compare its `workspace`).
    pub async fn get_dataset(&self, id: &DatasetId) -> Result<Option<SourcedDataset>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, SourcedRow>(
                "SELECT d.id, d.name, d.config, s.id, s.name, s.config, d.workspace_id
                 FROM datasets d JOIN data_sources s ON s.id = d.source_id WHERE d.id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(decode_sourced).transpose()
    }

    /// Keeps the latest frame of a polled dataset, so a restarted server (or another
    /// instance) shows it at once and goes on counting from its `seq`.
    pub async fn save_frame(&self, frame: &Frame) -> Result<()> {
        let text = serde_json::to_string(frame).expect("a frame serializes");
        self.save_frame_json(&frame.dataset, frame.seq, &text).await
    }

    /// Stores the latest frame of `dataset` (its `seq`), given as JSON.
    pub async fn save_frame_json(&self, dataset: &DatasetId, seq: u64, text: &str) -> Result<()> {
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO dataset_frames (dataset_id, frame, updated_at, seq) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (dataset_id) DO UPDATE
                 SET frame = excluded.frame, updated_at = excluded.updated_at, seq = excluded.seq",
            )
            .bind(dataset.as_str())
            .bind(text)
            .bind(now)
            .bind(seq as i64)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    // --- share links ---

    /// Stores a new share link of `dashboard` under the hash of its token.
    pub async fn insert_share_link(
        &self,
        dashboard: &DashboardId,
        token_hash: &str,
        expires_at_ms: Option<i64>,
        password_hash: Option<&str>,
    ) -> Result<ShareLink> {
        let now = crate::now_ms();
        let id = ShareLinkId::parse(crate::new_id()).expect("hex is a valid id");
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO share_links (token, dashboard_id, created_at, id, hashed, expires_at, password_hash)
                 VALUES ($1, $2, $3, $4, 1, $5, $6)",
            )
            .bind(token_hash)
            .bind(dashboard.as_str())
            .bind(now)
            .bind(id.as_str())
            .bind(expires_at_ms)
            .bind(password_hash)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(ShareLink {
            id,
            created_at_ms: now,
            expires_at_ms,
            has_password: password_hash.is_some(),
            views: 0,
            last_view_ms: None,
        })
    }

    /// The links of `dashboard` not revoked (expired ones included, to be seen as such).
    pub async fn list_share_links(&self, dashboard: &DashboardId) -> Result<Vec<ShareLink>> {
        type Row = (String, i64, Option<i64>, bool, i64, Option<i64>);
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, Row>(
                "SELECT id, created_at, expires_at, password_hash IS NOT NULL, views, last_view_at
                 FROM share_links
                 WHERE dashboard_id = $1 AND revoked_at IS NULL AND id IS NOT NULL
                 ORDER BY created_at",
            )
            .bind(dashboard.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(
                |(id, created_at_ms, expires_at_ms, has_password, views, last_view_ms)| {
                    Ok(ShareLink {
                        id: parse_id(&id, "share link", ShareLinkId::parse)?,
                        created_at_ms,
                        expires_at_ms,
                        has_password,
                        views,
                        last_view_ms,
                    })
                },
            )
            .collect()
    }

    /// Revokes link `id` if it belongs to `dashboard`; returns its token hash, `None`
    /// if there is no such live link.
    pub async fn revoke_share_link(
        &self,
        dashboard: &DashboardId,
        id: &ShareLinkId,
    ) -> Result<Option<String>> {
        let now = crate::now_ms();
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>(
                "UPDATE share_links SET revoked_at = $1
                 WHERE id = $2 AND dashboard_id = $3 AND revoked_at IS NULL
                 RETURNING token",
            )
            .bind(now)
            .bind(id.as_str())
            .bind(dashboard.as_str())
            .fetch_optional(p)
            .await
        })?)
    }

    /// What a live share link (by its token's hash) opens, in one query; `None` if the
    /// link is unknown, revoked or expired, or its dashboard is gone.
    pub async fn shared_revision(&self, token_hash: &str) -> Result<Option<SharedRevision>> {
        type Row = (
            String,
            i64,
            Option<i64>,
            String,
            String,
            Option<i64>,
            Option<String>,
        );
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, Row>(
                "SELECT d.id, d.revision, d.published_version, d.workspace_id, s.id, s.expires_at, \
                        s.password_hash \
                 FROM share_links s JOIN dashboards d ON d.id = s.dashboard_id \
                 WHERE s.token = $1 AND s.hashed = 1 AND s.revoked_at IS NULL \
                   AND (s.expires_at IS NULL OR s.expires_at > $2)",
            )
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_optional(p)
            .await
        })?;
        row.map(
            |(id, revision, published_version, workspace, link, expires_at_ms, password_hash)| {
                Ok(SharedRevision {
                    workspace: parse_id(&workspace, "workspace", WorkspaceId::parse)?,
                    dashboard: parse_id(&id, "dashboard", DashboardId::parse)?,
                    revision,
                    published_version,
                    link: parse_id(&link, "share link", ShareLinkId::parse)?,
                    expires_at_ms,
                    password_hash,
                })
            },
        )
        .transpose()
    }

    /// Counts one opening of a share link's page.
    pub async fn count_share_view(&self, link: &ShareLinkId) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE share_links SET views = views + 1, last_view_at = $1 WHERE id = $2")
                .bind(crate::now_ms())
                .bind(link.as_str())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Stores the hash of every share token kept in the clear by versions before
    /// hashing, and gives each link an id; how many there were. Run at start-up; safe
    /// to run on several instances at once (each row is changed once).
    pub async fn hash_legacy_share_tokens(&self) -> Result<usize> {
        let tokens = with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>("SELECT token FROM share_links WHERE hashed = 0")
                .fetch_all(p)
                .await
        })?;
        for token in &tokens {
            let hash = crate::push::hash_secret(token);
            with_pool!(self, |p| {
                sqlx::query(
                    "UPDATE share_links SET token = $1, hashed = 1, id = $2 WHERE token = $3 AND hashed = 0",
                )
                .bind(&hash)
                .bind(crate::new_id())
                .bind(token)
                .execute(p)
                .await
                .map(|_| ())
            })?;
        }
        Ok(tokens.len())
    }

    // --- meta ---

    pub async fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>("SELECT value FROM meta WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await
        })?)
    }

    /// Sets `key` only if it is not set yet; `true` if this call set it. Lets one of
    /// several instances starting together claim a one-time task.
    pub async fn claim_meta(&self, key: &str, value: &str) -> Result<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }
}

/// The part of a `Dataset` kept in its `config` column.
#[derive(serde::Serialize, serde::Deserialize)]
struct DatasetConfig {
    path: app::model::JsonPathExpr,
    fields: Vec<app::model::Field>,
    refresh: app::model::RefreshInterval,
    #[serde(default)]
    always_refresh: bool,
    #[serde(default)]
    pipeline: app::pipeline::Pipeline,
    #[serde(default)]
    columns: app::model::Columns,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stale_after_secs: Option<u32>,
}

impl DatasetConfig {
    fn of(d: &Dataset) -> Self {
        Self {
            path: d.path.clone(),
            fields: d.fields.clone(),
            refresh: d.refresh,
            always_refresh: d.always_refresh,
            pipeline: d.pipeline.clone(),
            columns: d.columns,
            stale_after_secs: d.stale_after_secs,
        }
    }
}

/// Keeps the readable items of a listing and logs the others, so one bad row (say, a
/// document from a newer version) does not hide every other row or stop start-up.
fn skip_corrupt<T>(items: impl Iterator<Item = Result<T>>) -> Vec<T> {
    items
        .filter_map(|item| match item {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::warn!(error = %err, "skipping a stored row that cannot be read");
                None
            }
        })
        .collect()
}

fn decode_dashboard(id: &str, document: &str) -> Result<Dashboard> {
    Dashboard::from_json(document).map_err(|e| corrupt("dashboard", id, e))
}

fn decode_dataset(id: String, name: String, source: String, config: &str) -> Result<Dataset> {
    let c: DatasetConfig = serde_json::from_str(config).map_err(|e| corrupt("dataset", &id, e))?;
    Ok(Dataset {
        id: parse_id(&id, "dataset", DatasetId::parse)?,
        name,
        source: parse_id(&source, "source", SourceId::parse)?,
        path: c.path,
        fields: c.fields,
        refresh: c.refresh,
        always_refresh: c.always_refresh,
        pipeline: c.pipeline,
        columns: c.columns,
        stale_after_secs: c.stale_after_secs,
    })
}

/// A dataset row joined with its source: dataset id, name and config; source id, name
/// and config; workspace.
type SourcedRow = (String, String, String, String, String, String, String);

fn decode_sourced(row: SourcedRow) -> Result<SourcedDataset> {
    let (id, name, config, source_id, source_name, source_config, workspace) = row;
    let source = DataSource {
        id: parse_id(&source_id, "source", SourceId::parse)?,
        name: source_name,
        config: serde_json::from_str(&source_config)
            .map_err(|e| corrupt("source", &source_id, e))?,
    };
    Ok(SourcedDataset {
        workspace: parse_id(&workspace, "workspace", WorkspaceId::parse)?,
        dataset: decode_dataset(id, name, source_id, &config)?,
        source,
    })
}

fn parse_id<T>(
    raw: &str,
    what: &'static str,
    parse: fn(String) -> std::result::Result<T, app::model::Invalid>,
) -> Result<T> {
    parse(raw.to_string()).map_err(|e| corrupt(what, raw, e))
}

fn corrupt(what: &'static str, id: &str, why: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        what,
        id: id.to_string(),
        why: why.to_string(),
    }
}
