//! The `jq` and `json_path` steps: query the rows as one JSON array (`.` or `$` is the
//! array of row objects) and make rows of the results. An array result gives one row
//! per item, an object is a row, anything else becomes `{"value": x}`.
//!
//! jq filters run on jaq with its standard library, less `env` (it would show the
//! server's environment) and `now` (it has no clock in the browser); `halt` stops the
//! filter with an error instead of the process, and modules cannot be loaded.
//!
//! # What bounds a jq filter
//!
//! - Its text: within `syntax::JQ` (length and bracket nesting), checked before jaq
//!   parses it.
//! - Its results: at most `limits.max_rows` rows and `MAX_OUTPUT_BYTES` of JSON in
//!   all, counted as each result comes out (a result is written with a budget, so a
//!   huge one is cut off while written, not after).
//! - The whole run (natively, where panics unwind): jaq runs
//!   on its own thread with a `JQ_STACK`-byte stack, and every term jaq evaluates
//!   draws from a budget of `MAX_STEPS` steps, `TIME_LIMIT_MS` of wall time and
//!   `MAX_DEPTH_BYTES` of stack. Past any of them the evaluation is unwound (with
//!   `resume_unwind`, which skips the panic hook: nothing is printed) and the step
//!   fails saying which bound it hit. This is the only way to stop jaq mid-result:
//!   it has no fuel or cancellation of its own.
//! - Memory held inside one evaluation cannot be bounded here: a filter that doubles
//!   a string 40 times allocates before it takes many steps, and a failed allocation
//!   aborts the process. So the server does not run jq in its own process: it hands
//!   each run to a `JqRunner` that starts a worker process bounded in memory and CPU
//!   time (`server/src/sandbox.rs`, which calls `serve_jq`). `InProcess` is for tests,
//!   benchmarks and the worker itself.
//!
//! JSONPath queries are bounded by the same text limits and result limits; RFC 9535
//! queries always finish, in time polynomial in the size of the rows.
//!
//! jaq is built natively only (the server, and native tests). A wasm build that ran it
//! grew by about 2.07 MB of code and data (690 KB gzipped, `wasm-release` profile),
//! and jaq-std cannot be slimmed by features (its prelude calls its regex, time,
//! format and math filters). So in the browser a jq filter's text is checked but the
//! step does not run: the editor previews jq steps on the server ("Test").

use super::batch::{Batch, Builder};
use super::jq_plan::JqPlan;
use super::{Limits, StepReport};
use crate::model::Row;
#[cfg(not(target_arch = "wasm32"))]
use jaq_core::load::{Arena, File, Loader};
#[cfg(not(target_arch = "wasm32"))]
use jaq_core::{Ctx, Vars};
#[cfg(not(target_arch = "wasm32"))]
use jaq_json::Val;
use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(not(target_arch = "wasm32"))]
use std::cell::Cell;

/// Most JSON bytes all results of one step may take.
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;
/// Most terms one jq run may evaluate.
#[cfg(not(target_arch = "wasm32"))]
pub const MAX_STEPS: u64 = 50_000_000;
/// Longest one jq run may take, in milliseconds.
#[cfg(not(target_arch = "wasm32"))]
pub const TIME_LIMIT_MS: f64 = 5_000.0;
/// Most stack one jq run may use.
#[cfg(not(target_arch = "wasm32"))]
pub const MAX_DEPTH_BYTES: usize = 64 << 20;

/// A jq filter, checked (parsed and compiled) when read; written as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JqFilter {
    source: String,
    /// The filter as a column scan, when it is that simple (worked out once).
    plan: Option<JqPlan>,
}

