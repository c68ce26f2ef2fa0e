//! The right-hand panel: the selected widget's properties and data, what can be done
//! with a selection of several, or the dashboard's settings and share links when
//! nothing is selected.

use super::{EditorState, Notice};
use crate::api::{
    create_share_link, list_share_links, load_dataset_settings, revoke_share_link, DatasetUpdated,
    NewShareLink, ShareLink, ShareOptions,
};
use crate::components::{ConnectData, DatasetStatus, PushTokens, RowsTable};
use crate::model::layout::{self, Align, Axis, Stack};
use crate::model::{
    text_of, title_from_field, Accepts, Agg, Binding, DashboardId, DatasetSummary, FieldKind, Link,
    Look, Resolution, RowPick, Shape, Theme, WidgetId, WidgetKind,
};
use crate::widgets::format::{Color, Locale, Notation, Step, Thresholds};
use crate::widgets::inspect::{self, Edit};
use leptos::{ev, prelude::*};

/// What the inspector shows.
#[derive(Debug, Clone, PartialEq)]
enum Focus {
    Dashboard,
    Widget(WidgetId),
    Many(usize),
}

#[component]
pub(super) fn Inspector(state: EditorState) -> impl IntoView {
    let focus = Memo::new(move |_| {
        state.selected.with(|s| match s.len() {
            0 => Focus::Dashboard,
            1 => Focus::Widget(s[0].clone()),
            n => Focus::Many(n),
        })
    });
    move || match focus.get() {
        Focus::Widget(id) => view! { <WidgetInspector state id /> }.into_any(),
        Focus::Many(count) => view! { <SelectionInspector state count /> }.into_any(),
        Focus::Dashboard => view! { <DashboardInspector state /> }.into_any(),
    }
}

/// Several widgets selected: their bounds and what can be done with them together.
#[component]
fn SelectionInspector(state: EditorState, count: usize) -> impl IntoView {
    let bounds = move || {
        state.selected.with(|s| {
            state.dashboard.with(|d| {
                layout::bounds(
                    d.widgets
                        .iter()
                        .filter(|w| s.contains(&w.id))
                        .map(|w| w.rect),
                )
            })
        })
    };
    view! {
        <aside class="inspector" aria-label="Selection" data-testid="inspector">
            <h2>{format!("{count} widgets selected")}</h2>
            <p class="geometry" data-testid="selection-geometry">
                {move || bounds().map(|r| box_text(&r)).unwrap_or_default()}
            </p>
            <ArrangePanel state />
        </aside>
    }
}

/// A box as the inspector shows it: "x 100 · y 40 · 400 × 240".
fn box_text(r: &crate::model::Rect) -> String {
    format!("x {} · y {} · {} × {}", r.x, r.y, r.w, r.h)
}

