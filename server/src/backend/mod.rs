//! The server functions' `Backend`, implemented over storage, the live hub and the
//! polling schedule. Storage errors are logged here with their cause and reach clients
//! as `Unavailable` or an opaque `Internal`.

mod datasets;
pub mod screens;

use crate::auth::members;
use crate::startup::Core;
use crate::storage::SourcedDataset;
use crate::storage::{PublishOutcome, SaveOutcome, StorageError, VersionRow};
use app::api::ssr::Backend;
use app::api::{
    CatalogueEntry, DashboardSummary, DatasetUpdated, EditableDataset, NewPushToken, NewShareLink,
    PushToken, ScreenData, ShareLink, ShareOptions, StoredDashboard, VersionSummary,
    MAX_VERSIONS_LISTED,
};
use app::api::{PlaylistSummary, ScreenSettings, ScreenSummary, TvState};
use app::auth::{
    ApiTokenForm, ApiTokenSummary, AuditLine, Caller, Me, MemberSummary, NewApiToken, NewInvite,
    Role, Scope,
};
use app::error::AppError;
use app::model::{
    infer_fields, Columns, Dashboard, DashboardId, DataSource, Dataset, DatasetForm, DatasetId,
    DatasetSummary, Extracted, Frame, JsonPathExpr, NewHttpDataset, NewPushDataset, Preview,
    PushSource, PushTokenId, RefreshInterval, ShareToken, SourceConfig, SourceId,
};
use app::model::{ApiTokenId, Playlist, PlaylistId, ScreenId, ShareLinkId, UserId};
use serde_json::json;

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

fn version_summary(row: VersionRow, named: &impl Fn(String) -> String) -> VersionSummary {
    VersionSummary {
        version: row.version,
        name: row.name,
        widgets: usize::try_from(row.widgets).unwrap_or(0),
        published_at_ms: row.published_at_ms,
        published_by: named(row.published_by),
    }
}

/// A new share token: 256 random bits, base64url without padding.
pub fn new_share_token() -> ShareToken {
    ShareToken::parse(crate::auth::new_secret("")).expect("base64url is a valid token")
}

#[async_trait::async_trait]
impl Backend for Core {
    async fn list_dashboards(&self, scope: &Scope) -> Result<Vec<DashboardSummary>, AppError> {
        self.storage
            .list_dashboards(scope.workspace())
            .await
            .map_err(storage_error)
    }

    async fn create_dashboard(
        &self,
        scope: &Scope,
        dashboard: Dashboard,
    ) -> Result<DashboardId, AppError> {
        // A whole document may arrive here (an import, a copy): the same checks as a save.
        dashboard.validate()?;
        check_embeds(&dashboard, &self.config.embed_origins)?;
        self.check_datasets(scope, &dashboard.datasets()).await?;
        let id = DashboardId::parse(crate::new_id()).expect("hex is a valid id");
        self.storage
            .insert_dashboard(scope.workspace(), &id, &dashboard)
            .await
            .map_err(storage_error)?;
        self.audit(
            scope,
            "dashboard_created",
            &format!("dashboard:{id}"),
            json!({"name": dashboard.name}),
        )
        .await;
        Ok(id)
    }

    async fn load_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<StoredDashboard, AppError> {
        self.storage
            .get_dashboard(scope.workspace(), id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("dashboard"))
    }

