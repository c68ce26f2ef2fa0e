//! `/data`: the data catalogue. Every dataset of the workspace with its source kind,
//! refresh, when it last updated or why its last refresh failed, and the dashboards
//! that show it; **Connect data…** makes a new one, **Edit** opens it in the same
//! form, **Delete** removes one nothing reads (or says what does).

use crate::api::{
    dataset_catalogue, delete_dataset, load_dataset_settings, who_am_i, EditableDataset,
};
use crate::auth::Role;
use crate::components::{clock, ConnectData, ErrorPanel};
use crate::model::{DatasetId, SourceKind};
use leptos::prelude::*;
use leptos_meta::Title;

fn kind_label(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Http => "HTTP API",
        SourceKind::Sql => "SQL",
        SourceKind::Sheet => "Spreadsheet",
        SourceKind::Push => "Pushed",
    }
}

#[component]
pub fn DataPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| dataset_catalogue());
    let me = Resource::new(|| (), |_| who_am_i());
    let connecting = RwSignal::new(false);
    let editing = RwSignal::new(None::<EditableDataset>);
    let problem = RwSignal::new(None::<String>);
    let edit = move |id: DatasetId| {
        problem.set(None);
        leptos::task::spawn_local(async move {
            match load_dataset_settings(id).await {
                Ok(found) => editing.set(Some(found)),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let remove = move |id: DatasetId, name: String| {
        let sure = window()
            .confirm_with_message(&format!(
                "Delete the dataset \u{201c}{name}\u{201d}? Its rows and push tokens go with it."
            ))
            .unwrap_or(false);
        if !sure {
            return;
        }
        problem.set(None);
        leptos::task::spawn_local(async move {
            match delete_dataset(id).await {
                Ok(()) => list.refetch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Title text="Data · Wallboard" />
        <main class="home data-page">
            <header class="home-bar">
                <h1><a class="brand" href="/">"Wallboard"</a>" · Data"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                        editor.then(|| view! {
                            <button class="primary" data-testid="open-connect" on:click=move |_| connecting.set(true)>
                                "Connect data…"
                            </button>
                        })
                    })}
                </Suspense>
            </header>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="catalogue-problem">{p}</p> })}
            <Suspense>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    match list.await {
                        Ok(items) if items.is_empty() => view! {
                            <p class="empty">"No datasets yet: press Connect data… to read an API, a database, a spreadsheet, or to take pushed rows."</p>
                        }.into_any(),
                        Ok(items) => view! {
                            <table class="catalogue" data-testid="catalogue">
                                <thead>
                                    <tr>
                                        <th scope="col">"Dataset"</th>
                                        <th scope="col">"Source"</th>
                                        <th scope="col">"Refresh"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Used by"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {items.into_iter().map(|entry| {
                                        let d = entry.dataset;
                                        let (edit_id, del_id, del_name) = (d.id.clone(), d.id.clone(), d.name.clone());
                                        let refresh = if d.push.is_some() {
                                            "on push".to_string()
                                        } else {
                                            let s = d.refresh.millis() as f64 / 1000.0;
                                            format!("every {s} s{}", if d.always_refresh { ", always" } else { "" })
                                        };
                                        let status = match (&entry.error, entry.updated_at_ms) {
                                            (Some(e), _) => view! { <span class="problem">{format!("Failing: {e}")}</span> }.into_any(),
                                            (None, 0) => view! { <span class="muted">"No data yet"</span> }.into_any(),
                                            (None, at) => view! {
                                                <span>{format!("Updated {} · {} rows", clock(at), entry.rows)}</span>
                                            }.into_any(),
                                        };
                                        let used = if entry.used_by.is_empty() {
                                            "—".to_string()
                                        } else {
                                            entry.used_by.join(", ")
                                        };
                                        view! {
                                            <tr data-testid="catalogue-row" data-dataset=d.id.to_string()>
                                                <th scope="row">{d.name.clone()}</th>
                                                <td>{kind_label(d.kind)}</td>
                                                <td>{refresh}</td>
                                                <td data-testid="catalogue-status">{status}</td>
                                                <td data-testid="catalogue-used">{used}</td>
                                                <td class="actions">
                                                    {editor.then(|| view! {
                                                        <button class="small" data-testid="catalogue-edit"
                                                            aria-label=format!("Edit {}", d.name)
                                                            on:click=move |_| edit(edit_id.clone())>"Edit"</button>
                                                        <button class="small danger" data-testid="catalogue-delete"
                                                            aria-label=format!("Delete {}", d.name)
                                                            on:click=move |_| remove(del_id.clone(), del_name.clone())>"Delete"</button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || connecting.get()>
                <ConnectData
                    created=Callback::new(move |_| {
                        connecting.set(false);
                        list.refetch();
                    })
                    close=Callback::new(move |()| connecting.set(false))
                />
            </Show>
            {move || editing.get().map(|found| view! {
                <ConnectData
                    editing=found
                    updated=Callback::new(move |_| {
                        editing.set(None);
                        list.refetch();
                    })
                    deleted=Callback::new(move |_| {
                        editing.set(None);
                        list.refetch();
                    })
                    close=Callback::new(move |()| editing.set(None))
                />
            })}
        </main>
    }
}
