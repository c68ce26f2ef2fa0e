//! Time series steps: `time_bucket` (group rows into minutes, hours, days, weeks or
//! months) and `running` (running totals, differences, rates and percent changes).
//!
//! Times are ISO 8601 text (anything the `convert` step reads as a timestamp) or Unix
//! epoch milliseconds; buckets are in UTC and weeks start on Monday.

use super::aggregate::{group, Aggregate};
use super::dates::{self, DateOptions, NumberDates};
use super::{Limits, StepReport};
use crate::model::Row;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use std::collections::HashMap;

/// The width of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Minute,
    Hour,
    Day,
    /// Starting on Monday.
    Week,
    Month,
}

/// What a `running` step computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunningKind {
    /// The sum so far (an empty cell adds nothing).
    Total,
    /// This value minus the previous one.
    Difference,
    /// The difference per second of `order_by` time.
    Rate,
    /// The difference as a percentage of the previous value.
    PercentChange,
}

/// A cell as a time in milliseconds since the epoch.
pub(super) fn millis(v: &Value) -> Option<i64> {
    let opts = DateOptions {
        numbers: NumberDates::UnixMillis,
        ..DateOptions::default()
    };
    match v {
        Value::Null => None,
        _ => dates::read(v, &opts)
            .ok()
            .map(|w| w.instant().timestamp_millis()),
    }
}

/// The start of the bucket holding `t`.
pub(super) fn bucket(t: DateTime<Utc>, unit: TimeUnit) -> Option<DateTime<Utc>> {
    let ms = t.timestamp_millis();
    let floor = |width: i64| DateTime::from_timestamp_millis(ms.div_euclid(width) * width);
    match unit {
        TimeUnit::Minute => floor(60_000),
        TimeUnit::Hour => floor(3_600_000),
        TimeUnit::Day => floor(86_400_000),
        TimeUnit::Week => {
            let day = t.date_naive();
            let monday = day.checked_sub_signed(TimeDelta::try_days(i64::from(
                day.weekday().num_days_from_monday(),
            ))?)?;
            Some(monday.and_hms_opt(0, 0, 0)?.and_utc())
        }
        TimeUnit::Month => {
            let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?;
            Some(first.and_hms_opt(0, 0, 0)?.and_utc())
        }
    }
}

/// Rows grouped by the bucket of `field` (which then holds the bucket's start) and
/// `keys`, with the aggregates, sorted by bucket. A row whose time cannot be read is
/// counted and left out.
pub(super) fn time_bucket(
    rows: Vec<Row>,
    field: &str,
    unit: TimeUnit,
    aggregates: &[Aggregate],
    keys: &[String],
    limits: &Limits,
    report: &mut StepReport,
) -> Vec<Row> {
    let mut starts: HashMap<String, i64> = HashMap::new();
    let mut kept = Vec::with_capacity(rows.len());
    for (i, mut row) in rows.into_iter().enumerate() {
        let cell = row.get(field).cloned().unwrap_or(Value::Null);
        let start = millis(&cell)
            .and_then(DateTime::from_timestamp_millis)
            .and_then(|t| bucket(t, unit));
        let Some(start) = start else {
            report.problem(limits, || {
                format!(
                    "row {}, field '{field}': {cell} is not a time; left out",
                    i + 1
                )
            });
            continue;
        };
        let text = dates::format_instant(start);
        starts.insert(text.clone(), start.timestamp_millis());
        row.insert(field.to_string(), Value::String(text));
        kept.push(row);
    }
    let mut by: Vec<String> = vec![field.to_string()];
    by.extend(keys.iter().filter(|k| *k != field).cloned());
    let mut out = group(&kept, &by, aggregates, limits, report);
    out.sort_by_key(|row| {
        row.get(field)
            .and_then(Value::as_str)
            .and_then(|t| starts.get(t))
            .copied()
            .unwrap_or(i64::MAX)
    });
    out
}