impl JqFilter {
    /// Checks `source`, or says what is wrong and at which character.
    pub fn parse(source: &str) -> Result<JqFilter, String> {
        crate::syntax::JQ.check(source)?;
        compile_check(source)?;
        Ok(JqFilter {
            source: source.to_string(),
            plan: JqPlan::of(source),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Serialize for JqFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for JqFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        JqFilter::parse(&source).map_err(serde::de::Error::custom)
    }
}

/// A JSONPath (RFC 9535) query, checked when read; written as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathQuery {
    source: String,
    /// The query as a one-column scan, when it is that simple (worked out once).
    filter: Option<RowFilter>,
}

impl PathQuery {
    /// Checks `source`, or says what is wrong and at which character.
    pub fn parse(source: &str) -> Result<PathQuery, String> {
        crate::syntax::check_json_path(source)?;
        Ok(PathQuery {
            source: source.to_string(),
            filter: row_filter(source),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The query as a filter on one field of each row, if it is one; anything else
    /// (more selectors, logic, functions, escapes in names or strings) is `None` and
    /// runs on the JSONPath engine.
    pub(super) fn row_filter(&self) -> Option<&RowFilter> {
        self.filter.as_ref()
    }
}

/// How a simple JSONPath filter (or a jq `select`, see `jq_plan`) compares a field
/// with its literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathCmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A JSONPath of the form `$[?@.name OP literal]` (or `$[?(…)]`, `@['name']`): it
/// keeps the rows whose field compares with the literal, which a batch does by
/// scanning one column (see `columnar`), with the comparison rules of the JSONPath
/// engine (`serde_json_path`), not the filter step's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RowFilter {
    pub field: String,
    pub cmp: PathCmp,
    pub value: Value,
}

/// `source` as a [`RowFilter`], if it is one.
fn row_filter(source: &str) -> Option<RowFilter> {
    fn blank(s: &str) -> &str {
        s.trim_start_matches([' ', '\t', '\n', '\r'])
    }
    fn blank_end(s: &str) -> &str {
        s.trim_end_matches([' ', '\t', '\n', '\r'])
    }
    let inner = source.strip_prefix('$')?;
    let inner = blank(blank(inner).strip_prefix('[')?);
    let inner = blank_end(blank_end(inner).strip_suffix(']')?);
    let inner = blank(inner.strip_prefix('?')?);
    let inner = match inner.strip_prefix('(') {
        Some(rest) => blank_end(blank_end(rest).strip_suffix(')')?),
        None => inner,
    };
    let rest = inner.strip_prefix('@')?;
    let (field, rest) = if let Some(rest) = rest.strip_prefix('.') {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        (name, &rest[end..])
    } else {
        let rest = blank(rest.strip_prefix('[')?);
        let (name, rest) = quoted(rest)?;
        (name, blank(rest).strip_prefix(']')?)
    };
    let rest = blank(rest);
    let (cmp, rest) = [
        ("==", PathCmp::Eq),
        ("!=", PathCmp::Ne),
        ("<=", PathCmp::Le),
        (">=", PathCmp::Ge),
        ("<", PathCmp::Lt),
        (">", PathCmp::Gt),
    ]
    .into_iter()
    .find_map(|(op, cmp)| rest.strip_prefix(op).map(|rest| (cmp, rest)))?;
    let literal = blank(rest);
    let value = match quoted(literal) {
        Some((text, "")) => Value::String(text.to_string()),
        Some(_) => return None,
        None => match literal {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            number
                if number
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
            {
                match serde_json::from_str::<Value>(number).ok()? {
                    n @ Value::Number(_) => n,
                    _ => return None,
                }
            }
            _ => return None,
        },
    };
    Some(RowFilter {
        field: field.to_string(),
        cmp,
        value,
    })
}

/// A string in single or double quotes without escapes at the start of `s`, and what
/// follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    let text = &body[..end];
    if text.contains('\\') {
        return None;
    }
    Some((text, &body[end + 1..]))
}

impl Serialize for PathQuery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for PathQuery {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        PathQuery::parse(&source).map_err(serde::de::Error::custom)
    }
}

/// Runs `job` where deep recursion cannot overflow the caller's stack: on a thread of
/// its own with a large stack (natively), or in place (wasm, which has no threads).
/// `Err` when the job was stopped by its budget or failed inside jaq.
#[cfg(not(target_arch = "wasm32"))]
fn on_big_stack<T: Send>(job: impl FnOnce() -> T + Send) -> Result<T, String> {
    imp::on_stack(imp::JQ_STACK, job)
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// The stack of the thread jq runs on: room for `MAX_DEPTH_BYTES` of evaluation
    /// and for dropping the deepest value a run can build within its steps.
    pub const JQ_STACK: usize = 512 << 20;

    /// Why a jq run was unwound.
    struct Stop(String);

    pub fn on_stack<T: Send>(stack: usize, job: impl FnOnce() -> T + Send) -> Result<T, String> {
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("jq".to_string())
                .stack_size(stack)
                .spawn_scoped(scope, job)
                .map_err(|e| format!("jq: cannot start its thread: {e}"))?;
            handle
                .join()
                .map_err(|payload| match payload.downcast::<Stop>() {
                    Ok(stop) => stop.0,
                    Err(_) => "jq: the filter failed inside jaq".to_string(),
                })
        })
    }

    pub fn interrupt(why: &'static str) {
        if cfg!(panic = "unwind") {
            std::panic::resume_unwind(Box::new(Stop(format!("jq: {why}"))));
        }
    }

    pub fn now_ms() -> f64 {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

/// What one jq run may still spend.
#[cfg(not(target_arch = "wasm32"))]
struct Budget {
    steps: Cell<u64>,
    started_ms: f64,
    stack_base: usize,
    /// Why the run must stop, once it must.
    exhausted: Cell<Option<&'static str>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Budget {
    fn new() -> Self {
        let marker = 0u8;
        Budget {
            steps: Cell::new(0),
            started_ms: imp::now_ms(),
            stack_base: std::ptr::addr_of!(marker) as usize,
            exhausted: Cell::new(None),
        }
    }

    fn out_of_time(&self) -> bool {
        imp::now_ms() - self.started_ms > TIME_LIMIT_MS
    }

    /// One step of jaq; stops the run when a bound is passed and it can be stopped.
    fn tick(&self) {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        let marker = 0u8;
        let depth = self
            .stack_base
            .abs_diff(std::ptr::addr_of!(marker) as usize);
        let why = if steps > MAX_STEPS {
            Some("the filter took more than 50,000,000 steps")
        } else if depth > MAX_DEPTH_BYTES {
            Some("the filter recursed too deeply")
        } else if steps.is_multiple_of(4096) && self.out_of_time() {
            Some("the filter ran longer than 5 seconds")
        } else {
            None
        };
        if let Some(why) = why {
            self.exhausted.set(Some(why));
            interrupt(why);
        }
    }
}

/// Unwinds the jq thread, where unwinding is possible; elsewhere the run goes on and
/// the bound is reported between results.
#[cfg(not(target_arch = "wasm32"))]
fn interrupt(why: &'static str) {
    imp::interrupt(why)
}

/// jaq's view of the run: the compiled filter and the budget, handed to every term.
#[cfg(not(target_arch = "wasm32"))]
struct Metered;

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone)]
struct Gauge<'a> {
    lut: &'a jaq_core::Lut<Metered>,
    budget: &'a Budget,
}

