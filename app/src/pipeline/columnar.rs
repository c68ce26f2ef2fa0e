//! The steps that run on columns (see `batch`). A run keeps its data as a batch while
//! its steps are columnar and as rows for the others, turning one into the other only
//! where it passes from one kind of step to the other (see `Pipeline::run_in`).
//!
//! Each step here does exactly what its row form in `step` does (the differential
//! test in `mod.rs` runs both on random pipelines); only field order within a row may
//! differ, since a batch's rows share one order.

use super::aggregate::{number, numeric, Agg, Aggregate};
use super::batch::{Batch, Cell, Column, Key, State};
use super::budget::{value_size, Budget};
use super::dates::{self, DateOptions};
use super::expr::Fields;
use super::query::{PathCmp, RowFilter};
use super::series::{self, TimeUnit};
use super::step::{Cmp, Op};
use super::Target;
use super::{Env, Limits, StepReport};
use chrono::DateTime;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;
use std::cmp::Ordering;

impl Op {
    /// Whether the step runs on a batch.
    pub(super) fn is_columnar(&self) -> bool {
        matches!(
            self,
            Op::Select { .. }
                | Op::Rename { .. }
                | Op::Filter { .. }
                | Op::Sort { .. }
                | Op::Limit { .. }
                | Op::Dedupe { .. }
                | Op::FillNull { .. }
                | Op::GroupBy { .. }
                | Op::Reduce { .. }
                | Op::Compute { .. }
                | Op::Convert { .. }
                | Op::TimeBucket { .. }
                | Op::Jq { .. }
        ) || matches!(self, Op::JsonPath { path } if path.row_filter().is_some())
    }

    /// Runs the step on a batch (a step without a columnar form runs on its rows).
    pub(super) fn apply_batch(
        &self,
        mut batch: Batch,
        env: &Env,
        budget: &Budget,
        report: &mut StepReport,
    ) -> Result<Batch, String> {
        let limits = &env.limits;
        match self {
            Op::Select { fields } => Ok(select(batch, fields)),
            Op::Jq { filter } => super::query::jq_batch(batch, filter, env, budget, report),
            Op::Rename { from, to } => Ok(rename(batch, from, to)),
            Op::Filter { field, cmp, value } => {
                let wanted = Wanted::new(*cmp, value);
                let column = batch.column(field);
                let mut keep = Vec::with_capacity(batch.len());
                for i in 0..batch.len() {
                    let cell = column.map_or(Cell::Absent, |c| c.cell(i));
                    match wanted.matches(cell) {
                        Ok(true) => keep.push(i),
                        Ok(false) => {}
                        Err(why) => report.problem(limits, || format!("field '{field}': {why}")),
                    }
                }
                Ok(if keep.len() == batch.len() {
                    batch
                } else {
                    batch.take(&keep)
                })
            }
            Op::Sort { field, descending } => {
                let Some(column) = batch.column(field) else {
                    return Ok(batch);
                };
                let mut rows: Vec<usize> = (0..batch.len()).collect();
                rows.sort_by(|&a, &b| {
                    let (a, b) = (column.cell(a), column.cell(b));
                    let o = order(a, b);
                    // Empty cells stay last either way.
                    match (a.is_null(), b.is_null()) {
                        (false, false) if *descending => o.reverse(),
                        _ => o,
                    }
                });
                Ok(batch.take(&rows))
            }
            Op::Limit { n } => {
                batch.truncate(*n);
                Ok(batch)
            }
            Op::Dedupe { fields } => Ok(dedupe(batch, fields)),
            Op::FillNull { field, value } => {
                let size = value_size(value);
                let fill = Cell::of(value);
                let source = batch.column(field);
                let mut out = Column::with_capacity(batch.len());
                for i in 0..batch.len() {
                    budget.at_row(i)?;
                    let cell = source.map_or(Cell::Absent, |c| c.cell(i));
                    if cell.is_null() {
                        budget.charge(size)?;
                        out.push(fill);
                    } else {
                        out.push(cell);
                    }
                }
                batch.set(field, out);
                Ok(batch)
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
                let Some(source) = batch.column(field) else {
                    return Ok(batch);
                };
                let dates = DateOptions {
                    format: format.clone(),
                    day_first: *day_first,
                    zone: *zone,
                    numbers: *numbers,
                };
                let day = *to == Target::Date;
                let mut out = Column::with_capacity(batch.len());
                for i in 0..batch.len() {
                    let cell = source.cell(i);
                    if cell == Cell::Absent {
                        out.push_absent();
                        continue;
                    }
                    let value = cell.to_value();
                    let converted = match to {
                        Target::Date | Target::Timestamp => {
                            super::dates::to_iso(&value, day, &dates)
                        }
                        _ => super::convert(&value, *to, *decimal),
                    };
                    match converted {
                        Ok(v) => out.push_value(v),
                        Err(why) => {
                            out.push_null();
                            report.problem(limits, || {
                                format!("row {}, field '{field}': {why}", i + 1)
                            });
                        }
                    }
                }
                batch.set(field, out);
                Ok(batch)
            }
            Op::Compute { field, expr } => {
                let mut out = Column::with_capacity(batch.len());
                for i in 0..batch.len() {
                    budget.at_row(i)?;
                    let v = match expr.eval_in(&At { batch: &batch, i }) {
                        Ok(v) => v,
                        Err(why) => {
                            report.problem(limits, || format!("row {}: {why}", i + 1));
                            Value::Null
                        }
                    };
                    budget.charge(value_size(&v))?;
                    out.push_value(v);
                }
                batch.set(field, out);
                Ok(batch)
            }
            Op::TimeBucket {
                field,
                unit,
                aggregates,
                keys,
            } => Ok(time_bucket(
                &batch, field, *unit, aggregates, keys, limits, report,
            )),
            Op::JsonPath { path } if path.row_filter().is_some() => {
                let Some(filter) = path.row_filter() else {
                    return Ok(batch);
                };
                let column = batch.column(&filter.field);
                let keep: Vec<usize> = (0..batch.len())
                    .filter(|&i| path_test(filter, column.map_or(Cell::Absent, |c| c.cell(i))))
                    .collect();
                Ok(if keep.len() == batch.len() {
                    batch
                } else {
                    batch.take(&keep)
                })
            }
            Op::GroupBy { keys, aggregates } => Ok(group(&batch, keys, aggregates, limits, report)),
            Op::Reduce { aggregates } => Ok(group(&batch, &[], aggregates, limits, report)),
            _ => Ok(Batch::from_rows(self.apply(
                batch.into_rows(),
                env,
                budget,
                report,
            )?)),
        }
    }
}

