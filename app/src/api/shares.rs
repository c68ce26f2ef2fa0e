//! Server functions for share links. `load_shared` is the only one a share token
//! reaches, and it only reads: it returns the document and the frames cut down to what
//! the widgets show (`SharedView`, as the share stream does), never the dashboard's id,
//! any source configuration, an unbound field or a source's error message.

use super::{ScreenData, ShareLink};
use crate::auth::Action;
use crate::error::AppError;
use crate::model::{DashboardId, ShareToken};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api/fn", endpoint = "create_share_link", input = Json)]
pub async fn create_share_link(id: DashboardId) -> Result<ShareLink, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.create_share_link(&scope, &id).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_share_links", input = Json)]
pub async fn list_share_links(id: DashboardId) -> Result<Vec<ShareLink>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.list_share_links(&scope, &id).await
        }
        .await,
    )
}

/// Revokes a link of dashboard `id`. Needs the dashboard's id, which a share page
/// never learns, so a token alone cannot revoke anything.
#[server(prefix = "/api/fn", endpoint = "revoke_share_link", input = Json)]
pub async fn revoke_share_link(id: DashboardId, token: ShareToken) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.revoke_share_link(&scope, &id, &token).await
        }
        .await,
    )
}

/// The one server function a share token alone reaches; it only reads.
#[server(prefix = "/api/fn", endpoint = "load_shared", input = Json)]
pub async fn load_shared(token: ShareToken) -> Result<ScreenData, AppError> {
    use super::ssr::*;
    respond(async { backend()?.shared_screen(&token).await }.await)
}