#[cfg(not(target_arch = "wasm32"))]
impl jaq_core::DataT for Metered {
    type V<'a> = Val;
    type Data<'a> = Gauge<'a>;
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a> jaq_core::data::HasLut<'a, Metered> for Gauge<'a> {
    fn lut(&self) -> &'a jaq_core::Lut<Metered> {
        self.budget.tick();
        self.lut
    }
}

/// Parses and compiles `code`, or says what is wrong and where.
#[cfg(not(target_arch = "wasm32"))]
fn compile(code: &str) -> Result<jaq_core::Filter<Metered>, String> {
    let at = |part: &str| {
        let (base, p) = (code.as_ptr() as usize, part.as_ptr() as usize);
        (p >= base && p <= base + code.len()).then(|| crate::syntax::char_offset(code, p - base))
    };
    let found = |part: &str| {
        let shown: String = part.chars().take(20).collect();
        if shown.is_empty() {
            "the end".to_string()
        } else {
            format!("'{shown}'")
        }
    };
    let place = |part: &str| match at(part) {
        Some(i) => format!("jq filter, character {i}"),
        None => "jq filter".to_string(),
    };
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs().filter(|(name, _, _)| !matches!(*name, "env" | "now")))
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let mut out = Vec::new();
            for (_, e) in errs {
                match e {
                    jaq_core::load::Error::Io(io) => {
                        for (path, why) in io {
                            out.push(format!("{}: cannot load '{path}': {why}", place(path)));
                        }
                    }
                    jaq_core::load::Error::Lex(lex) => {
                        for (expect, part) in lex {
                            out.push(format!(
                                "{}: expected {}, found {}",
                                place(part),
                                expect.as_str(),
                                found(part)
                            ));
                        }
                    }
                    jaq_core::load::Error::Parse(parse) => {
                        for (expect, part) in parse {
                            out.push(format!(
                                "{}: expected {}, found {}",
                                place(part),
                                expect.as_str(),
                                found(part)
                            ));
                        }
                    }
                }
            }
            out.join("; ")
        })?;
    jaq_core::Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            let mut out = Vec::new();
            for (_, undefined) in errs {
                for (name, what) in undefined {
                    let what = match what {
                        jaq_core::compile::Undefined::Filter(arity) => {
                            format!("no filter {name}/{arity}")
                        }
                        other => format!("no {} {name}", other.as_str()),
                    };
                    out.push(format!("{}: there is {what}", place(name)));
                }
            }
            out.join("; ")
        })
}

/// A `fmt::Write` that refuses to grow past its budget.
#[cfg(not(target_arch = "wasm32"))]
struct Capped {
    text: String,
    room: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if s.len() > self.room {
            return Err(std::fmt::Error);
        }
        self.room -= s.len();
        self.text.push_str(s);
        Ok(())
    }
}

