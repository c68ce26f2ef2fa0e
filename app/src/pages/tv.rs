//! `/tv`: the page a TV keeps open. Unpaired, it shows a pairing code (nothing else)
//! and asks every second whether someone has claimed it; paired, it shows what its
//! screen is given — one dashboard, or a playlist whose slides are all rendered and
//! live, shown in turn — and switches in place when that changes. It keeps the panel
//! awake, hides the cursor when the mouse rests, says when it is disconnected (keeping
//! the last values), and reloads itself if it stops working (see [`WATCHDOG`]).

use crate::api::{load_tv, TvShow, TvState};
use crate::components::DashboardCanvas;
use crate::error::AppError;
use crate::hooks::{use_live_frames, Connection};
use crate::model::{spaced_pairing_code, Fit, Transition as SlideTransition};
use crate::widgets::Screen;
use leptos::prelude::*;
use leptos_meta::Title;

/// How often an unpaired TV asks whether it was claimed.
#[cfg(feature = "hydrate")]
const PAIRING_POLL_MS: u64 = 1000;
/// How long the mouse rests before the cursor hides.
#[cfg(feature = "hydrate")]
const CURSOR_IDLE_MS: u64 = 3000;

/// The watchdog, plain JavaScript so it outlives a failed wasm module (the shell puts
/// it in the head of `/tv`, outside what hydrates): the page stamps
/// `__wbAlive` while it is connected; when the stamp is older than ten minutes (the
/// module died, or the stream could not reconnect) and the server answers `/healthz`,
/// the page reloads. Reloads are spaced at least ten minutes apart, doubling after each
/// one that did not help (up to two hours), so a broken page cannot loop.
pub const WATCHDOG: &str = r#"(function(){
var STALE=600000,KEY='wb_tv_watchdog';
window.__wbAlive=Date.now();
function state(){try{return JSON.parse(sessionStorage.getItem(KEY))||{at:0,wait:STALE};}catch(e){return {at:0,wait:STALE};}}
setInterval(function(){
  if(Date.now()-window.__wbAlive<STALE)return;
  var s=state();
  if(Date.now()-s.at<s.wait)return;
  fetch('/healthz',{cache:'no-store'}).then(function(r){
    if(!r.ok)return;
    try{sessionStorage.setItem(KEY,JSON.stringify({at:Date.now(),wait:Math.min(s.wait*2,7200000)}));}catch(e){}
    location.reload();
  }).catch(function(){});
},30000);
})();"#;

