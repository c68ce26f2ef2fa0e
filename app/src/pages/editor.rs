//! `/edit/{id}`: the canvas editor. Drag a widget from the palette onto the canvas,
//! move it by its body, resize it by its corner handle, set its properties and its
//! data in the inspector, save (refused with a message if someone saved first), and
//! share a read-only link.

use super::param;
use crate::api::{
    create_http_dataset, create_share_link, dataset_stream_url, list_share_links, load_editor,
    revoke_share_link, save_dashboard, EditorData, NewShareLink, ShareLink, ShareOptions,
};
use crate::components::{
    stage_style, ConnectData, ConnectionBadge, DatasetStatus, ErrorPanel, NewPushedDataset,
    PushTokens, RowsTable, WidgetBody,
};
use crate::error::AppError;
use crate::hooks::use_live_frames;
use crate::hooks::LiveFrames;
use crate::model::history::History;
use crate::model::{
    text_of, title_from_field, Accepts, Agg, Binding, Dashboard, DashboardId, DatasetSummary,
    Document, FieldKind, Link, Look, NewHttpDataset, Rect, Resolution, RowPick, Shape, Theme,
    Widget, WidgetId, WidgetKind,
};
use crate::widgets::format::{Color, Locale, Notation, Step, Thresholds};
use crate::widgets::inspect::{self, Edit};
use crate::widgets::Screen;
use leptos::{ev, html, prelude::*};
use leptos_meta::Title;

