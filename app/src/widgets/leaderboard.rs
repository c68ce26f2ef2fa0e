//! Leaderboard: rows ranked by a value, with each row's movement since the last
//! update (up, down, new).

use super::chart::by_index;
use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{number, text_of, Accepts, Frame, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Leaderboard {
    pub max_rows: u32,
    /// Rank the smallest first (lap times, response times).
    pub ascending: bool,
}

impl Default for Leaderboard {
    fn default() -> Self {
        Self {
            max_rows: 10,
            ascending: false,
        }
    }
}

const SLOTS: &[Slot] = &[
    Slot {
        name: "label",
        label: "Name",
        accepts: Accepts::Any,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
    Slot {
        name: "value",
        label: "Score",
        accepts: Accepts::Number,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
];

/// A row as drawn: rank, name, score bits, movement.
type Row = (usize, String, u64, Option<i64>);

/// One ranked row: rank (1-based), name, score, and how many places it rose (negative:
/// fell; `None`: new since the last update).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub rank: usize,
    pub name: String,
    pub score: f64,
    pub moved: Option<i64>,
}

/// Ranks the frame's rows; `before` holds the ranks of the previous update and is
/// replaced by these.
pub fn rank(
    frame: &Frame,
    label: Option<&str>,
    value: Option<&str>,
    props: &Leaderboard,
    before: &mut HashMap<String, usize>,
) -> Vec<Ranked> {
    let mut rows: Vec<(String, f64)> = frame
        .rows
        .iter()
        .filter_map(|r| {
            Some((
                label
                    .and_then(|l| r.get(l))
                    .map(text_of)
                    .unwrap_or_default(),
                value.and_then(|v| r.get(v)).and_then(number)?,
            ))
        })
        .collect();
    rows.sort_by(|a, b| {
        if props.ascending {
            a.1.total_cmp(&b.1)
        } else {
            b.1.total_cmp(&a.1)
        }
    });
    rows.truncate(props.max_rows as usize);
    let first = before.is_empty();
    let ranked: Vec<Ranked> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, score))| {
            let moved = match before.get(&name) {
                Some(&was) => Some(was as i64 - (i as i64 + 1)),
                None if first => Some(0),
                None => None,
            };
            Ranked {
                rank: i + 1,
                name,
                score,
                moved,
            }
        })
        .collect();
    *before = ranked.iter().map(|r| (r.name.clone(), r.rank)).collect();
    ranked
}

impl Kind for Leaderboard {
    const NAME: &'static str = "leaderboard";
    const LABEL: &'static str = "Leaderboard";
    const ICON: &'static str = "№";
    const SIZE: (i32, i32) = (480, 440);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if !(1..=100).contains(&self.max_rows) {
            return Err(Invalid::new("max_rows", "1 to 100 rows"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let label = cx.fields("label").first().cloned();
        let value = cx.fields("value").first().cloned();
        let frame = cx.frame;
        let fmt = cx.look.format.clone();
        let before = StoredValue::new(HashMap::<String, usize>::new());
        let ranked = Memo::new(move |_| {
            frame.with(|f| {
                f.as_ref()
                    .map(|f| {
                        let mut held = before.get_value();
                        let out = rank(f, label.as_deref(), value.as_deref(), &props, &mut held);
                        before.set_value(held);
                        out
                    })
                    .unwrap_or_default()
            })
        });
        let (_, ch) = cx.size;
        let row_px = (ch / self.max_rows.max(1) as f64).clamp(16.0, 90.0);
        let font = format!("font-size:calc(100cqw * {:.2} / var(--cw))", row_px * 0.5);
        let rows = Memo::new(move |_| {
            ranked
                .get()
                .into_iter()
                .map(|r| (r.rank, r.name, r.score.to_bits(), r.moved))
                .collect::<Vec<_>>()
        });
        view! {
            <ol class="leaderboard" style=font>
                {by_index(rows, move |row: Memo<Option<Row>>| {
                    let fmt = fmt.clone();
                    let mark = move || {
                        row.with(|r| match r.as_ref().map(|r| r.3) {
                            Some(None) => ("moved new", "new".to_string()),
                            Some(Some(n)) if n > 0 => ("moved up", format!("▲{n}")),
                            Some(Some(n)) if n < 0 => ("moved down", format!("▼{}", -n)),
                            _ => ("moved same", "–".to_string()),
                        })
                    };
                    view! {
                        <li hidden=move || row.with(Option::is_none)>
                            <span class="rank">{move || row.with(|r| r.as_ref().map(|r| r.0.to_string()).unwrap_or_default())}</span>
                            <span class="name">{move || row.with(|r| r.as_ref().map(|r| r.1.clone()).unwrap_or_default())}</span>
                            <span class="score">{move || row.with(|r| r.as_ref().map(|r| fmt.format(f64::from_bits(r.2))).unwrap_or_default())}</span>
                            <span class=move || mark().0>{move || mark().1}</span>
                        </li>
                    }
                })}
            </ol>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::number(edit, "Rows", "max_rows", |p| f64::from(p.max_rows), |p, v| p.max_rows = v.clamp(1.0, 100.0) as u32)}
            {inspect::check(edit, "Smallest first", "ascending", |p| p.ascending, |p, v| p.ascending = v)}
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatasetId;
    use serde_json::json;

    fn frame(rows: serde_json::Value) -> Frame {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        f
    }

    #[test]
    fn movement_is_counted_against_the_previous_update() {
        let props = Leaderboard::default();
        let mut before = HashMap::new();
        let first = rank(
            &frame(json!([{"n": "ann", "s": 3}, {"n": "bob", "s": 5}])),
            Some("n"),
            Some("s"),
            &props,
            &mut before,
        );
        assert_eq!(
            first
                .iter()
                .map(|r| (r.name.as_str(), r.moved))
                .collect::<Vec<_>>(),
            vec![("bob", Some(0)), ("ann", Some(0))]
        );
        let next = rank(
            &frame(json!([{"n": "ann", "s": 9}, {"n": "bob", "s": 5}, {"n": "cy", "s": 7}])),
            Some("n"),
            Some("s"),
            &props,
            &mut before,
        );
        assert_eq!(
            next.iter()
                .map(|r| (r.name.as_str(), r.rank, r.moved))
                .collect::<Vec<_>>(),
            vec![("ann", 1, Some(1)), ("cy", 2, None), ("bob", 3, Some(-2))]
        );
    }
}
