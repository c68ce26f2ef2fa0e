//! Reading any polled source once: opens its credentials, then hands it to the HTTP,
//! SQL or spreadsheet reader. The poller and the editor's "Test" both read through
//! here, so a preview shows exactly what a refresh will.

use super::outbound::Guard;
use super::sheet::{SheetLimits, SheetOptions};
use super::sql::SqlPolicy;
use super::vault::Vault;
use crate::storage::Storage;
use app::model::{DataSource, Dataset, Extracted, SheetFile, SourceConfig, UploadId};
use std::sync::{Arc, Mutex};

pub struct Readers {
    pub client: reqwest::Client,
    /// Checks IP-literal URLs and SQL hosts (HTTP names are checked by the client's
    /// resolver).
    pub guard: Arc<Guard>,
    pub vault: Vault,
    pub sql: SqlPolicy,
    pub storage: Storage,
    pub caps: ReadCaps,
    pub sheet_limits: SheetLimits,
    uploads: UploadCache,
}

/// How many bytes one read may bring in, by what it is read into.
#[derive(Debug, Clone, Copy)]
pub struct ReadCaps {
    /// An HTTP answer, parsed whole as a JSON document (`WALLBOARD_MAX_RESPONSE_BYTES`).
    pub response: usize,
    /// An SQL answer's column names and values, read straight into columns
    /// (`WALLBOARD_PIPELINE_MAX_BYTES`, what a dataset may hold).
    pub dataset: usize,
    /// A spreadsheet, uploaded or fetched by URL (`WALLBOARD_MAX_UPLOAD_BYTES`).
    pub file: usize,
}

impl Readers {
    pub fn new(
        client: reqwest::Client,
        guard: Arc<Guard>,
        vault: Vault,
        sql: SqlPolicy,
        storage: Storage,
        caps: ReadCaps,
    ) -> Self {
        Self {
            client,
            guard,
            vault,
            sql,
            storage,
            caps,
            sheet_limits: SheetLimits::default(),
            uploads: UploadCache::default(),
        }
    }

    /// Reads `source` once for `dataset`.
    pub async fn read(&self, source: &DataSource, dataset: &Dataset) -> Result<Extracted, String> {
        let mut config = source.config.clone();
        self.vault
            .open_all(&mut config, source.id.as_str())
            .map_err(|e| e.to_string())?;
        match &config {
            SourceConfig::Http(http) => {
                super::http::read(&self.client, &self.guard, http, dataset, self.caps.response)
                    .await
            }
            SourceConfig::Sql(sql) => {
                super::sql::read(sql, &self.guard, &self.sql, self.caps.dataset)
                    .await
                    .map(Extracted::Batch)
            }
            SourceConfig::Sheet(sheet) => {
                let (bytes, name) = match &sheet.file {
                    SheetFile::Upload { upload, name } => {
                        (self.upload(upload).await?, name.clone())
                    }
                    SheetFile::Url { http } => {
                        let mut raw = http.clone();
                        raw.format = app::model::ResponseFormat::Csv;
                        let bytes = super::http::fetch_bytes(
                            &self.client,
                            &self.guard,
                            &raw,
                            self.caps.file,
                        )
                        .await?;
                        let name = http.url.rsplit('/').next().unwrap_or_default().to_string();
                        (Arc::new(bytes), name)
                    }
                };
                let options = SheetOptions::of(sheet);
                let limits = self.sheet_limits;
                tokio::task::spawn_blocking(move || {
                    super::sheet::read_batch(&bytes, &name, &options, &limits)
                })
                .await
                .map_err(|_| "reading the spreadsheet failed".to_string())?
                .map(Extracted::Batch)
            }
            SourceConfig::Push(_) => Err("a pushed dataset is not polled".to_string()),
        }
    }

    /// An uploaded file's bytes (kept in memory after the first read: uploads never
    /// change).
    async fn upload(&self, id: &UploadId) -> Result<Arc<Vec<u8>>, String> {
        if let Some(bytes) = self.uploads.get(id) {
            return Ok(bytes);
        }
        let bytes = self
            .storage
            .get_upload(id)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot load an upload");
                "the uploaded file cannot be loaded from the database".to_string()
            })?
            .ok_or("the uploaded file is gone")?
            .bytes;
        let bytes = Arc::new(bytes);
        self.uploads.put(id.clone(), bytes.clone());
        Ok(bytes)
    }
}

/// Uploaded files held in memory, up to 64 MiB in all (the oldest go first).
#[derive(Default)]
struct UploadCache(Mutex<Vec<(UploadId, Arc<Vec<u8>>)>>);

impl UploadCache {
    const MAX_BYTES: usize = 64 << 20;
    /// A bigger file is read from the store on each refresh instead of being held.
    const MAX_FILE_BYTES: usize = 8 << 20;

    fn get(&self, id: &UploadId) -> Option<Arc<Vec<u8>>> {
        let held = self.0.lock().expect("upload cache lock");
        held.iter().find(|(i, _)| i == id).map(|(_, b)| b.clone())
    }

    fn put(&self, id: UploadId, bytes: Arc<Vec<u8>>) {
        if bytes.len() > Self::MAX_FILE_BYTES {
            return;
        }
        let mut held = self.0.lock().expect("upload cache lock");
        held.retain(|(i, _)| *i != id);
        held.push((id, bytes));
        while held.iter().map(|(_, b)| b.len()).sum::<usize>() > Self::MAX_BYTES && held.len() > 1 {
            held.remove(0);
        }
    }
}
