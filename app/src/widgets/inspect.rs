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

// Each control's view is built by one non-generic function; the generic wrappers only
// turn a property into a signal and a callback. (Generic views would be compiled once
// per kind, which costs bundle size for nothing.)

/// The property `get` reads, as a signal, and a callback that stores a new value through
/// `set`.
fn bound<P: Clone + Send + Sync + 'static, T: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    get: fn(&P) -> T,
    set: fn(&mut P, T),
) -> (Signal<T>, Callback<T>) {
    (
        Signal::derive(move || edit.get(get)),
        Callback::new(move |v: T| edit.update(|p| set(p, v.clone()))),
    )
}

/// A one-line text property.
pub fn text<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> String,
    set: fn(&mut P, String),
) -> AnyView {
    let (value, changed) = bound(edit, get, set);
    text_control(label, name, value, changed)
}

fn text_control(
    label: &'static str,
    name: &'static str,
    value: Signal<String>,
    changed: Callback<String>,
) -> AnyView {
    view! {
        <label>
            {label}
            <input name=name prop:value=value on:input=move |ev| changed.run(event_target_value(&ev)) />
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
    let (value, changed) = bound(edit, get, set);
    area_control(label, name, value, changed)
}

fn area_control(
    label: &'static str,
    name: &'static str,
    value: Signal<String>,
    changed: Callback<String>,
) -> AnyView {
    view! {
        <label>
            {label}
            <textarea name=name rows="6" prop:value=value on:input=move |ev| changed.run(event_target_value(&ev))></textarea>
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
    let (value, changed) = bound(edit, get, set);
    let value = Signal::derive(move || Some(value.get()));
    let changed = Callback::new(move |v: Option<f64>| {
        if let Some(v) = v {
            changed.run(v)
        }
    });
    number_control(label, name, value, changed, false)
}

/// An optional number: empty text clears it.
pub fn optional_number<P: Clone + Send + Sync + 'static>(
    edit: Edit<P>,
    label: &'static str,
    name: &'static str,
    get: fn(&P) -> Option<f64>,
    set: fn(&mut P, Option<f64>),
) -> AnyView {
    let (value, changed) = bound(edit, get, set);
    number_control(label, name, value, changed, true)
}

fn number_control(
    label: &'static str,
    name: &'static str,
    value: Signal<Option<f64>>,
    changed: Callback<Option<f64>>,
    optional: bool,
) -> AnyView {
    view! {
        <label>
            {label}
            <input
                name=name
                type="number"
                step="any"
                placeholder=optional.then_some("none")
                prop:value=move || value.get().map(trim_float).unwrap_or_default()
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let text = text.trim();
                    if text.is_empty() {
                        if optional {
                            changed.run(None);
                        }
                    } else if let Ok(v) = text.parse::<f64>() {
                        if v.is_finite() {
                            changed.run(Some(v));
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
    let (value, changed) = bound(edit, get, set);
    check_control(label, name, value, changed)
}

fn check_control(
    label: &'static str,
    name: &'static str,
    value: Signal<bool>,
    changed: Callback<bool>,
) -> AnyView {
    view! {
        <label class="inline">
            <input type="checkbox" name=name prop:checked=value on:change=move |ev| changed.run(event_target_checked(&ev)) />
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
    // The control sees keys only: the selected one, and the one picked.
    let selected = Signal::derive(move || {
        let now = edit.get(get);
        options
            .iter()
            .find(|(v, _, _)| *v == now)
            .map(|(_, k, _)| *k)
            .unwrap_or_default()
    });
    let picked = Callback::new(move |key: String| {
        if let Some((v, _, _)) = options.iter().find(|(_, k, _)| *k == key) {
            let v = *v;
            edit.update(|p| set(p, v));
        }
    });
    let keys: Vec<(&'static str, &'static str)> =
        options.iter().map(|(_, k, t)| (*k, *t)).collect();
    choice_control(label, name, keys, selected, picked)
}

fn choice_control(
    label: &'static str,
    name: &'static str,
    options: Vec<(&'static str, &'static str)>,
    selected: Signal<&'static str>,
    picked: Callback<String>,
) -> AnyView {
    view! {
        <label>
            {label}
            <select name=name on:change=move |ev| picked.run(event_target_value(&ev))>
                {options
                    .into_iter()
                    .map(|(key, text)| view! { <option value=key selected=move || selected.get() == key>{text}</option> })
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