    async fn save_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
        dashboard: Dashboard,
        revision: i64,
    ) -> Result<i64, AppError> {
        dashboard.validate()?;
        check_embeds(&dashboard, &self.config.embed_origins)?;
        self.check_datasets(scope, &dashboard.datasets()).await?;
        match self
            .storage
            .update_dashboard(scope.workspace(), id, &dashboard, revision)
            .await
            .map_err(storage_error)?
        {
            SaveOutcome::Saved {
                revision,
                published,
            } => {
                // Screens of a dashboard never published show its draft: they follow.
                if !published {
                    self.bus.dashboard_changed(id).await;
                }
                self.audit(
                    scope,
                    "dashboard_saved",
                    &format!("dashboard:{id}"),
                    json!({"revision": revision, "widgets": dashboard.widgets.len()}),
                )
                .await;
                Ok(revision)
            }
            SaveOutcome::Conflict { current } => Err(AppError::conflict(format!(
                "This dashboard was saved elsewhere (revision {current}) after you opened it \
                 (revision {revision}); your changes were not saved."
            ))),
            SaveOutcome::NotFound => Err(AppError::not_found("dashboard")),
        }
    }

    async fn shown_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<(Dashboard, Option<i64>), AppError> {
        let shown = self
            .storage
            .get_shown(scope.workspace(), id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("dashboard"))?;
        Ok((shown.dashboard, shown.version))
    }

    async fn publish_dashboard(
        &self,
        scope: &Scope,
        id: &DashboardId,
        revision: i64,
    ) -> Result<VersionSummary, AppError> {
        match self
            .storage
            .publish_dashboard(scope.workspace(), id, revision, scope.actor())
            .await
            .map_err(storage_error)?
        {
            PublishOutcome::Published(row) => {
                self.bus.dashboard_changed(id).await;
                self.audit(
                    scope,
                    "dashboard_published",
                    &format!("dashboard:{id}"),
                    json!({"version": row.version, "revision": revision}),
                )
                .await;
                let named = members::actor_names(self, scope).await?;
                Ok(version_summary(row, &named))
            }
            PublishOutcome::Unchanged(row) => {
                let named = members::actor_names(self, scope).await?;
                Ok(version_summary(row, &named))
            }
            PublishOutcome::Conflict { current } => Err(AppError::conflict(format!(
                "The draft was saved elsewhere (revision {current}) since revision {revision}; \
                 nothing was published. Publish again to publish the latest draft."
            ))),
            PublishOutcome::NotFound => Err(AppError::not_found("dashboard")),
        }
    }

    async fn list_versions(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<Vec<VersionSummary>, AppError> {
        if !self
            .storage
            .dashboard_exists(scope.workspace(), id)
            .await
            .map_err(storage_error)?
        {
            return Err(AppError::not_found("dashboard"));
        }
        let named = members::actor_names(self, scope).await?;
        Ok(self
            .storage
            .list_versions(scope.workspace(), id, MAX_VERSIONS_LISTED)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(|row| version_summary(row, &named))
            .collect())
    }

    async fn load_version(
        &self,
        scope: &Scope,
        id: &DashboardId,
        version: i64,
    ) -> Result<Dashboard, AppError> {
        self.storage
            .get_version(scope.workspace(), id, version)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found(&format!("version {version} of this dashboard")))
    }

    async fn delete_dashboard(&self, scope: &Scope, id: &DashboardId) -> Result<(), AppError> {
        if self
            .storage
            .delete_dashboard(scope.workspace(), id)
            .await
            .map_err(storage_error)?
        {
            self.audit(
                scope,
                "dashboard_deleted",
                &format!("dashboard:{id}"),
                json!({}),
            )
            .await;
            Ok(())
        } else {
            Err(AppError::not_found("dashboard"))
        }
    }

    async fn frames(&self, scope: &Scope, datasets: &[DatasetId]) -> Vec<Frame> {
        let mut frames = Vec::with_capacity(datasets.len());
        for id in datasets {
            // Another workspace's dataset shows as one without data.
            if !self.in_scope(scope, id).await.unwrap_or(false) {
                frames.push(Frame::empty(id.clone()));
                continue;
            }
            frames.push(match self.bus.latest(id).await {
                Some(p) => p.page_frame(),
                None => Frame::empty(id.clone()),
            });
        }
        frames
    }

    async fn list_datasets(&self, scope: &Scope) -> Result<Vec<DatasetSummary>, AppError> {
        let all = self
            .storage
            .list_datasets_in(scope.workspace())
            .await
            .map_err(storage_error)?;
        Ok(all
            .iter()
            .map(|e| DatasetSummary::of(&e.dataset, &e.source.config))
            .collect())
    }

    async fn create_http_dataset(
        &self,
        scope: &Scope,
        form: NewHttpDataset,
    ) -> Result<DatasetSummary, AppError> {
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
            stale_after_secs: None,
        };
        self.add_dataset(scope, source, dataset).await
    }

    async fn preview_dataset(
        &self,
        scope: &Scope,
        form: DatasetForm,
        editing: Option<DatasetId>,
    ) -> Result<Preview, AppError> {
        let (source, dataset) = match editing {
            Some(id) => self.edited(scope, &id, form).await?,
            None => from_form(form)?,
        };
        self.check_references(scope, &source, &dataset).await?;
        self.preview(&source, &dataset).await
    }

    async fn editable_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
    ) -> Result<EditableDataset, AppError> {
        self.editable(scope, id).await
    }

    async fn update_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: DatasetForm,
    ) -> Result<DatasetUpdated, AppError> {
        self.edit_dataset(scope, id, form).await
    }

    async fn update_dataset_basics(
        &self,
        scope: &Scope,
        id: &DatasetId,
        name: String,
        stale_after_secs: Option<u32>,
    ) -> Result<DatasetSummary, AppError> {
        self.update_basics(scope, id, name, stale_after_secs).await
    }

    async fn delete_dataset(&self, scope: &Scope, id: &DatasetId) -> Result<(), AppError> {
        self.remove_dataset(scope, id).await
    }

    async fn dataset_catalogue(&self, scope: &Scope) -> Result<Vec<CatalogueEntry>, AppError> {
        let datasets = self.list_datasets(scope).await?;
        let ids: Vec<DatasetId> = datasets.iter().map(|d| d.id.clone()).collect();
        let frames = self.frames(scope, &ids).await;
        let mut entries = Vec::with_capacity(datasets.len());
        for (dataset, frame) in datasets.into_iter().zip(frames) {
            let uses = self
                .storage
                .dataset_uses(scope.workspace(), &dataset.id)
                .await
                .map_err(storage_error)?;
            let mut used_by: Vec<String> = uses
                .dashboards
                .into_iter()
                .map(|(_, name, _)| name)
                .collect();
            used_by.extend(uses.joined_by.into_iter().map(|n| format!("joined by {n}")));
            entries.push(CatalogueEntry {
                dataset,
                updated_at_ms: frame.updated_at_ms,
                rows: frame.rows.len(),
                error: frame.error.clone(),
                used_by,
            });
        }
        Ok(entries)
    }

    async fn create_dataset(
        &self,
        scope: &Scope,
        form: DatasetForm,
    ) -> Result<DatasetSummary, AppError> {
        let (source, dataset) = from_form(form)?;
        let (source, dataset) = self.tested(scope, source, dataset).await?;
        self.add_dataset(scope, source, dataset).await
    }

    async fn create_push_dataset(
        &self,
        scope: &Scope,
        form: NewPushDataset,
    ) -> Result<DatasetSummary, AppError> {
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
            stale_after_secs: form.stale_after_secs,
        };
        self.add_dataset(scope, source, dataset).await
    }

    async fn update_push_dataset(
        &self,
        scope: &Scope,
        id: &DatasetId,
        form: NewPushDataset,
    ) -> Result<DatasetUpdated, AppError> {
        self.edit_push_dataset(scope, id, form).await
    }

    async fn create_push_token(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
        label: String,
    ) -> Result<NewPushToken, AppError> {
        let entry = self.dataset_in(scope, dataset).await?;
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
        self.audit(
            scope,
            "push_token_created",
            &format!("push_token:{id}"),
            json!({"dataset": dataset, "label": label}),
        )
        .await;
        Ok(NewPushToken { token, secret })
    }

    async fn list_push_tokens(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
    ) -> Result<Vec<PushToken>, AppError> {
        self.dataset_in(scope, dataset).await?;
        self.storage
            .list_push_tokens(dataset)
            .await
            .map_err(storage_error)
    }

    async fn revoke_push_token(
        &self,
        scope: &Scope,
        dataset: &DatasetId,
        id: &PushTokenId,
    ) -> Result<(), AppError> {
        self.dataset_in(scope, dataset).await?;
        let revoked = self
            .storage
            .revoke_push_token(dataset, id)
            .await
            .map_err(storage_error)?;
        self.push_tokens.forget(id);
        if revoked {
            self.audit(
                scope,
                "push_token_revoked",
                &format!("push_token:{id}"),
                json!({"dataset": dataset}),
            )
            .await;
            Ok(())
        } else {
            Err(AppError::not_found("push token"))
        }
    }

    async fn create_share_link(
        &self,
        scope: &Scope,
        id: &DashboardId,
        options: ShareOptions,
    ) -> Result<NewShareLink, AppError> {
        options.validate()?;
        self.load_dashboard(scope, id).await?;
        let token = new_share_token();
        let expires_at_ms = options
            .expires_in_hours
            .map(|h| crate::now_ms() + i64::from(h) * 3_600_000);
        let password_hash = match options.password.filter(|p| !p.is_empty()) {
            Some(password) => Some(crate::auth::password::hash(password).await),
            None => None,
        };
        let link = self
            .storage
            .insert_share_link(
                id,
                &crate::auth::shares::token_hash(&token),
                expires_at_ms,
                password_hash.as_deref(),
            )
            .await
            .map_err(storage_error)?;
        self.audit(
            scope,
            "share_link_created",
            &format!("share_link:{}", link.id),
            json!({"dashboard": id, "expires_at_ms": expires_at_ms, "password": link.has_password}),
        )
        .await;
        Ok(NewShareLink { link, token })
    }

    async fn list_share_links(
        &self,
        scope: &Scope,
        id: &DashboardId,
    ) -> Result<Vec<ShareLink>, AppError> {
        self.load_dashboard(scope, id).await?;
        self.storage
            .list_share_links(id)
            .await
            .map_err(storage_error)
    }

    async fn revoke_share_link(
        &self,
        scope: &Scope,
        id: &DashboardId,
        link: &ShareLinkId,
    ) -> Result<(), AppError> {
        self.load_dashboard(scope, id).await?;
        if self
            .storage
            .revoke_share_link(id, link)
            .await
            .map_err(storage_error)?
            .is_none()
        {
            return Err(AppError::not_found("share link"));
        }
        // Open streams of the link end on every instance.
        self.bus.revoke(&format!("share:{link}")).await;
        self.audit(
            scope,
            "share_link_revoked",
            &format!("share_link:{link}"),
            json!({"dashboard": id}),
        )
        .await;
        Ok(())
    }

    async fn pair_screen(
        &self,
        scope: &Scope,
        code: String,
        settings: ScreenSettings,
    ) -> Result<ScreenSummary, AppError> {
        screens::pair(self, scope, code, settings).await
    }

    async fn list_screens(&self, scope: &Scope) -> Result<Vec<ScreenSummary>, AppError> {
        self.storage
            .list_screens(scope.workspace())
            .await
            .map_err(storage_error)
    }

    async fn update_screen(
        &self,
        scope: &Scope,
        id: &ScreenId,
        settings: ScreenSettings,
    ) -> Result<(), AppError> {
        screens::update(self, scope, id, settings).await
    }

    async fn reload_screen(&self, scope: &Scope, id: &ScreenId) -> Result<(), AppError> {
        screens::reload(self, scope, id).await
    }

    async fn unpair_screen(&self, scope: &Scope, id: &ScreenId) -> Result<(), AppError> {
        screens::unpair(self, scope, id).await
    }

    async fn list_playlists(&self, scope: &Scope) -> Result<Vec<PlaylistSummary>, AppError> {
        self.storage
            .list_playlists(scope.workspace())
            .await
            .map_err(storage_error)
    }

    async fn save_playlist(
        &self,
        scope: &Scope,
        id: Option<PlaylistId>,
        playlist: Playlist,
    ) -> Result<PlaylistId, AppError> {
        screens::save_playlist(self, scope, id, playlist).await
    }

    async fn delete_playlist(&self, scope: &Scope, id: &PlaylistId) -> Result<(), AppError> {
        screens::delete_playlist(self, scope, id).await
    }

    async fn share_page(
        &self,
        token: &ShareToken,
        headers: &axum::http::HeaderMap,
    ) -> Result<app::api::SharePage, AppError> {
        match self.shared_screen(token, headers).await {
            Err(AppError::NotFound { .. }) => screens::shared_playlist(self, token).await,
            other => other.map(app::api::SharePage::Dashboard),
        }
    }

    async fn create_playlist_share(
        &self,
        scope: &Scope,
        id: &PlaylistId,
    ) -> Result<NewShareLink, AppError> {
        screens::create_playlist_share(self, scope, id).await
    }

    async fn list_playlist_shares(
        &self,
        scope: &Scope,
        id: &PlaylistId,
    ) -> Result<Vec<ShareLink>, AppError> {
        self.storage
            .list_playlist_shares(scope.workspace(), id)
            .await
            .map_err(storage_error)
    }

    async fn revoke_playlist_share(
        &self,
        scope: &Scope,
        id: &PlaylistId,
        link: &ShareLinkId,
    ) -> Result<(), AppError> {
        screens::revoke_playlist_share(self, scope, id, link).await
    }

    async fn tv_state(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<(TvState, Option<String>), AppError> {
        screens::tv_state(self, headers).await
    }

    fn embed_origins(&self) -> Vec<String> {
        self.config.embed_origins.clone()
    }

    async fn me(&self, caller: &Caller) -> Result<Me, AppError> {
        crate::auth::me(self, caller).await
    }

    async fn members(&self, scope: &Scope) -> Result<Vec<MemberSummary>, AppError> {
        members::members(self, scope).await
    }

    async fn invite(&self, scope: &Scope, role: Role, days: u32) -> Result<NewInvite, AppError> {
        members::invite(self, scope, role, days).await
    }

    async fn change_member(
        &self,
        scope: &Scope,
        user: &UserId,
        role: Option<Role>,
    ) -> Result<(), AppError> {
        members::change_member(self, scope, user, role).await
    }

    async fn api_tokens(&self, caller: &Caller) -> Result<Vec<ApiTokenSummary>, AppError> {
        members::api_tokens(self, caller).await
    }

    async fn create_api_token(
        &self,
        caller: &Caller,
        form: ApiTokenForm,
    ) -> Result<NewApiToken, AppError> {
        members::create_api_token(self, caller, form).await
    }

    async fn revoke_api_token(&self, caller: &Caller, id: &ApiTokenId) -> Result<(), AppError> {
        members::revoke_api_token(self, caller, id).await
    }

    async fn audit_log(
        &self,
        scope: &Scope,
        action: Option<String>,
    ) -> Result<Vec<AuditLine>, AppError> {
        members::audit_log(self, scope, action).await
    }

    async fn reset_link(&self, caller: &Caller, user: &UserId) -> Result<String, AppError> {
        members::reset_link(self, caller, user).await
    }

    async fn create_workspace(
        &self,
        caller: &Caller,
        name: String,
    ) -> Result<app::model::WorkspaceId, AppError> {
        members::create_workspace(self, caller, name).await
    }

    async fn shared_screen(
        &self,
        token: &ShareToken,
        headers: &axum::http::HeaderMap,
    ) -> Result<ScreenData, AppError> {
        use app::model::SharedView;
        let gone = || AppError::not_found("share link");
        let (shared, _) = crate::auth::shares::open(self, token, headers).await?;
        if let Err(err) = self.storage.count_share_view(&shared.link).await {
            tracing::warn!(error = %err, "could not count a share view");
        }
        let dashboard = self
            .storage
            .get_shown(&shared.workspace, &shared.dashboard)
            .await
            .map_err(storage_error)?
            .ok_or_else(gone)?
            .dashboard;
        let view = SharedView::of(&dashboard);
        let (frames, freshness) = screens::view_frames(self, &shared.workspace, &view).await?;
        Ok(ScreenData {
            dashboard,
            frames,
            stream_url: format!("/api/v1/live/share/{token}"),
            freshness,
            embed_origins: self.embed_origins(),
            rendered_at_ms: crate::now_ms(),
        })
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
        stale_after_secs: form.stale_after_secs,
    };
    Ok((source, dataset))
}