/// A jq run's answer, read line by line as it comes (from the worker's stdout, or from
/// the run itself in this process) into a batch, within the step's limits.
///
/// Each line is one thing, in order: `r` and a result as JSON text; `p` and a JSON
/// string saying why a result was left out; then the end, `k` (done) or `e` and a JSON
/// string saying why the run stopped. A result that is not JSON (jq can make `nan` or
/// an object with a number for a key) is left out and counted. An array result gives
/// a row per item, an object is a row, anything else becomes `{"value": x}`.
pub struct JqAnswer<'l> {
    rows: Builder,
    problems: Vec<String>,
    /// JSON bytes of the results so far.
    bytes: usize,
    /// Results so far, left out ones included (messages count from 1).
    results: usize,
    end: Option<Result<(), String>>,
    limits: &'l Limits,
}

impl<'l> JqAnswer<'l> {
    pub fn new(limits: &'l Limits) -> Self {
        JqAnswer {
            rows: Builder::default(),
            problems: Vec::new(),
            bytes: 0,
            results: 0,
            end: None,
            limits,
        }
    }

    /// Reads one line (without its newline). `Err` when the run must stop: it passed a
    /// bound, or it said it stopped.
    pub fn line(&mut self, line: &[u8]) -> Result<(), String> {
        let (&kind, rest) = line
            .split_first()
            .ok_or("jq: the worker's answer has an empty line")?;
        let message = || {
            serde_json::from_slice::<String>(rest)
                .map_err(|e| format!("jq: the worker's answer cannot be read: {e}"))
        };
        match kind {
            b'r' => {
                self.results += 1;
                self.bytes += rest.len();
                if self.bytes > MAX_OUTPUT_BYTES {
                    return Err(format!("jq: {}", too_large()));
                }
                match serde_json::from_slice::<Value>(rest) {
                    Ok(v) => {
                        let (rows, max) = (&mut self.rows, self.limits.max_rows);
                        each_row(v, |row| {
                            if rows.len() >= max {
                                return Err(format!("jq: {}", too_many_rows(self.limits)));
                            }
                            rows.push(row);
                            Ok(())
                        })
                    }
                    Err(e) => {
                        let n = self.results;
                        self.problems
                            .push(format!("result {n} is not JSON ({e}); left out"));
                        Ok(())
                    }
                }
            }
            b'p' => {
                self.results += 1;
                self.problems.push(message()?);
                Ok(())
            }
            b'k' => {
                self.end = Some(Ok(()));
                Ok(())
            }
            b'e' => {
                let why = message()?;
                self.end = Some(Err(why.clone()));
                Err(why)
            }
            _ => Err("jq: the worker's answer cannot be read".to_string()),
        }
    }

    /// Whether the answer has said it ended.
    pub fn ended(&self) -> bool {
        self.end.is_some()
    }

    /// The rows, once the answer has ended well.
    pub fn finish(self) -> Result<JqOutput, String> {
        match self.end {
            Some(Ok(())) => Ok(JqOutput {
                batch: self.rows.finish(),
                problems: self.problems,
                bytes: self.bytes,
            }),
            Some(Err(why)) => Err(why),
            None => Err("jq: the worker's answer ended early".to_string()),
        }
    }
}

/// Hands `row` the rows a result makes: an array gives a row per item, an object is a
/// row, anything else becomes `{"value": x}`.
fn each_row(v: Value, mut row: impl FnMut(Row) -> Result<(), String>) -> Result<(), String> {
    let as_row = |v| match v {
        Value::Object(row) => row,
        other => Row::from_iter([("value".to_string(), other)]),
    };
    match v {
        Value::Array(items) => items.into_iter().try_for_each(|v| row(as_row(v))),
        other => row(as_row(other)),
    }
}

fn too_many_rows(limits: &Limits) -> String {
    format!(
        "the results make more than {} rows; at most {} are kept",
        limits.max_rows, limits.max_rows
    )
}

fn too_large() -> String {
    format!(
        "the results take more than {} MiB of JSON",
        MAX_OUTPUT_BYTES >> 20
    )
}

/// Compiles `source` (natively); the browser checks only its text, since jaq is not in
/// the browser bundle.
fn compile_check(source: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let owned = source.to_string();
        on_big_stack(move || compile(&owned).map(|_| ()))?
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = source;
        Ok(())
    }
}

