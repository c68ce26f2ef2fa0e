//! `/edit/{id}`: the canvas editor. Drag widgets from the palette onto the canvas;
//! select them by click, Shift-click or marquee; move and resize them (with snapping
//! and guides), align, stack, lock, duplicate, copy and paste them; set their
//! properties and data in the inspector; undo and redo every step. Edits save by
//! themselves to the draft (a save over someone else's newer one overwrites nothing and
//! asks); Publish makes the draft what screens show, and the history restores any
//! published version.
//!
//! `canvas` holds the pointer and keyboard handling, `actions` the edits themselves,
//! `inspector` the right-hand panel, `publish` drafts, publishing and the history.

mod actions;
mod canvas;
mod inspector;
mod publish;

use super::param;
use crate::api::{
    create_dashboard, dataset_stream_url, load_editor, save_dashboard, EditorData,
    PublishedDashboard, StoredDashboard, VersionSummary,
};
use crate::components::{ConnectionBadge, ErrorPanel};
use crate::error::AppError;
use crate::hooks::use_live_frames;
use crate::hooks::LiveFrames;
use crate::model::compare::differences;
use crate::model::history::History;
use crate::model::{
    copy_name, Dashboard, DashboardId, DatasetSummary, Document, WidgetId, WidgetKind,
};
use crate::widgets::Screen;
use canvas::{Canvas, Pointer, Zoom, SHORTCUTS};
use inspector::Inspector;
use leptos::prelude::*;
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

/// Editor state shared by its parts.
#[derive(Clone, Copy)]
struct EditorState {
    id: StoredValue<DashboardId>,
    dashboard: RwSignal<Dashboard>,
    saved: RwSignal<Dashboard>,
    revision: RwSignal<i64>,
    /// The selected widgets, in the order they were picked.
    selected: RwSignal<Vec<WidgetId>>,
    datasets: RwSignal<Vec<DatasetSummary>>,
    /// The live frames of the bound datasets.
    frames: LiveFrames,
    notice: RwSignal<Option<Notice>>,
    /// Undo and redo (`model::history`).
    history: RwSignal<History<Dashboard>>,
    /// Set while undo or redo changes the dashboard, so that change is not recorded.
    replaying: StoredValue<bool>,
    zoom: RwSignal<Zoom>,
    /// The pointer gesture in progress and what it draws.
    pointer: Pointer,
    /// The keyboard shortcuts panel is open.
    help: RwSignal<bool>,
    /// Where saving stands (`autosave`).
    saving: RwSignal<SaveState>,
    /// The generation of the pending save timer: a newer one cancels older ones.
    save_timer: StoredValue<u64>,
    /// A save request is on its way: another waits for it.
    in_flight: StoredValue<bool>,
    /// What screens show, if the dashboard was ever published.
    published: RwSignal<Option<PublishedDashboard>>,
    /// A publish waits for the draft to be saved.
    publish_pending: StoredValue<bool>,
    publishing: RwSignal<bool>,
    /// The published versions, while the history is open.
    versions: RwSignal<Option<Vec<VersionSummary>>>,
}

/// Edits save by themselves this long after the last change.
const AUTOSAVE_MS: u64 = 1000;
/// A save that could not reach the server is tried again after this long.
const RETRY_MS: u64 = 5000;

/// Where saving stands. Whether there are unsaved changes is `dashboard != saved`.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Idle,
    Saving,
    /// The server could not be reached or failed: retried by itself.
    Offline(String),
    /// The server refused the document: fixed by the next edit.
    Refused(String),
    /// Someone else saved first: the author chooses what to keep.
    Conflict(Box<Conflict>),
}

