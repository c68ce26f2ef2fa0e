//! The steps: what each does to the rows.

use super::aggregate::{group, Aggregate};
use super::batch::Cell;
use super::budget::{value_size, Budget};
use super::columnar::{self, Wanted};
use super::{Env, StepReport};
use crate::model::Row;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashSet;

/// One step and whether it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(flatten)]
    pub op: Op,
}

fn enabled() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// How a filter compares a field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Text containing the value (case-insensitive).
    Contains,
    IsNull,
    NotNull,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Keeps these fields, in this order.
    Select {
        fields: Vec<String>,
    },
    Rename {
        from: String,
        to: String,
    },
    /// Keeps the rows where `field cmp value` holds.
    Filter {
        field: String,
        cmp: Cmp,
        #[serde(default)]
        value: Value,
    },
    /// Numbers by value, text alphabetically, empty cells last; stable.
    Sort {
        field: String,
        #[serde(default)]
        descending: bool,
    },
    /// Keeps the first `n` rows (after a sort: the top N).
    Limit {
        n: usize,
    },
    /// Keeps the first row of each distinct combination of `fields` (all if empty).
    Dedupe {
        #[serde(default)]
        fields: Vec<String>,
    },
    /// Puts `value` where `field` is empty.
    FillNull {
        field: String,
        value: Value,
    },
    /// Converts `field` to `to`, cleaning text numbers (see `convert`) and reading
    /// dates (see `dates`: `format`, `day_first`, `zone` and `numbers` only matter
    /// for `date` and `timestamp`); a cell that cannot be read becomes null and is
    /// counted.
    Convert {
        field: String,
        to: super::Target,
        #[serde(default)]
        decimal: super::Decimal,
        /// A chrono strftime pattern tried first, e.g. `%d/%m/%Y %H:%M`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<String>,
        /// Read `01/02/2012` as 1 February.
        #[serde(default, skip_serializing_if = "is_false")]
        day_first: bool,
        /// The offset of zone-less text, e.g. `+02:00`; UTC by default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zone: Option<super::Zone>,
        /// How numbers are read as dates.
        #[serde(default, skip_serializing_if = "is_default")]
        numbers: super::NumberDates,
    },
    /// One row per distinct combination of `keys`, with the aggregates.
    GroupBy {
        keys: Vec<String>,
        aggregates: Vec<Aggregate>,
    },
    /// One row of aggregates over all rows, for KPI widgets.
    Reduce {
        aggregates: Vec<Aggregate>,
    },
    /// Sets `field` to `expr` (see `expr` for the language), parsed when the step is
    /// read; a row where it cannot be computed gets null and is counted.
    Compute {
        field: String,
        expr: super::Expr,
    },
    /// Adds the fields of `dataset`'s rows where `on` matches (see `join`).
    Join {
        dataset: String,
        #[serde(default)]
        kind: super::JoinKind,
        on: Vec<super::JoinKey>,
    },
    /// One row per combination of `index`, a column per value of `column` holding
    /// `agg` of `value` (at most `MAX_PIVOT_COLUMNS` columns).
    Pivot {
        #[serde(default)]
        index: Vec<String>,
        column: String,
        value: String,
        #[serde(with = "super::aggregate::shorthand")]
        agg: super::Agg,
    },
    /// One row per row and field of `fields` (all but `keep` when empty), holding
    /// `keep`, the field's name as `name_as` and its value as `value_as`.
    Unpivot {
        #[serde(default)]
        keep: Vec<String>,
        #[serde(default)]
        fields: Vec<String>,
        name_as: String,
        value_as: String,
    },
    /// Groups rows by the start of the `unit` holding `field` (ISO text or epoch
    /// milliseconds, UTC, weeks from Monday) and by `keys`, sorted by time.
    TimeBucket {
        field: String,
        unit: super::TimeUnit,
        #[serde(default)]
        aggregates: Vec<Aggregate>,
        #[serde(default)]
        keys: Vec<String>,
    },
    /// Sets `as` to the running `kind` of `field` per `partition`, in `order_by` time
    /// order (row order when not given; `rate` needs it).
    Running {
        field: String,
        kind: super::RunningKind,
        #[serde(rename = "as", alias = "as_field")]
        as_field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_by: Option<String>,
        #[serde(default)]
        partition: Vec<String>,
    },
    /// Runs a jq `filter` on the rows as one array; its results become the rows (see
    /// `query` for what is bounded).
    Jq {
        filter: super::JqFilter,
    },
    /// Runs a JSONPath query on the rows as one array; what it selects becomes the
    /// rows.
    JsonPath {
        path: super::PathQuery,
    },
}

