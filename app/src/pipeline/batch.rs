//! Columnar batches: the rows a pipeline works on, held as one vector per field.
//!
//! A [`Batch`] keeps its field names once and a [`Column`] per field: a typed vector
//! (whole numbers, fractional numbers, booleans, or text in one shared buffer) and a
//! state per cell (a value, null, or absent: the row has no such field). A field whose
//! cells are of several kinds, or arrays and objects, holds JSON values instead. Rows
//! exist only at the edges: [`Batch::from_rows`] and [`Batch::into_rows`].
//!
//! Cells keep their exact JSON kind, so a batch gives back the rows it was made from:
//! `1` stays a whole number and `1.0` a fractional one, and a row without a field
//! still has none. Field order within a row is the batch's column order.

use crate::model::Row;
use serde_json::{Number, Value};
use std::collections::HashMap;

/// What a cell holds besides its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Value,
    Null,
    /// The row has no such field.
    Absent,
}

/// Most bytes of text one column holds as text: the most a `u32` end can say (in unit
/// tests far less, so a test can pass it). A `u64`: on wasm32 a `usize` bound of
/// `u32::MAX` could never be passed, and the sum below cannot overflow.
const TEXT_LIMIT: u64 = if cfg!(test) { 1 << 16 } else { u32::MAX as u64 };

/// Text cells of one column, end to end in one buffer of at most `TEXT_LIMIT` bytes (a
/// column whose text would pass that holds JSON values instead).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    bytes: String,
    /// Where each cell's text ends in `bytes`.
    ends: Vec<u32>,
}

impl Texts {
    /// Whether `s` fits after the text held.
    fn has_room(&self, s: &str) -> bool {
        self.bytes.len() as u64 + s.len() as u64 <= TEXT_LIMIT
    }

    /// Appends `s`; the caller checked [`Self::has_room`].
    fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u32);
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start as usize..self.ends[i] as usize]
    }
}

/// The values of one column; every vector has one entry per row (a placeholder where
/// the cell is null or absent).
#[derive(Debug, Clone, PartialEq)]
enum Data {
    /// No cell holds a value.
    Empty,
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Text(Texts),
    /// Cells of several kinds, arrays, objects and whole numbers past `i64`.
    Json(Vec<Value>),
}

/// One field's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    data: Data,
    states: Vec<State>,
}