/// Align, distribute, stack, lock, duplicate and delete the selection.
#[component]
fn ArrangePanel(state: EditorState) -> impl IntoView {
    let count = Memo::new(move |_| state.selected.with(Vec::len));
    let all_locked = move || {
        state.selected.with(|s| {
            state.dashboard.with(|d| {
                let mut chosen = d.widgets.iter().filter(|w| s.contains(&w.id)).peekable();
                chosen.peek().is_some() && chosen.all(|w| w.locked)
            })
        })
    };
    let button = |testid: &'static str,
                  text: &'static str,
                  title: &'static str,
                  act: fn(&EditorState)| {
        view! {
            <button class="small" data-testid=testid title=title aria-label=title on:click=move |_: ev::MouseEvent| act(&state)>
                {text}
            </button>
        }
    };
    view! {
        <fieldset class="arrange" data-testid="arrange">
            <legend>"Arrange"</legend>
            <div class="button-row" role="group" aria-label="Align">
                {Align::ALL
                    .into_iter()
                    .map(|how| {
                        let text = match how {
                            Align::Left => "Left",
                            Align::Center => "Centre",
                            Align::Right => "Right",
                            Align::Top => "Top",
                            Align::Middle => "Middle",
                            Align::Bottom => "Bottom",
                        };
                        view! {
                            <button
                                class="small"
                                data-testid=format!("align-{}", how.name())
                                aria-label=how.label()
                                title=move || if count.get() < 2 { format!("{} (to the canvas)", how.label()) } else { how.label().to_string() }
                                on:click=move |_| state.align(how)
                            >
                                {text}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="button-row" role="group" aria-label="Distribute">
                <button
                    class="small"
                    data-testid="distribute-x"
                    title="Equal gaps from left to right (three or more widgets)"
                    prop:disabled=move || count.get() < 3
                    on:click=move |_| state.distribute(Axis::X)
                >
                    "Distribute ↔"
                </button>
                <button
                    class="small"
                    data-testid="distribute-y"
                    title="Equal gaps from top to bottom (three or more widgets)"
                    prop:disabled=move || count.get() < 3
                    on:click=move |_| state.distribute(Axis::Y)
                >
                    "Distribute ↕"
                </button>
            </div>
            <div class="button-row" role="group" aria-label="Stacking">
                {button("to-front", "Front", "Bring to front (Ctrl+Shift+])", |s| s.restack(Stack::Front))}
                {button("forward", "Forward", "Bring forward (Ctrl+])", |s| s.restack(Stack::Forward))}
                {button("backward", "Backward", "Send backward (Ctrl+[)", |s| s.restack(Stack::Backward))}
                {button("to-back", "Back", "Send to back (Ctrl+Shift+[)", |s| s.restack(Stack::Back))}
            </div>
            <div class="button-row">
                <button class="small" data-testid="lock" title="Lock or unlock (Ctrl+Shift+L)" on:click=move |_| state.toggle_lock()>
                    {move || if all_locked() { "Unlock" } else { "Lock" }}
                </button>
                {button("duplicate", "Duplicate", "Duplicate (Ctrl+D)", |s| s.duplicate())}
                <button class="small danger" data-testid="delete" title="Delete (Delete)" on:click=move |_| state.remove_selected()>
                    "Delete"
                </button>
            </div>
        </fieldset>
    }
}

#[component]
fn WidgetInspector(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let rect = move || widget.get().map(|w| w.rect);
    // The kind's own section, edited through the widget's props.
    let kind = Signal::derive(move || {
        widget
            .get()
            .map(|w| w.kind)
            .unwrap_or_else(|| WidgetKind::Kpi(Default::default()))
    });
    let kind_name = Memo::new(move |_| kind.with(|k| k.name()));
    let update_kind: inspect::Updater<WidgetKind> =
        std::sync::Arc::new(move |f: &dyn Fn(&mut WidgetKind)| {
            state.update_widget(&id.get_value(), |w| f(&mut w.kind))
        });
    let look = Signal::derive(move || widget.get().map(|w| w.look).unwrap_or_default());
    let edit_look = Edit::new(
        look,
        std::sync::Arc::new(move |f: &dyn Fn(&mut Look)| {
            state.update_widget(&id.get_value(), |w| f(&mut w.look))
        }),
    );
    view! {
        <aside class="inspector" aria-label="Widget properties" data-testid="inspector">
            <h2>{move || format!("{} {}", kind.with(|k| k.label()), id.get_value())}</h2>
            {inspect::text(edit_look, "Title", "title", |l| l.title.clone(), |l, v| l.title = v)}
            {inspect::text(edit_look, "Subtitle", "subtitle", |l| l.subtitle.clone(), |l, v| l.subtitle = v)}
            <fieldset class="kind-props" data-testid="kind-props">
                <legend>{move || kind.with(|k| k.label())}</legend>
                {move || {
                    kind_name.track();
                    WidgetKind::inspector(kind, update_kind.clone())
                }}
            </fieldset>
            <DataPanel state id=id.get_value() />
            <LookPanel edit=edit_look />
            <p class="geometry" data-testid="geometry">
                {move || rect().map(|r| box_text(&r)).unwrap_or_default()}
            </p>
            <ArrangePanel state />
        </aside>
    }
}

/// What every kind shares: number and time formats, thresholds, colour, link, staleness.
#[component]
fn LookPanel(edit: Edit<Look>) -> impl IntoView {
    const NOTATION: &[(Notation, &str, &str)] = &[
        (Notation::Standard, "standard", "1,234.5"),
        (Notation::Compact, "compact", "1.2k"),
        (Notation::Percent, "percent", "Percent (0.25 → 25 %)"),
    ];
    static LOCALES: std::sync::LazyLock<Vec<(Locale, &'static str, &'static str)>> =
        std::sync::LazyLock::new(|| {
            Locale::ALL
                .iter()
                .map(|l| (*l, l.code(), l.label()))
                .collect()
        });
    let locales: &'static [(Locale, &'static str, &'static str)] = &LOCALES;
    view! {
        <details class="look-panel" open>
            <summary>"Format and colours"</summary>
            {inspect::choice(edit, "Numbers", "notation", NOTATION, |l| l.format.notation, |l, v| l.format.notation = v)}
            {inspect::optional_number(edit, "Decimals (empty: automatic)", "decimals", |l| l.format.decimals.map(f64::from), |l, v| l.format.decimals = v.map(|v| v.clamp(0.0, 6.0) as u8))}
            {inspect::check(edit, "Thousands separators", "thousands", |l| l.format.thousands, |l, v| l.format.thousands = v)}
            {inspect::text(edit, "Prefix", "prefix", |l| l.format.prefix.clone(), |l, v| l.format.prefix = v)}
            {inspect::text(edit, "Suffix", "suffix", |l| l.format.suffix.clone(), |l, v| l.format.suffix = v)}
            {inspect::text(edit, "Currency (EUR, USD …)", "currency", |l| l.format.currency.clone().unwrap_or_default(), |l, v| {
                let v = v.trim().to_uppercase();
                l.format.currency = (!v.is_empty()).then_some(v);
            })}
            {inspect::choice(edit, "Locale", "locale", locales, |l| l.format.locale, |l, v| l.format.locale = v)}
            {inspect::text(edit, "Date and time format (%Y-%m-%d %H:%M)", "time_pattern", |l| l.time_format.pattern.clone(), |l, v| l.time_format.pattern = v)}
            {inspect::text(edit, "Time zone (UTC, +02:00, Europe/Paris)", "time_zone", |l| l.time_format.zone.0.clone(), |l, v| l.time_format.zone.0 = v.trim().to_string())}
            {inspect::area(edit, "Thresholds: one per line, from = colour (80 = orange); base = colour", "thresholds", |l| threshold_lines(&l.thresholds), |l, v| {
                if let Ok(t) = parse_thresholds(&v) {
                    l.thresholds = t;
                }
            })}
            {inspect::text(edit, "Colour (#4f8cff or green, red …)", "color", |l| l.color.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(), |l, v| {
                let v = v.trim();
                if v.is_empty() {
                    l.color = None;
                } else if let Ok(c) = Color::parse(v) {
                    l.color = Some(c);
                }
            })}
            {inspect::text(edit, "Link (https://… or a dashboard id)", "link", |l| match &l.link {
                Some(Link::Url { url }) => url.clone(),
                Some(Link::Dashboard { id }) => id.to_string(),
                None => String::new(),
            }, |l, v| {
                let v = v.trim();
                l.link = if v.is_empty() {
                    None
                } else if v.starts_with("http") {
                    Some(Link::Url { url: v.to_string() })
                } else {
                    DashboardId::parse(v).ok().map(|id| Link::Dashboard { id })
                };
            })}
            {inspect::number(edit, "Stale after N refresh intervals (0: never)", "stale_after", |l| f64::from(l.stale_after), |l, v| l.stale_after = v.clamp(0.0, 1000.0) as u32)}
            {inspect::optional_number(edit, "Or stale after seconds (pushed data)", "stale_after_secs", |l| l.stale_after_secs.map(f64::from), |l, v| l.stale_after_secs = v.map(|v| v.clamp(0.0, 1e7) as u32))}
        </details>
    }
}

/// Thresholds as the inspector writes them: `base = colour`, then `from = colour`.
fn threshold_lines(t: &Thresholds) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(base) = &t.base {
        lines.push(format!("base = {}", base.as_str()));
    }
    for step in &t.steps {
        lines.push(format!(
            "{} = {}",
            inspect::trim_float(step.from),
            step.color.as_str()
        ));
    }
    lines.join("\n")
}

fn parse_thresholds(text: &str) -> Result<Thresholds, String> {
    let mut t = Thresholds::default();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (from, color) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: write from = colour", n + 1))?;
        let color =
            Color::parse(color.trim()).map_err(|e| format!("line {}: {}", n + 1, e.message))?;
        if from.trim().eq_ignore_ascii_case("base") {
            t.base = Some(color);
        } else {
            let from: f64 = from
                .trim()
                .parse()
                .map_err(|_| format!("line {}: '{}' is not a number", n + 1, from.trim()))?;
            t.steps.push(Step { from, color });
        }
    }
    t.validate().map_err(|e| e.to_string())?;
    Ok(t)
}

/// Binds the selected widget to a dataset, or creates one from a JSON API.
#[component]
fn DataPanel(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let binding = Memo::new(move |_| {
        state.dashboard.with(|d| {
            d.widgets
                .iter()
                .find(|w| w.id == id.get_value())
                .and_then(|w| w.binding.clone())
        })
    });
    // Takes the widget id as an argument: an answer may arrive after this panel is gone.
    // A new dataset fills each slot with a sensible field and offers a title from it.
    let bind = move |widget: &WidgetId, dataset: Option<DatasetSummary>| {
        let sample = dataset.as_ref().and_then(|d| {
            state
                .frames
                .signal(&d.id)
                .with_untracked(|f| f.as_ref().and_then(|f| f.rows.last().cloned()))
        });
        state.update_widget(widget, |w| {
            w.binding = dataset.map(|d| {
                let b = Binding::suggest(d.id.clone(), w.kind.slots(), &d.fields, sample.as_ref());
                // A title is offered from the field of the first required slot only.
                let first = w
                    .kind
                    .slots()
                    .iter()
                    .find(|s| s.required)
                    .and_then(|s| b.field(s.name));
                if let (true, Some(field)) = (w.look.title.is_empty(), first) {
                    w.look.title = title_from_field(field);
                }
                b
            })
        })
    };

    let connecting = RwSignal::new(false);
    // The dataset being edited (its settings as loaded for the form).
    let editing = RwSignal::new(None::<crate::api::EditableDataset>);
    view! {
        <fieldset class="data-panel">
            <legend>"Data"</legend>
            <label>
                "Dataset"
                <select
                    name="dataset"
                    on:change=move |ev| {
                        let chosen = event_target_value(&ev);
                        let found = state
                            .datasets
                            .with_untracked(|all| all.iter().find(|d| d.id.as_str() == chosen).cloned());
                        bind(&id.get_value(), found);
                    }
                >
                    <option value="" selected=move || binding.get().is_none()>"Not connected"</option>
                    <For
                        each=move || state.datasets.get()
                        key=|d| d.id.clone()
                        let:dataset
                    >
                        {
                            let value = dataset.id.to_string();
                            let selected_id = dataset.id.clone();
                            view! {
                                <option
                                    value=value
                                    selected=move || binding.get().map(|b| b.dataset) == Some(selected_id.clone())
                                >
                                    {dataset.name.clone()}
                                </option>
                            }
                        }
                    </For>
                </select>
            </label>
            <div class="button-row">
                <button data-testid="open-connect" on:click=move |_| connecting.set(true)>"Connect data…"</button>
                <Show when=move || binding.with(Option::is_some)>
                    <button
                        data-testid="edit-dataset"
                        title="Change this dataset's name, source, pipeline or refresh, or delete it"
                        on:click=move |_| {
                            let Some(dataset) = binding.get_untracked().map(|b| b.dataset) else {
                                return;
                            };
                            leptos::task::spawn_local(async move {
                                match load_dataset_settings(dataset).await {
                                    Ok(found) => editing.set(Some(found)),
                                    Err(e) => state.tell(Notice::Problem(format!("Cannot edit the dataset: {e}"))),
                                }
                            });
                        }
                    >
                        "Edit dataset…"
                    </button>
                </Show>
            </div>
            {move || editing.get().map(|found| view! {
                <ConnectData
                    editing=found
                    updated=Callback::new(move |done: DatasetUpdated| {
                        let summary = done.dataset.clone();
                        state.datasets.update(|all| {
                            if let Some(d) = all.iter_mut().find(|d| d.id == summary.id) {
                                *d = summary.clone();
                            }
                        });
                        editing.set(None);
                        if done.affected.is_empty() {
                            state.tell(Notice::Info(format!("Dataset \u{201c}{}\u{201d} saved; every screen follows.", summary.name)));
                        } else {
                            state.tell(Notice::Problem(format!(
                                "Dataset saved, but these widgets read a field it no longer has: {}",
                                done.affected.join("; ")
                            )));
                        }
                    })
                    deleted=Callback::new(move |gone: crate::model::DatasetId| {
                        state.datasets.update(|all| all.retain(|d| d.id != gone));
                        editing.set(None);
                        state.tell(Notice::Info("Dataset deleted.".into()));
                    })
                    close=Callback::new(move |()| editing.set(None))
                />
            })}
            <Show when=move || connecting.get()>
                <ConnectData
                    created=Callback::new(move |dataset: DatasetSummary| {
                        state.datasets.update(|all| all.push(dataset.clone()));
                        bind(&id.get_value(), Some(dataset));
                        connecting.set(false);
                    })
                    close=Callback::new(move |()| connecting.set(false))
                />
            </Show>
            <SlotFields state id=id.get_value() />
            <DatasetStatus frame=Signal::derive(move || {
                let dataset = binding.get()?.dataset;
                state.frames.get(&dataset)
            }) />
            <Show when=move || binding.with(Option::is_some)>
                <details class="dataset-rows" data-testid="dataset-rows">
                    <summary>"Rows"</summary>
                    <RowsTable
                        rows=Signal::derive(move || {
                            binding
                                .get()
                                .and_then(|b| state.frames.get(&b.dataset).map(|f| f.rows))
                                .unwrap_or_default()
                        })
                        limit=10
                    />
                </details>
            </Show>
            {move || {
                let dataset = binding.get()?.dataset;
                let summary = state
                    .datasets
                    .with(|all| all.iter().find(|d| d.id == dataset).cloned())?;
                summary.push.is_some().then(|| view! { <PushTokens dataset=summary /> })
            }}
        </fieldset>
    }
    .into_any()
}

/// Which field fills each of the kind's slots, and which row single values come from.
#[component]
fn SlotFields(state: EditorState, id: WidgetId) -> impl IntoView {
    let id = StoredValue::new(id);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let set_binding = move |f: &dyn Fn(&mut Binding)| {
        state.update_widget(&id.get_value(), |w| {
            if let Some(b) = &mut w.binding {
                f(b)
            }
        })
    };
    move || {
        let w = widget.get()?;
        let binding = w.binding.clone()?;
        let fields = state.datasets.with(|all| {
            all.iter()
                .find(|d| d.id == binding.dataset)
                .map(|d| d.fields.clone())
        })?;
        let sample = state
            .frames
            .signal(&binding.dataset)
            .with_untracked(|f| f.as_ref().and_then(|f| f.rows.last().cloned()));
        let slots = w.kind.slots();
        let single = slots.iter().any(|s| s.shape == Shape::Single);
        let slot_views = slots
            .iter()
            .map(|slot| {
                let name = slot.name;
                let offered: Vec<String> = fields
                    .iter()
                    .filter(|f| match slot.accepts {
                        Accepts::Number => f.kind == FieldKind::Number,
                        Accepts::Time => f.kind != FieldKind::Boolean,
                        Accepts::Any => true,
                    })
                    .map(|f| f.name.clone())
                    .collect();
                let chosen = binding.fields(name).to_vec();
                let label = slot.label;
                if slot.many {
                    view! {
                        <fieldset class="slot" data-slot=name>
                            <legend>{label}</legend>
                            {offered.into_iter().map(|f| {
                                let on = chosen.contains(&f);
                                let field = f.clone();
                                view! {
                                    <label class="inline">
                                        <input type="checkbox" name=format!("slot-{name}") value=f.clone() prop:checked=on on:change=move |ev| {
                                            let checked = event_target_checked(&ev);
                                            let field = field.clone();
                                            set_binding(&move |b: &mut Binding| {
                                                let mut now = b.fields(name).to_vec();
                                                now.retain(|x| *x != field);
                                                if checked {
                                                    now.push(field.clone());
                                                }
                                                b.set(name, now);
                                            });
                                        } />
                                        {f}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }
                    .into_any()
                } else {
                    let current = chosen.first().cloned().unwrap_or_default();
                    view! {
                        <label data-slot=name>
                            {label}
                            <select name=format!("slot-{name}") on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| b.set(name, if v.is_empty() { vec![] } else { vec![v.clone()] }));
                            }>
                                <option value="" selected=current.is_empty()>"—"</option>
                                {offered.into_iter().map(|f| {
                                    let selected = f == current;
                                    let label = f.clone();
                                    view! { <option value=f selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                    .into_any()
                }
            })
            .collect_view();
        let rows = single.then(|| {
            let pick_key = match &binding.row {
                RowPick::Last => "last",
                RowPick::First => "first",
                RowPick::Where { .. } => "where",
                RowPick::Aggregate { agg: Agg::Sum } => "sum",
                RowPick::Aggregate { agg: Agg::Avg } => "avg",
                RowPick::Aggregate { agg: Agg::Min } => "min",
                RowPick::Aggregate { agg: Agg::Max } => "max",
                RowPick::Aggregate { agg: Agg::Count } => "count",
            };
            let text_fields: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
            let (where_field, where_equals) = match &binding.row {
                RowPick::Where { field, equals } => (field.clone(), equals.clone()),
                _ => (
                    fields
                        .iter()
                        .find(|f| f.kind == FieldKind::Text)
                        .or(fields.first())
                        .map(|f| f.name.clone())
                        .unwrap_or_default(),
                    sample
                        .as_ref()
                        .and_then(|r| fields.iter().find(|f| f.kind == FieldKind::Text).and_then(|f| r.get(&f.name)))
                        .map(text_of)
                        .unwrap_or_default(),
                ),
            };
            let is_where = matches!(binding.row, RowPick::Where { .. });
            let describe = binding.row.describe();
            let wf = where_field.clone();
            let we = where_equals.clone();
            view! {
                <label>
                    "Which value"
                    <select name="row-pick" on:change=move |ev| {
                        let key = event_target_value(&ev);
                        let (wf, we) = (wf.clone(), we.clone());
                        set_binding(&move |b: &mut Binding| {
                            b.row = match key.as_str() {
                                "first" => RowPick::First,
                                "where" => RowPick::Where { field: wf.clone(), equals: we.clone() },
                                "sum" => RowPick::Aggregate { agg: Agg::Sum },
                                "avg" => RowPick::Aggregate { agg: Agg::Avg },
                                "min" => RowPick::Aggregate { agg: Agg::Min },
                                "max" => RowPick::Aggregate { agg: Agg::Max },
                                "count" => RowPick::Aggregate { agg: Agg::Count },
                                _ => RowPick::Last,
                            };
                        });
                    }>
                        {[("last", "The last row"), ("first", "The first row"), ("where", "The row where …"), ("sum", "Sum of all rows"), ("avg", "Average of all rows"), ("min", "Minimum of all rows"), ("max", "Maximum of all rows"), ("count", "Count of rows")]
                            .into_iter()
                            .map(|(k, label)| view! { <option value=k selected=k == pick_key>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
                {is_where.then(|| {
                    let equals = where_equals.clone();
                    view! {
                        <div class="row-where">
                            <select name="row-field" on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| {
                                    if let RowPick::Where { field, .. } = &mut b.row {
                                        *field = v.clone();
                                    }
                                });
                            }>
                                {text_fields.into_iter().map(|f| {
                                    let selected = f == where_field;
                                    let label = f.clone();
                                    view! { <option value=f selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                            "="
                            <input name="row-equals" prop:value=equals on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set_binding(&move |b: &mut Binding| {
                                    if let RowPick::Where { equals, .. } = &mut b.row {
                                        *equals = v.clone();
                                    }
                                });
                            } />
                        </div>
                    }
                })}
                <p class="hint" data-testid="row-pick">{format!("Shows {describe}.")}</p>
            }
        });
        Some(view! { <div class="slots">{slot_views}{rows}</div> }.into_any())
    }
}

#[component]
fn DashboardInspector(state: EditorState) -> impl IntoView {
    let links = RwSignal::new(Vec::<ShareLink>::new());
    // Links made in this visit: the only time their addresses can be shown.
    let fresh = RwSignal::new(Vec::<NewShareLink>::new());
    let problem = RwSignal::new(None::<String>);
    let hours = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    Effect::new(move |_| {
        let id = state.id.get_value();
        leptos::task::spawn_local(async move {
            match list_share_links(id).await {
                Ok(found) => links.set(found),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    });
    let share = move |_| {
        let id = state.id.get_value();
        let options = ShareOptions {
            expires_in_hours: hours.get_untracked().parse().ok(),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        leptos::task::spawn_local(async move {
            match create_share_link(id, options).await {
                Ok(made) => {
                    links.update(|l| l.push(made.link.clone()));
                    fresh.update(|f| f.push(made));
                    password.set(String::new());
                    problem.set(None);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let revoke = move |link: ShareLink| {
        let id = state.id.get_value();
        leptos::task::spawn_local(async move {
            match revoke_share_link(id, link.id.clone()).await {
                Ok(()) => {
                    links.update(|l| l.retain(|k| k.id != link.id));
                    fresh.update(|f| f.retain(|k| k.link.id != link.id));
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <aside class="inspector" aria-label="Dashboard settings" data-testid="inspector">
            <h2>"Dashboard"</h2>
            <p class="geometry">
                {move || {
                    state
                        .dashboard
                        .with(|d| format!("{} × {} · {} widgets", d.resolution.width, d.resolution.height, d.widgets.len()))
                }}
            </p>
            <label>
                "Design resolution"
                <select
                    name="resolution"
                    on:change=move |ev| {
                        let chosen = match event_target_value(&ev).as_str() {
                            "uhd" => Resolution::UHD,
                            "portrait" => Resolution::PORTRAIT,
                            _ => Resolution::FULL_HD,
                        };
                        state.dashboard.update(|d| d.set_resolution(chosen));
                    }
                >
                    {[("fhd", "1920 × 1080 (Full HD)", Resolution::FULL_HD), ("uhd", "3840 × 2160 (4K)", Resolution::UHD), ("portrait", "1080 × 1920 (portrait)", Resolution::PORTRAIT)]
                        .into_iter()
                        .map(|(value, label, res)| {
                            view! {
                                <option value=value selected=move || state.dashboard.with(|d| d.resolution == res)>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Theme"
                <select
                    name="theme"
                    on:change=move |ev| {
                        let key = event_target_value(&ev);
                        if let Some(theme) = Theme::ALL.into_iter().find(|t| t.key() == key) {
                            state.dashboard.update(|d| d.theme = theme);
                        }
                    }
                >
                    {Theme::ALL
                        .into_iter()
                        .map(|t| view! {
                            <option value=t.key() selected=move || state.dashboard.with(|d| d.theme == t)>{t.label()}</option>
                        })
                        .collect_view()}
                </select>
            </label>
            <h3>"Share"</h3>
            <p class="hint">
                "Anyone with a link can watch this dashboard, read-only. Its address is shown once, when it is made."
            </p>
            <label>
                "Expires"
                <select data-testid="share-expiry" on:change=move |ev| hours.set(event_target_value(&ev))>
                    <option value="">"never"</option>
                    <option value="1">"in 1 hour"</option>
                    <option value="24">"in 1 day"</option>
                    <option value="168">"in 7 days"</option>
                    <option value="720">"in 30 days"</option>
                </select>
            </label>
            <label>
                "Password (optional, at least 8 characters)"
                <input
                    type="password"
                    autocomplete="new-password"
                    data-testid="share-password"
                    maxlength="256"
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <button on:click=share data-testid="create-share">"Create share link"</button>
            <ul class="share-links">
                <For each=move || fresh.get() key=|l| l.link.id.clone() let:made>
                    {
                        let view_path = made.view_path();
                        let kiosk_path = made.kiosk_path();
                        view! {
                            <li class="fresh">
                                <a href=view_path.clone() target="_blank" data-testid="share-link">{view_path.clone()}</a>
                                <a href=kiosk_path target="_blank">"kiosk"</a>
                            </li>
                        }
                    }
                </For>
            </ul>
            <ul class="share-links" data-testid="share-list">
                <For each=move || links.get() key=|l| (l.id.clone(), l.views) let:link>
                    {
                        let to_revoke = link.clone();
                        let made = crate::pages::settings::utc_minute(link.created_at_ms);
                        let expires = link
                            .expires_at_ms
                            .map(|e| format!(" · expires {}", crate::pages::settings::utc_minute(e)))
                            .unwrap_or_default();
                        let locked = if link.has_password { " · password" } else { "" };
                        let seen = match link.last_view_ms {
                            Some(at) => format!(" · {} views, last {}", link.views, crate::pages::settings::utc_minute(at)),
                            None => " · not opened yet".to_string(),
                        };
                        view! {
                            <li>
                                <span class="hint">{format!("made {made}{expires}{locked}{seen}")}</span>
                                <button class="danger small" on:click=move |_| revoke(to_revoke.clone())>"Revoke"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            {move || problem.get().map(|p| view! { <p class="problem" role="alert">{p}</p> })}
        </aside>
    }
}
