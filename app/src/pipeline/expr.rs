//! The small expression language of the `compute` step: parsed once when the step is
//! read, then evaluated against each row.
//!
//! ```text
//! or  := and ("or" and)*            and := not ("and" not)*
//! not := "not" not | cmp            cmp := sum (("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum)?
//! sum := product (("+" | "-") product)*
//! product := unary (("*" | "/" | "%") unary)*
//! unary := "-" unary | atom
//! atom := number | 'text' | "text" | true | false | null | field | [field name]
//!       | `field name` | name "(" (or ("," or)*)? ")" | "(" or ")"
//! ```
//!
//! Functions: `if(cond, a, b)`, `round(x, digits?)`, `abs`, `floor`, `ceil`,
//! `min(...)`, `max(...)`, `concat(...)`, `upper`, `lower`, `trim`, `len`,
//! `coalesce(...)`, `substring(text, start, length?)` (0-based, in characters),
//! `year(d)`, `month(d)`, `day(d)` and `date_diff_days(start, end)` (`end - start` in
//! whole days; dates are read as the `convert` step reads them).
//!
//! Values: a missing field is null, and null flows through arithmetic and functions
//! (`1 + null` is null) without being a problem. A type mismatch (`'a' * 2`), a
//! division by zero or an unreadable date is a problem: the result is null and the
//! step counts it. `+` adds numbers or joins two texts. Whole results are integers.
//!
//! Bounds: at most `MAX_LEN` characters and `MAX_DEPTH` levels of nesting (brackets,
//! calls, unary operators and chains of binary operators all count), so a hostile
//! expression cannot overflow the stack while parsing or evaluating.

use super::budget::MAX_TEXT_BYTES;
use super::dates;
use crate::model::Row;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use std::cmp::Ordering;

/// Longest expression read, in characters.
pub const MAX_LEN: usize = 2_000;
/// Deepest nesting read.
pub const MAX_DEPTH: usize = 64;

/// A parsed expression; written and read as its source text.
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    node: Node,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Expr::parse(&source).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(Value),
    Field(String),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(Bin, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    If,
    Round,
    Abs,
    Floor,
    Ceil,
    Min,
    Max,
    Concat,
    Upper,
    Lower,
    Trim,
    Len,
    Coalesce,
    Substring,
    Year,
    Month,
    Day,
    DateDiffDays,
}

impl Func {
    fn named(name: &str) -> Option<Func> {
        Some(match name.to_ascii_lowercase().as_str() {
            "if" => Func::If,
            "round" => Func::Round,
            "abs" => Func::Abs,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "min" => Func::Min,
            "max" => Func::Max,
            "concat" => Func::Concat,
            "upper" => Func::Upper,
            "lower" => Func::Lower,
            "trim" => Func::Trim,
            "len" => Func::Len,
            "coalesce" => Func::Coalesce,
            "substring" => Func::Substring,
            "year" => Func::Year,
            "month" => Func::Month,
            "day" => Func::Day,
            "date_diff_days" => Func::DateDiffDays,
            _ => return None,
        })
    }

