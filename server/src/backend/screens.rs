//! Screens and playlists behind the server functions of `app::api::screens`. A TV is
//! known by its device token (a cookie; stored as its SHA-256): unknown, it gets a new
//! token and a pairing code; paired, it gets what its screen shows, cut down to what
//! the widgets bind, like a share page. Every change an open screen must follow is
//! announced on the bus: `screen:<id>` (what it shows, or unpaired), `reload:<id>`,
//! `playlist:<id>`.

use super::storage_error;
use crate::startup::Core;
use app::api::{ScreenSettings, ScreenSummary, TvShow, TvSlide, TvState, DEVICE_COOKIE};
use app::auth::Scope;
use app::error::AppError;
use app::model::{
    check_name, normalize_pairing_code, Frame, Freshness, Playlist, PlaylistId, ScreenId,
    SharedView, Shows, Transition, WorkspaceId, PAIRING_ALPHABET, PAIRING_CODE_LEN, PAIRING_MS,
};
use axum::http::HeaderMap;
use rand::Rng as _;
use serde_json::json;

/// What a device token starts with.
pub const DEVICE_TOKEN_PREFIX: &str = "wbd_";
/// Most devices that may wait for pairing at once (each holds one row for 10 minutes):
/// past it, `/tv` asks to come back later instead of growing the table.
pub const MAX_PENDING_PAIRINGS: i64 = 10_000;
/// Pairing attempts per workspace in one window (a code has 31^6 values; this keeps
/// guessing someone else's TV out of reach).
pub const PAIR_ATTEMPTS: u32 = 30;
pub const PAIR_WINDOW_SECS: i64 = 300;
/// How long a device cookie lasts: ten years (a TV is not signed out by time).
const DEVICE_COOKIE_SECS: i64 = 10 * 365 * 24 * 3600;

/// The bus announcement that screen `id` shows something else or was unpaired.
pub fn screen_key(id: &ScreenId) -> String {
    format!("screen:{id}")
}

/// The bus announcement that screen `id` must reload its page.
pub fn reload_key(id: &ScreenId) -> String {
    format!("reload:{id}")
}

/// The bus announcement that playlist `id` changed or was deleted.
pub fn playlist_key(id: &PlaylistId) -> String {
    format!("playlist:{id}")
}

/// The device token in `headers`, if it carries one of the right shape.
pub fn device_token(headers: &HeaderMap) -> Option<&str> {
    crate::auth::cookie(headers, DEVICE_COOKIE).filter(|t| t.starts_with(DEVICE_TOKEN_PREFIX))
}

/// The screen the device token in `headers` pairs, if any.
pub async fn paired_screen(
    core: &Core,
    headers: &HeaderMap,
) -> Result<Option<crate::storage::ScreenRow>, AppError> {
    let Some(token) = device_token(headers) else {
        return Ok(None);
    };
    core.storage
        .screen_by_token(&crate::auth::hash_secret(token))
        .await
        .map_err(storage_error)
}

fn device_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={DEVICE_COOKIE_SECS}{secure}")
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..PAIRING_CODE_LEN)
        .map(|_| PAIRING_ALPHABET[rng.random_range(0..PAIRING_ALPHABET.len())] as char)
        .collect()
}

pub async fn tv_state(
    core: &Core,
    headers: &HeaderMap,
) -> Result<(TvState, Option<String>), AppError> {
    if let Some(token) = device_token(headers) {
        let hash = crate::auth::hash_secret(token);
        if let Some(screen) = core
            .storage
            .screen_by_token(&hash)
            .await
            .map_err(storage_error)?
        {
            return Ok((TvState::Showing(show(core, &screen).await?), None));
        }
        if let Some((code, expires_at_ms)) = core
            .storage
            .pairing_code(&hash)
            .await
            .map_err(storage_error)?
        {
            return Ok((
                TvState::Pairing {
                    code,
                    expires_at_ms,
                },
                None,
            ));
        }
    }
    // A device nobody knows (new, unpaired, or its code expired): a new token, so an
    // unpaired or stolen one never comes back to life, and a new code.
    if core
        .storage
        .pending_pairings()
        .await
        .map_err(storage_error)?
        >= MAX_PENDING_PAIRINGS
    {
        return Err(AppError::Unavailable {
            message: "too many screens are waiting to be paired; this one tries again in a few \
                      minutes"
                .into(),
        });
    }
    let token = crate::auth::new_secret(DEVICE_TOKEN_PREFIX);
    let hash = crate::auth::hash_secret(&token);
    let expires_at_ms = crate::now_ms() + PAIRING_MS;
    for _ in 0..8 {
        let code = new_code();
        if core
            .storage
            .start_pairing(&hash, &code, expires_at_ms)
            .await
            .map_err(storage_error)?
        {
            let cookie = device_cookie(&token, core.site.is_https());
            return Ok((
                TvState::Pairing {
                    code,
                    expires_at_ms,
                },
                Some(cookie),
            ));
        }
    }
    Err(AppError::Unavailable {
        message: "no free pairing code was found; reload the page".into(),
    })
}

