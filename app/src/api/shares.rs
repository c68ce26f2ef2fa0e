//! Server functions for share links. `load_shared` is the only one a share token
//! reaches, and it only reads: it returns the document and the frames cut down to what
//! the widgets show (`SharedView`, as the share stream does), never the dashboard's id,
//! any source configuration, an unbound field or a source's error message.

use super::{ScreenData, ShareLink};
use crate::error::AppError;
use crate::model::{DashboardId, ShareToken};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "create_share_link", input = Json)]
pub async fn create_share_link(id: DashboardId) -> Result<ShareLink, AppError> {
    use super::ssr::*;
    respond(backend()?.create_share_link(&id).await)
}

#[server(prefix = "/api/fn", endpoint = "list_share_links", input = Json)]
pub async fn list_share_links(id: DashboardId) -> Result<Vec<ShareLink>, AppError> {
    use super::ssr::*;
    respond(backend()?.list_share_links(&id).await)
}

/// Revokes a link of dashboard `id`. Needs the dashboard's id, which a share page
/// never learns, so a token alone cannot revoke anything.
#[server(prefix = "/api/fn", endpoint = "revoke_share_link", input = Json)]
pub async fn revoke_share_link(id: DashboardId, token: ShareToken) -> Result<(), AppError> {
    use super::ssr::*;
    respond(backend()?.revoke_share_link(&id, &token).await)
}

#[server(prefix = "/api/fn", endpoint = "load_shared", input = Json)]
pub async fn load_shared(token: ShareToken) -> Result<ScreenData, AppError> {
    use super::ssr::*;
    use crate::model::SharedView;
    respond(
        async {
            let backend = backend()?;
            let dashboard = backend.resolve_share(&token).await?.dashboard;
            let view = SharedView::of(&dashboard);
            let frames = backend
                .frames(&view.datasets())
                .await
                .iter()
                .filter_map(|frame| view.frame(frame))
                .collect();
            let stream_url = format!("/api/v1/live/share/{token}");
            Ok(ScreenData {
                intervals: intervals(backend.as_ref(), &view.datasets()).await?,
                embed_origins: backend.embed_origins(),
                rendered_at_ms: crate::widgets::now_ms(),
                dashboard,
                frames,
                stream_url,
            })
        }
        .await,
    )
}
