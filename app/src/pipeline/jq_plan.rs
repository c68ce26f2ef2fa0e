//! The jq filters simple enough to run as a column scan: the common "keep the rows
//! where a field is set (or compares with a literal), and keep these fields" shapes.
//!
//! - `map(S)`, `[.[] | S]` and `.[] | S`, where `S` is `select(C)`, `{f, g, …}`, or
//!   `select(C) | {f, g, …}`;
//! - `C` is `.f` (the field is truthy: neither null, absent nor false) or
//!   `.f OP literal` with `OP` one of `== != < <= > >=` and a number, a string without
//!   interpolation, `true`, `false` or `null`.
//!
//! They give the rows jaq gives, by jq's rules: `{f}` is `f: .f` (null where the row has
//! no `f`), and values of different kinds order null < false < true < numbers <
//! strings (< arrays < objects). A run goes to jaq instead when it would compare an
//! array, an object or a whole number past `i64`, or keep such a number or a fraction
//! of 2^53 or more (jaq does not give every such value back as it read it); arrays and
//! objects are otherwise kept as they are. The property
//! test in `tests` runs random rows through both and compares.

use super::batch::{Batch, Cell, Column};
// The comparisons a simple query writes, shared with JSONPath's column scan.
use super::query::PathCmp as Op;
use serde_json::Value;
use std::cmp::Ordering;

/// Most fields a scan's `{f, g, …}` keeps.
const MAX_FIELDS: usize = 100;

/// A filter of one of the shapes above, worked out from its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JqPlan {
    keep: Option<Cond>,
    fields: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Cond {
    field: String,
    test: Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Truthy,
    Compare(Op, Lit),
}

/// A literal, as jq orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lit {
    Null,
    Bool(bool),
    /// The number's text (kept exact for `Eq`); compared as `f64`.
    Number(String),
    Text(String),
}

impl JqPlan {
    /// The plan of `source`, if it has one of the shapes above.
    pub(super) fn of(source: &str) -> Option<JqPlan> {
        let tokens = tokens(source)?;
        let mut p = Parser { tokens, at: 0 };
        let plan = p.whole()?;
        (p.at == p.tokens.len()).then_some(plan)
    }

    /// Runs the plan on `batch`; `None` when a column it reads holds values it does not
    /// scan (arrays, objects, numbers past `i64`): then jaq runs the filter.
    pub(super) fn run(&self, batch: &Batch) -> Option<Batch> {
        let keep: Vec<usize> = match &self.keep {
            None => (0..batch.len()).collect(),
            Some(cond) => {
                let column = batch.column(&cond.field);
                let mut keep = Vec::with_capacity(batch.len());
                for i in 0..batch.len() {
                    let cell = column.map_or(Cell::Absent, |c| c.cell(i));
                    if cond.test.holds(cell)? {
                        keep.push(i);
                    }
                }
                keep
            }
        };
        // jaq reads whole numbers past `i64` as fractions: rows carrying one go to jaq.
        let carried: Vec<&Column> = match &self.fields {
            None => batch
                .names()
                .iter()
                .filter_map(|n| batch.column(n))
                .collect(),
            Some(fields) => fields.iter().filter_map(|f| batch.column(f)).collect(),
        };
        if carried
            .iter()
            .any(|c| (c.holds_json() || c.floats().is_some()) && holds_a_big_number(c, &keep))
        {
            return None;
        }
        Some(match &self.fields {
            None => batch.take(&keep),
            Some(fields) => Batch::from_columns(
                fields
                    .iter()
                    .map(|f| {
                        let mut column = batch
                            .column(f)
                            .map_or_else(|| Column::nulls(keep.len()), |c| c.take(&keep));
                        column.fill_absent();
                        (f.clone(), column)
                    })
                    .collect(),
            ),
        })
    }
}

/// Whether a cell of `column` at `rows` is, or holds, a whole number past `i64`, or
/// is a fraction of 2^53 or more (where every fraction is whole, and jaq does not give
/// back every such value as it read it).
fn holds_a_big_number(column: &Column, rows: &[usize]) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    rows.iter().any(|&i| match column.cell(i) {
        Cell::Float(f) => f.abs() >= EXACT,
        Cell::Json(v) => {
            let mut todo = vec![v];
            while let Some(v) = todo.pop() {
                match v {
                    Value::Number(n) if n.as_i64().is_none() && !n.is_f64() => return true,
                    Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() >= EXACT) => {
                        return true
                    }
                    Value::Array(items) => todo.extend(items),
                    Value::Object(fields) => todo.extend(fields.values()),
                    _ => {}
                }
            }
            false
        }
        _ => false,
    })
}