/// What a jq run gives: its rows, the results it left out (in words), and how many
/// bytes of JSON its results took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JqOutput {
    pub batch: Batch,
    pub problems: Vec<String>,
    pub bytes: usize,
}

/// Runs `filter` on the rows as one array, where `env` runs jq; the results' bytes
/// are charged to the run's budget.
pub(super) fn jq(
    rows: Vec<Row>,
    filter: &JqFilter,
    env: &super::Env,
    budget: &super::Budget,
    report: &mut StepReport,
) -> Result<Vec<Row>, String> {
    let input = serde_json::to_vec(&rows).map_err(|e| format!("jq: {e}"))?;
    drop(rows);
    jq_on(input, filter, env, budget, report).map(Batch::into_rows)
}

/// `jq` on a batch: a column scan when the filter is that simple (`jq_plan`), else
/// jaq on JSON written straight from the columns.
pub(super) fn jq_batch(
    batch: Batch,
    filter: &JqFilter,
    env: &super::Env,
    budget: &super::Budget,
    report: &mut StepReport,
) -> Result<Batch, String> {
    if let Some(out) = filter.plan.as_ref().and_then(|plan| plan.run(&batch)) {
        budget.charge(out.size())?;
        return Ok(out);
    }
    let mut input = Vec::with_capacity(batch.size() + 16 * batch.len());
    batch.write_json(&mut input);
    drop(batch);
    jq_on(input, filter, env, budget, report)
}

fn jq_on(
    input: Vec<u8>,
    filter: &JqFilter,
    env: &super::Env,
    budget: &super::Budget,
    report: &mut StepReport,
) -> Result<Batch, String> {
    let out = env.jq.run(filter, input, &env.limits)?;
    budget.charge(out.bytes)?;
    for p in out.problems {
        report.problem(&env.limits, || p);
    }
    Ok(out.batch)
}

/// jaq is left out of the browser bundle (it would add about 690 KB gzipped): in the
/// editor a jq step is previewed by the server ("Test").
#[cfg(target_arch = "wasm32")]
pub(super) fn run_in_process(
    _filter: &JqFilter,
    _input: Vec<u8>,
    _limits: &Limits,
) -> Result<JqOutput, String> {
    Err("jq steps run on the server: press Test to preview them".to_string())
}

/// Runs `filter` on `input` in this process, on a thread with a large stack, reading
/// its answer as the worker's is read.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn run_in_process(
    filter: &JqFilter,
    input: Vec<u8>,
    limits: &Limits,
) -> Result<JqOutput, String> {
    let source = filter.source.clone();
    let limits = *limits;
    on_big_stack(move || {
        let mut answer = JqAnswer::new(&limits);
        let ran = run_jq(&source, &input, &mut |line| answer.line(line));
        let end = match ran {
            Ok(()) => b"k".to_vec(),
            Err(why) => end_line(&why),
        };
        // An error from the answer itself (a bound) has already stopped the run.
        let _ = answer.line(&end);
        answer.finish()
    })?
}

/// The `e` line saying why a run stopped.
#[cfg(not(target_arch = "wasm32"))]
fn end_line(why: &str) -> Vec<u8> {
    let mut line = vec![b'e'];
    line.extend(serde_json::to_vec(why).expect("a string serializes"));
    line
}

/// What a sandboxed jq worker is asked to do: the first line of its input, before the
/// rows (one JSON array).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JqRequest {
    pub filter: String,
}

/// The worker's side of a sandboxed jq run: reads a `JqRequest` line and the rows from
/// `input`, runs the filter on a thread with a `stack`-byte stack, and writes its
/// answer to `output` a line per result as it comes (see [`JqAnswer`]). The caller
/// bounds the process (memory, CPU time) before calling it; this bounds steps, depth
/// and the results' bytes; the reader bounds the rows.
#[cfg(not(target_arch = "wasm32"))]
pub fn serve_jq(
    mut input: impl std::io::BufRead,
    output: impl std::io::Write + Send,
    stack: usize,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut line = String::new();
    input.read_line(&mut line)?;
    let mut output = std::io::BufWriter::with_capacity(1 << 16, output);
    let ran = match serde_json::from_str::<JqRequest>(&line) {
        Err(e) => Err(format!("jq: the worker's request is malformed: {e}")),
        Ok(request) => {
            let mut rows = Vec::new();
            std::io::Read::read_to_end(&mut input, &mut rows)?;
            let out = &mut output;
            imp::on_stack(stack, move || {
                run_jq(&request.filter, &rows, &mut |line| {
                    out.write_all(line)
                        .and_then(|()| out.write_all(b"\n"))
                        // The reader stopped (a bound): so does the run.
                        .map_err(|e| format!("jq: {e}"))
                })
            })
            .and_then(|r| r)
        }
    };
    let end = match ran {
        Ok(()) => b"k".to_vec(),
        Err(why) => end_line(&why),
    };
    output.write_all(&end)?;
    output.write_all(b"\n")?;
    output.flush()
}