/// One cell, borrowed from its column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Absent,
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(&'a str),
    /// Arrays, objects and whole numbers past `i64`.
    Json(&'a Value),
}

impl<'a> Cell<'a> {
    /// A view of `v` as a cell.
    pub fn of(v: &'a Value) -> Cell<'a> {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.is_f64()) {
                (Some(i), _) => Cell::Int(i),
                (None, true) => Cell::Float(n.as_f64().unwrap_or(0.0)),
                (None, false) => Cell::Json(v),
            },
            Value::String(s) => Cell::Text(s),
            Value::Array(_) | Value::Object(_) => Cell::Json(v),
        }
    }

    /// Null or absent.
    pub fn is_null(self) -> bool {
        matches!(self, Cell::Absent | Cell::Null)
    }

    /// The cell as a number, if it is one.
    pub fn number(self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(i as f64),
            Cell::Float(f) => Some(f),
            Cell::Json(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    pub fn is_number(self) -> bool {
        self.number().is_some()
    }

    /// The cell as a JSON value (absent reads as null).
    pub fn to_value(self) -> Value {
        match self {
            Cell::Absent | Cell::Null => Value::Null,
            Cell::Int(i) => Value::from(i),
            Cell::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Cell::Bool(b) => Value::Bool(b),
            Cell::Text(s) => Value::String(s.to_owned()),
            Cell::Json(v) => v.clone(),
        }
    }

    /// What groups, dedupes and joins compare: equal keys for cells whose JSON text is
    /// equal, absent and null alike.
    pub fn key(self) -> Key<'a> {
        match self {
            Cell::Absent | Cell::Null => Key::Null,
            Cell::Int(i) => Key::Int(i),
            Cell::Float(f) => Key::Float(f.to_bits()),
            Cell::Bool(b) => Key::Bool(b),
            Cell::Text(s) => Key::Text(s),
            Cell::Json(v) => Key::Json(v.to_string()),
        }
    }
}

/// A cell as a hash key (see [`Cell::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key<'a> {
    Null,
    Int(i64),
    Float(u64),
    Bool(bool),
    Text(&'a str),
    Json(String),
}

impl Column {
    /// A column of `len` absent cells.
    pub fn absent(len: usize) -> Self {
        Column {
            data: Data::Empty,
            states: vec![State::Absent; len],
        }
    }

    /// A column of `len` null cells.
    pub fn nulls(len: usize) -> Self {
        Column {
            data: Data::Empty,
            states: vec![State::Null; len],
        }
    }

    /// An empty column with room for `len` cells.
    pub fn with_capacity(len: usize) -> Self {
        Column {
            data: Data::Empty,
            states: Vec::with_capacity(len),
        }
    }

    /// Whether the column holds JSON values (arrays, objects, whole numbers past
    /// `i64`, or cells of several kinds) rather than one typed vector.
    pub fn holds_json(&self) -> bool {
        matches!(self.data, Data::Json(_))
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn state(&self, i: usize) -> State {
        self.states[i]
    }

    pub fn cell(&self, i: usize) -> Cell<'_> {
        match self.states[i] {
            State::Absent => Cell::Absent,
            State::Null => Cell::Null,
            State::Value => match &self.data {
                Data::Empty => Cell::Null,
                Data::Int(v) => Cell::Int(v[i]),
                Data::Float(v) => Cell::Float(v[i]),
                Data::Bool(v) => Cell::Bool(v[i]),
                Data::Text(t) => Cell::Text(t.get(i)),
                Data::Json(v) => Cell::of(&v[i]),
            },
        }
    }

    /// The fractional numbers of a column that holds only those (and nulls).
    pub fn floats(&self) -> Option<&[f64]> {
        match &self.data {
            Data::Float(v) => Some(v),
            _ => None,
        }
    }

    pub fn push_absent(&mut self) {
        self.push_state(State::Absent);
    }

    pub fn push_null(&mut self) {
        self.push_state(State::Null);
    }

    fn push_state(&mut self, state: State) {
        self.states.push(state);
        match &mut self.data {
            Data::Empty => {}
            Data::Int(v) => v.push(0),
            Data::Float(v) => v.push(0.0),
            Data::Bool(v) => v.push(false),
            Data::Text(t) => t.push(""),
            Data::Json(v) => v.push(Value::Null),
        }
    }

    /// Appends a cell, keeping its kind.
    pub fn push(&mut self, cell: Cell) {
        match cell {
            Cell::Absent => self.push_absent(),
            Cell::Null => self.push_null(),
            Cell::Json(v) => self.push_json(v.clone()),
            _ => {
                if !self.fits(cell) {
                    self.widen(cell);
                }
                self.states.push(State::Value);
                match (&mut self.data, cell) {
                    (Data::Int(v), Cell::Int(i)) => v.push(i),
                    (Data::Float(v), Cell::Float(f)) => v.push(f),
                    (Data::Bool(v), Cell::Bool(b)) => v.push(b),
                    (Data::Text(t), Cell::Text(s)) => t.push(s),
                    (Data::Json(v), cell) => v.push(cell.to_value()),
                    _ => unreachable!("widen made room for the cell's kind"),
                }
            }
        }
    }

    /// Appends a JSON value, moving it in.
    pub fn push_value(&mut self, v: Value) {
        match Cell::of(&v) {
            Cell::Json(_) => self.push_json(v),
            cell => self.push(cell),
        }
    }

    fn push_json(&mut self, v: Value) {
        if !matches!(self.data, Data::Json(_)) {
            self.make_json();
        }
        self.states.push(State::Value);
        if let Data::Json(values) = &mut self.data {
            values.push(v);
        }
    }

    /// Whether the column's data holds `cell`'s kind as it is.
    fn fits(&self, cell: Cell) -> bool {
        matches!(
            (&self.data, cell),
            (Data::Int(_), Cell::Int(_))
                | (Data::Float(_), Cell::Float(_))
                | (Data::Bool(_), Cell::Bool(_))
                | (Data::Json(_), _)
        ) || matches!((&self.data, cell), (Data::Text(t), Cell::Text(s)) if t.has_room(s))
    }

    /// Makes room for `cell`'s kind: an empty column takes it, any other turns to JSON.
    fn widen(&mut self, cell: Cell) {
        let n = self.states.len();
        self.data = match (&self.data, cell) {
            (Data::Empty, Cell::Int(_)) => Data::Int(vec![0; n]),
            (Data::Empty, Cell::Float(_)) => Data::Float(vec![0.0; n]),
            (Data::Empty, Cell::Bool(_)) => Data::Bool(vec![false; n]),
            (Data::Empty, Cell::Text(_)) => {
                let mut t = Texts::default();
                for _ in 0..n {
                    t.push("");
                }
                Data::Text(t)
            }
            _ => {
                self.make_json();
                return;
            }
        };
    }

    fn make_json(&mut self) {
        let values = (0..self.states.len())
            .map(|i| self.cell(i).to_value())
            .collect();
        self.data = Data::Json(values);
    }

    /// The cells at `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Column {
        let states = rows.iter().map(|&i| self.states[i]).collect();
        let data = match &self.data {
            Data::Empty => Data::Empty,
            Data::Int(v) => Data::Int(rows.iter().map(|&i| v[i]).collect()),
            Data::Float(v) => Data::Float(rows.iter().map(|&i| v[i]).collect()),
            Data::Bool(v) => Data::Bool(rows.iter().map(|&i| v[i]).collect()),
            Data::Text(t) => {
                let mut out = Texts::default();
                for &i in rows {
                    let s = t.get(i);
                    if !out.has_room(s) {
                        // Rows taken more than once can pass the text limit.
                        let json = rows.iter().map(|&i| self.cell(i).to_value()).collect();
                        return Column {
                            data: Data::Json(json),
                            states,
                        };
                    }
                    out.push(s);
                }
                Data::Text(out)
            }
            Data::Json(v) => Data::Json(rows.iter().map(|&i| v[i].clone()).collect()),
        };
        Column { data, states }
    }

    /// Keeps the first `n` cells.
    pub fn truncate(&mut self, n: usize) {
        self.states.truncate(n);
        match &mut self.data {
            Data::Empty => {}
            Data::Int(v) => v.truncate(n),
            Data::Float(v) => v.truncate(n),
            Data::Bool(v) => v.truncate(n),
            Data::Text(t) => {
                t.ends.truncate(n);
                let end = t.ends.last().copied().unwrap_or(0);
                t.bytes.truncate(end as usize);
            }
            Data::Json(v) => v.truncate(n),
        }
    }

    /// Absent cells become null (the field is there in every row).
    pub fn fill_absent(&mut self) {
        for s in &mut self.states {
            if *s == State::Absent {
                *s = State::Null;
            }
        }
    }

    /// Roughly the heap bytes the column holds.
    pub fn size(&self) -> usize {
        self.states.len()
            + match &self.data {
                Data::Empty => 0,
                Data::Int(v) => v.len() * 8,
                Data::Float(v) => v.len() * 8,
                Data::Bool(v) => v.len(),
                Data::Text(t) => t.bytes.len() + t.ends.len() * 4,
                Data::Json(v) => v.iter().map(super::budget::value_size).sum(),
            }
    }
}

