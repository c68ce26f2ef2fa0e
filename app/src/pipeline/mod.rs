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
pub mod budget;
mod convert;
mod dates;
mod expr;
mod join;
mod query;
mod reshape;
mod series;
mod step;

pub use aggregate::{Agg, Aggregate};
pub use budget::Budget;
pub use convert::{convert, parse_number, Decimal, Target};
pub use dates::{DateOptions, NumberDates, Zone};
pub use expr::Expr;
pub use join::{JoinKey, JoinKind};
#[cfg(not(target_arch = "wasm32"))]
pub use query::{serve_jq, JqRequest, TIME_LIMIT_MS};
pub use query::{JqFilter, JqOutput, PathQuery, MAX_OUTPUT_BYTES};
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
    fn run(&self, filter: &JqFilter, input: String, limits: &Limits) -> Result<JqOutput, String>;
}

/// jq in this process, on a thread of its own (natively); in the browser, jq steps say
/// they run on the server. A filter that allocates without bound can still exhaust
/// this process: servers run jq in their sandboxed worker instead.
pub struct InProcess;

impl JqRunner for InProcess {
    fn run(&self, filter: &JqFilter, input: String, limits: &Limits) -> Result<JqOutput, String> {
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
        let limits = &env.limits;
        let budget = Budget::new(limits);
        let mut rows = rows;
        let mut reports = Vec::with_capacity(self.steps.len());
        for (i, step) in self.steps.iter().enumerate() {
            let mut report = StepReport::default();
            if step.enabled {
                let stopped = |message| PipelineError {
                    step: i + 1,
                    message,
                };
                budget.check_time().map_err(stopped)?;
                rows = step
                    .op
                    .apply(rows, env, &budget, &mut report)
                    .map_err(stopped)?;
                if rows.len() > limits.max_rows {
                    return Err(PipelineError {
                        step: i + 1,
                        message: format!(
                            "the step makes {} rows; at most {} are kept",
                            rows.len(),
                            limits.max_rows
                        ),
                    });
                }
            } else {
                report.skipped = true;
            }
            report.rows = rows.len();
            reports.push(report);
        }
        Ok(Outcome { rows, reports })
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
}
