//! A widget's binding: which dataset it reads, which field fills each of its kind's
//! data slots, and — for slots that show one value — which row (or aggregate of rows)
//! that value comes from. Reading the bound values out of a frame lives here too, so
//! the server (share projection) and every screen agree on what a widget uses.

use super::{validate_field_name, DatasetId, Field, FieldKind, Frame, Invalid, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Most slots a binding may fill, and most fields in one slot.
pub const MAX_SLOTS: usize = 12;
pub const MAX_FIELDS_PER_SLOT: usize = 50;

/// One input of a widget kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The key in `Binding::slots` (`value`, `x`, `series` …).
    pub name: &'static str,
    /// What the data panel calls it.
    pub label: &'static str,
    pub accepts: Accepts,
    /// One value (read from the picked row) or one value per row.
    pub shape: Shape,
    /// Whether several fields may fill it (several series, several table columns).
    pub many: bool,
    /// Whether the widget shows nothing useful without it.
    pub required: bool,
}

/// The fields a slot takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    Number,
    /// Dates and times (ISO text or Unix numbers).
    Time,
    /// Any field: labels, categories, free text.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value: from the row the binding picks, or an aggregate over all rows.
    Single,
    /// One value per row (an axis, a series, a column).
    PerRow,
}

/// Which dataset a widget reads and which field fills each slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub dataset: DatasetId,
    /// Slot name → the fields filling it, in order.
    #[serde(default)]
    pub slots: BTreeMap<String, Vec<String>>,
    /// Where single-value slots read from when the dataset has many rows.
    #[serde(default)]
    pub row: RowPick,
}

/// Which value a single-value slot shows out of many rows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "pick", rename_all = "snake_case")]
pub enum RowPick {
    /// The last row (the newest, for pushed histories and time-ordered sources).
    #[default]
    Last,
    First,
    /// The first row whose `field` equals `equals` (compared as text, trimmed,
    /// case-insensitive).
    Where {
        field: String,
        equals: String,
    },
    /// An aggregate over all rows.
    Aggregate {
        agg: Agg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    Sum,
    Avg,
    Min,
    Max,
    Count,
}

impl Agg {
    pub const ALL: [Agg; 5] = [Agg::Sum, Agg::Avg, Agg::Min, Agg::Max, Agg::Count];

    pub fn label(self) -> &'static str {
        match self {
            Agg::Sum => "sum",
            Agg::Avg => "average",
            Agg::Min => "minimum",
            Agg::Max => "maximum",
            Agg::Count => "count",
        }
    }
}

impl RowPick {
    /// Says in words which value is shown, for the data panel.
    pub fn describe(&self) -> String {
        match self {
            RowPick::Last => "the last row".into(),
            RowPick::First => "the first row".into(),
            RowPick::Where { field, equals } => format!("the row where {field} = {equals}"),
            RowPick::Aggregate { agg } => format!("the {} of all rows", agg.label()),
        }
    }
}

impl Binding {
    /// A binding of `dataset` with nothing in its slots yet.
    pub fn new(dataset: DatasetId) -> Self {
        Self {
            dataset,
            slots: BTreeMap::new(),
            row: RowPick::Last,
        }
    }

    /// The fields filling `slot` (empty when none).
    pub fn fields(&self, slot: &str) -> &[String] {
        self.slots.get(slot).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first field filling `slot`.
    pub fn field(&self, slot: &str) -> Option<&str> {
        self.fields(slot).first().map(String::as_str)
    }

    pub fn set(&mut self, slot: &str, fields: Vec<String>) {
        if fields.is_empty() {
            self.slots.remove(slot);
        } else {
            self.slots.insert(slot.to_string(), fields);
        }
    }

    /// Every field the widget reads, each once: what a share page may receive.
    pub fn used_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |f: &String| {
            if !out.contains(f) {
                out.push(f.clone());
            }
        };
        self.slots.values().flatten().for_each(&mut add);
        if let RowPick::Where { field, .. } = &self.row {
            add(field);
        }
        out
    }

    /// Whether the widget shows every field of its rows: an optional list of any
    /// fields (a table's columns) left empty means all of them.
    pub fn shows_every_field(&self, slots: &[Slot]) -> bool {
        slots.iter().any(|s| {
            s.many && !s.required && s.accepts == Accepts::Any && self.fields(s.name).is_empty()
        })
    }

