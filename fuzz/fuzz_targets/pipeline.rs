//! Fuzzes the pipeline engine: the input is a pipeline (JSON) and rows (JSON), split at
//! the first NUL byte. Reading the pipeline validates it (expressions, jq filters,
//! dates); running it must never panic, hang, or exceed its row cap or byte budget.
//! jq steps are left to the `jq` target and the server's sandboxed worker: here they
//! fail at once (jq run in this process is not bounded in memory).
#![no_main]
use app::model::Row;
use app::pipeline::{Env, JqFilter, JqOutput, JqRunner, Limits, NoDatasets, Pipeline};
use libfuzzer_sys::fuzz_target;

struct NoJq;

impl JqRunner for NoJq {
    fn run(&self, _: &JqFilter, _: Vec<u8>, _: &Limits) -> Result<JqOutput, String> {
        Err("jq is fuzzed by its own target".to_string())
    }
}

fuzz_target!(|data: &[u8]| {
    let (pipeline, rows) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"[]"[..]),
    };
    let Ok(pipeline) = serde_json::from_slice::<Pipeline>(pipeline) else {
        return;
    };
    let rows: Vec<Row> = serde_json::from_slice::<Vec<serde_json::Value>>(rows)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::Object(row) => Some(row),
            _ => None,
        })
        .collect();
    let limits = Limits {
        max_rows: 5_000,
        max_messages: 5,
        max_bytes: 64 << 20,
        time_limit_ms: 5_000,
    };
    let env = Env {
        limits,
        datasets: &NoDatasets,
        jq: &NoJq,
    };
    if let Ok(out) = pipeline.run_in(rows, &env) {
        assert!(out.rows.len() <= limits.max_rows);
    }
});