/// Adds `as_field` to every row: `kind` of `field` within each partition (rows with
/// equal `partition` fields), in the order of `order_by` (a time; rows whose time
/// cannot be read come last) or else in row order. Rows keep their order. A cell that
/// is not a number is counted and skipped (`total` keeps the sum so far, the others
/// give null and compare the next row with the last number).
#[allow(clippy::too_many_arguments)]
pub(super) fn running(
    mut rows: Vec<Row>,
    field: &str,
    kind: RunningKind,
    as_field: &str,
    order_by: Option<&str>,
    partition: &[String],
    limits: &Limits,
    report: &mut StepReport,
) -> Result<Vec<Row>, String> {
    if kind == RunningKind::Rate && order_by.is_none() {
        return Err("running rate: 'order_by' must name a time field".to_string());
    }
    let times: Vec<Option<i64>> = match order_by {
        Some(f) => rows.iter().map(|r| r.get(f).and_then(millis)).collect(),
        None => vec![None; rows.len()],
    };
    let mut parts: HashMap<String, Vec<usize>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let key = partition
            .iter()
            .map(|k| row.get(k).unwrap_or(&Value::Null).to_string())
            .collect::<Vec<_>>()
            .join("\u{1f}");
        let members = parts.entry(key.clone()).or_default();
        if members.is_empty() {
            order.push(key);
        }
        members.push(i);
    }
    let mut results: Vec<Value> = vec![Value::Null; rows.len()];
    for key in &order {
        let Some(members) = parts.get_mut(key) else {
            continue;
        };
        if order_by.is_some() {
            members.sort_by_key(|&i| (times[i].is_none(), times[i]));
        }
        let mut total = 0.0;
        let mut previous: Option<(f64, Option<i64>)> = None;
        for &i in members.iter() {
            let cell = rows[i].get(field).unwrap_or(&Value::Null);
            let x = match cell {
                Value::Null => None,
                Value::Number(n) => n.as_f64(),
                other => {
                    report.problem(limits, || {
                        format!("row {}, field '{field}': {other} is not a number", i + 1)
                    });
                    None
                }
            };
            let Some(x) = x else {
                if kind == RunningKind::Total {
                    results[i] = to_value(total);
                }
                continue;
            };
            let t = times[i];
            results[i] = match (kind, previous) {
                (RunningKind::Total, _) => {
                    total += x;
                    to_value(total)
                }
                (_, None) => Value::Null,
                (RunningKind::Difference, Some((p, _))) => to_value(x - p),
                (RunningKind::PercentChange, Some((p, _))) => {
                    if p == 0.0 {
                        report.problem(limits, || {
                            format!("row {}: no percent change from 0", i + 1)
                        });
                        Value::Null
                    } else {
                        to_value((x - p) / p.abs() * 100.0)
                    }
                }
                (RunningKind::Rate, Some((p, pt))) => match (t, pt) {
                    (Some(t), Some(pt)) if t != pt => {
                        to_value((x - p) / ((t - pt) as f64 / 1000.0))
                    }
                    _ => {
                        report.problem(limits, || {
                            format!(
                                "row {}: no rate without two different readable times",
                                i + 1
                            )
                        });
                        Value::Null
                    }
                },
            };
            previous = Some((x, t));
        }
    }
    for (row, v) in rows.iter_mut().zip(results) {
        row.insert(as_field.to_string(), v);
    }
    Ok(rows)
}

