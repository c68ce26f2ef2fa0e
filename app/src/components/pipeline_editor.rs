//! The pipeline editor: a list of steps, each a small form (the catalog below says
//! which inputs each kind of step has), that can be added, disabled, reordered and
//! deleted. The pipeline runs in the browser on the source's sample rows after every
//! edit, so each step shows its row count and its problems at once, and the table
//! shows the rows after the selected step.

use crate::model::{Row, MAX_ROWS};
use crate::pipeline::{Limits, Pipeline, Step};
use leptos::prelude::*;
use serde_json::{Map, Value};

/// What one input of a step takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// A column name (suggested from the rows before the step).
    Field,
    /// Column names, comma-separated.
    Fields,
    Text,
    Number,
    /// A number, true/false, null or text.
    Value,
    Bool,
    Choice(&'static [&'static str]),
    /// `sum(units) as units, count() as n, percentile(90, ms) as p90`.
    Aggregates,
    /// `left=right, a=b`: pairs of column names.
    Pairs,
}

/// A kind of step: its `op`, label, and inputs (name, label, kind, required).
pub struct OpKind {
    pub op: &'static str,
    pub label: &'static str,
    pub params: &'static [(&'static str, &'static str, Param, bool)],
}

const CMP: &[&str] = &[
    "eq", "ne", "lt", "le", "gt", "ge", "contains", "is_null", "not_null",
];

/// Every step the editor offers.
pub const CATALOG: &[OpKind] = &[
    OpKind {
        op: "select",
        label: "Keep fields",
        params: &[("fields", "Fields, in order", Param::Fields, true)],
    },
    OpKind {
        op: "rename",
        label: "Rename",
        params: &[
            ("from", "Field", Param::Field, true),
            ("to", "New name", Param::Text, true),
        ],
    },
    OpKind {
        op: "filter",
        label: "Filter rows",
        params: &[
            ("field", "Field", Param::Field, true),
            ("cmp", "Condition", Param::Choice(CMP), true),
            ("value", "Value", Param::Value, false),
        ],
    },
    OpKind {
        op: "sort",
        label: "Sort",
        params: &[
            ("field", "Field", Param::Field, true),
            ("descending", "Descending", Param::Bool, false),
        ],
    },
    OpKind {
        op: "limit",
        label: "Limit / top N",
        params: &[("n", "Rows", Param::Number, true)],
    },
    OpKind {
        op: "dedupe",
        label: "Remove duplicates",
        params: &[("fields", "By fields (all if empty)", Param::Fields, false)],
    },
    OpKind {
        op: "fill_null",
        label: "Fill empty cells",
        params: &[
            ("field", "Field", Param::Field, true),
            ("value", "With", Param::Value, true),
        ],
    },
    OpKind {
        op: "convert",
        label: "Convert type",
        params: &[
            ("field", "Field", Param::Field, true),
            (
                "to",
                "To",
                Param::Choice(&["number", "integer", "boolean", "text", "date", "timestamp"]),
                true,
            ),
            (
                "decimal",
                "Decimal mark",
                Param::Choice(&["auto", "point", "comma"]),
                false,
            ),
            ("format", "Date format (e.g. %d/%m/%Y)", Param::Text, false),
            ("day_first", "Day before month", Param::Bool, false),
            (
                "zone",
                "Zone of dates without one (+02:00)",
                Param::Text,
                false,
            ),
            (
                "numbers",
                "Numbers as dates",
                Param::Choice(&["auto", "unix_seconds", "unix_millis", "excel", "excel1904"]),
                false,
            ),
        ],
    },
    OpKind {
        op: "compute",
        label: "Computed field",
        params: &[
            ("field", "New field", Param::Text, true),
            (
                "expr",
                "Expression, e.g. round(units * price, 2)",
                Param::Text,
                true,
            ),
        ],
    },
    OpKind {
        op: "jq",
        label: "Extract with jq",
        params: &[(
            "filter",
            "jq filter, e.g. .[] | select(.n > 1)",
            Param::Text,
            true,
        )],
    },
    OpKind {
        op: "json_path",
        label: "Extract with JSONPath",
        params: &[("path", "JSONPath, e.g. $[?@.n >= 2]", Param::Text, true)],
    },
    OpKind {
        op: "join",
        label: "Join a dataset",
        params: &[
            ("dataset", "Dataset id", Param::Text, true),
            ("kind", "Kind", Param::Choice(&["inner", "left"]), true),
            ("on", "On (left=right, …)", Param::Pairs, true),
        ],
    },
    OpKind {
        op: "pivot",
        label: "Pivot",
        params: &[
            ("index", "Rows by", Param::Fields, false),
            ("column", "Columns from", Param::Field, true),
            ("value", "Values from", Param::Field, true),
            (
                "agg",
                "Aggregate",
                Param::Choice(&[
                    "sum",
                    "count",
                    "avg",
                    "min",
                    "max",
                    "median",
                    "first",
                    "last",
                    "distinct_count",
                ]),
                true,
            ),
        ],
    },
    OpKind {
        op: "unpivot",
        label: "Unpivot",
        params: &[
            ("keep", "Keep fields", Param::Fields, false),
            (
                "fields",
                "Fields to unpivot (all others if empty)",
                Param::Fields,
                false,
            ),
            ("name_as", "Name column", Param::Text, true),
            ("value_as", "Value column", Param::Text, true),
        ],
    },
    OpKind {
        op: "time_bucket",
        label: "Time bucket",
        params: &[
            ("field", "Time field", Param::Field, true),
            (
                "unit",
                "Bucket",
                Param::Choice(&["minute", "hour", "day", "week", "month"]),
                true,
            ),
            ("keys", "Also by fields", Param::Fields, false),
            ("aggregates", "Aggregates", Param::Aggregates, false),
        ],
    },
    OpKind {
        op: "running",
        label: "Running value",
        params: &[
            ("field", "Field", Param::Field, true),
            (
                "kind",
                "Kind",
                Param::Choice(&["total", "difference", "rate", "percent_change"]),
                true,
            ),
            ("as", "Into field", Param::Text, true),
            ("order_by", "In order of (time field)", Param::Field, false),
            ("partition", "Separately for each", Param::Fields, false),
        ],
    },
    OpKind {
        op: "group_by",
        label: "Group by",
        params: &[
            ("keys", "Group by fields", Param::Fields, true),
            ("aggregates", "Aggregates", Param::Aggregates, true),
        ],
    },
    OpKind {
        op: "reduce",
        label: "Reduce to one row",
        params: &[("aggregates", "Aggregates", Param::Aggregates, true)],
    },
];