/// Whether a row whose field is `cell` passes a simple JSONPath filter, by the rules
/// of the JSONPath engine: a missing field is "nothing", equal to no literal; numbers
/// compare by value; `<`-like comparisons need the same kind on both sides (and keep
/// its quirks: of two different booleans, each is "greater" than the other).
fn path_test(filter: &RowFilter, cell: Cell) -> bool {
    let value = &filter.value;
    if cell == Cell::Absent {
        return filter.cmp == PathCmp::Ne;
    }
    let equal = match (cell.number(), value) {
        (Some(x), Value::Number(y)) => y.as_f64() == Some(x),
        _ => match (cell, value) {
            (Cell::Null, Value::Null) => true,
            (Cell::Bool(x), Value::Bool(y)) => x == *y,
            (Cell::Text(x), Value::String(y)) => x == y,
            (Cell::Json(v), _) => v == value,
            _ => false,
        },
    };
    let less = match (cell.number(), value) {
        (Some(x), Value::Number(y)) => y.as_f64().is_some_and(|y| x < y),
        _ => matches!((cell, value), (Cell::Text(x), Value::String(y)) if x < y.as_str()),
    };
    let same_kind = match (cell, value) {
        (Cell::Null, Value::Null)
        | (Cell::Bool(_), Value::Bool(_))
        | (Cell::Int(_) | Cell::Float(_), Value::Number(_))
        | (Cell::Text(_), Value::String(_)) => true,
        (Cell::Json(v), _) => std::mem::discriminant(v) == std::mem::discriminant(value),
        _ => false,
    };
    match filter.cmp {
        PathCmp::Eq => equal,
        PathCmp::Ne => !equal,
        PathCmp::Lt => same_kind && less,
        PathCmp::Le => same_kind && (less || equal),
        PathCmp::Gt => same_kind && !less && !equal,
        PathCmp::Ge => same_kind && !less,
    }
}