impl Op {
    pub(super) fn apply(
        &self,
        mut rows: Vec<Row>,
        env: &Env,
        budget: &Budget,
        report: &mut StepReport,
    ) -> Result<Vec<Row>, String> {
        let limits = &env.limits;
        match self {
            Op::Select { fields } => Ok(rows
                .into_iter()
                .map(|mut row| {
                    fields
                        .iter()
                        .map(|f| (f.clone(), row.remove(f).unwrap_or(Value::Null)))
                        .collect()
                })
                .collect()),
            Op::Rename { from, to } => {
                for row in &mut rows {
                    if let Some(v) = row.remove(from) {
                        row.insert(to.clone(), v);
                    }
                }
                Ok(rows)
            }
            Op::Filter { field, cmp, value } => {
                let wanted = Wanted::new(*cmp, value);
                let mut kept = Vec::with_capacity(rows.len());
                for row in rows {
                    match wanted.matches(row.get(field).map_or(Cell::Absent, Cell::of)) {
                        Ok(true) => kept.push(row),
                        Ok(false) => {}
                        Err(why) => report.problem(limits, || format!("field '{field}': {why}")),
                    }
                }
                Ok(kept)
            }
            Op::Sort { field, descending } => {
                rows.sort_by(|a, b| {
                    let (a, b) = (a.get(field), b.get(field));
                    let order = order(a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null));
                    // Empty cells stay last either way.
                    match (is_empty(a), is_empty(b)) {
                        (false, false) if *descending => order.reverse(),
                        _ => order,
                    }
                });
                Ok(rows)
            }
            Op::Limit { n } => {
                rows.truncate(*n);
                Ok(rows)
            }
            Op::Dedupe { fields } => {
                let mut seen = HashSet::new();
                rows.retain(|row| {
                    let key = if fields.is_empty() {
                        // The whole row, its fields in name order: rows equal but for
                        // the order of their fields are duplicates.
                        let mut cells: Vec<(&String, &Value)> = row.iter().collect();
                        cells.sort_by_key(|(k, _)| *k);
                        serde_json::to_string(&cells).unwrap_or_default()
                    } else {
                        fields
                            .iter()
                            .map(|f| row.get(f).unwrap_or(&Value::Null).to_string())
                            .collect::<Vec<_>>()
                            .join("\u{1f}")
                    };
                    seen.insert(key)
                });
                Ok(rows)
            }
            Op::FillNull { field, value } => {
                let size = value_size(value);
                for (i, row) in rows.iter_mut().enumerate() {
                    budget.at_row(i)?;
                    if is_empty(row.get(field)) {
                        budget.charge(size)?;
                        row.insert(field.clone(), value.clone());
                    }
                }
                Ok(rows)
            }
            Op::Convert {
                field,
                to,
                decimal,
                format,
                day_first,
                zone,
                numbers,
            } => {
                let dates = super::DateOptions {
                    format: format.clone(),
                    day_first: *day_first,
                    zone: *zone,
                    numbers: *numbers,
                };
                let day = *to == super::Target::Date;
                for (i, row) in rows.iter_mut().enumerate() {
                    let Some(cell) = row.get_mut(field) else {
                        continue;
                    };
                    let converted = match to {
                        super::Target::Date | super::Target::Timestamp => {
                            super::dates::to_iso(cell, day, &dates)
                        }
                        _ => super::convert(cell, *to, *decimal),
                    };
                    match converted {
                        Ok(v) => *cell = v,
                        Err(why) => {
                            *cell = Value::Null;
                            report.problem(limits, || {
                                format!("row {}, field '{field}': {why}", i + 1)
                            });
                        }
                    }
                }
                Ok(rows)
            }
            Op::GroupBy { keys, aggregates } => Ok(group(&rows, keys, aggregates, limits, report)),
            Op::Reduce { aggregates } => Ok(group(&rows, &[], aggregates, limits, report)),
            Op::Compute { field, expr } => {
                for (i, row) in rows.iter_mut().enumerate() {
                    budget.at_row(i)?;
                    let v = match expr.eval(row) {
                        Ok(v) => v,
                        Err(why) => {
                            report.problem(limits, || format!("row {}: {why}", i + 1));
                            Value::Null
                        }
                    };
                    budget.charge(value_size(&v))?;
                    row.insert(field.clone(), v);
                }
                Ok(rows)
            }
            Op::Join { dataset, kind, on } => {
                let right = env
                    .datasets
                    .rows(dataset)
                    .ok_or_else(|| format!("the joined dataset {dataset} is not available"))?;
                super::join::join(rows, &right, dataset, *kind, on, limits, budget)
            }
            Op::Pivot {
                index,
                column,
                value,
                agg,
            } => super::reshape::pivot(&rows, index, column, value, *agg, budget, report),
            Op::Unpivot {
                keep,
                fields,
                name_as,
                value_as,
            } => super::reshape::unpivot(rows, keep, fields, name_as, value_as, limits, budget),
            Op::TimeBucket {
                field,
                unit,
                aggregates,
                keys,
            } => Ok(super::series::time_bucket(
                rows, field, *unit, aggregates, keys, limits, report,
            )),
            Op::Running {
                field,
                kind,
                as_field,
                order_by,
                partition,
            } => super::series::running(
                rows,
                field,
                *kind,
                as_field,
                order_by.as_deref(),
                partition,
                limits,
                report,
            ),
            Op::Jq { filter } => super::query::jq(rows, filter, env, budget, report),
            Op::JsonPath { path } => super::query::json_path(rows, path, limits, budget),
        }
    }
}

