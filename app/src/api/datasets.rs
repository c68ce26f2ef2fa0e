//! Server functions for datasets: list (without source configuration), test a source
//! with its pipeline ("Test" in the editor), create a dataset over any polled source
//! type, and edit, rename or delete one.

use super::{CatalogueEntry, DatasetUpdated, EditableDataset};
use crate::error::AppError;
use crate::model::{DatasetForm, DatasetId, DatasetSummary, NewHttpDataset, Preview};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "list_datasets", input = Json)]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            backend.list_datasets(&scope).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "create_http_dataset", input = Json)]
pub async fn create_http_dataset(form: NewHttpDataset) -> Result<DatasetSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.parse()?;
            backend.create_http_dataset(&scope, form).await
        }
        .await,
    )
}

/// Reads the source once and runs the pipeline: the first rows before and after, and
/// each step's report. Nothing is stored. With `editing`, the form is an edit of that
/// dataset: a credential left blank is the stored one.
#[server(prefix = "/api/fn", endpoint = "preview_dataset", input = Json)]
pub async fn preview_dataset(
    form: DatasetForm,
    #[server(default)] editing: Option<DatasetId>,
) -> Result<Preview, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.parse()?;
            backend.preview_dataset(&scope, form, editing).await
        }
        .await,
    )
}

/// A dataset's settings for its edit form (credentials never included).
#[server(prefix = "/api/fn", endpoint = "dataset_form", input = Json)]
pub async fn load_dataset_settings(id: DatasetId) -> Result<EditableDataset, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.editable_dataset(&scope, &id).await
        }
        .await,
    )
}

/// Changes a polled dataset: its name, source settings (a credential left blank stays
/// as it is), pipeline and refresh. It is tested first, like a new one; every instance
/// rereads it, open screens get its new rows, and bound widgets keep their bindings
/// (the answer lists those reading a field that is gone).
#[server(prefix = "/api/fn", endpoint = "update_dataset", input = Json)]
pub async fn update_dataset(id: DatasetId, form: DatasetForm) -> Result<DatasetUpdated, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.parse()?;
            backend.update_dataset(&scope, &id, form).await
        }
        .await,
    )
}

/// Changes a dataset's name and "stale after" (any kind; the only settings of a
/// pushed one).
#[server(prefix = "/api/fn", endpoint = "update_dataset_basics", input = Json)]
pub async fn update_dataset_basics(
    id: DatasetId,
    name: String,
    #[server(default)] stale_after_secs: Option<u32>,
) -> Result<DatasetSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend
                .update_dataset_basics(&scope, &id, name, stale_after_secs)
                .await
        }
        .await,
    )
}

/// Deletes a dataset no dashboard or pipeline reads; otherwise refused with where it
/// is used.
#[server(prefix = "/api/fn", endpoint = "delete_dataset", input = Json)]
pub async fn delete_dataset(id: DatasetId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.delete_dataset(&scope, &id).await
        }
        .await,
    )
}

/// Stores the source (credentials sealed) and the dataset, and starts refreshing it.
#[server(prefix = "/api/fn", endpoint = "create_dataset", input = Json)]
pub async fn create_dataset(form: DatasetForm) -> Result<DatasetSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.parse()?;
            backend.create_dataset(&scope, form).await
        }
        .await,
    )
}

/// The data catalogue: every dataset of the workspace, its source kind and refresh,
/// when it last updated or why it failed, and where it is used.
#[server(prefix = "/api/fn", endpoint = "dataset_catalogue", input = Json)]
pub async fn dataset_catalogue() -> Result<Vec<CatalogueEntry>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            backend.dataset_catalogue(&scope).await
        }
        .await,
    )
}
