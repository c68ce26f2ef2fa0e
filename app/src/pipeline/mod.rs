//! The transformation pipeline: an ordered list of steps that shape a dataset's rows.
//!
//! One engine for both sides: the server runs it on the full data after each refresh,
//! and the editor runs the same code on sample rows to preview every step. Each step
//! reports how many rows it produced and what went wrong, pinned to the step; a bad
//! cell never aborts a run, a disabled step is skipped, and every step's output is
//! capped (`Limits`), so a hostile pipeline cannot exhaust memory.
//!
//! A run happens in an [`Env`]: its `Limits` (rows, bytes of new values, time; see
//! `budget`), the other datasets `join` steps read (a `Lookup`), and where jq filters
//! run (a `JqRunner`: in this process, or in the server's sandboxed worker).
//! `Pipeline::run` has no other datasets, and joins then fail saying so.

mod aggregate;
pub mod batch;
pub mod budget;
mod columnar;
mod convert;
mod dates;
mod expr;
mod join;
mod jq_plan;
mod query;
mod reshape;
mod series;
mod step;

pub use aggregate::{Agg, Aggregate};
pub use batch::Batch;
pub use budget::Budget;
pub use convert::{convert, parse_number, Decimal, Target};
pub use dates::{DateOptions, NumberDates, Zone};
pub use expr::Expr;
pub use join::{JoinKey, JoinKind};
#[cfg(not(target_arch = "wasm32"))]
pub use query::{serve_jq, JqRequest, TIME_LIMIT_MS};
pub use query::{JqAnswer, JqFilter, JqOutput, PathQuery, MAX_OUTPUT_BYTES};
pub use reshape::MAX_PIVOT_COLUMNS;
pub use series::{RunningKind, TimeUnit};
pub use step::{Cmp, Op, Step};

use crate::model::Row;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most steps one pipeline holds.
pub const MAX_STEPS: usize = 50;

/// An ordered list of steps (at most `MAX_STEPS`, checked when read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Steps")]
pub struct Pipeline {
    pub steps: Vec<Step>,
}

/// A pipeline as read, before its step count is checked.
#[derive(Deserialize)]
struct Steps {
    steps: Vec<Step>,
}

impl TryFrom<Steps> for Pipeline {
    type Error = String;
    fn try_from(Steps { steps }: Steps) -> Result<Self, String> {
        if steps.len() > MAX_STEPS {
            return Err(format!(
                "a pipeline has at most {MAX_STEPS} steps, not {}",
                steps.len()
            ));
        }
        Ok(Pipeline { steps })
    }
}

impl Pipeline {
    /// The datasets the enabled `join` steps read.
    pub fn joined_datasets(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for step in self.steps.iter().filter(|s| s.enabled) {
            if let Op::Join { dataset, .. } = &step.op {
                if !ids.contains(dataset) {
                    ids.push(dataset.clone());
                }
            }
        }
        ids
    }
}

/// Where a `join` step finds another dataset's rows.
pub trait Lookup {
    /// The rows of `dataset`, or `None` when it is not available to this run.
    fn rows(&self, dataset: &str) -> Option<Vec<Row>>;
}

impl Lookup for HashMap<String, Vec<Row>> {
    fn rows(&self, dataset: &str) -> Option<Vec<Row>> {
        self.get(dataset).cloned()
    }
}

/// No other dataset is available.
pub struct NoDatasets;

impl Lookup for NoDatasets {
    fn rows(&self, _: &str) -> Option<Vec<Row>> {
        None
    }
}

/// Bounds on one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most rows any step may produce; more is an error of that step.
    pub max_rows: usize,
    /// Most error messages kept per step (the rest are counted).
    pub max_messages: usize,
    /// Most bytes of values the steps of one run may make (see `budget`).
    pub max_bytes: usize,
    /// Longest one run may take, in milliseconds (natively).
    pub time_limit_ms: u64,
}

/// The default of `Limits::max_bytes`: 256 MiB.
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

