//! Changing and deleting datasets: their source and configuration in place (the ids
//! stay, so bindings and the sealed credentials' associated data still hold), where a
//! dataset is used, and removing an upload nothing refers to any more.

use super::{decode_dashboard, parse_id, DatasetConfig, Pool, Result, Storage};
use app::model::{DashboardId, DataSource, Dataset, DatasetId, UploadId, WorkspaceId};

/// Where a dataset is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetUses {
    /// Dashboards whose draft or any published version binds it: (id, name, the titles
    /// (or ids) of the widgets that do, in the draft).
    pub dashboards: Vec<(DashboardId, String, Vec<String>)>,
    /// Names of datasets whose pipeline joins it.
    pub joined_by: Vec<String>,
}

impl DatasetUses {
    pub fn is_empty(&self) -> bool {
        self.dashboards.is_empty() && self.joined_by.is_empty()
    }

    /// "Sales wall (widgets “Revenue”, “Orders”); joined by Orders enriched".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .dashboards
            .iter()
            .map(|(_, name, widgets)| {
                if widgets.is_empty() {
                    format!("{name} (a published version)")
                } else {
                    let titled: Vec<String> = widgets
                        .iter()
                        .map(|w| format!("\u{201c}{w}\u{201d}"))
                        .collect();
                    format!("{name} (widgets {})", titled.join(", "))
                }
            })
            .collect();
        if !self.joined_by.is_empty() {
            parts.push(format!("joined by {}", self.joined_by.join(", ")));
        }
        parts.join("; ")
    }
}

impl Storage {
    /// Replaces the source and the dataset of `dataset.id` (same ids) in one
    /// transaction; `false` if `ws` holds no such dataset.
    pub async fn update_source_and_dataset(
        &self,
        ws: &WorkspaceId,
        source: &DataSource,
        dataset: &Dataset,
    ) -> Result<bool> {
        let source_config =
            serde_json::to_string(&source.config).expect("a source config serializes");
        let dataset_config = serde_json::to_string(&DatasetConfig::of(dataset))
            .expect("a dataset config serializes");
        let now = crate::now_ms();
        let updated = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query(
                    "UPDATE datasets SET name = $1, config = $2, updated_at = $3
                     WHERE id = $4 AND source_id = $5 AND workspace_id = $6",
                )
                .bind(&dataset.name)
                .bind(&dataset_config)
                .bind(now)
                .bind(dataset.id.as_str())
                .bind(source.id.as_str())
                .bind(ws.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok::<_, sqlx::Error>(false);
                }
                sqlx::query(
                    "UPDATE data_sources SET name = $1, config = $2, updated_at = $3
                     WHERE id = $4 AND workspace_id = $5",
                )
                .bind(&source.name)
                .bind(&source_config)
                .bind(now)
                .bind(source.id.as_str())
                .bind(ws.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })?;
        Ok(updated)
    }

    /// Deletes dataset `id` of `ws` with its source (each dataset has its own), its
    /// frames, kept rows and push tokens; returns the source it read, `None` if there
    /// was no such dataset.
    pub async fn delete_dataset(
        &self,
        ws: &WorkspaceId,
        id: &DatasetId,
    ) -> Result<Option<DataSource>> {
        let Some(found) = self.get_dataset(id).await? else {
            return Ok(None);
        };
        if &found.workspace != ws {
            return Ok(None);
        }
        let deleted = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query("DELETE FROM datasets WHERE id = $1 AND workspace_id = $2")
                    .bind(id.as_str())
                    .bind(ws.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(
                    "DELETE FROM data_sources WHERE id = $1
                     AND NOT EXISTS (SELECT 1 FROM datasets WHERE source_id = $1)",
                )
                .bind(found.source.id.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(n == 1)
            }
            .await
        })?;
        Ok(deleted.then_some(found.source))
    }

    /// Where dataset `id` of `ws` is read: dashboards (draft or any published
    /// version) and other datasets' joins.
    pub async fn dataset_uses(&self, ws: &WorkspaceId, id: &DatasetId) -> Result<DatasetUses> {
        // A cheap filter on the text, then the documents themselves decide.
        let pattern = format!("%{}%", id.as_str());
        let drafts = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT id, name, document FROM dashboards
                 WHERE workspace_id = $1 AND document LIKE $2 ORDER BY name",
            )
            .bind(ws.as_str())
            .bind(&pattern)
            .fetch_all(p)
            .await
        })?;
        let published = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT d.id, d.name, v.document FROM dashboard_versions v
                 JOIN dashboards d ON d.id = v.dashboard_id
                 WHERE d.workspace_id = $1 AND v.document LIKE $2",
            )
            .bind(ws.as_str())
            .bind(&pattern)
            .fetch_all(p)
            .await
        })?;
        let mut uses = DatasetUses::default();
        for (dashboard, name, document) in drafts {
            let Ok(decoded) = decode_dashboard(&dashboard, &document) else {
                continue;
            };
            let widgets: Vec<String> = decoded
                .widgets
                .iter()
                .filter(|w| w.binding.as_ref().is_some_and(|b| &b.dataset == id))
                .map(|w| {
                    if w.look.title.trim().is_empty() {
                        w.id.to_string()
                    } else {
                        w.look.title.clone()
                    }
                })
                .collect();
            if !widgets.is_empty() {
                uses.dashboards.push((
                    parse_id(&dashboard, "dashboard", DashboardId::parse)?,
                    name,
                    widgets,
                ));
            }
        }
        for (dashboard, name, document) in published {
            let Ok(decoded) = decode_dashboard(&dashboard, &document) else {
                continue;
            };
            let dashboard = parse_id(&dashboard, "dashboard", DashboardId::parse)?;
            if decoded.datasets().contains(id) && !uses.dashboards.iter().any(|u| u.0 == dashboard)
            {
                uses.dashboards.push((dashboard, name, Vec::new()));
            }
        }
        for other in self.list_datasets_in(ws).await? {
            if &other.dataset.id != id
                && other
                    .dataset
                    .pipeline
                    .joined_datasets()
                    .iter()
                    .any(|j| j == id.as_str())
            {
                uses.joined_by.push(other.dataset.name.clone());
            }
        }
        Ok(uses)
    }

    /// Deletes upload `id` unless a source, a dashboard or a published version still
    /// refers to it (images are uploads too); `true` if it was deleted.
    pub async fn delete_upload_if_unused(&self, id: &UploadId) -> Result<bool> {
        let pattern = format!("%{}%", id.as_str());
        let deleted = with_pool!(self, |p| {
            sqlx::query(
                "DELETE FROM uploads WHERE id = $1
                 AND NOT EXISTS (SELECT 1 FROM data_sources WHERE config LIKE $2)
                 AND NOT EXISTS (SELECT 1 FROM dashboards WHERE document LIKE $2)
                 AND NOT EXISTS (SELECT 1 FROM dashboard_versions WHERE document LIKE $2)",
            )
            .bind(id.as_str())
            .bind(&pattern)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(deleted == 1)
    }
}