#[derive(Debug, Clone, PartialEq)]
struct Conflict {
    theirs: StoredDashboard,
    /// What the other save changed since this editor's last save.
    they_changed: Vec<String>,
    /// What this editor changed since then and has not saved.
    we_changed: Vec<String>,
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
        let gone = self.selected.with_untracked(|s| {
            s.iter()
                .any(|id| !target.widgets.iter().any(|w| &w.id == id))
        });
        if gone {
            self.selected.update(|s| {
                s.retain(|id| target.widgets.iter().any(|w| &w.id == id));
            });
        }
        self.dashboard.set(target);
    }

    /// Saves a little after each change (`AUTOSAVE_MS`), never during a drag.
    fn autosave(self) {
        Effect::new(move |_| {
            let dirty = self.dashboard.with(|d| self.saved.with(|s| d != s));
            if dirty {
                self.schedule_save(AUTOSAVE_MS);
            }
        });
    }

    fn schedule_save(self, ms: u64) {
        let generation = self.save_timer.get_value() + 1;
        self.save_timer.set_value(generation);
        set_timeout(
            move || {
                if self.save_timer.get_value() == generation {
                    self.save();
                }
            },
            std::time::Duration::from_millis(ms),
        );
    }

    /// Saves now, one request at a time: a change made meanwhile is saved after it.
    fn save(self) {
        if matches!(self.saving.get_untracked(), SaveState::Conflict(_))
            || self.in_flight.get_value()
        {
            return;
        }
        if self.pointer.busy() {
            self.schedule_save(300);
            return;
        }
        let dashboard = self.dashboard.get_untracked();
        if self.saved.with_untracked(|s| s == &dashboard) {
            self.saving.set(SaveState::Idle);
            return;
        }
        if let Err(e) = dashboard.validate() {
            self.publish_pending.set_value(false);
            self.saving.set(SaveState::Refused(e.to_string()));
            return;
        }
        let id = self.id.get_value();
        let revision = self.revision.get_untracked();
        self.in_flight.set_value(true);
        self.saving.set(SaveState::Saving);
        leptos::task::spawn_local(async move {
            let outcome =
                save_dashboard(id.clone(), Document::new(dashboard.clone()), revision).await;
            self.in_flight.set_value(false);
            match outcome {
                Ok(next) => {
                    self.revision.set(next);
                    self.saving.set(SaveState::Idle);
                    // Changes made while saving are scheduled again by `autosave`.
                    self.saved.set(dashboard);
                    if self.publish_pending.get_value() {
                        self.publish();
                    }
                }
                Err(AppError::Conflict { .. }) => {
                    self.publish_pending.set_value(false);
                    self.show_conflict(id).await
                }
                // A publish waiting for this save still happens once it is stored.
                Err(e @ (AppError::Unavailable { .. } | AppError::Internal)) => {
                    self.saving.set(SaveState::Offline(e.to_string()));
                    self.schedule_save(RETRY_MS);
                }
                Err(e) => {
                    self.publish_pending.set_value(false);
                    self.saving.set(SaveState::Refused(e.to_string()))
                }
            }
        });
    }

    /// Someone saved first: fetch their version and say what differs.
    async fn show_conflict(self, id: DashboardId) {
        match load_editor(id).await {
            Ok(data) => {
                let base = self.saved.get_untracked();
                let ours = self.dashboard.get_untracked();
                self.saving.set(SaveState::Conflict(Box::new(Conflict {
                    they_changed: differences(&base, &data.stored.dashboard),
                    we_changed: differences(&base, &ours),
                    theirs: data.stored,
                })));
            }
            Err(e) => {
                self.saving.set(SaveState::Offline(e.to_string()));
                self.schedule_save(RETRY_MS);
            }
        }
    }

    /// The author's answer to a conflict.
    fn resolve(self, choice: Choice) {
        let SaveState::Conflict(conflict) = self.saving.get_untracked() else {
            return;
        };
        let theirs = conflict.theirs;
        match choice {
            Choice::Theirs => {
                self.revision.set(theirs.revision);
                self.saved.set(theirs.dashboard.clone());
                // One step of the history: undo brings this editor's version back.
                self.dashboard.set(theirs.dashboard);
                self.seal_history();
                self.selected.set(Vec::new());
                self.saving.set(SaveState::Idle);
            }
            Choice::Overwrite => {
                self.revision.set(theirs.revision);
                self.saving.set(SaveState::Idle);
                self.save();
            }
            Choice::Copy => {
                let mut mine = self.dashboard.get_untracked();
                mine.name = copy_name(&mine.name);
                self.saving.set(SaveState::Saving);
                leptos::task::spawn_local(async move {
                    let made = async {
                        let id = create_dashboard(mine.name.clone()).await?;
                        save_dashboard(id.clone(), Document::new(mine), 1).await?;
                        Ok::<_, AppError>(id)
                    };
                    match made.await {
                        Ok(id) => {
                            let _ = window().location().assign(&format!("/edit/{id}"));
                        }
                        Err(e) => self.saving.set(SaveState::Refused(e.to_string())),
                    }
                });
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Choice {
    Theirs,
    Copy,
    Overwrite,
}

#[component]
fn Editor(data: EditorData) -> impl IntoView {
    let EditorData {
        stored,
        published,
        datasets,
        frames,
        embed_origins,
        rendered_at_ms,
    } = data;
    let freshness = datasets
        .iter()
        .map(|d| (d.id.clone(), crate::model::Freshness::of(d)))
        .collect();
    Screen::provide(true, freshness, embed_origins, rendered_at_ms);
    let dashboard = RwSignal::new(stored.dashboard.clone());
    let bound = Memo::new(move |_| dashboard.with(Dashboard::datasets));
    let live = use_live_frames(frames, move || dataset_stream_url(&bound.get()));
    let state = EditorState {
        id: StoredValue::new(stored.id.clone()),
        dashboard,
        saved: RwSignal::new(stored.dashboard),
        revision: RwSignal::new(stored.revision),
        selected: RwSignal::new(Vec::new()),
        datasets: RwSignal::new(datasets),
        frames: live.frames,
        notice: RwSignal::new(None),
        history: RwSignal::new(History::default()),
        replaying: StoredValue::new(false),
        zoom: RwSignal::new(Zoom::Fit),
        pointer: Pointer::new(),
        help: RwSignal::new(false),
        saving: RwSignal::new(SaveState::Idle),
        save_timer: StoredValue::new(0),
        in_flight: StoredValue::new(false),
        published: RwSignal::new(published),
        publish_pending: StoredValue::new(false),
        publishing: RwSignal::new(false),
        versions: RwSignal::new(None),
    };
    state.follow_history();
    state.autosave();
    let dirty = move || state.dashboard.with(|d| state.saved.with(|s| d != s));
    // The name alone, so the title and the name field are not touched by a drag.
    let name = Memo::new(move |_| state.dashboard.with(|d| d.name.clone()));
    let id = stored.id.to_string();

    view! {
        <Title text=move || format!("{} · Editor", name.get())/>
        <div class="editor">
            <header class="editor-bar">
                <a class="brand" href="/">"Wallboard"</a>
                <input
                    class="dashboard-name"
                    aria-label="Dashboard name"
                    prop:value=move || name.get()
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
                <ZoomControls state />
                <button
                    data-testid="help"
                    title="Keyboard shortcuts (?)"
                    aria-label="Keyboard shortcuts"
                    on:click=move |_| {
                        state.versions.set(None);
                        state.help.update(|h| *h = !*h);
                    }
                >
                    "?"
                </button>
                <span class="save-state" data-testid="save-state" role="status">
                    {move || match state.saving.get() {
                        SaveState::Saving => "Saving…".to_string(),
                        SaveState::Offline(why) => format!("Offline, retrying ({why})"),
                        SaveState::Refused(why) => format!("Not saved: {why}"),
                        SaveState::Conflict(_) => "Someone else saved: choose below".to_string(),
                        SaveState::Idle if dirty() => "Unsaved changes".to_string(),
                        SaveState::Idle => "All changes saved".to_string(),
                    }}
                </span>
                <button data-testid="save" title="Save the draft now (edits save by themselves)" on:click=move |_| state.save()>
                    "Save"
                </button>
                <publish::PublishControls state />
                <button
                    data-testid="export"
                    title="Save the draft as a JSON file, to import here or elsewhere"
                    on:click=move |_| state.export()
                >
                    "Export"
                </button>
                <a href="/data" target="_blank" title="Every dataset: status, where used, edit, delete">"Data"</a>
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
            <ConflictPanel state />
            <publish::HistoryPanel state />
            <Palette state />
            <Canvas state />
            <Inspector state />
            <HelpPanel state />
        </div>
    }
}

/// The widget kinds, to drag onto the canvas (the canvas follows the drag).
#[component]
fn Palette(state: EditorState) -> impl IntoView {
    view! {
        <aside class="palette" aria-label="Widgets">
            <h2>"Widgets"</h2>
            {WidgetKind::palette()
                .into_iter()
                .map(|kind| {
                    let placed = kind.clone();
                    view! {
                        <div
                            class="palette-item"
                            data-kind=kind.name()
                            title="Drag onto the canvas"
                            on:pointerdown=move |ev| state.pointer.start_place(ev, placed.clone())
                        >
                            <span class="icon" aria-hidden="true">{kind.icon()}</span>
                            {kind.label()}
                        </div>
                    }
                })
                .collect_view()}
            <p class="hint">"Drag a widget onto the canvas."</p>
        </aside>
    }
}

#[component]
fn ZoomControls(state: EditorState) -> impl IntoView {
    let level = move || match state.zoom.get() {
        Zoom::Fit => "Fit".to_string(),
        Zoom::Scale(z) => format!("{:.0} %", z * 100.0),
    };
    view! {
        <span class="zoom" role="group" aria-label="Zoom">
            <button data-testid="zoom-out" title="Zoom out (Ctrl+-)" aria-label="Zoom out" on:click=move |_| canvas::zoom_by(state, -1)>
                "−"
            </button>
            <span class="zoom-level" data-testid="zoom-level">{level}</span>
            <button data-testid="zoom-in" title="Zoom in (Ctrl+=)" aria-label="Zoom in" on:click=move |_| canvas::zoom_by(state, 1)>
                "+"
            </button>
            <button data-testid="zoom-fit" title="Fit the canvas to the window (Shift+1)" on:click=move |_| state.zoom.set(Zoom::Fit)>
                "Fit"
            </button>
            <button data-testid="zoom-100" title="Design size (Shift+0)" on:click=move |_| state.zoom.set(Zoom::Scale(1.0))>
                "100 %"
            </button>
        </span>
    }
}

/// Every shortcut, from the one table the keyboard handling follows (`?` opens it).
#[component]
fn HelpPanel(state: EditorState) -> impl IntoView {
    move || {
        state.help.get().then(|| {
            view! {
                <div class="help-panel" role="dialog" aria-label="Keyboard shortcuts" data-testid="help-panel">
                    <h2>"Keyboard shortcuts"</h2>
                    <table>
                        <tbody>
                            {SHORTCUTS
                                .iter()
                                .map(|(keys, what)| view! { <tr><td><kbd>{*keys}</kbd></td><td>{*what}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                    <button on:click=move |_| state.help.set(false)>"Close"</button>
                </div>
            }
        })
    }
}

/// Shown when someone else saved first: what each side changed, and the three ways on.
#[component]
fn ConflictPanel(state: EditorState) -> impl IntoView {
    let list = |lines: Vec<String>| {
        if lines.is_empty() {
            view! { <p class="hint">"nothing"</p> }.into_any()
        } else {
            view! { <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul> }
                .into_any()
        }
    };
    move || {
        let SaveState::Conflict(c) = state.saving.get() else {
            return None;
        };
        let Conflict {
            they_changed,
            we_changed,
            ..
        } = *c;
        Some(view! {
            <div class="conflict" role="alertdialog" aria-label="Someone else saved this dashboard" data-testid="conflict">
                <h2>"Someone else saved this dashboard"</h2>
                <p>"Nothing was overwritten. Their save:"</p>
                <div data-testid="their-changes">{list(they_changed)}</div>
                <p>"Your changes not saved yet:"</p>
                <div data-testid="our-changes">{list(we_changed)}</div>
                <div class="button-row">
                    <button data-testid="conflict-theirs" on:click=move |_| state.resolve(Choice::Theirs)>
                        "Load theirs"
                    </button>
                    <button data-testid="conflict-copy" on:click=move |_| state.resolve(Choice::Copy)>
                        "Keep mine as a copy"
                    </button>
                    <button class="danger" data-testid="conflict-overwrite" on:click=move |_| state.resolve(Choice::Overwrite)>
                        "Overwrite with mine"
                    </button>
                </div>
                <p class="hint">"Load theirs is one step of the history: Ctrl+Z brings yours back."</p>
            </div>
        })
    }
}