impl Core {
    /// Writes one line of the audit log for an action done in `scope`.
    async fn audit(&self, scope: &Scope, action: &str, target: &str, detail: serde_json::Value) {
        crate::auth::audit(
            self,
            Some(scope.workspace()),
            scope.actor(),
            action,
            target,
            detail,
        )
        .await;
    }

    /// Whether dataset `id` exists in `scope`'s workspace.
    async fn in_scope(&self, scope: &Scope, id: &DatasetId) -> Result<bool, AppError> {
        Ok(self
            .datasets
            .get(&self.storage, id)
            .await
            .map_err(storage_error)?
            .is_some_and(|entry| &entry.workspace == scope.workspace()))
    }

    /// Dataset `id` of `scope`'s workspace; another workspace's is "not found", so ids
    /// tell nothing about other workspaces.
    async fn dataset_in(
        &self,
        scope: &Scope,
        id: &DatasetId,
    ) -> Result<std::sync::Arc<SourcedDataset>, AppError> {
        self.datasets
            .get(&self.storage, id)
            .await
            .map_err(storage_error)?
            .filter(|entry| &entry.workspace == scope.workspace())
            .ok_or_else(|| AppError::not_found("dataset"))
    }

    /// Refuses a dashboard that binds a dataset outside `scope`'s workspace.
    async fn check_datasets(&self, scope: &Scope, ids: &[DatasetId]) -> Result<(), AppError> {
        for id in ids {
            if !self.in_scope(scope, id).await? {
                return Err(AppError::Invalid {
                    field: "widgets".into(),
                    message: format!("dataset {id} does not exist in this workspace"),
                });
            }
        }
        Ok(())
    }

