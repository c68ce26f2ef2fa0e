//! Screens on the wall and playlists. Editors pair a TV by the code it shows, choose
//! what it shows and how it fits, reload or unpair it; the TV itself reaches only
//! `load_tv`, with its device token (a cookie the server set when it first opened
//! `/tv`), and its stream.

use crate::error::AppError;
use crate::model::{Dashboard, Fit, Frame, Playlist, PlaylistId, ScreenId, Shows, Transition};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// One paired screen, as the Screens page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenSummary {
    pub id: ScreenId,
    pub name: String,
    pub shows: Shows,
    pub fit: Fit,
    pub paired_at_ms: i64,
    /// Heard from within the last 90 s (its page is open and connected).
    pub online: bool,
    pub last_seen_ms: Option<i64>,
    /// `1920×1080`, as the screen reported it.
    pub resolution: Option<String>,
    /// The version of Wallboard its page runs.
    pub app_version: Option<String>,
}

/// What an editor sets of a screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenSettings {
    pub name: String,
    #[serde(default)]
    pub shows: Shows,
    #[serde(default)]
    pub fit: Fit,
}

/// A stored playlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaylistSummary {
    pub id: PlaylistId,
    pub playlist: Playlist,
    pub revision: i64,
}

/// What a TV's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TvState {
    /// Not paired: the code to type into Screens → Add screen, until it expires.
    Pairing {
        code: String,
        expires_at_ms: i64,
    },
    Showing(TvShow),
}

/// A paired TV's content: one slide for a dashboard, several for a playlist, none
/// when nothing is assigned (or what was assigned is gone); every slide's frames and
/// one stream for all of them, cut down to what the widgets show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TvShow {
    pub screen: String,
    pub fit: Fit,
    pub slides: Vec<TvSlide>,
    pub frames: Vec<Frame>,
    pub stream_url: String,
    pub freshness: Vec<(crate::model::DatasetId, crate::model::Freshness)>,
    pub embed_origins: Vec<String>,
    pub rendered_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TvSlide {
    pub dashboard: Dashboard,
    pub seconds: u32,
    pub transition: Transition,
}

/// What a share link opens: a dashboard, or a playlist (shown like a TV's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SharePage {
    Dashboard(super::ScreenData),
    Playlist(TvShow),
}

/// The device cookie a TV keeps (HttpOnly; the server stores only its SHA-256).
pub const DEVICE_COOKIE: &str = "wb_device";

/// Makes the TV showing `code` a screen of this workspace, showing what `settings`
/// say; it switches within a second or two.
#[server(prefix = "/api/fn", endpoint = "pair_screen", input = Json)]
pub async fn pair_screen(
    code: String,
    settings: ScreenSettings,
) -> Result<ScreenSummary, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.pair_screen(&scope, code, settings).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_screens", input = Json)]
pub async fn list_screens() -> Result<Vec<ScreenSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            backend.list_screens(&scope).await
        }
        .await,
    )
}

/// Renames screen `id` and sets what it shows and how; it switches live.
#[server(prefix = "/api/fn", endpoint = "update_screen", input = Json)]
pub async fn update_screen(id: ScreenId, settings: ScreenSettings) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.update_screen(&scope, &id, settings).await
        }
        .await,
    )
}

/// Makes screen `id` reload its page.
#[server(prefix = "/api/fn", endpoint = "reload_screen", input = Json)]
pub async fn reload_screen(id: ScreenId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.reload_screen(&scope, &id).await
        }
        .await,
    )
}

/// Unpairs screen `id`: its device token stops working and it shows a new pairing code.
#[server(prefix = "/api/fn", endpoint = "unpair_screen", input = Json)]
pub async fn unpair_screen(id: ScreenId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.unpair_screen(&scope, &id).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_playlists", input = Json)]
pub async fn list_playlists() -> Result<Vec<PlaylistSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::View)?;
            backend.list_playlists(&scope).await
        }
        .await,
    )
}

/// Stores `playlist` as a new one (`id` `None`) or in place of `id`; screens showing
/// it switch live. Returns its id.
#[server(prefix = "/api/fn", endpoint = "save_playlist", input = Json)]
pub async fn save_playlist(
    #[server(default)] id: Option<PlaylistId>,
    playlist: Playlist,
) -> Result<PlaylistId, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.save_playlist(&scope, id, playlist).await
        }
        .await,
    )
}

/// Deletes playlist `id`; screens showing it show nothing until given something else.
#[server(prefix = "/api/fn", endpoint = "delete_playlist", input = Json)]
pub async fn delete_playlist(id: PlaylistId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            backend.delete_playlist(&scope, &id).await
        }
        .await,
    )
}

/// What this TV shows: its pairing code (a new device token is set as a cookie when it
/// has none), or what it was assigned. The one screen function a device reaches.
#[server(prefix = "/api/fn", endpoint = "load_tv", input = Json)]
pub async fn load_tv() -> Result<TvState, AppError> {
    use super::ssr::*;
    respond(
        async {
            let headers = leptos::prelude::use_context::<http::request::Parts>()
                .map(|p| p.headers)
                .unwrap_or_default();
            let (state, cookie) = backend()?.tv_state(&headers).await?;
            if let (Some(cookie), Some(response)) = (
                cookie,
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            ) {
                if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                    response.append_header(http::header::SET_COOKIE, value);
                }
            }
            Ok(state)
        }
        .await,
    )
}

/// What share link `token` opens (a dashboard or a playlist); `NotFound` for unknown,
/// revoked or expired links alike. The share pages' one server function.
#[server(prefix = "/api/fn", endpoint = "load_share_page", input = Json)]
pub async fn load_share_page(token: crate::model::ShareToken) -> Result<SharePage, AppError> {
    use super::ssr::*;
    respond(
        async {
            // A password-protected link's pass is a cookie the share page set.
            let headers = leptos::prelude::use_context::<http::request::Parts>()
                .map(|p| p.headers)
                .unwrap_or_default();
            backend()?.share_page(&token, &headers).await
        }
        .await,
    )
}

/// Makes a share link of playlist `id`; its token is in the answer and nowhere else.
#[server(prefix = "/api/fn", endpoint = "create_playlist_share", input = Json)]
pub async fn create_playlist_share(id: PlaylistId) -> Result<super::NewShareLink, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.create_playlist_share(&scope, &id).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_playlist_shares", input = Json)]
pub async fn list_playlist_shares(id: PlaylistId) -> Result<Vec<super::ShareLink>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.list_playlist_shares(&scope, &id).await
        }
        .await,
    )
}

/// Revokes link `link` of playlist `id`; its open pages stop at once.
#[server(prefix = "/api/fn", endpoint = "revoke_playlist_share", input = Json)]
pub async fn revoke_playlist_share(
    id: PlaylistId,
    link: crate::model::ShareLinkId,
) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditData)?;
            backend.revoke_playlist_share(&scope, &id, &link).await
        }
        .await,
    )
}
