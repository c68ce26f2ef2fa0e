//! The `join` step: adds the fields of another dataset's matching rows (a hash join).
//!
//! Keys match when their values are equal, 2 and 2.0 alike; a null or missing key
//! matches nothing. The right side's key fields are left out (they equal the left
//! side's). A right field whose name the left rows already use is added as
//! `<name>_right` (again `_right` until the name is free), so no left value is ever
//! overwritten. An `inner` join keeps left rows with a match, once per match; a
//! `left` join also keeps the others, with the right fields null.

use super::budget::{row_size, value_size, Budget};
use super::Limits;
use crate::model::Row;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Which left rows a join keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// Only rows with a match.
    #[default]
    Inner,
    /// Every row; without a match the right fields are null.
    Left,
}

/// A left field that must equal a right field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinKey {
    pub left: String,
    pub right: String,
}

/// The key of `row` on `fields`, or `None` when a part is null or missing.
fn key(row: &Row, fields: impl Iterator<Item = impl AsRef<str>>) -> Option<String> {
    let mut out = String::new();
    for f in fields {
        match row.get(f.as_ref()) {
            None | Some(Value::Null) => return None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) => out.push_str(&format!("n{x}")),
                None => out.push_str(&format!("n{n}")),
            },
            Some(v) => out.push_str(&v.to_string()),
        }
        out.push('\u{1f}');
    }
    Some(out)
}

