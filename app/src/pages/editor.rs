//! `/edit/{id}`: the canvas editor. Drag a widget from the palette onto the canvas,
//! move it by its body, resize it by its corner handle, set its properties and its
//! data in the inspector, save (refused with a message if someone saved first), and
//! share a read-only link.

use super::param;
use crate::api::{
    create_http_dataset, create_share_link, dataset_stream_url, list_share_links, load_editor,
    revoke_share_link, save_dashboard, EditorData, ShareLink,
};
use crate::components::{
    stage_style, ConnectData, ConnectionBadge, DatasetStatus, ErrorPanel, NewPushedDataset,
    PushTokens, RowsTable, WidgetBody,
};
use crate::error::AppError;
use crate::hooks::use_live_frames;
use crate::model::{
    Binding, Dashboard, DashboardId, DatasetId, DatasetSummary, Document, FieldKind, Frame,
    KpiProps, NewHttpDataset, Rect, Resolution, Theme, Widget, WidgetId, WidgetKind,
};
use leptos::{ev, html, prelude::*};
use leptos_meta::Title;
use std::collections::HashMap;

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
    frames: RwSignal<HashMap<DatasetId, Frame>>,
    notice: RwSignal<Option<Notice>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Notice {
    Info(String),
    Problem(String),
}

