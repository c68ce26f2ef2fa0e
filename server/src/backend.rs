//! The server functions' `Backend`, implemented over storage, the live hub and the
//! polling schedule. Storage errors are logged here with their cause and reach clients
//! as `Unavailable` or an opaque `Internal`.

use crate::startup::Core;
use crate::storage::SourcedDataset;
use crate::storage::{SaveOutcome, StorageError};
use app::api::ssr::Backend;
use app::api::{DashboardSummary, NewPushToken, PushToken, ShareLink, StoredDashboard};
use app::error::AppError;
use app::model::{
    infer_fields, Columns, Dashboard, DashboardId, DataSource, Dataset, DatasetForm, DatasetId,
    DatasetSummary, Extracted, Frame, JsonPathExpr, NewHttpDataset, NewPushDataset, Preview,
    PushSource, PushTokenId, RefreshInterval, ShareToken, SourceConfig, SourceId,
};
use base64::Engine;
use rand::RngCore;

/// Logs a storage error with its cause chain and turns it into what a client may see.
pub fn storage_error(err: StorageError) -> AppError {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %err, causes = ?causes, "storage failed");
    if err.is_unavailable() {
        AppError::Unavailable {
            message: "the database does not answer; try again in a moment".into(),
        }
    } else {
        AppError::Internal
    }
}

/// A new share token: 256 random bits, base64url without padding.
pub fn new_share_token() -> ShareToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    ShareToken::parse(text).expect("base64url is a valid token")
}

#[async_trait::async_trait]
impl Backend for Core {
    async fn list_dashboards(&self) -> Result<Vec<DashboardSummary>, AppError> {
        self.storage.list_dashboards().await.map_err(storage_error)
    }

    async fn create_dashboard(&self, dashboard: Dashboard) -> Result<DashboardId, AppError> {
        dashboard.validate()?;
        let id = DashboardId::parse(crate::new_id()).expect("hex is a valid id");
        self.storage
            .insert_dashboard(&id, &dashboard)
            .await
            .map_err(storage_error)?;
        Ok(id)
    }

    async fn load_dashboard(&self, id: &DashboardId) -> Result<StoredDashboard, AppError> {
        self.storage
            .get_dashboard(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("dashboard"))
    }

    async fn save_dashboard(
        &self,
        id: &DashboardId,
        dashboard: Dashboard,
        revision: i64,
    ) -> Result<i64, AppError> {
        dashboard.validate()?;
        check_embeds(&dashboard, &self.config.embed_origins)?;
        match self
            .storage
            .update_dashboard(id, &dashboard, revision)
            .await
            .map_err(storage_error)?
        {
            SaveOutcome::Saved { revision } => Ok(revision),
            SaveOutcome::Conflict { current } => Err(AppError::conflict(format!(
                "This dashboard was saved elsewhere (revision {current}) after you opened it \
                 (revision {revision}); your changes were not saved."
            ))),
            SaveOutcome::NotFound => Err(AppError::not_found("dashboard")),
        }
    }

    async fn delete_dashboard(&self, id: &DashboardId) -> Result<(), AppError> {
        if self
            .storage
            .delete_dashboard(id)
            .await
            .map_err(storage_error)?
        {
            Ok(())
        } else {
            Err(AppError::not_found("dashboard"))
        }
    }

    async fn frames(&self, datasets: &[DatasetId]) -> Vec<Frame> {
        let mut frames = Vec::with_capacity(datasets.len());
        for id in datasets {
            frames.push(match self.bus.latest(id).await {
                Some(p) => p.frame.clone(),
                None => Frame::empty(id.clone()),
            });
        }
        frames
    }

    async fn list_datasets(&self) -> Result<Vec<DatasetSummary>, AppError> {
        let all = self.storage.list_datasets().await.map_err(storage_error)?;
        Ok(all
            .iter()
            .map(|e| DatasetSummary::of(&e.dataset, &e.source.config))
            .collect())
    }

    async fn create_http_dataset(&self, form: NewHttpDataset) -> Result<DatasetSummary, AppError> {
        let (http, path, field, refresh) = form.parse()?;
        let source = DataSource {
            id: SourceId::parse(crate::new_id()).expect("hex is a valid id"),
            name: http.short_name(),
            config: SourceConfig::Http(http),
        };
        let dataset = Dataset {
            id: DatasetId::parse(crate::new_id()).expect("hex is a valid id"),
            name: form.name.trim().to_string(),
            source: source.id.clone(),
            path,
            fields: vec![field],
            refresh,
            always_refresh: form.always_refresh,
            pipeline: form.pipeline,
            columns: Default::default(),
        };
        self.add_dataset(source, dataset).await
    }