pub fn op_kind(op: &str) -> Option<&'static OpKind> {
    CATALOG.iter().find(|k| k.op == op)
}

/// One step as the author is editing it: the raw text of each input.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDraft {
    /// Stable across reorders (the list's key).
    pub key: u64,
    pub enabled: bool,
    pub op: String,
    pub inputs: Vec<(String, String)>,
}

impl StepDraft {
    pub fn new(key: u64, op: &str) -> Self {
        let inputs = op_kind(op)
            .map(|k| {
                k.params
                    .iter()
                    .map(|(name, _, param, _)| {
                        let initial = match param {
                            Param::Choice(options) => options[0].to_string(),
                            Param::Bool => "false".to_string(),
                            _ => String::new(),
                        };
                        (name.to_string(), initial)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            key,
            enabled: true,
            op: op.to_string(),
            inputs,
        }
    }

    /// A stored step as a draft (for editing an existing pipeline).
    pub fn from_step(key: u64, step: &Step) -> Self {
        let json = serde_json::to_value(step).unwrap_or(Value::Null);
        let op = json["op"].as_str().unwrap_or_default().to_string();
        let mut draft = Self::new(key, &op);
        draft.enabled = step.enabled;
        for (name, text) in &mut draft.inputs {
            let param = op_kind(&op)
                .and_then(|k| k.params.iter().find(|p| p.0 == name))
                .map(|p| p.2);
            if let (Some(param), Some(value)) = (param, json.get(name.as_str())) {
                *text = to_text(param, value);
            }
        }
        draft
    }

    pub fn input(&self, name: &str) -> String {
        self.inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The step this draft describes, or what is wrong with it.
    pub fn to_step(&self) -> Result<Step, String> {
        let kind = op_kind(&self.op).ok_or_else(|| format!("unknown step '{}'", self.op))?;
        let mut object = Map::new();
        object.insert("op".into(), Value::String(self.op.clone()));
        object.insert("enabled".into(), Value::Bool(self.enabled));
        for (name, label, param, required) in kind.params {
            let text = self.input(name);
            if text.trim().is_empty() && !matches!(param, Param::Bool) {
                if *required && !matches!(param, Param::Value) {
                    return Err(format!("{label}: required"));
                }
                if matches!(param, Param::Fields) {
                    object.insert(name.to_string(), Value::Array(vec![]));
                }
                continue;
            }
            let value = from_text(*param, &text).map_err(|e| format!("{label}: {e}"))?;
            object.insert(name.to_string(), value);
        }
        serde_json::from_value(Value::Object(object)).map_err(|e| e.to_string())
    }
}

/// An input's text as the JSON the step takes.
fn from_text(param: Param, text: &str) -> Result<Value, String> {
    let text = text.trim();
    Ok(match param {
        Param::Field | Param::Text | Param::Choice(_) => Value::String(text.to_string()),
        Param::Fields => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Param::Number => {
            let n: f64 = text
                .parse()
                .map_err(|_| format!("'{text}' is not a number"))?;
            if n.fract() == 0.0 && n >= 0.0 {
                Value::from(n as u64)
            } else {
                Value::from(n)
            }
        }
        Param::Value => match text {
            "" | "null" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Value::from)
                .unwrap_or_else(|| Value::String(text.to_string())),
        },
        Param::Bool => Value::Bool(text == "true"),
        Param::Aggregates => Value::Array(
            split_top_level(text)
                .into_iter()
                .map(|a| aggregate(&a))
                .collect::<Result<_, _>>()?,
        ),
        Param::Pairs => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|pair| {
                    let (l, r) = pair.split_once('=').unwrap_or((pair, pair));
                    serde_json::json!({"left": l.trim(), "right": r.trim()})
                })
                .collect(),
        ),
    })
}

/// The JSON a step holds as the text its input shows.
fn to_text(param: Param, value: &Value) -> String {
    match (param, value) {
        (Param::Fields, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        (Param::Aggregates, Value::Array(items)) => items
            .iter()
            .map(|a| {
                let agg = a["agg"].as_str().unwrap_or("count");
                let field = a["field"].as_str().unwrap_or("");
                let name = a["as"].as_str().unwrap_or("");
                match a.get("p").and_then(Value::as_f64) {
                    Some(p) => format!("{agg}({p}, {field}) as {name}"),
                    None => format!("{agg}({field}) as {name}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        (Param::Pairs, Value::Array(items)) => items
            .iter()
            .map(|p| {
                format!(
                    "{}={}",
                    p["left"].as_str().unwrap_or(""),
                    p["right"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `sum(units) as total` → `{"agg": "sum", "field": "units", "as": "total"}`.
fn aggregate(text: &str) -> Result<Value, String> {
    let bad = || format!("'{text}' is not like sum(field) as name");
    let (call, name) = match text.rsplit_once(" as ") {
        Some((call, name)) => (call.trim(), name.trim().to_string()),
        None => (text.trim(), String::new()),
    };
    let (agg, args) = call.split_once('(').ok_or_else(bad)?;
    let args = args.strip_suffix(')').ok_or_else(bad)?;
    let agg = agg.trim().to_ascii_lowercase();
    let mut object = Map::new();
    let field = if agg == "percentile" {
        let (p, field) = args.split_once(',').ok_or_else(|| {
            format!("'{text}': percentile takes the percent and the field: percentile(90, ms)")
        })?;
        let p: f64 = p.trim().parse().map_err(|_| bad())?;
        object.insert("p".into(), Value::from(p));
        field.trim().to_string()
    } else {
        args.trim().trim_matches('*').to_string()
    };
    let name = if name.is_empty() {
        if field.is_empty() {
            agg.clone()
        } else {
            format!("{agg}_{field}")
        }
    } else {
        name
    };
    object.insert("agg".into(), Value::String(agg));
    object.insert("field".into(), Value::String(field));
    object.insert("as".into(), Value::String(name));
    Ok(Value::Object(object))
}

/// What running the drafts on the sample gave: per step, its rows or its error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepRun {
    pub rows: usize,
    pub problems: usize,
    pub messages: Vec<String>,
    pub error: Option<String>,
    pub skipped: bool,
}

/// Runs the drafts in order on `sample`; returns each step's outcome and the rows after
/// step `upto` (all steps when `None`). A step that cannot be built or run stops the
/// run there, and the steps after it are not run.
pub fn run_drafts(
    drafts: &[StepDraft],
    sample: &[Row],
    upto: Option<usize>,
) -> (Vec<StepRun>, Vec<Row>) {
    let limits = Limits {
        max_rows: MAX_ROWS,
        max_messages: 5,
        ..Limits::default()
    };
    let mut rows = sample.to_vec();
    let mut shown = None;
    let mut runs = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.iter().enumerate() {
        let outcome = draft.to_step().and_then(|step| {
            Pipeline { steps: vec![step] }
                .run(rows.clone(), &limits)
                .map_err(|e| e.message)
        });
        match outcome {
            Ok(mut out) => {
                let report = out.reports.pop().unwrap_or_default();
                rows = out.rows;
                runs.push(StepRun {
                    rows: rows.len(),
                    problems: report.problems,
                    messages: report.messages,
                    error: None,
                    skipped: report.skipped,
                });
            }
            Err(error) => {
                runs.push(StepRun {
                    error: Some(error),
                    ..StepRun::default()
                });
                break;
            }
        }
        if upto == Some(i) {
            shown = Some(rows.clone());
        }
    }
    (runs, shown.unwrap_or(rows))
}

/// The pipeline the drafts make (for saving), or the first step's error.
pub fn pipeline_of(drafts: &[StepDraft]) -> Result<Pipeline, String> {
    let steps = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| d.to_step().map_err(|e| format!("step {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Pipeline { steps })
}

/// Column names in order of first appearance.
pub fn columns(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows.iter().take(200) {
        for key in row.keys() {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
    }
    names
}

/// A float as a table shows it: 360.0 as 360, 173.29999999999998 as 173.3 (at most
/// six decimals).
fn shown(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{f:.0}");
    }
    let text = format!("{f:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The first rows as a table.
#[component]
pub fn RowsTable(rows: Signal<Vec<Row>>, #[prop(default = 20)] limit: usize) -> impl IntoView {
    move || {
        let rows = rows.get();
        if rows.is_empty() {
            return view! { <p class="hint">"No rows."</p> }.into_any();
        }
        let names = columns(&rows);
        let head = names
            .iter()
            .map(|n| view! { <th>{n.clone()}</th> })
            .collect_view();
        let body = rows
            .iter()
            .take(limit)
            .map(|row| {
                let cells = names
                    .iter()
                    .map(|n| {
                        let text = match row.get(n) {
                            None | Some(Value::Null) => String::new(),
                            Some(Value::String(s)) => s.clone(),
                            // 360.0 reads as 360.
                            Some(Value::Number(x)) => match x.as_f64() {
                                Some(f) if x.is_f64() => shown(f),
                                _ => x.to_string(),
                            },
                            Some(other) => other.to_string(),
                        };
                        view! { <td>{text}</td> }
                    })
                    .collect_view();
                view! { <tr>{cells}</tr> }
            })
            .collect_view();
        let more = (rows.len() > limit).then(|| format!("… and {} more rows", rows.len() - limit));
        view! {
            <div class="rows-table">
                <table>
                    <thead><tr>{head}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
                {more.map(|m| view! { <p class="hint">{m}</p> })}
            </div>
        }
        .into_any()
    }
}

/// The steps, each with its inputs, its outcome on the sample, and its controls.
#[component]
pub fn PipelineEditor(steps: RwSignal<Vec<StepDraft>>, sample: Signal<Vec<Row>>) -> impl IntoView {
    let selected = RwSignal::new(None::<usize>);
    let next_key = StoredValue::new(1_000u64);
    let run = Memo::new(move |_| {
        let drafts = steps.get();
        sample.with(|rows| run_drafts(&drafts, rows, selected.get()))
    });
    let columns_before = move |i: usize| -> Vec<String> {
        let drafts = steps.get();
        sample.with(|rows| {
            let (_, before) = if i == 0 {
                (vec![], rows.clone())
            } else {
                run_drafts(&drafts[..i], rows, None)
            };
            columns(&before)
        })
    };
    let add = move |op: String| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        steps.update(|s| s.push(StepDraft::new(key, &op)));
        selected.set(Some(steps.with_untracked(|s| s.len() - 1)));
    };
    let edit = move |key: u64, f: &dyn Fn(&mut StepDraft)| {
        steps.update(|s| {
            if let Some(d) = s.iter_mut().find(|d| d.key == key) {
                f(d);
            }
        });
    };
    let position = move |key: u64| steps.with_untracked(|s| s.iter().position(|d| d.key == key));
    let shift = move |key: u64, by: isize| {
        if let Some(i) = position(key) {
            let j = i as isize + by;
            steps.update(|s| {
                if j >= 0 && (j as usize) < s.len() {
                    s.swap(i, j as usize);
                }
            });
            if j >= 0 {
                selected.set(Some(j as usize));
            }
        }
    };
    let numbered = move || steps.get().into_iter().enumerate().collect::<Vec<_>>();
    let entry_key = |(i, d): &(usize, StepDraft)| (d.key, *i, d.op.clone());
    view! {
        <section class="pipeline" aria-label="Pipeline" data-testid="pipeline">
            <h3>"Pipeline"</h3>
            <p class="hint">
                {move || format!("Runs on {} sample rows as you edit; the server runs it on all rows.", sample.with(Vec::len))}
            </p>
            <ol class="steps">
                <For each=numbered key=entry_key let:entry>
                    {
                        let (i, draft) = entry;
                        let key = draft.key;
                        let kind = op_kind(&draft.op);
                        let label = kind.map(|k| k.label).unwrap_or("Unknown step");
                        let list_id = format!("cols-{key}");
                        let inputs = kind
                            .map(|k| {
                                k.params
                                    .iter()
                                    .map(|(name, label, param, _)| {
                                        let name = *name;
                                        let value = move || {
                                            steps.with(|s| s.iter().find(|d| d.key == key).map(|d| d.input(name)).unwrap_or_default())
                                        };
                                        let set = move |v: String| {
                                            edit(key, &|d: &mut StepDraft| {
                                                if let Some(slot) = d.inputs.iter_mut().find(|(n, _)| n == name) {
                                                    slot.1 = v.clone();
                                                }
                                            })
                                        };
                                        let control = match param {
                                            Param::Choice(options) => view! {
                                                <select name=name on:change=move |ev| set(event_target_value(&ev))>
                                                    {options.iter().map(|o| {
                                                        let o = *o;
                                                        view! { <option value=o selected=move || value() == o>{o.replace('_', " ")}</option> }
                                                    }).collect_view()}
                                                </select>
                                            }.into_any(),
                                            Param::Bool => view! {
                                                <input type="checkbox" name=name prop:checked=move || value() == "true"
                                                    on:change=move |ev| set(event_target_checked(&ev).to_string()) />
                                            }.into_any(),
                                            Param::Field => view! {
                                                <input name=name list=list_id.clone() prop:value=value
                                                    on:input=move |ev| set(event_target_value(&ev)) />
                                            }.into_any(),
                                            _ => view! {
                                                <input name=name prop:value=value
                                                    placeholder=match param { Param::Aggregates => "sum(units) as units, count() as n", Param::Fields => "a, b, c", Param::Pairs => "id=id", _ => "" }
                                                    on:input=move |ev| set(event_target_value(&ev)) />
                                            }.into_any(),
                                        };
                                        view! { <label>{*label}{control}</label> }
                                    })
                                    .collect_view()
                            });
                        let outcome = move || run.with(|(runs, _)| runs.get(i).cloned());
                        let is_selected = move || selected.get() == Some(i);
                        view! {
                            <li class="step" class:selected=is_selected class:disabled=move || !steps.with(|s| s.get(i).is_some_and(|d| d.enabled))
                                data-testid="step" on:click=move |_| selected.set(Some(i))>
                                <header>
                                    <strong>{format!("{}. {label}", i + 1)}</strong>
                                    <span class="step-outcome" data-testid="step-outcome">
                                        {move || match outcome() {
                                            None => "not run".to_string(),
                                            Some(StepRun { error: Some(e), .. }) => e,
                                            Some(StepRun { skipped: true, rows, .. }) => format!("off · {rows} rows"),
                                            Some(StepRun { rows, problems: 0, .. }) => format!("{rows} rows"),
                                            Some(StepRun { rows, problems, .. }) => format!("{rows} rows · {problems} problems"),
                                        }}
                                    </span>
                                    <span class="step-controls">
                                        <label class="inline">
                                            <input type="checkbox" name="enabled" prop:checked=move || steps.with(|s| s.get(i).is_some_and(|d| d.enabled))
                                                on:change=move |ev| { let on = event_target_checked(&ev); edit(key, &|d: &mut StepDraft| d.enabled = on) } />
                                            "on"
                                        </label>
                                        <button class="small" title="Move up" on:click=move |_| shift(key, -1)>"↑"</button>
                                        <button class="small" title="Move down" on:click=move |_| shift(key, 1)>"↓"</button>
                                        <button class="small danger" title="Delete" on:click=move |ev| {
                                            ev.stop_propagation();
                                            steps.update(|s| s.retain(|d| d.key != key));
                                            selected.set(None);
                                        }>"✕"</button>
                                    </span>
                                </header>
                                <div class="step-inputs">{inputs}</div>
                                <datalist id=format!("cols-{key}")>
                                    {move || columns_before(i).into_iter().map(|c| view! { <option value=c /> }).collect_view()}
                                </datalist>
                                {move || outcome().filter(|o| !o.messages.is_empty()).map(|o| view! {
                                    <ul class="step-problems">{o.messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                                })}
                            </li>
                        }
                    }
                </For>
            </ol>
            <label>
                "Add a step"
                <select name="add-step" on:change=move |ev| {
                    let op = event_target_value(&ev);
                    if !op.is_empty() { add(op); }
                }>
                    <option value="" selected=true>"Choose…"</option>
                    {CATALOG.iter().map(|k| view! { <option value=k.op>{k.label}</option> }).collect_view()}
                </select>
            </label>
            <h4>{move || match selected.get() {
                Some(i) => format!("Rows after step {}", i + 1),
                None => "Rows after the pipeline".to_string(),
            }}</h4>
            <RowsTable rows=Signal::derive(move || run.with(|(_, rows)| rows.clone())) />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(v: Value) -> Vec<Row> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn draft(op: &str, inputs: &[(&str, &str)]) -> StepDraft {
        let mut d = StepDraft::new(1, op);
        for (name, value) in inputs {
            if let Some(slot) = d.inputs.iter_mut().find(|(n, _)| n == name) {
                slot.1 = value.to_string();
            }
        }
        d
    }

    #[test]
    fn every_catalog_step_builds_from_its_inputs() {
        for kind in CATALOG {
            let mut d = StepDraft::new(1, kind.op);
            for (name, text) in &mut d.inputs {
                let (_, _, param, required) = *kind.params.iter().find(|p| p.0 == name).unwrap();
                if !required {
                    continue;
                }
                *text = match (name.as_str(), param) {
                    ("filter", _) => ".[]".into(),
                    ("path", _) => "$[*]".into(),
                    (_, param) => match param {
                        Param::Number => "3".into(),
                        Param::Aggregates => "sum(x) as total".into(),
                        Param::Choice(o) => o[0].into(),
                        Param::Bool => "true".into(),
                        Param::Pairs => "a=b".into(),
                        _ => "x".into(),
                    },
                };
            }
            d.to_step().unwrap_or_else(|e| panic!("{}: {e}", kind.op));
        }
    }

    #[test]
    fn aggregates_read_from_the_short_form_and_back() {
        let d = draft(
            "group_by",
            &[
                ("keys", "region"),
                (
                    "aggregates",
                    "sum(units) as units, count() as n, percentile(90, ms) as p90",
                ),
            ],
        );
        let step = d.to_step().unwrap();
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(
            json["aggregates"][2],
            json!({"field": "ms", "agg": "percentile", "p": 90.0, "as": "p90"})
        );
        let back = StepDraft::from_step(2, &step);
        assert_eq!(
            back.input("aggregates"),
            "sum(units) as units, count() as n, percentile(90, ms) as p90"
        );
        assert_eq!(back.input("keys"), "region");
    }

    #[test]
    fn a_missing_input_names_itself_and_stops_the_run_at_that_step() {
        let drafts = vec![
            draft("filter", &[("field", "n"), ("cmp", "gt"), ("value", "1")]),
            draft("sort", &[]),
            draft("limit", &[("n", "1")]),
        ];
        let (runs, rows_after) =
            run_drafts(&drafts, &rows(json!([{"n": 1}, {"n": 2}, {"n": 3}])), None);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].rows, 2);
        assert_eq!(runs[1].error.as_deref(), Some("Field: required"));
        assert_eq!(rows_after.len(), 2);
        assert!(pipeline_of(&drafts)
            .unwrap_err()
            .starts_with("step 2: Field"));
    }

    #[test]
    fn floats_show_without_binary_noise() {
        assert_eq!(shown(360.0), "360");
        assert_eq!(shown(173.29999999999998), "173.3");
        assert_eq!(shown(0.25), "0.25");
    }

    #[test]
    fn the_rows_after_a_chosen_step_are_shown() {
        let drafts = vec![
            draft("sort", &[("field", "n"), ("descending", "true")]),
            draft("limit", &[("n", "1")]),
        ];
        let sample = rows(json!([{"n": 1}, {"n": 3}, {"n": 2}]));
        let (_, after_sort) = run_drafts(&drafts, &sample, Some(0));
        assert_eq!(after_sort.len(), 3);
        assert_eq!(after_sort[0]["n"], json!(3));
        let (runs, after_all) = run_drafts(&drafts, &sample, None);
        assert_eq!(after_all.len(), 1);
        assert_eq!(runs[1].rows, 1);
    }
}
