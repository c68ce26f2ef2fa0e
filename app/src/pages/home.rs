//! `/`: the signed-in user, the list of dashboards, and for editors and owners the ways
//! to make one — by name, from a template, or by importing an export — and to duplicate
//! or delete one (a viewer sees the list with view and kiosk links).

use crate::api::{
    create_dashboard, create_from_template, delete_dashboard, duplicate_dashboard, list_dashboards,
    who_am_i, TEMPLATES,
};
use crate::auth::{Me, Role};
use crate::components::transfer::ImportPanel;
use crate::components::ErrorPanel;
use leptos::prelude::*;

/// Who is signed in, where, and the sign-out forms (plain posts: they work before the
/// page hydrates).
#[component]
fn AccountBar(me: Me) -> impl IntoView {
    view! {
        <div class="account" data-testid="account">
            <span class="who">
                {me.name} " · " {me.workspace.name} " · " {me.role.as_str()}
            </span>
            {(me.workspaces.len() > 1)
                .then(|| {
                    view! {
                        <form method="post" action="/workspace" class="switch">
                            <select name="workspace" aria-label="Workspace">
                                {me
                                    .workspaces
                                    .iter()
                                    .map(|w| {
                                        view! {
                                            <option
                                                value=w.id.to_string()
                                                selected=w.id == me.workspace.id
                                            >
                                                {w.name.clone()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            <button type="submit" class="small">"Switch"</button>
                        </form>
                    }
                })}
            <a href="/data" data-testid="data-link">"Data"</a>
            <a href="/screens" data-testid="screens-link">"Screens"</a>
            <a href="/settings">"Settings"</a>
            <form method="post" action="/signout">
                <button type="submit" class="small">"Sign out"</button>
            </form>
            <form method="post" action="/signout">
                <input type="hidden" name="everywhere" value="1" />
                <button type="submit" class="small" title="End every session of this account">
                    "Sign out everywhere"
                </button>
            </form>
        </div>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_dashboards());
    let me = Resource::new(|| (), |_| who_am_i());
    // The name is read from the field when the form is sent, so what was typed before
    // the page hydrated counts too.
    let name = NodeRef::<leptos::html::Input>::new();
    let problem = RwSignal::new(None::<String>);
    let create = move || {
        let wanted = name.get_untracked().map(|i| i.value()).unwrap_or_default();
        leptos::task::spawn_local(async move {
            match create_dashboard(wanted).await {
                Ok(id) => {
                    let _ = window().location().set_href(&format!("/edit/{id}"));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let from_template = move |slug: &'static str| {
        leptos::task::spawn_local(async move {
            match create_from_template(slug.to_string()).await {
                Ok(made) => {
                    let _ = window().location().set_href(&format!("/edit/{}", made.id));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let duplicate = move |id: crate::model::DashboardId| {
        leptos::task::spawn_local(async move {
            match duplicate_dashboard(id).await {
                Ok(_) => list.refetch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let remove = move |id: crate::model::DashboardId, name: String| {
        let sure = window()
            .confirm_with_message(&format!(
                "Delete the dashboard \u{201c}{name}\u{201d}? Its share links stop working."
            ))
            .unwrap_or(false);
        if !sure {
            return;
        }
        leptos::task::spawn_local(async move {
            match delete_dashboard(id).await {
                Ok(()) => list.refetch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <main class="home">
            <header class="home-bar">
                <h1>"Wallboard"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await.ok().map(|me| view! { <AccountBar me /> })
                    })}
                </Suspense>
            </header>
            // Only editors and owners create dashboards.
            <Suspense>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    editor
                        .then(|| {
                            view! {
                                <section class="create">
                                    <form on:submit=move |ev| {
                                        ev.prevent_default();
                                        create();
                                    }>
                                        <label>
                                            "New dashboard "
                                            <input name="name" placeholder="Name" node_ref=name />
                                        </label>
                                        <button type="submit">"Create"</button>
                                    </form>
                                    <ImportPanel />
                                    {move || {
                                        problem
                                            .get()
                                            .map(|p| view! { <p class="problem" role="alert">{p}</p> })
                                    }}
                                </section>
                                <section class="templates" aria-label="Templates">
                                    <h2>"Start from a template"</h2>
                                    <p class="hint">"Each reads the demo's live data; change anything in the editor."</p>
                                    <ul>
                                        {TEMPLATES
                                            .iter()
                                            .map(|t| {
                                                let slug = t.slug;
                                                view! {
                                                    <li>
                                                        <strong>{t.name}</strong>
                                                        <span>{t.description}</span>
                                                        <button
                                                            data-testid=format!("template-{slug}")
                                                            aria-label=format!("New dashboard from the {} template", t.name)
                                                            on:click=move |_| from_template(slug)
                                                        >
                                                            "Use"
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </section>
                            }
                        })
                })}
            </Suspense>
            <Suspense>
                {move || Suspend::new(async move {
                    let editor = me.await.is_ok_and(|m| m.role >= Role::Editor);
                    match list.await {
                        Ok(items) if items.is_empty() => {
                            view! { <p class="empty">"No dashboards yet: create one above."</p> }
                                .into_any()
                        }
                        Ok(items) => {
                            view! {
                                <ul class="dashboard-list">
                                    {items
                                        .into_iter()
                                        .map(|d| {
                                            let (del_id, del_name) = (d.id.clone(), d.name.clone());
                                            let dup_id = d.id.clone();
                                            view! {
                                                <li>
                                                    <a
                                                        class="name"
                                                        href=format!(
                                                            "/{}/{}",
                                                            if editor { "edit" } else { "view" },
                                                            d.id,
                                                        )
                                                    >
                                                        {d.name}
                                                    </a>
                                                    <span class="meta">{format!("{} widgets", d.widgets)}</span>
                                                    <a href=format!("/view/{}", d.id)>"View"</a>
                                                    <a href=format!("/kiosk/{}", d.id)>"Kiosk"</a>
                                                    {editor
                                                        .then(|| {
                                                            view! {
                                                                <button
                                                                    class="small"
                                                                    data-testid="duplicate"
                                                                    on:click=move |_| duplicate(dup_id.clone())
                                                                >
                                                                    "Duplicate"
                                                                </button>
                                                                <button
                                                                    class="danger small"
                                                                    on:click=move |_| remove(
                                                                        del_id.clone(),
                                                                        del_name.clone(),
                                                                    )
                                                                >
                                                                    "Delete"
                                                                </button>
                                                            }
                                                        })}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
