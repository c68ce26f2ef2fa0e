//! Aggregates for group-by and reduce steps.

use super::step::order;
use super::{Limits, StepReport};
use crate::model::Row;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use std::collections::{HashMap, HashSet};

/// What an aggregate computes over a group's values of one field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "agg", rename_all = "snake_case")]
pub enum Agg {
    /// Rows in the group.
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Median,
    /// `p` from 0 to 100 (linear interpolation between the nearest ranks).
    Percentile {
        p: f64,
    },
    /// Distinct non-empty values.
    DistinctCount,
    /// The first / last non-empty value.
    First,
    Last,
}

/// One output field: `agg` of `field`, named `as`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    #[serde(default)]
    pub field: String,
    #[serde(flatten)]
    pub agg: Agg,
    #[serde(rename = "as")]
    pub name: String,
}

/// An `Agg` written as its name (`"sum"`) or, with parameters, as an object
/// (`{"agg": "percentile", "p": 90}`).
pub(super) mod shorthand {
    use super::Agg;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    pub fn serialize<S: serde::Serializer>(agg: &Agg, s: S) -> Result<S::Ok, S::Error> {
        let v = serde_json::to_value(agg).map_err(S::Error::custom)?;
        match v
            .as_object()
            .and_then(|o| o.get("agg").filter(|_| o.len() == 1))
        {
            Some(name) => name.serialize(s),
            None => v.serialize(s),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Agg, D::Error> {
        let v = match Value::deserialize(d)? {
            Value::String(name) => serde_json::json!({ "agg": name }),
            other => other,
        };
        serde_json::from_value(v).map_err(D::Error::custom)
    }
}

/// One row per distinct combination of `keys` (in order of first appearance), holding
/// the keys and the aggregates. With no keys: exactly one row, even for no input.
pub(super) fn group(
    rows: &[Row],
    keys: &[String],
    aggregates: &[Aggregate],
    limits: &Limits,
    report: &mut StepReport,
) -> Vec<Row> {
    let mut order_of: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    if keys.is_empty() {
        groups.push(rows.iter().collect());
    } else {
        for row in rows {
            let key = keys
                .iter()
                .map(|k| row.get(k).unwrap_or(&Value::Null).to_string())
                .collect::<Vec<_>>()
                .join("\u{1f}");
            let next = groups.len();
            let at = *order_of.entry(key).or_insert(next);
            if at == next {
                groups.push(Vec::new());
            }
            groups[at].push(row);
        }
    }
    groups
        .iter()
        .map(|members| {
            let mut out = Row::new();
            if let Some(first) = members.first() {
                for k in keys {
                    out.insert(k.clone(), first.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            for a in aggregates {
                out.insert(a.name.clone(), compute(a, members, limits, report));
            }
            out
        })
        .collect()
}

pub(super) fn compute(
    a: &Aggregate,
    members: &[&Row],
    limits: &Limits,
    report: &mut StepReport,
) -> Value {
    let cells = || {
        members
            .iter()
            .map(|r| r.get(&a.field).unwrap_or(&Value::Null))
            .filter(|v| !v.is_null())
    };
    match a.agg {
        Agg::Count => Value::from(members.len()),
        Agg::DistinctCount => {
            let distinct: HashSet<String> = cells().map(Value::to_string).collect();
            Value::from(distinct.len())
        }
        Agg::First => cells().next().cloned().unwrap_or(Value::Null),
        Agg::Last => members
            .iter()
            .rev()
            .filter_map(|r| r.get(&a.field))
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null),
        Agg::Min | Agg::Max if cells().all(|v| v.is_string()) && cells().next().is_some() => {
            let pick = cells().reduce(|x, y| {
                let keep_x = (order(x, y) != std::cmp::Ordering::Greater) == (a.agg == Agg::Min);
                if keep_x {
                    x
                } else {
                    y
                }
            });
            pick.cloned().unwrap_or(Value::Null)
        }
        _ => {
            let mut numbers = Vec::new();
            for v in cells() {
                match v.as_f64() {
                    Some(n) => numbers.push(n),
                    None => report.problem(limits, || {
                        format!("field '{}': {v} is not a number; left out", a.field)
                    }),
                }
            }
            number(numeric(a.agg, &mut numbers))
        }
    }
}

pub(super) fn numeric(agg: Agg, values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return match agg {
            Agg::Sum => Some(0.0),
            _ => None,
        };
    }
    let n = values.len() as f64;
    match agg {
        Agg::Sum => Some(values.iter().sum()),
        Agg::Avg => Some(values.iter().sum::<f64>() / n),
        Agg::Min => values.iter().copied().reduce(f64::min),
        Agg::Max => values.iter().copied().reduce(f64::max),
        Agg::Median => percentile(values, 50.0),
        Agg::Percentile { p } => percentile(values, p),
        _ => None,
    }
}

fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&p) {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (rank - lo as f64))
}

pub(super) fn number(n: Option<f64>) -> Value {
    n.and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn agg(spec: Value, data: Value) -> Value {
        let a: Aggregate = serde_json::from_value(spec).unwrap();
        let mut report = StepReport::default();
        let out = group(&rows(data), &[], &[a], &Limits::default(), &mut report);
        out[0]["x"].clone()
    }

    #[test]
    fn numeric_aggregates() {
        let data = json!([{"v": 4}, {"v": 1}, {"v": null}, {"v": 3}, {"v": 2}]);
        let of = |spec: Value| agg(spec, data.clone());
        assert_eq!(
            of(json!({"field": "v", "agg": "count", "as": "x"})),
            json!(5)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "sum", "as": "x"})),
            json!(10.0)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "avg", "as": "x"})),
            json!(2.5)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "min", "as": "x"})),
            json!(1.0)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "max", "as": "x"})),
            json!(4.0)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "median", "as": "x"})),
            json!(2.5)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "percentile", "p": 100, "as": "x"})),
            json!(4.0)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "percentile", "p": 25, "as": "x"})),
            json!(1.75)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "distinct_count", "as": "x"})),
            json!(4)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "first", "as": "x"})),
            json!(4)
        );
        assert_eq!(
            of(json!({"field": "v", "agg": "last", "as": "x"})),
            json!(2)
        );
    }

    #[test]
    fn empty_input_reduces_to_one_row_and_text_has_a_min() {
        assert_eq!(
            agg(json!({"field": "v", "agg": "sum", "as": "x"}), json!([])),
            json!(0.0)
        );
        assert_eq!(
            agg(json!({"field": "v", "agg": "avg", "as": "x"}), json!([])),
            Value::Null
        );
        assert_eq!(
            agg(
                json!({"field": "v", "agg": "min", "as": "x"}),
                json!([{"v": "b"}, {"v": "a"}])
            ),
            json!("a")
        );
        assert_eq!(
            agg(
                json!({"field": "v", "agg": "percentile", "p": 101, "as": "x"}),
                json!([{"v": 1}])
            ),
            Value::Null
        );
    }
}