/// Rows as columns: the field names once, one column per field, all of one length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    names: Vec<String>,
    columns: Vec<Column>,
    len: usize,
}

impl Batch {
    /// A batch of `len` rows and no fields.
    pub fn with_len(len: usize) -> Self {
        Batch {
            len,
            ..Batch::default()
        }
    }

    /// A batch of these columns, all of one length and their names unique (a column
    /// longer or shorter than the first is cut or padded with absent cells; a repeated
    /// name replaces the column before it).
    pub fn from_columns(columns: Vec<(String, Column)>) -> Self {
        let len = columns.first().map_or(0, |(_, c)| c.len());
        let mut batch = Batch::with_len(len);
        let mut index: HashMap<String, usize> = HashMap::with_capacity(columns.len());
        for (name, mut column) in columns {
            column.truncate(len);
            while column.len() < len {
                column.push_absent();
            }
            match index.get(&name) {
                Some(&at) => batch.columns[at] = column,
                None => {
                    index.insert(name.clone(), batch.names.len());
                    batch.names.push(name);
                    batch.columns.push(column);
                }
            }
        }
        batch
    }

    /// Takes `rows` apart into columns, moving their values in.
    pub fn from_rows(rows: Vec<Row>) -> Self {
        let mut builder = Builder::default();
        for row in rows {
            builder.push(row);
        }
        builder.finish()
    }

