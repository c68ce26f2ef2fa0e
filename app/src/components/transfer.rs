//! Moving dashboards between instances in the browser: saving an export as a file, and
//! the import panel (choose a file, see what it holds and any error with its field,
//! map each dataset it reads onto one of this workspace's or leave it unbound).

use crate::api::{import_dashboard, list_datasets};
#[cfg(feature = "hydrate")]
use crate::model::transfer::MAX_IMPORT_BYTES;
use crate::model::transfer::{DatasetChoice, Exported};
use crate::model::{DatasetId, DatasetSummary};
use leptos::prelude::*;

/// Offers `text` as a file named `name` (the browser's download).
pub fn download(name: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(link) = document.create_element("a") else {
            return;
        };
        let href = format!(
            "data:application/json;charset=utf-8,{}",
            js_sys::encode_uri_component(text)
        );
        let _ = link.set_attribute("href", &href);
        let _ = link.set_attribute("download", name);
        if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
            link.click();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, text);
}

/// A file name for an export of dashboard `name`: letters, digits and dashes.
pub fn export_file_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "dashboard" } else { slug };
    format!("{slug}.wallboard.json")
}

/// The text of the file chosen in `input`, refused past `MAX_IMPORT_BYTES`.
async fn read_file(input: web_sys::HtmlInputElement) -> Result<String, String> {
    #[cfg(feature = "hydrate")]
    {
        let file = input
            .files()
            .and_then(|files| files.get(0))
            .ok_or("choose a file")?;
        if file.size() > MAX_IMPORT_BYTES as f64 {
            return Err(format!(
                "{} has {} bytes; an exported dashboard has at most {MAX_IMPORT_BYTES}",
                file.name(),
                file.size()
            ));
        }
        wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| format!("{} could not be read", file.name()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = input;
        Err("files are read in the browser".into())
    }
}

/// What the chosen file holds, ready to map.
#[derive(Clone)]
struct Chosen {
    text: String,
    exported: Exported,
}

/// Import a dashboard from a file: its datasets are matched by name to this
/// workspace's (when exactly one has the name), and each can be changed or left
/// unbound before **Import** makes the dashboard and opens it.
#[component]
pub fn ImportPanel() -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let chosen = RwSignal::new(None::<Chosen>);
    let problem = RwSignal::new(None::<String>);
    let datasets = RwSignal::new(Vec::<DatasetSummary>::new());
    // The author's choice per referenced dataset, in the document's order.
    let choices = RwSignal::new(Vec::<DatasetChoice>::new());
    let busy = RwSignal::new(false);

    let on_file = move || {
        let Some(input) = file.get_untracked() else {
            return;
        };
        chosen.set(None);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let text = match read_file(input).await {
                Ok(text) => text,
                Err(e) => return problem.set(Some(e)),
            };
            let exported = match Exported::parse(&text) {
                Ok(exported) => exported,
                Err(e) => return problem.set(Some(format!("This file cannot be imported: {e}"))),
            };
            let available = list_datasets().await.unwrap_or_default();
            choices
                .set(exported.choices_by_name(available.iter().map(|d| (&d.id, d.name.as_str()))));
            datasets.set(available);
            chosen.set(Some(Chosen { text, exported }));
        });
    };

    // A file chosen before the page hydrated fired its change event into nothing: read
    // it once the panel is live.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = file.get() {
            if input.files().is_some_and(|files| files.length() > 0) {
                on_file();
            }
        }
    });

    let import = move |_| {
        let Some(Chosen { text, .. }) = chosen.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match import_dashboard(text, choices.get_untracked()).await {
                Ok(made) => {
                    let _ = window().location().set_href(&format!("/edit/{}", made.id));
                }
                Err(e) => {
                    busy.set(false);
                    problem.set(Some(format!("Not imported: {e}")));
                }
            }
        });
    };

    let choose = move |i: usize, to: String| {
        choices.update(|all| {
            if let Some(c) = all.get_mut(i) {
                c.to = DatasetId::parse(to).ok();
            }
        });
    };

    view! {
        <div class="import" data-testid="import">
            <label>
                "Import a dashboard "
                <input
                    type="file"
                    accept=".json,application/json"
                    data-testid="import-file"
                    node_ref=file
                    on:change=move |_| on_file()
                />
            </label>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="import-problem">{p}</p> })}
            {move || {
                chosen
                    .get()
                    .map(|c| {
                        let summary = format!(
                            "\u{201c}{}\u{201d}: {} widgets, {} × {}",
                            c.exported.dashboard.name,
                            c.exported.dashboard.widgets.len(),
                            c.exported.dashboard.resolution.width,
                            c.exported.dashboard.resolution.height,
                        );
                        let refs = c.exported.datasets.clone();
                        view! {
                            <div class="import-map">
                                <p data-testid="import-summary">{summary}</p>
                                {(!refs.is_empty())
                                    .then(|| view! { <p class="hint">"Its widgets read these datasets; choose one of yours for each, or leave it unbound."</p> })}
                                <table>
                                    <tbody>
                                        {refs
                                            .into_iter()
                                            .enumerate()
                                            .map(|(i, r)| {
                                                let label = format!("Dataset for \u{201c}{}\u{201d}", r.name);
                                                let chosen_is = move |id: Option<&DatasetId>| {
                                                    choices.with(|all| all.get(i).and_then(|c| c.to.as_ref()) == id)
                                                };
                                                view! {
                                                    <tr>
                                                        <td>{r.name.clone()}</td>
                                                        <td>
                                                            <select
                                                                aria-label=label
                                                                data-testid="import-choice"
                                                                on:change=move |ev| choose(i, event_target_value(&ev))
                                                            >
                                                                <option value="" selected=move || chosen_is(None)>"leave unbound"</option>
                                                                {move || datasets
                                                                    .get()
                                                                    .into_iter()
                                                                    .map(|d| {
                                                                        let id = d.id.clone();
                                                                        view! {
                                                                            <option value=d.id.to_string() selected=move || chosen_is(Some(&id))>
                                                                                {d.name}
                                                                            </option>
                                                                        }
                                                                    })
                                                                    .collect_view()}
                                                            </select>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <button class="primary" data-testid="import-go" prop:disabled=move || busy.get() on:click=import>
                                    "Import"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_file_is_named_after_its_dashboard() {
        assert_eq!(export_file_name("Sales wall"), "sales-wall.wallboard.json");
        assert_eq!(
            export_file_name("Ops / EU (2026)"),
            "ops-eu-2026.wallboard.json"
        );
        assert_eq!(export_file_name("///"), "dashboard.wallboard.json");
    }
}
