//! The read-only screens: `/view/{id}`, `/kiosk/{id}`, and the share pages
//! `/s/{token}` and `/s/{token}/kiosk`. All render the current values on the server
//! (the route waits for its data), then follow the live stream.

use super::param;
use crate::api::{load_screen, load_shared, ScreenData};
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

fn by_id(mode: Mode) -> AnyView {
    let id = param("id", "dashboard", DashboardId::parse);
    let data = Resource::new(id, |id| async move { load_screen(id?).await });
    loaded(data, mode)
}

fn by_token(mode: Mode) -> AnyView {
    let token = param("token", "share link", ShareToken::parse);
    let data = Resource::new(token, |token| async move { load_shared(token?).await });
    loaded(data, mode)
}

fn loaded(data: Resource<Result<ScreenData, AppError>>, mode: Mode) -> AnyView {
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Screen data mode /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn Screen(data: ScreenData, mode: Mode) -> impl IntoView {
    let ScreenData {
        dashboard,
        frames,
        stream_url,
        intervals,
        embed_origins,
        rendered_at_ms,
    } = data;
    // People use view and share pages; kiosks show a wall nobody touches.
    Screen::provide(
        mode == Mode::View,
        intervals.into_iter().collect(),
        embed_origins,
        rendered_at_ms,
    );
    let live = use_live_frames(frames, move || stream_url.clone());
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