    /// Checks the binding against its kind's slots; errors name the slot.
    pub fn validate(&self, slots: &[Slot]) -> Result<(), Invalid> {
        if self.slots.len() > MAX_SLOTS {
            return Err(Invalid::new("slots", "too many slots"));
        }
        for (name, fields) in &self.slots {
            let at = format!("slots.{name}");
            let Some(slot) = slots.iter().find(|s| s.name == name) else {
                return Err(Invalid::new(at, "this widget has no such slot"));
            };
            if fields.len() > MAX_FIELDS_PER_SLOT {
                return Err(Invalid::new(
                    at,
                    format!("at most {MAX_FIELDS_PER_SLOT} fields"),
                ));
            }
            if !slot.many && fields.len() > 1 {
                return Err(Invalid::new(at, "this slot takes one field"));
            }
            for (i, f) in fields.iter().enumerate() {
                validate_field_name(f).map_err(|e| e.within(&format!("{at}[{i}]")))?;
            }
        }
        if let RowPick::Where { field, equals } = &self.row {
            validate_field_name(field).map_err(|e| e.within("row.field"))?;
            if equals.chars().count() > 200 {
                return Err(Invalid::new("row.equals", "at most 200 characters"));
            }
        }
        Ok(())
    }

    /// A binding of `dataset` for a widget with `slots`: each required slot gets a
    /// sensible field — the first number for a number, the first date or time for a
    /// time axis, the first text for a label — never a text field for a number.
    /// `sample` (a recent row, if any) tells dates from other text.
    pub fn suggest(
        dataset: DatasetId,
        slots: &[Slot],
        fields: &[Field],
        sample: Option<&Row>,
    ) -> Self {
        let mut binding = Binding::new(dataset);
        let is_time = |f: &Field| looks_like_time(f, sample);
        let mut taken: Vec<&str> = Vec::new();
        // An optional list of any fields (a table's columns) starts with all of them.
        for slot in slots
            .iter()
            .filter(|s| s.many && !s.required && s.accepts == Accepts::Any)
        {
            let all: Vec<String> = fields
                .iter()
                .take(MAX_FIELDS_PER_SLOT)
                .map(|f| f.name.clone())
                .collect();
            binding.set(slot.name, all);
        }
        for slot in slots.iter().filter(|s| s.required) {
            let pick = |pred: &dyn Fn(&Field) -> bool, taken: &[&str]| {
                fields
                    .iter()
                    .find(|f| pred(f) && !taken.contains(&f.name.as_str()))
                    .or_else(|| fields.iter().find(|f| pred(f)))
            };
            let chosen = match slot.accepts {
                Accepts::Number => pick(&|f| f.kind == FieldKind::Number, &taken),
                Accepts::Time => pick(&is_time, &taken),
                Accepts::Any => pick(&|f| f.kind != FieldKind::Number && !is_time(f), &taken)
                    .or_else(|| pick(&|_| true, &taken)),
            };
            if let Some(f) = chosen {
                taken.push(&f.name);
                binding.set(slot.name, vec![f.name.clone()]);
            }
        }
        binding
    }
}

/// Whether `field` holds dates or times: its sample value reads as one, or, without a
/// sample, its name says so.
pub fn looks_like_time(field: &Field, sample: Option<&Row>) -> bool {
    match sample.and_then(|r| r.get(&field.name)) {
        Some(Value::String(s)) => parse_instant_text(s).is_some(),
        Some(_) => false,
        None => {
            let n = field.name.to_ascii_lowercase();
            field.kind == FieldKind::Text
                && [
                    "time",
                    "date",
                    "day",
                    "timestamp",
                    "at",
                    "ts",
                    "when",
                    "hour",
                    "month",
                ]
                .iter()
                .any(|w| {
                    n == *w || n.ends_with(&format!("_{w}")) || n.starts_with(&format!("{w}_"))
                })
        }
    }
}

/// Unix ms from ISO 8601 text: `2024-03-01`, `2024-03-01T12:00:00Z`, with an offset,
/// or with a space for the `T`.
pub fn parse_instant_text(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() < 10 || t.len() > 40 || !t.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    // The common shapes without chrono: a chart of 10,000 points reads 10,000 of them
    // when a screen opens. Anything it does not take goes the general way below.
    if let Some(ms) = iso_millis(t.as_bytes()) {
        return Some(ms);
    }
    chrono_instant(t)
}

