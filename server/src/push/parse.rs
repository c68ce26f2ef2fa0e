//! Reading a push body into checked rows, one row at a time.
//!
//! The body is never built into a `serde_json::Value` tree. A JSON array is visited
//! element by element; of each row object only the dataset's fields are kept (other
//! keys are skipped without being built), each field's value is charged against the
//! row's byte budget before it is kept, and the row is converted and checked as soon
//! as its object ends. Reading stops at the first refused row or when one more row
//! than the cap arrives, so what a request costs is the rows kept, however the 16 MiB
//! of body are shaped. NDJSON is read line by line in the same way. Nesting keeps
//! serde_json's recursion limit (128 levels): deeper input is refused as not JSON.

use super::PushError;
use app::model::{Dataset, Row};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// Most rows one request may carry.
pub const MAX_ROWS_PER_REQUEST: usize = 100_000;
/// Most bytes of values one row may keep: a string counts its UTF-8 length, any other
/// value 8 bytes. Keys that are not fields are skipped and cost nothing.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// What one request may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: usize,
    pub max_row_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: MAX_ROWS_PER_REQUEST,
            max_row_bytes: MAX_ROW_BYTES,
        }
    }
}

/// Parses and checks every row; the first bad one refuses the whole request. Rows are
/// numbered from 1: array items, or NDJSON lines (blank lines are skipped but counted).
pub fn parse_rows(dataset: &Dataset, bytes: &[u8], ndjson: bool) -> Result<Vec<Row>, PushError> {
    parse_rows_within(dataset, bytes, ndjson, Limits::default())
}

/// As `parse_rows`, under `limits`.
pub fn parse_rows_within(
    dataset: &Dataset,
    bytes: &[u8],
    ndjson: bool,
    limits: Limits,
) -> Result<Vec<Row>, PushError> {
    let mut reader = Reader::new(dataset, limits);
    let rows = if ndjson {
        reader.ndjson(bytes)?
    } else {
        reader.document(bytes)?
    };
    if rows.is_empty() {
        return Err(invalid(None, None, "the body holds no rows".into()));
    }
    Ok(rows)
}

fn invalid(row: Option<usize>, field: Option<String>, message: String) -> PushError {
    PushError::Invalid {
        row,
        field,
        message,
    }
}

fn too_many_rows(max: usize) -> PushError {
    invalid(
        None,
        None,
        format!("at most {max} rows per request; split the batch"),
    )
}

/// The state of one body's reading.
struct Reader<'a> {
    dataset: &'a Dataset,
    /// Field name → position in `dataset.fields`.
    fields: HashMap<&'a str, usize>,
    limits: Limits,
    /// The number of the row being read.
    row: usize,
    /// Why reading stopped, when it was the rows (not the JSON) that were wrong.
    refused: Option<PushError>,
}

impl<'a> Reader<'a> {
    fn new(dataset: &'a Dataset, limits: Limits) -> Self {
        let fields = dataset
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        Self {
            dataset,
            fields,
            limits,
            row: 0,
            refused: None,
        }
    }

    /// A JSON object (one row) or an array of them.
    fn document(&mut self, bytes: &[u8]) -> Result<Vec<Row>, PushError> {
        let mut rows = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let read = Body {
            reader: self,
            rows: &mut rows,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        match read {
            Ok(()) => Ok(rows),
            Err(e) => Err(self
                .refused
                .take()
                .unwrap_or_else(|| invalid(None, None, format!("the body is not JSON: {e}")))),
        }
    }

    /// One row per line.
    fn ndjson(&mut self, bytes: &[u8]) -> Result<Vec<Row>, PushError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| invalid(None, None, format!("the body is not UTF-8: {e}")))?;
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if rows.len() == self.limits.max_rows {
                return Err(too_many_rows(self.limits.max_rows));
            }
            self.row = i + 1;
            let mut de = serde_json::Deserializer::from_str(line);
            let read = RowSeed { reader: self }
                .deserialize(&mut de)
                .and_then(|row| de.end().map(|()| row));
            match read {
                Ok(row) => rows.push(row),
                Err(e) => {
                    return Err(self.refused.take().unwrap_or_else(|| {
                        invalid(
                            Some(i + 1),
                            None,
                            format!("line {} is not JSON: {e}", i + 1),
                        )
                    }))
                }
            }
        }
        Ok(rows)
    }

    /// Records why the current row is refused; returns the error that stops reading.
    fn refuse<E: de::Error>(&mut self, field: Option<String>, message: String) -> E {
        let n = self.row;
        let message = match &field {
            Some(field) => format!("row {n}, field '{field}': {message}"),
            None => format!("row {n}: {message}"),
        };
        self.refused = Some(invalid(Some(n), field, message));
        E::custom("the row is refused")
    }

    fn refuse_size<E: de::Error>(&mut self, field: Option<String>) -> E {
        let max = self.limits.max_row_bytes;
        self.refuse(
            field,
            format!(
                "the row holds more than {max} bytes of values; a row keeps at most {max} \
                 (text counts its length): send long text in pieces"
            ),
        )
    }

    /// A row that is not an object: refused, naming what it is (in the words of
    /// `Dataset::pushed_row`, which refuses anything but an object).
    fn not_a_row<E: de::Error>(&mut self, value: Value) -> E {
        match self.dataset.pushed_row(value) {
            Err(e) => self.refuse(e.field, e.message),
            Ok(_) => self.refuse(None, "a row is a JSON object".into()),
        }
    }
}