impl Limits {
    /// Whether a dataset may hold `batch`: at most `max_bytes` of values, so a
    /// dataset of wide text rows is refused where a narrow one of as many rows fits.
    pub fn check_held(&self, batch: &Batch) -> Result<(), String> {
        let size = batch.size();
        if size > self.max_bytes {
            return Err(format!(
                "the dataset's {} rows hold {} MiB of values; at most {} MiB are kept per \
                 dataset (WALLBOARD_PIPELINE_MAX_BYTES)",
                batch.len(),
                size.div_ceil(1 << 20),
                self.max_bytes >> 20
            ));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: crate::model::MAX_ROWS,
            max_messages: 20,
            max_bytes: DEFAULT_MAX_BYTES,
            time_limit_ms: 10_000,
        }
    }
}

/// Where jq filters run.
pub trait JqRunner: Sync {
    /// Runs `filter` on `input` (the rows, as one JSON array) within `limits`.
    fn run(&self, filter: &JqFilter, input: Vec<u8>, limits: &Limits) -> Result<JqOutput, String>;
}

/// jq in this process, on a thread of its own (natively); in the browser, jq steps say
/// they run on the server. A filter that allocates without bound can still exhaust
/// this process: servers run jq in their sandboxed worker instead.
pub struct InProcess;

impl JqRunner for InProcess {
    fn run(&self, filter: &JqFilter, input: Vec<u8>, limits: &Limits) -> Result<JqOutput, String> {
        query::run_in_process(filter, input, limits)
    }
}

/// What a run may use: its limits, the datasets joins read, and where jq runs.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub limits: Limits,
    pub datasets: &'a dyn Lookup,
    pub jq: &'a dyn JqRunner,
}

impl Env<'static> {
    /// No other datasets; jq in this process.
    pub fn local(limits: Limits) -> Self {
        Env {
            limits,
            datasets: &NoDatasets,
            jq: &InProcess,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Rows after the step (the rows before it, for a disabled step).
    pub rows: usize,
    /// Cells or rows the step could not use (they became null, or were skipped).
    pub problems: usize,
    /// The first few problems, in words.
    pub messages: Vec<String>,
    pub skipped: bool,
}

impl StepReport {
    fn problem(&mut self, limits: &Limits, message: impl FnOnce() -> String) {
        self.problems += 1;
        if self.messages.len() < limits.max_messages {
            self.messages.push(message());
        }
    }
}

/// Why a run stopped: which step, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("step {step}: {message}")]
pub struct PipelineError {
    /// 1-based, as the editor numbers steps.
    pub step: usize,
    pub message: String,
}

/// The rows after every enabled step, and a report per step.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub reports: Vec<StepReport>,
}

impl Pipeline {
    /// Runs every enabled step on `rows`, with no other dataset to join.
    pub fn run(&self, rows: Vec<Row>, limits: &Limits) -> Result<Outcome, PipelineError> {
        self.run_in(rows, &Env::local(*limits))
    }

    /// Runs every enabled step on `rows`, `join` steps reading other datasets from
    /// `datasets`, jq in this process.
    pub fn run_with(
        &self,
        rows: Vec<Row>,
        limits: &Limits,
        datasets: &dyn Lookup,
    ) -> Result<Outcome, PipelineError> {
        self.run_in(
            rows,
            &Env {
                limits: *limits,
                datasets,
                jq: &InProcess,
            },
        )
    }

    /// Runs every enabled step on `rows` in `env`. Stops at the first step that cannot
    /// run at all (it would produce more than `max_rows` rows, its values pass the
    /// byte budget, the run passes its time limit); bad cells are counted in the
    /// step's report instead.
    pub fn run_in(&self, rows: Vec<Row>, env: &Env) -> Result<Outcome, PipelineError> {
        self.run_data(Data::Rows(rows), env, true)
    }

    /// Runs every enabled step on the rows of `batch` in `env` (as `run_in`).
    pub fn run_batch(&self, batch: Batch, env: &Env) -> Result<Outcome, PipelineError> {
        self.run_data(Data::Batch(batch), env, true)
    }

    /// As `run_batch`, the result kept as a batch (rows made by the last step, if it
    /// works on rows, are taken apart into columns).
    pub fn run_to_batch(
        &self,
        batch: Batch,
        env: &Env,
    ) -> Result<(Batch, Vec<StepReport>), PipelineError> {
        self.run_steps(Data::Batch(batch), env, true)
            .map(|(data, reports)| (data.into_batch(), reports))
    }