    async fn preview_dataset(&self, form: DatasetForm) -> Result<Preview, AppError> {
        let (source, dataset) = from_form(form)?;
        self.preview(&source, &dataset).await
    }

    async fn create_dataset(&self, form: DatasetForm) -> Result<DatasetSummary, AppError> {
        let (mut source, dataset) = from_form(form)?;
        // The fields a widget can bind are those of a first successful read.
        let preview = self.preview(&source, &dataset).await?;
        if let Some(error) = preview.pipeline_error {
            return Err(AppError::Invalid {
                field: "pipeline".into(),
                message: error,
            });
        }
        let dataset = Dataset {
            fields: preview.fields,
            ..dataset
        };
        self.poll
            .readers
            .vault
            .seal_all(&mut source.config, source.id.as_str())
            .map_err(|e| AppError::Invalid {
                field: "source".into(),
                message: e.to_string(),
            })?;
        self.add_dataset(source, dataset).await
    }

    async fn create_push_dataset(&self, form: NewPushDataset) -> Result<DatasetSummary, AppError> {
        form.validate()?;
        let source = DataSource {
            id: SourceId::parse(crate::new_id()).expect("hex is a valid id"),
            name: "push API".into(),
            config: SourceConfig::Push(PushSource { mode: form.mode }),
        };
        let dataset = Dataset {
            id: DatasetId::parse(crate::new_id()).expect("hex is a valid id"),
            name: form.name.trim().to_string(),
            source: source.id.clone(),
            path: JsonPathExpr::parse("$").expect("the root path is valid"),
            fields: form.fields,
            refresh: RefreshInterval::from_millis(1000).expect("one second is valid"),
            always_refresh: false,
            pipeline: Default::default(),
            columns: Default::default(),
        };
        self.add_dataset(source, dataset).await
    }

    async fn create_push_token(
        &self,
        dataset: &DatasetId,
        label: String,
    ) -> Result<NewPushToken, AppError> {
        let entry = self
            .datasets
            .get(&self.storage, dataset)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("dataset"))?;
        if entry.source.config.is_polled() {
            return Err(AppError::Invalid {
                field: "dataset".into(),
                message: "only pushed datasets take push tokens".into(),
            });
        }
        let secret = crate::push::new_secret();
        let id = PushTokenId::parse(crate::new_id()).expect("hex is a valid id");
        let label = if label.is_empty() {
            "token".to_string()
        } else {
            label
        };
        let token = self
            .storage
            .insert_push_token(&id, dataset, &crate::push::hash_secret(&secret), &label)
            .await
            .map_err(storage_error)?;
        Ok(NewPushToken { token, secret })
    }

    async fn list_push_tokens(&self, dataset: &DatasetId) -> Result<Vec<PushToken>, AppError> {
        self.storage
            .list_push_tokens(dataset)
            .await
            .map_err(storage_error)
    }

    async fn revoke_push_token(
        &self,
        dataset: &DatasetId,
        id: &PushTokenId,
    ) -> Result<(), AppError> {
        let revoked = self
            .storage
            .revoke_push_token(dataset, id)
            .await
            .map_err(storage_error)?;
        self.push_tokens.forget(id);
        if revoked {
            Ok(())
        } else {
            Err(AppError::not_found("push token"))
        }
    }

    async fn create_share_link(&self, id: &DashboardId) -> Result<ShareLink, AppError> {
        self.load_dashboard(id).await?;
        self.storage
            .insert_share_link(id, &new_share_token())
            .await
            .map_err(storage_error)
    }

    async fn list_share_links(&self, id: &DashboardId) -> Result<Vec<ShareLink>, AppError> {
        self.storage
            .list_share_links(id)
            .await
            .map_err(storage_error)
    }

    async fn revoke_share_link(
        &self,
        id: &DashboardId,
        token: &ShareToken,
    ) -> Result<(), AppError> {
        if self
            .storage
            .revoke_share_link(id, token)
            .await
            .map_err(storage_error)?
        {
            Ok(())
        } else {
            Err(AppError::not_found("share link"))
        }
    }

    fn embed_origins(&self) -> Vec<String> {
        self.config.embed_origins.clone()
    }

    async fn resolve_share(&self, token: &ShareToken) -> Result<StoredDashboard, AppError> {
        let id = self
            .storage
            .resolve_share_link(token)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("share link"))?;
        self.load_dashboard(&id)
            .await
            .map_err(|_| AppError::not_found("share link"))
    }
}