/// Runs the jq filter `source` on `input` (one JSON array), handing each result to
/// `emit` as a line of its answer (`r` or `p`, see [`JqAnswer`]) as soon as it is
/// made. `Err` says why the run stopped; the time budget counts from the input's read.
#[cfg(not(target_arch = "wasm32"))]
fn run_jq(
    source: &str,
    input: &[u8],
    emit: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    use std::fmt::Write;
    let budget = Budget::new();
    let filter = compile(source)?;
    let input = jaq_json::read::parse_single(input)
        .map_err(|e| format!("jq: the rows cannot be read: {e}"))?;
    let ctx = Ctx::<Metered>::new(
        Gauge {
            lut: &filter.lut,
            budget: &budget,
        },
        Vars::new([]),
    );
    let mut bytes = 0usize;
    let mut text = Capped {
        text: String::new(),
        room: 0,
    };
    for (i, result) in filter.id.run((ctx, input)).enumerate() {
        if let Some(why) = budget.exhausted.get() {
            return Err(format!("jq: {why}"));
        }
        if budget.out_of_time() {
            return Err("jq: the filter ran longer than 5 seconds".to_string());
        }
        let val = match result {
            Ok(v) => v,
            Err(exn) => {
                let message = match exn.get_err() {
                    Ok(err) => {
                        let mut text = Capped {
                            text: String::new(),
                            room: 300,
                        };
                        let _ = write!(text, "{err}");
                        text.text
                    }
                    Err(other) => match other.get_halt() {
                        Ok(code) => format!("the filter called halt({code})"),
                        Err(_) => "the filter stopped unexpectedly".to_string(),
                    },
                };
                return Err(format!("jq: result {}: {message}", i + 1));
            }
        };
        text.text.clear();
        if nested_deeper_than(&val, MAX_RESULT_NESTING) {
            text.text.push('p');
            let why = format!(
                "result {} is nested more than {MAX_RESULT_NESTING} deep; left out",
                i + 1
            );
            text.text
                .push_str(&serde_json::to_string(&why).expect("a string serializes"));
            emit(text.text.as_bytes())?;
            continue;
        }
        text.text.push('r');
        text.room = MAX_OUTPUT_BYTES.saturating_sub(bytes);
        if write!(text, "{val}").is_err() {
            return Err(format!("jq: {}", too_large()));
        }
        drop(val);
        bytes += text.text.len() - 1;
        emit(text.text.as_bytes())?;
    }
    Ok(())
}

/// Deepest result kept (as deep as serde_json reads).
#[cfg(not(target_arch = "wasm32"))]
const MAX_RESULT_NESTING: usize = 120;