#[component]
pub fn EditorPage() -> impl IntoView {
    let id = param("id", "dashboard", DashboardId::parse);
    let data = Resource::new(id, |id| async move { load_editor(id?).await });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Editor data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A pointer gesture in progress.
#[derive(Debug, Clone)]
enum Gesture {
    /// A palette item is being dragged towards the canvas.
    Place(WidgetKind),
    /// A widget is being moved (or resized) from `origin`, starting at `start`.
    Move {
        id: WidgetId,
        start: (f64, f64),
        origin: Rect,
    },
    Resize {
        id: WidgetId,
        start: (f64, f64),
        origin: Rect,
    },
}

/// Editor state shared by its parts.
#[derive(Clone, Copy)]
struct EditorState {
    id: StoredValue<DashboardId>,
    dashboard: RwSignal<Dashboard>,
    saved: RwSignal<Dashboard>,
    revision: RwSignal<i64>,
    selected: RwSignal<Option<WidgetId>>,
    datasets: RwSignal<Vec<DatasetSummary>>,
    /// The live frames of the bound datasets.
    frames: LiveFrames,
    notice: RwSignal<Option<Notice>>,
    /// Undo and redo (`model::history`).
    history: RwSignal<History<Dashboard>>,
    /// Set while undo or redo changes the dashboard, so that change is not recorded.
    replaying: StoredValue<bool>,
}

#[derive(Debug, Clone, PartialEq)]
enum Notice {
    Info(String),
    Problem(String),
}

impl EditorState {
    /// Records each change of the dashboard in the history (in the browser, where edits
    /// happen), except the ones undo and redo make.
    fn follow_history(self) {
        Effect::new(move |previous: Option<Dashboard>| {
            let now = self.dashboard.get();
            if let Some(previous) = previous.filter(|p| p != &now) {
                if self.replaying.get_value() {
                    self.replaying.set_value(false);
                } else {
                    let at = crate::widgets::now_ms();
                    self.history.update(|h| h.record(previous, at));
                }
            }
            now
        });
    }

    /// Ends the current history step (a gesture ended) once the changes made so far are
    /// recorded: the history follows the dashboard in an effect, which runs after this
    /// event's handlers, and a timer runs after it.
    fn seal_history(self) {
        set_timeout(
            move || self.history.update_untracked(History::seal),
            std::time::Duration::ZERO,
        );
    }

    /// Goes one step back (`redo: false`) or forward in the history.
    fn travel(self, redo: bool) {
        let current = self.dashboard.get_untracked();
        let target = self
            .history
            .try_update(|h| {
                if redo {
                    h.redo(current)
                } else {
                    h.undo(current)
                }
            })
            .flatten();
        let Some(target) = target else { return };
        self.replaying.set_value(true);
        if let Some(id) = self.selected.get_untracked() {
            if !target.widgets.iter().any(|w| w.id == id) {
                self.selected.set(None);
            }
        }
        self.dashboard.set(target);
    }

    fn update_widget(&self, id: &WidgetId, f: impl FnOnce(&mut Widget)) {
        self.dashboard.update(|d| {
            if let Some(w) = d.widget_mut(id) {
                f(w);
            }
        });
    }

    fn save(self) {
        let dashboard = self.dashboard.get_untracked();
        if let Err(e) = dashboard.validate() {
            self.notice.set(Some(Notice::Problem(e.to_string())));
            return;
        }
        let id = self.id.get_value();
        let revision = self.revision.get_untracked();
        self.notice.set(Some(Notice::Info("Saving…".into())));
        leptos::task::spawn_local(async move {
            match save_dashboard(id, Document::new(dashboard.clone()), revision).await {
                Ok(next) => {
                    self.revision.set(next);
                    self.saved.set(dashboard);
                    self.notice.set(Some(Notice::Info("Saved".into())));
                }
                Err(AppError::Conflict { message }) => self.notice.set(Some(Notice::Problem(
                    format!("{message} Reload to get the latest version."),
                ))),
                Err(e) => self.notice.set(Some(Notice::Problem(e.to_string()))),
            }
        });
    }
}

#[component]
fn Editor(data: EditorData) -> impl IntoView {
    let EditorData {
        stored,
        datasets,
        frames,
        embed_origins,
        rendered_at_ms,
    } = data;
    let intervals = datasets
        .iter()
        .filter(|d| d.push.is_none())
        .map(|d| (d.id.clone(), u64::from(d.refresh)))
        .collect();
    Screen::provide(true, intervals, embed_origins, rendered_at_ms);
    let dashboard = RwSignal::new(stored.dashboard.clone());
    let bound = Memo::new(move |_| dashboard.with(Dashboard::datasets));
    let live = use_live_frames(frames, move || dataset_stream_url(&bound.get()));
    let state = EditorState {
        id: StoredValue::new(stored.id.clone()),
        dashboard,
        saved: RwSignal::new(stored.dashboard),
        revision: RwSignal::new(stored.revision),
        selected: RwSignal::new(None),
        datasets: RwSignal::new(datasets),
        frames: live.frames,
        notice: RwSignal::new(None),
        history: RwSignal::new(History::default()),
        replaying: StoredValue::new(false),
    };
    state.follow_history();
    let dirty = move || state.dashboard.with(|d| state.saved.with(|s| d != s));
    let id = stored.id.to_string();
    let gesture = StoredValue::new(None::<Gesture>);
    let ghost = RwSignal::new(None::<(f64, f64)>);
    let canvas = NodeRef::<html::Div>::new();

    // Design pixels per screen pixel, and the canvas origin on screen.
    let geometry = move || -> Option<(f64, f64, f64, f64, f64)> {
        let el = canvas.get_untracked()?;
        let r = el.get_bounding_client_rect();
        let width = f64::from(state.dashboard.with_untracked(|d| d.resolution.width));
        Some((r.left(), r.top(), r.width(), r.height(), width / r.width()))
    };

    let on_move = window_event_listener(ev::pointermove, move |ev| {
        let Some(g) = gesture.get_value() else { return };
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let Some((_, _, _, _, scale)) = geometry() else {
            return;
        };
        let canvas_res = state.dashboard.with_untracked(|d| d.resolution);
        match g {
            Gesture::Place(_) => ghost.set(Some((x, y))),
            Gesture::Move { id, start, origin } => {
                let dx = ((x - start.0) * scale).round() as i32;
                let dy = ((y - start.1) * scale).round() as i32;
                let rect = Rect {
                    x: origin.x + dx,
                    y: origin.y + dy,
                    ..origin
                }
                .fit(&canvas_res);
                state.update_widget(&id, |w| w.rect = rect);
            }
            Gesture::Resize { id, start, origin } => {
                let dw = ((x - start.0) * scale).round() as i32;
                let dh = ((y - start.1) * scale).round() as i32;
                let w = (origin.w + dw).min(canvas_res.width - origin.x);
                let h = (origin.h + dh).min(canvas_res.height - origin.y);
                let rect = Rect { w, h, ..origin }.fit(&canvas_res);
                state.update_widget(&id, |wd| wd.rect = rect);
            }
        }
    });
    let on_up = window_event_listener(ev::pointerup, move |ev| {
        let Some(g) = gesture.get_value() else { return };
        gesture.set_value(None);
        ghost.set(None);
        // One drag, resize or placement is one step of the history.
        state.seal_history();
        if let Gesture::Place(kind) = g {
            let Some((left, top, width, height, scale)) = geometry() else {
                return;
            };
            let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            if x < left || y < top || x > left + width || y > top + height {
                return;
            }
            let (w, h) = kind.default_size();
            let cx = ((x - left) * scale).round() as i32;
            let cy = ((y - top) * scale).round() as i32;
            state.dashboard.update(|d| {
                let rect = Rect {
                    x: cx - w / 2,
                    y: cy - h / 2,
                    w,
                    h,
                }
                .fit(&d.resolution);
                let id = d.next_widget_id();
                d.widgets.push(Widget::new(id.clone(), rect, kind));
                state.selected.set(Some(id));
            });
        }
    });
    // Keyboard: Ctrl+Z undoes, Ctrl+Shift+Z or Ctrl+Y redoes (⌘ on a Mac); Delete
    // removes the selected widget, arrows nudge it by one grid step. In a text field the
    // keys are the field's own.
    let on_key = window_event_listener(ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if typing {
            return;
        }
        if ev.ctrl_key() || ev.meta_key() {
            let key = ev.key().to_lowercase();
            let redo = match key.as_str() {
                "z" => ev.shift_key(),
                "y" => true,
                _ => return,
            };
            ev.prevent_default();
            state.travel(redo);
            return;
        }
        let Some(id) = state.selected.get_untracked() else {
            return;
        };
        let step = crate::model::GRID;
        let (dx, dy) = match ev.key().as_str() {
            "Delete" | "Backspace" => {
                ev.prevent_default();
                state.dashboard.update(|d| d.widgets.retain(|w| w.id != id));
                state.selected.set(None);
                state.seal_history();
                return;
            }
            "ArrowLeft" => (-step, 0),
            "ArrowRight" => (step, 0),
            "ArrowUp" => (0, -step),
            "ArrowDown" => (0, step),
            _ => return,
        };
        ev.prevent_default();
        let canvas_res = state.dashboard.with_untracked(|d| d.resolution);
        state.update_widget(&id, |w| {
            w.rect = Rect {
                x: w.rect.x + dx,
                y: w.rect.y + dy,
                ..w.rect
            }
            .fit(&canvas_res)
        });
    });
    on_cleanup(move || {
        on_move.remove();
        on_up.remove();
        on_key.remove();
    });

    let start_place = move |ev: ev::PointerEvent, kind: WidgetKind| {
        ev.prevent_default();
        gesture.set_value(Some(Gesture::Place(kind)));
        ghost.set(Some((f64::from(ev.client_x()), f64::from(ev.client_y()))));
    };

    let widget_ids = move || {
        state
            .dashboard
            .with(|d| d.widgets.iter().map(|w| w.id.clone()).collect::<Vec<_>>())
    };

    view! {
        <Title text=move || format!("{} · Editor", state.dashboard.with(|d| d.name.clone()))/>
        <div class="editor">
            <header class="editor-bar">
                <a class="brand" href="/">"Wallboard"</a>
                <input
                    class="dashboard-name"
                    aria-label="Dashboard name"
                    prop:value=move || state.dashboard.with(|d| d.name.clone())
                    on:input=move |ev| state.dashboard.update(|d| d.name = event_target_value(&ev))
                />
                <button
                    data-testid="undo"
                    title="Undo (Ctrl+Z)"
                    aria-label="Undo"
                    prop:disabled=move || !state.history.with(History::can_undo)
                    on:click=move |_| state.travel(false)
                >
                    "↶"
                </button>
                <button
                    data-testid="redo"
                    title="Redo (Ctrl+Shift+Z or Ctrl+Y)"
                    aria-label="Redo"
                    prop:disabled=move || !state.history.with(History::can_redo)
                    on:click=move |_| state.travel(true)
                >
                    "↷"
                </button>
                <span class="save-state" data-testid="save-state">
                    {move || if dirty() { "Unsaved changes" } else { "All changes saved" }}
                </span>
                <button class="primary" data-testid="save" on:click=move |_| state.save()>
                    "Save"
                </button>
                <a href=format!("/view/{id}") target="_blank">"View"</a>
                <a href=format!("/kiosk/{id}") target="_blank">"Kiosk"</a>
                <ConnectionBadge connection=live.connection />
            </header>
            {move || {
                state
                    .notice
                    .get()
                    .map(|n| match n {
                        Notice::Info(t) => view! { <div class="notice" data-testid="notice">{t}</div> }.into_any(),
                        Notice::Problem(t) => {
                            view! { <div class="notice problem" role="alert" data-testid="notice">{t}</div> }
                                .into_any()
                        }
                    })
            }}
            <aside class="palette" aria-label="Widgets">
                <h2>"Widgets"</h2>
                {WidgetKind::palette()
                    .into_iter()
                    .map(|kind| {
                        let name = kind.name();
                        let (icon, label) = (kind.icon(), kind.label());
                        let placed = kind.clone();
                        view! {
                            <div
                                class="palette-item"
                                data-kind=name
                                on:pointerdown=move |ev| start_place(ev, placed.clone())
                            >
                                <span class="icon" aria-hidden="true">{icon}</span>
                                {label}
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="hint">"Drag a widget onto the canvas."</p>
            </aside>
            <section
                class="canvas-area"
                on:pointerdown=move |_| {
                    if state.selected.get_untracked().is_some() {
                        state.selected.set(None);
                    }
                }
            >
                <div
                    class=move || format!("stage editor-stage {}", state.dashboard.with(|d| d.theme.css_class()))
                    style=move || state.dashboard.with(stage_style)
                    node_ref=canvas
                    data-testid="canvas"
                >
                    <For each=widget_ids key=|id| id.clone() let:wid>
                        <EditorWidget state wid gesture frames=live.frames />
                    </For>
                </div>
            </section>
            <Inspector state />
            {move || {
                ghost
                    .get()
                    .map(|(x, y)| {
                        let label = match gesture.get_value() {
                            Some(Gesture::Place(kind)) => kind.label(),
                            _ => "",
                        };
                        view! {
                            <div class="ghost" style=format!("left:{x}px;top:{y}px")>
                                {label}
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[component]
fn EditorWidget(
    state: EditorState,
    wid: WidgetId,
    gesture: StoredValue<Option<Gesture>>,
    frames: LiveFrames,
) -> impl IntoView {
    let id = StoredValue::new(wid);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let body = Signal::derive(move || {
        widget.get().unwrap_or_else(|| {
            let rect = Rect {
                x: 0,
                y: 0,
                w: 40,
                h: 40,
            };
            Widget::new(id.get_value(), rect, WidgetKind::Kpi(Default::default()))
        })
    });
    let style = move || {
        let res = state.dashboard.with(|d| d.resolution);
        widget.get().map(|w| w.rect.css(&res)).unwrap_or_default()
    };
    let selected = move || state.selected.get().as_ref() == Some(&id.get_value());
    let begin = move |ev: ev::PointerEvent, resize: bool| {
        ev.prevent_default();
        ev.stop_propagation();
        let Some(w) = widget.get_untracked() else {
            return;
        };
        state.selected.set(Some(w.id.clone()));
        let start = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        gesture.set_value(Some(if resize {
            Gesture::Resize {
                id: w.id,
                start,
                origin: w.rect,
            }
        } else {
            Gesture::Move {
                id: w.id,
                start,
                origin: w.rect,
            }
        }));
    };
    view! {
        <div
            class=move || if selected() { "widget editing selected" } else { "widget editing" }
            style=style
            data-widget=move || id.get_value().to_string()
            on:pointerdown=move |ev| begin(ev, false)
        >
            <WidgetBody widget=body frames />
            <div
                class="resize-handle"
                data-testid="resize-handle"
                title="Drag to resize"
                on:pointerdown=move |ev| begin(ev, true)
            ></div>
        </div>
    }
}

/// The right-hand panel: the selected widget's properties and data, or the
/// dashboard's settings and share links when nothing is selected.
#[component]
fn Inspector(state: EditorState) -> impl IntoView {
    move || match state.selected.get() {
        Some(id) => view! { <WidgetInspector state id /> }.into_any(),
        None => view! { <DashboardInspector state /> }.into_any(),
    }
}

#[component]
fn WidgetInspector(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let rect = move || widget.get().map(|w| w.rect);
    let remove = move |_| {
        state
            .dashboard
            .update(|d| d.widgets.retain(|w| w.id != id.get_value()));
        state.selected.set(None);
    };
    // The kind's own section, edited through the widget's props.
    let kind = Signal::derive(move || {
        widget
            .get()
            .map(|w| w.kind)
            .unwrap_or_else(|| WidgetKind::Kpi(Default::default()))
    });
    let kind_name = Memo::new(move |_| kind.with(|k| k.name()));
    let update_kind: inspect::Updater<WidgetKind> =
        std::sync::Arc::new(move |f: &dyn Fn(&mut WidgetKind)| {
            state.update_widget(&id.get_value(), |w| f(&mut w.kind))
        });
    let look = Signal::derive(move || widget.get().map(|w| w.look).unwrap_or_default());
    let edit_look = Edit::new(
        look,
        std::sync::Arc::new(move |f: &dyn Fn(&mut Look)| {
            state.update_widget(&id.get_value(), |w| f(&mut w.look))
        }),
    );
    view! {
        <aside class="inspector" aria-label="Widget properties" data-testid="inspector">
            <h2>{move || format!("{} {}", kind.with(|k| k.label()), id.get_value())}</h2>
            {inspect::text(edit_look, "Title", "title", |l| l.title.clone(), |l, v| l.title = v)}
            {inspect::text(edit_look, "Subtitle", "subtitle", |l| l.subtitle.clone(), |l, v| l.subtitle = v)}
            <fieldset class="kind-props" data-testid="kind-props">
                <legend>{move || kind.with(|k| k.label())}</legend>
                {move || {
                    kind_name.track();
                    WidgetKind::inspector(kind, update_kind.clone())
                }}
            </fieldset>
            <DataPanel state id=id.get_value() />
            <LookPanel edit=edit_look />
            <p class="geometry" data-testid="geometry">
                {move || {
                    rect()
                        .map(|r| format!("x {} · y {} · {} × {}", r.x, r.y, r.w, r.h))
                        .unwrap_or_default()
                }}
            </p>
            <button class="danger" on:click=remove>
                "Delete widget"
            </button>
        </aside>
    }
}

/// What every kind shares: number and time formats, thresholds, colour, link, staleness.
#[component]
fn LookPanel(edit: Edit<Look>) -> impl IntoView {
    const NOTATION: &[(Notation, &str, &str)] = &[
        (Notation::Standard, "standard", "1,234.5"),
        (Notation::Compact, "compact", "1.2k"),
        (Notation::Percent, "percent", "Percent (0.25 → 25 %)"),
    ];
    static LOCALES: std::sync::LazyLock<Vec<(Locale, &'static str, &'static str)>> =
        std::sync::LazyLock::new(|| {
            Locale::ALL
                .iter()
                .map(|l| (*l, l.code(), l.label()))
                .collect()
        });
    let locales: &'static [(Locale, &'static str, &'static str)] = &LOCALES;
    view! {
        <details class="look-panel" open>
            <summary>"Format and colours"</summary>
            {inspect::choice(edit, "Numbers", "notation", NOTATION, |l| l.format.notation, |l, v| l.format.notation = v)}
            {inspect::optional_number(edit, "Decimals (empty: automatic)", "decimals", |l| l.format.decimals.map(f64::from), |l, v| l.format.decimals = v.map(|v| v.clamp(0.0, 6.0) as u8))}
            {inspect::check(edit, "Thousands separators", "thousands", |l| l.format.thousands, |l, v| l.format.thousands = v)}
            {inspect::text(edit, "Prefix", "prefix", |l| l.format.prefix.clone(), |l, v| l.format.prefix = v)}
            {inspect::text(edit, "Suffix", "suffix", |l| l.format.suffix.clone(), |l, v| l.format.suffix = v)}
            {inspect::text(edit, "Currency (EUR, USD …)", "currency", |l| l.format.currency.clone().unwrap_or_default(), |l, v| {
                let v = v.trim().to_uppercase();
                l.format.currency = (!v.is_empty()).then_some(v);
            })}
            {inspect::choice(edit, "Locale", "locale", locales, |l| l.format.locale, |l, v| l.format.locale = v)}
            {inspect::text(edit, "Date and time format (%Y-%m-%d %H:%M)", "time_pattern", |l| l.time_format.pattern.clone(), |l, v| l.time_format.pattern = v)}
            {inspect::text(edit, "Time zone (UTC, +02:00, Europe/Paris)", "time_zone", |l| l.time_format.zone.0.clone(), |l, v| l.time_format.zone.0 = v.trim().to_string())}
            {inspect::area(edit, "Thresholds: one per line, from = colour (80 = orange); base = colour", "thresholds", |l| threshold_lines(&l.thresholds), |l, v| {
                if let Ok(t) = parse_thresholds(&v) {
                    l.thresholds = t;
                }
            })}
            {inspect::text(edit, "Colour (#4f8cff or green, red …)", "color", |l| l.color.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(), |l, v| {
                let v = v.trim();
                if v.is_empty() {
                    l.color = None;
                } else if let Ok(c) = Color::parse(v) {
                    l.color = Some(c);
                }
            })}
            {inspect::text(edit, "Link (https://… or a dashboard id)", "link", |l| match &l.link {
                Some(Link::Url { url }) => url.clone(),
                Some(Link::Dashboard { id }) => id.to_string(),
                None => String::new(),
            }, |l, v| {
                let v = v.trim();
                l.link = if v.is_empty() {
                    None
                } else if v.starts_with("http") {
                    Some(Link::Url { url: v.to_string() })
                } else {
                    DashboardId::parse(v).ok().map(|id| Link::Dashboard { id })
                };
            })}
            {inspect::number(edit, "Stale after N refresh intervals (0: never)", "stale_after", |l| f64::from(l.stale_after), |l, v| l.stale_after = v.clamp(0.0, 1000.0) as u32)}
            {inspect::optional_number(edit, "Or stale after seconds (pushed data)", "stale_after_secs", |l| l.stale_after_secs.map(f64::from), |l, v| l.stale_after_secs = v.map(|v| v.clamp(0.0, 1e7) as u32))}
        </details>
    }
}

/// Thresholds as the inspector writes them: `base = colour`, then `from = colour`.
fn threshold_lines(t: &Thresholds) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(base) = &t.base {
        lines.push(format!("base = {}", base.as_str()));
    }
    for step in &t.steps {
        lines.push(format!(
            "{} = {}",
            inspect::trim_float(step.from),
            step.color.as_str()
        ));
    }
    lines.join("\n")
}

fn parse_thresholds(text: &str) -> Result<Thresholds, String> {
    let mut t = Thresholds::default();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (from, color) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: write from = colour", n + 1))?;
        let color =
            Color::parse(color.trim()).map_err(|e| format!("line {}: {}", n + 1, e.message))?;
        if from.trim().eq_ignore_ascii_case("base") {
            t.base = Some(color);
        } else {
            let from: f64 = from
                .trim()
                .parse()
                .map_err(|_| format!("line {}: '{}' is not a number", n + 1, from.trim()))?;
            t.steps.push(Step { from, color });
        }
    }
    t.validate().map_err(|e| e.to_string())?;
    Ok(t)
}

/// Binds the selected widget to a dataset, or creates one from a JSON API.
#[component]
fn DataPanel(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let binding = Memo::new(move |_| {
        state.dashboard.with(|d| {
            d.widgets
                .iter()
                .find(|w| w.id == id.get_value())
                .and_then(|w| w.binding.clone())
        })
    });
    // Takes the widget id as an argument: an answer may arrive after this panel is gone.
    // A new dataset fills each slot with a sensible field and offers a title from it.
    let bind = move |widget: &WidgetId, dataset: Option<DatasetSummary>| {
        let sample = dataset.as_ref().and_then(|d| {
            state
                .frames
                .signal(&d.id)
                .with_untracked(|f| f.as_ref().and_then(|f| f.rows.last().cloned()))
        });
        state.update_widget(widget, |w| {
            w.binding = dataset.map(|d| {
                let b = Binding::suggest(d.id.clone(), w.kind.slots(), &d.fields, sample.as_ref());
                // A title is offered from the field of the first required slot only.
                let first = w
                    .kind
                    .slots()
                    .iter()
                    .find(|s| s.required)
                    .and_then(|s| b.field(s.name));
                if let (true, Some(field)) = (w.look.title.is_empty(), first) {
                    w.look.title = title_from_field(field);
                }
                b
            })
        })
    };

    let connecting = RwSignal::new(false);
    let url = RwSignal::new(String::new());
    let path = RwSignal::new("$.value".to_string());
    let refresh = RwSignal::new("5".to_string());
    let always = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let connect = move |_| {
        let seconds: f64 = refresh.get_untracked().trim().parse().unwrap_or(0.0);
        let form = NewHttpDataset {
            name: crate::model::HttpSource::get(&url.get_untracked()).short_name(),
            url: url.get_untracked(),
            path: path.get_untracked(),
            field: "value".into(),
            kind: FieldKind::Number,
            refresh_ms: (seconds * 1000.0).round() as u64,
            timeout_ms: crate::model::HttpSource::DEFAULT_TIMEOUT_MS,
            always_refresh: always.get_untracked(),
            pipeline: Default::default(),
        };
        if let Err(e) = form.parse() {
            problem.set(Some(e.to_string()));
            return;
        }
        problem.set(None);
        let widget = id.get_value();
        leptos::task::spawn_local(async move {
            match create_http_dataset(form).await {
                Ok(dataset) => {
                    state.datasets.update(|all| all.push(dataset.clone()));
                    bind(&widget, Some(dataset));
                }
                Err(e) => {
                    problem.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <fieldset class="data-panel">
            <legend>"Data"</legend>
            <label>
                "Dataset"
                <select
                    name="dataset"
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        let found = state
                            .datasets
                            .with_untracked(|all| all.iter().find(|d| d.id.as_str() == chosen).cloned());
                        bind(&id.get_value(), found);
                    }
                >
                    <option value="" selected=move || binding.get().is_none()>"Not connected"</option>
                    <For
                        each=move || state.datasets.get()
                        key=|d| d.id.clone()
                        let:dataset
                    >
                        {
                            let value = dataset.id.to_string();
                            let selected_id = dataset.id.clone();
                            view! {
                                <option
                                    value=value
                                    selected=move || binding.get().map(|b| b.dataset) == Some(selected_id.clone())
                                >
                                    {dataset.name.clone()}
                                </option>
                            }
                        }
                    </For>
                </select>
            </label>
            <details class="new-source">
                <summary>"New JSON API source"</summary>
                <label>
                    "URL"
                    <input
                        name="source-url"
                        placeholder="https://api.example.com/metrics"
                        prop:value=url
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "JSON path"
                    <input name="source-path" prop:value=path on:input=move |ev| path.set(event_target_value(&ev)) />
                </label>
                <label>
                    "Refresh every (s)"
                    <input
                        name="source-refresh"
                        type="number"
                        min="1"
                        prop:value=refresh
                        on:input=move |ev| refresh.set(event_target_value(&ev))
                    />
                </label>
                <label class="inline">
                    <input
                        type="checkbox"
                        name="source-always"
                        prop:checked=always
                        on:change=move |ev| always.set(event_target_checked(&ev))
                    />
                    "Refresh even when no screen shows it"
                </label>
                <button on:click=connect data-testid="connect-source">"Connect"</button>
                {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
            </details>
            <button data-testid="open-connect" on:click=move |_| connecting.set(true)>"Connect data…"</button>
            <Show when=move || connecting.get()>
                <ConnectData
                    created=Callback::new(move |dataset: DatasetSummary| {
                        state.datasets.update(|all| all.push(dataset.clone()));
                        bind(&id.get_value(), Some(dataset));
                        connecting.set(false);
                    })
                    close=Callback::new(move |()| connecting.set(false))
                />
            </Show>
            <SlotFields state id=id.get_value() />
            <NewPushedDataset created=Callback::new(move |dataset: DatasetSummary| {
                state.datasets.update(|all| all.push(dataset.clone()));
                bind(&id.get_value(), Some(dataset));
            }) />
            <DatasetStatus frame=Signal::derive(move || {
                let dataset = binding.get()?.dataset;
                state.frames.get(&dataset)
            }) />
            <Show when=move || binding.with(Option::is_some)>
                <details class="dataset-rows" data-testid="dataset-rows">
                    <summary>"Rows"</summary>
                    <RowsTable
                        rows=Signal::derive(move || {
                            binding
                                .get()
                                .and_then(|b| state.frames.get(&b.dataset).map(|f| f.rows))
                                .unwrap_or_default()
                        })
                        limit=10
                    />
                </details>
            </Show>
            {move || {
                let dataset = binding.get()?.dataset;
                let summary = state
                    .datasets
                    .with(|all| all.iter().find(|d| d.id == dataset).cloned())?;
                summary.push.is_some().then(|| view! { <PushTokens dataset=summary /> })
            }}
        </fieldset>
    }
    .into_any()
}

/// Which field fills each of the kind's slots, and which row single values come from.
#[component]
fn SlotFields(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let set_binding = move |f: &dyn Fn(&mut Binding)| {
        state.update_widget(&id.get_value(), |w| {
            if let Some(b) = &mut w.binding {
                f(b)
            }
        })
    };
    move || {
        let w = widget.get()?;
        let binding = w.binding.clone()?;
        let fields = state.datasets.with(|all| {
            all.iter()
                .find(|d| d.id == binding.dataset)
                .map(|d| d.fields.clone())
        })?;
        let sample = state
            .frames
            .signal(&binding.dataset)
            .with_untracked(|f| f.as_ref().and_then(|f| f.rows.last().cloned()));
        let slots = w.kind.slots();
        let single = slots.iter().any(|s| s.shape == Shape::Single);
        let slot_views = slots
            .iter()
            .map(|slot| {
                let name = slot.name;
                let offered: Vec<String> = fields
                    .iter()
                    .filter(|f| match slot.accepts {
                        Accepts::Number => f.kind == FieldKind::Number,
                        Accepts::Time => f.kind != FieldKind::Boolean,
                        Accepts::Any => true,
                    })
                    .map(|f| f.name.clone())
                    .collect();
                let chosen = binding.fields(name).to_vec();
                let label = slot.label;
                if slot.many {
                    view! {
                        <fieldset class="slot" data-slot=name>
                            <legend>{label}</legend>
                            {offered.into_iter().map(|f| {
                                let on = chosen.contains(&f);
                                let field = f.clone();
                                view! {
                                    <label class="inline">
                                        <input type="checkbox" name=format!("slot-{name}") value=f.clone() prop:checked=on on:change=move |ev| {
                                            let checked = event_target_checked(&ev);
                                            let field = field.clone();
                                            set_binding(&move |b: &mut Binding| {
                                                let mut now = b.fields(name).to_vec();
                                                now.retain(|x| *x != field);
                                                if checked {
                                                    now.push(field.clone());
                                                }
                                                b.set(name, now);
                                            });
                                        } />
                                        {f}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }
                    .into_any()
                } else {
                    let current = chosen.first().cloned().unwrap_or_default();
                    view! {
                        <label data-slot=name>
                            {label}
                            <select name=format!("slot-{name}") on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| b.set(name, if v.is_empty() { vec![] } else { vec![v.clone()] }));
                            }>
                                <option value="" selected=current.is_empty()>"—"</option>
                                {offered.into_iter().map(|f| {
                                    let selected = f == current;
                                    let label = f.clone();
                                    view! { <option value=f selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                    .into_any()
                }
            })
            .collect_view();
        let rows = single.then(|| {
            let pick_key = match &binding.row {
                RowPick::Last => "last",
                RowPick::First => "first",
                RowPick::Where { .. } => "where",
                RowPick::Aggregate { agg: Agg::Sum } => "sum",
                RowPick::Aggregate { agg: Agg::Avg } => "avg",
                RowPick::Aggregate { agg: Agg::Min } => "min",
                RowPick::Aggregate { agg: Agg::Max } => "max",
                RowPick::Aggregate { agg: Agg::Count } => "count",
            };
            let text_fields: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
            let (where_field, where_equals) = match &binding.row {
                RowPick::Where { field, equals } => (field.clone(), equals.clone()),
                _ => (
                    fields
                        .iter()
                        .find(|f| f.kind == FieldKind::Text)
                        .or(fields.first())
                        .map(|f| f.name.clone())
                        .unwrap_or_default(),
                    sample
                        .as_ref()
                        .and_then(|r| fields.iter().find(|f| f.kind == FieldKind::Text).and_then(|f| r.get(&f.name)))
                        .map(text_of)
                        .unwrap_or_default(),
                ),
            };
            let is_where = matches!(binding.row, RowPick::Where { .. });
            let describe = binding.row.describe();
            let wf = where_field.clone();
            let we = where_equals.clone();
            view! {
                <label>
                    "Which value"
                    <select name="row-pick" on:change=move |ev| {
                        let key = event_target_value(&ev);
                        let (wf, we) = (wf.clone(), we.clone());
                        set_binding(&move |b: &mut Binding| {
                            b.row = match key.as_str() {
                                "first" => RowPick::First,
                                "where" => RowPick::Where { field: wf.clone(), equals: we.clone() },
                                "sum" => RowPick::Aggregate { agg: Agg::Sum },
                                "avg" => RowPick::Aggregate { agg: Agg::Avg },
                                "min" => RowPick::Aggregate { agg: Agg::Min },
                                "max" => RowPick::Aggregate { agg: Agg::Max },
                                "count" => RowPick::Aggregate { agg: Agg::Count },
                                _ => RowPick::Last,
                            };
                        });
                    }>
                        {[("last", "The last row"), ("first", "The first row"), ("where", "The row where …"), ("sum", "Sum of all rows"), ("avg", "Average of all rows"), ("min", "Minimum of all rows"), ("max", "Maximum of all rows"), ("count", "Count of rows")]
                            .into_iter()
                            .map(|(k, label)| view! { <option value=k selected=k == pick_key>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
                {is_where.then(|| {
                    let equals = where_equals.clone();
                    view! {
                        <div class="row-where">
                            <select name="row-field" on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| {
                                    if let RowPick::Where { field, .. } = &mut b.row {
                                        *field = v.clone();
                                    }
                                });
                            }>
                                {text_fields.into_iter().map(|f| {
                                    let selected = f == where_field;
                                    let label = f.clone();
                                    view! { <option value=f selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            "="
                            <input name="row-equals" prop:value=equals on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| {
                                    if let RowPick::Where { equals, .. } = &mut b.row {
                                        *equals = v.clone();
                                    }
                                });
                            } />
                        </div>
                    }
                })}
                <p class="hint" data-testid="row-pick">{format!("Shows {describe}.")}</p>
            }
        });
        Some(view! { <div class="slots">{slot_views}{rows}</div> }.into_any())
    }
}

#[component]
fn DashboardInspector(state: EditorState) -> impl IntoView {
    let links = RwSignal::new(Vec::<ShareLink>::new());
    // Links made in this visit: the only time their addresses can be shown.
    let fresh = RwSignal::new(Vec::<NewShareLink>::new());
    let problem = RwSignal::new(None::<String>);
    let hours = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    Effect::new(move |_| {
        let id = state.id.get_value();
        leptos::task::spawn_local(async move {
            match list_share_links(id).await {
                Ok(found) => links.set(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    });
    let share = move |_| {
        let id = state.id.get_value();
        let options = ShareOptions {
            expires_in_hours: hours.get_untracked().parse().ok(),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        leptos::task::spawn_local(async move {
            match create_share_link(id, options).await {
                Ok(made) => {
                    links.update(|l| l.push(made.link.clone()));
                    fresh.update(|f| f.push(made));
                    password.set(String::new());
                    problem.set(None);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let revoke = move |link: ShareLink| {
        let id = state.id.get_value();
        leptos::task::spawn_local(async move {
            match revoke_share_link(id, link.id.clone()).await {
                Ok(()) => {
                    links.update(|l| l.retain(|k| k.id != link.id));
                    fresh.update(|f| f.retain(|k| k.link.id != link.id));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <aside class="inspector" aria-label="Dashboard settings" data-testid="inspector">
            <h2>"Dashboard"</h2>
            <p class="geometry">
                {move || {
                    state
                        .dashboard
                        .with(|d| format!("{} × {} · {} widgets", d.resolution.width, d.resolution.height, d.widgets.len()))
                }}
            </p>
            <label>
                "Design resolution"
                <select
                    name="resolution"
                    on:change=move |ev| {
                        let chosen = match event_target_value(&ev).as_str() {
                            "uhd" => Resolution::UHD,
                            "portrait" => Resolution::PORTRAIT,
                            _ => Resolution::FULL_HD,
                        };
                        state.dashboard.update(|d| d.set_resolution(chosen));
                    }
                >
                    {[("fhd", "1920 × 1080 (Full HD)", Resolution::FULL_HD), ("uhd", "3840 × 2160 (4K)", Resolution::UHD), ("portrait", "1080 × 1920 (portrait)", Resolution::PORTRAIT)]
                        .into_iter()
                        .map(|(value, label, res)| {
                            view! {
                                <option value=value selected=move || state.dashboard.with(|d| d.resolution == res)>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Theme"
                <select
                    name="theme"
                    on:change=move |ev| {
                        let key = event_target_value(&ev);
                        if let Some(theme) = Theme::ALL.into_iter().find(|t| t.key() == key) {
                            state.dashboard.update(|d| d.theme = theme);
                        }
                    }
                >
                    {Theme::ALL
                        .into_iter()
                        .map(|t| view! {
                            <option value=t.key() selected=move || state.dashboard.with(|d| d.theme == t)>{t.label()}</option>
                        })
                        .collect_view()}
                </select>
            </label>
            <h3>"Share"</h3>
            <p class="hint">
                "Anyone with a link can watch this dashboard, read-only. Its address is shown once, when it is made."
            </p>
            <label>
                "Expires"
                <select data-testid="share-expiry" on:change=move |ev| hours.set(event_target_value(&ev))>
                    <option value="">"never"</option>
                    <option value="1">"in 1 hour"</option>
                    <option value="24">"in 1 day"</option>
                    <option value="168">"in 7 days"</option>
                    <option value="720">"in 30 days"</option>
                </select>
            </label>
            <label>
                "Password (optional, at least 8 characters)"
                <input
                    type="password"
                    autocomplete="new-password"
                    data-testid="share-password"
                    maxlength="256"
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <button on:click=share data-testid="create-share">"Create share link"</button>
            <ul class="share-links">
                <For each=move || fresh.get() key=|l| l.link.id.clone() let:made>
                    {
                        let view_path = made.view_path();
                        let kiosk_path = made.kiosk_path();
                        view! {
                            <li class="fresh">
                                <a href=view_path.clone() target="_blank" data-testid="share-link">{view_path.clone()}</a>
                                <a href=kiosk_path target="_blank">"kiosk"</a>
                            </li>
                        }
                    }
                </For>
            </ul>
            <ul class="share-links" data-testid="share-list">
                <For each=move || links.get() key=|l| (l.id.clone(), l.views) let:link>
                    {
                        let to_revoke = link.clone();
                        let made = super::settings::utc_minute(link.created_at_ms);
                        let expires = link
                            .expires_at_ms
                            .map(|e| format!(" · expires {}", super::settings::utc_minute(e)))
                            .unwrap_or_default();
                        let locked = if link.has_password { " · password" } else { "" };
                        let seen = match link.last_view_ms {
                            Some(at) => format!(" · {} views, last {}", link.views, super::settings::utc_minute(at)),
                            None => " · not opened yet".to_string(),
                        };
                        view! {
                            <li>
                                <span class="hint">{format!("made {made}{expires}{locked}{seen}")}</span>
                                <button class="danger small" on:click=move |_| revoke(to_revoke.clone())>"Revoke"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
        </aside>
    }
}