#[component]
pub fn TvPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_tv());
    let refetch = Callback::new(move |()| data.refetch());
    view! {
        <Title text="Wallboard screen" />
        <Transition>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(TvState::Pairing { code, .. }) => view! { <Pairing code refetch /> }.into_any(),
                    Ok(TvState::Showing(show)) => view! { <Showing show refetch /> }.into_any(),
                    Err(error) => view! { <Trouble error refetch /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The code, large enough to read across a room, and where to type it.
#[component]
fn Pairing(code: String, refetch: Callback<()>) -> impl IntoView {
    poll_claim(code.clone(), refetch);
    view! {
        <main class="tv tv-pairing" data-testid="tv-pairing">
            <p class="tv-pairing-lead">"Show a dashboard here: in Wallboard, open Screens → Add screen and type"</p>
            <p class="tv-code" data-testid="tv-code" aria-label=format!("Pairing code {}", code.chars().map(String::from).collect::<Vec<_>>().join(" "))>
                {spaced_pairing_code(&code)}
            </p>
            <p class="tv-pairing-note">"The code changes every 10 minutes."</p>
        </main>
    }
}

/// Asks every second what this TV shows; loads the page's state again when that is no
/// longer the code on screen (claimed, or expired and replaced).
fn poll_claim(code: String, refetch: Callback<()>) {
    #[cfg(feature = "hydrate")]
    {
        let busy = StoredValue::new(false);
        let handle = set_interval_with_handle(
            move || {
                if busy.get_value() {
                    return;
                }
                busy.set_value(true);
                let code = code.clone();
                leptos::task::spawn_local(async move {
                    let answer = load_tv().await;
                    if answer.is_ok() {
                        stamp();
                    }
                    let moved = match answer {
                        Ok(TvState::Pairing { code: now, .. }) => now != code,
                        Ok(TvState::Showing(_)) => true,
                        Err(_) => false,
                    };
                    busy.try_set_value(false);
                    if moved {
                        refetch.run(());
                    }
                });
            },
            std::time::Duration::from_millis(PAIRING_POLL_MS),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (code, refetch);
}

#[component]
fn Trouble(error: AppError, refetch: Callback<()>) -> impl IntoView {
    // Comes back by itself: a TV has nobody to press reload.
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) =
            set_timeout_with_handle(move || refetch.run(()), std::time::Duration::from_secs(30))
        {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = refetch;
    view! {
        <main class="tv tv-pairing" data-testid="tv-trouble">
            <p class="tv-pairing-lead">{error.to_string()}</p>
            <p class="tv-pairing-note">"Trying again in 30 seconds."</p>
        </main>
    }
}

/// The stream URL of this TV, with the panel's size and the page's version (the
/// Screens page lists them).
fn stream_url(base: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let size = |v: Result<wasm_bindgen::JsValue, _>| {
            v.ok()
                .and_then(|v| v.as_f64())
                .map(|f| f.round() as u32)
                .unwrap_or(0)
        };
        let w = size(window().inner_width());
        let h = size(window().inner_height());
        format!("{base}?w={w}&h={h}&v={}", env!("CARGO_PKG_VERSION"))
    }
    #[cfg(not(feature = "hydrate"))]
    base.to_string()
}

/// A TV's content (also a playlist's share page).
#[component]
pub(super) fn Showing(show: TvShow, refetch: Callback<()>) -> impl IntoView {
    let TvShow {
        screen,
        fit,
        slides,
        frames,
        stream_url: base,
        freshness,
        embed_origins,
        rendered_at_ms,
    } = show;
    Screen::provide(
        false,
        freshness.into_iter().collect(),
        embed_origins,
        rendered_at_ms,
    );
    let live = use_live_frames(frames, move || stream_url(&base));
    Effect::new(move |_| {
        if live.layout_changes.get() > 0 {
            refetch.run(());
        }
    });
    keep_awake();
    let idle = idle_cursor();
    stamp_alive(live.connection);
    let count = slides.len();
    let current = RwSignal::new(0usize);
    let seconds: Vec<u32> = slides.iter().map(|s| s.seconds).collect();
    rotate(current, seconds);
    let fit_class = match fit {
        Fit::Letterbox => "fit-letterbox",
        Fit::Fill => "fit-fill",
    };
    let body = if count == 0 {
        view! {
            <div class="tv-empty" data-testid="tv-empty">
                <p>{format!("\u{201c}{screen}\u{201d} is paired.")}</p>
                <p class="tv-pairing-note">"Choose what it shows on the Screens page."</p>
            </div>
        }
        .into_any()
    } else {
        slides
            .into_iter()
            .enumerate()
            .map(|(i, slide)| {
                let fade = slide.transition == SlideTransition::Fade;
                let name = slide.dashboard.name.clone();
                view! {
                    <section
                        class="tv-slide"
                        class:fade=fade
                        class:current=move || current.get() == i
                        aria-hidden=move || (current.get() != i).to_string()
                        data-testid="tv-slide"
                        data-name=name
                        data-current=move || (current.get() == i).to_string()
                    >
                        <DashboardCanvas dashboard=slide.dashboard frames=live.frames />
                    </section>
                }
            })
            .collect_view()
            .into_any()
    };
    let connection = live.connection;
    view! {
        <main class=format!("tv {fit_class}") class:idle=move || idle.get() data-testid="tv" data-screen=screen.clone()>
            {body}
            {move || (connection.get() == Connection::Reconnecting).then(|| view! {
                <div class="tv-banner" role="status" data-testid="tv-disconnected">
                    "Disconnected: these are the last values received. Reconnecting…"
                </div>
            })}
        </main>
    }
}

/// Moves `current` on to the next slide after each slide's time, looping.
fn rotate(current: RwSignal<usize>, seconds: Vec<u32>) {
    #[cfg(feature = "hydrate")]
    {
        if seconds.len() < 2 {
            return;
        }
        let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
        Effect::new(move |_| {
            let at = current.get();
            let wait = u64::from(seconds[at % seconds.len()].max(1)) * 1000;
            let count = seconds.len();
            if let Ok(handle) = set_timeout_with_handle(
                move || {
                    current.try_update(|c| *c = (*c + 1) % count);
                },
                std::time::Duration::from_millis(wait),
            ) {
                if let Some(old) = pending.try_update_value(|p| p.replace(handle)).flatten() {
                    old.clear();
                }
            }
        });
        on_cleanup(move || {
            if let Some(old) = pending.try_update_value(|p| p.take()).flatten() {
                old.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (current, seconds);
}

/// Whether the mouse has rested for `CURSOR_IDLE_MS` (the page hides the cursor).
fn idle_cursor() -> RwSignal<bool> {
    let idle = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast};
        let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
        let rest = move || {
            idle.try_set(false);
            if let Ok(handle) = set_timeout_with_handle(
                move || {
                    idle.try_set(true);
                },
                std::time::Duration::from_millis(CURSOR_IDLE_MS),
            ) {
                if let Some(old) = pending.try_update_value(|p| p.replace(handle)).flatten() {
                    old.clear();
                }
            }
        };
        rest();
        let moved = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| rest());
        let _ = document()
            .add_event_listener_with_callback("mousemove", moved.as_ref().unchecked_ref());
        let moved = send_wrapper::SendWrapper::new(moved);
        on_cleanup(move || {
            let _ = document()
                .remove_event_listener_with_callback("mousemove", moved.as_ref().unchecked_ref());
            if let Some(old) = pending.try_update_value(|p| p.take()).flatten() {
                old.clear();
            }
        });
    }
    idle
}

/// Asks the browser to keep the panel on (Screen Wake Lock, where there is one), and
/// again each time the page becomes visible (the lock ends when it is hidden).
fn keep_awake() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast, JsValue};
        fn request() {
            let navigator: JsValue = window().navigator().into();
            let Ok(lock) = js_sys::Reflect::get(&navigator, &JsValue::from_str("wakeLock")) else {
                return;
            };
            if lock.is_undefined() || lock.is_null() {
                return;
            }
            let Ok(request) = js_sys::Reflect::get(&lock, &JsValue::from_str("request")) else {
                return;
            };
            if let Some(request) = request.dyn_ref::<js_sys::Function>() {
                if let Ok(promise) = request.call1(&lock, &JsValue::from_str("screen")) {
                    // A refusal (no user gesture yet, battery saver) is not an error
                    // worth more than trying again on the next visibility change.
                    if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
                        let _ = promise.catch(&ignore);
                        ignore.forget();
                    }
                }
            }
        }
        request();
        let shown = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                request();
            }
        });
        let _ = document()
            .add_event_listener_with_callback("visibilitychange", shown.as_ref().unchecked_ref());
        let shown = send_wrapper::SendWrapper::new(shown);
        on_cleanup(move || {
            let _ = document().remove_event_listener_with_callback(
                "visibilitychange",
                shown.as_ref().unchecked_ref(),
            );
        });
    }
}

/// Tells the [`WATCHDOG`] the page works.
#[cfg(feature = "hydrate")]
fn stamp() {
    use wasm_bindgen::JsValue;
    let _ = js_sys::Reflect::set(
        &window(),
        &JsValue::from_str("__wbAlive"),
        &JsValue::from_f64(js_sys::Date::now()),
    );
}

/// Stamps the page alive every 30 s while its stream is live.
fn stamp_alive(connection: RwSignal<Connection>) {
    #[cfg(feature = "hydrate")]
    {
        let tick = move || {
            if connection.get_untracked() == Connection::Live {
                stamp();
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(30)) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = connection;
}
