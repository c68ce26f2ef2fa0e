//! Storage of pushed data: committing pushes (many requests in one transaction), the
//! rows of append datasets, reading a dataset's whole frame, and push tokens.
//!
//! Every change to a dataset takes the next `seq` from its `dataset_frames` row in the
//! same transaction, so `seq` counts changes across all instances, and concurrent
//! writers of one dataset are serialized by that row's lock.

use super::{corrupt, parse_id, Pool, Result, Storage};
use app::api::PushToken;
use app::model::{Append, DatasetId, Frame, PushMode, PushTokenId, Row};

/// Rows from one or more push requests to one dataset, committed as one change.
#[derive(Debug, Clone)]
pub struct PushWrite {
    pub dataset: DatasetId,
    pub mode: PushMode,
    pub rows: Vec<Row>,
}

/// A committed change, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub enum Committed {
    Appended(Append),
    Replaced(Frame),
}

/// The token a push request presented, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPushToken {
    pub id: PushTokenId,
    pub dataset: DatasetId,
}

/// Most rows one push may carry: `pos` keeps 20 bits for the index within a push.
/// A dataset's latest frame as the store holds it.
#[derive(Debug)]
pub enum StoredFrame {
    /// A polled dataset's frame, as JSON.
    Json(String),
    /// A pushed dataset's frame, its rows stored one by one.
    Rows(Frame),
}

pub const MAX_ROWS_PER_CHANGE: usize = 1 << 20;
/// Rows per INSERT statement (two bound values each).
const INSERT_CHUNK: usize = 2_000;