pub(super) fn join(
    left: Vec<Row>,
    right: &[Row],
    dataset: &str,
    kind: JoinKind,
    on: &[JoinKey],
    limits: &Limits,
    budget: &Budget,
) -> Result<Vec<Row>, String> {
    if on.is_empty() {
        return Err(format!("join with '{dataset}': no key fields are given"));
    }
    let right_keys: HashSet<&str> = on.iter().map(|k| k.right.as_str()).collect();
    let left_names: HashSet<&str> = left
        .iter()
        .flat_map(|r| r.keys())
        .map(String::as_str)
        .collect();
    // Right fields in order of first appearance, with the names they get.
    let mut columns: Vec<(&str, String)> = Vec::new();
    let mut taken: HashSet<String> = left_names.iter().map(|s| s.to_string()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for name in right.iter().flat_map(|r| r.keys()) {
        if right_keys.contains(name.as_str()) || !seen.insert(name) {
            continue;
        }
        let mut out = name.clone();
        while taken.contains(&out) {
            out.push_str("_right");
        }
        taken.insert(out.clone());
        columns.push((name, out));
    }
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, row) in right.iter().enumerate() {
        if let Some(k) = key(row, on.iter().map(|k| &k.right)) {
            index.entry(k).or_default().push(i);
        }
    }
    let mut out = Vec::with_capacity(left.len());
    let too_many = || {
        format!(
            "join with '{dataset}' makes more than {} rows; at most {} are kept",
            limits.max_rows, limits.max_rows
        )
    };
    // What a match adds to a row: the right row's copied cells.
    let added: Vec<usize> = right
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|(from, name)| 32 + name.len() + r.get(*from).map_or(16, value_size))
                .sum()
        })
        .collect();
    for (i, row) in left.into_iter().enumerate() {
        budget.at_row(i)?;
        let matches = key(&row, on.iter().map(|k| &k.left))
            .and_then(|k| index.get(&k))
            .map_or(&[][..], Vec::as_slice);
        if matches.is_empty() {
            if kind == JoinKind::Left {
                if out.len() >= limits.max_rows {
                    return Err(too_many());
                }
                let mut row = row;
                for (_, name) in &columns {
                    row.insert(name.clone(), Value::Null);
                }
                out.push(row);
            }
            continue;
        }
        // The first match takes the row; every further one copies it.
        let copy = if matches.len() > 1 { row_size(&row) } else { 0 };
        for (n, &m) in matches.iter().enumerate() {
            if out.len() >= limits.max_rows {
                return Err(too_many());
            }
            budget.charge(added[m] + if n > 0 { copy } else { 0 })?;
            let mut joined = row.clone();
            for (from, name) in &columns {
                let v = right[m].get(*from).cloned().unwrap_or(Value::Null);
                joined.insert(name.clone(), v);
            }
            out.push(joined);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn on(left: &str, right: &str) -> Vec<JoinKey> {
        vec![JoinKey {
            left: left.to_string(),
            right: right.to_string(),
        }]
    }

    fn people() -> Vec<Row> {
        rows(json!([
            {"id": 1, "name": "Ann", "team": "red"},
            {"id": 2.0, "name": "Bo", "team": "blue"},
            {"id": 2, "name": "Bo again", "team": "blue"},
        ]))
    }

    fn orders() -> Vec<Row> {
        rows(json!([
            {"who": 1, "total": 10},
            {"who": 3, "total": 7},
            {"who": 1, "total": 5},
            {"who": null, "total": 1},
        ]))
    }

    #[test]
    fn an_inner_join_keeps_each_match_and_drops_the_right_key() {
        let out = join(
            orders(),
            &people(),
            "people",
            JoinKind::Inner,
            &on("who", "id"),
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([
                {"who": 1, "total": 10, "name": "Ann", "team": "red"},
                {"who": 1, "total": 5, "name": "Ann", "team": "red"},
            ]))
        );
    }

    #[test]
    fn a_left_join_keeps_unmatched_rows_with_null_right_fields_and_numbers_match_across_types() {
        let left = rows(json!([{"id": 2, "x": 1}, {"id": 9, "x": 2}]));
        let out = join(
            left,
            &people(),
            "people",
            JoinKind::Left,
            &on("id", "id"),
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([
                {"id": 2, "x": 1, "name": "Bo", "team": "blue"},
                {"id": 2, "x": 1, "name": "Bo again", "team": "blue"},
                {"id": 9, "x": 2, "name": null, "team": null},
            ]))
        );
    }

    #[test]
    fn clashing_right_fields_get_a_suffix_and_never_overwrite_the_left() {
        let left = rows(json!([{"id": 1, "name": "order", "name_right": "taken"}]));
        let out = join(
            left,
            &people(),
            "people",
            JoinKind::Inner,
            &on("id", "id"),
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(
                json!([{"id": 1, "name": "order", "name_right": "taken", "name_right_right": "Ann", "team": "red"}])
            )
        );
    }

    #[test]
    fn a_join_that_would_exceed_the_row_cap_stops_while_building() {
        let left = rows(json!([{"k": 1}, {"k": 1}, {"k": 1}]));
        let right = rows(json!([{"k": 1, "v": 1}, {"k": 1, "v": 2}]));
        let limits = Limits {
            max_rows: 5,
            max_messages: 5,
            ..Limits::default()
        };
        let err = join(
            left,
            &right,
            "many",
            JoinKind::Inner,
            &on("k", "k"),
            &limits,
            &Budget::new(&limits),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "join with 'many' makes more than 5 rows; at most 5 are kept"
        );
    }

    #[test]
    fn a_many_to_many_join_of_wide_rows_stops_at_the_byte_budget() {
        let wide = "w".repeat(100_000);
        let left = rows(json!([{"k": 1, "text": wide}]));
        let right: Vec<Row> = (0..1_000)
            .map(|i| rows(json!([{"k": 1, "i": i}])).remove(0))
            .collect();
        let limits = Limits {
            max_bytes: 10 << 20,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let err = join(
            left,
            &right,
            "many",
            JoinKind::Inner,
            &on("k", "k"),
            &limits,
            &budget,
        )
        .unwrap_err();
        assert!(err.contains("take more than 10 MiB"), "{err}");
    }

    #[test]
    fn a_join_without_keys_is_refused() {
        let err = join(
            orders(),
            &people(),
            "people",
            JoinKind::Inner,
            &[],
            &Limits::default(),
            &Budget::new(&Limits::default()),
        )
        .unwrap_err();
        assert!(err.contains("no key fields"), "{err}");
    }
}