/// [`parse_instant_text`] through chrono alone (the fast path's reference in tests).
fn chrono_instant(t: &str) -> Option<i64> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    let spaced = t.replacen(' ', "T", 1);
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&spaced) {
        return Some(dt.timestamp_millis());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(&spaced, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(dt.and_utc().timestamp_millis());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(&spaced, "%Y-%m-%dT%H:%M") {
        return Some(dt.and_utc().timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Unix ms from `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and
/// `HH:MM`, or `HH:MM:SS` with up to nine digits of fraction and an optional zone
/// (`Z`, `z`, `±HH:MM`; needed after a `t`); without a zone the time is UTC. `None`
/// for anything else, including shapes chrono takes (leap seconds, longer years): the
/// caller falls back.
fn iso_millis(b: &[u8]) -> Option<i64> {
    fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
        let part = b.get(at..at + n)?;
        part.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    }
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (year, month, day) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if !at(4, b'-') || !at(7, b'-') || !(1..=12).contains(&month) {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let midnight = days * 86_400_000;
    if b.len() == 10 {
        return Some(midnight);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || !at(13, b':') {
        return None;
    }
    let (hour, minute) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    if hour > 23 || minute > 59 {
        return None;
    }
    // A lower-case `t` is RFC 3339's only: it needs seconds and a zone.
    let zone_needed = b[10] == b't';
    let mut ms = midnight + (hour * 60 + minute) * 60_000;
    if b.len() == 16 {
        return (!zone_needed).then_some(ms);
    }
    // Seconds are needed before a fraction or a zone.
    let second = digits(b, 17, 2).filter(|_| at(16, b':'))?;
    if second > 59 {
        return None;
    }
    ms += second * 1000;
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 9 {
            return None;
        }
        let take = n.min(3);
        ms += digits(b, start, take)? * [100, 10, 1][take - 1];
    }
    match b.get(i) {
        None => (!zone_needed).then_some(ms),
        Some(b'Z' | b'z') if b.len() == i + 1 => Some(ms),
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && at(i + 3, b':') => {
            let (oh, om) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 60 + om) * 60_000;
            Some(if sign == b'+' {
                ms - offset
            } else {
                ms + offset
            })
        }
        _ => None,
    }
}

/// Unix ms from a JSON value: ISO text, or a Unix number (seconds below
/// 100,000,000,000, milliseconds above).
pub fn parse_instant(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => parse_instant_text(s),
        Value::Number(n) => {
            let v = n.as_f64()?;
            if !v.is_finite() || v.abs() > 1e16 {
                return None;
            }
            Some(if v.abs() < 1e11 {
                (v * 1000.0) as i64
            } else {
                v as i64
            })
        }
        _ => None,
    }
}

/// A number from a JSON value: numbers, and text holding one.
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// What a single-value slot reads from a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub value: Value,
    /// The value of the row before the picked one, when there is such a row (for
    /// "change since the previous value").
    pub previous: Option<Value>,
}

impl Frame {
    /// The value of `binding`'s single-value `slot`, or why there is none.
    pub fn pick(&self, binding: &Binding, slot: &str) -> Result<Picked, String> {
        let field = binding
            .field(slot)
            .ok_or_else(|| format!("no field chosen for '{slot}'"))?;
        if self.rows.is_empty() {
            return Err("no data yet".into());
        }
        if !self.rows.iter().any(|r| r.contains_key(field)) {
            return Err(format!("the dataset has no field '{field}'"));
        }
        let at = |i: usize| self.rows[i].get(field).cloned().unwrap_or(Value::Null);
        match &binding.row {
            RowPick::Last => {
                let n = self.rows.len();
                Ok(Picked {
                    value: at(n - 1),
                    previous: (n > 1).then(|| at(n - 2)),
                })
            }
            RowPick::First => Ok(Picked {
                value: at(0),
                previous: None,
            }),
            RowPick::Where { field: key, equals } => {
                let want = equals.trim().to_lowercase();
                let i = self
                    .rows
                    .iter()
                    .position(|r| {
                        r.get(key)
                            .is_some_and(|v| text_of(v).trim().to_lowercase() == want)
                    })
                    .ok_or_else(|| format!("no row where {key} = {equals}"))?;
                Ok(Picked {
                    value: at(i),
                    previous: None,
                })
            }
            RowPick::Aggregate { agg } => {
                let numbers: Vec<f64> = self
                    .rows
                    .iter()
                    .filter_map(|r| r.get(field).and_then(number))
                    .collect();
                let v = match agg {
                    Agg::Count => Some(numbers.len() as f64),
                    _ if numbers.is_empty() => None,
                    Agg::Sum => Some(numbers.iter().sum()),
                    Agg::Avg => Some(numbers.iter().sum::<f64>() / numbers.len() as f64),
                    Agg::Min => numbers.iter().copied().reduce(f64::min),
                    Agg::Max => numbers.iter().copied().reduce(f64::max),
                };
                let v = v.ok_or_else(|| format!("field '{field}' holds no numbers"))?;
                Ok(Picked {
                    value: serde_json::Number::from_f64(v)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                    previous: None,
                })
            }
        }
    }

    /// The picked value of `slot` as a number, or why it is not one.
    pub fn pick_number(&self, binding: &Binding, slot: &str) -> Result<(f64, Option<f64>), String> {
        let picked = self.pick(binding, slot)?;
        let field = binding.field(slot).unwrap_or_default();
        let v = match &picked.value {
            Value::Null => return Err(format!("field '{field}' is empty")),
            v => {
                number(v).ok_or_else(|| format!("field '{field}' is not a number: {}", short(v)))?
            }
        };
        Ok((v, picked.previous.as_ref().and_then(number)))
    }

    /// The values of `field` in every row (missing → null).
    pub fn column<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.rows
            .iter()
            .map(move |r| r.get(field).unwrap_or(&Value::Null))
    }
}

/// A value as plain text: strings without quotes, null as empty.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// `orders_per_minute` → `Orders per minute`: a title offered from a field name.
pub fn title_from_field(field: &str) -> String {
    let spaced: String = field
        .chars()
        .map(|c| {
            if c == '_' || c == '-' || c == '.' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let spaced = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(rows: Value) -> Frame {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        f
    }

    fn bound(field: &str, row: RowPick) -> Binding {
        let mut b = Binding::new(DatasetId::parse("d").unwrap());
        b.set("value", vec![field.into()]);
        b.row = row;
        b
    }

    #[test]
    fn a_single_value_comes_from_the_row_the_author_picked() {
        let f = frame(json!([{"r":"eu","v":3},{"r":"us","v":5},{"r":"asia","v":1}]));
        let last = f.pick_number(&bound("v", RowPick::Last), "value").unwrap();
        assert_eq!(last, (1.0, Some(5.0)));
        assert_eq!(
            f.pick_number(&bound("v", RowPick::First), "value")
                .unwrap()
                .0,
            3.0
        );
        let us = RowPick::Where {
            field: "r".into(),
            equals: " US ".into(),
        };
        assert_eq!(f.pick_number(&bound("v", us), "value").unwrap().0, 5.0);
        let none = RowPick::Where {
            field: "r".into(),
            equals: "mars".into(),
        };
        assert!(f
            .pick_number(&bound("v", none), "value")
            .unwrap_err()
            .contains("mars"));
        for (agg, want) in [
            (Agg::Sum, 9.0),
            (Agg::Avg, 3.0),
            (Agg::Min, 1.0),
            (Agg::Max, 5.0),
            (Agg::Count, 3.0),
        ] {
            let got = f
                .pick_number(&bound("v", RowPick::Aggregate { agg }), "value")
                .unwrap()
                .0;
            assert_eq!(got, want, "{agg:?}");
        }
    }

    #[test]
    fn a_missing_or_textual_field_says_what_is_wrong() {
        let f = frame(json!([{"v":"high"}]));
        assert!(f
            .pick_number(&bound("v", RowPick::Last), "value")
            .unwrap_err()
            .contains("not a number"));
        assert!(f
            .pick_number(&bound("zz", RowPick::Last), "value")
            .unwrap_err()
            .contains("no field 'zz'"));
        assert_eq!(
            frame(json!([]))
                .pick(&bound("v", RowPick::Last), "value")
                .unwrap_err(),
            "no data yet"
        );
        assert!(f
            .pick(&Binding::new(f.dataset.clone()), "value")
            .unwrap_err()
            .contains("no field chosen"));
    }

    const SLOTS: &[Slot] = &[
        Slot {
            name: "x",
            label: "Time",
            accepts: Accepts::Time,
            shape: Shape::PerRow,
            many: false,
            required: true,
        },
        Slot {
            name: "y",
            label: "Values",
            accepts: Accepts::Number,
            shape: Shape::PerRow,
            many: true,
            required: true,
        },
        Slot {
            name: "label",
            label: "Label",
            accepts: Accepts::Any,
            shape: Shape::PerRow,
            many: false,
            required: true,
        },
    ];

    #[test]
    fn suggestions_never_put_text_in_a_number_slot() {
        let fields = vec![
            Field {
                name: "region".into(),
                kind: FieldKind::Text,
            },
            Field {
                name: "day".into(),
                kind: FieldKind::Text,
            },
            Field {
                name: "orders".into(),
                kind: FieldKind::Number,
            },
        ];
        let sample = json!({"region": "eu", "day": "2024-03-01", "orders": 4});
        let b = Binding::suggest(
            DatasetId::parse("d").unwrap(),
            SLOTS,
            &fields,
            sample.as_object(),
        );
        assert_eq!(b.field("x"), Some("day"));
        assert_eq!(b.field("y"), Some("orders"));
        assert_eq!(b.field("label"), Some("region"));
        let only_text = vec![Field {
            name: "name".into(),
            kind: FieldKind::Text,
        }];
        let b = Binding::suggest(DatasetId::parse("d").unwrap(), SLOTS, &only_text, None);
        assert_eq!(b.field("y"), None, "no number field: the slot stays empty");
    }

    #[test]
    fn a_binding_naming_an_unknown_slot_or_too_many_fields_is_refused() {
        let mut b = Binding::new(DatasetId::parse("d").unwrap());
        b.set("nope", vec!["v".into()]);
        assert_eq!(b.validate(SLOTS).unwrap_err().field, "slots.nope");
        let mut b = Binding::new(DatasetId::parse("d").unwrap());
        b.set("x", vec!["a".into(), "b".into()]);
        assert_eq!(b.validate(SLOTS).unwrap_err().field, "slots.x");
        b.set("x", vec!["".into()]);
        assert_eq!(b.validate(SLOTS).unwrap_err().field, "slots.x[0]");
    }

    #[test]
    fn instants_are_read_from_iso_text_and_unix_numbers() {
        assert_eq!(parse_instant(&json!("1970-01-02")), Some(86_400_000));
        assert_eq!(parse_instant(&json!("1970-01-01T00:00:01Z")), Some(1000));
        assert_eq!(parse_instant(&json!("1970-01-01T01:00:00+01:00")), Some(0));
        assert_eq!(parse_instant(&json!("1970-01-01 00:01")), Some(60_000));
        assert_eq!(
            parse_instant(&json!(1_700_000_000)),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_instant(&json!(1_700_000_000_000_i64)),
            Some(1_700_000_000_000)
        );
        assert_eq!(parse_instant(&json!("eu-west")), None);
        assert_eq!(parse_instant(&json!(1e300)), None);
    }

    #[test]
    fn the_fast_iso_reader_reads_the_common_shapes() {
        for (text, ms) in [
            ("1970-01-01", 0),
            ("2000-02-29", 951_782_400_000),
            ("1969-12-31T23:59:59.999Z", -1),
            ("2024-03-01T14:00:00+02:00", 1_709_294_400_000),
            ("2024-03-01t12:00:00.5z", 1_709_294_400_500),
            ("2024-03-01 12:00", 1_709_294_400_000),
            ("2024-03-01T12:00:00.123456789", 1_709_294_400_123),
        ] {
            assert_eq!(iso_millis(text.as_bytes()), Some(ms), "{text}");
            assert_eq!(chrono_instant(text), Some(ms), "{text}");
        }
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-03-01T24:00",
            "2024-03-01T12:00+02:00",
            "2024-03-01T12:00:00.",
            "2024-03-01T12:00:60Z",
            "2024-03-01T12:00:00+0200",
            "2024-03-01X",
        ] {
            assert_eq!(iso_millis(text.as_bytes()), None, "{text}");
        }
    }

    proptest::proptest! {
        /// Whatever the fast reader takes, chrono reads to the same instant.
        #[test]
        fn the_fast_iso_reader_agrees_with_chrono(
            text in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]([Tt ][0-2][0-9]:[0-6][0-9](:[0-6][0-9](\\.[0-9]{0,10})?([Zz]|[+-][0-2][0-9]:[0-6][0-9])?)?)?",
        ) {
            if let Some(ms) = iso_millis(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(ms), chrono_instant(&text), "{}", text);
            }
        }

        #[test]
        fn any_text_reads_as_an_instant_or_none_without_panicking(text in "\\PC{0,50}") {
            let _ = parse_instant_text(&text);
        }
    }

    #[test]
    fn titles_are_offered_from_field_names() {
        assert_eq!(title_from_field("orders_per_minute"), "Orders per minute");
        assert_eq!(title_from_field("cpu"), "Cpu");
        assert_eq!(title_from_field("__"), "");
    }
}
