//! Changing and deleting datasets. An edit keeps the dataset's and its source's ids,
//! so widgets keep their bindings and sealed credentials still open (the source id is
//! their associated data); a credential left blank in the form is the stored one. The
//! new settings are tested like a new dataset's before anything is stored. Then the
//! bus tells every instance (`Bus::dataset_changed`): each forgets its cached copy and
//! restarts the dataset's poller, which reads at once where it holds the lease, so
//! open screens get the new rows.

use super::{from_form, storage_error};
use crate::startup::Core;
use crate::storage::{PushWrite, SourcedDataset};
use app::api::{DatasetUpdated, EditableDataset};
use app::auth::Scope;
use app::error::AppError;
use app::model::{
    DataSource, Dataset, DatasetForm, DatasetId, DatasetSummary, NewPushDataset, PushMode,
    PushSource, SheetFile, SourceConfig, UploadInfo,
};
use serde_json::json;

/// What `Core::store_edit` stored: the answer for the editor, and the source as it
/// now is.
struct StoredEdit {
    done: DatasetUpdated,
    source: DataSource,
}

impl Core {
    /// The edit form's starting point for dataset `id`.
    pub(super) async fn editable(
        &self,
        scope: &Scope,
        id: &DatasetId,
    ) -> Result<EditableDataset, AppError> {
        let entry = self.dataset_in(scope, id).await?;
        let (dataset, source) = (&entry.dataset, &entry.source);
        let form = source.config.is_polled().then(|| DatasetForm {
            name: dataset.name.clone(),
            source: source.config.without_credentials(),
            path: dataset.path.as_str().to_string(),
            refresh_ms: dataset.refresh.millis(),
            always_refresh: dataset.always_refresh,
            pipeline: dataset.pipeline.clone(),
            stale_after_secs: dataset.stale_after_secs,
        });
        let push = match &source.config {
            SourceConfig::Push(push) => Some(NewPushDataset {
                name: dataset.name.clone(),
                fields: dataset.fields.clone(),
                mode: push.mode,
                stale_after_secs: dataset.stale_after_secs,
            }),
            _ => None,
        };
        let upload = match &source.config {
            SourceConfig::Sheet(sheet) => match &sheet.file {
                SheetFile::Upload { upload, name } => self.upload_info(upload, name).await,
                SheetFile::Url { .. } => None,
            },
            _ => None,
        };
        Ok(EditableDataset {
            id: id.clone(),
            name: dataset.name.clone(),
            kind: source.config.kind(),
            form,
            push,
            has_credentials: source.config.has_credentials(),
            upload,
            stale_after_secs: dataset.stale_after_secs,
        })
    }

    async fn upload_info(&self, id: &app::model::UploadId, name: &str) -> Option<UploadInfo> {
        let upload = self.storage.get_upload(id).await.ok().flatten()?;
        let size = upload.bytes.len() as u64;
        let bytes = axum::body::Bytes::from(upload.bytes);
        let (format, sheets) = crate::http::uploads::inspect(self, name, &bytes)
            .await
            .ok()?;
        Some(UploadInfo {
            id: id.clone(),
            name: name.to_string(),
            size,
            format,
            sheets,
        })
    }

    /// The source and dataset `form` makes of dataset `id`: same ids, the stored
    /// credentials where the form leaves them blank.
    pub(super) async fn edited(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: DatasetForm,
    ) -> Result<(DataSource, Dataset), AppError> {
        let entry = self.dataset_in(scope, id).await?;
        if !entry.source.config.is_polled() {
            return Err(AppError::Invalid {
                field: "source".into(),
                message: "a pushed dataset's settings do not change; rename it instead".into(),
            });
        }
        let (mut source, mut dataset) = from_form(form)?;
        source
            .config
            .keep_credentials(&entry.source.config)
            .map_err(AppError::from)?;
        source.id = entry.source.id.clone();
        dataset.id = id.clone();
        dataset.source = source.id.clone();
        Ok((source, dataset))
    }