/// What `screen` shows now: its slides (the published version of each dashboard) and
/// their frames, cut down to what the widgets bind.
pub async fn show(core: &Core, screen: &crate::storage::ScreenRow) -> Result<TvShow, AppError> {
    show_of(
        core,
        &screen.workspace,
        &screen.shows,
        screen.name.clone(),
        screen.fit,
        "/api/v1/live/screen".to_string(),
    )
    .await
}

/// The slides of `shows` in `ws` and their frames, as a page named `name` shows them.
async fn show_of(
    core: &Core,
    ws: &WorkspaceId,
    shows: &Shows,
    name: String,
    fit: app::model::Fit,
    stream_url: String,
) -> Result<TvShow, AppError> {
    let slides: Vec<TvSlide> = slides(core, ws, shows)
        .await?
        .into_iter()
        .map(|(_, slide)| slide)
        .collect();
    let view = SharedView::of_all(slides.iter().map(|s| &s.dashboard));
    let (frames, freshness) = view_frames(core, ws, &view).await?;
    Ok(TvShow {
        screen: name,
        fit,
        slides,
        frames,
        stream_url,
        freshness,
        embed_origins: core.config.embed_origins.clone(),
        rendered_at_ms: crate::now_ms(),
    })
}

/// What playlist share link `token` opens; `NotFound` for unknown or revoked links.
pub async fn shared_playlist(
    core: &Core,
    token: &app::model::ShareToken,
) -> Result<app::api::SharePage, AppError> {
    let hash = crate::auth::shares::token_hash(token);
    let shared = core
        .storage
        .shared_playlist(&hash)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    if let Err(err) = core.storage.count_playlist_share_view(&shared.link).await {
        tracing::warn!(error = %err, "could not count a share view");
    }
    let name = core
        .storage
        .get_playlist(&shared.workspace, &shared.playlist)
        .await
        .map_err(storage_error)?
        .map(|(p, _)| p.name)
        .unwrap_or_default();
    let show = show_of(
        core,
        &shared.workspace,
        &Shows::Playlist(shared.playlist),
        name,
        app::model::Fit::Letterbox,
        format!("/api/v1/live/share/{token}"),
    )
    .await?;
    Ok(app::api::SharePage::Playlist(show))
}

pub async fn create_playlist_share(
    core: &Core,
    scope: &Scope,
    id: &PlaylistId,
) -> Result<app::api::NewShareLink, AppError> {
    let token = super::new_share_token();
    let link = core
        .storage
        .insert_playlist_share(
            scope.workspace(),
            id,
            &crate::auth::shares::token_hash(&token),
        )
        .await
        .map_err(storage_error)?
        .ok_or_else(|| AppError::not_found("playlist"))?;
    core.audit(
        scope,
        "share_link_created",
        &format!("share_link:{}", link.id),
        json!({"playlist": id}),
    )
    .await;
    Ok(app::api::NewShareLink { link, token })
}

pub async fn revoke_playlist_share(
    core: &Core,
    scope: &Scope,
    id: &PlaylistId,
    link: &app::model::ShareLinkId,
) -> Result<(), AppError> {
    if !core
        .storage
        .revoke_playlist_share(scope.workspace(), id, link)
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::not_found("share link"));
    }
    core.bus.revoke(&format!("share:{link}")).await;
    core.audit(
        scope,
        "share_link_revoked",
        &format!("share_link:{link}"),
        json!({"playlist": id}),
    )
    .await;
    Ok(())
}

