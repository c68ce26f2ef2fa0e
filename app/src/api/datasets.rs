//! Server functions for datasets: list (without source configuration), test a source
//! with its pipeline ("Test" in the editor), and create a dataset over any polled
//! source type.

use crate::error::AppError;
use crate::model::{DatasetForm, DatasetSummary, NewHttpDataset, Preview};
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
/// each step's report. Nothing is stored.
#[server(prefix = "/api/fn", endpoint = "preview_dataset", input = Json)]
pub async fn preview_dataset(form: DatasetForm) -> Result<Preview, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.parse()?;
            backend.preview_dataset(&scope, form).await
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