    /// Fewest and most arguments.
    fn arity(self) -> (usize, usize) {
        match self {
            Func::If => (3, 3),
            Func::Round => (1, 2),
            Func::Substring => (2, 3),
            Func::DateDiffDays => (2, 2),
            Func::Min | Func::Max | Func::Coalesce => (1, usize::MAX),
            Func::Concat => (0, usize::MAX),
            _ => (1, 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Field(String),
    Op(&'static str),
    End,
}

/// Splits the source into tokens, each with its character offset.
fn lex(source: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |pos: usize, what: &str| format!("character {pos}: {what}");
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j], '+' | '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let n: f64 = text
                .parse()
                .map_err(|_| at(start, &format!("'{text}' is not a number")))?;
            out.push((Tok::Num(n), start));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), start));
            continue;
        }
        match c {
            '\'' | '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(at(start, "this text is not closed")),
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => text.push('\n'),
                                Some('t') => text.push('\t'),
                                Some(other) => text.push(*other),
                                None => return Err(at(start, "this text is not closed")),
                            }
                            i += 2;
                        }
                        Some(q) if *q == c => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Str(text), start));
            }
            '[' | '`' => {
                let close = if c == '[' { ']' } else { '`' };
                let end = chars[i + 1..]
                    .iter()
                    .position(|x| *x == close)
                    .ok_or_else(|| at(start, &format!("this field name has no closing {close}")))?;
                let name: String = chars[i + 1..i + 1 + end].iter().collect();
                if name.trim().is_empty() {
                    return Err(at(start, "a field name is empty"));
                }
                out.push((Tok::Field(name), start));
                i += end + 2;
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = [
                    "==", "!=", "<>", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "(", ")",
                    ",", "<", ">", "=", "!",
                ]
                .into_iter()
                .find(|op| two.starts_with(op))
                .ok_or_else(|| at(start, &format!("'{c}' is not understood here")))?;
                i += op.chars().count();
                out.push((Tok::Op(op), start));
            }
        }
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1)
    }

    fn fail<T>(&self, what: impl Into<String>) -> Result<T, String> {
        Err(format!("character {}: {}", self.offset(), what.into()))
    }

    fn describe(&self) -> String {
        match self.peek() {
            Tok::Num(n) => format!("the number {n}"),
            Tok::Str(s) => format!("the text '{s}'"),
            Tok::Ident(s) | Tok::Field(s) => format!("'{s}'"),
            Tok::Op(op) => format!("'{op}'"),
            Tok::End => "the end".to_string(),
        }
    }

    fn eat_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Tok::Op(op) if ops.contains(op) => {
                let op = *op;
                self.pos += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        match self.peek() {
            Tok::Ident(w) if w.eq_ignore_ascii_case(word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Enters one level of nesting, refusing to go past `MAX_DEPTH`.
    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    /// A left-associative chain: each link nests once more.
    fn chain(
        &mut self,
        next: fn(&mut Self) -> Result<Node, String>,
        op: fn(&mut Self) -> Option<Bin>,
    ) -> Result<Node, String> {
        let entered = self.depth;
        let mut left = next(self)?;
        while let Some(bin) = op(self) {
            self.deeper()?;
            let right = next(self)?;
            left = Node::Bin(bin, Box::new(left), Box::new(right));
        }
        self.depth = entered;
        Ok(left)
    }

    fn or(&mut self) -> Result<Node, String> {
        self.chain(Self::and, |p| {
            (p.eat_word("or") || p.eat_op(&["||"]).is_some()).then_some(Bin::Or)
        })
    }

    fn and(&mut self) -> Result<Node, String> {
        self.chain(Self::not, |p| {
            (p.eat_word("and") || p.eat_op(&["&&"]).is_some()).then_some(Bin::And)
        })
    }

    fn not(&mut self) -> Result<Node, String> {
        if self.eat_word("not") || self.eat_op(&["!"]).is_some() {
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Node, String> {
        let left = self.sum()?;
        let Some(op) = self.eat_op(&["==", "=", "!=", "<>", "<=", ">=", "<", ">"]) else {
            return Ok(left);
        };
        let bin = match op {
            "==" | "=" => Bin::Eq,
            "!=" | "<>" => Bin::Ne,
            "<" => Bin::Lt,
            "<=" => Bin::Le,
            ">" => Bin::Gt,
            _ => Bin::Ge,
        };
        self.deeper()?;
        let right = self.sum()?;
        self.depth -= 1;
        Ok(Node::Bin(bin, Box::new(left), Box::new(right)))
    }

    fn sum(&mut self) -> Result<Node, String> {
        self.chain(Self::product, |p| match p.eat_op(&["+", "-"]) {
            Some("+") => Some(Bin::Add),
            Some(_) => Some(Bin::Sub),
            None => None,
        })
    }

    fn product(&mut self) -> Result<Node, String> {
        self.chain(Self::unary, |p| match p.eat_op(&["*", "/", "%"]) {
            Some("*") => Some(Bin::Mul),
            Some("/") => Some(Bin::Div),
            Some(_) => Some(Bin::Rem),
            None => None,
        })
    }

    fn unary(&mut self) -> Result<Node, String> {
        if self.eat_op(&["-"]).is_some() {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Neg(Box::new(inner)));
        }
        if self.eat_op(&["+"]).is_some() {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Node, String> {
        let start = self.pos;
        let tok = self.peek().clone();
        match tok {
            Tok::Num(n) => {
                self.pos += 1;
                Ok(Node::Lit(number(n)))
            }
            Tok::Str(s) => {
                self.pos += 1;
                Ok(Node::Lit(Value::String(s)))
            }
            Tok::Field(name) => {
                self.pos += 1;
                Ok(Node::Field(name))
            }
            Tok::Op("(") => {
                self.pos += 1;
                self.deeper()?;
                let inner = self.or()?;
                if self.eat_op(&[")"]).is_none() {
                    return self.fail(format!("expected ')', found {}", self.describe()));
                }
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if self.eat_op(&["("]).is_none() {
                    return Ok(match name.to_ascii_lowercase().as_str() {
                        "true" => Node::Lit(Value::Bool(true)),
                        "false" => Node::Lit(Value::Bool(false)),
                        "null" => Node::Lit(Value::Null),
                        _ => Node::Field(name),
                    });
                }
                let Some(func) = Func::named(&name) else {
                    self.pos = start;
                    return self.fail(format!("there is no function '{name}'"));
                };
                self.deeper()?;
                let mut args = Vec::new();
                if self.eat_op(&[")"]).is_none() {
                    loop {
                        args.push(self.or()?);
                        if self.eat_op(&[","]).is_some() {
                            continue;
                        }
                        if self.eat_op(&[")"]).is_some() {
                            break;
                        }
                        return self
                            .fail(format!("expected ',' or ')', found {}", self.describe()));
                    }
                }
                self.depth -= 1;
                let (least, most) = func.arity();
                if args.len() < least || args.len() > most {
                    self.pos = start;
                    let wanted = match (least, most) {
                        (l, m) if l == m => format!("{l}"),
                        (l, usize::MAX) => format!("at least {l}"),
                        (l, m) => format!("{l} to {m}"),
                    };
                    return self.fail(format!(
                        "{} takes {wanted} arguments, not {}",
                        name.to_ascii_lowercase(),
                        args.len()
                    ));
                }
                Ok(Node::Call(func, args))
            }
            _ => self.fail(format!("expected a value, found {}", self.describe())),
        }
    }
}

impl Expr {
    /// Parses `source`, or says what is wrong and at which character (0-based).
    pub fn parse(source: &str) -> Result<Expr, String> {
        let len = source.chars().count();
        if len > MAX_LEN {
            return Err(format!(
                "expression: {len} characters; at most {MAX_LEN} are read"
            ));
        }
        let wrap = |e: String| format!("expression: {e}");
        let toks = lex(source).map_err(wrap)?;
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let node = p.or().map_err(wrap)?;
        if *p.peek() != Tok::End {
            let found = p.describe();
            return p
                .fail(format!("expected an operator or the end, found {found}"))
                .map_err(wrap);
        }
        Ok(Expr {
            source: source.to_string(),
            node,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value for `row`, or the problem that made it null.
    pub fn eval(&self, row: &Row) -> Result<Value, String> {
        eval(&self.node, row)
    }

    /// The value for the fields `row` gives (a row of a batch, say).
    pub fn eval_in(&self, row: &impl Fields) -> Result<Value, String> {
        eval(&self.node, row)
    }
}

/// Where an expression reads its fields.
pub trait Fields {
    /// The value of `name` (null when there is no such field).
    fn field(&self, name: &str) -> Value;
}

impl Fields for Row {
    fn field(&self, name: &str) -> Value {
        self.get(name).cloned().unwrap_or(Value::Null)
    }
}

/// A whole number as an integer, anything else as a float; not finite is null.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return Value::from(n as i64);
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn num(v: &Value, what: &str) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        other => Err(format!("{what} needs a number, not {other}")),
    }
}

fn text(v: &Value, what: &str) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(format!("{what} needs text, not {other}")),
    }
}

fn truth(v: &Value, what: &str) -> Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(format!("{what} needs true or false, not {other}")),
    }
}

fn eval(node: &Node, row: &(impl Fields + ?Sized)) -> Result<Value, String> {
    match node {
        Node::Lit(v) => Ok(v.clone()),
        Node::Field(name) => Ok(row.field(name)),
        Node::Neg(inner) => Ok(num(&eval(inner, row)?, "'-'")?.map_or(Value::Null, |n| number(-n))),
        Node::Not(inner) => {
            let v = eval(inner, row)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::Bool(!truth(&v, "'not'")?))
        }
        Node::Bin(Bin::And, l, r) => {
            if !truth(&eval(l, row)?, "'and'")? {
                return Ok(Value::Bool(false));
            }
            Ok(Value::Bool(truth(&eval(r, row)?, "'and'")?))
        }
        Node::Bin(Bin::Or, l, r) => {
            if truth(&eval(l, row)?, "'or'")? {
                return Ok(Value::Bool(true));
            }
            Ok(Value::Bool(truth(&eval(r, row)?, "'or'")?))
        }
        Node::Bin(op, l, r) => binary(*op, eval(l, row)?, eval(r, row)?),
        Node::Call(func, args) => call(*func, args, row),
    }
}

fn binary(op: Bin, a: Value, b: Value) -> Result<Value, String> {
    match op {
        Bin::Eq | Bin::Ne => {
            let same = match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                _ => a == b,
            };
            return Ok(Value::Bool(same == (op == Bin::Eq)));
        }
        Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge => {
            let order = match (&a, &b) {
                (Value::Null, _) | (_, Value::Null) => return Ok(Value::Null),
                (Value::Number(x), Value::Number(y)) => x
                    .as_f64()
                    .unwrap_or(0.0)
                    .partial_cmp(&y.as_f64().unwrap_or(0.0)),
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => None,
            };
            let order = order.ok_or_else(|| format!("{a} cannot be compared with {b}"))?;
            return Ok(Value::Bool(match op {
                Bin::Lt => order == Ordering::Less,
                Bin::Le => order != Ordering::Greater,
                Bin::Gt => order == Ordering::Greater,
                _ => order != Ordering::Less,
            }));
        }
        _ => {}
    }
    if let (Bin::Add, Value::String(x), Value::String(y)) = (op, &a, &b) {
        return Ok(Value::String(format!("{x}{y}")));
    }
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Err(format!("{a} and {b} cannot be combined by arithmetic"));
    };
    let n = match op {
        Bin::Add => x + y,
        Bin::Sub => x - y,
        Bin::Mul => x * y,
        Bin::Div | Bin::Rem if y == 0.0 => return Err(format!("{x} divided by zero")),
        Bin::Div => x / y,
        _ => x % y,
    };
    if !n.is_finite() {
        return Err(format!("the result of {x} and {y} is too large"));
    }
    Ok(number(n))
}