    /// The rows again: a field for every cell that is not absent.
    pub fn into_rows(self) -> Vec<Row> {
        self.to_rows()
    }

    /// The rows, copied out of the columns.
    pub fn to_rows(&self) -> Vec<Row> {
        (0..self.len)
            .map(|i| {
                let mut row = Row::with_capacity(self.columns.len());
                for (name, column) in self.names.iter().zip(&self.columns) {
                    let cell = column.cell(i);
                    if cell != Cell::Absent {
                        row.insert(name.clone(), cell.to_value());
                    }
                }
                row
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|at| &self.columns[at])
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The cell of `name` in row `i` (absent when there is no such field).
    pub fn cell(&self, name: &str, i: usize) -> Cell<'_> {
        self.column(name).map_or(Cell::Absent, |c| c.cell(i))
    }

    /// Sets the column `name`, in its place when there is one, else last.
    pub fn set(&mut self, name: &str, column: Column) {
        debug_assert_eq!(column.len(), self.len);
        match self.position(name) {
            Some(at) => self.columns[at] = column,
            None => {
                self.names.push(name.to_owned());
                self.columns.push(column);
            }
        }
    }

    /// Removes the column `name` and gives it back.
    pub fn remove(&mut self, name: &str) -> Option<Column> {
        let at = self.position(name)?;
        self.names.remove(at);
        Some(self.columns.remove(at))
    }

    /// Renames a column in place.
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(at) = self.position(from) {
            self.names[at] = to.to_owned();
        }
    }

    /// The rows at `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Batch {
        Batch {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.take(rows)).collect(),
            len: rows.len(),
        }
    }

    /// Keeps the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        if n < self.len {
            for c in &mut self.columns {
                c.truncate(n);
            }
            self.len = n;
        }
    }

    /// Roughly the heap bytes the batch holds.
    pub fn size(&self) -> usize {
        self.columns.iter().map(Column::size).sum::<usize>()
            + self.names.iter().map(|n| n.len() + 24).sum::<usize>()
    }

    /// Writes the rows as one JSON array of objects, as `serde_json` writes the rows
    /// (the same text as `into_rows` then `to_writer`), straight from the columns.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Each field's `"name":` once, escaped.
        let keys: Vec<Vec<u8>> = self
            .names
            .iter()
            .map(|n| {
                let mut key = serde_json::to_vec(n).expect("a string serializes");
                key.push(b':');
                key
            })
            .collect();
        out.push(b'[');
        for i in 0..self.len {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'{');
            let mut first = true;
            for (key, column) in keys.iter().zip(&self.columns) {
                let cell = column.cell(i);
                if cell == Cell::Absent {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(key);
                write_cell(out, cell);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
}

/// One cell as JSON (absent as null).
fn write_cell(out: &mut Vec<u8>, cell: Cell) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = match cell {
        Cell::Absent | Cell::Null => out.write_all(b"null"),
        Cell::Int(i) => write!(out, "{i}"),
        Cell::Float(f) => serde_json::to_writer(&mut *out, &f).map_err(std::io::Error::from),
        Cell::Bool(b) => out.write_all(if b { b"true" } else { b"false" }),
        Cell::Text(s) => serde_json::to_writer(&mut *out, s).map_err(std::io::Error::from),
        Cell::Json(v) => serde_json::to_writer(&mut *out, v).map_err(std::io::Error::from),
    };
}