    /// The run: columnar steps on a batch when `columnar`, every step on rows when not
    /// (the reference the differential test compares with).
    fn run_data(&self, data: Data, env: &Env, columnar: bool) -> Result<Outcome, PipelineError> {
        let (data, reports) = self.run_steps(data, env, columnar)?;
        Ok(Outcome {
            rows: data.into_rows(),
            reports,
        })
    }

    fn run_steps(
        &self,
        data: Data,
        env: &Env,
        columnar: bool,
    ) -> Result<(Data, Vec<StepReport>), PipelineError> {
        let limits = &env.limits;
        let budget = Budget::new(limits);
        let mut data = data;
        let mut reports = Vec::with_capacity(self.steps.len());
        for (i, step) in self.steps.iter().enumerate() {
            let mut report = StepReport::default();
            if step.enabled {
                let stopped = |message| PipelineError {
                    step: i + 1,
                    message,
                };
                budget.check_time().map_err(stopped)?;
                data = if columnar && step.op.is_columnar() {
                    Data::Batch(
                        step.op
                            .apply_batch(data.into_batch(), env, &budget, &mut report)
                            .map_err(stopped)?,
                    )
                } else {
                    Data::Rows(
                        step.op
                            .apply(data.into_rows(), env, &budget, &mut report)
                            .map_err(stopped)?,
                    )
                };
                if data.len() > limits.max_rows {
                    return Err(PipelineError {
                        step: i + 1,
                        message: format!(
                            "the step makes {} rows; at most {} are kept",
                            data.len(),
                            limits.max_rows
                        ),
                    });
                }
            } else {
                report.skipped = true;
            }
            report.rows = data.len();
            reports.push(report);
        }
        Ok((data, reports))
    }
}

