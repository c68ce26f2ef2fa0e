//! The server side of the server functions: the `Backend` they call, provided through
//! Leptos context by the server crate; the request's `Caller` (resolved by the server's
//! auth module before any handler runs); and the helper that turns an `AppError` into
//! the response's HTTP status.
//!
//! Every backend method that touches a workspace's data takes the [`Scope`] that
//! [`Caller::may`] grants, so a server function cannot reach data without asking.

use super::{
    CatalogueEntry, DashboardSummary, DatasetUpdated, EditableDataset, NewPushToken, NewShareLink,
    PushToken, ScreenData, ShareLink, ShareOptions, StoredDashboard, VersionSummary,
};
/// What server functions ask the caller for (`authorized(Action::…)`).
pub use crate::auth::Action;
use crate::auth::{
    ApiTokenForm, ApiTokenSummary, AuditLine, Caller, Me, MemberSummary, NewApiToken, NewInvite,
    Role, Scope,
};
use crate::error::AppError;
use crate::model::{ApiTokenId, ShareLinkId, UserId};
use crate::model::{
    Dashboard, DashboardId, DatasetForm, DatasetId, DatasetSummary, Frame, Freshness,
    NewHttpDataset, NewPushDataset, Preview, PushTokenId, ShareToken,
};
use std::sync::Arc;

