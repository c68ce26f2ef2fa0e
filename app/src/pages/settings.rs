//! `/settings`: the workspace's members and invitations (owners), API tokens (owners
//! see all, editors their own) and the audit log (owners). Each section asks the
//! server, which decides; a section the caller may not use says so in place.

use crate::api::{
    audit_log, change_member, create_api_token, create_invite, create_reset_link, create_workspace,
    list_api_tokens, list_members, revoke_api_token, who_am_i,
};
use crate::auth::{ApiTokenForm, Me, NewApiToken, NewInvite, Role, TokenScope};
use crate::components::ErrorPanel;
use crate::error::AppError;
use leptos::prelude::*;

/// A Unix-ms time as `2026-12-02 16:20 UTC` (the same text on the server and in the
/// browser, so hydration matches).
pub fn utc_minute(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| who_am_i());
    view! {
        <main class="settings">
            <header class="home-bar">
                <h1>"Workspace settings"</h1>
                <a href="/">"Back to the dashboards"</a>
            </header>
            <Suspense>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(me) => view! { <Sections me /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Sections(me: Me) -> impl IntoView {
    let owner = me.role == Role::Owner;
    let editor = me.role >= Role::Editor;
    let admin = me.is_admin;
    view! {
        <p class="hint">
            {format!("{} · you are {} here", me.workspace.name, me.role.as_str())}
        </p>
        {owner.then(|| view! { <Members admin /> })}
        {admin.then(|| view! { <NewWorkspace /> })}
        {editor.then(|| view! { <ApiTokens owner /> })}
        {owner.then(|| view! { <Audit /> })}
        {(!editor)
            .then(|| {
                view! {
                    <p class="hint">
                        "Viewers see dashboards only; an owner can give you another role."
                    </p>
                }
            })}
    }
}

/// What a section shows in place when the server refuses or fails.
fn failed(error: AppError) -> AnyView {
    view! { <p class="problem" role="alert">{error.to_string()}</p> }.into_any()
}

fn problem_line(problem: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        problem
            .get()
            .map(|p| view! { <p class="problem" role="alert">{p}</p> })
    }
}

/// Administrators of the server make workspaces (and own them).
#[component]
fn NewWorkspace() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let made = RwSignal::new(false);
    let create = move |_| {
        let wanted = name.get_untracked();
        leptos::task::spawn_local(async move {
            match create_workspace(wanted).await {
                Ok(_) => {
                    made.set(true);
                    problem.set(None);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="settings-section" data-testid="new-workspace">
            <h2>"New workspace"</h2>
            {problem_line(problem)}
            <div class="settings-row">
                <label>
                    "Name"
                    <input
                        maxlength="80"
                        prop:value=name
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <button on:click=create>"Make the workspace"</button>
            </div>
            {move || {
                made.get()
                    .then(|| {
                        view! {
                            <p class="hint">
                                "Made; you own it. Switch to it from the home page."
                            </p>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn Members(admin: bool) -> impl IntoView {
    let members = Resource::new(|| (), |_| list_members());
    let problem = RwSignal::new(None::<String>);
    let reset = RwSignal::new(None::<(String, String)>);
    let make_reset = move |user: crate::model::UserId, email: String| {
        leptos::task::spawn_local(async move {
            match create_reset_link(user).await {
                Ok(path) => reset.set(Some((email, format!("{}{path}", origin())))),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let invite = RwSignal::new(None::<NewInvite>);
    let role = RwSignal::new(Role::Viewer);
    let change = move |user: crate::model::UserId, role: Option<Role>| {
        leptos::task::spawn_local(async move {
            match change_member(user, role).await {
                Ok(()) => members.refetch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let make_invite = move |_| {
        leptos::task::spawn_local(async move {
            match create_invite(role.get_untracked(), 7).await {
                Ok(made) => invite.set(Some(made)),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="settings-section" data-testid="members">
            <h2>"Members"</h2>
            {problem_line(problem)}
            <Suspense>
                {move || Suspend::new(async move {
                    members
                        .await
                        .map(|list| {
                            view! {
                                <table class="settings-table">
                                    <thead>
                                        <tr>
                                            <th>"Email"</th>
                                            <th>"Name"</th>
                                            <th>"Role"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|m| {
                                                let (u1, u2, u3) = (
                                                    m.user.clone(),
                                                    m.user.clone(),
                                                    m.user.clone(),
                                                );
                                                let email = m.email.clone();
                                                view! {
                                                    <tr>
                                                        <td>{m.email}</td>
                                                        <td>{m.name}</td>
                                                        <td>
                                                            <select
                                                                aria-label="Role"
                                                                on:change=move |ev| {
                                                                    if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                                                        change(u1.clone(), Some(r));
                                                                    }
                                                                }
                                                            >
                                                                {Role::ALL
                                                                    .into_iter()
                                                                    .map(|r| {
                                                                        view! {
                                                                            <option value=r.as_str() selected=r == m.role>
                                                                                {r.as_str()}
                                                                            </option>
                                                                        }
                                                                    })
                                                                    .collect_view()}
                                                            </select>
                                                        </td>
                                                        <td>
                                                            <button
                                                                class="danger small"
                                                                on:click=move |_| change(u2.clone(), None)
                                                            >
                                                                "Remove"
                                                            </button>
                                                            {admin
                                                                .then(|| {
                                                                    view! {
                                                                        <button
                                                                            class="small"
                                                                            title="A one-time link that sets a new password"
                                                                            on:click=move |_| make_reset(u3.clone(), email.clone())
                                                                        >
                                                                            "Reset link"
                                                                        </button>
                                                                    }
                                                                })}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                        })
                        .map(IntoAny::into_any)
                        .unwrap_or_else(failed)
                })}
            </Suspense>
            {move || {
                reset
                    .get()
                    .map(|(email, url)| {
                        view! {
                            <p class="secret">
                                {format!("Give {email} this one-time link (valid 24 hours): ")}
                                <code>{url}</code>
                            </p>
                        }
                    })
            }}
            <div class="settings-row">
                <label>
                    "Invite as"
                    <select
                        data-testid="invite-role"
                        on:change=move |ev| {
                            if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                role.set(r);
                            }
                        }
                    >
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button on:click=make_invite data-testid="make-invite">
                    "Make an invitation link"
                </button>
            </div>
            {move || {
                invite
                    .get()
                    .map(|made| {
                        let url = format!("{}{}", origin(), made.path);
                        view! {
                            <p class="secret">
                                "Send this link to the person to invite (once, as "
                                {made.role.as_str()} ", until " {utc_minute(made.expires_at_ms)}
                                "): " <code data-testid="invite-link">{url}</code>
                            </p>
                        }
                    })
            }}
        </section>
    }
}

/// This page's origin (`https://wall.example.com`), for links to copy; empty on the
/// server, where links are made only on request.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
fn ApiTokens(owner: bool) -> impl IntoView {
    let tokens = Resource::new(|| (), |_| list_api_tokens());
    let problem = RwSignal::new(None::<String>);
    let made = RwSignal::new(None::<NewApiToken>);
    let label = RwSignal::new(String::new());
    let scope = RwSignal::new(TokenScope::Read);
    let days = RwSignal::new(String::from("90"));
    let wide = RwSignal::new(false);
    let create = move |_| {
        let form = ApiTokenForm {
            label: label.get_untracked(),
            scope: scope.get_untracked(),
            expires_in_days: days.get_untracked().trim().parse().ok(),
            workspace_wide: wide.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match create_api_token(form).await {
                Ok(token) => {
                    made.set(Some(token));
                    problem.set(None);
                    tokens.refetch();
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let revoke = move |id: crate::model::ApiTokenId| {
        leptos::task::spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(()) => tokens.refetch(),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="settings-section" data-testid="api-tokens">
            <h2>"API tokens"</h2>
            <p class="hint">
                "For automation: send one as " <code>"Authorization: Bearer …"</code>
                ". Read lists dashboards and datasets and opens live streams; dashboards also saves them; push sends rows to pushed datasets."
            </p>
            {problem_line(problem)}
            <div class="settings-row">
                <label>
                    "Label"
                    <input
                        data-testid="token-label"
                        maxlength="80"
                        prop:value=label
                        on:input=move |ev| label.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Scope"
                    <select on:change=move |ev| {
                        if let Some(s) = TokenScope::parse(&event_target_value(&ev)) {
                            scope.set(s);
                        }
                    }>
                        {TokenScope::ALL
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Days (empty: until revoked)"
                    <input
                        inputmode="numeric"
                        prop:value=days
                        on:input=move |ev| days.set(event_target_value(&ev))
                    />
                </label>
                {owner
                    .then(|| {
                        view! {
                            <label class="inline">
                                <input
                                    type="checkbox"
                                    on:change=move |ev| wide.set(event_target_checked(&ev))
                                />
                                "Workspace token (outlives its maker)"
                            </label>
                        }
                    })}
                <button class="primary" on:click=create data-testid="make-token">
                    "Make a token"
                </button>
            </div>
            {move || {
                made.get()
                    .map(|t| {
                        view! {
                            <p class="secret">
                                "Copy it now, it is not shown again: "
                                <code data-testid="token-secret">{t.secret}</code>
                            </p>
                        }
                    })
            }}
            <Suspense>
                {move || Suspend::new(async move {
                    tokens
                        .await
                        .map(|list| {
                            view! {
                                <table class="settings-table">
                                    <thead>
                                        <tr>
                                            <th>"Label"</th>
                                            <th>"Scope"</th>
                                            <th>"Made by"</th>
                                            <th>"Expires"</th>
                                            <th>"Last used"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|t| {
                                                let id = t.id.clone();
                                                view! {
                                                    <tr>
                                                        <td>{t.label}</td>
                                                        <td>{t.scope.as_str()}</td>
                                                        <td>{t.owner.unwrap_or_else(|| "workspace".into())}</td>
                                                        <td>{t.expires_at_ms.map(utc_minute).unwrap_or_else(|| "never".into())}</td>
                                                        <td>{t.last_used_ms.map(utc_minute).unwrap_or_else(|| "never".into())}</td>
                                                        <td>
                                                            <button
                                                                class="danger small"
                                                                on:click=move |_| revoke(id.clone())
                                                            >
                                                                "Revoke"
                                                            </button>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                        })
                        .map(IntoAny::into_any)
                        .unwrap_or_else(failed)
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Audit() -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let entries = Resource::new(
        move || filter.get(),
        |action| async move {
            let action = Some(action.trim().to_string()).filter(|a| !a.is_empty());
            audit_log(action).await
        },
    );
    let actions = [
        "sign_in",
        "sign_in_failed",
        "member_joined",
        "role_changed",
        "member_removed",
        "invite_created",
        "dashboard_created",
        "dashboard_saved",
        "dashboard_deleted",
        "dataset_created",
        "push_token_created",
        "push_token_revoked",
        "share_link_created",
        "share_link_revoked",
        "api_token_created",
        "api_token_revoked",
    ];
    view! {
        <section class="settings-section" data-testid="audit">
            <h2>"Audit log"</h2>
            <label>
                "Action"
                <select on:change=move |ev| filter.set(event_target_value(&ev))>
                    <option value="">"all"</option>
                    {actions
                        .into_iter()
                        .map(|a| view! { <option value=a>{a}</option> })
                        .collect_view()}
                </select>
            </label>
            <Suspense>
                {move || Suspend::new(async move {
                    entries
                        .await
                        .map(|lines| {
                            view! {
                                <table class="settings-table">
                                    <thead>
                                        <tr>
                                            <th>"When"</th>
                                            <th>"Who"</th>
                                            <th>"What"</th>
                                            <th>"On"</th>
                                            <th>"Detail"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {lines
                                            .into_iter()
                                            .map(|l| {
                                                view! {
                                                    <tr>
                                                        <td>{utc_minute(l.at_ms)}</td>
                                                        <td>{l.actor}</td>
                                                        <td>{l.action}</td>
                                                        <td>{l.target}</td>
                                                        <td><code>{l.detail}</code></td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                        })
                        .map(IntoAny::into_any)
                        .unwrap_or_else(failed)
                })}
            </Suspense>
        </section>
    }
}