/// Row `i` of a batch, as an expression reads it.
struct At<'a> {
    batch: &'a Batch,
    i: usize,
}

impl Fields for At<'_> {
    fn field(&self, name: &str) -> Value {
        self.batch.cell(name, self.i).to_value()
    }
}

/// Rows grouped by the bucket of `field` (which then holds the bucket's start) and
/// `keys`, with the aggregates, sorted by bucket; a row whose time cannot be read is
/// counted and left out (as `series::time_bucket`). Each distinct cell is read as a
/// time once.
fn time_bucket(
    batch: &Batch,
    field: &str,
    unit: TimeUnit,
    aggregates: &[Aggregate],
    keys: &[String],
    limits: &Limits,
    report: &mut StepReport,
) -> Batch {
    let source = batch.column(field);
    let mut read: FxHashMap<Key, Option<i64>> = FxHashMap::default();
    let mut kept = Vec::with_capacity(batch.len());
    let mut starts = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        let cell = source.map_or(Cell::Absent, |c| c.cell(i));
        let start = *read.entry(cell.key()).or_insert_with(|| {
            series::millis(&cell.to_value())
                .and_then(DateTime::from_timestamp_millis)
                .and_then(|t| series::bucket(t, unit))
                .map(|t| t.timestamp_millis())
        });
        match start {
            Some(start) => {
                kept.push(i);
                starts.push(start);
            }
            None => report.problem(limits, || {
                format!(
                    "row {}, field '{field}': {} is not a time; left out",
                    i + 1,
                    cell.to_value()
                )
            }),
        }
    }
    let mut kept = batch.take(&kept);
    let mut texts: FxHashMap<i64, String> = FxHashMap::default();
    for &start in &starts {
        texts.entry(start).or_insert_with(|| {
            DateTime::from_timestamp_millis(start).map_or_else(String::new, dates::format_instant)
        });
    }
    let mut column = Column::with_capacity(starts.len());
    for start in &starts {
        column.push(Cell::Text(&texts[start]));
    }
    kept.set(field, column);
    let start_of: FxHashMap<&str, i64> = texts.iter().map(|(ms, t)| (t.as_str(), *ms)).collect();
    let mut by: Vec<String> = vec![field.to_string()];
    by.extend(keys.iter().filter(|k| *k != field).cloned());
    let out = group(&kept, &by, aggregates, limits, report);
    let mut order: Vec<usize> = (0..out.len()).collect();
    if let Some(column) = out.column(field) {
        order.sort_by_key(|&g| match column.cell(g) {
            Cell::Text(t) => start_of.get(t).copied().unwrap_or(i64::MAX),
            _ => i64::MAX,
        });
    }
    out.take(&order)
}

/// Keeps `fields`, in this order; a missing one is null in every row, and so is a
/// field named twice.
fn select(mut batch: Batch, fields: &[String]) -> Batch {
    let len = batch.len();
    let mut out = Batch::with_len(len);
    for f in fields {
        let column = match batch.remove(f) {
            Some(mut column) if out.column(f).is_none() => {
                column.fill_absent();
                column
            }
            _ => Column::nulls(len),
        };
        out.set(f, column);
    }
    out
}

/// `to` takes `from`'s cells where a row has `from`, and `from` goes.
fn rename(mut batch: Batch, from: &str, to: &str) -> Batch {
    if from == to || batch.column(from).is_none() {
        return batch;
    }
    if batch.column(to).is_none() {
        batch.rename(from, to);
        return batch;
    }
    let Some(source) = batch.remove(from) else {
        return batch;
    };
    let mut merged = Column::with_capacity(batch.len());
    if let Some(target) = batch.column(to) {
        for i in 0..batch.len() {
            merged.push(match source.state(i) {
                State::Absent => target.cell(i),
                _ => source.cell(i),
            });
        }
    }
    batch.set(to, merged);
    batch
}

