//! The read-only screens: `/view/{id}`, `/kiosk/{id}`, and the share pages
//! `/s/{token}` and `/s/{token}/kiosk`, which show a dashboard's published version
//! (its draft until it is first published) or a playlist (as a TV shows it); and `/view/{id}/v/{n}`, an editor's
//! preview of published version `n`. All render the current values on the server (the
//! route waits for its data), then follow the live stream; when the dashboard is
//! published, the stream says so and the page switches to the new layout in place,
//! keeping the old one on screen until the new one is loaded.

use super::param;
use crate::api::{load_screen, load_share_page, load_version_screen, ScreenData, SharePage};
use crate::components::{ConnectionBadge, DashboardCanvas, ErrorPanel};
use crate::error::AppError;
use crate::hooks::use_live_frames;
use crate::model::{DashboardId, ShareToken};
use crate::widgets::Screen;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    View,
    Kiosk,
    /// A published version, for the editor's history.
    Preview(i64),
}

#[component]
pub fn ViewPage() -> impl IntoView {
    by_id(Mode::View)
}

#[component]
pub fn KioskPage() -> impl IntoView {
    by_id(Mode::Kiosk)
}

#[component]
pub fn SharePage() -> impl IntoView {
    by_token(Mode::View)
}

#[component]
pub fn ShareKioskPage() -> impl IntoView {
    by_token(Mode::Kiosk)
}

#[component]
pub fn VersionPage() -> impl IntoView {
    let id = param("id", "dashboard", DashboardId::parse);
    let version = param("version", "version", |raw| {
        raw.parse::<i64>()
            .map_err(|_| crate::model::Invalid::new("version", "not a version number"))
    });
    let data = Resource::new(
        move || (id(), version()),
        |(id, version)| async move { load_version_screen(id?, version?).await },
    );
    let shown = move || version().unwrap_or(0);
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Screen data mode=Mode::Preview(shown()) /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn by_id(mode: Mode) -> AnyView {
    let id = param("id", "dashboard", DashboardId::parse);
    let data = Resource::new(id, |id| async move { load_screen(id?).await });
    loaded(data, mode)
}

/// A share page: a dashboard, or a playlist shown like a TV's (all slides live, in
/// turn).
fn by_token(mode: Mode) -> AnyView {
    let token = param("token", "share link", ShareToken::parse);
    let data = Resource::new(token, |token| async move { load_share_page(token?).await });
    let reload = Callback::new(move |()| data.refetch());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(SharePage::Dashboard(shown)) => {
                        view! { <Screen data=shown mode reload /> }.into_any()
                    }
                    Ok(SharePage::Playlist(show)) => {
                        view! { <super::tv::Showing show refetch=reload /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The screen of `data`; when its stream says the layout changed, `data` is loaded
/// again, and the screen shown stays until the new one is ready (a `Transition`).
fn loaded(data: Resource<Result<ScreenData, AppError>>, mode: Mode) -> AnyView {
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(shown) => {
                        let reload = move |()| data.refetch();
                        view! { <Screen data=shown mode reload /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Screen(
    data: ScreenData,
    mode: Mode,
    /// Loads the page's data again (its layout changed).
    #[prop(optional, into)]
    reload: Option<Callback<()>>,
) -> impl IntoView {
    let ScreenData {
        dashboard,
        frames,
        stream_url,
        freshness,
        embed_origins,
        rendered_at_ms,
    } = data;
    // People use view and share pages; kiosks show a wall nobody touches.
    Screen::provide(
        mode != Mode::Kiosk,
        freshness.into_iter().collect(),
        embed_origins,
        rendered_at_ms,
    );
    let live = use_live_frames(frames, move || stream_url.clone());
    if let Some(reload) = reload {
        Effect::new(move |_| {
            if live.layout_changes.get() > 0 {
                reload.run(());
            }
        });
    }
    let name = dashboard.name.clone();
    let canvas = view! { <DashboardCanvas dashboard frames=live.frames /> };
    match mode {
        Mode::View => view! {
            <Title text=name.clone() />
            <main class="viewer">
                <header class="viewer-bar">
                    <h1>{name}</h1>
                    <ConnectionBadge connection=live.connection />
                </header>
                <div class="stage-fit">{canvas}</div>
            </main>
        }
        .into_any(),
        Mode::Preview(version) => view! {
            <Title text=format!("{name} (version {version})") />
            <main class="viewer">
                <header class="viewer-bar preview-bar">
                    <h1>{name.clone()}</h1>
                    <span class="preview-note" data-testid="preview-note">
                        {format!("Preview of version {version}, with current data")}
                    </span>
                    <ConnectionBadge connection=live.connection />
                </header>
                <div class="stage-fit">{canvas}</div>
            </main>
        }
        .into_any(),
        Mode::Kiosk => view! {
            <Title text=name />
            <main class="kiosk">
                {canvas}
                <div class="kiosk-badge">
                    <ConnectionBadge connection=live.connection />
                </div>
            </main>
        }
        .into_any(),
    }
}