/// Why a computed text was refused.
fn too_long_text() -> String {
    format!(
        "the text would be longer than {} MiB; at most that much is kept in a cell",
        MAX_TEXT_BYTES >> 20
    )
}

fn call(func: Func, args: &[Node], row: &(impl Fields + ?Sized)) -> Result<Value, String> {
    let arg = |i: usize| args.get(i).map_or(Ok(Value::Null), |a| eval(a, row));
    let name = format!("{func:?}").to_ascii_lowercase();
    let one_num = |f: fn(f64) -> f64| -> Result<Value, String> {
        Ok(num(&arg(0)?, &name)?.map_or(Value::Null, |n| number(f(n))))
    };
    let one_text = |f: fn(&str) -> String| -> Result<Value, String> {
        match text(&arg(0)?, &name)?.map(|s| f(&s)) {
            None => Ok(Value::Null),
            Some(s) if s.len() > MAX_TEXT_BYTES => Err(too_long_text()),
            Some(s) => Ok(Value::String(s)),
        }
    };
    match func {
        Func::If => {
            if truth(&arg(0)?, "if")? {
                arg(1)
            } else {
                arg(2)
            }
        }
        Func::Round => {
            let Some(x) = num(&arg(0)?, "round")? else {
                return Ok(Value::Null);
            };
            let digits = match num(&arg(1)?, "round")? {
                None => 0,
                Some(d) if d.fract() == 0.0 && (-15.0..=15.0).contains(&d) => d as i32,
                Some(d) => return Err(format!("round keeps -15 to 15 digits, not {d}")),
            };
            let scale = 10f64.powi(digits);
            let rounded = (x * scale).round() / scale;
            Ok(if rounded.is_finite() {
                number(rounded)
            } else {
                number(x)
            })
        }
        Func::Abs => one_num(f64::abs),
        Func::Floor => one_num(f64::floor),
        Func::Ceil => one_num(f64::ceil),
        Func::Min | Func::Max => {
            let mut best: Option<f64> = None;
            for a in args {
                if let Some(n) = num(&eval(a, row)?, &name)? {
                    best = Some(match best {
                        None => n,
                        Some(b) if func == Func::Min => b.min(n),
                        Some(b) => b.max(n),
                    });
                }
            }
            Ok(best.map_or(Value::Null, number))
        }
        Func::Concat => {
            let mut out = String::new();
            for a in args {
                let part = match eval(a, row)? {
                    Value::Null => continue,
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                if out.len() + part.len() > MAX_TEXT_BYTES {
                    return Err(too_long_text());
                }
                out.push_str(&part);
            }
            Ok(Value::String(out))
        }
        Func::Upper => one_text(str::to_uppercase),
        Func::Lower => one_text(str::to_lowercase),
        Func::Trim => one_text(|s| s.trim().to_string()),
        Func::Len => Ok(match arg(0)? {
            Value::Null => Value::Null,
            Value::String(s) => Value::from(s.chars().count()),
            Value::Array(a) => Value::from(a.len()),
            other => return Err(format!("len needs text, not {other}")),
        }),
        Func::Coalesce => {
            for a in args {
                let v = eval(a, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        Func::Substring => {
            let Some(s) = text(&arg(0)?, "substring")? else {
                return Ok(Value::Null);
            };
            let index = |v: Value| -> Result<Option<usize>, String> {
                match num(&v, "substring")? {
                    None => Ok(None),
                    Some(n) if n.fract() == 0.0 && n >= 0.0 => Ok(Some(n.min(1e9) as usize)),
                    Some(n) => Err(format!("substring needs a whole number from 0, not {n}")),
                }
            };
            let start = index(arg(1)?)?.unwrap_or(0);
            let length = index(arg(2)?)?.unwrap_or(usize::MAX);
            Ok(Value::String(s.chars().skip(start).take(length).collect()))
        }
        Func::Year | Func::Month | Func::Day => {
            let v = arg(0)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let (y, m, d) = dates::ymd(&v).ok_or_else(|| format!("{name}: {v} is not a date"))?;
            Ok(Value::from(match func {
                Func::Year => i64::from(y),
                Func::Month => i64::from(m),
                _ => i64::from(d),
            }))
        }
        Func::DateDiffDays => {
            let (a, b) = (arg(0)?, arg(1)?);
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            let day = |v: &Value| {
                dates::read(v, &Default::default())
                    .map(dates::When::date)
                    .map_err(|e| format!("date_diff_days: {e}"))
            };
            Ok(Value::from((day(&b)? - day(&a)?).num_days()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn row() -> Row {
        rows(json!([{
            "price": 2.5, "units": 4, "name": "  Widget ", "unit price": 3,
            "when": "2024-03-01T10:00:00Z", "start": "2024-02-27", "zero": 0, "none": null
        }]))
        .remove(0)
    }

    fn eval_str(source: &str) -> Result<Value, String> {
        Expr::parse(source)
            .unwrap_or_else(|e| panic!("{source}: {e}"))
            .eval(&row())
    }

    #[test]
    fn arithmetic_follows_precedence_and_parentheses() {
        assert_eq!(eval_str("1 + 2 * 3"), Ok(json!(7)));
        assert_eq!(eval_str("(1 + 2) * 3"), Ok(json!(9)));
        assert_eq!(eval_str("10 - 4 - 3"), Ok(json!(3)), "left to right");
        assert_eq!(eval_str("7 % 4 + -2"), Ok(json!(1)));
        assert_eq!(eval_str("price * units"), Ok(json!(10)));
        assert_eq!(eval_str("price / 2"), Ok(json!(1.25)));
        assert_eq!(eval_str("[unit price] + `unit price`"), Ok(json!(6)));
        assert_eq!(eval_str("1.5e2"), Ok(json!(150)));
    }

    #[test]
    fn comparisons_and_logic_give_booleans() {
        assert_eq!(eval_str("units > 3 and price <= 2.5"), Ok(json!(true)));
        assert_eq!(eval_str("units = 4 && not (price != 2.5)"), Ok(json!(true)));
        assert_eq!(eval_str("units < 3 or name == 'x'"), Ok(json!(false)));
        assert_eq!(eval_str("'b' > 'a'"), Ok(json!(true)));
        assert_eq!(eval_str("missing > 1"), Ok(Value::Null));
        assert_eq!(eval_str("if(units >= 4, 'many', 'few')"), Ok(json!("many")));
        assert_eq!(
            eval_str("if(false, 1 / zero, 2)"),
            Ok(json!(2)),
            "only the branch taken is evaluated"
        );
    }

    #[test]
    fn functions_compute_what_their_names_say() {
        assert_eq!(eval_str("round(2.345, 2)"), Ok(json!(2.35)));
        assert_eq!(eval_str("round(1234, -2)"), Ok(json!(1200)));
        assert_eq!(eval_str("round(price)"), Ok(json!(3)));
        assert_eq!(eval_str("abs(-3) + floor(2.7) + ceil(2.1)"), Ok(json!(8)));
        assert_eq!(eval_str("min(3, none, 1) + max(3, 9)"), Ok(json!(10)));
        assert_eq!(
            eval_str("concat(upper(trim(name)), '-', units)"),
            Ok(json!("WIDGET-4"))
        );
        assert_eq!(eval_str("lower('AbC') + 'd'"), Ok(json!("abcd")));
        assert_eq!(eval_str("len(name)"), Ok(json!(9)));
        assert_eq!(eval_str("coalesce(none, missing, 'x')"), Ok(json!("x")));
        assert_eq!(eval_str("substring('héllo', 1, 3)"), Ok(json!("éll")));
        assert_eq!(eval_str("substring('héllo', 3)"), Ok(json!("lo")));
        assert_eq!(
            eval_str("year(when) * 10000 + month(when) * 100 + day(when)"),
            Ok(json!(20240301))
        );
        assert_eq!(eval_str("date_diff_days(start, when)"), Ok(json!(3)));
        assert_eq!(
            eval_str("date_diff_days(when, 'Jan 1 2024')"),
            Ok(json!(-60))
        );
    }

    #[test]
    fn nulls_flow_through_and_mismatches_are_problems() {
        assert_eq!(eval_str("none + 1"), Ok(Value::Null));
        assert_eq!(eval_str("abs(missing)"), Ok(Value::Null));
        assert_eq!(
            eval_str("units / zero"),
            Err("4 divided by zero".to_string())
        );
        assert_eq!(eval_str("units % 0"), Err("4 divided by zero".to_string()));
        assert!(eval_str("name * 2").unwrap_err().contains("arithmetic"));
        assert!(eval_str("upper(units)").unwrap_err().contains("needs text"));
        assert!(eval_str("year('soon')").unwrap_err().contains("not a date"));
        assert!(eval_str("units and true")
            .unwrap_err()
            .contains("true or false"));
        assert!(eval_str("round(1, 99)").is_err());
        assert!(eval_str("1e308 * 10").unwrap_err().contains("too large"));
    }

    #[test]
    fn parse_errors_say_what_and_at_which_character() {
        let err = |s: &str| Expr::parse(s).unwrap_err();
        assert_eq!(
            err("1 + * 2"),
            "expression: character 4: expected a value, found '*'"
        );
        assert_eq!(
            err("(1 + 2"),
            "expression: character 6: expected ')', found the end"
        );
        assert_eq!(
            err("frobnicate(1)"),
            "expression: character 0: there is no function 'frobnicate'"
        );
        assert_eq!(
            err("x + round(1, 2, 3)"),
            "expression: character 4: round takes 1 to 2 arguments, not 3"
        );
        assert_eq!(
            err("'open"),
            "expression: character 0: this text is not closed"
        );
        assert_eq!(
            err("a # b"),
            "expression: character 2: '#' is not understood here"
        );
        assert_eq!(
            err("1 2"),
            "expression: character 2: expected an operator or the end, found the number 2"
        );
        assert_eq!(
            err("[price"),
            "expression: character 0: this field name has no closing ]"
        );
    }

    #[test]
    fn a_computed_text_past_the_cell_cap_is_a_problem_of_that_cell() {
        let big = "x".repeat(MAX_TEXT_BYTES / 4 + 1);
        let mut row = row();
        row.insert("big".into(), Value::String(big));
        let three = Expr::parse("concat(big, big, big)").unwrap();
        assert!(three.eval(&row).is_ok(), "three quarters fit");
        let four = Expr::parse("concat(big, big, big, big)").unwrap();
        assert!(four.eval(&row).unwrap_err().contains("longer than 1 MiB"));
        let upper = Expr::parse("upper(concat(big, big, big))").unwrap();
        assert!(upper.eval(&row).is_ok());
    }

    #[test]
    fn hostile_nesting_and_length_are_refused_before_they_overflow() {
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(Expr::parse(&deep)
            .unwrap_err()
            .contains("nested more than 64"));
        let negs = format!("{}1", "-".repeat(500));
        assert!(Expr::parse(&negs)
            .unwrap_err()
            .contains("nested more than 64"));
        let chain = vec!["1"; 300].join("+");
        assert!(Expr::parse(&chain)
            .unwrap_err()
            .contains("nested more than 64"));
        let calls = format!("{}1{}", "abs(".repeat(100), ")".repeat(100));
        assert!(Expr::parse(&calls)
            .unwrap_err()
            .contains("nested more than 64"));
        let long = "1".repeat(MAX_LEN + 1);
        assert!(Expr::parse(&long).unwrap_err().contains("at most 2000"));
        let ok = vec!["1"; 60].join("+");
        assert_eq!(Expr::parse(&ok).unwrap().eval(&Row::new()), Ok(json!(60)));
    }

    #[test]
    fn an_expression_is_written_back_as_its_source() {
        let e: Expr = serde_json::from_value(json!("price * 2")).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap(), json!("price * 2"));
        assert_eq!(e.source(), "price * 2");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_source_makes_the_parser_or_evaluator_panic(source in "\\PC{0,80}") {
                if let Ok(e) = Expr::parse(&source) {
                    let _ = e.eval(&row());
                }
            }

            #[test]
            fn expression_shaped_text_never_panics(source in "[-+*/%()<>=!, a-z0-9'\\[\\]`.]{0,120}") {
                if let Ok(e) = Expr::parse(&source) {
                    let _ = e.eval(&row());
                }
            }
        }
    }
}
