//! Server functions for share links. `load_shared` is the only one a share token
//! reaches, and it only reads: it returns the document and the frames cut down to what
//! the widgets show (`SharedView`, as the share stream does), never the dashboard's id,
//! any source configuration, an unbound field or a source's error message.

use super::{NewShareLink, ScreenData, ShareLink, ShareOptions};
use crate::error::AppError;
use crate::model::{DashboardId, ShareLinkId, ShareToken};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Makes a share link of dashboard `id`, with an optional expiry and password; its
/// token is in the answer and nowhere else, ever.
#[server(prefix = "/api/fn", endpoint = "create_share_link", input = Json)]
pub async fn create_share_link(
    id: DashboardId,
    #[server(default)] options: ShareOptions,
) -> Result<NewShareLink, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            options.validate()?;
            backend.create_share_link(&scope, &id, options).await
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

/// Revokes link `link` of dashboard `id`; its open streams end on every instance.
#[server(prefix = "/api/fn", endpoint = "revoke_share_link", input = Json)]
pub async fn revoke_share_link(id: DashboardId, link: ShareLinkId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.revoke_share_link(&scope, &id, &link).await
        }
        .await,
    )
}

/// The one server function a share token alone reaches; it only reads.
#[server(prefix = "/api/fn", endpoint = "load_shared", input = Json)]
pub async fn load_shared(token: ShareToken) -> Result<ScreenData, AppError> {
    use super::ssr::*;
    respond(
        async {
            // A password-protected link's pass is a cookie the share page set.
            let headers = leptos::prelude::use_context::<http::request::Parts>()
                .map(|p| p.headers)
                .unwrap_or_default();
            backend()?.shared_screen(&token, &headers).await
        }
        .await,
    )
}