/// Reads a JSON array of rows straight into a batch, one row at a time (for
/// `#[serde(deserialize_with)]`): the rows never exist all at once.
pub fn deserialize_rows<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Batch, D::Error> {
    struct Rows;
    impl<'de> serde::de::Visitor<'de> for Rows {
        type Value = Batch;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of rows")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Batch, A::Error> {
            let mut builder = Builder::default();
            while let Some(row) = seq.next_element::<Row>()? {
                builder.push(row);
            }
            Ok(builder.finish())
        }
    }
    d.deserialize_seq(Rows)
}

/// Builds a batch from rows, one at a time.
#[derive(Debug, Default)]
pub struct Builder {
    batch: Batch,
    index: HashMap<String, usize>,
}

impl Builder {
    /// Adds `row`, moving its values in.
    pub fn push(&mut self, row: Row) {
        let batch = &mut self.batch;
        let r = batch.len;
        let mut next = 0;
        for (name, value) in row {
            // Rows of one source list their fields in one order: the column after the
            // last one is nearly always the right one.
            let at = if batch.names.get(next) == Some(&name) {
                next
            } else if let Some(&at) = self.index.get(&name) {
                at
            } else {
                let at = batch.names.len();
                self.index.insert(name.clone(), at);
                batch.names.push(name);
                batch.columns.push(Column::absent(r));
                at
            };
            batch.columns[at].push_value(value);
            next = at + 1;
        }
        for column in &mut batch.columns {
            if column.len() == r {
                column.push_absent();
            }
        }
        batch.len = r + 1;
    }

    /// Rows added so far.
    pub fn len(&self) -> usize {
        self.batch.len
    }

    pub fn is_empty(&self) -> bool {
        self.batch.len == 0
    }