/// A run's data between steps: as rows or as columns, whichever the last step made.
enum Data {
    Rows(Vec<Row>),
    Batch(Batch),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::Rows(rows) => rows.len(),
            Data::Batch(batch) => batch.len(),
        }
    }

    fn into_rows(self) -> Vec<Row> {
        match self {
            Data::Rows(rows) => rows,
            Data::Batch(batch) => batch.into_rows(),
        }
    }

    fn into_batch(self) -> Batch {
        match self {
            Data::Rows(rows) => Batch::from_rows(rows),
            Data::Batch(batch) => batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn rows(v: serde_json::Value) -> Vec<Row> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn sales() -> Vec<Row> {
        rows(json!([
            {"region": "north", "product": "a", "units": 3, "price": 2.5},
            {"region": "south", "product": "a", "units": 5, "price": 2.5},
            {"region": "north", "product": "b", "units": 1, "price": 10},
            {"region": "north", "product": "a", "units": "n/a", "price": 2.5},
            {"region": "east", "product": "c", "units": 7, "price": null}
        ]))
    }

    #[test]
    fn steps_run_in_order_and_report_their_rows() {
        let pipeline: Pipeline = serde_json::from_value(json!({"steps": [
            {"op": "filter", "field": "region", "cmp": "ne", "value": "east"},
            {"op": "group_by", "keys": ["region"], "aggregates": [
                {"field": "units", "agg": "sum", "as": "units"},
                {"field": "units", "agg": "count", "as": "orders"}
            ]},
            {"op": "sort", "field": "units", "descending": true},
            {"op": "limit", "n": 1, "enabled": false}
        ]}))
        .unwrap();
        let out = pipeline.run(sales(), &Limits::default()).unwrap();
        assert_eq!(
            out.rows,
            rows(json!([
                {"region": "south", "units": 5.0, "orders": 1},
                {"region": "north", "units": 4.0, "orders": 3}
            ]))
        );
        let counts: Vec<usize> = out.reports.iter().map(|r| r.rows).collect();
        assert_eq!(counts, vec![4, 2, 2, 2]);
        assert_eq!(out.reports[1].problems, 1, "'n/a' is not a number");
        assert!(
            out.reports[1].messages[0].contains("units"),
            "{:?}",
            out.reports[1]
        );
        assert!(out.reports[3].skipped);
    }

    #[test]
    fn a_step_that_makes_too_many_rows_stops_the_run_naming_it() {
        let pipeline: Pipeline =
            serde_json::from_value(json!({"steps": [{"op": "limit", "n": 100}]})).unwrap();
        let limits = Limits {
            max_rows: 3,
            max_messages: 5,
            ..Limits::default()
        };
        let err = pipeline.run(sales(), &limits).unwrap_err();
        assert_eq!(err.step, 1);
        assert!(err.message.contains("at most 3"), "{err}");
    }

    #[test]
    fn new_steps_read_from_json_and_run_together() {
        let pipeline: Pipeline = serde_json::from_value(json!({"steps": [
            {"op": "convert", "field": "day", "to": "date", "format": "%d/%m/%Y"},
            {"op": "compute", "field": "revenue", "expr": "units * [unit price]"},
            {"op": "join", "dataset": "regions", "kind": "left", "on": [{"left": "region", "right": "code"}]},
            {"op": "pivot", "index": ["day"], "column": "name", "value": "revenue", "agg": "sum"},
            {"op": "unpivot", "keep": ["day"], "name_as": "region", "value_as": "revenue"},
            {"op": "time_bucket", "field": "day", "unit": "month", "keys": ["region"], "aggregates": [
                {"field": "revenue", "agg": "sum", "as": "revenue"}
            ]},
            {"op": "running", "field": "revenue", "kind": "total", "as": "to_date", "order_by": "day", "partition": ["region"]}
        ]}))
        .unwrap();
        let data = rows(json!([
            {"day": "01/02/2024", "region": "n", "units": 2, "unit price": 5},
            {"day": "15/02/2024", "region": "s", "units": 1, "unit price": 5},
            {"day": "03/03/2024", "region": "n", "units": 3, "unit price": 5},
        ]));
        let regions = HashMap::from([(
            "regions".to_string(),
            rows(json!([{"code": "n", "name": "North"}, {"code": "s", "name": "South"}])),
        )]);
        let out = pipeline
            .run_with(data.clone(), &Limits::default(), &regions)
            .unwrap();
        assert_eq!(
            out.rows,
            rows(json!([
                {"day": "2024-02-01T00:00:00Z", "region": "North", "revenue": 10.0, "to_date": 10.0},
                {"day": "2024-02-01T00:00:00Z", "region": "South", "revenue": 5.0, "to_date": 5.0},
                {"day": "2024-03-01T00:00:00Z", "region": "North", "revenue": 15.0, "to_date": 25.0},
                {"day": "2024-03-01T00:00:00Z", "region": "South", "revenue": 0.0, "to_date": 5.0},
            ]))
        );
        let again: Pipeline =
            serde_json::from_value(serde_json::to_value(&pipeline).unwrap()).unwrap();
        assert_eq!(again, pipeline, "steps write back as they were read");
        let err = pipeline.run(data, &Limits::default()).unwrap_err();
        assert_eq!(err.step, 3);
        assert_eq!(err.message, "the joined dataset regions is not available");
    }

    #[test]
    fn a_compute_step_with_a_bad_expression_is_refused_when_read_saying_where() {
        let err = serde_json::from_value::<Pipeline>(
            json!({"steps": [{"op": "compute", "field": "x", "expr": "1 +"}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("expression: character 3: expected a value, found the end"),
            "{err}"
        );
    }

    #[test]
    fn jq_and_json_path_steps_read_from_json_and_reshape_the_rows() {
        let pipeline: Pipeline = serde_json::from_value(json!({"steps": [
            {"op": "jq", "filter": "map(select(.units != \"n/a\")) | group_by(.region)[] | {region: .[0].region, units: (map(.units) | add)}"},
            {"op": "json_path", "path": "$[?@.units > 4]"}
        ]}))
        .unwrap();
        let out = pipeline.run(sales(), &Limits::default()).unwrap();
        assert_eq!(
            out.rows,
            rows(json!([{"region": "east", "units": 7}, {"region": "south", "units": 5}]))
        );
        let err = serde_json::from_value::<Pipeline>(
            json!({"steps": [{"op": "jq", "filter": ".[] | {"}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("jq filter, character 7: "), "{err}");
    }

    #[test]
    fn an_unknown_step_is_refused_when_read() {
        let err = serde_json::from_value::<Pipeline>(json!({"steps": [{"op": "explode"}]}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("explode"), "{err}");
    }

    /// The columnar engine against the row engine it replaces: the same rows and the
    /// same reports (or the same error) for random pipelines on random rows.
    mod differential {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Value;

        const FIELDS: [&str; 4] = ["a", "b", "c", "d"];

        fn field() -> impl Strategy<Value = String> {
            prop::sample::select(&FIELDS[..]).prop_map(str::to_owned)
        }

        fn cell() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                (-3i64..4).prop_map(Value::from),
                prop::sample::select(vec![0.5, -1.25, 2.0, 3.0, 1e20]).prop_map(Value::from),
                prop::sample::select(vec![
                    "x",
                    "y",
                    "X",
                    "10",
                    "",
                    "2,5",
                    "2024-03-05",
                    "2024-02-29T23:30:00Z",
                    "05/03/2024"
                ])
                .prop_map(Value::from),
                Just(json!(1_709_600_000_000i64)),
                any::<bool>().prop_map(Value::from),
                Just(json!([1, "x"])),
                Just(json!(u64::MAX)),
            ]
        }

        /// Rows over a few fields, each field sometimes missing.
        fn data() -> impl Strategy<Value = Vec<Row>> {
            prop::collection::vec(
                prop::collection::vec(prop::option::weighted(0.8, cell()), FIELDS.len()),
                0..14,
            )
            .prop_map(|rows| {
                rows.into_iter()
                    .map(|cells| {
                        FIELDS
                            .iter()
                            .zip(cells)
                            .filter_map(|(f, c)| c.map(|c| (f.to_string(), c)))
                            .collect()
                    })
                    .collect()
            })
        }

        fn aggregate() -> impl Strategy<Value = Value> {
            let aggs = vec![
                json!("count"),
                json!("sum"),
                json!("avg"),
                json!("min"),
                json!("max"),
                json!("median"),
                json!("distinct_count"),
                json!("first"),
                json!("last"),
            ];
            (field(), prop::sample::select(aggs), field())
                .prop_map(|(f, agg, name)| json!({"field": f, "agg": agg, "as": name}))
        }

        fn step() -> impl Strategy<Value = Value> {
            let cmps = vec![
                "eq", "ne", "lt", "le", "gt", "ge", "contains", "is_null", "not_null",
            ];
            prop_oneof![
                prop::collection::vec(field(), 0..4).prop_map(|f| json!({"op": "select", "fields": f})),
                (field(), field()).prop_map(|(a, b)| json!({"op": "rename", "from": a, "to": b})),
                (field(), prop::sample::select(cmps), cell())
                    .prop_map(|(f, c, v)| json!({"op": "filter", "field": f, "cmp": c, "value": v})),
                (field(), any::<bool>())
                    .prop_map(|(f, d)| json!({"op": "sort", "field": f, "descending": d})),
                (0usize..6).prop_map(|n| json!({"op": "limit", "n": n})),
                prop::collection::vec(field(), 0..3).prop_map(|f| json!({"op": "dedupe", "fields": f})),
                (field(), cell()).prop_map(|(f, v)| json!({"op": "fill_null", "field": f, "value": v})),
                (prop::collection::vec(field(), 0..3), prop::collection::vec(aggregate(), 0..3))
                    .prop_map(|(k, a)| json!({"op": "group_by", "keys": k, "aggregates": a})),
                prop::collection::vec(aggregate(), 1..3)
                    .prop_map(|a| json!({"op": "reduce", "aggregates": a})),
                // Row steps between columnar ones: the run turns batches into rows and back.
                (field(), field()).prop_map(|(f, g)| json!({"op": "compute", "field": f, "expr": format!("{g} + 1")})),
                (field(), prop::sample::select(vec!["number", "text", "boolean", "date", "timestamp"]))
                    .prop_map(|(f, to)| json!({"op": "convert", "field": f, "to": to})),
                (field(), prop::sample::select(vec!["hour", "day", "week", "month"]), prop::collection::vec(field(), 0..2), prop::collection::vec(aggregate(), 0..3))
                    .prop_map(|(f, unit, k, a)| json!({"op": "time_bucket", "field": f, "unit": unit, "keys": k, "aggregates": a})),
                (field(), field()).prop_map(|(f, g)| json!({"op": "running", "field": f, "kind": "total", "as": g})),
                json_path().prop_map(|p| json!({"op": "json_path", "path": p})),
                // jq reads the batch as JSON written from its columns (filters that do
                // not depend on the order of a row's fields: a row and a batch may
                // list them in different orders).
                prop::sample::select(vec![
                    "map(select(.a != null))",
                    ".[] | {a, n: (.b // 0)}",
                    "length",
                    "[.[] | keys[]] | unique | map({k: .})",
                    "map(.a) | sort",
                    ".[1:3]",
                ])
                .prop_map(|f| json!({"op": "jq", "filter": f})),
            ]
        }

        /// JSONPaths a batch runs as a column scan, written in the ways the syntax
        /// allows, and a few it cannot (they run on the JSONPath engine).
        fn json_path() -> impl Strategy<Value = String> {
            let ops = vec!["==", "!=", "<", "<=", ">", ">="];
            let literals = vec![
                "1",
                "2.0",
                "-3",
                "0.5",
                "1e20",
                "'x'",
                "\"y\"",
                "'10'",
                "true",
                "false",
                "null",
                "'2024-03-05'",
            ];
            let simple = (
                field(),
                prop::sample::select(ops),
                prop::sample::select(literals),
                0..4usize,
            )
                .prop_map(|(f, op, lit, form)| match form {
                    0 => format!("$[?@.{f} {op} {lit}]"),
                    1 => format!("$[?(@.{f}{op}{lit})]"),
                    2 => format!("$[ ?@['{f}'] {op} {lit} ]"),
                    _ => format!("$[?@[\"{f}\"]{op}{lit}]"),
                });
            prop_oneof![
                4 => simple,
                1 => prop::sample::select(vec!["$[?@.a > 1 && @.b]", "$[*]", "$[?@.a]", "$[0]", "$[?@.a == 'x' || @.b == 1]"])
                    .prop_map(str::to_owned),
            ]
        }

        #[test]
        fn simple_json_paths_are_recognised_and_the_others_are_not() {
            let filter = |p: &str| PathQuery::parse(p).unwrap().row_filter().cloned();
            let f = filter("$[?@.paid == true]").unwrap();
            assert_eq!(
                (f.field.as_str(), f.cmp, &f.value),
                ("paid", query::PathCmp::Eq, &json!(true))
            );
            assert_eq!(filter("$[?(@['a b'] >= 'x')]").unwrap().field, "a b");
            for other in [
                "$[?@.a > 1 && @.b]",
                "$[*]",
                "$[?@.a.b == 1]",
                "$[?@.a == 'x\\'y']",
                "$..a",
                "$[?1 == @.a]",
            ] {
                assert_eq!(filter(other), None, "{other}");
            }
        }

        fn pipeline() -> impl Strategy<Value = Pipeline> {
            prop::collection::vec((step(), prop::bool::weighted(0.9)), 0..6).prop_map(|steps| {
                let steps: Vec<Value> = steps
                    .into_iter()
                    .map(|(mut s, enabled)| {
                        s["enabled"] = Value::Bool(enabled);
                        s
                    })
                    .collect();
                serde_json::from_value(json!({ "steps": steps })).unwrap()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn columns_and_rows_give_the_same_rows_and_reports(
                pipeline in pipeline(),
                input in data(),
            ) {
                let limits = Limits { max_rows: 50, max_messages: 3, ..Limits::default() };
                let env = Env::local(limits);
                let rows = pipeline.run_data(Data::Rows(input.clone()), &env, false);
                let columns = pipeline.run_data(Data::Rows(input.clone()), &env, true);
                prop_assert_eq!(&columns, &rows, "{:?}", pipeline);
                let batch = pipeline.run_batch(Batch::from_rows(input), &env);
                prop_assert_eq!(&batch, &rows);
            }
        }
    }
}