fn to_value(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn sum(field: &str, name: &str) -> Aggregate {
        serde_json::from_value(json!({"field": field, "agg": "sum", "as": name})).unwrap()
    }

    #[test]
    fn readings_fall_into_hour_buckets_sorted_by_time() {
        let data = rows(json!([
            {"t": "2024-03-01T10:59:59Z", "v": 1},
            {"t": "2024-03-01T09:15:00+00:00", "v": 2},
            {"t": 1_709_287_200_000i64, "v": 3},
            {"t": "2024-03-01T10:00:00Z", "v": 4},
            {"t": "never", "v": 5},
        ]));
        let mut report = StepReport::default();
        let out = time_bucket(
            data,
            "t",
            TimeUnit::Hour,
            &[sum("v", "v")],
            &[],
            &Limits::default(),
            &mut report,
        );
        assert_eq!(
            out,
            rows(json!([
                {"t": "2024-03-01T09:00:00Z", "v": 2.0},
                {"t": "2024-03-01T10:00:00Z", "v": 8.0},
            ]))
        );
        assert_eq!(report.problems, 1);
    }

    #[test]
    fn weeks_start_on_monday_months_on_the_first_and_keys_split_buckets() {
        let data = rows(json!([
            {"t": "2024-03-03T23:00:00Z", "k": "a", "v": 1},
            {"t": "2024-02-26", "k": "a", "v": 2},
            {"t": "2024-03-04T00:00:00Z", "k": "b", "v": 3},
        ]));
        let mut report = StepReport::default();
        let out = time_bucket(
            data.clone(),
            "t",
            TimeUnit::Week,
            &[sum("v", "v")],
            &["k".to_string()],
            &Limits::default(),
            &mut report,
        );
        assert_eq!(
            out,
            rows(json!([
                {"t": "2024-02-26T00:00:00Z", "k": "a", "v": 3.0},
                {"t": "2024-03-04T00:00:00Z", "k": "b", "v": 3.0},
            ]))
        );
        let out = time_bucket(
            data,
            "t",
            TimeUnit::Month,
            &[sum("v", "v")],
            &[],
            &Limits::default(),
            &mut report,
        );
        let starts: Vec<&Value> = out.iter().map(|r| &r["t"]).collect();
        assert_eq!(
            starts,
            [
                &json!("2024-02-01T00:00:00Z"),
                &json!("2024-03-01T00:00:00Z")
            ]
        );
    }

    #[test]
    fn minute_and_day_buckets_truncate_and_times_before_1970_floor_downwards() {
        let data = rows(json!([{"t": "1969-12-31T23:59:30.5Z"}, {"t": "2024-03-01T10:20:30Z"}]));
        let count: Aggregate = serde_json::from_value(json!({"agg": "count", "as": "n"})).unwrap();
        let mut report = StepReport::default();
        let out = time_bucket(
            data.clone(),
            "t",
            TimeUnit::Minute,
            std::slice::from_ref(&count),
            &[],
            &Limits::default(),
            &mut report,
        );
        assert_eq!(out[0]["t"], json!("1969-12-31T23:59:00Z"));
        assert_eq!(out[1]["t"], json!("2024-03-01T10:20:00Z"));
        let out = time_bucket(
            data,
            "t",
            TimeUnit::Day,
            &[count],
            &[],
            &Limits::default(),
            &mut report,
        );
        assert_eq!(out[0]["t"], json!("1969-12-31T00:00:00Z"));
    }

    fn run(
        data: Value,
        kind: RunningKind,
        order_by: Option<&str>,
        partition: &[&str],
    ) -> (Vec<Value>, StepReport) {
        let mut report = StepReport::default();
        let partition: Vec<String> = partition.iter().map(|s| s.to_string()).collect();
        let out = running(
            rows(data),
            "v",
            kind,
            "r",
            order_by,
            &partition,
            &Limits::default(),
            &mut report,
        )
        .unwrap();
        (out.iter().map(|r| r["r"].clone()).collect(), report)
    }

    #[test]
    fn running_totals_and_differences_follow_partitions_and_skip_bad_cells() {
        let data = json!([
            {"k": "a", "v": 1}, {"k": "b", "v": 10}, {"k": "a", "v": 2},
            {"k": "a", "v": "x"}, {"k": "b", "v": 15}, {"k": "a", "v": null}, {"k": "a", "v": 4}
        ]);
        let (out, report) = run(data.clone(), RunningKind::Total, None, &["k"]);
        assert_eq!(
            out,
            [
                json!(1.0),
                json!(10.0),
                json!(3.0),
                json!(3.0),
                json!(25.0),
                json!(3.0),
                json!(7.0)
            ]
        );
        assert_eq!(report.problems, 1);
        let (out, _) = run(data, RunningKind::Difference, None, &["k"]);
        assert_eq!(
            out,
            [
                Value::Null,
                Value::Null,
                json!(1.0),
                Value::Null,
                json!(5.0),
                Value::Null,
                json!(2.0)
            ]
        );
    }

    #[test]
    fn rates_are_per_second_in_time_order_and_percent_change_is_relative() {
        let data = json!([
            {"t": "2024-03-01T00:00:10Z", "v": 30},
            {"t": "2024-03-01T00:00:00Z", "v": 10},
            {"t": 1_709_251_220_000i64, "v": 30},
        ]);
        let (out, _) = run(data.clone(), RunningKind::Rate, Some("t"), &[]);
        assert_eq!(
            out,
            [json!(2.0), Value::Null, json!(0.0)],
            "rows keep their order"
        );
        let (out, _) = run(data, RunningKind::PercentChange, Some("t"), &[]);
        assert_eq!(out, [json!(200.0), Value::Null, json!(0.0)]);
        let (out, report) = run(
            json!([{"v": 0}, {"v": 5}]),
            RunningKind::PercentChange,
            None,
            &[],
        );
        assert_eq!(out, [Value::Null, Value::Null]);
        assert_eq!(report.problems, 1);
    }

    #[test]
    fn a_rate_needs_an_order_field() {
        let err = running(
            rows(json!([{"v": 1}])),
            "v",
            RunningKind::Rate,
            "r",
            None,
            &[],
            &Limits::default(),
            &mut StepReport::default(),
        )
        .unwrap_err();
        assert!(err.contains("order_by"), "{err}");
    }
}