    pub(super) async fn edit_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: DatasetForm,
    ) -> Result<DatasetUpdated, AppError> {
        let before = self.dataset_in(scope, id).await?;
        let (source, dataset) = self.edited(scope, id, form).await?;
        if dataset
            .pipeline
            .joined_datasets()
            .iter()
            .any(|j| j == id.as_str())
        {
            return Err(AppError::Invalid {
                field: "pipeline".into(),
                message: "a dataset cannot join itself".into(),
            });
        }
        let (source, dataset) = self.tested(scope, source, dataset).await?;
        let updated = self.store_edit(scope, &before, source, dataset).await?;
        self.forget_upload(
            before.source.config.upload(),
            updated.source.config.upload(),
        )
        .await;
        Ok(updated.done)
    }

    /// Changes pushed dataset `id` to `form`: its name, fields, "stale after" and, for
    /// an append dataset, how many rows (and how old) it keeps. Whether pushes append
    /// or replace does not change (the rows are stored differently). Rows already held
    /// past a smaller limit go at once; a removed field's values stay in the held rows
    /// until they are pushed out, and widgets reading it are listed.
    pub(super) async fn edit_push_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: NewPushDataset,
    ) -> Result<DatasetUpdated, AppError> {
        form.validate()?;
        let before = self.dataset_in(scope, id).await?;
        let SourceConfig::Push(push) = &before.source.config else {
            return Err(AppError::Invalid {
                field: "source".into(),
                message: "a polled dataset changes with its source's form".into(),
            });
        };
        let shrinks = match (push.mode, form.mode) {
            (PushMode::Replace, PushMode::Replace) => false,
            (
                PushMode::Append {
                    max_rows: was_rows,
                    max_age_secs: was_age,
                },
                PushMode::Append {
                    max_rows,
                    max_age_secs,
                },
            ) => {
                max_rows < was_rows
                    || max_age_secs.is_some_and(|age| was_age.is_none_or(|was| age < was))
            }
            _ => {
                return Err(AppError::Invalid {
                    field: "mode".into(),
                    message: "whether pushes add rows or replace them does not change; \
                              make a new dataset for the other"
                        .into(),
                })
            }
        };
        let source = DataSource {
            config: SourceConfig::Push(PushSource { mode: form.mode }),
            ..before.source.clone()
        };
        let dataset = Dataset {
            name: form.name.trim().to_string(),
            fields: form.fields,
            stale_after_secs: form.stale_after_secs,
            ..before.dataset.clone()
        };
        let updated = self.store_edit(scope, &before, source, dataset).await?;
        if shrinks {
            // An append of no rows under the new limits drops what they no longer keep,
            // and tells every screen.
            self.pushes
                .submit(PushWrite {
                    dataset: id.clone(),
                    mode: form.mode,
                    rows: Vec::new(),
                })
                .await
                .map_err(|message| AppError::Unavailable { message })?;
        }
        Ok(updated.done)
    }

    /// Stores an edit of `before` (same ids), tells every instance, and says which
    /// fields went and which widgets read them.
    async fn store_edit(
        &self,
        scope: &Scope,
        before: &SourcedDataset,
        source: DataSource,
        dataset: Dataset,
    ) -> Result<StoredEdit, AppError> {
        let id = &dataset.id;
        dataset.validate()?;
        source.config.validate()?;
        if !self
            .storage
            .update_source_and_dataset(scope.workspace(), &source, &dataset)
            .await
            .map_err(storage_error)?
        {
            return Err(AppError::not_found("dataset"));
        }
        // This instance forgets its copy now (the next push or read here sees the
        // edit); the others when the bus tells them.
        self.datasets.forget(id);
        self.bus.dataset_changed(id).await;
        self.retime_screens(scope, &before.dataset, &dataset).await;
        let removed_fields: Vec<String> = before
            .dataset
            .fields
            .iter()
            .filter(|old| !dataset.fields.iter().any(|f| f.name == old.name))
            .map(|f| f.name.clone())
            .collect();
        let affected = self.reading(scope, id, &removed_fields).await;
        self.audit(
            scope,
            "dataset_updated",
            &format!("dataset:{id}"),
            json!({"name": dataset.name, "removed_fields": removed_fields}),
        )
        .await;
        Ok(StoredEdit {
            done: DatasetUpdated {
                dataset: DatasetSummary::of(&dataset, &source.config),
                removed_fields,
                affected,
            },
            source,
        })
    }

    /// Screens judge a dataset's rows stale by its refresh interval and "stale after",
    /// read with their page: when either changed, every dashboard reading the dataset
    /// is announced as changed, so its open screens load their page data again (in
    /// place, as after a publish) instead of keeping the old limits until a reload.
    async fn retime_screens(&self, scope: &Scope, before: &Dataset, after: &Dataset) {
        if before.refresh == after.refresh && before.stale_after_secs == after.stale_after_secs {
            return;
        }
        match self
            .storage
            .dataset_uses(scope.workspace(), &after.id)
            .await
        {
            Ok(uses) => {
                for (dashboard, _, _) in &uses.dashboards {
                    self.bus.dashboard_changed(dashboard).await;
                }
            }
            Err(err) => tracing::warn!(
                error = %err,
                dataset = %after.id,
                "could not find the dashboards reading an edited dataset; their screens keep the old stale limits until reloaded"
            ),
        }
    }

    /// The widgets of the workspace's drafts that read one of `fields` of `id`.
    async fn reading(&self, scope: &Scope, id: &DatasetId, fields: &[String]) -> Vec<String> {
        if fields.is_empty() {
            return Vec::new();
        }
        let Ok(summaries) = self.storage.list_dashboards(scope.workspace()).await else {
            return Vec::new();
        };
        let mut affected = Vec::new();
        for summary in summaries {
            let Ok(Some(stored)) = self
                .storage
                .get_dashboard(scope.workspace(), &summary.id)
                .await
            else {
                continue;
            };
            for w in &stored.dashboard.widgets {
                let Some(binding) = w.binding.as_ref().filter(|b| &b.dataset == id) else {
                    continue;
                };
                for field in binding.used_fields() {
                    if fields.contains(&field) {
                        let title = if w.look.title.trim().is_empty() {
                            w.id.to_string()
                        } else {
                            w.look.title.clone()
                        };
                        affected.push(format!("{} › {title} ({field})", summary.name));
                    }
                }
            }
        }
        affected
    }

    pub(super) async fn update_basics(
        &self,
        scope: &Scope,
        id: &DatasetId,
        name: String,
        stale_after_secs: Option<u32>,
    ) -> Result<DatasetSummary, AppError> {
        let entry = self.dataset_in(scope, id).await?;
        let dataset = Dataset {
            name: name.trim().to_string(),
            stale_after_secs,
            ..entry.dataset.clone()
        };
        dataset.validate()?;
        if !self
            .storage
            .update_source_and_dataset(scope.workspace(), &entry.source, &dataset)
            .await
            .map_err(storage_error)?
        {
            return Err(AppError::not_found("dataset"));
        }
        self.datasets.forget(id);
        self.bus.dataset_changed(id).await;
        self.retime_screens(scope, &entry.dataset, &dataset).await;
        self.audit(
            scope,
            "dataset_renamed",
            &format!("dataset:{id}"),
            json!({"name": dataset.name, "stale_after_secs": stale_after_secs}),
        )
        .await;
        Ok(DatasetSummary::of(&dataset, &entry.source.config))
    }

    pub(super) async fn remove_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
    ) -> Result<(), AppError> {
        self.dataset_in(scope, id).await?;
        let uses = self
            .storage
            .dataset_uses(scope.workspace(), id)
            .await
            .map_err(storage_error)?;
        if !uses.is_empty() {
            return Err(AppError::conflict(format!(
                "This dataset is still used: {}. Unbind it there first.",
                uses.describe()
            )));
        }
        let Some(source) = self
            .storage
            .delete_dataset(scope.workspace(), id)
            .await
            .map_err(storage_error)?
        else {
            return Err(AppError::not_found("dataset"));
        };
        self.bus.dataset_changed(id).await;
        self.forget_upload(source.config.upload(), None).await;
        self.audit(
            scope,
            "dataset_deleted",
            &format!("dataset:{id}"),
            json!({}),
        )
        .await;
        Ok(())
    }

    /// Removes the upload a source read before (`was`) if it reads another one now
    /// (`now`) and nothing else refers to it.
    async fn forget_upload(
        &self,
        was: Option<&app::model::UploadId>,
        now: Option<&app::model::UploadId>,
    ) {
        let Some(was) = was.filter(|was| Some(*was) != now) else {
            return;
        };
        match self.storage.delete_upload_if_unused(was).await {
            Ok(true) => tracing::info!(upload = %was, "removed an upload no source reads"),
            Ok(false) => {}
            Err(err) => tracing::warn!(upload = %was, error = %err, "could not remove an upload"),
        }
    }
}