    pub fn finish(self) -> Batch {
        self.batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    #[test]
    fn rows_come_back_as_they_went_in_kinds_nulls_and_missing_fields_included() {
        let input = rows(json!([
            {"a": 1, "b": "x", "c": 1.5, "d": true},
            {"a": null, "b": "y", "d": false, "e": [1, 2]},
            {"b": 2, "a": 18446744073709551615u64, "c": 2.0},
            {}
        ]));
        let batch = Batch::from_rows(input.clone());
        assert_eq!(batch.len(), 4);
        assert_eq!(batch.names(), ["a", "b", "c", "d", "e"]);
        assert_eq!(batch.cell("a", 1), Cell::Null);
        assert_eq!(batch.cell("c", 1), Cell::Absent);
        assert_eq!(batch.cell("c", 2), Cell::Float(2.0));
        assert_eq!(batch.cell("z", 0), Cell::Absent);
        assert_eq!(batch.into_rows(), input);
    }

    #[test]
    fn a_column_of_one_kind_stays_typed_and_a_mixed_one_keeps_each_kind() {
        let batch = Batch::from_rows(rows(json!([
            {"n": 1.5, "m": 1}, {"n": null, "m": 1.0}, {"n": 3.0, "m": "1"}
        ])));
        assert_eq!(
            batch.column("n").unwrap().floats(),
            Some(&[1.5, 0.0, 3.0][..])
        );
        let m = batch.column("m").unwrap();
        assert_eq!(m.floats(), None);
        assert_eq!(
            [m.cell(0), m.cell(1), m.cell(2)],
            [Cell::Int(1), Cell::Float(1.0), Cell::Text("1")]
        );
        assert_ne!(m.cell(0).key(), m.cell(1).key(), "1 and 1.0 group apart");
        assert_eq!(Cell::Absent.key(), Cell::Null.key());
    }

    #[test]
    fn batches_write_the_json_serde_json_writes_for_their_rows() {
        let input = rows(json!([
            {"a": 1, "b": "x\"y\n", "c": 1.5, "d": true},
            {"a": null, "b": "é", "d": false, "e": [1, {"k": 2}]},
            {"b": 2, "a": 18446744073709551615u64, "c": 2.0, "é\u{1}": -0.0},
            {}
        ]));
        let batch = Batch::from_rows(input);
        let mut written = Vec::new();
        batch.write_json(&mut written);
        // (A batch keeps one field order: its rows come back in that order.)
        assert_eq!(
            String::from_utf8(written).unwrap(),
            serde_json::to_string(&batch.into_rows()).unwrap()
        );
        let mut empty = Vec::new();
        Batch::default().write_json(&mut empty);
        assert_eq!(empty, b"[]");
    }

    #[test]
    fn rows_read_from_json_into_a_batch_are_the_rows_serde_json_reads() {
        #[derive(serde::Deserialize)]
        struct Holder {
            #[serde(deserialize_with = "deserialize_rows")]
            rows: Batch,
        }
        let text = r#"{"rows": [{"a": 1, "b": "x"}, {"b": null, "c": [1]}, {}]}"#;
        let held: Holder = serde_json::from_str(text).unwrap();
        let expected: Vec<Row> =
            serde_json::from_value(serde_json::from_str::<Value>(text).unwrap()["rows"].take())
                .unwrap();
        assert_eq!(held.rows.to_rows(), expected);
        let wrong = serde_json::from_str::<Holder>(r#"{"rows": [1]}"#);
        assert!(wrong.is_err(), "a row is an object");
    }

    #[test]
    fn a_column_whose_text_passes_the_limit_holds_json_and_keeps_every_value() {
        let long = "x".repeat(TEXT_LIMIT as usize / 3 + 1);
        let input: Vec<Row> = (0..3)
            .map(|i| rows(json!([{"t": format!("{i}{long}")}])).remove(0))
            .collect();
        let batch = Batch::from_rows(input[..2].to_vec());
        assert!(!batch.column("t").unwrap().holds_json(), "two fit as text");
        let batch = Batch::from_rows(input.clone());
        assert!(
            batch.column("t").unwrap().holds_json(),
            "the third does not"
        );
        assert_eq!(batch.to_rows(), input);
        // Rows taken more than once can pass it too.
        let two = Batch::from_rows(input[..1].to_vec());
        let taken = two.take(&[0, 0, 0]);
        assert!(taken.column("t").unwrap().holds_json());
        assert_eq!(taken.to_rows(), vec![input[0].clone(); 3]);
    }

    #[test]
    fn take_truncate_and_set_keep_columns_aligned() {
        let mut batch = Batch::from_rows(rows(json!([
            {"t": "a", "n": 1}, {"t": "bb", "n": 2}, {"t": "ccc", "n": 3}
        ])));
        let picked = batch.take(&[2, 0]);
        assert_eq!(
            picked.into_rows(),
            rows(json!([{"t": "ccc", "n": 3}, {"t": "a", "n": 1}]))
        );
        batch.truncate(2);
        batch.set("n", Column::nulls(2));
        batch.rename("t", "text");
        assert_eq!(
            batch.into_rows(),
            rows(json!([{"text": "a", "n": null}, {"text": "bb", "n": null}]))
        );
    }
}
