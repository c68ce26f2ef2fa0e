//! Storage of uploaded files (spreadsheets), whole, in the database: every instance
//! can read them, and a backup of the database holds them.

use super::{Pool, Result, Storage};
use app::model::{UploadId, WorkspaceId};

/// An uploaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The workspace it was uploaded to.
    pub workspace: WorkspaceId,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Storage {
    pub async fn insert_upload(
        &self,
        ws: &WorkspaceId,
        id: &UploadId,
        name: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO uploads (id, name, size, content, created_at, workspace_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.as_str())
            .bind(name)
            .bind(bytes.len() as i64)
            .bind(bytes)
            .bind(now)
            .bind(ws.as_str())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, Vec<u8>, String)>(
                "SELECT name, content, workspace_id FROM uploads WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(name, bytes, workspace)| {
            Ok(Upload {
                workspace: super::parse_id(&workspace, "workspace", WorkspaceId::parse)?,
                name,
                bytes,
            })
        })
        .transpose()
    }

    /// The workspace upload `id` belongs to, without reading its content.
    pub async fn upload_workspace(&self, id: &UploadId) -> Result<Option<WorkspaceId>> {
        let row = with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>("SELECT workspace_id FROM uploads WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(p)
                .await
        })?;
        row.map(|w| super::parse_id(&w, "workspace", WorkspaceId::parse))
            .transpose()
    }
}
