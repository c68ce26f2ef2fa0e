//! The `pivot` and `unpivot` steps: long rows to wide ones and back.

use super::aggregate::{compute, Agg, Aggregate};
use super::budget::{row_size, Budget};
use super::{Limits, StepReport};
use crate::model::Row;
use serde_json::Value;
use std::collections::HashMap;

/// Most columns a pivot makes.
pub const MAX_PIVOT_COLUMNS: usize = 500;

/// The text a cell gives as a column name.
fn column_name(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One row per distinct combination of `index` (in order of first appearance), with a
/// column per distinct value of `column` holding `agg` of `value` over the rows that
/// have it; null where no row does. A row whose `column` is null is counted and left
/// out.
pub(super) fn pivot(
    rows: &[Row],
    index: &[String],
    column: &str,
    value: &str,
    agg: Agg,
    budget: &Budget,
    report: &mut StepReport,
) -> Result<Vec<Row>, String> {
    let limits = budget.limits();
    let mut columns: Vec<String> = Vec::new();
    let mut column_of: HashMap<String, usize> = HashMap::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    // Per group: its first row, and its members per column.
    let mut groups: Vec<(&Row, HashMap<usize, Vec<&Row>>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(c) = row.get(column).filter(|v| !v.is_null()) else {
            report.problem(limits, || {
                format!(
                    "row {}: the pivot column '{column}' is empty; left out",
                    i + 1
                )
            });
            continue;
        };
        let name = column_name(c);
        let next = columns.len();
        let c = *column_of.entry(name.clone()).or_insert(next);
        if c == next {
            if columns.len() >= MAX_PIVOT_COLUMNS {
                return Err(format!(
                    "pivot: '{column}' has more than {MAX_PIVOT_COLUMNS} distinct values; at most {MAX_PIVOT_COLUMNS} columns are made"
                ));
            }
            columns.push(name);
        }
        let key = index
            .iter()
            .map(|k| row.get(k).unwrap_or(&Value::Null).to_string())
            .collect::<Vec<_>>()
            .join("\u{1f}");
        let next = groups.len();
        let g = *group_of.entry(key).or_insert(next);
        if g == next {
            groups.push((row, HashMap::new()));
        }
        groups[g].1.entry(c).or_default().push(row);
    }
    let mut out = Vec::with_capacity(groups.len());
    for (first, members) in &groups {
        let mut row = Row::new();
        for k in index {
            row.insert(k.clone(), first.get(k).cloned().unwrap_or(Value::Null));
        }
        for (c, name) in columns.iter().enumerate() {
            let cell = match members.get(&c) {
                Some(m) => {
                    let a = Aggregate {
                        field: value.to_string(),
                        agg,
                        name: name.clone(),
                    };
                    compute(&a, m, limits, report)
                }
                None => Value::Null,
            };
            // A column named like an index field replaces it; the index stays first.
            row.insert(name.clone(), cell);
        }
        budget.charge(row_size(&row))?;
        out.push(row);
    }
    Ok(out)
}

/// One row per input row and field of `fields` (every field not kept, when empty),
/// holding the `keep` fields, the field's name as `name_as` and its value as
/// `value_as`.
pub(super) fn unpivot(
    rows: Vec<Row>,
    keep: &[String],
    fields: &[String],
    name_as: &str,
    value_as: &str,
    limits: &Limits,
    budget: &Budget,
) -> Result<Vec<Row>, String> {
    let mut out = Vec::new();
    for (i, mut row) in rows.into_iter().enumerate() {
        budget.at_row(i)?;
        let names: Vec<String> = if fields.is_empty() {
            row.keys().filter(|k| !keep.contains(k)).cloned().collect()
        } else {
            fields.to_vec()
        };
        let kept: Row = keep
            .iter()
            .map(|k| (k.clone(), row.get(k).cloned().unwrap_or(Value::Null)))
            .collect();
        let kept_size = row_size(&kept) + 64 + name_as.len() + value_as.len();
        for name in names {
            budget.charge(kept_size + name.len())?;
            if out.len() >= limits.max_rows {
                return Err(format!(
                    "unpivot makes more than {} rows; at most {} are kept",
                    limits.max_rows, limits.max_rows
                ));
            }
            let mut new = kept.clone();
            let v = row.remove(&name).unwrap_or(Value::Null);
            new.insert(name_as.to_string(), Value::String(name));
            new.insert(value_as.to_string(), v);
            out.push(new);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn sales() -> Vec<Row> {
        rows(json!([
            {"region": "north", "quarter": "Q1", "units": 3},
            {"region": "north", "quarter": "Q2", "units": 4},
            {"region": "south", "quarter": "Q1", "units": 5},
            {"region": "north", "quarter": "Q1", "units": 1},
            {"region": "south", "quarter": null, "units": 9},
        ]))
    }

    #[test]
    fn pivot_makes_a_column_per_value_aggregates_and_leaves_gaps_null() {
        let mut report = StepReport::default();
        let index = ["region".to_string()];
        let out = pivot(
            &sales(),
            &index,
            "quarter",
            "units",
            Agg::Sum,
            &Budget::new(&Limits::default()),
            &mut report,
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([
                {"region": "north", "Q1": 4.0, "Q2": 4.0},
                {"region": "south", "Q1": 5.0, "Q2": null},
            ]))
        );
        assert_eq!(report.problems, 1, "the row without a quarter");
    }

    #[test]
    fn a_pivot_step_names_its_aggregate_or_spells_out_its_parameters() {
        use crate::pipeline::Op;
        let op: Op = serde_json::from_value(json!({
            "op": "pivot", "index": ["region"], "column": "quarter", "value": "units",
            "agg": {"agg": "percentile", "p": 100}
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&op).unwrap()["agg"],
            json!({"agg": "percentile", "p": 100.0})
        );
        let op: Op = serde_json::from_value(json!({
            "op": "pivot", "column": "quarter", "value": "units", "agg": "max"
        }))
        .unwrap();
        assert_eq!(serde_json::to_value(&op).unwrap()["agg"], json!("max"));
        let err = serde_json::from_value::<Op>(json!({
            "op": "pivot", "column": "quarter", "value": "units", "agg": "mode"
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("mode"), "{err}");
    }

    #[test]
    fn pivot_refuses_more_columns_than_the_cap() {
        let many: Vec<Row> = (0..=MAX_PIVOT_COLUMNS)
            .map(|i| rows(json!([{"c": i, "v": 1}])).remove(0))
            .collect();
        let err = pivot(
            &many,
            &[],
            "c",
            "v",
            Agg::Count,
            &Budget::new(&Limits::default()),
            &mut StepReport::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "pivot: 'c' has more than 500 distinct values; at most 500 columns are made"
        );
    }

    #[test]
    fn unpivot_turns_fields_into_rows_and_back_again() {
        let wide =
            rows(json!([{"region": "north", "Q1": 4, "Q2": 5}, {"region": "south", "Q1": 6}]));
        let keep = ["region".to_string()];
        let out = unpivot(
            wide.clone(),
            &keep,
            &[],
            "quarter",
            "units",
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([
                {"region": "north", "quarter": "Q1", "units": 4},
                {"region": "north", "quarter": "Q2", "units": 5},
                {"region": "south", "quarter": "Q1", "units": 6},
            ]))
        );
        let named = ["Q2".to_string()];
        let out2 = unpivot(
            wide,
            &keep,
            &named,
            "quarter",
            "units",
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap();
        assert_eq!(
            out2[1],
            rows(json!([{"region": "south", "quarter": "Q2", "units": null}]))[0]
        );
        let back = pivot(
            &out,
            &keep,
            "quarter",
            "units",
            Agg::First,
            &Budget::new(&Limits::default()),
            &mut StepReport::default(),
        )
        .unwrap();
        assert_eq!(
            back,
            rows(
                json!([{"region": "north", "Q1": 4, "Q2": 5}, {"region": "south", "Q1": 6, "Q2": null}])
            )
        );
    }

    #[test]
    fn an_unpivot_past_the_byte_budget_stops_before_making_more_rows() {
        let wide = rows(json!([{"keep": "k".repeat(10_000), "a": 1, "b": 2, "c": 3}]));
        let limits = Limits {
            max_bytes: 25_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let keep = ["keep".to_string()];
        let err = unpivot(wide, &keep, &[], "k", "v", &limits, &budget).unwrap_err();
        assert!(err.contains("take more than"), "{err}");
        assert!(budget.used() <= 25_000);
    }

    #[test]
    fn unpivot_respects_the_row_cap() {
        let wide = rows(json!([{"a": 1, "b": 2, "c": 3}]));
        let limits = Limits {
            max_rows: 2,
            max_messages: 1,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let err = unpivot(wide, &[], &[], "k", "v", &limits, &budget).unwrap_err();
        assert!(err.contains("at most 2"), "{err}");
    }
}