    /// Refuses a source or pipeline that reads another workspace's upload or dataset.
    async fn check_references(
        &self,
        scope: &Scope,
        source: &DataSource,
        dataset: &Dataset,
    ) -> Result<(), AppError> {
        if let Some(upload) = source.config.upload() {
            let found = self
                .storage
                .upload_workspace(upload)
                .await
                .map_err(storage_error)?;
            if found.as_ref() != Some(scope.workspace()) {
                return Err(AppError::Invalid {
                    field: "source.upload".into(),
                    message: format!("upload {upload} does not exist in this workspace"),
                });
            }
        }
        for joined in dataset.pipeline.joined_datasets() {
            let id = DatasetId::parse(joined.clone()).map_err(|_| AppError::Invalid {
                field: "pipeline".into(),
                message: format!("'{joined}' is not a dataset id"),
            })?;
            if !self.in_scope(scope, &id).await? {
                return Err(AppError::Invalid {
                    field: "pipeline".into(),
                    message: format!("dataset {id} does not exist in this workspace"),
                });
            }
        }
        Ok(())
    }

    /// A new or changed dataset as it is stored: its references checked, its source
    /// read once and its pipeline run without error (the fields a widget can bind are
    /// those of this read), its credentials sealed.
    async fn tested(
        &self,
        scope: &Scope,
        mut source: DataSource,
        dataset: Dataset,
    ) -> Result<(DataSource, Dataset), AppError> {
        self.check_references(scope, &source, &dataset).await?;
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
        Ok((source, dataset))
    }

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
        tokio::task::spawn_blocking(move || {
            let preview = preview_of(&dataset, read, read_ms, &host.env(&joined));
            if let Ok(p) = &preview {
                crate::sources::poller::release_freed_memory_after(p.source_rows);
            }
            preview
        })
        .await
        .map_err(|_| AppError::Internal)?
    }

    /// Stores a new source and dataset and starts polling it if it is polled.
    pub(crate) async fn add_dataset(
        &self,
        scope: &Scope,
        source: DataSource,
        dataset: Dataset,
    ) -> Result<DatasetSummary, AppError> {
        dataset.validate()?;
        source.config.validate()?;
        self.storage
            .insert_source_and_dataset(scope.workspace(), &source, &dataset)
            .await
            .map_err(storage_error)?;
        let summary = DatasetSummary::of(&dataset, &source.config);
        self.audit(
            scope,
            "dataset_created",
            &format!("dataset:{}", dataset.id),
            json!({"name": dataset.name, "source": source.config.kind()}),
        )
        .await;
        self.scheduler.schedule(
            self.poll.clone(),
            SourcedDataset {
                workspace: scope.workspace().clone(),
                dataset,
                source,
            },
        );
        Ok(summary)
    }
}