impl Test {
    /// Whether `cell` passes; `None` for a cell the scan does not order.
    fn holds(&self, cell: Cell) -> Option<bool> {
        match self {
            Test::Truthy => Some(!matches!(
                cell,
                Cell::Null | Cell::Absent | Cell::Bool(false)
            )),
            Test::Compare(op, lit) => {
                let order = jq_order(cell, lit)?;
                Some(match op {
                    Op::Eq => order == Ordering::Equal,
                    Op::Ne => order != Ordering::Equal,
                    Op::Lt => order == Ordering::Less,
                    Op::Le => order != Ordering::Greater,
                    Op::Gt => order == Ordering::Greater,
                    Op::Ge => order != Ordering::Less,
                })
            }
        }
    }
}

/// How jq orders `cell` against `lit`; `None` for arrays, objects and numbers past `i64`.
fn jq_order(cell: Cell, lit: &Lit) -> Option<Ordering> {
    // null < false < true < numbers < strings
    let rank = |c: &Cell| match c {
        Cell::Absent | Cell::Null => Some(0),
        Cell::Bool(false) => Some(1),
        Cell::Bool(true) => Some(2),
        Cell::Int(_) | Cell::Float(_) => Some(3),
        Cell::Text(_) => Some(4),
        Cell::Json(_) => None,
    };
    let lit_rank = match lit {
        Lit::Null => 0,
        Lit::Bool(false) => 1,
        Lit::Bool(true) => 2,
        Lit::Number(_) => 3,
        Lit::Text(_) => 4,
    };
    let r = rank(&cell)?;
    if r != lit_rank {
        return Some(r.cmp(&lit_rank));
    }
    Some(match (cell, lit) {
        (Cell::Int(i), Lit::Number(n)) => match n.parse::<i64>() {
            Ok(m) => i.cmp(&m),
            Err(_) => (i as f64).partial_cmp(&n.parse::<f64>().ok()?)?,
        },
        (Cell::Float(f), Lit::Number(n)) => f.partial_cmp(&n.parse::<f64>().ok()?)?,
        (Cell::Text(s), Lit::Text(t)) => s.cmp(t.as_str()),
        _ => Ordering::Equal,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `.name`
    Field(String),
    /// `.[]`
    Each,
    Word(String),
    Punct(char),
    Op(Op),
    Lit(Lit),
}

/// The filter's tokens, if it holds only what the shapes use.
fn tokens(source: &str) -> Option<Vec<Token>> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |i: usize| {
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        (j > i && !b[i].is_ascii_digit()).then_some(j)
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'.' if source[i..].starts_with(".[]") => {
                out.push(Token::Each);
                i += 3;
            }
            b'.' => {
                let end = ident(i + 1)?;
                out.push(Token::Field(source[i + 1..end].to_string()));
                i = end;
            }
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' => {
                out.push(Token::Punct(c as char));
                i += 1;
            }
            b'|' => {
                out.push(Token::Punct('|'));
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = source.get(i..i + 2).unwrap_or("");
                let (op, len) = match (two, c) {
                    ("==", _) => (Op::Eq, 2),
                    ("!=", _) => (Op::Ne, 2),
                    ("<=", _) => (Op::Le, 2),
                    (">=", _) => (Op::Ge, 2),
                    (_, b'<') => (Op::Lt, 1),
                    (_, b'>') => (Op::Gt, 1),
                    _ => return None,
                };
                out.push(Token::Op(op));
                i += len;
            }
            b'"' => {
                // A JSON string; jq's `\(…)` interpolation is not one.
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let text = source.get(i..=j)?;
                if text.contains("\\(") {
                    return None;
                }
                out.push(Token::Lit(Lit::Text(serde_json::from_str(text).ok()?)));
                i = j + 1;
            }
            b'-' | b'0'..=b'9' => {
                let mut j = i + 1;
                while j < b.len() && matches!(b[j], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    j += 1;
                }
                let text = &source[i..j];
                // Only numbers JSON and jq read alike, and plain ones: `1`, `-2.5`.
                match serde_json::from_str::<Value>(text).ok()? {
                    Value::Number(n) if !text.contains(['e', 'E']) && n.as_f64()?.is_finite() => {
                        out.push(Token::Lit(Lit::Number(text.to_string())))
                    }
                    _ => return None,
                }
                i = j;
            }
            _ => {
                let end = ident(i)?;
                let word = &source[i..end];
                out.push(match word {
                    "null" => Token::Lit(Lit::Null),
                    "true" => Token::Lit(Lit::Bool(true)),
                    "false" => Token::Lit(Lit::Bool(false)),
                    _ => Token::Word(word.to_string()),
                });
                i = end;
            }
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn eat(&mut self, t: &Token) -> Option<()> {
        (self.tokens.get(self.at) == Some(t)).then(|| self.at += 1)
    }

    fn punct(&mut self, c: char) -> Option<()> {
        self.eat(&Token::Punct(c))
    }

    fn word(&mut self, w: &str) -> Option<()> {
        self.eat(&Token::Word(w.to_string()))
    }

    fn whole(&mut self) -> Option<JqPlan> {
        if self.word("map").is_some() {
            self.punct('(')?;
            let plan = self.body()?;
            self.punct(')')?;
            return Some(plan);
        }
        if self.punct('[').is_some() {
            self.eat(&Token::Each)?;
            self.punct('|')?;
            let plan = self.body()?;
            self.punct(']')?;
            return Some(plan);
        }
        self.eat(&Token::Each)?;
        self.punct('|')?;
        self.body()
    }

    fn body(&mut self) -> Option<JqPlan> {
        let mut plan = JqPlan {
            keep: None,
            fields: None,
        };
        if self.word("select").is_some() {
            self.punct('(')?;
            plan.keep = Some(self.cond()?);
            self.punct(')')?;
            if self.punct('|').is_none() {
                return Some(plan);
            }
        }
        plan.fields = Some(self.fields()?);
        Some(plan)
    }

    fn cond(&mut self) -> Option<Cond> {
        let Some(Token::Field(field)) = self.tokens.get(self.at).cloned() else {
            return None;
        };
        self.at += 1;
        let test = match self.tokens.get(self.at).cloned() {
            Some(Token::Op(op)) => match self.tokens.get(self.at + 1).cloned() {
                Some(Token::Lit(lit)) => {
                    self.at += 2;
                    Test::Compare(op, lit)
                }
                _ => return None,
            },
            _ => Test::Truthy,
        };
        Some(Cond { field, test })
    }

    fn fields(&mut self) -> Option<Vec<String>> {
        self.punct('{')?;
        let mut fields: Vec<String> = Vec::new();
        loop {
            let Some(Token::Word(name)) = self.tokens.get(self.at).cloned() else {
                return None;
            };
            // A keyword is not a field shorthand; a repeat is left to jaq.
            if [
                "if", "then", "else", "end", "and", "or", "not", "def", "reduce", "foreach", "try",
                "catch", "label", "import", "include", "as", "elif", "__loc__",
            ]
            .contains(&name.as_str())
                || fields.contains(&name)
            {
                return None;
            }
            // A wide projection is left to jaq's bounded worker: the scan builds its
            // output (a column per field, null-filled) before the budget sees it.
            if fields.len() == MAX_FIELDS {
                return None;
            }
            self.at += 1;
            fields.push(name);
            if self.punct('}').is_some() {
                return Some(fields);
            }
            self.punct(',')?;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::pipeline::query::JqFilter;
    use crate::pipeline::tests::rows;
    use crate::pipeline::{Data, Env, Limits, Pipeline};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_simple_shapes_have_a_plan_and_others_do_not() {
        for simple in [
            "map(select(.paid) | {id, amount})",
            "[.[] | select(.region == \"north\") | {id}]",
            ".[] | select(.amount >= -2.5)",
            "map({a, b})",
            "map(select(.x != null))",
            " map( select( .paid ) |{ id ,amount } ) ",
        ] {
            assert!(JqPlan::of(simple).is_some(), "{simple}");
        }
        for other in [
            "map(select(.paid) | {id: .x})",
            "map(select(.a.b))",
            "map(select(.a > 1 and .b))",
            "map(select(.s == \"\\(.x)\"))",
            "map(select(.n > 1e3))",
            "map({a, a})",
            "map({if})",
            ".[0]",
            "map(.a)",
            "map(select(.paid) | {id}) | length",
            "map(select(.paid)",
        ] {
            assert_eq!(JqPlan::of(other), None, "{other}");
        }
        let wide = |n: usize| {
            let fields: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
            format!("map({{{}}})", fields.join(", "))
        };
        assert!(JqPlan::of(&wide(MAX_FIELDS)).is_some());
        assert_eq!(JqPlan::of(&wide(MAX_FIELDS + 1)), None, "left to jaq");
    }

    fn jq_pipeline(filter: &str) -> Pipeline {
        serde_json::from_value(json!({"steps": [{"op": "jq", "filter": filter}]})).unwrap()
    }

    /// The rows of `filter` run as a plan on a batch, and by jaq on rows.
    fn both(
        filter: &str,
        data: Vec<crate::model::Row>,
    ) -> (Vec<crate::model::Row>, Vec<crate::model::Row>) {
        let pipeline = jq_pipeline(filter);
        let env = Env::local(Limits::default());
        let planned = pipeline.run_data(Data::Batch(Batch::from_rows(data.clone())), &env, true);
        let by_jaq = pipeline.run_data(Data::Rows(data), &env, false);
        (planned.unwrap().rows, by_jaq.unwrap().rows)
    }

    #[test]
    fn a_plan_gives_the_rows_jaq_gives() {
        let data = rows(json!([
            {"id": 1, "paid": true, "amount": 2.5, "region": "north"},
            {"id": 2, "paid": false, "amount": 10, "region": "south"},
            {"id": 3, "amount": null, "region": 7},
            {"id": 4, "paid": 0, "region": "north"},
            {"id": 5, "paid": "", "amount": -1, "region": "Nörth"}
        ]));
        for filter in [
            "map(select(.paid) | {id, amount})",
            "[.[] | select(.region == \"north\") | {id, region}]",
            ".[] | select(.amount >= 2.5)",
            "map(select(.region > 5))",
            "map(select(.amount < \"a\") | {amount, missing})",
            "map({id, paid})",
        ] {
            let (planned, by_jaq) = both(filter, data.clone());
            assert_eq!(planned, by_jaq, "{filter}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn planned_and_jaq_runs_agree_on_random_rows(
            data in prop::collection::vec(
                prop::collection::btree_map(
                    prop::sample::select(vec!["a", "b", "c"]),
                    prop_oneof![
                        Just(json!(null)), Just(json!(true)), Just(json!(false)),
                        (-3i64..4).prop_map(|n| json!(n)),
                        (-3.0f64..4.0).prop_map(|f| json!((f * 2.0).round() / 2.0)),
                        prop::sample::select(vec!["", "a", "b", "B", "é", "10"]).prop_map(|s| json!(s)),
                        Just(json!(18446744073709551615u64)),
                        Just(json!([1, "x", {"k": null}])),
                    ],
                    0..3,
                ),
                0..8,
            ),
            field in prop::sample::select(vec!["a", "b", "z"]),
            op in prop::sample::select(vec!["", " == ", " != ", " < ", " <= ", " > ", " >= "]),
            lit in prop::sample::select(vec!["1", "1.0", "-2.5", "\"a\"", "\"\"", "true", "false", "null"]),
            shape in 0..3usize,
        ) {
            let cond = if op.is_empty() { format!(".{field}") } else { format!(".{field}{op}{lit}") };
            let filter = match shape {
                0 => format!("map(select({cond}) | {{a, c}})"),
                1 => format!(".[] | select({cond})"),
                _ => format!("[.[] | select({cond}) | {{b}}]"),
            };
            prop_assert!(JqPlan::of(&filter).is_some(), "{}", filter);
            let data: Vec<crate::model::Row> = data
                .into_iter()
                .map(|r| r.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                .collect();
            let (planned, by_jaq) = both(&filter, data);
            prop_assert_eq!(planned, by_jaq, "{}", filter);
        }
    }

    #[test]
    fn arrays_compared_and_numbers_past_i64_kept_go_to_jaq() {
        let data = Batch::from_rows(rows(json!([{"a": [1]}, {"a": 2}])));
        let plan = JqPlan::of("map(select(.a > 1))").unwrap();
        assert_eq!(plan.run(&data), None);
        assert!(JqFilter::parse("map(select(.a > 1))").is_ok());
        // Kept, an array is copied as it is.
        let kept = JqPlan::of("map(select(.a))").unwrap().run(&data).unwrap();
        assert_eq!(kept.len(), 2);

        let big = rows(
            json!([{"a": 18446744073709551615u64, "b": 1}, {"a": [1, {"c": 18446744073709551615u64}], "b": 2}]),
        );
        let batch = Batch::from_rows(big.clone());
        assert_eq!(JqPlan::of("map({a})").unwrap().run(&batch), None);
        assert!(JqPlan::of("map({b})").unwrap().run(&batch).is_some());
        let (planned, by_jaq) = both("map({a, b})", big);
        assert_eq!(planned, by_jaq);
        let wide = Batch::from_rows(rows(json!([{"a": 9.223372891654777e18}, {"a": 0.5}])));
        assert_eq!(JqPlan::of("map({a})").unwrap().run(&wide), None);
        let kept_big = JqPlan::of("map(select(.a > 1))").unwrap().run(&wide);
        assert_eq!(kept_big, None);
        let small = JqPlan::of("map(select(.a < 1))")
            .unwrap()
            .run(&wide)
            .unwrap();
        assert_eq!(
            small.into_rows(),
            rows(json!([{"a": 0.5}])),
            "only kept rows count"
        );
    }
}