/// Refuses embed widgets framing an origin the operator has not allowed, naming the
/// widget: screens would not show them.
fn check_embeds(dashboard: &Dashboard, allowed: &[String]) -> Result<(), AppError> {
    for (i, w) in dashboard.widgets.iter().enumerate() {
        if let Some(url) = w.kind.framed_url() {
            let Some(origin) = app::model::url_origin(url) else {
                continue;
            };
            if !allowed.contains(&origin) {
                return Err(app::model::Invalid::new(
                    format!("widgets[{i}].props.url"),
                    format!(
                        "{origin} is not an allowed origin: the operator lists the origins embed \
                         widgets may show in WALLBOARD_EMBED_ORIGINS"
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

/// The source and dataset a form describes (not yet stored, credentials as typed).
fn from_form(form: DatasetForm) -> Result<(DataSource, Dataset), AppError> {
    let (path, refresh) = form.parse()?;
    let source = DataSource {
        id: SourceId::parse(crate::new_id()).expect("hex is a valid id"),
        name: form.source.short_name(),
        config: form.source,
    };
    let dataset = Dataset {
        id: DatasetId::parse(crate::new_id()).expect("hex is a valid id"),
        name: form.name.trim().to_string(),
        source: source.id.clone(),
        path,
        fields: Vec::new(),
        refresh,
        always_refresh: form.always_refresh,
        pipeline: form.pipeline,
        columns: Columns::Discovered,
    };
    Ok((source, dataset))
}

impl Core {
    /// Reads `source` once for `dataset` and runs the pipeline on what it gives.
    async fn preview(&self, source: &DataSource, dataset: &Dataset) -> Result<Preview, AppError> {
        let started = std::time::Instant::now();
        let read = self
            .poll
            .readers
            .read(source, dataset)
            .await
            .map_err(|message| AppError::Invalid {
                field: "source".into(),
                message,
            })?;
        let read_ms = started.elapsed().as_millis() as u64;
        let joined = crate::sources::poller::joined_rows(&self.bus, &dataset.pipeline).await;
        let dataset = dataset.clone();
        let host = self.poll.pipelines.clone();
        tokio::task::spawn_blocking(move || preview_of(&dataset, read, read_ms, &host.env(&joined)))
            .await
            .map_err(|_| AppError::Internal)?
    }

    /// Stores a new source and dataset and starts polling it if it is polled.
    pub(crate) async fn add_dataset(
        &self,
        source: DataSource,
        dataset: Dataset,
    ) -> Result<DatasetSummary, AppError> {
        dataset.validate()?;
        source.config.validate()?;
        self.storage
            .insert_source_and_dataset(&source, &dataset)
            .await
            .map_err(storage_error)?;
        let summary = DatasetSummary::of(&dataset, &source.config);
        self.scheduler
            .schedule(self.poll.clone(), SourcedDataset { dataset, source });
        Ok(summary)
    }
}

/// What "Test" shows for one read.
fn preview_of(
    dataset: &Dataset,
    read: Extracted,
    read_ms: u64,
    env: &app::pipeline::Env,
) -> Result<Preview, AppError> {
    let rows = dataset
        .source_rows(read)
        .map_err(|message| AppError::Invalid {
            field: "path".into(),
            message,
        })?;
    let mut preview = Preview {
        sample: rows.iter().take(Preview::SAMPLE_ROWS).cloned().collect(),
        source_rows: rows.len(),
        read_ms,
        ..Preview::default()
    };
    let shaped = match dataset.pipeline.run_in(rows, env) {
        Ok(outcome) => {
            preview.reports = outcome.reports;
            outcome.rows
        }
        Err(err) => {
            preview.pipeline_error = Some(err.to_string());
            return Ok(preview);
        }
    };
    preview.total_rows = shaped.len();
    preview.fields = infer_fields(&shaped);
    preview.rows = shaped.into_iter().take(Preview::SHOWN_ROWS).collect();
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_tokens_carry_256_random_bits() {
        let a = new_share_token();
        let b = new_share_token();
        assert_eq!(a.as_str().len(), 43);
        assert_ne!(a, b);
    }
}