impl EditorState {
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
    } = data;
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
    };
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
                d.widgets.push(Widget {
                    id: id.clone(),
                    rect,
                    kind,
                    binding: None,
                });
                state.selected.set(Some(id));
            });
        }
    });
    // Keyboard: Delete removes the selected widget, arrows nudge it by one grid step.
    let on_key = window_event_listener(ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        let Some(id) = state.selected.get_untracked() else {
            return;
        };
        if typing {
            return;
        }
        let step = crate::model::GRID;
        let (dx, dy) = match ev.key().as_str() {
            "Delete" | "Backspace" => {
                ev.prevent_default();
                state.dashboard.update(|d| d.widgets.retain(|w| w.id != id));
                state.selected.set(None);
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
                <div
                    class="palette-item"
                    data-kind="kpi"
                    on:pointerdown=move |ev| start_place(ev, WidgetKind::Kpi(KpiProps::default()))
                >
                    <span class="icon">"123"</span>
                    "KPI"
                </div>
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
                        view! {
                            <div class="ghost" style=format!("left:{x}px;top:{y}px")>
                                "KPI"
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
    frames: RwSignal<std::collections::HashMap<DatasetId, crate::model::Frame>>,
) -> impl IntoView {
    let id = StoredValue::new(wid);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let body = Signal::derive(move || {
        widget.get().unwrap_or_else(|| Widget {
            id: id.get_value(),
            rect: Rect {
                x: 0,
                y: 0,
                w: 40,
                h: 40,
            },
            kind: WidgetKind::Kpi(KpiProps::default()),
            binding: None,
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
    let kpi = move || match widget.get().map(|w| w.kind) {
        Some(WidgetKind::Kpi(p)) => p,
        None => KpiProps::default(),
    };
    let set_kpi = move |f: &dyn Fn(&mut KpiProps)| {
        state.update_widget(&id.get_value(), |w| {
            let WidgetKind::Kpi(p) = &mut w.kind;
            f(p);
        })
    };
    let rect = move || widget.get().map(|w| w.rect);
    let remove = move |_| {
        state
            .dashboard
            .update(|d| d.widgets.retain(|w| w.id != id.get_value()));
        state.selected.set(None);
    };
    view! {
        <aside class="inspector" aria-label="Widget properties" data-testid="inspector">
            <h2>{move || format!("KPI {}", id.get_value())}</h2>
            <label>
                "Title"
                <input
                    name="title"
                    prop:value=move || kpi().title
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set_kpi(&|p| p.title = v.clone())
                    }
                />
            </label>
            <label>
                "Unit"
                <input
                    name="unit"
                    prop:value=move || kpi().unit
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        set_kpi(&|p| p.unit = v.clone())
                    }
                />
            </label>
            <label>
                "Decimals"
                <input
                    name="decimals"
                    type="number"
                    min="0"
                    max="6"
                    prop:value=move || kpi().decimals.to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u8>() {
                            set_kpi(&|p| p.decimals = v.min(6))
                        }
                    }
                />
            </label>
            <p class="geometry" data-testid="geometry">
                {move || {
                    rect()
                        .map(|r| format!("x {} · y {} · {} × {}", r.x, r.y, r.w, r.h))
                        .unwrap_or_default()
                }}
            </p>
            <DataPanel state id=id.get_value() />
            <button class="danger" on:click=remove>
                "Delete widget"
            </button>
        </aside>
    }
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
    let bind = move |widget: &WidgetId, dataset: Option<DatasetSummary>| {
        state.update_widget(widget, |w| {
            w.binding = dataset.map(|d| Binding {
                field: d
                    .fields
                    .first()
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| "value".into()),
                dataset: d.id,
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
            {move || {
                let bound = binding.get()?;
                let fields = state
                    .datasets
                    .with(|all| all.iter().find(|d| d.id == bound.dataset).map(|d| d.fields.clone()))?;
                (fields.len() > 1).then(|| view! {
                    <label>
                        "Field"
                        <select name="field" on:change=move |ev| {
                            let field = event_target_value(&ev);
                            state.update_widget(&id.get_value(), |w| {
                                if let Some(b) = &mut w.binding { b.field = field.clone(); }
                            });
                        }>
                            {fields.into_iter().map(|f| {
                                let selected = f.name == bound.field;
                                view! { <option value=f.name.clone() selected=selected>{f.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })
            }}
            <NewPushedDataset created=Callback::new(move |dataset: DatasetSummary| {
                state.datasets.update(|all| all.push(dataset.clone()));
                bind(&id.get_value(), Some(dataset));
            }) />
            <DatasetStatus frame=Signal::derive(move || {
                let dataset = binding.get()?.dataset;
                state.frames.with(|f| f.get(&dataset).cloned())
            }) />
            <Show when=move || binding.with(Option::is_some)>
                <details class="dataset-rows" data-testid="dataset-rows">
                    <summary>"Rows"</summary>
                    <RowsTable
                        rows=Signal::derive(move || {
                            binding
                                .get()
                                .and_then(|b| state.frames.with(|f| f.get(&b.dataset).map(|f| f.rows.clone())))
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

#[component]
fn DashboardInspector(state: EditorState) -> impl IntoView {
    let links = RwSignal::new(Vec::<ShareLink>::new());
    let problem = RwSignal::new(None::<String>);
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
        leptos::task::spawn_local(async move {
            match create_share_link(id).await {
                Ok(link) => links.update(|l| l.push(link)),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let revoke = move |link: ShareLink| {
        let id = state.id.get_value();
        leptos::task::spawn_local(async move {
            match revoke_share_link(id, link.token.clone()).await {
                Ok(()) => links.update(|l| l.retain(|k| k.token != link.token)),
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
                        let theme = if event_target_value(&ev) == "light" { Theme::Light } else { Theme::Dark };
                        state.dashboard.update(|d| d.theme = theme);
                    }
                >
                    <option value="dark" selected=move || state.dashboard.with(|d| d.theme == Theme::Dark)>"Dark"</option>
                    <option value="light" selected=move || state.dashboard.with(|d| d.theme == Theme::Light)>"Light"</option>
                </select>
            </label>
            <h3>"Share"</h3>
            <p class="hint">"Anyone with a link can watch this dashboard, read-only."</p>
            <button on:click=share data-testid="create-share">"Create share link"</button>
            <ul class="share-links">
                <For each=move || links.get() key=|l| l.token.clone() let:link>
                    {
                        let view_path = link.view_path();
                        let kiosk_path = link.kiosk_path();
                        let to_revoke = link.clone();
                        view! {
                            <li>
                                <a href=view_path.clone() target="_blank" data-testid="share-link">{view_path.clone()}</a>
                                <a href=kiosk_path target="_blank">"kiosk"</a>
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