/// The slides of `shows` in `ws`: none for nothing, one for a dashboard, a playlist's
/// in order (a dashboard deleted since is skipped); each with its dashboard's id.
pub async fn slides(
    core: &Core,
    ws: &WorkspaceId,
    shows: &Shows,
) -> Result<Vec<(app::model::DashboardId, TvSlide)>, AppError> {
    let wanted: Vec<(app::model::DashboardId, u32, Transition)> = match shows {
        Shows::Nothing => Vec::new(),
        Shows::Dashboard(id) => vec![(id.clone(), 0, Transition::Cut)],
        Shows::Playlist(id) => match core
            .storage
            .get_playlist(ws, id)
            .await
            .map_err(storage_error)?
        {
            Some((playlist, _)) => playlist
                .slides
                .into_iter()
                .map(|s| (s.dashboard, s.seconds, s.transition))
                .collect(),
            None => Vec::new(),
        },
    };
    let mut out = Vec::with_capacity(wanted.len());
    for (id, seconds, transition) in wanted {
        if let Some(shown) = core
            .storage
            .get_shown(ws, &id)
            .await
            .map_err(storage_error)?
        {
            let slide = TvSlide {
                dashboard: shown.dashboard,
                seconds,
                transition,
            };
            out.push((id, slide));
        }
    }
    Ok(out)
}

/// The current frames of what `view` binds in `ws`, cut down to it, and what to
/// expect of each one's updates (for stale badges).
pub async fn view_frames(
    core: &Core,
    ws: &WorkspaceId,
    view: &SharedView,
) -> Result<(Vec<Frame>, Vec<(app::model::DatasetId, Freshness)>), AppError> {
    let shown = view.datasets();
    // Only the workspace's own datasets, whatever the documents name.
    let datasets: Vec<_> = core
        .storage
        .list_datasets_in(ws)
        .await
        .map_err(storage_error)?
        .into_iter()
        .filter(|d| shown.contains(&d.dataset.id))
        .collect();
    let mut frames = Vec::new();
    for d in &datasets {
        let frame = match core.bus.latest(&d.dataset.id).await {
            // Only the bound fields are copied out of what is held.
            Some(p) => match view.projection(&d.dataset.id) {
                Some(projection) => p.page_projected_frame(projection),
                None => continue,
            },
            None => match view.frame(&Frame::empty(d.dataset.id.clone())) {
                Some(frame) => frame,
                None => continue,
            },
        };
        frames.push(frame);
    }
    let freshness = datasets
        .iter()
        .map(|d| {
            let polled = d.source.config.is_polled();
            let f = Freshness::new(polled, d.dataset.refresh, d.dataset.stale_after_secs);
            (d.dataset.id.clone(), f)
        })
        .collect();
    Ok((frames, freshness))
}

/// Checks `settings` in `ws`: a name, and a dashboard or playlist that exists there.
async fn checked(
    core: &Core,
    ws: &WorkspaceId,
    settings: ScreenSettings,
) -> Result<ScreenSettings, AppError> {
    let name = check_name(&settings.name, "name")?;
    match &settings.shows {
        Shows::Nothing => {}
        Shows::Dashboard(id) => {
            if !core
                .storage
                .dashboard_exists(ws, id)
                .await
                .map_err(storage_error)?
            {
                return Err(AppError::Invalid {
                    field: "shows".into(),
                    message: format!("there is no dashboard {id} in this workspace"),
                });
            }
        }
        Shows::Playlist(id) => {
            if core
                .storage
                .get_playlist(ws, id)
                .await
                .map_err(storage_error)?
                .is_none()
            {
                return Err(AppError::Invalid {
                    field: "shows".into(),
                    message: format!("there is no playlist {id} in this workspace"),
                });
            }
        }
    }
    Ok(ScreenSettings { name, ..settings })
}

pub async fn pair(
    core: &Core,
    scope: &Scope,
    code: String,
    settings: ScreenSettings,
) -> Result<ScreenSummary, AppError> {
    let code = normalize_pairing_code(&code)?;
    let settings = checked(core, scope.workspace(), settings).await?;
    let key = format!("pair:{}", scope.workspace());
    if let Err(wait_ms) = core.rate.hit(&key, PAIR_ATTEMPTS, PAIR_WINDOW_SECS).await {
        return Err(AppError::Invalid {
            field: "code".into(),
            message: format!(
                "too many pairing attempts; try again in {} s",
                wait_ms.div_ceil(1000)
            ),
        });
    }
    let screen = crate::storage::ScreenRow {
        id: ScreenId::parse(crate::new_id()).expect("a uuid is a valid id"),
        workspace: scope.workspace().clone(),
        name: settings.name,
        shows: settings.shows,
        fit: settings.fit,
        revision: 1,
    };
    if !core
        .storage
        .claim_pairing(&code, scope.workspace(), &screen)
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::Invalid {
            field: "code".into(),
            message: format!(
                "no screen shows the code {}: check it on the screen (a code lasts 10 minutes), \
                 or open /tv there for a new one",
                app::model::spaced_pairing_code(&code)
            ),
        });
    }
    core.audit(
        scope,
        "screen_paired",
        &format!("screen:{}", screen.id),
        json!({"name": screen.name}),
    )
    .await;
    let listed = core
        .storage
        .list_screens(scope.workspace())
        .await
        .map_err(storage_error)?;
    listed
        .into_iter()
        .find(|s| s.id == screen.id)
        .ok_or(AppError::Internal)
}

