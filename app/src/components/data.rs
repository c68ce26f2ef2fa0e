//! The data components: a dataset's refresh status, the form for a dataset fed by the
//! push API (the Connect dialog's "Pushed" tab), and the push tokens of a pushed
//! dataset (a new token's secret is shown once, with a ready-to-run `curl`).

use super::connect::parse_stale_after;
use crate::api::{create_push_dataset, create_push_token, list_push_tokens, revoke_push_token};
use crate::api::{NewPushToken, PushToken};
use crate::model::{DatasetId, DatasetSummary, Field, FieldKind, Frame, NewPushDataset, PushMode};
use leptos::prelude::*;

/// A Unix-ms time as the viewer's local clock time (UTC on the server).
pub fn clock(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
            .to_locale_time_string("default")
            .into()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let secs = ms.div_euclid(1000).rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02} UTC",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// When the dataset was last refreshed, and why its last refresh failed, if it did.
#[component]
pub fn DatasetStatus(frame: Signal<Option<Frame>>) -> impl IntoView {
    move || {
        let frame = frame.get()?;
        let updated = if frame.updated_at_ms > 0 {
            format!(
                "Updated {} · {} {}",
                clock(frame.updated_at_ms),
                frame.rows.len(),
                if frame.rows.len() == 1 { "row" } else { "rows" }
            )
        } else {
            "No data yet".to_string()
        };
        Some(view! {
            <p class="dataset-status" data-testid="dataset-status">{updated}</p>
            {frame.error.map(|e| view! { <p class="problem" role="alert">{format!("Last refresh failed: {e}")}</p> })}
        }.into_any())
    }
}

/// Creates a dataset fed by the push API; `created` gets it.
#[component]
pub fn NewPushedDataset(created: Callback<DatasetSummary>) -> impl IntoView {
    let name = RwSignal::new("pushed".to_string());
    let field = RwSignal::new("value".to_string());
    let append = RwSignal::new(false);
    let keep = RwSignal::new("1000".to_string());
    let stale_after = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let create = move |_| {
        let mode = if append.get_untracked() {
            match keep.get_untracked().trim().parse() {
                Ok(max_rows) => PushMode::Append {
                    max_rows,
                    max_age_secs: None,
                },
                Err(_) => {
                    problem.set(Some("rows to keep: a whole number".into()));
                    return;
                }
            }
        } else {
            PushMode::Replace
        };
        let stale_after_secs = match parse_stale_after(&stale_after.get_untracked()) {
            Ok(secs) => secs,
            Err(e) => return problem.set(Some(e)),
        };
        let form = NewPushDataset {
            stale_after_secs,
            name: name.get_untracked(),
            fields: vec![Field {
                name: field.get_untracked().trim().to_string(),
                kind: FieldKind::Number,
            }],
            mode,
        };
        if let Err(e) = form.validate() {
            problem.set(Some(e.to_string()));
            return;
        }
        problem.set(None);
        leptos::task::spawn_local(async move {
            match create_push_dataset(form).await {
                Ok(dataset) => created.run(dataset),
                Err(e) => {
                    problem.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <div class="push-form" data-testid="push-form">
            <p class="hint">
                "Rows arrive through the push API (POST /api/v1/datasets/{id}/rows with a push token); "
                "nothing is read, so there is nothing to test first."
            </p>
            <label>
                "Name"
                <input name="push-name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>
                "Number field"
                <input name="push-field" prop:value=field on:input=move |ev| field.set(event_target_value(&ev)) />
            </label>
            <label class="inline">
                <input
                    type="checkbox"
                    name="push-append"
                    prop:checked=append
                    on:change=move |ev| append.set(event_target_checked(&ev))
                />
                "Keep a history (append) instead of the last push only"
            </label>
            <Show when=move || append.get()>
                <label>
                    "Rows to keep"
                    <input
                        name="push-keep"
                        type="number"
                        min="1"
                        prop:value=keep
                        on:input=move |ev| keep.set(event_target_value(&ev))
                    />
                </label>
            </Show>
            <label>
                "Stale after (s) without a push; empty: never"
                <input
                    name="push-stale-after"
                    type="number"
                    min="1"
                    prop:value=stale_after
                    on:input=move |ev| stale_after.set(event_target_value(&ev))
                />
            </label>
            <button class="primary" on:click=create data-testid="create-pushed">"Create dataset"</button>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
        </div>
    }
    .into_any()
}

/// The push tokens of `dataset`: create (the secret shows once), list and revoke.
#[component]
pub fn PushTokens(dataset: DatasetSummary) -> impl IntoView {
    let id: StoredValue<DatasetId> = StoredValue::new(dataset.id.clone());
    let field = dataset
        .fields
        .first()
        .map(|f| f.name.clone())
        .unwrap_or_else(|| "value".into());
    let tokens = RwSignal::new(Vec::<PushToken>::new());
    let fresh = RwSignal::new(None::<NewPushToken>);
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let dataset = id.get_value();
        leptos::task::spawn_local(async move {
            match list_push_tokens(dataset).await {
                Ok(found) => {
                    tokens.try_set(found);
                }
                Err(e) => {
                    problem.try_set(Some(e.to_string()));
                }
            }
        });
    });
    let create = move |_| {
        let dataset = id.get_value();
        leptos::task::spawn_local(async move {
            match create_push_token(dataset, "editor".into()).await {
                Ok(made) => {
                    tokens.try_update(|t| t.push(made.token.clone()));
                    fresh.try_set(Some(made));
                }
                Err(e) => {
                    problem.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let revoke = move |token: PushToken| {
        leptos::task::spawn_local(async move {
            match revoke_push_token(token.dataset.clone(), token.id.clone()).await {
                Ok(()) => {
                    tokens.try_update(|t| t.retain(|k| k.id != token.id));
                    fresh.try_update(|f| {
                        if f.as_ref().is_some_and(|f| f.token.id == token.id) {
                            *f = None;
                        }
                    });
                }
                Err(e) => {
                    problem.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let curl = move |secret: &str| {
        let origin = origin();
        format!(
            "curl -X POST {origin}/api/v1/datasets/{}/rows \\\n  -H 'Authorization: Bearer {secret}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"{field}\": 42}}'",
            id.get_value()
        )
    };
    view! {
        <div class="push-tokens">
            <h3>"Push tokens"</h3>
            {move || {
                fresh
                    .get()
                    .map(|made| {
                        view! {
                            <div class="secret" data-testid="push-secret">
                                <p>"Copy this token now: it is not shown again."</p>
                                <pre>{curl(&made.secret)}</pre>
                            </div>
                        }
                    })
            }}
            <ul class="share-links">
                <For each=move || tokens.get() key=|t| t.id.clone() let:token>
                    {
                        let to_revoke = token.clone();
                        view! {
                            <li>
                                <span>{format!("{} · {}", token.label, clock(token.created_at_ms))}</span>
                                <button class="danger small" on:click=move |_| revoke(to_revoke.clone())>"Revoke"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <button on:click=create data-testid="create-push-token">"New token"</button>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
        </div>
    }
    .into_any()
}

/// This page's origin (`http://host:port`), for examples.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
