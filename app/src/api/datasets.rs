//! Server functions for datasets: list (without source configuration) and create one
//! that reads a JSON API.

use crate::error::AppError;
use crate::model::{DatasetSummary, NewHttpDataset};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "list_datasets", input = Json)]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, AppError> {
    use super::ssr::*;
    respond(backend()?.list_datasets().await)
}

#[server(prefix = "/api/fn", endpoint = "create_http_dataset", input = Json)]
pub async fn create_http_dataset(form: NewHttpDataset) -> Result<DatasetSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            form.parse()?;
            backend()?.create_http_dataset(form).await
        }
        .await,
    )
}