/// Whether `v` nests arrays and objects more than `max` deep; walks without
/// recursion, so any depth is safe to ask about.
#[cfg(not(target_arch = "wasm32"))]
fn nested_deeper_than(v: &Val, max: usize) -> bool {
    let mut todo: Vec<(&Val, usize)> = vec![(v, 0)];
    while let Some((v, depth)) = todo.pop() {
        let children: Box<dyn Iterator<Item = &Val>> = match v {
            Val::Arr(items) => Box::new(items.iter()),
            Val::Obj(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= max {
            return true;
        }
        todo.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

/// Runs `path` on the rows as one array; what it selects is measured before it is
/// copied (`$..*` repeats the rows many times over) and charged to the run's budget.
pub(super) fn json_path(
    rows: Vec<Row>,
    path: &PathQuery,
    limits: &Limits,
    budget: &super::Budget,
) -> Result<Vec<Row>, String> {
    let doc = Value::Array(rows.into_iter().map(Value::Object).collect());
    let query = crate::syntax::json_path(&path.source)?;
    let mut rows = Vec::new();
    let mut bytes = 0;
    for node in query.query(&doc).all() {
        let room = MAX_OUTPUT_BYTES.saturating_sub(bytes);
        let size = super::budget::json_len_within(node, room)
            .ok_or_else(|| format!("JSONPath: {}", too_large()))?;
        bytes += size;
        budget.charge(size)?;
        each_row(node.clone(), |row| {
            if rows.len() >= limits.max_rows {
                return Err(format!("JSONPath: {}", too_many_rows(limits)));
            }
            rows.push(row);
            Ok(())
        })?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::rows;
    use serde_json::json;

    fn data() -> Vec<Row> {
        rows(json!([
            {"name": "a", "tags": ["x", "y"], "n": 1},
            {"name": "b", "tags": [], "n": 2},
            {"name": "c", "tags": ["z"], "n": 3},
        ]))
    }

    fn budget() -> crate::pipeline::Budget {
        crate::pipeline::Budget::new(&Limits::default())
    }

    fn jq_run(
        filter: &str,
        input: Vec<Row>,
        limits: &Limits,
    ) -> Result<(Vec<Row>, StepReport), String> {
        let filter = JqFilter::parse(filter)?;
        let mut report = StepReport::default();
        let env = crate::pipeline::Env::local(*limits);
        let budget = crate::pipeline::Budget::new(limits);
        jq(input, &filter, &env, &budget, &mut report).map(|rows| (rows, report))
    }

    #[test]
    fn a_jq_filter_sees_the_rows_as_one_array_and_its_results_become_rows() {
        let (out, _) = jq_run(
            ".[] | select(.n > 1) | {name, twice: (.n * 2)}",
            data(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([{"name": "b", "twice": 4}, {"name": "c", "twice": 6}]))
        );
        let (out, _) = jq_run("map({name, tag: .tags[]})", data(), &Limits::default()).unwrap();
        assert_eq!(
            out,
            rows(
                json!([{"name": "a", "tag": "x"}, {"name": "a", "tag": "y"}, {"name": "c", "tag": "z"}])
            ),
            "an array result is one row per item"
        );
        let (out, _) = jq_run(
            "length, (map(.n) | add), \"done\"",
            data(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            out,
            rows(json!([{"value": 3}, {"value": 6}, {"value": "done"}]))
        );
    }

    #[test]
    fn the_standard_library_is_there_but_not_env_or_now() {
        let (out, _) = jq_run(
            "map(.name | ascii_upcase) | join(\",\") | {s: ., t: (\"a-b\" | test(\"-\"))}",
            data(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(out, rows(json!([{"s": "A,B,C", "t": true}])));
        assert_eq!(
            JqFilter::parse("env").unwrap_err(),
            "jq filter, character 0: there is no filter env/0"
        );
        assert_eq!(
            JqFilter::parse("1 + now").unwrap_err(),
            "jq filter, character 4: there is no filter now/0"
        );
    }

    #[test]
    fn a_filter_that_does_not_parse_says_what_and_where() {
        assert_eq!(
            JqFilter::parse(".[] | {a: }").unwrap_err(),
            "jq filter, character 10: expected term, found '}'"
        );
        assert_eq!(
            JqFilter::parse(".a | $x").unwrap_err(),
            "jq filter, character 5: there is no variable $x"
        );
        assert!(JqFilter::parse("import \"x\" as x; .")
            .unwrap_err()
            .contains("cannot load"));
        let deep = format!("{}.{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            JqFilter::parse(&deep).unwrap_err(),
            "jq filter, character 64: nested more than 64 brackets deep"
        );
        assert!(
            JqFilter::parse(&" ".repeat(crate::syntax::JQ.max_chars + 1))
                .unwrap_err()
                .contains("longer than 4000 characters")
        );
        assert!(
            JqFilter::parse(
                "\"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((\""
            )
            .is_ok(),
            "brackets in strings do not nest"
        );
        assert!(JqFilter::parse(
            "\"\\(1 + (2))\" # (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
        )
        .is_ok());
    }

    #[test]
    fn runtime_errors_and_halt_stop_the_step_with_the_message() {
        let err = jq_run(".[] | .n + \"x\"", data(), &Limits::default()).unwrap_err();
        assert!(
            err.starts_with("jq: result 1: cannot calculate 1 + "),
            "{err}"
        );
        let err = jq_run("halt", data(), &Limits::default()).unwrap_err();
        assert_eq!(err, "jq: result 1: the filter called halt(0)");
    }

    #[test]
    fn results_past_the_row_cap_or_the_size_cap_stop_the_step() {
        let limits = Limits {
            max_rows: 10,
            max_messages: 5,
            ..Limits::default()
        };
        let err = jq_run("range(100)", data(), &limits).unwrap_err();
        assert_eq!(
            err,
            "jq: the results make more than 10 rows; at most 10 are kept"
        );
        let err = jq_run(
            "[range(1000000)] | tostring | . * 100",
            data(),
            &Limits::default(),
        )
        .unwrap_err();
        // Which bound comes first depends on the machine's speed.
        assert!(
            err.contains("MiB of JSON") || err.contains("steps") || err.contains("longer than"),
            "{err}"
        );
    }

    #[test]
    fn an_answer_is_read_a_line_at_a_time_and_must_say_it_ended() {
        let limits = Limits {
            max_rows: 3,
            ..Limits::default()
        };
        let mut answer = JqAnswer::new(&limits);
        for line in [&b"r[{\"a\":1},{\"b\":\"x\"}]"[..], b"p\"left out\"", b"r7"] {
            answer.line(line).unwrap();
        }
        assert!(!answer.ended());
        answer.line(b"k").unwrap();
        let out = answer.finish().unwrap();
        assert_eq!(
            out.batch.into_rows(),
            rows(json!([{"a": 1}, {"b": "x"}, {"value": 7}]))
        );
        assert_eq!(out.problems, ["left out"]);
        assert_eq!(out.bytes, 20);

        let mut cut = JqAnswer::new(&limits);
        cut.line(b"r1").unwrap();
        assert_eq!(
            cut.finish().unwrap_err(),
            "jq: the worker's answer ended early"
        );
        let mut many = JqAnswer::new(&limits);
        assert_eq!(
            many.line(b"r[1,2,3,4]").unwrap_err(),
            "jq: the results make more than 3 rows; at most 3 are kept"
        );
        let mut stopped = JqAnswer::new(&limits);
        assert_eq!(stopped.line(b"e\"jq: why\"").unwrap_err(), "jq: why");
        assert_eq!(stopped.finish().unwrap_err(), "jq: why");
        for bad in [&b""[..], b"x1", b"p1"] {
            assert!(JqAnswer::new(&limits).line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn results_that_are_not_json_are_counted_and_left_out() {
        let (out, report) = jq_run("1, nan, {(1): 2}, 4", data(), &Limits::default()).unwrap();
        assert_eq!(out, rows(json!([{"value": 1}, {"value": 4}])));
        assert_eq!(report.problems, 2, "{report:?}");
    }

    #[test]
    fn endless_and_deeply_recursive_filters_are_stopped_on_the_server() {
        let err = jq_run("last(repeat(1))", data(), &Limits::default()).unwrap_err();
        assert!(
            err == "jq: the filter took more than 50,000,000 steps"
                || err == "jq: the filter ran longer than 5 seconds",
            "{err}"
        );
        let err = jq_run("def f: [f]; f", data(), &Limits::default()).unwrap_err();
        assert_eq!(err, "jq: the filter recursed too deeply");
        let err = jq_run(
            "reduce range(100000000) as $i (null; [.]) | 0",
            data(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("jq: the filter"), "{err}");
    }

    #[test]
    fn a_json_path_query_makes_rows_of_what_it_selects() {
        let path = PathQuery::parse("$[?@.n >= 2]").unwrap();
        let out = json_path(data(), &path, &Limits::default(), &budget()).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["name"], json!("b"));
        let path = PathQuery::parse("$[*].tags").unwrap();
        let out = json_path(data(), &path, &Limits::default(), &budget()).unwrap();
        assert_eq!(
            out,
            rows(json!([{"value": "x"}, {"value": "y"}, {"value": "z"}])),
            "arrays are flattened"
        );
        let limits = Limits {
            max_rows: 2,
            max_messages: 5,
            ..Limits::default()
        };
        let err = json_path(
            data(),
            &PathQuery::parse("$[*].name").unwrap(),
            &limits,
            &budget(),
        )
        .unwrap_err();
        assert!(err.contains("at most 2"), "{err}");
        let wide: Vec<Row> = (0..120)
            .map(|_| rows(json!([{"blob": "x".repeat(1 << 20)}])).remove(0))
            .collect();
        let err = json_path(
            wide,
            &PathQuery::parse("$..*").unwrap(),
            &Limits::default(),
            &budget(),
        )
        .unwrap_err();
        assert_eq!(err, "JSONPath: the results take more than 64 MiB of JSON");
    }

    #[test]
    fn a_json_path_that_does_not_parse_says_where() {
        let err = PathQuery::parse("$[?@.n >]").unwrap_err();
        assert!(err.starts_with("JSONPath, character "), "{err}");
        let deep = format!("$[?{}@.a{}]", "(".repeat(80), ")".repeat(80));
        assert!(PathQuery::parse(&deep)
            .unwrap_err()
            .contains("nested more than 64"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn no_filter_text_makes_the_checks_panic(source in "[-.|\\[\\]{}()a-z0-9\"$:;, +*/=<>?@#\\\\]{0,60}") {
                let _ = JqFilter::parse(&source);
                let _ = PathQuery::parse(&source);
            }
        }
    }
}
