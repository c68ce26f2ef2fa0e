//! Drafts and publishing: the editor works on the draft (autosaved); **Publish** makes
//! the saved draft the version every screen shows, and open screens switch to it
//! through their live streams. The history lists every published version, each with a
//! preview page and a **Restore** that makes it the draft again (one undoable step).
//! **Export** saves the draft as a file to import elsewhere.

use super::{EditorState, Notice, SaveState};
use crate::api::{
    list_versions, load_version, publish_dashboard, PublishedDashboard, VersionSummary,
};
use crate::components::transfer::{download, export_file_name};
use crate::model::compare::differences;
use crate::model::transfer::Exported;
use crate::pages::settings::utc_minute;
use leptos::prelude::*;

impl EditorState {
    /// Publishes the draft; unsaved changes are saved first, then published.
    pub(super) fn publish(self) {
        let dirty = self
            .dashboard
            .with_untracked(|d| self.saved.with_untracked(|s| d != s));
        if matches!(self.saving.get_untracked(), SaveState::Conflict(_)) {
            self.tell(Notice::Problem(
                "Not published: resolve the conflict with the other save first.".into(),
            ));
            return;
        }
        if dirty || self.in_flight.get_value() {
            // `save` publishes once the draft is stored.
            self.publish_pending.set_value(true);
            self.save();
            return;
        }
        self.publish_pending.set_value(false);
        let id = self.id.get_value();
        let revision = self.revision.get_untracked();
        let draft = self.saved.get_untracked();
        self.publishing.set(true);
        leptos::task::spawn_local(async move {
            let outcome = publish_dashboard(id, revision).await;
            self.publishing.set(false);
            match outcome {
                Ok(version) => {
                    self.tell(Notice::Info(format!(
                        "Published version {}: open screens switch to it now.",
                        version.version
                    )));
                    self.published.set(Some(PublishedDashboard {
                        version: version.version,
                        dashboard: draft,
                    }));
                    self.versions.update(|v| {
                        if let Some(list) = v {
                            list.insert(0, version);
                        }
                    });
                }
                Err(e) => self.tell(Notice::Problem(format!("Not published: {e}"))),
            }
        });
    }

    /// Makes published version `version` the draft: one step of the history, saved by
    /// autosave; screens keep the published version until the next publish.
    fn restore(self, version: i64) {
        let id = self.id.get_value();
        leptos::task::spawn_local(async move {
            match load_version(id, version).await {
                Ok(dashboard) => {
                    self.selected.set(Vec::new());
                    self.dashboard.set(dashboard);
                    self.seal_history();
                    self.tell(Notice::Info(format!(
                        "Version {version} is the draft again. Publish to make it live; \
                         Ctrl+Z undoes the restore."
                    )));
                }
                Err(e) => self.tell(Notice::Problem(format!(
                    "Could not restore version {version}: {e}"
                ))),
            }
        });
    }

    /// Downloads the draft, as it is on screen, as an export file.
    pub(super) fn export(self) {
        let dashboard = self.dashboard.get_untracked();
        let name = export_file_name(&dashboard.name);
        let exported = self.datasets.with_untracked(|datasets| {
            Exported::new(dashboard, |id| {
                datasets
                    .iter()
                    .find(|d| &d.id == id)
                    .map(|d| d.name.clone())
            })
        });
        download(&name, &exported.to_json(crate::widgets::now_ms()));
    }

    /// Opens or closes the history, loading it when opened.
    fn toggle_versions(self) {
        if self.versions.with_untracked(Option::is_some) {
            self.versions.set(None);
            return;
        }
        // The history and the shortcuts share a corner of the screen: one at a time.
        self.help.set(false);
        let id = self.id.get_value();
        leptos::task::spawn_local(async move {
            match list_versions(id).await {
                Ok(list) => self.versions.set(Some(list)),
                Err(e) => self.tell(Notice::Problem(format!("Could not load the history: {e}"))),
            }
        });
    }
}

/// What screens show compared with the saved draft, the Publish button and the
/// History toggle.
#[component]
pub(super) fn PublishControls(state: EditorState) -> impl IntoView {
    // Compared with the saved draft (what a publish would make live), so a drag does
    // not recompute it on every frame.
    let status = Memo::new(move |_| {
        state.published.with(|published| match published {
            None => ("Not published: screens show the draft".to_string(), false),
            Some(p) => {
                let changes = state
                    .saved
                    .with(|saved| differences(&p.dashboard, saved).len());
                match changes {
                    0 => (format!("Published: version {}", p.version), true),
                    1 => (
                        format!("1 change not published (live: version {})", p.version),
                        false,
                    ),
                    n => (
                        format!("{n} changes not published (live: version {})", p.version),
                        false,
                    ),
                }
            }
        })
    });
    view! {
        <span class="publish-state" class:is-live=move || status.get().1 data-testid="publish-state" role="status">
            {move || status.get().0}
        </span>
        <button
            class="primary"
            data-testid="publish"
            title="Make the draft the version every screen shows"
            prop:disabled=move || state.publishing.get()
            on:click=move |_| state.publish()
        >
            {move || if state.publishing.get() { "Publishing…" } else { "Publish" }}
        </button>
        <button
            data-testid="history"
            aria-expanded=move || state.versions.with(Option::is_some).to_string()
            title="Published versions"
            on:click=move |_| state.toggle_versions()
        >
            "History"
        </button>
    }
}

/// The published versions, newest first: when, by whom, a preview, and Restore.
#[component]
pub(super) fn HistoryPanel(state: EditorState) -> impl IntoView {
    let id = state.id.get_value();
    move || {
        let list = state.versions.get()?;
        let live = state.published.with(|p| p.as_ref().map(|p| p.version));
        let id = id.clone();
        let rows = if list.is_empty() {
            view! { <p class="hint">"Nothing published yet: screens show the draft until the first Publish."</p> }
                .into_any()
        } else {
            view! {
                <ol class="versions">
                    {list
                        .into_iter()
                        .map(|v: VersionSummary| {
                            let n = v.version;
                            let is_live = live == Some(n);
                            let widgets = match v.widgets {
                                1 => "1 widget".to_string(),
                                w => format!("{w} widgets"),
                            };
                            view! {
                                <li data-testid="version" data-version=n.to_string() class:is-live=is_live>
                                    <strong>{format!("Version {n}")}</strong>
                                    {is_live.then(|| view! { <span class="badge">"live"</span> })}
                                    <span class="meta">
                                        {format!("{} · {} · {widgets}", utc_minute(v.published_at_ms), v.published_by)}
                                    </span>
                                    <a href=format!("/view/{id}/v/{n}") target="_blank" data-testid="version-preview">
                                        "Preview"
                                    </a>
                                    <button
                                        data-testid="version-restore"
                                        aria-label=format!("Restore version {n} as the draft")
                                        on:click=move |_| state.restore(n)
                                    >
                                        "Restore"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            }
            .into_any()
        };
        Some(view! {
            <section class="history-panel" role="dialog" aria-label="Published versions" data-testid="history-panel">
                <h2>"Published versions"</h2>
                {rows}
                <button on:click=move |_| state.versions.set(None)>"Close"</button>
            </section>
        })
    }
}