/// Keeps the first row of each distinct combination of `fields`, or of whole rows.
fn dedupe(batch: Batch, fields: &[String]) -> Batch {
    let whole = fields.is_empty();
    let columns: Vec<Option<&Column>> = if whole {
        batch.names().iter().map(|n| batch.column(n)).collect()
    } else {
        fields.iter().map(|f| batch.column(f)).collect()
    };
    let mut seen: FxHashSet<Vec<(bool, Key)>> = FxHashSet::default();
    let mut keep = Vec::new();
    for i in 0..batch.len() {
        let key = columns
            .iter()
            .map(|c| {
                let cell = c.map_or(Cell::Absent, |c| c.cell(i));
                // A whole row without a field differs from one where it is null.
                (whole && cell == Cell::Absent, cell.key())
            })
            .collect();
        if seen.insert(key) {
            keep.push(i);
        }
    }
    if keep.len() == batch.len() {
        batch
    } else {
        batch.take(&keep)
    }
}

/// One row per distinct combination of `keys` (in order of first appearance), holding
/// the keys and the aggregates. With no keys: exactly one row, even for no input.
fn group(
    batch: &Batch,
    keys: &[String],
    aggregates: &[Aggregate],
    limits: &Limits,
    report: &mut StepReport,
) -> Batch {
    let len = batch.len();
    let (ids, groups) = group_ids(batch, keys);
    // The rows of each group, group after group (`starts[g]..starts[g + 1]`).
    let mut starts = vec![0usize; groups + 1];
    for &g in &ids {
        starts[g as usize + 1] += 1;
    }
    for g in 0..groups {
        starts[g + 1] += starts[g];
    }
    let mut members = vec![0u32; len];
    let mut next = starts.clone();
    for (i, &g) in ids.iter().enumerate() {
        members[next[g as usize]] = i as u32;
        next[g as usize] += 1;
    }
    let group = |g: usize| &members[starts[g]..starts[g + 1]];
    let mut out = Batch::with_len(groups);
    for k in keys {
        let source = batch.column(k);
        let mut column = Column::with_capacity(groups);
        for g in 0..groups {
            let first = group(g)[0] as usize;
            match source.map_or(Cell::Absent, |c| c.cell(first)) {
                Cell::Absent => column.push_null(),
                cell => column.push(cell),
            }
        }
        out.set(k, column);
    }
    // Group by group, as the row form goes, so problems are reported in its order.
    let sources: Vec<Option<&Column>> = aggregates.iter().map(|a| batch.column(&a.field)).collect();
    let mut columns: Vec<Column> = aggregates
        .iter()
        .map(|_| Column::with_capacity(groups))
        .collect();
    for g in 0..groups {
        for ((a, source), column) in aggregates.iter().zip(&sources).zip(&mut columns) {
            column.push_value(compute(a, *source, group(g), limits, report));
        }
    }
    for (a, column) in aggregates.iter().zip(columns) {
        out.set(&a.name, column);
    }
    out
}

/// The group of each row and how many groups there are, numbered in order of first
/// appearance: one pass per key, each splitting the groups of the keys before it.
fn group_ids(batch: &Batch, keys: &[String]) -> (Vec<u32>, usize) {
    let len = batch.len();
    let mut ids = vec![0u32; len];
    let mut groups = 1;
    for k in keys {
        let column = batch.column(k);
        let mut found: FxHashMap<(u32, Key), u32> = FxHashMap::default();
        let mut count = 0u32;
        for (i, id) in ids.iter_mut().enumerate() {
            let key = column.map_or(Key::Null, |c| c.cell(i).key());
            *id = *found.entry((*id, key)).or_insert_with(|| {
                count += 1;
                count - 1
            });
        }
        groups = count as usize;
    }
    (ids, groups)
}

