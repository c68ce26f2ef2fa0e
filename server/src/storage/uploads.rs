//! Storage of uploaded files (spreadsheets), whole, in the database: every instance
//! can read them, and a backup of the database holds them.

use super::{Pool, Result, Storage};
use app::model::UploadId;

/// An uploaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Storage {
    pub async fn insert_upload(&self, id: &UploadId, name: &str, bytes: &[u8]) -> Result<()> {
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO uploads (id, name, size, content, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.as_str())
            .bind(name)
            .bind(bytes.len() as i64)
            .bind(bytes)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, Vec<u8>)>(
                "SELECT name, content FROM uploads WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?;
        Ok(row.map(|(name, bytes)| Upload { name, bytes }))
    }
}
