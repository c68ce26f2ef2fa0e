//! The inspector's building blocks: `Edit<P>` (a kind's props, read and changed by its
//! inspector section) and labelled controls bound to one property each, so a kind's
//! inspector is a short list of `text(…)`, `number(…)`, `choice(…)` lines.

use leptos::prelude::*;
use std::sync::Arc;

/// Applies a change to a `P` where it is kept (the editor's dashboard).
pub type Updater<P> = Arc<dyn Fn(&dyn Fn(&mut P)) + Send + Sync>;

/// A kind's props as its inspector sees them.
pub struct Edit<P: Send + Sync + 'static> {
    pub props: Signal<P>,
    update: StoredValue<Updater<P>>,
}

impl<P: Send + Sync + 'static> Clone for Edit<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Send + Sync + 'static> Copy for Edit<P> {}

impl<P: Clone + Send + Sync + 'static> Edit<P> {
    pub fn new(props: Signal<P>, update: Updater<P>) -> Self {
        Self {
            props,
            update: StoredValue::new(update),
        }
    }

    /// Changes the props (the editor marks the dashboard unsaved).
    pub fn update(&self, f: impl Fn(&mut P)) {
        let update = self.update.get_value();
        update(&f);
    }

    /// Reads one property, tracked.
    pub fn get<T>(&self, f: impl Fn(&P) -> T) -> T {
        self.props.with(f)
    }
}

/// A one-line text property.
pub fn text<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> String,
    set: fn(&mut P, String),
) -> AnyView {
    view! {
        <label>
            {label}
            <input
                name=name
                prop:value=move || edit.get(get)
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    edit.update(|p| set(p, v.clone()));
                }
            />
        </label>
    }
    .into_any()
}

/// A multi-line text property.
pub fn area<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> String,
    set: fn(&mut P, String),
) -> AnyView {
    view! {
        <label>
            {label}
            <textarea
                name=name
                rows="6"
                prop:value=move || edit.get(get)
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    edit.update(|p| set(p, v.clone()));
                }
            ></textarea>
        </label>
    }
    .into_any()
}

/// A number property; text that is not a number leaves the property as it was.
pub fn number<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> f64,
    set: fn(&mut P, f64),
) -> AnyView {
    view! {
        <label>
            {label}
            <input
                name=name
                type="number"
                step="any"
                prop:value=move || trim_float(edit.get(get))
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<f64>() {
                        if v.is_finite() {
                            edit.update(|p| set(p, v));
                        }
                    }
                }
            />
        </label>
    }
    .into_any()
}

/// An optional number: empty text clears it.
pub fn optional_number<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> Option<f64>,
    set: fn(&mut P, Option<f64>),
) -> AnyView {
    view! {
        <label>
            {label}
            <input
                name=name
                type="number"
                step="any"
                placeholder="none"
                prop:value=move || edit.get(get).map(trim_float).unwrap_or_default()
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let text = text.trim();
                    if text.is_empty() {
                        edit.update(|p| set(p, None));
                    } else if let Ok(v) = text.parse::<f64>() {
                        if v.is_finite() {
                            edit.update(|p| set(p, Some(v)));
                        }
                    }
                }
            />
        </label>
    }
    .into_any()
}

/// A yes/no property.
pub fn check<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> bool,
    set: fn(&mut P, bool),
) -> AnyView {
    view! {
        <label class="inline">
            <input
                type="checkbox"
                name=name
                prop:checked=move || edit.get(get)
                on:change=move |ev| {
                    let v = event_target_checked(&ev);
                    edit.update(|p| set(p, v));
                }
            />
            {label}
        </label>
    }
    .into_any()
}

/// One of a fixed set of values, each with a key and a label.
pub fn choice<P: Clone + Send + Sync + 'static, T: Copy + PartialEq + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    options: &'static [(T, &'static str, &'static str)],
    get: fn(&P) -> T,
    set: fn(&mut P, T),
) -> AnyView {
    view! {
        <label>
            {label}
            <select
                name=name
                on:change=move |ev| {
                    let key = event_target_value(&ev);
                    if let Some((v, _, _)) = options.iter().find(|(_, k, _)| *k == key) {
                        let v = *v;
                        edit.update(|p| set(p, v));
                    }
                }
            >
                {options
                    .iter()
                    .map(|(v, key, text)| {
                        let v = *v;
                        view! {
                            <option value=*key selected=move || edit.get(get) == v>
                                {*text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}

/// `2.50` → `2.5`, `3.0` → `3`: numbers as an author typed them.
pub fn trim_float(v: f64) -> String {
    let text = format!("{v}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// Uploads a picture for an image widget (`POST /api/v1/images`) and uses it.
pub fn image_upload(edit: Edit<super::Image>) -> AnyView {
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let chosen = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let sent: Result<ImageUploaded, String> =
                crate::components::upload::send(input, "/api/v1/images").await;
            busy.try_set(false);
            match sent {
                Ok(done) => {
                    problem.try_set(None);
                    edit.update(|p| {
                        p.source = Some(super::image::ImageSource::Upload {
                            upload: done.id.clone(),
                        })
                    });
                }
                Err(e) => {
                    problem.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <label>
            "Or upload a picture (PNG, JPEG, GIF, WebP)"
            <input type="file" name="image_file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=chosen disabled=busy />
        </label>
        {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
    }
    .into_any()
}

/// What `POST /api/v1/images` answers.
#[derive(Debug, Clone, serde::Deserialize)]
struct ImageUploaded {
    id: crate::model::UploadId,
}
