//! Drafts and published versions. `dashboards.document` is the draft the editor saves
//! to; a publish copies it into `dashboard_versions` and points `published_version`
//! at the copy. Screens read [`Storage::get_shown`]: the published version, or the
//! draft of a dashboard never published.

use super::{decode_dashboard, Pool, Result, Storage};
use app::model::{Dashboard, DashboardId, WorkspaceId};

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Published(VersionRow),
    /// The draft is what screens show already: no new version.
    Unchanged(VersionRow),
    /// The draft is not at the revision the publish was asked for (saved elsewhere
    /// meanwhile), or another publish took the same version number: nothing changed.
    Conflict {
        current: i64,
    },
    NotFound,
}

/// One published version, without its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub name: String,
    pub widgets: i64,
    pub published_at_ms: i64,
    /// The actor, as the audit log names it (`user:<id>`, `system`, …).
    pub published_by: String,
}

/// What screens of a dashboard show, and what the editor needs to know of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub dashboard: Dashboard,
    /// `None`: never published, `dashboard` is the draft.
    pub version: Option<i64>,
    /// The draft's revision.
    pub revision: i64,
}

impl Storage {
    /// The document screens of `id` show: its published version, or its draft if it was
    /// never published. `None` if `ws` holds no such dashboard.
    pub async fn get_shown(&self, ws: &WorkspaceId, id: &DashboardId) -> Result<Option<Shown>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, Option<i64>, i64)>(
                "SELECT COALESCE(v.document, d.document), d.published_version, d.revision
                 FROM dashboards d
                 LEFT JOIN dashboard_versions v
                   ON v.dashboard_id = d.id AND v.version = d.published_version
                 WHERE d.id = $1 AND d.workspace_id = $2",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(document, version, revision)| {
            Ok(Shown {
                dashboard: decode_dashboard(id.as_str(), &document)?,
                version,
                revision,
            })
        })
        .transpose()
    }

    /// Whether `ws` holds dashboard `id`.
    pub async fn dashboard_exists(&self, ws: &WorkspaceId, id: &DashboardId) -> Result<bool> {
        let found = with_pool!(self, |p| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM dashboards WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_one(p)
            .await
        })?;
        Ok(found > 0)
    }

    /// Publishes the draft of `id` if it is at revision `expected`: copies it as the
    /// next version and makes that the one screens show, in one transaction. A draft
    /// equal to the published version makes no new version.
    pub async fn publish_dashboard(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
        expected: i64,
        actor: &str,
    ) -> Result<PublishOutcome> {
        let now = crate::now_ms();
        let published = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                // Locks the dashboard's row (PostgreSQL) or the database (SQLite) until
                // the commit, so the version number below is not taken twice.
                let draft = sqlx::query_as::<_, (String, String, i64)>(
                    "UPDATE dashboards
                     SET published_version =
                         (SELECT COALESCE(MAX(version), 0) + 1 FROM dashboard_versions
                          WHERE dashboard_id = $1)
                     WHERE id = $1 AND workspace_id = $2 AND revision = $3
                       AND (published_version IS NULL OR document <>
                            (SELECT v.document FROM dashboard_versions v
                             WHERE v.dashboard_id = $1 AND v.version = dashboards.published_version))
                     RETURNING name, document, published_version",
                )
                .bind(id.as_str())
                .bind(ws.as_str())
                .bind(expected)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((name, document, version)) = draft else {
                    return Ok::<_, sqlx::Error>(None);
                };
                let widgets = Dashboard::from_json(&document)
                    .map(|d| d.widgets.len() as i64)
                    .unwrap_or(0);
                let inserted = sqlx::query(
                    "INSERT INTO dashboard_versions
                       (dashboard_id, version, name, document, widgets, published_at, published_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id.as_str())
                .bind(version)
                .bind(&name)
                .bind(&document)
                .bind(widgets)
                .bind(now)
                .bind(actor)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => {}
                    // Another publish took this number first (PostgreSQL's read
                    // committed): a conflict, nothing written.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                }
                tx.commit().await?;
                Ok(Some(VersionRow {
                    version,
                    name,
                    widgets,
                    published_at_ms: now,
                    published_by: actor.to_string(),
                }))
            }
            .await
        })?;
        if let Some(row) = published {
            return Ok(PublishOutcome::Published(row));
        }
        let Some(shown) = self.get_shown(ws, id).await? else {
            return Ok(PublishOutcome::NotFound);
        };
        if shown.revision == expected && shown.version.is_some() {
            // The newest version is the published one (a restore makes a draft).
            if let Some(row) = self.list_versions(ws, id, 1).await?.pop() {
                if Some(row.version) == shown.version {
                    return Ok(PublishOutcome::Unchanged(row));
                }
            }
        }
        Ok(PublishOutcome::Conflict {
            current: shown.revision,
        })
    }

    /// The versions of `id`, newest first, at most `limit`.
    pub async fn list_versions(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
        limit: i64,
    ) -> Result<Vec<VersionRow>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (i64, String, i64, i64, String)>(
                "SELECT v.version, v.name, v.widgets, v.published_at, v.published_by
                 FROM dashboard_versions v JOIN dashboards d ON d.id = v.dashboard_id
                 WHERE v.dashboard_id = $1 AND d.workspace_id = $2
                 ORDER BY v.version DESC LIMIT $3",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .bind(limit)
            .fetch_all(p)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(version, name, widgets, published_at_ms, published_by)| VersionRow {
                    version,
                    name,
                    widgets,
                    published_at_ms,
                    published_by,
                },
            )
            .collect())
    }

    /// Version `version` of `id`'s document.
    pub async fn get_version(
        &self,
        ws: &WorkspaceId,
        id: &DashboardId,
        version: i64,
    ) -> Result<Option<Dashboard>> {
        let document = with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>(
                "SELECT v.document
                 FROM dashboard_versions v JOIN dashboards d ON d.id = v.dashboard_id
                 WHERE v.dashboard_id = $1 AND v.version = $2 AND d.workspace_id = $3",
            )
            .bind(id.as_str())
            .bind(version)
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        document
            .map(|d| decode_dashboard(&format!("{id} version {version}"), &d))
            .transpose()
    }
}