/// Everything the server functions need from the server. Implemented by the server
/// crate over storage and the live engine; tested there without HTTP.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn list_dashboards(&self, scope: &Scope) -> Result<Vec<DashboardSummary>, AppError>;
    async fn create_dashboard(
        &self,
        scope: &Scope,
        dashboard: Dashboard,
    ) -> Result<DashboardId, AppError>;
    async fn load_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<StoredDashboard, AppError>;
    /// What the screens of `id` show: its published version, or its draft (`version`
    /// `None`) if it was never published.
    async fn shown_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<(Dashboard, Option<i64>), AppError>;
    /// Makes the draft of `id`, at `revision`, the published version screens show.
    async fn publish_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
        revision: i64,
    ) -> Result<VersionSummary, AppError>;
    async fn list_versions(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<Vec<VersionSummary>, AppError>;
    async fn load_version(
        &self,
        scope: &Scope,
        id: &DashboardId,
        version: i64,
    ) -> Result<Dashboard, AppError>;
    /// Stores `dashboard` if the stored revision is still `revision`; returns the new one.
    async fn save_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
        dashboard: Dashboard,
        revision: i64,
    ) -> Result<i64, AppError>;
    async fn delete_dashboard(&self, scope: &Scope, id: &DashboardId) -> Result<(), AppError>;
    /// The latest frame of each dataset (an empty frame where there is none yet).
    async fn frames(&self, scope: &Scope, datasets: &[DatasetId]) -> Vec<Frame>;
    async fn list_datasets(&self, scope: &Scope) -> Result<Vec<DatasetSummary>, AppError>;
    async fn create_http_dataset(
        &self,
        scope: &Scope,
        form: NewHttpDataset,
    ) -> Result<DatasetSummary, AppError>;
    /// Reads the form's source once and runs its pipeline; stores nothing.
    /// Reads the source of `form` once and runs its pipeline; with `editing`, as an edit
    /// of that dataset (its credentials where the form leaves them blank).
    async fn preview_dataset(
        &self,
        scope: &Scope,
        form: DatasetForm,
        editing: Option<DatasetId>,
    ) -> Result<Preview, AppError>;
    async fn editable_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
    ) -> Result<EditableDataset, AppError>;
    /// Changes a polled dataset in place; every instance and open screen follows.
    async fn update_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: DatasetForm,
    ) -> Result<DatasetUpdated, AppError>;
    /// Changes a dataset's name and "stale after", its other settings kept.
    async fn update_dataset_basics(
        &self,
        scope: &Scope,
        id: &DatasetId,
        name: String,
        stale_after_secs: Option<u32>,
    ) -> Result<DatasetSummary, AppError>;
    /// Every dataset of the workspace with its status and where it is used.
    async fn dataset_catalogue(&self, scope: &Scope) -> Result<Vec<CatalogueEntry>, AppError>;
    /// Deletes a dataset nothing reads (else `Conflict`, saying where it is used).
    async fn delete_dataset(&self, scope: &Scope, id: &DatasetId) -> Result<(), AppError>;
    async fn create_dataset(
        &self,
        scope: &Scope,
        form: DatasetForm,
    ) -> Result<DatasetSummary, AppError>;
    async fn create_push_dataset(
        &self,
        scope: &Scope,
        form: NewPushDataset,
    ) -> Result<DatasetSummary, AppError>;
    /// Changes a pushed dataset: name, fields, how many rows an append dataset keeps,
    /// "stale after". Whether pushes append or replace does not change.
    async fn update_push_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: NewPushDataset,
    ) -> Result<DatasetUpdated, AppError>;
    async fn create_push_token(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
        label: String,
    ) -> Result<NewPushToken, AppError>;
    async fn list_push_tokens(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
    ) -> Result<Vec<PushToken>, AppError>;
    async fn revoke_push_token(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
        id: &PushTokenId,
    ) -> Result<(), AppError>;
    /// A new share link of dashboard `id` (its token shown once, stored hashed).
    async fn create_share_link(
        &self,
        scope: &Scope,
        id: &DashboardId,
        options: ShareOptions,
    ) -> Result<NewShareLink, AppError>;
    async fn list_share_links(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<Vec<ShareLink>, AppError>;
    /// Revokes link `link` of dashboard `id`; its open streams end on every instance.
    async fn revoke_share_link(
        &self,
        scope: &Scope,
        id: &DashboardId,
        link: &ShareLinkId,
    ) -> Result<(), AppError>;
    /// The signed-in user, their role and workspaces.
    async fn me(&self, caller: &Caller) -> Result<Me, AppError>;
    /// The members of the scope's workspace.
    async fn members(&self, scope: &Scope) -> Result<Vec<MemberSummary>, AppError>;
    /// A one-time link that lets whoever opens it join with `role`, for `days` days.
    async fn invite(&self, scope: &Scope, role: Role, days: u32) -> Result<NewInvite, AppError>;
    /// Gives member `user` another role, or (`None`) removes them; the last owner stays.
    async fn change_member(
        &self,
        scope: &Scope,
        user: &UserId,
        role: Option<Role>,
    ) -> Result<(), AppError>;
    /// The workspace's API tokens (an owner sees all, anyone else their own).
    async fn api_tokens(&self, caller: &Caller) -> Result<Vec<ApiTokenSummary>, AppError>;
    async fn create_api_token(
        &self,
        caller: &Caller,
        form: ApiTokenForm,
    ) -> Result<NewApiToken, AppError>;
    async fn revoke_api_token(&self, caller: &Caller, id: &ApiTokenId) -> Result<(), AppError>;
    /// A one-time link that sets a new password for `user` (administrators only).
    async fn reset_link(&self, caller: &Caller, user: &UserId) -> Result<String, AppError>;
    /// A new workspace owned by the calling administrator.
    async fn create_workspace(
        &self,
        caller: &Caller,
        name: String,
    ) -> Result<crate::model::WorkspaceId, AppError>;
    /// The newest lines of the workspace's audit log, of one action if given.
    async fn audit_log(
        &self,
        scope: &Scope,
        action: Option<String>,
    ) -> Result<Vec<AuditLine>, AppError>;
    /// What a share page shows: the dashboard a live share token opens and its frames
    /// cut down to the bound fields; `NotFound` for unknown, revoked or expired links.
    /// `headers` carry the pass of a password-protected link (a cookie).
    async fn shared_screen(
        &self,
        token: &ShareToken,
        headers: &http::HeaderMap,
    ) -> Result<ScreenData, AppError>;
    /// Origins the operator lets embed widgets show (`WALLBOARD_EMBED_ORIGINS`).
    fn embed_origins(&self) -> Vec<String>;

    // Screens and playlists (`api::screens`).
    async fn pair_screen(
        &self,
        scope: &Scope,
        code: String,
        settings: super::ScreenSettings,
    ) -> Result<super::ScreenSummary, AppError>;
    async fn list_screens(&self, scope: &Scope) -> Result<Vec<super::ScreenSummary>, AppError>;
    async fn update_screen(
        &self,
        scope: &Scope,
        id: &crate::model::ScreenId,
        settings: super::ScreenSettings,
    ) -> Result<(), AppError>;
    async fn reload_screen(
        &self,
        scope: &Scope,
        id: &crate::model::ScreenId,
    ) -> Result<(), AppError>;
    async fn unpair_screen(
        &self,
        scope: &Scope,
        id: &crate::model::ScreenId,
    ) -> Result<(), AppError>;
    async fn list_playlists(&self, scope: &Scope) -> Result<Vec<super::PlaylistSummary>, AppError>;
    async fn save_playlist(
        &self,
        scope: &Scope,
        id: Option<crate::model::PlaylistId>,
        playlist: crate::model::Playlist,
    ) -> Result<crate::model::PlaylistId, AppError>;
    async fn delete_playlist(
        &self,
        scope: &Scope,
        id: &crate::model::PlaylistId,
    ) -> Result<(), AppError>;
    /// What share link `token` opens: a dashboard (as `shared_screen`) or a playlist.
    async fn share_page(
        &self,
        token: &ShareToken,
        headers: &http::HeaderMap,
    ) -> Result<super::SharePage, AppError>;
    async fn create_playlist_share(
        &self,
        scope: &Scope,
        id: &crate::model::PlaylistId,
    ) -> Result<NewShareLink, AppError>;
    async fn list_playlist_shares(
        &self,
        scope: &Scope,
        id: &crate::model::PlaylistId,
    ) -> Result<Vec<ShareLink>, AppError>;
    async fn revoke_playlist_share(
        &self,
        scope: &Scope,
        id: &crate::model::PlaylistId,
        link: &ShareLinkId,
    ) -> Result<(), AppError>;
    /// What the TV with these headers (its device cookie) shows, and the `Set-Cookie`
    /// value of a new device token when it had none that works.
    async fn tv_state(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<(super::TvState, Option<String>), AppError>;
}

/// What screens expect of the updates of each of `datasets` (stale badges).
pub async fn freshness(
    backend: &dyn Backend,
    scope: &Scope,
    datasets: &[DatasetId],
) -> Result<Vec<(DatasetId, Freshness)>, AppError> {
    Ok(backend
        .list_datasets(scope)
        .await?
        .into_iter()
        .filter(|d| datasets.contains(&d.id))
        .map(|d| (d.id.clone(), Freshness::of(&d)))
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

/// The request's caller, as the server's auth module resolved it; `Unauthorized`
/// (401) when nobody is signed in.
pub fn caller() -> Result<Caller, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .ok_or_else(AppError::unauthorized)
}

/// The backend and the scope in which the caller may do `action`: what a server
/// function asks for first.
pub fn authorized(action: Action) -> Result<(Arc<dyn Backend>, Scope), AppError> {
    let scope = caller()?.may(action)?;
    Ok((backend()?, scope))
}

/// Passes `result` through, setting the response status from the error if there is one.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        crate::error::set_page_status(err);
    }
    result
}
