//! Server functions for pushed datasets: create one, and make, list and revoke the
//! tokens integrators push with. A token's secret is returned once, by
//! `create_push_token`; the server keeps only its hash.

use super::DatasetUpdated;
use super::{NewPushToken, PushToken};
use crate::error::AppError;
use crate::model::{DatasetId, DatasetSummary, NewPushDataset, PushTokenId};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "create_push_dataset", input = Json)]
pub async fn create_push_dataset(form: NewPushDataset) -> Result<DatasetSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.validate()?;
            backend.create_push_dataset(&scope, form).await
        }
        .await,
    )
}

/// Changes pushed dataset `id` to `form` (same rules as a new one; an append dataset
/// stays one, a replace dataset too). Rows already held past a smaller limit go at once.
#[server(prefix = "/api/fn", endpoint = "update_push_dataset", input = Json)]
pub async fn update_push_dataset(
    id: DatasetId,
    form: NewPushDataset,
) -> Result<DatasetUpdated, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            form.validate()?;
            backend.update_push_dataset(&scope, &id, form).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "create_push_token", input = Json)]
pub async fn create_push_token(
    dataset: DatasetId,
    label: String,
) -> Result<NewPushToken, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            let label = label.trim().to_string();
            if label.chars().count() > 80 {
                return Err(AppError::Invalid {
                    field: "label".into(),
                    message: "a label is at most 80 characters".into(),
                });
            }
            backend.create_push_token(&scope, &dataset, label).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_push_tokens", input = Json)]
pub async fn list_push_tokens(dataset: DatasetId) -> Result<Vec<PushToken>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.list_push_tokens(&scope, &dataset).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "revoke_push_token", input = Json)]
pub async fn revoke_push_token(dataset: DatasetId, id: PushTokenId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.revoke_push_token(&scope, &dataset, &id).await
        }
        .await,
    )
}