impl Storage {
    /// Commits `writes` in one transaction, in the order given, and returns what each
    /// changed. All or nothing: on error no write is kept.
    pub async fn commit_pushes(&self, writes: &[PushWrite]) -> Result<Vec<Committed>> {
        let now = crate::now_ms();
        let out = with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            let mut out = Vec::with_capacity(writes.len());
            for w in writes {
                let seq: i64 = sqlx::query_scalar(
                    "INSERT INTO dataset_frames (dataset_id, frame, updated_at, seq)
                     VALUES ($1, '', $2, 1)
                     ON CONFLICT (dataset_id) DO UPDATE
                     SET seq = dataset_frames.seq + 1, updated_at = excluded.updated_at
                     RETURNING seq",
                )
                .bind(w.dataset.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                match w.mode {
                    PushMode::Replace => {
                        let frame =
                            Frame::new(w.dataset.clone(), seq as u64, w.rows.clone(), now);
                        let text = serde_json::to_string(&frame).expect("a frame serializes");
                        sqlx::query("UPDATE dataset_frames SET frame = $2 WHERE dataset_id = $1")
                            .bind(w.dataset.as_str())
                            .bind(text)
                            .execute(&mut *tx)
                            .await?;
                        out.push(Committed::Replaced(frame));
                    }
                    PushMode::Append {
                        max_rows,
                        max_age_secs,
                    } => {
                        let texts: Vec<String> = w
                            .rows
                            .iter()
                            .map(|r| serde_json::to_string(r).expect("a row serializes"))
                            .collect();
                        for (c, chunk) in texts.chunks(INSERT_CHUNK).enumerate() {
                            let mut sql = String::from(
                                "INSERT INTO dataset_rows (dataset_id, received_at, pos, row) VALUES ",
                            );
                            for i in 0..chunk.len() {
                                if i > 0 {
                                    sql.push(',');
                                }
                                sql.push_str(&format!("($1, $2, ${}, ${})", 3 + 2 * i, 4 + 2 * i));
                            }
                            let mut q = sqlx::query(&sql).bind(w.dataset.as_str()).bind(now);
                            for (i, text) in chunk.iter().enumerate() {
                                let index = (c * INSERT_CHUNK + i) as i64;
                                q = q.bind((seq << 20) | index).bind(text.as_str());
                            }
                            q.execute(&mut *tx).await?;
                        }
                        let mut dropped = 0u64;
                        if let Some(age) = max_age_secs {
                            dropped += sqlx::query(
                                "DELETE FROM dataset_rows WHERE dataset_id = $1 AND received_at < $2",
                            )
                            .bind(w.dataset.as_str())
                            .bind(now - i64::from(age) * 1000)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        }
                        dropped += sqlx::query(
                            "DELETE FROM dataset_rows WHERE dataset_id = $1 AND pos <= (
                                 SELECT pos FROM dataset_rows WHERE dataset_id = $1
                                 ORDER BY pos DESC LIMIT 1 OFFSET $2)",
                        )
                        .bind(w.dataset.as_str())
                        .bind(i64::from(max_rows))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        out.push(Committed::Appended(Append {
                            dataset: w.dataset.clone(),
                            seq: seq as u64,
                            drop: dropped as usize,
                            rows: w.rows.clone(),
                            updated_at_ms: now,
                        }));
                    }
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(out)
        }
        .await
        })?;
        Ok(out)
    }

    /// The latest frame of `id` as stored: a polled or replaced frame as written, or an
    /// append dataset's kept rows, read in one consistent snapshot with its `seq`.
    pub async fn load_frame(&self, id: &DatasetId) -> Result<Option<Frame>> {
        Ok(match self.load_stored_frame(id).await? {
            None => None,
            Some(StoredFrame::Rows(frame)) => Some(frame),
            Some(StoredFrame::Json(text)) => {
                Some(serde_json::from_str(&text).map_err(|e| corrupt("frame", id.as_str(), e))?)
            }
        })
    }

    /// The latest frame of `id` as stored: a polled dataset's frame as its JSON (for
    /// the caller to read in the form it holds), a pushed dataset's as its rows.
    pub async fn load_stored_frame(&self, id: &DatasetId) -> Result<Option<StoredFrame>> {
        let postgres = matches!(self.pool, Pool::Postgres(_));
        let (head, rows) = with_pool!(self, |p| async {
            let mut tx = p.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let head = sqlx::query_as::<_, (String, i64, i64)>(
                "SELECT frame, seq, updated_at FROM dataset_frames WHERE dataset_id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let rows = match &head {
                Some((frame, _, _)) if frame.is_empty() => {
                    sqlx::query_scalar::<_, String>(
                        "SELECT row FROM dataset_rows WHERE dataset_id = $1 ORDER BY pos",
                    )
                    .bind(id.as_str())
                    .fetch_all(&mut *tx)
                    .await?
                }
                _ => Vec::new(),
            };
            tx.commit().await?;
            Ok::<_, sqlx::Error>((head, rows))
        }
        .await)?;
        let Some((text, seq, updated_at)) = head else {
            return Ok(None);
        };
        if !text.is_empty() {
            return Ok(Some(StoredFrame::Json(text)));
        }
        let rows = rows
            .iter()
            .map(|r| serde_json::from_str::<Row>(r).map_err(|e| corrupt("row", id.as_str(), e)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(StoredFrame::Rows(Frame::new(
            id.clone(),
            seq as u64,
            rows,
            updated_at,
        ))))
    }

    // --- push tokens ---

    pub async fn insert_push_token(
        &self,
        id: &PushTokenId,
        dataset: &DatasetId,
        token_hash: &str,
        label: &str,
    ) -> Result<PushToken> {
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO push_tokens (id, dataset_id, token_hash, label, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.as_str())
            .bind(dataset.as_str())
            .bind(token_hash)
            .bind(label)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(PushToken {
            id: id.clone(),
            dataset: dataset.clone(),
            label: label.to_string(),
            created_at_ms: now,
        })
    }

    /// The live tokens of `dataset`, oldest first.
    pub async fn list_push_tokens(&self, dataset: &DatasetId) -> Result<Vec<PushToken>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, i64)>(
                "SELECT id, label, created_at FROM push_tokens
                 WHERE dataset_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
            )
            .bind(dataset.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(id, label, created_at_ms)| {
                Ok(PushToken {
                    id: parse_id(&id, "push token", PushTokenId::parse)?,
                    dataset: dataset.clone(),
                    label,
                    created_at_ms,
                })
            })
            .collect()
    }

    /// Revokes token `id` of `dataset`; `false` if there is no such live token.
    pub async fn revoke_push_token(&self, dataset: &DatasetId, id: &PushTokenId) -> Result<bool> {
        let now = crate::now_ms();
        let n = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE push_tokens SET revoked_at = $1
                 WHERE id = $2 AND dataset_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.as_str())
            .bind(dataset.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }

    /// The live token whose hash is `token_hash`.
    pub async fn resolve_push_token(&self, token_hash: &str) -> Result<Option<StoredPushToken>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, dataset_id FROM push_tokens
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(p)
            .await
        })?;
        row.map(|(id, dataset)| {
            Ok(StoredPushToken {
                id: parse_id(&id, "push token", PushTokenId::parse)?,
                dataset: parse_id(&dataset, "dataset", DatasetId::parse)?,
            })
        })
        .transpose()
    }
}