pub async fn update(
    core: &Core,
    scope: &Scope,
    id: &ScreenId,
    settings: ScreenSettings,
) -> Result<(), AppError> {
    let settings = checked(core, scope.workspace(), settings).await?;
    if !core
        .storage
        .update_screen(
            scope.workspace(),
            id,
            &settings.name,
            &settings.shows,
            settings.fit,
        )
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::not_found("screen"));
    }
    core.bus.revoke(&screen_key(id)).await;
    core.audit(
        scope,
        "screen_changed",
        &format!("screen:{id}"),
        json!({"name": settings.name, "shows": settings.shows, "fit": settings.fit}),
    )
    .await;
    Ok(())
}

async fn exists(core: &Core, ws: &WorkspaceId, id: &ScreenId) -> Result<(), AppError> {
    let all = core.storage.list_screens(ws).await.map_err(storage_error)?;
    if all.iter().any(|s| &s.id == id) {
        Ok(())
    } else {
        Err(AppError::not_found("screen"))
    }
}

pub async fn reload(core: &Core, scope: &Scope, id: &ScreenId) -> Result<(), AppError> {
    exists(core, scope.workspace(), id).await?;
    core.bus.revoke(&reload_key(id)).await;
    Ok(())
}

pub async fn unpair(core: &Core, scope: &Scope, id: &ScreenId) -> Result<(), AppError> {
    if !core
        .storage
        .delete_screen(scope.workspace(), id)
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::not_found("screen"));
    }
    core.bus.revoke(&screen_key(id)).await;
    core.audit(scope, "screen_unpaired", &format!("screen:{id}"), json!({}))
        .await;
    Ok(())
}

pub async fn save_playlist(
    core: &Core,
    scope: &Scope,
    id: Option<PlaylistId>,
    playlist: Playlist,
) -> Result<PlaylistId, AppError> {
    let playlist = Playlist {
        name: check_name(&playlist.name, "name")?,
        ..playlist
    };
    playlist.validate()?;
    for (i, slide) in playlist.slides.iter().enumerate() {
        if !core
            .storage
            .dashboard_exists(scope.workspace(), &slide.dashboard)
            .await
            .map_err(storage_error)?
        {
            return Err(AppError::Invalid {
                field: format!("slides[{i}].dashboard"),
                message: format!(
                    "there is no dashboard {} in this workspace",
                    slide.dashboard
                ),
            });
        }
    }
    let id = match id {
        None => {
            let id = PlaylistId::parse(crate::new_id()).expect("a uuid is a valid id");
            core.storage
                .insert_playlist(scope.workspace(), &id, &playlist)
                .await
                .map_err(storage_error)?;
            id
        }
        Some(id) => {
            if !core
                .storage
                .update_playlist(scope.workspace(), &id, &playlist)
                .await
                .map_err(storage_error)?
            {
                return Err(AppError::not_found("playlist"));
            }
            core.bus.revoke(&playlist_key(&id)).await;
            id
        }
    };
    core.audit(
        scope,
        "playlist_saved",
        &format!("playlist:{id}"),
        json!({"name": playlist.name, "slides": playlist.slides.len()}),
    )
    .await;
    Ok(id)
}

pub async fn delete_playlist(core: &Core, scope: &Scope, id: &PlaylistId) -> Result<(), AppError> {
    if !core
        .storage
        .delete_playlist(scope.workspace(), id)
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::not_found("playlist"));
    }
    core.bus.revoke(&playlist_key(id)).await;
    core.audit(
        scope,
        "playlist_deleted",
        &format!("playlist:{id}"),
        json!({}),
    )
    .await;
    Ok(())
}