/// The whole JSON body: an array of rows, or one row.
struct Body<'r, 'a> {
    reader: &'r mut Reader<'a>,
    rows: &'r mut Vec<Row>,
}

impl Body<'_, '_> {
    fn not_rows<E: de::Error>(self, kind: &str) -> Result<(), E> {
        self.reader.refused = Some(invalid(
            None,
            None,
            format!("the body is a JSON {kind}; send an object or an array of objects"),
        ));
        Err(E::custom("the body is not rows"))
    }
}

impl<'de> DeserializeSeed<'de> for Body<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Body<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let max = self.reader.limits.max_rows;
        loop {
            if self.rows.len() == max {
                // One more row is refused without being built or read further.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    self.reader.refused = Some(too_many_rows(max));
                    return Err(de::Error::custom("too many rows"));
                }
                return Ok(());
            }
            self.reader.row = self.rows.len() + 1;
            match seq.next_element_seed(RowSeed {
                reader: &mut *self.reader,
            })? {
                Some(row) => self.rows.push(row),
                None => return Ok(()),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.reader.row = 1;
        let row = RowSeed {
            reader: self.reader,
        }
        .visit_map(map)?;
        self.rows.push(row);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_rows("boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_rows("number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_rows("number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_rows("number")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_rows("string")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_rows("null")
    }
}

/// One row: an object whose fields are kept, converted and checked.
struct RowSeed<'r, 'a> {
    reader: &'r mut Reader<'a>,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = Row;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Row, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let reader = self.reader;
        let mut budget = Budget::new(reader.limits.max_row_bytes);
        let mut values: Vec<Option<Value>> = vec![None; reader.dataset.fields.len()];
        while let Some(field) = map.next_key_seed(FieldKey {
            fields: &reader.fields,
        })? {
            let Some(i) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match map.next_value_seed(Bounded {
                budget: &mut budget,
            }) {
                Ok(value) => values[i] = Some(value),
                Err(_) if budget.spent => {
                    let name = reader.dataset.fields[i].name.clone();
                    return Err(reader.refuse_size(Some(name)));
                }
                Err(e) => return Err(e),
            }
        }
        let values: Vec<Option<&Value>> = values.iter().map(Option::as_ref).collect();
        reader
            .dataset
            .pushed_values(&values)
            .map_err(|e| reader.refuse(e.field, e.message))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Row, A::Error> {
        let mut budget = Budget::new(self.reader.limits.max_row_bytes);
        match (Bounded {
            budget: &mut budget,
        })
        .visit_seq(seq)
        {
            Ok(value) => Err(self.reader.not_a_row(value)),
            Err(_) if budget.spent => Err(self.reader.refuse_size(None)),
            Err(e) => Err(e),
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Row, E> {
        Err(self.reader.not_a_row(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Row, E> {
        Err(self.reader.not_a_row(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Row, E> {
        Err(self.reader.not_a_row(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Row, E> {
        Err(self.reader.not_a_row(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Row, E> {
        let mut text: String = v.chars().take(64).collect();
        if text.len() < v.len() {
            text.push('…');
        }
        Err(self.reader.not_a_row(Value::String(text)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Row, E> {
        Err(self.reader.not_a_row(Value::Null))
    }
}

/// A row's key: the position of the field it names, or `None` for any other key.
/// Keys are compared where they lie in the body, never copied.
struct FieldKey<'f, 'a> {
    fields: &'f HashMap<&'a str, usize>,
}

impl<'de> DeserializeSeed<'de> for FieldKey<'_, '_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldKey<'_, '_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.fields.get(key).copied())
    }
}

/// What a row may still keep, in bytes; `spent` once something did not fit.
struct Budget {
    left: usize,
    spent: bool,
}

impl Budget {
    fn new(bytes: usize) -> Self {
        Self {
            left: bytes,
            spent: false,
        }
    }

    fn charge<E: de::Error>(&mut self, bytes: usize) -> Result<(), E> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.spent = true;
                Err(E::custom("the row is too large"))
            }
        }
    }
}

/// The cost of a value that is not a string (or of an array or object node).
const SCALAR_BYTES: usize = 8;

/// A value, built only while it fits its row's budget (strings are charged before
/// they are copied).
struct Bounded<'b> {
    budget: &'b mut Budget,
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.budget.charge(SCALAR_BYTES)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.budget.charge(SCALAR_BYTES)?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.budget.charge(SCALAR_BYTES)?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.budget.charge(SCALAR_BYTES)?;
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.budget.charge(v.len())?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.budget.charge(SCALAR_BYTES)?;
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.charge(SCALAR_BYTES)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Bounded {
            budget: &mut *self.budget,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.charge(SCALAR_BYTES)?;
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(Bounded {
            budget: &mut *self.budget,
        })? {
            let value = map.next_value_seed(Bounded {
                budget: &mut *self.budget,
            })?;
            if let Value::String(key) = key {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{DatasetId, Field, FieldKind, JsonPathExpr, RefreshInterval, SourceId};
    use serde_json::json;

    fn dataset() -> Dataset {
        Dataset {
            id: DatasetId::parse("d").unwrap(),
            name: "d".into(),
            source: SourceId::parse("s").unwrap(),
            path: JsonPathExpr::parse("$").unwrap(),
            fields: vec![
                Field {
                    name: "city".into(),
                    kind: FieldKind::Text,
                },
                Field {
                    name: "temp".into(),
                    kind: FieldKind::Number,
                },
            ],
            refresh: RefreshInterval::from_millis(1000).unwrap(),
            always_refresh: false,
            pipeline: Default::default(),
            columns: Default::default(),
            stale_after_secs: None,
        }
    }

    fn error(result: Result<Vec<Row>, PushError>) -> (Option<usize>, Option<String>, String) {
        match result {
            Err(PushError::Invalid {
                row,
                field,
                message,
            }) => (row, field, message),
            other => panic!("expected an invalid-row error, got {other:?}"),
        }
    }

    fn small(max_rows: usize) -> Limits {
        Limits {
            max_rows,
            ..Limits::default()
        }
    }

    #[test]
    fn an_object_an_array_and_ndjson_are_rows() {
        let d = dataset();
        assert_eq!(
            parse_rows(&d, br#"{"city":"Oslo","temp":3}"#, false)
                .unwrap()
                .len(),
            1
        );
        let rows = parse_rows(&d, br#"[{"temp":1},{"temp":2,"x":[1,{"y":2}]}]"#, false).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            serde_json::Value::Object(rows[1].clone()),
            json!({"city": null, "temp": 2}),
            "fields in field order, a missing one null, other keys dropped"
        );
        let rows = parse_rows(&d, b"{\"temp\":1}\n\n{\"temp\":\"2.5\"}\r\n", true).unwrap();
        assert_eq!(rows[1]["temp"], json!(2.5));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_and_escaped_keys_are_fields() {
        let d = dataset();
        let rows = parse_rows(&d, br#"[{"temp":1,"temp":2,"c\u0069ty":"Oslo"}]"#, false).unwrap();
        assert_eq!(rows[0]["temp"], json!(2));
        assert_eq!(rows[0]["city"], json!("Oslo"));
    }

    #[test]
    fn a_bad_row_is_named_by_number_and_field() {
        let d = dataset();
        let (row, field, message) =
            error(parse_rows(&d, br#"[{"temp":1},{"temp":"warm"}]"#, false));
        assert_eq!((row, field.as_deref()), (Some(2), Some("temp")));
        assert!(
            message.starts_with("row 2, field 'temp': expected a number"),
            "{message}"
        );
        let (row, _, message) = error(parse_rows(&d, b"{\"temp\":1}\n{oops\n", true));
        assert_eq!(row, Some(2));
        assert!(message.starts_with("line 2 is not JSON"), "{message}");
        let (row, field, message) = error(parse_rows(&d, br#"[{"temp":1}, 7]"#, false));
        assert_eq!((row, field), (Some(2), None));
        assert_eq!(message, "row 2: a row is a JSON object, got 7");
        let (_, _, message) = error(parse_rows(&d, br#"[[1, 2]]"#, false));
        assert_eq!(message, "row 1: a row is a JSON object, got [1,2]");
        let (_, field, message) = error(parse_rows(&d, br#"[{"temp": [1]}]"#, false));
        assert_eq!(field.as_deref(), Some("temp"));
        assert_eq!(message, "row 1, field 'temp': expected a number, got [1]");
    }

    #[test]
    fn fields_are_checked_in_field_order_whatever_the_key_order() {
        let d = dataset();
        let (_, field, _) = error(parse_rows(
            &d,
            br#"[{"temp":"warm","city":{"a":1}}]"#,
            false,
        ));
        assert_eq!(field.as_deref(), Some("city"));
    }

    #[test]
    fn bodies_that_are_not_rows_say_what_they_are() {
        let d = dataset();
        assert!(error(parse_rows(&d, b"42", false))
            .2
            .contains("JSON number"));
        assert!(error(parse_rows(&d, b"\"x\"", false))
            .2
            .contains("JSON string"));
        assert!(error(parse_rows(&d, b"[]", false)).2.contains("no rows"));
        assert!(error(parse_rows(&d, b"\n\n", true)).2.contains("no rows"));
        assert!(error(parse_rows(&d, b"{\"temp\": ", false))
            .2
            .contains("line 1"));
        assert!(error(parse_rows(&d, b"{\"temp\": 1} x", false))
            .2
            .contains("trailing characters"));
        assert!(error(parse_rows(&d, b"\xff", true)).2.contains("not UTF-8"));
    }

    #[test]
    fn one_row_past_the_cap_stops_reading_before_it_is_built() {
        let d = dataset();
        // Row 4 is wrong and the body is broken after it: had row 4 been converted, or
        // the rest been read, the answer would name those instead of the cap.
        let body = br#"[{"temp":1},{"temp":2},{"temp":3},{"temp":"warm"}, oops"#;
        let (row, _, message) = error(parse_rows_within(&d, body, false, small(3)));
        assert_eq!(row, None);
        assert_eq!(message, "at most 3 rows per request; split the batch");
        let lines = b"{\"temp\":1}\n{\"temp\":2}\n{\"temp\":\"warm\"}\n{oops";
        let (_, _, message) = error(parse_rows_within(&d, lines, true, small(2)));
        assert_eq!(message, "at most 2 rows per request; split the batch");
        // Exactly the cap is taken.
        assert_eq!(
            parse_rows_within(&d, br#"[{},{},{}]"#, false, small(3))
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn the_real_cap_refuses_one_row_more() {
        let d = dataset();
        let body = format!("[{}{{}}]", "{},".repeat(MAX_ROWS_PER_REQUEST));
        let (_, _, message) = error(parse_rows(&d, body.as_bytes(), false));
        assert!(
            message.contains(&format!("at most {MAX_ROWS_PER_REQUEST} rows")),
            "{message}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_as_not_json_anywhere_in_the_body() {
        let d = dataset();
        let deep = "[".repeat(100_000);
        let (_, _, message) = error(parse_rows(&d, deep.as_bytes(), false));
        assert!(message.contains("recursion limit"), "{message}");
        let in_a_field = format!(r#"[{{"temp": {deep}"#);
        let (_, _, message) = error(parse_rows(&d, in_a_field.as_bytes(), false));
        assert!(message.contains("recursion limit"), "{message}");
        let in_a_line = format!("{{\"temp\":1}}\n{deep}\n");
        let (row, _, message) = error(parse_rows(&d, in_a_line.as_bytes(), true));
        assert_eq!(row, Some(2));
        assert!(message.contains("recursion limit"), "{message}");
        // Under an ignored key nothing is built, so only the end of the body stops it.
        let ignored = format!(r#"[{{"other": {deep}"#);
        assert!(error(parse_rows(&d, ignored.as_bytes(), false))
            .2
            .contains("not JSON"));
    }

    #[test]
    fn a_row_past_its_byte_budget_is_refused_naming_the_field() {
        let d = dataset();
        let long = "x".repeat(MAX_ROW_BYTES + 1);
        let body = format!(r#"[{{"temp":1}},{{"city":"{long}"}}]"#);
        let (row, field, message) = error(parse_rows(&d, body.as_bytes(), false));
        assert_eq!((row, field.as_deref()), (Some(2), Some("city")));
        assert!(
            message.starts_with(&format!(
                "row 2, field 'city': the row holds more than {MAX_ROW_BYTES} bytes"
            )),
            "{message}"
        );
        // A row that is a huge array is refused for its size, not built.
        let wide = format!("[[{}1]]", "1,".repeat(MAX_ROW_BYTES));
        let (row, field, message) = error(parse_rows(&d, wide.as_bytes(), false));
        assert_eq!((row, field), (Some(1), None));
        assert!(message.contains("more than"), "{message}");
        // Text that is not a field costs nothing, however long.
        let skipped = format!(r#"{{"temp":1,"note":"{long}"}}"#);
        assert_eq!(parse_rows(&d, skipped.as_bytes(), false).unwrap().len(), 1);
        // Just under the budget is kept.
        let fits = format!(r#"{{"city":"{}"}}"#, "x".repeat(MAX_ROW_BYTES));
        assert_eq!(parse_rows(&d, fits.as_bytes(), false).unwrap().len(), 1);
    }
}
