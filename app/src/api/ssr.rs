//! The server side of the server functions: the `Backend` they call, provided through
//! Leptos context by the server crate, and the helper that turns an `AppError` into the
//! response's HTTP status.

use super::{DashboardSummary, NewPushToken, PushToken, ShareLink, StoredDashboard};
use crate::error::AppError;
use crate::model::{
    Dashboard, DashboardId, DatasetForm, DatasetId, DatasetSummary, Frame, NewHttpDataset,
    NewPushDataset, Preview, PushTokenId, ShareToken,
};
use std::sync::Arc;

/// Everything the server functions need from the server. Implemented by the server
/// crate over storage and the live engine; tested there without HTTP.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn list_dashboards(&self) -> Result<Vec<DashboardSummary>, AppError>;
    async fn create_dashboard(&self, dashboard: Dashboard) -> Result<DashboardId, AppError>;
    async fn load_dashboard(&self, id: &DashboardId) -> Result<StoredDashboard, AppError>;
    /// Stores `dashboard` if the stored revision is still `revision`; returns the new one.
    async fn save_dashboard(
        &self,
        id: &DashboardId,
        dashboard: Dashboard,
        revision: i64,
    ) -> Result<i64, AppError>;
    async fn delete_dashboard(&self, id: &DashboardId) -> Result<(), AppError>;
    /// The latest frame of each dataset (an empty frame where there is none yet).
    async fn frames(&self, datasets: &[DatasetId]) -> Vec<Frame>;
    async fn list_datasets(&self) -> Result<Vec<DatasetSummary>, AppError>;
    async fn create_http_dataset(&self, form: NewHttpDataset) -> Result<DatasetSummary, AppError>;
    /// Reads the form's source once and runs its pipeline; stores nothing.
    async fn preview_dataset(&self, form: DatasetForm) -> Result<Preview, AppError>;
    async fn create_dataset(&self, form: DatasetForm) -> Result<DatasetSummary, AppError>;
    async fn create_push_dataset(&self, form: NewPushDataset) -> Result<DatasetSummary, AppError>;
    async fn create_push_token(
        &self,
        dataset: &DatasetId,
        label: String,
    ) -> Result<NewPushToken, AppError>;
    async fn list_push_tokens(&self, dataset: &DatasetId) -> Result<Vec<PushToken>, AppError>;
    async fn revoke_push_token(
        &self,
        dataset: &DatasetId,
        id: &PushTokenId,
    ) -> Result<(), AppError>;
    async fn create_share_link(&self, id: &DashboardId) -> Result<ShareLink, AppError>;
    async fn list_share_links(&self, id: &DashboardId) -> Result<Vec<ShareLink>, AppError>;
    async fn revoke_share_link(&self, id: &DashboardId, token: &ShareToken)
        -> Result<(), AppError>;
    /// The dashboard a live share token opens; `NotFound` for unknown or revoked tokens.
    async fn resolve_share(&self, token: &ShareToken) -> Result<StoredDashboard, AppError>;
    /// Origins the operator lets embed widgets show (`WALLBOARD_EMBED_ORIGINS`).
    fn embed_origins(&self) -> Vec<String>;
}

/// The refresh interval of each polled dataset among `datasets`.
pub async fn intervals(
    backend: &dyn Backend,
    datasets: &[DatasetId],
) -> Result<Vec<(DatasetId, u64)>, AppError> {
    Ok(backend
        .list_datasets()
        .await?
        .into_iter()
        .filter(|d| d.push.is_none() && datasets.contains(&d.id))
        .map(|d| (d.id, u64::from(d.refresh)))
        .collect())
}

/// The context handle through which server functions reach the `Backend`.
#[derive(Clone)]
pub struct Services(pub Arc<dyn Backend>);

/// The backend of the current request.
pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
    leptos::prelude::use_context::<Services>()
        .map(|s| s.0)
        .ok_or(AppError::Internal)
}

/// Passes `result` through, setting the response status from the error if there is one.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        crate::error::set_page_status(err);
    }
    result
}
