//! The data components: a dataset's refresh status, the form for a dataset fed by the
//! push API (the Connect dialog's "Pushed" tab), and the push tokens of a pushed
//! dataset (a new token's secret is shown once, with a ready-to-run `curl`).

use super::connect::{parse_stale_after, saving, stale_after_text, Text};
use crate::api::{create_push_dataset, create_push_token, list_push_tokens, revoke_push_token};
use crate::api::{update_push_dataset, DatasetUpdated, NewPushToken, PushToken};
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

/// A field of a pushed dataset as the author is editing it.
#[derive(Debug, Clone, PartialEq)]
struct FieldDraft {
    key: u64,
    name: String,
    kind: FieldKind,
}

const FIELD_KINDS: [(FieldKind, &str, &str); 3] = [
    (FieldKind::Number, "number", "Number"),
    (FieldKind::Text, "text", "Text"),
    (FieldKind::Boolean, "boolean", "Yes / no"),
];

/// The settings of a dataset fed by the push API: its name, fields, whether pushes add
/// rows (keeping how many, for how long) or replace them, and when it counts as stale.
/// Creates a dataset (`created` gets it) or, with `editing`, changes one (`updated`
/// gets what changed); an edit keeps the add-or-replace choice.
#[component]
pub fn PushedForm(
    #[prop(optional)] editing: Option<(DatasetId, NewPushDataset)>,
    #[prop(optional, into)] created: Option<Callback<DatasetSummary>>,
    #[prop(optional, into)] updated: Option<Callback<DatasetUpdated>>,
) -> impl IntoView {
    let start = editing.as_ref().map(|(_, form)| form.clone());
    let edit_id = StoredValue::new(editing.map(|(id, _)| id));
    let is_edit = start.is_some();
    let name = RwSignal::new(
        start
            .as_ref()
            .map_or_else(|| "pushed".to_string(), |f| f.name.clone()),
    );
    let first = start.as_ref().map_or_else(
        || {
            vec![Field {
                name: "value".into(),
                kind: FieldKind::Number,
            }]
        },
        |f| f.fields.clone(),
    );
    let next_key = StoredValue::new(first.len() as u64);
    let fields = RwSignal::new(
        first
            .into_iter()
            .enumerate()
            .map(|(i, f)| FieldDraft {
                key: i as u64,
                name: f.name,
                kind: f.kind,
            })
            .collect::<Vec<_>>(),
    );
    let (append0, keep0, age0) = match start.as_ref().map(|f| f.mode) {
        Some(PushMode::Append {
            max_rows,
            max_age_secs,
        }) => (
            true,
            max_rows.to_string(),
            max_age_secs.map(|s| s.to_string()).unwrap_or_default(),
        ),
        Some(PushMode::Replace) => (false, "1000".to_string(), String::new()),
        None => (false, "1000".to_string(), String::new()),
    };
    let append = RwSignal::new(append0);
    let keep = RwSignal::new(keep0);
    let max_age = RwSignal::new(age0);
    let stale_after = RwSignal::new(stale_after_text(
        start.as_ref().and_then(|f| f.stale_after_secs),
    ));
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let form = move || -> Result<NewPushDataset, String> {
        let mode = if append.get_untracked() {
            let max_rows = keep
                .get_untracked()
                .trim()
                .parse()
                .map_err(|_| "rows to keep: a whole number".to_string())?;
            let max_age_secs = match max_age.get_untracked().trim() {
                "" => None,
                text => Some(
                    text.parse()
                        .map_err(|_| "drop rows older than: whole seconds, or empty".to_string())?,
                ),
            };
            PushMode::Append {
                max_rows,
                max_age_secs,
            }
        } else {
            PushMode::Replace
        };
        let form = NewPushDataset {
            stale_after_secs: parse_stale_after(&stale_after.get_untracked())?,
            name: name.get_untracked(),
            fields: fields.with_untracked(|fs| {
                fs.iter()
                    .map(|f| Field {
                        name: f.name.trim().to_string(),
                        kind: f.kind,
                    })
                    .collect()
            }),
            mode,
        };
        form.validate().map_err(|e| e.to_string())?;
        Ok(form)
    };
    let submit = move |_| {
        let form = match form() {
            Ok(form) => form,
            Err(e) => return problem.set(Some(e)),
        };
        saving(busy, problem, async move {
            match edit_id.get_value() {
                Some(id) => update_push_dataset(id, form).await.map(|done| {
                    if let Some(updated) = updated {
                        updated.run(done);
                    }
                }),
                None => create_push_dataset(form).await.map(|dataset| {
                    if let Some(created) = created {
                        created.run(dataset);
                    }
                }),
            }
        });
    };
    let add_field = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        fields.update(|fs| {
            fs.push(FieldDraft {
                key,
                name: String::new(),
                kind: FieldKind::Number,
            })
        });
    };
    let field_row = move |key: u64| {
        let read = move |f: fn(&FieldDraft) -> String| {
            move || fields.with(|fs| fs.iter().find(|d| d.key == key).map(f).unwrap_or_default())
        };
        let change = move |apply: Box<dyn FnOnce(&mut FieldDraft)>| {
            fields.update(|fs| {
                if let Some(d) = fs.iter_mut().find(|d| d.key == key) {
                    apply(d);
                }
            })
        };
        let kind_name = read(|d| {
            FIELD_KINDS
                .iter()
                .find(|(k, _, _)| *k == d.kind)
                .map(|(_, v, _)| v.to_string())
                .unwrap_or_default()
        });
        view! {
            <li class="push-field">
                <input
                    name="push-field"
                    aria-label="Field name"
                    placeholder="field name"
                    prop:value=read(|d| d.name.clone())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        change(Box::new(move |d| d.name = text));
                    }
                />
                <select
                    name="push-field-kind"
                    aria-label="Field kind"
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        if let Some((kind, _, _)) = FIELD_KINDS.iter().find(|(_, v, _)| *v == chosen) {
                            let kind = *kind;
                            change(Box::new(move |d| d.kind = kind));
                        }
                    }
                >
                    {FIELD_KINDS.iter().map(|(_, value, label)| {
                        let value = *value;
                        view! { <option value=value selected=move || kind_name() == value>{*label}</option> }
                    }).collect_view()}
                </select>
                <button
                    class="small"
                    aria-label="Remove this field"
                    disabled=move || fields.with(|fs| fs.len() <= 1)
                    on:click=move |_| fields.update(|fs| fs.retain(|d| d.key != key))
                >"Remove"</button>
            </li>
        }
    };
    view! {
        <div class="push-form" data-testid="push-form">
            {(!is_edit).then(|| view! {
                <p class="hint">
                    "Rows arrive through the push API (POST /api/v1/datasets/{id}/rows with a push token); "
                    "nothing is read, so there is nothing to test first."
                </p>
            })}
            <Text label="Name" name="push-name" value=name />
            <fieldset class="push-fields">
                <legend>"Fields (a row may leave any out; other names are dropped)"</legend>
                <ul>
                    <For each=move || fields.with(|fs| fs.iter().map(|d| d.key).collect::<Vec<_>>()) key=|k| *k let:key>
                        {field_row(key)}
                    </For>
                </ul>
                <button class="small" on:click=add_field data-testid="add-push-field">"Add field"</button>
            </fieldset>
            <label class="inline">
                <input
                    type="checkbox"
                    name="push-append"
                    prop:checked=append
                    disabled=is_edit
                    on:change=move |ev| append.set(event_target_checked(&ev))
                />
                "Keep a history (append) instead of the last push only"
            </label>
            {is_edit.then(|| view! {
                <p class="hint">"Whether pushes add rows or replace them stays as it was made; a new dataset can do the other."</p>
            })}
            <Show when=move || append.get()>
                <div class="row">
                    <Text label="Rows to keep" name="push-keep" value=keep kind="number" />
                    <Text label="Drop rows older than (s); empty: never" name="push-max-age" value=max_age kind="number" />
                </div>
            </Show>
            <Text label="Stale after (s) without a push; empty: never" name="push-stale-after" value=stale_after kind="number" />
            {if is_edit {
                view! { <button class="primary" on:click=submit disabled=busy data-testid="save-dataset">"Save"</button> }.into_any()
            } else {
                view! { <button class="primary" on:click=submit disabled=busy data-testid="create-pushed">"Create dataset"</button> }.into_any()
            }}
            {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="connect-problem">{p}</p> })}
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
