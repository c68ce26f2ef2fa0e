//! Server functions for dashboards: list, create, load for the editor and the viewer,
//! save with a revision check, delete.

use super::{DashboardSummary, EditorData, ScreenData};
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
            let datasets = backend.list_datasets(&scope).await?;
            let ids: Vec<_> = datasets.iter().map(|d| d.id.clone()).collect();
            let frames = backend.frames(&scope, &ids).await;
            Ok(EditorData {
                stored,
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
            let dashboard = backend.load_dashboard(&scope, &id).await?.dashboard;
            let datasets = dashboard.datasets();
            let frames = backend.frames(&scope, &datasets).await;
            let stream_url = super::dataset_stream_url(&datasets);
            Ok(ScreenData {
                dashboard,
                frames,
                stream_url,
                intervals: intervals(backend.as_ref(), &scope, &datasets).await?,
                embed_origins: backend.embed_origins(),
                rendered_at_ms: crate::widgets::now_ms(),
            })
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