/// `a` over the cells of `members` in `source`, as the row form computes it.
fn compute(
    a: &Aggregate,
    source: Option<&Column>,
    members: &[u32],
    limits: &Limits,
    report: &mut StepReport,
) -> Value {
    let cell = |i: &u32| source.map_or(Cell::Absent, |c| c.cell(*i as usize));
    let cells = || members.iter().map(cell).filter(|c| !c.is_null());
    match a.agg {
        Agg::Count => Value::from(members.len()),
        Agg::DistinctCount => {
            let distinct: FxHashSet<Key> = cells().map(Cell::key).collect();
            Value::from(distinct.len())
        }
        Agg::First => cells().next().map_or(Value::Null, Cell::to_value),
        Agg::Last => members
            .iter()
            .rev()
            .map(cell)
            .find(|c| !c.is_null())
            .map_or(Value::Null, Cell::to_value),
        Agg::Min | Agg::Max
            if cells().next().is_some() && cells().all(|c| matches!(c, Cell::Text(_))) =>
        {
            let pick = cells().reduce(|x, y| {
                let keep_x = (order(x, y) != Ordering::Greater) == (a.agg == Agg::Min);
                if keep_x {
                    x
                } else {
                    y
                }
            });
            pick.map_or(Value::Null, Cell::to_value)
        }
        _ => {
            let mut numbers = Vec::with_capacity(members.len());
            for c in cells() {
                match c.number() {
                    Some(n) => numbers.push(n),
                    None => report.problem(limits, || {
                        format!(
                            "field '{}': {} is not a number; left out",
                            a.field,
                            c.to_value()
                        )
                    }),
                }
            }
            number(numeric(a.agg, &mut numbers))
        }
    }
}

/// The sort order of both engines: empty last, then numbers, booleans, text, the rest.
pub(super) fn order(a: Cell, b: Cell) -> Ordering {
    fn rank(c: Cell) -> u8 {
        match c {
            Cell::Int(_) | Cell::Float(_) | Cell::Json(Value::Number(_)) => 0,
            Cell::Bool(_) => 1,
            Cell::Text(_) => 2,
            Cell::Json(_) => 3,
            Cell::Null | Cell::Absent => 4,
        }
    }
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        (Cell::Bool(x), Cell::Bool(y)) => x.cmp(&y),
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

/// A filter's comparison, with what can be worked out once (both engines filter with
/// it).
pub(super) struct Wanted<'a> {
    cmp: Cmp,
    value: &'a Value,
    /// The value in lower case, for `contains`.
    lower: Option<String>,
}

impl<'a> Wanted<'a> {
    pub(super) fn new(cmp: Cmp, value: &'a Value) -> Self {
        let lower = match (cmp, value) {
            (Cmp::Contains, Value::String(v)) => Some(v.to_lowercase()),
            _ => None,
        };
        Wanted { cmp, value, lower }
    }

    /// Whether `cell cmp value` holds; `Err` when they cannot be compared.
    pub(super) fn matches(&self, cell: Cell) -> Result<bool, String> {
        let (cmp, value) = (self.cmp, self.value);
        match cmp {
            Cmp::IsNull => return Ok(cell.is_null()),
            Cmp::NotNull => return Ok(!cell.is_null()),
            _ => {}
        }
        if cell.is_null() {
            return Ok(cmp == Cmp::Ne);
        }
        match cmp {
            Cmp::Eq => Ok(equal(cell, value)),
            Cmp::Ne => Ok(!equal(cell, value)),
            Cmp::Contains => match (cell, &self.lower) {
                (Cell::Text(c), Some(v)) => Ok(c.to_lowercase().contains(v.as_str())),
                _ => Err(format!("'contains' compares text, not {}", cell.to_value())),
            },
            _ => {
                let o = match (cell, value) {
                    (Cell::Text(x), Value::String(y)) => x.cmp(y.as_str()),
                    (_, Value::Number(y)) if cell.is_number() => cell
                        .number()
                        .unwrap_or(0.0)
                        .total_cmp(&y.as_f64().unwrap_or(0.0)),
                    _ => {
                        return Err(format!(
                            "{} cannot be compared with {value}",
                            cell.to_value()
                        ))
                    }
                };
                Ok(match cmp {
                    Cmp::Lt => o == Ordering::Less,
                    Cmp::Le => o != Ordering::Greater,
                    Cmp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                })
            }
        }
    }
}

/// Equality where 2 and 2.0 are equal.
fn equal(cell: Cell, value: &Value) -> bool {
    match (cell, value) {
        (_, Value::Number(y)) if cell.is_number() => cell.number() == y.as_f64(),
        (Cell::Text(x), Value::String(y)) => x == y,
        (Cell::Bool(x), Value::Bool(y)) => x == *y,
        (Cell::Json(v), _) => v == value,
        _ => false,
    }
}
