//! Server functions for dashboards: list, create, load for the editor and the screens,
//! save the draft with a revision check, publish it, list and load published versions,
//! delete.

#[cfg(feature = "ssr")]
use super::PublishedDashboard;
use super::{DashboardSummary, EditorData, ScreenData, VersionSummary};
use crate::error::AppError;
use crate::model::{Dashboard, DashboardId, Document};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "list_dashboards", input = Json)]
pub async fn list_dashboards() -> Result<Vec<DashboardSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            backend.list_dashboards(&scope).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "create_dashboard", input = Json)]
pub async fn create_dashboard(name: String) -> Result<DashboardId, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let dashboard = Dashboard::new(&name)?;
            backend.create_dashboard(&scope, dashboard).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "load_editor", input = Json)]
pub async fn load_editor(id: DashboardId) -> Result<EditorData, AppError> {
    use super::ssr::*;
    respond(
        async {
            // The editor is for those who may change the dashboard; viewers get 403.
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let stored = backend.load_dashboard(&scope, &id).await?;
            let published = match backend.shown_dashboard(&scope, &id).await? {
                (dashboard, Some(version)) => Some(PublishedDashboard { version, dashboard }),
                (_, None) => None,
            };
            let datasets = backend.list_datasets(&scope).await?;
            let ids: Vec<_> = datasets.iter().map(|d| d.id.clone()).collect();
            let frames = backend.frames(&scope, &ids).await;
            Ok(EditorData {
                stored,
                published,
                datasets,
                frames,
                embed_origins: backend.embed_origins(),
                rendered_at_ms: crate::widgets::now_ms(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "load_screen", input = Json)]
pub async fn load_screen(id: DashboardId) -> Result<ScreenData, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            let (dashboard, _) = backend.shown_dashboard(&scope, &id).await?;
            screen(backend.as_ref(), &scope, dashboard, Some(&id)).await
        }
        .await,
    )
}

/// A published version of a dashboard with today's data, for its preview page
/// (editors only: viewers see what is published).
#[server(prefix = "/api/fn", endpoint = "load_version_screen", input = Json)]
pub async fn load_version_screen(id: DashboardId, version: i64) -> Result<ScreenData, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let dashboard = backend.load_version(&scope, &id, version).await?;
            screen(backend.as_ref(), &scope, dashboard, None).await
        }
        .await,
    )
}

/// What a screen of `dashboard` loads; with `layout_of`, its stream tells the page
/// when that dashboard's screens must change layout.
#[cfg(feature = "ssr")]
async fn screen(
    backend: &dyn super::ssr::Backend,
    scope: &crate::auth::Scope,
    dashboard: Dashboard,
    layout_of: Option<&DashboardId>,
) -> Result<ScreenData, AppError> {
    let datasets = dashboard.datasets();
    let frames = backend.frames(scope, &datasets).await;
    let stream_url = match layout_of {
        Some(id) => super::screen_stream_url(id, &datasets),
        None => super::dataset_stream_url(&datasets),
    };
    Ok(ScreenData {
        frames,
        stream_url,
        freshness: super::ssr::freshness(backend, scope, &datasets).await?,
        embed_origins: backend.embed_origins(),
        rendered_at_ms: crate::widgets::now_ms(),
        dashboard,
    })
}

/// Makes the draft, as saved at `revision`, the version every screen shows; open
/// screens switch to it through their live streams. Refused with `Conflict` if the
/// draft was saved since `revision`.
#[server(prefix = "/api/fn", endpoint = "publish_dashboard", input = Json)]
pub async fn publish_dashboard(id: DashboardId, revision: i64) -> Result<VersionSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.publish_dashboard(&scope, &id, revision).await
        }
        .await,
    )
}

/// The published versions of a dashboard, newest first.
#[server(prefix = "/api/fn", endpoint = "list_versions", input = Json)]
pub async fn list_versions(id: DashboardId) -> Result<Vec<VersionSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.list_versions(&scope, &id).await
        }
        .await,
    )
}

/// The document of one published version (to restore it as the draft).
#[server(prefix = "/api/fn", endpoint = "load_version", input = Json)]
pub async fn load_version(id: DashboardId, version: i64) -> Result<Dashboard, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.load_version(&scope, &id, version).await
        }
        .await,
    )
}

/// Saves `dashboard` over revision `revision`; a stale revision is refused with
/// `Conflict` and nothing is overwritten.
#[server(prefix = "/api/fn", endpoint = "save_dashboard", input = Json)]
pub async fn save_dashboard(
    id: DashboardId,
    dashboard: Document<Dashboard>,
    revision: i64,
) -> Result<i64, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let dashboard = dashboard.into_inner()?;
            backend
                .save_dashboard(&scope, &id, dashboard, revision)
                .await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "delete_dashboard", input = Json)]
pub async fn delete_dashboard(id: DashboardId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.delete_dashboard(&scope, &id).await
        }
        .await,
    )
}