fn is_empty(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// Total order for sorting: empty last, then numbers, booleans, text, the rest (the
/// columnar engine's order, on a row's values).
pub(super) fn order(a: &Value, b: &Value) -> Ordering {
    columnar::order(Cell::of(a), Cell::of(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn run(op: Value, input: Value) -> (Vec<Row>, StepReport) {
        let op: Op = serde_json::from_value(op).unwrap();
        let mut report = StepReport::default();
        let limits = crate::pipeline::Limits::default();
        let out = op
            .apply(
                rows(input),
                &crate::pipeline::Env::local(limits),
                &Budget::new(&limits),
                &mut report,
            )
            .unwrap();
        (out, report)
    }

    #[test]
    fn select_keeps_and_orders_fields_and_rename_renames() {
        let (out, _) = run(
            json!({"op": "select", "fields": ["b", "a", "z"]}),
            json!([{"a": 1, "b": 2, "c": 3}]),
        );
        let keys: Vec<&String> = out[0].keys().collect();
        assert_eq!(keys, ["b", "a", "z"]);
        assert_eq!(out[0]["z"], Value::Null);
        let (out, _) = run(
            json!({"op": "rename", "from": "a", "to": "x"}),
            json!([{"a": 1}, {"b": 2}]),
        );
        assert_eq!(out, rows(json!([{"x": 1}, {"b": 2}])));
    }

    #[test]
    fn filters_compare_numbers_text_and_nulls_and_count_what_they_cannot_compare() {
        let data = json!([{"v": 1}, {"v": 2.0}, {"v": "x"}, {"v": null}, {}]);
        let (out, report) = run(
            json!({"op": "filter", "field": "v", "cmp": "ge", "value": 2}),
            data.clone(),
        );
        assert_eq!(out, rows(json!([{"v": 2.0}])));
        assert_eq!(report.problems, 1, "'x' >= 2 cannot be decided");
        let (out, _) = run(
            json!({"op": "filter", "field": "v", "cmp": "eq", "value": 2}),
            data.clone(),
        );
        assert_eq!(out.len(), 1, "2 equals 2.0");
        let (out, _) = run(
            json!({"op": "filter", "field": "v", "cmp": "is_null"}),
            data.clone(),
        );
        assert_eq!(out.len(), 2);
        let (out, _) = run(
            json!({"op": "filter", "field": "v", "cmp": "contains", "value": "X"}),
            json!([{"v": "aXb"}, {"v": "abc"}]),
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn sort_is_stable_numeric_and_keeps_empty_cells_last() {
        let data =
            json!([{"v": 10, "i": 1}, {"v": null, "i": 2}, {"v": 9, "i": 3}, {"v": 10, "i": 4}]);
        let (out, _) = run(json!({"op": "sort", "field": "v"}), data.clone());
        let order: Vec<i64> = out.iter().map(|r| r["i"].as_i64().unwrap()).collect();
        assert_eq!(order, [3, 1, 4, 2]);
        let (out, _) = run(
            json!({"op": "sort", "field": "v", "descending": true}),
            data,
        );
        let order: Vec<i64> = out.iter().map(|r| r["i"].as_i64().unwrap()).collect();
        assert_eq!(order, [1, 4, 3, 2]);
    }

    #[test]
    fn convert_cleans_cells_and_nulls_the_unreadable_ones() {
        let (out, report) = run(
            json!({"op": "convert", "field": "v", "to": "number"}),
            json!([{"v": "$1,200"}, {"v": "n/a"}, {"v": 3}, {"w": 1}]),
        );
        assert_eq!(out[0]["v"], json!(1200.0));
        assert_eq!(out[1]["v"], Value::Null);
        assert_eq!(out[2]["v"], json!(3.0));
        assert_eq!(report.problems, 1);
        assert_eq!(
            report.messages[0],
            "row 2, field 'v': \"n/a\" is not a number"
        );
    }

    #[test]
    fn convert_reads_dates_with_the_steps_options_and_counts_the_unreadable() {
        let (out, report) = run(
            json!({"op": "convert", "field": "d", "to": "timestamp", "zone": "+02:00", "day_first": true}),
            json!([{"d": "01/02/2024 14:00"}, {"d": "Jan 1 2000"}, {"d": "later"}]),
        );
        assert_eq!(out[0]["d"], json!("2024-02-01T12:00:00Z"));
        assert_eq!(out[1]["d"], json!("2000-01-01T00:00:00Z"));
        assert_eq!(out[2]["d"], Value::Null);
        assert_eq!(report.problems, 1);
        let (out, _) = run(
            json!({"op": "convert", "field": "d", "to": "date", "numbers": "excel"}),
            json!([{"d": 45352}]),
        );
        assert_eq!(out[0]["d"], json!("2024-03-01"));
        let err = serde_json::from_value::<Op>(
            json!({"op": "convert", "field": "d", "to": "date", "zone": "Mars/Olympus"}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not an offset"), "{err}");
    }

    #[test]
    fn limit_dedupe_and_fill_null() {
        let data = json!([{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 1, "b": 1}, {"a": null}]);
        let (out, _) = run(json!({"op": "limit", "n": 2}), data.clone());
        assert_eq!(out.len(), 2);
        let (out, _) = run(json!({"op": "dedupe"}), data.clone());
        assert_eq!(out.len(), 3);
        let (out, _) = run(json!({"op": "dedupe", "fields": ["a"]}), data.clone());
        assert_eq!(out.len(), 2);
        let (out, _) = run(json!({"op": "fill_null", "field": "a", "value": 0}), data);
        assert_eq!(out[3]["a"], json!(0));
        let (out, _) = run(
            json!({"op": "dedupe"}),
            json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1}, {"a": 1, "b": null}]),
        );
        assert_eq!(
            out.len(),
            3,
            "the order of fields does not make rows differ"
        );
    }
}