/// What "Test" shows for one read: the source's first rows, and the pipeline's result
/// as a refresh makes it (in columns, within the dataset's byte budget).
fn preview_of(
    dataset: &Dataset,
    read: Extracted,
    read_ms: u64,
    env: &app::pipeline::Env,
) -> Result<Preview, AppError> {
    use app::pipeline::Batch;
    let batch = dataset
        .source_batch(read)
        .map_err(|message| AppError::Invalid {
            field: "path".into(),
            message,
        })?;
    // Only the first rows are ever copied out of the columns.
    let first = |batch: &Batch, n: usize| {
        let picked: Vec<usize> = (0..n.min(batch.len())).collect();
        batch.take(&picked).into_rows()
    };
    let mut preview = Preview {
        sample: first(&batch, Preview::SAMPLE_ROWS),
        source_rows: batch.len(),
        read_ms,
        ..Preview::default()
    };
    let shaped = match dataset.run_held(batch, env) {
        Ok((shaped, reports)) => {
            preview.reports = reports;
            shaped
        }
        Err(err) => {
            preview.pipeline_error = Some(err);
            return Ok(preview);
        }
    };
    preview.total_rows = shaped.len();
    // (Fields are inferred from the first 1,000 rows.)
    let mut rows = first(&shaped, Preview::SHOWN_ROWS.max(1000));
    preview.fields = infer_fields(&rows);
    rows.truncate(Preview::SHOWN_ROWS);
    preview.rows = rows;
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
